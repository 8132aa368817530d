// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_IDENTITY_HPP
#define AUTHMILTER_SPF_IDENTITY_HPP

#include <authmilter/spf/received_spf.hpp>

#include <string>
#include <string_view>

namespace authmilter::spf {

/// The identity one SPF check is about, with everything check_host() and the Received-SPF text
/// need.
struct identity {
    spf::scope scope = spf::scope::mfrom;
    /// What Received-SPF names: the address (mfrom) or the HELO name (helo).
    std::string value;
    /// check_host()'s <domain>.
    std::string domain;
    /// check_host()'s <sender>: the address, or `postmaster@<helo>`.
    std::string sender;
};

/// Chooses the identity for a message the way Authentication Milter's SPF handler does (and RFC
/// 7208 §2.4 for the null reverse-path): the envelope sender, without angle brackets and
/// surrounding spaces, when it is `local@domain` with a non-empty domain; otherwise (null or
/// unparsable sender) the HELO identity, checked as `postmaster@<helo>`.
inline identity
select_identity(std::string_view mail_from, std::string_view helo)
{
    auto trim = [](std::string_view s) {
        while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    };
    mail_from = trim(mail_from);
    if(mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>')
        mail_from = trim(mail_from.substr(1, mail_from.size() - 2));
    identity id;
    auto const at = mail_from.rfind('@');
    if(at != std::string_view::npos && at + 1 < mail_from.size()) {
        id.scope = scope::mfrom;
        id.value = std::string(mail_from);
        id.domain = std::string(mail_from.substr(at + 1));
        id.sender = id.value;
        return id;
    }
    id.scope = scope::helo;
    id.value = std::string(helo);
    id.domain = std::string(helo);
    id.sender = "postmaster@" + std::string(helo);
    return id;
}

} // namespace authmilter::spf

#endif
