// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_REPORT_RECORD_HPP
#define AUTHMILTER_DMARC_REPORT_RECORD_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <optional>
#include <string>
#include <vector>

namespace authmilter::dmarc {

/// The policy_published part of an aggregate report (RFC 9990 / RFC 7489 Appendix C).
struct published_policy {
    std::string domain{}; ///< the domain the record was found at
    alignment_mode adkim = alignment_mode::relaxed;
    alignment_mode aspf = alignment_mode::relaxed;
    policy p = policy::none;
    std::optional<policy> sp{}, np{};
    bool testing = false;                  ///< RFC 9990 <testing>: t=y
    spec discovery_method = spec::rfc9989; ///< RFC 9990 <discovery_method>: treewalk or psl
    std::optional<unsigned> pct{};         ///< RFC 7489 only
    std::string fo{};                      ///< as published; empty when absent
};

/// One message's row of an aggregate report: what the report store keeps per message and
/// groups into rows. Built by make_report_record() from a result and the envelope facts DMARC
/// itself does not see.
struct report_record {
    std::optional<core::ip_address> source_ip{};
    std::string header_from{};
    std::string envelope_from{}; ///< RFC5321.MailFrom domain (empty for the null reverse-path)
    std::string envelope_to{};   ///< RFC5321.RcptTo domain (optional in reports)

    published_policy policy_published;

    // policy_evaluated
    disposition applied = disposition::none;
    auth_result dkim = auth_result::fail; ///< pass when an aligned DKIM signature passed
    auth_result spf = auth_result::fail;  ///< pass when an aligned SPF identifier passed
    std::vector<result::reason> reasons{};

    status dmarc = status::none;
    std::vector<dkim_input> dkim_results{}; ///< auth_results/dkim: every signature
    std::vector<spf_input> spf_results{};   ///< auth_results/spf
};

/// Builds the report row; nullopt when the result carries no usable policy record (no report
/// is due: RFC 9989 4.7 rua= is what requests one, and it comes with the record).
inline std::optional<report_record>
make_report_record(result const& r, std::optional<core::ip_address> source_ip, std::string envelope_from,
                   std::string envelope_to = {})
{
    if(!r.published || r.policy_domain.empty())
        return std::nullopt;
    report_record out;
    out.source_ip = std::move(source_ip);
    out.header_from = r.from_domain;
    out.envelope_from = std::move(envelope_from);
    out.envelope_to = std::move(envelope_to);
    auto& pp = out.policy_published;
    pp.domain = r.policy_domain;
    pp.adkim = r.adkim;
    pp.aspf = r.aspf;
    pp.p = r.published_p;
    pp.sp = r.published_sp;
    pp.np = r.published_np;
    pp.testing = r.published->testing();
    pp.discovery_method = r.evaluated_with;
    if(r.evaluated_with == spec::rfc7489)
        pp.pct = r.published->pct_or_default();
    if(r.published->fo)
        pp.fo = r.published->fo->text;
    out.applied = r.applied;
    out.dkim = r.dkim_verdict();
    out.spf = r.spf_verdict();
    out.reasons = r.reasons;
    out.dmarc = r.value;
    for(auto const& d : r.dkim)
        out.dkim_results.push_back(d.input);
    for(auto const& s : r.spf)
        out.spf_results.push_back(s.input);
    return out;
}

} // namespace authmilter::dmarc

#endif
