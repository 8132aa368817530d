// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_LOCAL_POLICY_HPP
#define AUTHMILTER_DMARC_LOCAL_POLICY_HPP

#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <string>

namespace authmilter::dmarc {

/// The receiver's own rules for failing mail, as the Perl tool's DMARC handler has them
/// (RFC 9989 5.4 and 7.4: receivers SHOULD NOT reject solely on p=reject, mailing lists need
/// care). Defaults are the Perl tool's.
struct local_policy {
    bool hard_reject = false;   ///< really reject p=reject failures (else no_reject_disposition)
    bool no_list_reject = true; ///< list mail (List-Id/List-Post) is exempt from rejection
    disposition no_list_reject_disposition = disposition::none;
    disposition no_reject_disposition = disposition::quarantine;
    bool arc_before_list = false; ///< a trusted ARC chain keeps the list exemption from applying
};

/// Facts about the message the handler gathered.
struct local_facts {
    bool arc_aware_pass = false; ///< DMARC re-evaluated with trusted ARC results passed
    std::string arc_comment{};   ///< e.g. `arc=pass as[1].d=... as[1].s=... remote-ip[1]=...`
    bool allow_listed = false;   ///< client IP/CIDR, or a passing DKIM/SPF domain, on the allow list
    bool is_list = false;
    bool trusted_arc_chain = false;
};

/// Applies the local policy to a failing result in the Perl tool's order: ARC-aware pass →
/// none (local_policy); allow list → none (trusted_forwarder); list mail → the list disposition
/// (mailing_list); then a remaining reject becomes no_reject_disposition (local_policy) unless
/// hard_reject. Returns true when the message is to be rejected (`550 5.7.0`). Results other
/// than fail are left alone.
inline bool
apply_local_policy(result& r, local_policy const& cfg, local_facts const& facts)
{
    if(r.value != status::fail)
        return false;
    if(facts.arc_aware_pass) {
        override_disposition(r, disposition::none, override_reason::local_policy,
                             facts.arc_comment.empty() ? "Policy overriden using trusted ARC chain"
                                                       : facts.arc_comment);
    } else if(facts.allow_listed) {
        override_disposition(r, disposition::none, override_reason::trusted_forwarder,
                             "Policy ignored due to local white list");
    } else if(cfg.no_list_reject && facts.is_list && !(cfg.arc_before_list && facts.trusted_arc_chain)) {
        override_disposition(r, cfg.no_list_reject_disposition, override_reason::mailing_list,
                             "Policy ignored due to local mailing list policy");
    }
    if(r.applied == disposition::reject) {
        if(cfg.hard_reject)
            return true;
        override_disposition(r, cfg.no_reject_disposition, override_reason::local_policy,
                             "Reject ignored due to local policy");
    }
    return false;
}

} // namespace authmilter::dmarc

#endif
