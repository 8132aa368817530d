// Test that header file is self-contained.
#include <authmilter/milter/listen_address.hpp>

#include <boost/test/unit_test.hpp>

namespace milter = authmilter::milter;

BOOST_AUTO_TEST_SUITE(milter_listen_address)

BOOST_AUTO_TEST_CASE(listen_address_syntax)
{
    auto a = milter::listen_address::parse("inet:12345@localhost");
    BOOST_REQUIRE(a);
    BOOST_TEST((a->what == milter::listen_address::kind::inet));
    BOOST_TEST(a->port == 12345);
    BOOST_TEST(a->host == "localhost");
    auto b = milter::listen_address::parse("inet6:8893@[::1]");
    BOOST_REQUIRE(b);
    BOOST_TEST((b->what == milter::listen_address::kind::inet6));
    BOOST_TEST(b->host == "::1");
    auto c = milter::listen_address::parse("unix:/run/authmilter.sock");
    BOOST_REQUIRE(c);
    BOOST_TEST((c->what == milter::listen_address::kind::local));
    BOOST_TEST(c->path == "/run/authmilter.sock");
    auto d = milter::listen_address::parse("inet:25");
    BOOST_REQUIRE(d);
    BOOST_TEST(d->host.empty());
    BOOST_TEST(milter::listen_address::parse("local:/x").has_value());
    for(auto const* bad : {"", "inet", "inet:", "inet:x@h", "inet:65536@h", "inet:1@", "tcp:1@h",
                           "unix:", "inet:1@a b", "inet:123456@h"})
        BOOST_TEST(!milter::listen_address::parse(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
