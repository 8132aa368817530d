// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_RECEIVED_SPF_HPP
#define AUTHMILTER_SPF_RECEIVED_SPF_HPP

#include <authmilter/core/detail/ascii.hpp>
#include <authmilter/core/ip_address.hpp>
#include <authmilter/spf/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::spf {

/// Which identity was checked (RFC 7208 §2.3, §2.4), named as Mail::SPF names the scopes.
enum class scope : std::uint8_t {
    mfrom, ///< MAIL FROM; `identity=mailfrom`, `envelope-from=`
    helo,  ///< HELO/EHLO (also the null reverse-path); `identity=helo`, `helo=`
    pra,   ///< Sender ID's Purported Responsible Address (RFC 4407); `identity=pra`, `pra=`
};

/// `mfrom` or `helo`: the word Mail::SPF puts in its explanations ("in 'mfrom' identity").
constexpr std::string_view
to_string(scope s) noexcept
{
    return s == scope::mfrom ? "mfrom" : s == scope::pra ? "pra" : "helo";
}

/// What the Received-SPF field and the Authentication-Results entry say besides the result.
struct check_info {
    spf::scope scope = spf::scope::mfrom;
    /// The checked identity: the envelope sender address (`marc@example.net`) for mfrom, the
    /// HELO name for helo.
    std::string_view identity;
    /// The HELO/EHLO name (written as `helo=` for the mfrom scope; may be empty).
    std::string_view helo;
    core::ip_address client;
    /// `receiver=`: the host name of the checking server ("unknown" when empty).
    std::string_view receiver;
};

/// The explanation Mail::SPF puts in the Received-SPF comment, without the parentheses:
/// `example.net: Sender is authorized to use 'marc@example.net' in 'mfrom' identity (mechanism
/// 'include:_spf.example.com' matched)`. After a redirect= the domains read `a.example ...
/// b.example:`. Control and non-ASCII octets are written as `\xHH`.
std::string local_explanation(result const& r, check_info const& info);

/// The Received-SPF field body on one line, as Mail::SPF's received_spf_header() writes it after
/// the field name: `pass (<local explanation>) receiver=mx.example.org; identity=mailfrom;
/// envelope-from="marc@example.net"; helo=mail.example.com; client-ip=192.0.2.1`. Values that are
/// not dot-atoms are quoted.
std::string received_spf_field(result const& r, check_info const& info);

/// Re-wraps a field body the way Authentication Milter does before adding the header: the first
/// space becomes `newline` + 4 spaces, then the first `) ` becomes `)` + newline + 4 spaces, then
/// every `; ` becomes `;` + newline + 4 spaces.
std::string wrap_received_spf(std::string_view body, std::string_view newline = "\n");

/// One Authentication-Results resinfo as plain data: `spf=pass smtp.mailfrom=a@b smtp.helo=c`.
struct authres_entry {
    std::string method = "spf";
    std::string result;
    /// (ptype.property, value) in order, e.g. ("smtp.mailfrom", "marc@example.net").
    std::vector<std::pair<std::string, std::string>> properties;

    /// `method=result ptype.property=value ...`; an empty value or one that is neither a token
    /// nor `local@domain` is written as a quoted-string.
    std::string to_string() const;
};

/// Which properties an entry carries.
enum class authres_style : std::uint8_t {
    both,          ///< `smtp.mailfrom=<addr or ""> smtp.helo=<helo>` (the Perl default)
    identity_only, ///< with `helo_check`: only smtp.mailfrom (mfrom) or only smtp.helo (helo)
};

/// The Authentication-Results entry Authentication Milter writes for a result. `mail_from` is the
/// envelope sender as given (empty for the null reverse-path).
authres_entry authres_for(result const& r, scope checked, std::string_view mail_from, std::string_view helo,
                          authres_style style = authres_style::both);

namespace detail {

// ASCII atext only: Received-SPF values are written for RFC 5322 parsers.
constexpr bool
is_atext(char c) noexcept
{
    return core::detail::is_atext(c) && !core::detail::is_non_ascii(c);
}

inline bool
is_dot_atom(std::string_view s) noexcept
{
    if(s.empty() || s.front() == '.' || s.back() == '.')
        return false;
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(s[i] == '.') {
            if(s[i + 1] == '.')
                return false;
        } else if(!is_atext(s[i])) {
            return false;
        }
    }
    return true;
}

inline void
append_sanitized(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    for(char c : s) {
        auto const u = static_cast<unsigned char>(c);
        if(u < 0x20 || u >= 0x7f) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        } else {
            out += c;
        }
    }
}

