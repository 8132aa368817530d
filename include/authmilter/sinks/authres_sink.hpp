// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SINKS_AUTHRES_SINK_HPP
#define AUTHMILTER_SINKS_AUTHRES_SINK_HPP

#include <authmilter/authres/format.hpp>
#include <authmilter/authres/order.hpp>
#include <authmilter/authres/result.hpp>
#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/verdict.hpp>

#include <unistd.h>

#include <compare>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace authmilter::sinks {

/** Writes the Authentication-Results header at end of message, as the Perl tool does.

    - authserv-id: `authserv_id` if set, else the MTA's `j` macro, else `{rcpt_host}`, else the
      host name.
    - results: the connection's results, then the message's, sorted by their string form
      (DMARC results among themselves: fail < none < pass, then applied disposition reject <
      quarantine < none), formatted with the configured fold style.
    - the header is inserted at index 1 (the top); a quarantine verdict adds
      `X-Disposition-Quarantine: <reason>` above it. No result at all: no header.
*/
class authres_sink {
public:
    struct options {
        std::string authserv_id;
        authres::format_options format;
    };

    authres_sink() = default;
    explicit authres_sink(options o)
        : opts_(std::move(o))
    {}

    options const& settings() const noexcept { return opts_; }

    /// The authserv-id this sink would write for `txn`.
    template<class Transaction> std::string authserv_id(Transaction const& txn) const
    {
        if(!opts_.authserv_id.empty())
            return opts_.authserv_id;
        if(auto j = txn.macro("j"); j && !j->empty())
            return std::string(*j);
        if(auto h = txn.macro("{rcpt_host}"); h && !h->empty())
            return std::string(*h);
        char name[256] = {};
        if(::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0')
            return name;
        return "localhost";
    }

    /// The header body (without field name) for `txn`, or empty when there is no result.
    template<class Transaction> std::string header_value(Transaction const& txn) const
    {
        authres::header h(authserv_id(txn));
        h.results = txn.connection_results();
        h.results.insert(h.results.end(), txn.results().begin(), txn.results().end());
        if(h.results.empty())
            return {};
        authres::sort_results(h.results, dmarc_order);
        return authres::format(h, opts_.format).text;
    }

    /// Called by the front-end after the pipeline's end-of-message stage.
    template<class Transaction> void on_eom(Transaction& txn) const
    {
        auto value = header_value(txn);
        if(!value.empty())
            txn.edits().push_back(
                pipeline::header_edit::insert(1, "Authentication-Results", std::move(value)));
        if(txn.verdict().what == pipeline::verdict::action::quarantine)
            txn.edits().push_back(
                pipeline::header_edit::insert(1, "X-Disposition-Quarantine", txn.verdict().text));
    }

    /// The Perl DMARC handler's own ordering of its entries.
    static std::weak_ordering dmarc_order(authres::result const& a, authres::result const& b)
    {
        if(a.method != "dmarc")
            return std::weak_ordering::equivalent;
        auto rank_result = [](std::string_view v) {
            return v == "fail" ? 0 : v == "none" ? 1 : v == "pass" ? 2 : 3;
        };
        auto rank_disposition = [](authres::result const& r) {
            auto const* p = r.find_property("policy", "applied-disposition");
            std::string_view const v = p != nullptr ? std::string_view(p->value) : std::string_view();
            return v == "reject" ? 0 : v == "quarantine" ? 1 : v == "none" ? 2 : 3;
        };
        if(auto c = rank_result(a.value) <=> rank_result(b.value); c != 0)
            return c;
        return rank_disposition(a) <=> rank_disposition(b);
    }

private:
    options opts_;
};

/// A set of sinks, called in order at end of message: `sink_set<authres_sink, metrics_sink>`.
template<class... Sinks> class sink_set {
public:
    sink_set() = default;
    explicit sink_set(Sinks... s)
        : sinks_(std::move(s)...)
    {}

    template<class Sink> Sink& get() noexcept { return std::get<Sink>(sinks_); }
    template<class Sink> Sink const& get() const noexcept { return std::get<Sink>(sinks_); }

    template<class Transaction> void on_eom(Transaction& txn) const
    {
        std::apply([&](auto const&... s) { (s.on_eom(txn), ...); }, sinks_);
    }

private:
    std::tuple<Sinks...> sinks_;
};

} // namespace authmilter::sinks

#endif
