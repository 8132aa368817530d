// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_DETAIL_ASCII_HPP
#define AUTHMILTER_CORE_DETAIL_ASCII_HPP

#include <string>
#include <string_view>

// Locale-free character classes. <cctype> depends on the C locale and takes int, which makes
// negative chars (UTF-8 bytes) undefined behaviour; these take char and never look at a locale.
namespace authmilter::core::detail {

constexpr bool
is_alpha(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

constexpr bool
is_alnum(char c) noexcept
{
    return is_alpha(c) || is_digit(c);
}

/// A byte of a multi-octet UTF-8 sequence (RFC 6531/6532 allow them where ASCII text is allowed).
constexpr bool
is_non_ascii(char c) noexcept
{
    return static_cast<unsigned char>(c) >= 0x80;
}

constexpr char
to_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool
is_wsp(char c) noexcept
{
    return c == ' ' || c == '\t';
}

/// RFC 5322 3.2.3 atext, extended with UTF-8 bytes (RFC 6532 3.2).
constexpr bool
is_atext(char c) noexcept
{
    if(is_alnum(c) || is_non_ascii(c))
        return true;
    switch(c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~': return true;
    default: return false;
    }
}

/// True when `s` is a dot-atom-text (RFC 5322 3.2.3): atoms joined by single dots. Such a local
/// part can be written without quotes.
constexpr bool
is_dot_atom_text(std::string_view s) noexcept
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

/// Writes a decoded local part the way both RFC 5321 and RFC 5322 accept it: bare when it is a
/// dot-atom, otherwise as a quoted string with `"` and `\` escaped.
inline std::string
quote_local_part(std::string_view local)
{
    if(is_dot_atom_text(local))
        return std::string(local);
    std::string out;
    out.reserve(local.size() + 2);
    out += '"';
    for(char c : local) {
        if(c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

} // namespace authmilter::core::detail

#endif
