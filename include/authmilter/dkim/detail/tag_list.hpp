// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_DETAIL_TAG_LIST_HPP
#define AUTHMILTER_DKIM_DETAIL_TAG_LIST_HPP

#include <authmilter/dkim/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim::detail {

/// One tag-spec of an RFC 6376 3.2 tag-list: views into the parsed text. `value` has the
/// surrounding FWS trimmed; inner whitespace (folding inside b=, h=...) is kept.
/// `raw_offset`/`raw_size` locate everything between the "=" and the ";" (surrounding
/// whitespace included) in the whole text, so that b= can be emptied in place when the signature
/// header is hashed (RFC 6376 3.7).
struct tag {
    std::string_view name;
    std::string_view value;
    std::size_t raw_offset = 0;
    std::size_t raw_size = 0;
};

inline bool
is_fws(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline bool
is_alpha(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

inline std::string_view
trim_fws(std::string_view s) noexcept
{
    while(!s.empty() && is_fws(s.front()))
        s.remove_prefix(1);
    while(!s.empty() && is_fws(s.back()))
        s.remove_suffix(1);
    return s;
}

/// Parses a tag-list. Tag names must be ALPHA *(ALPHA / DIGIT / "_"); values may hold VALCHAR
/// (printable ASCII except ";"), whitespace, and octets >= 0x80 (RFC 8616 allows UTF-8). Empty
/// tag-specs (";;", a trailing ";") are tolerated because real signers emit them. A repeated
/// tag name makes the whole list invalid (RFC 6376 3.2).
inline error
parse_tag_list(std::string_view text, std::vector<tag>& out)
{
    out.clear();
    std::size_t pos = 0;
    while(pos <= text.size()) {
        auto const semi = text.find(';', pos);
        auto const end = semi == std::string_view::npos ? text.size() : semi;
        auto spec = text.substr(pos, end - pos);
        auto const eq = spec.find('=');
        if(eq == std::string_view::npos) {
            if(!trim_fws(spec).empty())
                return error::tag_list_syntax;
        } else {
            auto const name = trim_fws(spec.substr(0, eq));
            if(name.empty() || !is_alpha(name.front()))
                return error::tag_list_syntax;
            for(char c : name)
                if(!is_alpha(c) && !is_digit(c) && c != '_')
                    return error::tag_list_syntax;
            auto raw = spec.substr(eq + 1);
            auto const value = trim_fws(raw);
            for(char ch : value) {
                auto const c = static_cast<unsigned char>(ch);
                if(c < 0x21 && !is_fws(ch))
                    return error::tag_list_syntax;
                if(c == 0x7F)
                    return error::tag_list_syntax;
            }
            for(auto const& t : out)
                if(t.name == name)
                    return error::duplicate_tag;
            out.push_back(tag{name, value, pos + eq + 1, raw.size()});
        }
        if(semi == std::string_view::npos)
            break;
        pos = semi + 1;
    }
    return error{};
}

/// The tag named `name` (case-sensitive, as RFC 6376 3.2 says), or nullptr.
inline tag const*
find_tag(std::vector<tag> const& tags, std::string_view name) noexcept
{
    for(auto const& t : tags)
        if(t.name == name)
            return &t;
    return nullptr;
}

/// ASCII lower-case copy.
inline std::string
to_lower(std::string_view s)
{
    std::string out(s);
    for(auto& c : out)
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// ASCII case-insensitive equality.
inline bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if(x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if(y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if(x != y)
            return false;
    }
    return true;
}

/// Splits on `sep`, trimming FWS around each element (h=, q=, s=, t=, key h=).
inline std::vector<std::string_view>
split_list(std::string_view s, char sep)
{
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    for(;;) {
        auto const next = s.find(sep, pos);
        out.push_back(trim_fws(s.substr(pos, next == std::string_view::npos ? s.npos : next - pos)));
        if(next == std::string_view::npos)
            break;
        pos = next + 1;
    }
    return out;
}

/// A domain name or selector as RFC 6376 allows: dot-separated non-empty labels of letters,
/// digits, "-" and "_" (underscores occur in real selectors), no leading or trailing hyphen.
inline bool
is_domain_name(std::string_view s) noexcept
{
    if(s.empty() || s.size() > 253)
        return false;
    std::size_t label = 0;
    char prev = '.';
    for(char c : s) {
        if(c == '.') {
            if(label == 0 || prev == '-')
                return false;
            label = 0;
        } else if(is_alpha(c) || is_digit(c) || c == '_' || c == '-') {
            if(label == 0 && c == '-')
                return false;
            if(++label > 63)
                return false;
        } else
            return false;
        prev = c;
    }
    return label != 0 && prev != '-';
}

/// Parses an unsigned decimal of at most `max_digits` digits; false on anything else.
inline bool
parse_decimal(std::string_view s, std::uint64_t& out, std::size_t max_digits = 19) noexcept
{
    if(s.empty() || s.size() > max_digits)
        return false;
    std::uint64_t v = 0;
    for(char c : s) {
        if(!is_digit(c))
            return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

/// Decodes dkim-quoted-printable (RFC 6376 2.11), used by i= and z=: "=XX" is the octet with
/// hex value XX, FWS is dropped. nullopt on a malformed escape.
inline std::optional<std::string>
qp_decode(std::string_view s)
{
    auto const hex = [](char c) -> int {
        if(c >= '0' && c <= '9')
            return c - '0';
        if(c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if(c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(is_fws(s[i]))
            continue;
        if(s[i] != '=') {
            out += s[i];
            continue;
        }
        if(i + 2 >= s.size())
            return std::nullopt;
        int const hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if(hi < 0 || lo < 0)
            return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

} // namespace authmilter::dkim::detail

#endif
