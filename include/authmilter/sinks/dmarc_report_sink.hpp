// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SINKS_DMARC_REPORT_SINK_HPP
#define AUTHMILTER_SINKS_DMARC_REPORT_SINK_HPP

#include <authmilter/dmarc/report_record.hpp>
#include <authmilter/handlers/dmarc.hpp>

#include <chrono>
#include <tuple>
#include <utility>
#include <vector>

namespace authmilter::sinks {

/** What takes DMARC report records: `c.on_report(record)` (an aggregate report store, a
    metrics counter), or `c.on_report(record, txn)` for one that needs the message too (a
    failure report: RFC 9991 sends its header fields). Optionally `c.active()`: false when the
    consumer is configured off, so that no record is built for it.
*/
template<class C>
concept dmarc_report_consumer = requires(C const& c, dmarc::report_record const& r)
{
    c.on_report(r);
};

/** A sink (for sink_set) that hands each message's DMARC report records to its consumers:
    `sink_set<authres_sink, dmarc_report_sink<jsonl_store, sql_store>>`.

    At end of message, when at least one consumer is active, the records are built once
    (handlers::dmarc_report_records(): one per evaluated From domain with a policy record) and
    given to every active consumer in order. A chain without the DMARC handler, a message DMARC
    did not evaluate, or no active consumer: nothing is built. Consumers are called on the
    front-end's thread, from const member functions: they must be thread-safe and should not
    block for long (a slow store queues).
*/
template<class... Consumers> class dmarc_report_sink {
public:
    dmarc_report_sink() = default;
    explicit dmarc_report_sink(Consumers... c)
        : consumers_(std::move(c)...)
    {}

    template<class C> C& get() noexcept { return std::get<C>(consumers_); }
    template<class C> C const& get() const noexcept { return std::get<C>(consumers_); }

    /// True when some consumer wants records.
    bool active() const noexcept
    {
        return std::apply([](auto const&... c) { return (is_active(c) || ... || false); }, consumers_);
    }

    /// Called by the front-end after the pipeline's end-of-message stage.
    template<class Transaction> void on_eom(Transaction& txn) const
    {
        if(!active())
            return;
        auto const records = handlers::dmarc_report_records(txn, std::chrono::system_clock::now());
        for(auto const& r : records)
            std::apply([&](auto const&... c) { (deliver(c, r, txn), ...); }, consumers_);
    }

private:
    template<class C> static bool is_active(C const& c) noexcept
    {
        if constexpr(requires { c.active(); })
            return c.active();
        else
            return true;
    }

    template<class C, class Transaction>
    static void deliver(C const& c, dmarc::report_record const& r, Transaction& txn)
    {
        if(!is_active(c))
            return;
        if constexpr(requires { c.on_report(r, txn); })
            c.on_report(r, txn);
        else
            c.on_report(r);
    }

    std::tuple<Consumers...> consumers_;
};

} // namespace authmilter::sinks

#endif
