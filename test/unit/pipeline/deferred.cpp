// Test that header file is self-contained.
#include <authmilter/pipeline/deferred.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using authmilter::pipeline::deferred;

namespace {

asio::awaitable<int>
slow_value(int v, std::vector<std::string>& log)
{
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await t.async_wait(asio::use_awaitable);
    log.push_back("work done");
    co_return v;
}

asio::awaitable<int>
failing()
{
    throw std::runtime_error("lookup failed");
    co_return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pipeline_deferred)

BOOST_AUTO_TEST_CASE(starts_early_and_is_awaited_later)
{
    asio::io_context io;
    std::vector<std::string> log;
    int got = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deferred<int> d;
            BOOST_TEST(!d.started());
            d.start(co_await asio::this_coro::executor, slow_value(42, log));
            log.push_back("other stages run");
            got = co_await d.get();
            log.push_back("awaited");
            // A second get() returns the same value at once.
            got += co_await d.get();
        },
        asio::detached);
    io.run();
    BOOST_TEST(got == 84);
    BOOST_TEST(log == (std::vector<std::string>{"other stages run", "work done", "awaited"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(exceptions_reach_the_awaiter)
{
    asio::io_context io;
    std::string error;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deferred<int> d;
            d.start(co_await asio::this_coro::executor, failing());
            try {
                (void)co_await d.get();
            } catch(std::runtime_error const& e) {
                error = e.what();
            }
        },
        asio::detached);
    io.run();
    BOOST_TEST(error == "lookup failed");
}

BOOST_AUTO_TEST_CASE(reset_drops_a_running_work_safely)
{
    asio::io_context io;
    std::vector<std::string> log;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deferred<int> d;
            d.start(co_await asio::this_coro::executor, slow_value(1, log));
            d.reset();
            BOOST_TEST(!d.started());
            co_return;
        },
        asio::detached);
    io.run(); // the work still completes into its own slot
    BOOST_TEST(log == (std::vector<std::string>{"work done"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
