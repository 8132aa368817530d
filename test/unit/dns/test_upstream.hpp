// Test upstreams for the DNS wrappers: a zone answered after an Asio timer, so that queries truly
// overlap, counting what reaches it.
#ifndef AUTHMILTER_TEST_UNIT_DNS_TEST_UPSTREAM_HPP
#define AUTHMILTER_TEST_UNIT_DNS_TEST_UPSTREAM_HPP

#include <authmilter/dns/zone_resolver.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

namespace authmilter::test {

/// Answers from `zone` after `delay`, counting the queries it receives.
struct delayed_upstream {
    dns::zone_resolver zone;
    std::chrono::milliseconds delay{20};
    std::atomic<int> calls{0};

    boost::asio::awaitable<dns::answer> query(std::string_view name, dns::rr_type type)
    {
        ++calls;
        std::string const n(name);
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
        co_await timer.async_wait(boost::asio::use_awaitable);
        co_return zone.lookup(n, type);
    }
};

/// Runs one query to completion on a fresh io_context.
template<class R>
dns::answer
ask(R& r, std::string_view name, dns::rr_type type)
{
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(io, r.query(name, type), boost::asio::use_future);
    io.run();
    return f.get();
}

} // namespace authmilter::test

#endif
