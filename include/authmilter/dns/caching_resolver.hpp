// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_CACHING_RESOLVER_HPP
#define AUTHMILTER_DNS_CACHING_RESOLVER_HPP

#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/detail/answer_slot.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace authmilter::dns {

/// Cache policy of a caching_resolver.
struct cache_options {
    /// Positive answers are kept for their TTL raised to at least this...
    std::chrono::seconds min_ttl{0};
    /// ...and cut to at most this.
    std::chrono::seconds max_ttl{std::chrono::hours(24)};
    /// NXDOMAIN and NODATA are kept for their SOA-derived TTL (RFC 2308 section 5) cut to this.
    /// An answer without one (TTL 0) is not cached, as RFC 2308 asks.
    std::chrono::seconds max_negative_ttl{std::chrono::hours(1)};
    /// SERVFAIL, REFUSED, timeout and malformed answers are kept this long, so that a dead
    /// server is not hammered by every message, yet recovers quickly. Zero disables it.
    std::chrono::seconds error_ttl{5};
    /// At most this many answers are kept; the least recently used goes first.
    std::size_t max_entries = 100000;
};

/// A snapshot of a caching_resolver's counters, for metrics.
struct cache_stats {
    /// Upper bounds (microseconds) of the upstream latency histogram buckets; the last bucket of
    /// `latency_buckets` counts everything above the last bound.
    static constexpr std::array<std::uint64_t, 14> latency_bounds_us = {
        100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000};

    std::uint64_t hits = 0;                  ///< answered from the cache
    std::uint64_t misses = 0;                ///< sent upstream (one per upstream query)
    std::uint64_t coalesced = 0;             ///< joined a query already in flight
    std::uint64_t evictions = 0;             ///< removed to respect max_entries
    std::uint64_t expirations = 0;           ///< found expired and dropped
    std::uint64_t timeouts = 0;              ///< upstream answers that were timeouts
    std::array<std::uint64_t, 7> outcomes{}; ///< upstream answers by dns::outcome value
    std::array<std::uint64_t, latency_bounds_us.size() + 1> latency_buckets{}; ///< upstream latency
    std::uint64_t latency_sum_us = 0;                                          ///< sum of upstream latencies
    std::size_t entries = 0;                                                   ///< answers held now
    std::size_t in_flight = 0; ///< upstream queries running now

    /// The count for one outcome.
    std::uint64_t count(outcome o) const noexcept { return outcomes[static_cast<std::size_t>(o)]; }
};

