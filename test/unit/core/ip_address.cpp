// Test that header file is self-contained.
#include <authmilter/core/ip_address.hpp>

#include <boost/test/unit_test.hpp>

using authmilter::core::ip_address;

BOOST_AUTO_TEST_SUITE(core_ip_address)

BOOST_AUTO_TEST_CASE(parses_ipv4)
{
    auto const a = ip_address::parse("192.0.2.1");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->is_v4());
    BOOST_TEST(a->to_string() == "192.0.2.1");
    BOOST_TEST(a->reverse_name() == "1.2.0.192.in-addr.arpa");
}

BOOST_AUTO_TEST_CASE(parses_ipv6_canonically)
{
    auto const a = ip_address::parse("2001:DB8:0:0:0:0:0:1");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->is_v6());
    BOOST_TEST(a->to_string() == "2001:db8::1");
    BOOST_TEST(a->reverse_name() ==
               "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    BOOST_TEST(a->dotted_nibbles() == "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1");
}

BOOST_AUTO_TEST_CASE(sendmail_prefix_and_brackets)
{
    auto const a = ip_address::parse("IPv6:2001:db8::5");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->to_string() == "2001:db8::5");
    auto const b = ip_address::parse("[192.0.2.9]");
    BOOST_REQUIRE(b);
    BOOST_TEST(b->to_string() == "192.0.2.9");
    // The IPv6: prefix announces IPv6; a dotted quad after it is not an address.
    BOOST_TEST(!ip_address::parse("IPv6:192.0.2.1"));
}

BOOST_AUTO_TEST_CASE(v4_mapped_becomes_v4)
{
    auto const a = ip_address::parse("::ffff:198.51.100.3");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->is_v4());
    BOOST_TEST(a->to_string() == "198.51.100.3");
    BOOST_TEST((*a == *ip_address::parse("198.51.100.3")));
}

BOOST_AUTO_TEST_CASE(rejects_garbage)
{
    for(auto const* text : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "[1.2.3.4", "1.2.3.4 ",
                            "IPv6:", "0123456789012345678901234567890123456789012345678"})
        BOOST_TEST(!ip_address::parse(text), text);
}

BOOST_AUTO_TEST_SUITE_END()
