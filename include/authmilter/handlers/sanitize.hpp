// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_SANITIZE_HPP
#define AUTHMILTER_HANDLERS_SANITIZE_HPP

#include <authmilter/authres/parse.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/** Sanitize: removes Authentication-Results headers (and the configured similar ones) that claim
    to come from us, so that nobody upstream can forge our verdicts.

    A header is removed when its authserv-id is our authserv-id, lies within the parent domain of
    our host name, or equals or ends with one of `hosts_to_remove` (case-insensitive); a header that
    does not parse is always removed. `X-Disposition-Quarantine` is always removed (silently).
    Removal happens at end of message, highest index first. Unless `remove_headers` is "silent",
    each removed header is kept as an appended `X-Received-<Name>: (Received <Name> header removed
    by <host>)` field with the old value. Trusted clients keep their headers; `remove_headers`
    "no" turns the handler off.

    Config: `hosts_to_remove` [], `remove_headers` yes|no|silent (default yes),
    `extra_auth_results_types` [X-Authentication-Results].
*/
struct sanitize_handler {
    static constexpr std::string_view name = "Sanitize";
    static constexpr std::string_view help =
        "Sanitize: removes Authentication-Results headers that claim our authserv-id or a listed host.";
    static constexpr std::string_view default_config =
        R"({ "hosts_to_remove": ["example.com", "example.net"], "remove_headers": "yes",
  "extra_auth_results_types": ["X-Authentication-Results"] })";

    std::vector<std::string> hosts_to_remove;
    std::string remove_headers = "yes";
    std::vector<std::string> extra_auth_results_types{"X-Authentication-Results"};
    std::string authserv_id; ///< the global `authserv_id`, set by the daemon (empty = the host name)

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        hosts_to_remove = detail::read_string_list(o, "hosts_to_remove");
        if(auto const* r = o.if_contains("remove_headers"); r && !r->is_null()) {
            if(!r->is_string() ||
               (r->as_string() != "yes" && r->as_string() != "no" && r->as_string() != "silent"))
                throw std::invalid_argument("remove_headers: expected yes, no or silent");
            remove_headers = std::string(r->as_string());
        }
        if(o.contains("extra_auth_results_types"))
            extra_auth_results_types = detail::read_string_list(o, "extra_auth_results_types");
    }

    /// Called by the daemon with the global `authserv_id`.
    void set_authserv_id(std::string id) { authserv_id = std::move(id); }

    struct removal {
        std::string name;
        std::uint32_t index = 0; ///< 1-based among fields of that name
        std::string value;
        bool silent = false;
    };
    struct state {
        std::vector<removal> removals;
        std::vector<std::pair<std::string, std::uint32_t>> seen; ///< field name (lower) -> count
    };

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const { ctx.state() = {}; }

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        auto& st = ctx.state();
        auto const index = count(st, ev.field.name);
        if(remove_headers == "no" || ctx.txn().trust().trusted)
            return;
        if(ev.field.is("X-Disposition-Quarantine")) {
            st.removals.push_back({ev.field.name, index, ev.field.raw_value, true});
            return;
        }
        if(!is_auth_results(ev.field.name))
            return;
        auto const parsed = authres::parse(ev.field.unfolded());
        if(!parsed || claims_us(ctx.txn(), parsed->authserv_id))
            st.removals.push_back(
                {ev.field.name, index, ev.field.raw_value, remove_headers == "silent" && parsed});
    }

    void on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        auto removals = ctx.state().removals;
        // Highest index first, so that earlier indexes stay valid.
        std::stable_sort(removals.begin(), removals.end(),
                         [](removal const& a, removal const& b) { return a.index > b.index; });
        std::string const host = detail::my_hostname(ctx.txn());
        for(auto const& r : removals) {
            ctx.add_edit(pipeline::header_edit::remove(r.name, r.index));
            if(!r.silent) {
                std::string value = r.value;
                if(value.starts_with(' '))
                    value.erase(0, 1);
                ctx.add_edit(pipeline::header_edit::add("X-Received-" + r.name,
                                                        "(Received " + r.name + " header removed by " + host +
                                                            ")\n    " + value));
            }
        }
    }

private:
    static std::uint32_t count(state& st, std::string const& name)
    {
        std::string lower = name;
        for(auto& c : lower)
            if(c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        for(auto& [n, k] : st.seen)
            if(n == lower)
                return ++k;
        st.seen.emplace_back(lower, 1);
        return 1;
    }

    bool is_auth_results(std::string_view field) const
    {
        if(core::iequals(field, "Authentication-Results"))
            return true;
        for(auto const& t : extra_auth_results_types)
            if(core::iequals(field, t))
                return true;
        return false;
    }

    static bool ends_with_host(std::string_view id, std::string_view host)
    {
        if(host.empty() || id.size() < host.size())
            return false;
        auto const tail = id.substr(id.size() - host.size());
        if(!core::iequals(tail, host))
            return false;
        return id.size() == host.size() || id[id.size() - host.size() - 1] == '.';
    }

    template<class Transaction> bool claims_us(Transaction const& txn, std::string_view id) const
    {
        std::string const host = detail::my_hostname(txn);
        std::string const ours = authserv_id.empty() ? host : authserv_id;
        if(core::iequals(id, ours))
            return true;
        for(auto const& h : hosts_to_remove)
            if(ends_with_host(id, h))
                return true;
        // Within the parent domain of our host name: mx1.example.com protects *.example.com.
        auto const dot = host.find('.');
        if(dot != std::string::npos && host.find('.', dot + 1) != std::string::npos &&
           ends_with_host(id, std::string_view(host).substr(dot + 1)))
            return true;
        return false;
    }
};

} // namespace authmilter::handlers

#endif
