// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_INPUT_HPP
#define AUTHMILTER_DMARC_INPUT_HPP

#include <authmilter/dmarc/types.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace authmilter::dmarc {

/// Which SPF identity a result is for.
enum class spf_scope : std::uint8_t { mfrom, helo };

/// One already-computed SPF result (the SPF handler adapts its own type to this).
struct spf_input {
    std::string domain{}; ///< the domain checked: the MAIL FROM domain, or the HELO name
    spf_scope scope = spf_scope::mfrom;
    auth_result result = auth_result::none;
    /// Why, for a person (RFC 9990 `human_result`): the SPF reason or explanation; may be empty.
    std::string human_result{};
    friend bool operator==(spf_input const&, spf_input const&) = default;
};

/// One already-verified DKIM signature (the DKIM handler adapts its own type to this).
struct dkim_input {
    std::string domain{};   ///< d=
    std::string selector{}; ///< s=
    auth_result result = auth_result::none;
    /// Why, for a person (RFC 9990 `human_result`): "body has been altered"...; empty on pass.
    std::string human_result{};
    friend bool operator==(dkim_input const&, dkim_input const&) = default;
};

/// What DMARC evaluates for one message.
struct message_input {
    /// The RFC5322.From domain (U-labels are converted to A-labels, RFC 9989 5.3.1). Extracting
    /// a single domain from the From header field is the caller's job.
    std::string from_domain{};
    /// SPF results. When any has scope mfrom, only those count (RFC 9989 4.4.2: DMARC relies
    /// solely on the MAIL FROM identity); with a null reverse-path the caller passes the HELO
    /// result, as RFC 7208 2.4 makes it the MAIL FROM identity, and it is used.
    std::vector<spf_input> spf{};
    std::vector<dkim_input> dkim{}; ///< every signature, any result
};

} // namespace authmilter::dmarc

#endif
