// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_REPORT_JSON_HPP
#define AUTHMILTER_DMARC_REPORT_JSON_HPP

#include <authmilter/dmarc/report_record.hpp>
#include <authmilter/dmarc/report_uri.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace authmilter::dmarc {

namespace detail {

inline boost::json::array
uris_to_json(std::vector<report_uri> const& uris, boost::json::storage_ptr const& sp)
{
    boost::json::array out(sp);
    out.reserve(uris.size());
    for(auto const& u : uris) {
        boost::json::object o(3, sp);
        o["uri"] = u.text;
        if(u.max_size)
            o["max_size"] = *u.max_size;
        o["supported"] = u.supported;
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace detail

/** A report record as one JSON object. The RFC 9990 parts keep the aggregate report's element
    names and words (`identifiers`, `policy_published`, `policy_evaluated`, `auth_results`; `r`/`s`,
    `treewalk`/`psl`, `y`/`n`), so a report store can group rows without translating; what
    RFC 9990 does not have is under `evaluation`. Optional elements that are absent are left out.

    @code
    {"time":1764676800,"queue_id":"4AbC","source_ip":"192.0.2.1",
     "identifiers":{"header_from":"example.com","envelope_from":"example.com","envelope_to":"example.net"},
     "helo":"mail.example.com",
     "policy_published":{"domain":"example.com","p":"reject","adkim":"r","aspf":"r",
                         "discovery_method":"treewalk","testing":"n","psd":"u","rua":[...],"ruf":[]},
     "policy_evaluated":{"disposition":"pass","dkim":"pass","spf":"fail","reason":[]},
     "auth_results":{"dkim":[{"domain":"example.com","selector":"s1","result":"pass","aligned":"strict"}],
                     "spf":[{"domain":"example.com","scope":"mfrom","result":"fail","aligned":"none"}]},
     "evaluation":{"result":"pass","spec":"rfc9989","applied_disposition":"none",...}}
    @endcode
*/
inline boost::json::object
to_json(report_record const& r, boost::json::storage_ptr sp = {})
{
    using boost::json::array;
    using boost::json::object;

    object out(10, sp);
    out["time"] = static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(r.time.time_since_epoch()).count());
    if(!r.queue_id.empty())
        out["queue_id"] = std::string_view(r.queue_id);
    if(r.source_ip)
        out["source_ip"] = std::string_view(r.source_ip->to_string());

    object ids(3, sp);
    ids["header_from"] = std::string_view(r.header_from);
    if(!r.envelope_from.empty())
        ids["envelope_from"] = std::string_view(r.envelope_from);
    if(!r.envelope_to.empty())
        ids["envelope_to"] = std::string_view(r.envelope_to);
    out["identifiers"] = std::move(ids);
    if(!r.helo.empty())
        out["helo"] = std::string_view(r.helo);

    auto const& pp = r.policy_published;
    object pub(14, sp);
    pub["domain"] = std::string_view(pp.domain);
    pub["p"] = std::string_view(to_string(pp.p));
    if(pp.sp)
        pub["sp"] = std::string_view(to_string(*pp.sp));
    if(pp.np)
        pub["np"] = std::string_view(to_string(*pp.np));
    pub["adkim"] = std::string_view(to_string(pp.adkim));
    pub["aspf"] = std::string_view(to_string(pp.aspf));
    pub["discovery_method"] = pp.discovery_method == spec::rfc7489 ? "psl" : "treewalk";
    if(!pp.fo.empty())
        pub["fo"] = std::string_view(pp.fo);
    pub["testing"] = pp.testing ? "y" : "n";
    if(pp.pct)
        pub["pct"] = *pp.pct;
    pub["psd"] = std::string_view(to_string(pp.psd));
    pub["rua"] = detail::uris_to_json(pp.rua, sp);
    pub["ruf"] = detail::uris_to_json(pp.ruf, sp);
    out["policy_published"] = std::move(pub);

    object eval(4, sp);
    eval["disposition"] = std::string_view(r.reported_disposition());
    eval["dkim"] = std::string_view(to_string(r.dkim));
    eval["spf"] = std::string_view(to_string(r.spf));
    array reasons(sp);
    reasons.reserve(r.reasons.size());
    for(auto const& why : r.reasons) {
        object o(2, sp);
        o["type"] = std::string_view(to_string(why.type));
        if(!why.comment.empty())
            o["comment"] = std::string_view(why.comment);
        reasons.push_back(std::move(o));
    }
    eval["reason"] = std::move(reasons);
    out["policy_evaluated"] = std::move(eval);

    object auth(2, sp);
    array dkim(sp);
    dkim.reserve(r.dkim_results.size());
    for(auto const& d : r.dkim_results) {
        object o(5, sp);
        o["domain"] = std::string_view(d.input.domain);
        o["selector"] = std::string_view(d.input.selector);
        o["result"] = std::string_view(to_string(d.input.result));
        if(!d.input.human_result.empty())
            o["human_result"] = std::string_view(d.input.human_result);
        o["aligned"] = std::string_view(to_string(d.aligned));
        dkim.push_back(std::move(o));
    }
    auth["dkim"] = std::move(dkim);
    array spf(sp);
    spf.reserve(r.spf_results.size());
    for(auto const& s : r.spf_results) {
        object o(5, sp);
        o["domain"] = std::string_view(s.input.domain);
        o["scope"] = s.input.scope == spf_scope::helo ? "helo" : "mfrom";
        o["result"] = std::string_view(to_string(s.input.result));
        if(!s.input.human_result.empty())
            o["human_result"] = std::string_view(s.input.human_result);
        o["aligned"] = std::string_view(to_string(s.aligned));
        spf.push_back(std::move(o));
    }
    auth["spf"] = std::move(spf);
    out["auth_results"] = std::move(auth);

    object ev(13, sp);
    ev["result"] = std::string_view(to_string(r.dmarc));
    ev["spec"] = pp.discovery_method == spec::rfc7489 ? "rfc7489" : "rfc9989";
    ev["applied_disposition"] = std::string_view(to_string(r.applied));
    ev["evaluated_disposition"] = std::string_view(to_string(r.evaluated));
    ev["requested_policy"] = std::string_view(to_string(r.requested));
    ev["policy_from"] = std::string_view(to_string(r.policy_from));
    ev["org_domain"] = std::string_view(r.org_domain);
    ev["is_subdomain"] = r.is_subdomain;
    ev["is_list"] = r.is_list;
    ev["allow_listed"] = r.allow_listed;
    ev["rejected"] = r.rejected;
    ev["report_requested"] = r.report_requested;
    if(r.shadow) {
        object sh(6, sp);
        sh["spec"] = r.shadow->evaluated_with == spec::rfc7489 ? "rfc7489" : "rfc9989";
        sh["result"] = std::string_view(to_string(r.shadow->value));
        sh["policy_domain"] = std::string_view(r.shadow->policy_domain);
        sh["org_domain"] = std::string_view(r.shadow->org_domain);
        sh["evaluated_disposition"] = std::string_view(to_string(r.shadow->evaluated));
        sh["differs"] = r.shadow->differs;
        ev["shadow"] = std::move(sh);
    }
    out["evaluation"] = std::move(ev);
    return out;
}

} // namespace authmilter::dmarc

#endif
