// Test that header file is self-contained.
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/deadline_resolver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "test_print.hpp"
#include "test_upstream.hpp"

using namespace authmilter::dns;
using authmilter::test::ask;
using authmilter::test::delayed_upstream;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

BOOST_AUTO_TEST_SUITE(dns_deadline_resolver)

BOOST_AUTO_TEST_CASE(answers_within_budget_pass_through)
{
    delayed_upstream up;
    up.delay = 5ms;
    up.zone.add_txt("t.example", "hello");
    deadline_resolver<delayed_upstream> d(up, 2s);
    auto a = ask(d, "t.example", rr_type::txt);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_TEST(a.txts() == std::vector<std::string>{"hello"});
    BOOST_TEST(ask(d, "x.example", rr_type::txt).status == outcome::nxdomain);
    BOOST_TEST(d.queries() == 2u);
    BOOST_TEST(d.timed_out() == 0u);
}

BOOST_AUTO_TEST_CASE(in_flight_query_ends_at_the_deadline)
{
    delayed_upstream up;
    up.delay = 2s;
    up.zone.add_txt("slow.example", "late");
    deadline_resolver<delayed_upstream> d(up, 100ms);
    auto const start = steady::now();
    boost::asio::io_context io;
    answer got;
    steady::duration took{};
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            got = co_await d.query("slow.example", rr_type::txt);
            took = steady::now() - start;
            io.stop(); // do not wait for the abandoned upstream query
        },
        boost::asio::detached);
    io.run();
    BOOST_TEST(got.status == outcome::timeout);
    BOOST_TEST((took >= 90ms));
    BOOST_TEST((took < 1s));
    BOOST_TEST(d.timed_out() == 1u);
    BOOST_TEST(d.expired());
}

BOOST_AUTO_TEST_CASE(queries_after_the_deadline_answer_timeout_at_once)
{
    delayed_upstream up;
    up.delay = 1ms;
    up.zone.add_txt("t.example", "hello");
    deadline_resolver<delayed_upstream> d(up, 0ms);
    auto const start = steady::now();
    BOOST_TEST(ask(d, "t.example", rr_type::txt).status == outcome::timeout);
    BOOST_TEST((steady::now() - start < 50ms));
    BOOST_TEST(up.calls == 0);
    BOOST_TEST(d.refused() == 1u);
    BOOST_TEST(d.remaining().count() == 0);
}

BOOST_AUTO_TEST_CASE(query_budget)
{
    zone_resolver zone;
    zone.add_txt("t.example", "hello");
    deadline_resolver<zone_resolver> d(zone, 10s, 2);
    BOOST_TEST(ask(d, "t.example", rr_type::txt).ok());
    BOOST_TEST(ask(d, "t.example", rr_type::txt).ok());
    BOOST_TEST(ask(d, "t.example", rr_type::txt).status == outcome::timeout);
    BOOST_TEST(zone.query_count() == 2u);
    BOOST_TEST(d.refused() == 1u);
}

BOOST_AUTO_TEST_CASE(abandoned_query_still_fills_the_shared_cache)
{
    delayed_upstream up;
    up.delay = 200ms;
    up.zone.add_txt("slow.example", "late");
    caching_resolver<delayed_upstream&> shared(up);
    boost::asio::io_context io;
    answer first, second;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            deadline_resolver<caching_resolver<delayed_upstream&>> message1(shared, 20ms);
            first = co_await message1.query("slow.example", rr_type::txt);
        },
        boost::asio::detached);
    io.run(); // returns once the detached upstream query has finished too
    deadline_resolver<caching_resolver<delayed_upstream&>> message2(shared, 20ms);
    second = ask(message2, "slow.example", rr_type::txt);
    BOOST_TEST(first.status == outcome::timeout);
    BOOST_TEST(second.status == outcome::noerror);
    BOOST_TEST(second.txts() == std::vector<std::string>{"late"});
    BOOST_TEST(up.calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
