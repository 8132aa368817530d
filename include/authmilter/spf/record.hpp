// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_RECORD_HPP
#define AUTHMILTER_SPF_RECORD_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/spf/detail/domain.hpp>
#include <authmilter/spf/macro.hpp>
#include <authmilter/spf/result.hpp>

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace authmilter::spf {

/// A directive's qualifier (RFC 7208 §4.6.2).
enum class qualifier : char { pass = '+', fail = '-', softfail = '~', neutral = '?' };

/// The result a matching directive gives.
constexpr code
to_code(qualifier q) noexcept
{
    switch(q) {
    case qualifier::pass: return code::pass;
    case qualifier::fail: return code::fail;
    case qualifier::softfail: return code::softfail;
    case qualifier::neutral: return code::neutral;
    }
    return code::neutral;
}

/// The eight mechanisms of RFC 7208 §5.
enum class mechanism_type : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

/// Lower-case mechanism name.
constexpr std::string_view
to_string(mechanism_type t) noexcept
{
    switch(t) {
    case mechanism_type::all: return "all";
    case mechanism_type::include: return "include";
    case mechanism_type::a: return "a";
    case mechanism_type::mx: return "mx";
    case mechanism_type::ptr: return "ptr";
    case mechanism_type::ip4: return "ip4";
    case mechanism_type::ip6: return "ip6";
    case mechanism_type::exists: return "exists";
    }
    return "all";
}

/// Does evaluating this mechanism count against the 10 DNS-interactive terms (RFC 7208 §4.6.4)?
constexpr bool
counts_dns_term(mechanism_type t) noexcept
{
    return t == mechanism_type::include || t == mechanism_type::a || t == mechanism_type::mx ||
           t == mechanism_type::ptr || t == mechanism_type::exists;
}

/// One parsed directive.
struct mechanism {
    spf::qualifier qualifier = spf::qualifier::pass;
    mechanism_type type = mechanism_type::all;
    /// The domain-spec, unexpanded; empty when the mechanism has none (a, mx and ptr then use
    /// the current domain).
    std::string domain_spec;
    /// The network of ip4/ip6.
    core::ip_address network;
    /// CIDR prefix lengths for a, mx, ip4 (cidr4) and ip6 (cidr6); the defaults match hosts.
    unsigned cidr4 = 32;
    unsigned cidr6 = 128;
    /// The directive as Mail::SPF prints it: no `+`, lower-case name, arguments as written.
    std::string text;
};

/// A modifier other than redirect= and exp= (ignored by evaluation, kept for diagnostics).
struct unknown_modifier {
    std::string name;
    std::string value;
};

/// A parsed `v=spf1` record.
struct record {
    std::vector<mechanism> mechanisms;
    std::optional<std::string> redirect; ///< domain-spec of redirect=
    std::optional<std::string> exp;      ///< domain-spec of exp=
    std::vector<unknown_modifier> unknown_modifiers;

    bool has_all() const noexcept
    {
        for(auto const& m : mechanisms)
            if(m.type == mechanism_type::all)
                return true;
        return false;
    }
};

/// The outcome of parse_record(): a record or the reason it is a permerror.
struct parse_result {
    std::optional<spf::record> value;
    std::string error;

    explicit operator bool() const noexcept { return value.has_value(); }
};

/// Is this TXT text an SPF version 1 record? (RFC 7208 §4.5: it starts with `v=spf1`, compared
/// case-insensitively, followed by a space or the end.)
inline bool
is_spf1_record(std::string_view txt) noexcept
{
    return txt.size() >= 6 && detail::iequals(txt.substr(0, 6), "v=spf1") &&
           (txt.size() == 6 || txt[6] == ' ');
}

/// Parses a whole record (the joined TXT strings). Any syntax error anywhere makes the whole
/// record a permerror (RFC 7208 §4.6): unknown mechanisms, bad CIDR lengths, bad domain-specs,
/// bad macro syntax, duplicate redirect=/exp=, characters outside printable ASCII.
parse_result parse_record(std::string_view text);

namespace detail {

/// Parses `/n` (ip4) or `/n` (ip6) without leading zeros, at most `max`.
inline bool
parse_cidr_length(std::string_view digits, unsigned max, unsigned& out) noexcept
{
    if(digits.empty() || digits.size() > 3)
        return false;
    if(digits.size() > 1 && digits[0] == '0')
        return false;
    unsigned v = 0;
    for(char c : digits) {
        if(!is_digit(c))
            return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if(v > max)
        return false;
    out = v;
    return true;
}

/// Parses a dual-cidr-length (`/n`, `//m`, `/n//m`) or an ip4/ip6 single length.
inline bool
parse_dual_cidr(std::string_view s, bool allow4, bool allow6, unsigned& c4, unsigned& c6) noexcept
{
    if(s.empty())
        return true;
    if(s[0] != '/')
        return false;
    s.remove_prefix(1);
    if(!s.empty() && s[0] != '/') {
        if(!allow4)
            return false;
        auto const slash = s.find('/');
        if(!parse_cidr_length(s.substr(0, slash), 32, c4))
            return false;
        if(slash == std::string_view::npos)
            return true;
        s.remove_prefix(slash);
        if(s.empty() || s[0] != '/')
            return false;
        s.remove_prefix(1);
    }
    // now at "/m" of the ip6 part
    if(s.empty() || s[0] != '/' || !allow6)
        return false;
    return parse_cidr_length(s.substr(1), 128, c6);
}

/// Finds where a trailing CIDR suffix starts: the first '/' outside a `%{...}` expression after
/// which only digits and slashes follow (`a:foo/bar.example.com` has none: the slash belongs to
/// the domain-spec). npos when there is none.
inline std::size_t
find_cidr_start(std::string_view s) noexcept
{
    bool in_macro = false;
    for(std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if(in_macro) {
            if(c == '}')
                in_macro = false;
        } else if(c == '%' && i + 1 < s.size()) {
            if(s[i + 1] == '{')
                in_macro = true;
            ++i;
        } else if(c == '/') {
            bool only = true;
            for(std::size_t j = i; j < s.size() && only; ++j)
                only = s[j] == '/' || is_digit(s[j]);
            if(only)
                return i;
        }
    }
    return std::string_view::npos;
}

inline bool
is_modifier_name(std::string_view name) noexcept
{
    if(name.empty() || !is_alpha(name[0]))
        return false;
    for(char c : name)
        if(!(is_alnum(c) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

inline std::optional<std::string>
parse_address(std::string_view text, bool v6, core::ip_address& out)
{
    // inet_pton alone: ip_address::parse would also take brackets and an "IPv6:" prefix, and
    // would turn ::ffff:a.b.c.d into IPv4.
    if(text.empty() || text.size() > 45)
        return std::string("bad address");
    for(char c : text)
        if(!(is_digit(c) || c == '.' || (v6 && (c == ':' || is_alpha(c)))))
            return std::string("bad address");
    char buf[46];
    text.copy(buf, text.size());
    buf[text.size()] = '\0';
    if(!v6) {
        std::array<std::uint8_t, 4> b{};
        if(::inet_pton(AF_INET, buf, b.data()) != 1)
            return std::string("bad IPv4 address");
        out = core::ip_address::from_v4(b);
        return std::nullopt;
    }
    std::array<std::uint8_t, 16> b{};
    if(::inet_pton(AF_INET6, buf, b.data()) != 1)
        return std::string("bad IPv6 address");
    out = core::ip_address::from_v6(b);
    return std::nullopt;
}

/// Parses one directive (qualifier already removed from `body`). Returns the error or nullopt.
inline std::optional<std::string>
parse_mechanism(std::string_view term, std::string_view body, mechanism& m)
{
    std::size_t n = 0;
    while(n < body.size() && is_alnum(body[n]))
        ++n;
    auto const name = body.substr(0, n);
    auto rest = body.substr(n);
    auto const bad = [&](std::string_view why) {
        return std::string(why) + " in '" + std::string(term) + "'";
    };
    static constexpr mechanism_type types[] = {
        mechanism_type::all, mechanism_type::include, mechanism_type::a,   mechanism_type::mx,
        mechanism_type::ptr, mechanism_type::ip4,     mechanism_type::ip6, mechanism_type::exists};
    bool known = false;
    for(auto t : types) {
        if(iequals(name, to_string(t))) {
            m.type = t;
            known = true;
        }
    }
    if(!known)
        return bad("unknown mechanism");
    if(!rest.empty() && rest[0] != ':' && rest[0] != '/')
        return bad("junk after mechanism name");

    m.text.clear();
    if(m.qualifier != qualifier::pass)
        m.text += static_cast<char>(m.qualifier);
    m.text += to_string(m.type);
    m.text += rest;

    switch(m.type) {
    case mechanism_type::all:
        if(!rest.empty())
            return bad("'all' takes no argument");
        return std::nullopt;
    case mechanism_type::include:
    case mechanism_type::exists: {
        if(rest.empty() || rest[0] != ':')
            return bad("missing domain-spec");
        auto const spec = rest.substr(1);
        if(auto e = check_domain_spec(spec))
            return bad(*e);
        m.domain_spec = std::string(spec);
        return std::nullopt;
    }
    case mechanism_type::a:
    case mechanism_type::mx:
    case mechanism_type::ptr: {
        std::string_view spec;
        std::string_view cidr;
        if(!rest.empty() && rest[0] == ':') {
            auto const after = rest.substr(1);
            auto const slash =
                m.type == mechanism_type::ptr ? std::string_view::npos : find_cidr_start(after);
            spec = after.substr(0, slash);
            if(slash != std::string_view::npos)
                cidr = after.substr(slash);
            if(spec.empty())
                return bad("empty domain-spec");
            if(auto e = check_domain_spec(spec))
                return bad(*e);
        } else {
            cidr = rest;
        }
        if(m.type == mechanism_type::ptr) {
            if(!cidr.empty())
                return bad("'ptr' takes no CIDR length");
        } else if(!parse_dual_cidr(cidr, true, true, m.cidr4, m.cidr6)) {
            return bad("bad CIDR length");
        }
        m.domain_spec = std::string(spec);
        return std::nullopt;
    }
    case mechanism_type::ip4:
    case mechanism_type::ip6: {
        bool const v6 = m.type == mechanism_type::ip6;
        if(rest.empty() || rest[0] != ':')
            return bad("missing address");
        auto const after = rest.substr(1);
        auto const slash = after.find('/');
        if(auto e = parse_address(after.substr(0, slash), v6, m.network))
            return bad(*e);
        if(slash != std::string_view::npos) {
            auto const len = after.substr(slash + 1);
            if(!parse_cidr_length(len, v6 ? 128 : 32, v6 ? m.cidr6 : m.cidr4))
                return bad("bad CIDR length");
        }
        return std::nullopt;
    }
    }
    return bad("unknown mechanism");
}

} // namespace detail

inline parse_result
parse_record(std::string_view text)
{
    parse_result out;
    if(!is_spf1_record(text)) {
        out.error = "not a v=spf1 record";
        return out;
    }
    for(char c : text) {
        auto const u = static_cast<unsigned char>(c);
        if(u < 0x20 || u > 0x7e) {
            out.error = "non-printable or non-ASCII character in record";
            return out;
        }
    }
    record rec;
    std::size_t i = 6;
    while(i < text.size()) {
        if(text[i] == ' ') {
            ++i;
            continue;
        }
        auto const end = text.find(' ', i);
        auto const term = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        i = end == std::string_view::npos ? text.size() : end;

        // A modifier is `name=value` where name is ALPHA *(ALPHA / DIGIT / "-" / "_" / ".").
        auto const eq = term.find('=');
        if(eq != std::string_view::npos && detail::is_modifier_name(term.substr(0, eq))) {
            auto const name = term.substr(0, eq);
            auto const value = term.substr(eq + 1);
            bool const is_redirect = detail::iequals(name, "redirect");
            bool const is_exp = detail::iequals(name, "exp");
            if(is_redirect || is_exp) {
                auto& slot = is_redirect ? rec.redirect : rec.exp;
                if(slot) {
                    out.error = "duplicate '" + detail::lower(name) + "' modifier";
                    return out;
                }
                if(auto e = check_domain_spec(value)) {
                    out.error = *e + " in '" + std::string(term) + "'";
                    return out;
                }
                slot = std::string(value);
            } else {
                if(auto e = check_macro_string(value, macro_mode::modifier)) {
                    out.error = *e + " in '" + std::string(term) + "'";
                    return out;
                }
                rec.unknown_modifiers.push_back({std::string(name), std::string(value)});
            }
            continue;
        }

        mechanism m;
        auto body = term;
        switch(body[0]) {
        case '+':
        case '-':
        case '~':
        case '?':
            m.qualifier = static_cast<qualifier>(body[0]);
            body.remove_prefix(1);
            break;
        default: break;
        }
        if(auto e = detail::parse_mechanism(term, body, m)) {
            out.error = std::move(*e);
            return out;
        }
        rec.mechanisms.push_back(std::move(m));
    }
    out.value = std::move(rec);
    return out;
}

} // namespace authmilter::spf

#endif
