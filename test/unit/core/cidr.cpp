// Test that header file is self-contained.
#include <authmilter/core/cidr.hpp>

#include <boost/test/unit_test.hpp>

using authmilter::core::cidr;
using authmilter::core::ip_address;

BOOST_AUTO_TEST_SUITE(core_cidr)

BOOST_AUTO_TEST_CASE(matches_within_prefix)
{
    auto const net = cidr::parse("10.1.0.0/16");
    BOOST_REQUIRE(net);
    BOOST_TEST(net->contains(*ip_address::parse("10.1.255.3")));
    BOOST_TEST(!net->contains(*ip_address::parse("10.2.0.1")));
    BOOST_TEST(!net->contains(*ip_address::parse("2001:db8::1")));
}

BOOST_AUTO_TEST_CASE(odd_prefix_lengths)
{
    auto const net = cidr::parse("192.0.2.128/25");
    BOOST_REQUIRE(net);
    BOOST_TEST(net->contains(*ip_address::parse("192.0.2.200")));
    BOOST_TEST(!net->contains(*ip_address::parse("192.0.2.127")));
    auto const v6 = cidr::parse("dead:beef::/32");
    BOOST_REQUIRE(v6);
    BOOST_TEST(v6->contains(*ip_address::parse("dead:beef:1::2")));
    BOOST_TEST(!v6->contains(*ip_address::parse("dead:bee0::")));
    auto const any = cidr::parse("0.0.0.0/0");
    BOOST_REQUIRE(any);
    BOOST_TEST(any->contains(*ip_address::parse("203.0.113.1")));
}

BOOST_AUTO_TEST_CASE(bare_address_is_host_route)
{
    auto const host = cidr::parse("192.0.2.1");
    BOOST_REQUIRE(host);
    BOOST_TEST(host->prefix_length() == 32u);
    BOOST_TEST(host->contains(*ip_address::parse("192.0.2.1")));
    BOOST_TEST(!host->contains(*ip_address::parse("192.0.2.2")));
}

BOOST_AUTO_TEST_CASE(rejects_bad_lengths)
{
    for(auto const* text : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "::/129", "x/8"})
        BOOST_TEST(!cidr::parse(text), text);
}

BOOST_AUTO_TEST_SUITE_END()
