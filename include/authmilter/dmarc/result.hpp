// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_RESULT_HPP
#define AUTHMILTER_DMARC_RESULT_HPP

#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dmarc/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace authmilter::dmarc {

/// Which tag the requested policy came from (A-R `policy.policy-from`).
enum class policy_source : std::uint8_t {
    p,  ///< the record is the Author Domain's own
    sp, ///< the Author Domain is an existing subdomain of the policy domain
    np, ///< the Author Domain does not exist (NXDOMAIN) below the policy domain
};

constexpr std::string_view
to_string(policy_source s) noexcept
{
    return s == policy_source::p ? "p" : (s == policy_source::sp ? "sp" : "np");
}

/// Why discovery ended without a usable policy, or with an error.
enum class discovery_problem : std::uint8_t {
    none,
    no_record,        ///< no DMARC record anywhere the discovery looked
    multiple_records, ///< several DMARC records at one name (RFC 7489 6.6.3 step 5)
    unusable_record,  ///< a record with a broken p=/sp=/np= and no usable rua=
    dns_error,        ///< a TXT lookup failed temporarily
    invalid_domain,   ///< the From domain is not a usable domain name
};

constexpr std::string_view
to_string(discovery_problem p) noexcept
{
    switch(p) {
    case discovery_problem::none: return "";
    case discovery_problem::no_record: return "no policy";
    case discovery_problem::multiple_records: return "multiple DMARC records";
    case discovery_problem::unusable_record: return "invalid policy and no valid rua";
    case discovery_problem::dns_error: return "DNS error during policy discovery";
    case discovery_problem::invalid_domain: return "from header invalid";
    }
    return "";
}

/// A SPF or DKIM identifier as evaluated: the input plus how it aligned.
struct spf_evaluation {
    spf_input input;
    alignment aligned = alignment::none;
};
struct dkim_evaluation {
    dkim_input input;
    alignment aligned = alignment::none;
};

/// The other specification's answer, computed in shadow mode.
struct shadow_result {
    spec evaluated_with = spec::rfc7489;
    status value = status::none;
    std::string policy_domain;
    std::string org_domain;
    disposition evaluated = disposition::none;
    /// True when the result, the policy domain, the organizational domain or the evaluated
    /// disposition differs from the primary evaluation.
    bool differs = false;
};

/// Everything one DMARC evaluation found: the A-R entry, the reject/quarantine decision and an
/// aggregate report row are all built from this.
struct result {
    status value = status::none;
    spec evaluated_with = spec::rfc9989;
    discovery_problem problem = discovery_problem::none;

    std::string from_domain;   ///< the Author Domain, A-labels
    std::string policy_domain; ///< where the applied record was found (empty when none)
    /// The Author Domain's organizational domain (RFC 9989 4.10.2 / RFC 7489 3.2).
    std::string org_domain;
    /// The Author Domain lies below its organizational domain (Mail::DMARC's is_subdomain, the
    /// Perl tool's metric label).
    bool is_subdomain = false;
    /// The applied record was published at a parent (organizational domain or PSD), so sp=/np=
    /// apply rather than p=.
    bool inherited = false;
    /// Whether the Author Domain exists (only looked up when the policy came from a parent).
    std::optional<bool> author_domain_exists;

    std::optional<record> published;   ///< the record applied, as parsed
    bool treated_as_none = false;      ///< a broken p/sp/np with a valid rua: acted as p=none
    policy published_p = policy::none; ///< the effective p (none when absent)
    std::optional<policy> published_sp, published_np;
    policy_source source = policy_source::p;
    policy requested = policy::none; ///< the policy the record asks for this message

    alignment_mode adkim = alignment_mode::relaxed, aspf = alignment_mode::relaxed;
    std::vector<spf_evaluation> spf;            ///< the SPF results that counted
    std::vector<dkim_evaluation> dkim;          ///< every DKIM signature
    alignment spf_alignment = alignment::none;  ///< best alignment of a passing SPF identifier
    alignment dkim_alignment = alignment::none; ///< best alignment of a passing DKIM signature
    bool spf_aligned() const noexcept { return spf_alignment != alignment::none; }
    bool dkim_aligned() const noexcept { return dkim_alignment != alignment::none; }
    /// The policy_evaluated spf/dkim words of an aggregate report: pass when aligned and passing.
    auth_result spf_verdict() const noexcept { return spf_aligned() ? auth_result::pass : auth_result::fail; }
    auth_result dkim_verdict() const noexcept
    {
        return dkim_aligned() ? auth_result::pass : auth_result::fail;
    }

    bool testing = false;        ///< t=y applied (RFC 9989)
    std::optional<unsigned> pct; ///< pct= applied (RFC 7489)
    bool sampled_out = false;    ///< pct= did not select this message

    /// The disposition DMARC itself arrives at: none on pass, else the requested policy after
    /// t=y / pct= downgrades (as Mail::DMARC's disposition, the Perl tool's d.eval).
    disposition evaluated = disposition::none;
    /// The disposition after the receiver's local policy (override_disposition()).
    disposition applied = disposition::none;
    /// Every reason the applied disposition differs from the requested policy, oldest first
    /// (RFC 9990 allows several).
    struct reason {
        override_reason type = override_reason::none;
        std::string comment;
    };
    std::vector<reason> reasons;

    std::optional<shadow_result> shadow;
    unsigned dns_queries = 0; ///< queries this evaluation issued (walks, existence check)

    /// The newest override reason (none when the requested policy was applied as is).
    override_reason last_override() const noexcept
    {
        return reasons.empty() ? override_reason::none : reasons.back().type;
    }
};

/// Records a receiver-side override (mailing list, trusted forwarder, local policy...): sets
/// the applied disposition and appends the reason, for the A-R entry and the aggregate report.
inline void
override_disposition(result& r, disposition d, override_reason why, std::string comment = {})
{
    r.applied = d;
    r.reasons.push_back({why, std::move(comment)});
}

} // namespace authmilter::dmarc

#endif
