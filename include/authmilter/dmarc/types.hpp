// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_TYPES_HPP
#define AUTHMILTER_DMARC_TYPES_HPP

#include <authmilter/dmarc/detail/text.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace authmilter::dmarc {

/// Which specification drives policy discovery, the organizational domain and the tags honoured.
enum class spec : std::uint8_t {
    rfc9989, ///< DMARCbis: DNS tree walk, psd= and t= honoured, pct/rf/ri ignored
    rfc7489, ///< DMARC 1: Public Suffix List, pct= sampling honoured, t=/psd= ignored
};

/// A Domain Owner Assessment Policy value (p=, sp=, np=; RFC 9989 4.7).
enum class policy : std::uint8_t { none, quarantine, reject };

/// The identifier alignment mode a record asks for (adkim=, aspf=).
enum class alignment_mode : std::uint8_t { relaxed, strict };

/// The psd= flag (RFC 9989 4.7); `u` is the default.
enum class psd_flag : std::uint8_t { u, y, n };

/// The DMARC result words (RFC 8601 / RFC 9989 9.2).
enum class status : std::uint8_t { none, pass, fail, temperror, permerror };

/// What is done with a message (the same words as the policies).
using disposition = policy;

/// Why the applied disposition differs from the published policy (RFC 7489 Appendix C
/// PolicyOverrideType plus RFC 9990's policy_test_mode).
enum class override_reason : std::uint8_t {
    none,
    forwarded,
    sampled_out,       ///< RFC 7489 pct= sampling did not select the message
    trusted_forwarder, ///< local allow list, trusted ARC chain
    mailing_list,
    local_policy,
    policy_test_mode, ///< RFC 9989 t=y
    other,
};

/// How an authenticated identifier matched the RFC5322.From domain.
enum class alignment : std::uint8_t {
    none,    ///< not aligned
    strict,  ///< identical domains
    relaxed, ///< same organizational domain only
};

/// The underlying SPF/DKIM result words DMARC consumes (RFC 8601 2.7).
enum class auth_result : std::uint8_t { none, pass, fail, softfail, neutral, temperror, permerror, policy };

constexpr std::string_view
to_string(policy p) noexcept
{
    switch(p) {
    case policy::none: return "none";
    case policy::quarantine: return "quarantine";
    case policy::reject: return "reject";
    }
    return "none";
}

constexpr std::string_view
to_string(status s) noexcept
{
    switch(s) {
    case status::none: return "none";
    case status::pass: return "pass";
    case status::fail: return "fail";
    case status::temperror: return "temperror";
    case status::permerror: return "permerror";
    }
    return "none";
}

constexpr std::string_view
to_string(alignment_mode m) noexcept
{
    return m == alignment_mode::strict ? "s" : "r";
}

constexpr std::string_view
to_string(alignment a) noexcept
{
    switch(a) {
    case alignment::none: return "none";
    case alignment::strict: return "strict";
    case alignment::relaxed: return "relaxed";
    }
    return "none";
}

constexpr std::string_view
to_string(psd_flag f) noexcept
{
    switch(f) {
    case psd_flag::u: return "u";
    case psd_flag::y: return "y";
    case psd_flag::n: return "n";
    }
    return "u";
}

constexpr std::string_view
to_string(override_reason r) noexcept
{
    switch(r) {
    case override_reason::none: return "";
    case override_reason::forwarded: return "forwarded";
    case override_reason::sampled_out: return "sampled_out";
    case override_reason::trusted_forwarder: return "trusted_forwarder";
    case override_reason::mailing_list: return "mailing_list";
    case override_reason::local_policy: return "local_policy";
    case override_reason::policy_test_mode: return "policy_test_mode";
    case override_reason::other: return "other";
    }
    return "other";
}

constexpr std::string_view
to_string(auth_result r) noexcept
{
    switch(r) {
    case auth_result::none: return "none";
    case auth_result::pass: return "pass";
    case auth_result::fail: return "fail";
    case auth_result::softfail: return "softfail";
    case auth_result::neutral: return "neutral";
    case auth_result::temperror: return "temperror";
    case auth_result::permerror: return "permerror";
    case auth_result::policy: return "policy";
    }
    return "none";
}

/// Parses a policy word, case-insensitively (the RFC 5234 string rule).
inline std::optional<policy>
parse_policy(std::string_view s) noexcept
{
    if(detail::iequals(s, "none"))
        return policy::none;
    if(detail::iequals(s, "quarantine"))
        return policy::quarantine;
    if(detail::iequals(s, "reject"))
        return policy::reject;
    return std::nullopt;
}

/// Parses an RFC 8601 result word; unknown words give nullopt. `hardfail` (Mail::SPF) is `fail`.
inline std::optional<auth_result>
parse_auth_result(std::string_view s) noexcept
{
    static constexpr std::pair<std::string_view, auth_result> words[] = {
        {"none", auth_result::none},           {"pass", auth_result::pass},
        {"fail", auth_result::fail},           {"hardfail", auth_result::fail},
        {"softfail", auth_result::softfail},   {"neutral", auth_result::neutral},
        {"temperror", auth_result::temperror}, {"permerror", auth_result::permerror},
        {"policy", auth_result::policy},
    };
    for(auto const& [w, r] : words)
        if(detail::iequals(s, w))
            return r;
    return std::nullopt;
}

/// One step less strict (RFC 9989 t=y, RFC 7489 6.6.4 pct sampling).
constexpr policy
one_level_below(policy p) noexcept
{
    return p == policy::reject ? policy::quarantine : policy::none;
}

} // namespace authmilter::dmarc

#endif
