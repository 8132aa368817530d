// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_AUTHRES_HPP
#define AUTHMILTER_DMARC_AUTHRES_HPP

#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dmarc {

/// One piece of an Authentication-Results resinfo after `dmarc=<result>`: a `ptype.property=value`
/// or a `(comment)`, kept in output order. Plain data, so the A-R formatter can fold and quote it.
struct authres_item {
    enum class kind { property, comment };
    kind type = kind::property;
    std::string key{};   ///< `policy.published-domain-policy`; empty for comments
    std::string value{}; ///< the value, or the comment text without parentheses
    friend bool operator==(authres_item const&, authres_item const&) = default;
};

/// The `dmarc=` resinfo as the Perl Authentication Milter writes it.
struct authres_entry {
    std::string method = "dmarc";
    std::string result{};
    std::vector<authres_item> items{};

    /// Single-line text: `dmarc=pass policy.published-domain-policy=none ... header.from=x`.
    std::string to_string() const
    {
        std::string out = method + "=" + result;
        for(auto const& i : items) {
            out += ' ';
            if(i.type == authres_item::kind::comment)
                out += "(" + i.value + ")";
            else
                out += i.key + "=" + i.value;
        }
        return out;
    }
};

/// Facts the handler adds to the entry.
struct authres_options {
    bool is_list = false;           ///< the message has List-Id/List-Post (the `has-list-id=yes` flag)
    bool detect_list_id = true;     ///< the Perl tool's `detect_list_id`
    std::string arc_aware_result{}; ///< `policy.arc-aware-result` when ARC re-evaluation ran
    /// `policy.<name>=<label>` entries (the Perl tool's policy_rbl_lookup), written first.
    std::vector<std::pair<std::string, std::string>> policy_labels{};
};

/// Renders a result in the Perl tool's order: `[policy.<rbl>=..]
/// policy.published-domain-policy [policy.published-subdomain-policy] policy.applied-disposition
/// policy.evaluated-disposition [policy.override-reason] [policy.arc-aware-result]
/// (p=..[,sp=..][,has-list-id=yes],d=..,d.eval=..[,override=..][,arc_aware_result=..])
/// policy.policy-from header.from`. An invalid From domain and several DMARC records give the
/// Perl tool's short permerror forms, a DNS failure `dmarc=temperror (...) header.from=`.
/// The dispositions are left out when no policy applied (result none): the Perl tool has none
/// to show there.
inline authres_entry
to_authres(result const& r, authres_options const& opt = {})
{
    authres_entry e;
    e.result = std::string(to_string(r.value));
    auto prop = [&](std::string key, std::string_view value) {
        e.items.push_back({authres_item::kind::property, std::move(key), std::string(value)});
    };
    auto comment = [&](std::string text) {
        e.items.push_back({authres_item::kind::comment, {}, std::move(text)});
    };
    if(r.problem == discovery_problem::invalid_domain || r.problem == discovery_problem::dns_error ||
       (r.value == status::permerror && r.problem == discovery_problem::multiple_records)) {
        comment(std::string(to_string(r.problem)));
        prop("header.from", r.from_domain);
        return e;
    }
    for(auto const& [name, label] : opt.policy_labels)
        prop("policy." + name, label);
    std::vector<std::string> comments{};
    auto const p = to_string(r.published_p);
    prop("policy.published-domain-policy", p);
    comments.push_back("p=" + std::string(p));
    if(r.published_sp) {
        prop("policy.published-subdomain-policy", to_string(*r.published_sp));
        comments.push_back("sp=" + std::string(to_string(*r.published_sp)));
    }
    if(opt.detect_list_id && opt.is_list)
        comments.push_back("has-list-id=yes");
    bool const have_policy = r.published.has_value() && r.value != status::none;
    if(have_policy) {
        prop("policy.applied-disposition", to_string(r.applied));
        comments.push_back("d=" + std::string(to_string(r.applied)));
        prop("policy.evaluated-disposition", to_string(r.evaluated));
        comments.push_back("d.eval=" + std::string(to_string(r.evaluated)));
        if(auto const why = r.last_override(); why != override_reason::none) {
            prop("policy.override-reason", to_string(why));
            comments.push_back("override=" + std::string(to_string(why)));
        }
    }
    if(!opt.arc_aware_result.empty()) {
        prop("policy.arc-aware-result", opt.arc_aware_result);
        comments.push_back("arc_aware_result=" + opt.arc_aware_result);
    }
    std::string joined{};
    for(auto const& c : comments)
        joined += (joined.empty() ? "" : ",") + c;
    comment(std::move(joined));
    prop("policy.policy-from", to_string(r.source));
    prop("header.from", r.from_domain);
    return e;
}

} // namespace authmilter::dmarc

#endif
