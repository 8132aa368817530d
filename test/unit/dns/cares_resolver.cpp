// Test that header file is self-contained.
#include <authmilter/dns/cares_resolver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "test_print.hpp"

using namespace authmilter::dns;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(dns_cares_resolver)

BOOST_AUTO_TEST_CASE(server_addresses)
{
    auto a = parse_server_address("127.0.0.1");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->address.to_string() == "127.0.0.1");
    BOOST_TEST(a->port == 53);
    auto b = parse_server_address("127.0.0.1:5353");
    BOOST_REQUIRE(b);
    BOOST_TEST(b->port == 5353);
    auto c = parse_server_address("[::1]:5353");
    BOOST_REQUIRE(c);
    BOOST_TEST(c->address.to_string() == "::1");
    BOOST_TEST(c->port == 5353);
    auto d = parse_server_address("2001:db8::53");
    BOOST_REQUIRE(d);
    BOOST_TEST(d->port == 53);
    BOOST_TEST(parse_server_address("[2001:db8::53]")->port == 53);
    for(auto bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[::1", "[::1]x",
                    "[::1]:", "IPv6:::1", "1.2.3.4:53x", "[1.2.3]:53"})
        BOOST_TEST(!parse_server_address(bad), bad);
}

BOOST_AUTO_TEST_CASE(bad_server_is_refused_at_start_up)
{
    boost::asio::io_context io;
    cares_options o;
    o.servers = {"127.0.0.1", "dns.example"};
    BOOST_CHECK_THROW(cares_resolver(io.get_executor(), o), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(silent_server_times_out_within_the_bound)
{
    boost::asio::io_context io;
    // Bound but never read: queries get no answer and no ICMP error.
    boost::asio::ip::udp::socket silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
    o.timeout = 150ms;
    o.retry = 2;
    cares_resolver r(io.get_executor(), o);
    auto const start = std::chrono::steady_clock::now();
    auto f = boost::asio::co_spawn(io, r.query("example.com", rr_type::a), boost::asio::use_future);
    io.run();
    auto const took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(f.get().status == outcome::timeout);
    BOOST_TEST((took >= 3 * 150ms - 20ms)); // three tries...
    BOOST_TEST((took < 3 * 150ms + 400ms)); // ...and no more
    std::size_t queued = 0;
    boost::asio::socket_base::bytes_readable avail(true);
    silent.io_control(avail);
    queued = avail.get();
    BOOST_TEST(queued > 0u); // the queries did reach the socket
}

BOOST_AUTO_TEST_CASE(destroying_the_resolver_completes_pending_queries)
{
    boost::asio::io_context io;
    boost::asio::ip::udp::socket silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
    o.timeout = 10s;
    auto r = std::make_unique<cares_resolver>(io.get_executor(), o);
    auto f = boost::asio::co_spawn(io, r->query("example.com", rr_type::txt), boost::asio::use_future);
    io.run_for(50ms);
    r.reset();
    io.restart();
    io.run_for(1s);
    BOOST_REQUIRE((f.wait_for(0s) == std::future_status::ready));
    BOOST_TEST(f.get().status == outcome::timeout);
}

BOOST_AUTO_TEST_SUITE_END()
