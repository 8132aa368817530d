// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_REPORT_RECORD_HPP
#define AUTHMILTER_DMARC_REPORT_RECORD_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dmarc/report_uri.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc {

/// The policy_published part of an aggregate report (RFC 9990 PolicyPublishedType, RFC 7489
/// Appendix C), plus where the reports go.
struct published_policy {
    std::string domain{}; ///< the domain the record was found at
    alignment_mode adkim = alignment_mode::relaxed;
    alignment_mode aspf = alignment_mode::relaxed;
    policy p = policy::none;
    std::optional<policy> sp{}, np{};
    /// psd= as published (RFC 9989 4.7): a PSD operator's record; not an RFC 9990 element, but
    /// what a PSD report needs.
    psd_flag psd = psd_flag::u;
    bool testing = false;                  ///< RFC 9990 <testing>: t=y
    spec discovery_method = spec::rfc9989; ///< RFC 9990 <discovery_method>: treewalk or psl
    std::optional<unsigned> pct{};         ///< RFC 7489 only
    std::string fo{};                      ///< as published; empty when absent
    /// rua= / ruf= as parsed (unsupported schemes included, `supported` says which count):
    /// where the report store sends the aggregate and failure reports.
    std::vector<report_uri> rua{}, ruf{};
};

/** One message's row of an aggregate report, and what a failure report or a metrics sink
    needs about the evaluation: everything RFC 9990 asks per record (source_ip, identifiers,
    policy_evaluated with every override reason, auth_results with domains, selectors, scopes and
    human results) and per report (policy_published), plus the receiver-side facts the Perl tool
    records (requested policy and its tag, evaluated disposition, organizational domain, list and
    allow-list flags, shadow evaluation).

    Built by make_report_record() from a result; the DMARC handler adds the envelope and
    connection facts (handlers::dmarc_report_records()). One record per evaluated From domain;
    a row's `count` is always 1 (the report store groups them).
*/
struct report_record {
    /// When the message was evaluated: what the report's date_range is made of.
    std::chrono::system_clock::time_point time{};
    std::string queue_id{}; ///< the MTA's queue id (macro `i`), to find the message in the logs
    std::optional<core::ip_address> source_ip{};
    std::string header_from{};   ///< RFC5322.From domain (A-labels)
    std::string envelope_from{}; ///< RFC5321.MailFrom domain (empty for the null reverse-path)
    std::string envelope_to{};   ///< RFC5321.RcptTo domain of the last recipient (optional in reports)
    /// The HELO/EHLO name: RFC 7489 Appendix C reports it as envelope_from for the null sender.
    std::string helo{};

    published_policy policy_published;

    // policy_evaluated
    disposition applied = disposition::none;   ///< after local policy (the Perl tool's `d`)
    disposition evaluated = disposition::none; ///< DMARC's own answer (`d.eval`)
    auth_result dkim = auth_result::fail;      ///< pass when an aligned DKIM signature passed
    auth_result spf = auth_result::fail;       ///< pass when an aligned SPF identifier passed
    std::vector<result::reason> reasons{};     ///< every override, oldest first

    status dmarc = status::none;
    policy requested = policy::none;              ///< the policy the record asks for this message
    policy_source policy_from = policy_source::p; ///< which tag it came from (p, sp, np)
    std::string org_domain{};                     ///< the From domain's organizational domain
    bool is_subdomain = false;                    ///< the From domain is below its organizational domain
    bool is_list = false;                         ///< List-Id / List-Post present
    bool allow_listed = false;                    ///< the handler's `whitelisted` list matched
    bool rejected = false;                        ///< this evaluation made the message be rejected
    /// An aggregate report is due: the record has rua=, `no_report` is off and no recipient is
    /// in `report_skip_to` (the Perl tool queues a report exactly then).
    bool report_requested = false;
    std::optional<shadow_result> shadow{}; ///< the other specification's answer, in shadow mode

    std::vector<dkim_evaluation> dkim_results{}; ///< auth_results/dkim: every signature
    std::vector<spf_evaluation> spf_results{};   ///< auth_results/spf

    /** The RFC 9990 ActionDispositionType of this row: `reject`, `quarantine`, or for a
        message nothing was done to `pass` when it passed DMARC under an enforcing policy
        (quarantine or reject), else `none`.
    */
    std::string_view reported_disposition() const noexcept
    {
        if(applied != disposition::none)
            return to_string(applied);
        return dmarc == status::pass && requested != policy::none ? "pass" : "none";
    }
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
    pp.psd = r.published->psd_or_default();
    pp.testing = r.published->testing();
    pp.discovery_method = r.evaluated_with;
    if(r.evaluated_with == spec::rfc7489)
        pp.pct = r.published->pct_or_default();
    if(r.published->fo)
        pp.fo = r.published->fo->text;
    pp.rua = r.published->rua;
    pp.ruf = r.published->ruf;
    out.applied = r.applied;
    out.evaluated = r.evaluated;
    out.dkim = r.dkim_verdict();
    out.spf = r.spf_verdict();
    out.reasons = r.reasons;
    out.dmarc = r.value;
    out.requested = r.requested;
    out.policy_from = r.source;
    out.org_domain = r.org_domain;
    out.is_subdomain = r.is_subdomain;
    out.shadow = r.shadow;
    out.dkim_results = r.dkim;
    out.spf_results = r.spf;
    return out;
}

} // namespace authmilter::dmarc

#endif