/// A Resolver that caches another one's answers and coalesces concurrent identical queries.
///
/// One instance is meant to be shared by every connection and thread: the map is guarded by a
/// mutex that is never held across a suspension. The first query for a name and type starts one
/// upstream query; every query for the same name and type arriving while it runs waits for that
/// answer instead of asking again, each waiter resumed on its own executor. The upstream query
/// runs as its own coroutine on the first asker's executor, so an asker that gives up (a
/// per-message deadline) does not cancel it for the others, and its answer still fills the cache.
///
/// `Upstream` may be a reference type (`caching_resolver<cares_resolver&>`) to share an upstream
/// owned elsewhere. `Clock` supplies `now()`; tests inject a fake one. The resolver and its
/// upstream must outlive the queries in flight, and the first asker's executor must keep running
/// until its upstream query completes (the waiters on other executors depend on it).
template<class Upstream, class Clock = std::chrono::steady_clock> class caching_resolver {
public:
    using upstream_type = std::remove_reference_t<Upstream>;
    static_assert(Resolver<upstream_type>, "caching_resolver: Upstream must satisfy dns::Resolver");

    /// Wraps `upstream` (moved in, or referred to when Upstream is a reference type).
    template<class U>
    explicit caching_resolver(U&& upstream, cache_options options = {})
        : upstream_(std::forward<U>(upstream))
        , options_(options)
    {}

    caching_resolver(caching_resolver const&) = delete;
    caching_resolver& operator=(caching_resolver const&) = delete;

    /// Answers from the cache, from a query in flight, or by asking the upstream.
    boost::asio::awaitable<answer> query(std::string_view name, rr_type type)
    {
        std::string key = make_key(name, type);
        auto const now = Clock::now();
        std::shared_ptr<detail::answer_slot> slot;
        bool leader = false;
        {
            std::lock_guard lock(mutex_);
            if(auto it = entries_.find(key); it != entries_.end()) {
                if(now < it->second.expires) {
                    ++counters_.hits;
                    lru_.splice(lru_.begin(), lru_, it->second.lru);
                    answer a = it->second.value;
                    a.ttl = remaining_seconds(it->second.expires - now);
                    co_return a;
                }
                ++counters_.expirations;
                lru_.erase(it->second.lru);
                entries_.erase(it);
            }
            if(auto f = flights_.find(key); f != flights_.end()) {
                ++counters_.coalesced;
                slot = f->second;
            } else {
                ++counters_.misses;
                slot = std::make_shared<detail::answer_slot>();
                flights_.emplace(key, slot);
                leader = true;
            }
        }
        if(leader) {
            auto ex = co_await boost::asio::this_coro::executor;
            boost::asio::co_spawn(ex, fetch(std::string(name), type, std::move(key), slot),
                                  boost::asio::detached);
        }
        co_return co_await slot->async_wait(boost::asio::use_awaitable);
    }

    /// The counters so far.
    cache_stats stats() const
    {
        std::lock_guard lock(mutex_);
        cache_stats s = counters_;
        s.entries = entries_.size();
        s.in_flight = flights_.size();
        return s;
    }

    /// Number of answers held.
    std::size_t size() const
    {
        std::lock_guard lock(mutex_);
        return entries_.size();
    }

    /// Drops every cached answer (queries in flight still complete).
    void clear()
    {
        std::lock_guard lock(mutex_);
        entries_.clear();
        lru_.clear();
    }

    cache_options const& options() const noexcept { return options_; }
    upstream_type& upstream() noexcept { return upstream_; }

private:
    using time_point = typename Clock::time_point;

    struct entry {
        answer value;
        time_point expires;
        std::list<std::string>::iterator lru;
    };

    static std::string make_key(std::string_view name, rr_type type)
    {
        std::string key;
        key.reserve(name.size() + 2);
        auto const t = static_cast<std::uint16_t>(type);
        key.push_back(static_cast<char>(t >> 8));
        key.push_back(static_cast<char>(t & 0xff));
        if(!name.empty() && name.back() == '.')
            name.remove_suffix(1);
        for(char c : name)
            key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        return key;
    }

    template<class Duration> static std::uint32_t remaining_seconds(Duration d)
    {
        auto const s = std::chrono::ceil<std::chrono::seconds>(d).count();
        return s <= 0 ? 0u : static_cast<std::uint32_t>(s);
    }

    /// How long `a` may be kept, per the options.
    std::chrono::seconds lifetime(answer const& a) const
    {
        using std::chrono::seconds;
        switch(a.status) {
        case outcome::noerror: {
            seconds t(a.ttl);
            if(t < options_.min_ttl)
                t = options_.min_ttl;
            if(t > options_.max_ttl)
                t = options_.max_ttl;
            return t;
        }
        case outcome::nxdomain:
        case outcome::nodata: {
            seconds t(a.ttl);
            return t > options_.max_negative_ttl ? options_.max_negative_ttl : t;
        }
        default: return options_.error_ttl;
        }
    }

    void record_latency(typename Clock::duration d)
    {
        auto const us = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
        std::size_t b = 0;
        while(b < cache_stats::latency_bounds_us.size() && us > cache_stats::latency_bounds_us[b])
            ++b;
        ++counters_.latency_buckets[b];
        counters_.latency_sum_us += us;
    }

    boost::asio::awaitable<void> fetch(std::string name, rr_type type, std::string key,
                                       std::shared_ptr<detail::answer_slot> slot)
    {
        auto const start = Clock::now();
        answer a;
        try {
            a = co_await upstream_.query(name, type);
        } catch(...) {
            a = answer{outcome::servfail, {}, 0}; // an upstream must not throw; never strand the waiters
        }
        auto const end = Clock::now();
        auto const keep = lifetime(a);
        {
            std::lock_guard lock(mutex_);
            record_latency(end - start);
            ++counters_.outcomes[static_cast<std::size_t>(a.status)];
            if(a.status == outcome::timeout)
                ++counters_.timeouts;
            flights_.erase(key);
            if(keep.count() > 0 && options_.max_entries > 0)
                store(std::move(key), a, end + std::chrono::duration_cast<typename Clock::duration>(keep));
        }
        slot->complete(std::move(a));
    }

    void store(std::string key, answer const& a, time_point expires)
    {
        if(auto it = entries_.find(key); it != entries_.end()) {
            it->second.value = a;
            it->second.expires = expires;
            lru_.splice(lru_.begin(), lru_, it->second.lru);
            return;
        }
        while(entries_.size() >= options_.max_entries && !lru_.empty()) {
            entries_.erase(lru_.back());
            lru_.pop_back();
            ++counters_.evictions;
        }
        lru_.push_front(key);
        entries_.emplace(std::move(key), entry{a, expires, lru_.begin()});
    }

    Upstream upstream_;
    cache_options options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> lru_; ///< most recently used first
    std::unordered_map<std::string, std::shared_ptr<detail::answer_slot>> flights_;
    cache_stats counters_;
};

} // namespace authmilter::dns

#endif
