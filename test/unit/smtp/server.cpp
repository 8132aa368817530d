// Test that header file is self-contained.
#include <authmilter/smtp/server.hpp>

#include <boost/test/unit_test.hpp>

namespace smtp = authmilter::smtp;
using authmilter::config::listen_address;

BOOST_AUTO_TEST_SUITE(smtp_server)

BOOST_AUTO_TEST_CASE(per_listener_overrides_are_keyed_by_port_or_path)
{
    authmilter::config::smtp_config c;
    c.relay.sock_port = 2525;
    auto& o = c.per_listener["inet:12346"];
    o.sock_port = 2526;
    o.server_name = "scan.example.com";
    c.per_listener["unix:/var/sock/a.sock"].sock_type = "unix";
    BOOST_TEST(smtp::relay_for(c, *listen_address::parse("inet:12346@127.0.0.1")).sock_port == 2526);
    BOOST_TEST(smtp::relay_for(c, *listen_address::parse("inet:12346")).server_name == "scan.example.com");
    BOOST_TEST(smtp::relay_for(c, *listen_address::parse("inet:12347@127.0.0.1")).sock_port == 2525);
    BOOST_TEST(smtp::relay_for(c, *listen_address::parse("unix:/var/sock/a.sock")).sock_type == "unix");
    BOOST_TEST(smtp::relay_for(c, *listen_address::parse("unix:/var/sock/b.sock")).sock_type == "inet");
}

BOOST_AUTO_TEST_SUITE_END()