inline void
append_pair(std::string& out, std::string_view key, std::string_view value)
{
    if(!out.empty())
        out += "; ";
    out += key;
    out += '=';
    if(is_dot_atom(value)) {
        out += value;
        return;
    }
    out += '"';
    for(char c : value) {
        if(c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

/// Mail::SPF's per-mechanism explanation templates, with %{c}, %{s} and %{_scope} filled in.
inline std::string
mechanism_explanation(result const& r, check_info const& info)
{
    std::string const who =
        r.kind == mechanism_kind::address ? info.client.to_string() : std::string("Sender");
    std::string const who_lc = r.kind == mechanism_kind::address ? who : std::string("sender");
    std::string const by_default = r.kind == mechanism_kind::all ? " by default" : "";
    std::string const use = " to use '" + std::string(info.identity) + "' in '" +
                            std::string(to_string(info.scope)) + "' identity";
    switch(r.code) {
    case code::pass: return who + " is authorized" + by_default + use;
    case code::fail: return who + " is not authorized" + by_default + use;
    case code::softfail:
        return who + " is not authorized" + by_default + use +
               ", however domain is not currently prepared for false failures";
    case code::neutral: return "Domain does not state whether " + who_lc + " is authorized" + use;
    default: return std::string();
    }
}

} // namespace detail

inline std::string
local_explanation(result const& r, check_info const& info)
{
    std::string text;
    if(!r.mechanism.empty() && r.kind != mechanism_kind::none)
        text = detail::mechanism_explanation(r, info) + " (mechanism '" + r.mechanism + "' matched)";
    else
        text = r.reason.empty() ? std::string(to_string(r.code)) : r.reason;
    std::string head = r.domain;
    if(!r.decided_by.empty())
        head += " ... " + r.decided_by;
    std::string out;
    detail::append_sanitized(out, head + ": " + text);
    return out;
}

inline std::string
received_spf_field(result const& r, check_info const& info)
{
    std::string pairs;
    detail::append_pair(pairs, "receiver",
                        info.receiver.empty() ? std::string_view("unknown") : info.receiver);
    auto const name = info.scope == scope::mfrom ? "mailfrom" : info.scope == scope::pra ? "pra" : "helo";
    detail::append_pair(pairs, "identity", name);
    detail::append_pair(pairs, info.scope == scope::mfrom ? "envelope-from" : name, info.identity);
    if(info.scope != scope::helo && !info.helo.empty())
        detail::append_pair(pairs, "helo", info.helo);
    detail::append_pair(pairs, "client-ip", info.client.to_string());
    std::string out(to_string(r.code));
    out += " (";
    out += local_explanation(r, info);
    out += ") ";
    out += pairs;
    return out;
}

inline std::string
wrap_received_spf(std::string_view body, std::string_view newline)
{
    std::string const indent = std::string(newline) + "    ";
    std::string s(body);
    if(auto const sp = s.find(' '); sp != std::string::npos)
        s.replace(sp, 1, indent);
    if(auto const cp = s.find(") "); cp != std::string::npos)
        s.replace(cp, 2, ")" + indent);
    std::string out;
    out.reserve(s.size() + 64);
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(s[i] == ';' && i + 1 < s.size() && s[i + 1] == ' ') {
            out += ';';
            out += indent;
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

inline std::string
authres_entry::to_string() const
{
    auto const plain = [](std::string_view v) {
        if(v.empty())
            return false;
        // token characters of RFC 2045, plus '@' so that local@domain stays unquoted
        for(char c : v) {
            auto const u = static_cast<unsigned char>(c);
            if(u <= 0x20 || u >= 0x7f)
                return false;
            switch(c) {
            case '(':
            case ')':
            case '<':
            case '>':
            case ',':
            case ';':
            case ':':
            case '\\':
            case '"':
            case '[':
            case ']':
            case '?':
            case '=': return false;
            default: break;
            }
        }
        return v.front() != '@' && v.back() != '@';
    };
    std::string out = method + "=" + result;
    for(auto const& [name, value] : properties) {
        out += ' ';
        out += name;
        out += '=';
        if(plain(value)) {
            out += value;
            continue;
        }
        out += '"';
        for(char c : value) {
            if(c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
    }
    return out;
}

inline authres_entry
authres_for(result const& r, scope checked, std::string_view mail_from, std::string_view helo,
            authres_style style)
{
    authres_entry e;
    e.result = std::string(to_string(r.code));
    bool const mailfrom = style == authres_style::both || checked == scope::mfrom;
    bool const with_helo = style == authres_style::both || checked == scope::helo;
    if(mailfrom)
        e.properties.emplace_back("smtp.mailfrom", std::string(mail_from));
    if(with_helo)
        e.properties.emplace_back("smtp.helo", std::string(helo));
    return e;
}

} // namespace authmilter::spf

#endif
