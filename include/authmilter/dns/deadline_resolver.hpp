// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_DEADLINE_RESOLVER_HPP
#define AUTHMILTER_DNS_DEADLINE_RESOLVER_HPP

#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/detail/answer_slot.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace authmilter::dns {

/// A per-message view of a shared Resolver with a time budget and a query budget.
///
/// Created when a message's first lookup may start; every query through it must finish by
/// `deadline()`. A query asked after the deadline, or beyond `max_queries`, answers
/// outcome::timeout at once without reaching the upstream. A query still in flight at the
/// deadline answers outcome::timeout at the deadline; the upstream query itself keeps running
/// detached, so a shared cache still receives its answer for the next message. The checks turn
/// these timeouts into temperror.
///
/// Not thread-safe: one message's lookups run on one executor. The upstream must outlive the
/// queries it was given.
template<class Upstream> class deadline_resolver {
public:
    static_assert(Resolver<Upstream>, "deadline_resolver: Upstream must satisfy dns::Resolver");
    using clock = std::chrono::steady_clock;

    /// `budget` from now; `max_queries` 0 means no query budget.
    deadline_resolver(Upstream& upstream, clock::duration budget, std::size_t max_queries = 0)
        : upstream_(upstream)
        , deadline_(clock::now() + budget)
        , max_queries_(max_queries)
    {}

    boost::asio::awaitable<answer> query(std::string_view name, rr_type type)
    {
        ++queries_;
        if((max_queries_ != 0 && queries_ > max_queries_) || clock::now() >= deadline_) {
            ++refused_;
            co_return answer{outcome::timeout, {}, 0};
        }
        auto ex = co_await boost::asio::this_coro::executor;
        auto slot = std::make_shared<detail::answer_slot>();
        boost::asio::co_spawn(ex, forward(upstream_, std::string(name), type, slot), boost::asio::detached);
        boost::asio::steady_timer timer(ex, deadline_);
        timer.async_wait([slot](boost::system::error_code ec) {
            if(!ec)
                slot->complete(answer{outcome::timeout, {}, 0});
        });
        answer a = co_await slot->async_wait(boost::asio::use_awaitable);
        timer.cancel();
        if(a.status == outcome::timeout)
            ++timed_out_;
        co_return a;
    }

    clock::time_point deadline() const noexcept { return deadline_; }
    /// True once the budget is spent.
    bool expired() const noexcept { return clock::now() >= deadline_; }
    /// Time left, zero when expired.
    clock::duration remaining() const noexcept
    {
        auto const now = clock::now();
        return now >= deadline_ ? clock::duration::zero() : deadline_ - now;
    }
    /// Queries asked so far, including refused ones.
    std::size_t queries() const noexcept { return queries_; }
    /// Queries answered timeout at once (past the deadline or over the query budget).
    std::size_t refused() const noexcept { return refused_; }
    /// Queries that were sent and ended as timeout (the deadline or the upstream's own).
    std::size_t timed_out() const noexcept { return timed_out_; }

private:
    static boost::asio::awaitable<void> forward(Upstream& upstream, std::string name, rr_type type,
                                                std::shared_ptr<detail::answer_slot> slot)
    {
        answer a{outcome::servfail, {}, 0};
        try {
            a = co_await upstream.query(name, type);
        } catch(...) {
            // an upstream must not throw; the waiter still gets an answer
        }
        slot->complete(std::move(a));
    }

    Upstream& upstream_;
    clock::time_point deadline_;
    std::size_t max_queries_;
    std::size_t queries_ = 0;
    std::size_t refused_ = 0;
    std::size_t timed_out_ = 0;
};

} // namespace authmilter::dns

#endif
