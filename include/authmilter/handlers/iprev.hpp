// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_IPREV_HPP
#define AUTHMILTER_HANDLERS_IPREV_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/// The outcome of an iprev check (RFC 8601 §3: the reverse name must resolve back to the client).
struct iprev_outcome {
    enum class status : std::uint8_t { none, pass, fail, temperror };
    status result = status::none;
    std::vector<std::string> verified_names; ///< PTR names whose forward lookup gave the client IP
    std::vector<std::string> errors;         ///< what went wrong, in the Perl tool's wording
};

constexpr std::string_view
to_string(iprev_outcome::status s) noexcept
{
    switch(s) {
    case iprev_outcome::status::none: return "none";
    case iprev_outcome::status::pass: return "pass";
    case iprev_outcome::status::fail: return "fail";
    case iprev_outcome::status::temperror: return "temperror";
    }
    return "none";
}

namespace detail {

inline std::string
rcode_word(dns::outcome o)
{
    switch(o) {
    case dns::outcome::nxdomain: return "NXDOMAIN";
    case dns::outcome::servfail: return "SERVFAIL";
    case dns::outcome::refused: return "REFUSED";
    case dns::outcome::timeout: return "query timed out";
    case dns::outcome::malformed: return "FORMERR";
    default: return "NOERROR";
    }
}

} // namespace detail

/** Runs the iprev check: PTR of the client, then for each name (sorted) the forward lookup of
    the client's family (falling back to the other family, as the Perl tool does), matching the
    client address. At most `max_queries` DNS queries.
*/
template<class Resolver>
boost::asio::awaitable<iprev_outcome>
check_iprev(Resolver& resolver, core::ip_address const& client, std::size_t max_queries = 10)
{
    iprev_outcome out;
    std::size_t queries = 1;
    bool temporary = false;
    auto const ptr_name = client.reverse_name();
    auto const ptr = co_await resolver.query(ptr_name, dns::rr_type::ptr);
    if(ptr.status != dns::outcome::noerror && ptr.status != dns::outcome::nodata) {
        out.errors.push_back("Error " + detail::rcode_word(ptr.status) + " looking up " + ptr_name + " PTR");
        temporary = dns::is_temporary(ptr.status);
    }
    auto names = ptr.names();
    for(auto& n : names)
        if(!n.empty() && n.back() == '.')
            n.pop_back();
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if(names.empty())
        out.errors.push_back("NOT FOUND");

    auto const primary = client.is_v4() ? dns::rr_type::a : dns::rr_type::aaaa;
    auto const secondary = client.is_v4() ? dns::rr_type::aaaa : dns::rr_type::a;
    for(auto const& name : names) {
        bool matched = false;
        for(auto type : {primary, secondary}) {
            if(matched || queries >= max_queries)
                break;
            ++queries;
            auto const fwd = co_await resolver.query(name, type);
            if(fwd.status != dns::outcome::noerror && fwd.status != dns::outcome::nodata) {
                out.errors.push_back("Error " + detail::rcode_word(fwd.status) + " looking up " + name + " " +
                                     (type == dns::rr_type::a ? "A" : "AAAA"));
                temporary = temporary || dns::is_temporary(fwd.status);
            }
            for(auto const& a : fwd.addresses())
                if(a == client)
                    matched = true;
            if(fwd.status == dns::outcome::noerror)
                break; // the family answered: no fallback
        }
        if(matched)
            out.verified_names.push_back(name);
    }
    if(!out.verified_names.empty())
        out.result = iprev_outcome::status::pass;
    else if(temporary)
        out.result = iprev_outcome::status::temperror;
    else
        out.result = iprev_outcome::status::fail;
    co_return out;
}

/** IPRev: the reverse-DNS check at connect, as a connection-wide result:
    `iprev=pass smtp.remote-ip=192.0.2.1 (mail.example.com)` or
    `iprev=fail smtp.remote-ip=192.0.2.1 (NOT FOUND)`.

    Skips local and trusted clients (place LocalIP and TrustedIP before it in the chain). Where
    the Perl tool reports `fail` for a DNS timeout or SERVFAIL, this reports `temperror`, as RFC
    8601 §2.7.3 defines.
*/
struct iprev_handler {
    static constexpr std::string_view name = "IPRev";

    struct connection_state {
        iprev_outcome outcome;
    };

    boost::asio::awaitable<void> on_connect(auto& ctx, pipeline::events::connect const& ev) const
    {
        auto& txn = ctx.txn();
        if(!ev.ip || txn.trust().local || txn.trust().trusted)
            co_return;
        auto& state = ctx.connection_state();
        state.outcome = co_await check_iprev(txn.resolver(), *ev.ip);
        std::string comment;
        auto const& list = state.outcome.result == iprev_outcome::status::pass ? state.outcome.verified_names
                                                                               : state.outcome.errors;
        for(auto const& item : list)
            comment += (comment.empty() ? "" : ",") + item;
        authres::result r("iprev", std::string(to_string(state.outcome.result)));
        r.add_property("smtp", "remote-ip", ev.ip->to_string(), comment);
        ctx.add_connection_result(std::move(r));
    }
};

} // namespace authmilter::handlers

#endif
