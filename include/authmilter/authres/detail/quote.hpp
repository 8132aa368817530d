// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_DETAIL_QUOTE_HPP
#define AUTHMILTER_AUTHRES_DETAIL_QUOTE_HPP

#include <string>
#include <string_view>

namespace authmilter::authres::detail {

/// Characters that end or split a token when our parser reads it back: they force quoting.
inline bool
is_lenient_special(char c) noexcept
{
    // Mail::AuthenticationResults quotes on \s ( ) ; =. A '"' would end the token too (the Perl tool
    // cannot hold one in a value at all); a NUL is written as a space, so it counts as whitespace.
    switch(c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
    case '\0':
    case '(':
    case ')':
    case ';':
    case '=':
    case '"': return true;
    default: return false;
    }
}

/// RFC 2045 tspecials (plus whitespace): a value with one of them is not a `token`.
inline bool
is_strict_special(char c) noexcept
{
    switch(c) {
    case '<':
    case '>':
    case '@':
    case ',':
    case ':':
    case '\\':
    case '/':
    case '[':
    case ']':
    case '?': return true;
    default: return is_lenient_special(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    }
}

/// Whether a value (authserv-id, result, property value) must be written as a quoted-string.
inline bool
value_needs_quotes(std::string_view v, bool strict) noexcept
{
    for(char c : v)
        if(strict ? is_strict_special(c) : is_lenient_special(c))
            return true;
    return false;
}

/// Whether a key (method, property key) must be written as a quoted-string to be read back unchanged.
inline bool
key_needs_quotes(std::string_view k, bool strict) noexcept
{
    if(value_needs_quotes(k, strict))
        return true;
    // '/' would be read as a version separator; a '.' that does not sit between two non-empty parts
    // would be read as a stray ptype separator.
    if(k.find('/') != std::string_view::npos)
        return true;
    if(!k.empty() && (k.front() == '.' || k.back() == '.'))
        return true;
    return k.find("..") != std::string_view::npos;
}

/// `v` as a quoted-string: `"` and `\` are escaped (RFC 5322 quoted-pair), NUL/CR/LF become spaces.
inline std::string
quote(std::string_view v)
{
    std::string out;
    out.reserve(v.size() + 2);
    out += '"';
    for(char c : v) {
        if(c == '"' || c == '\\')
            out += '\\';
        out += (c == '\0' || c == '\r' || c == '\n') ? ' ' : c;
    }
    out += '"';
    return out;
}

/// A value as Mail::AuthenticationResults' `stringify` writes it (quoted only when needed).
inline std::string
stringify_value(std::string_view v, bool strict)
{
    return value_needs_quotes(v, strict) ? quote(v) : std::string(v);
}

/// A key, quoted when it would not read back as the same key.
inline std::string
stringify_key(std::string_view k, bool strict)
{
    return key_needs_quotes(k, strict) ? quote(k) : std::string(k);
}

/// True when `text` reads back as one comment: parentheses balanced, honouring `\` quoted-pairs.
inline bool
comment_reads_back(std::string_view text) noexcept
{
    long depth = 0;
    for(std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if(c == '\\') {
            if(++i == text.size())
                return false;
        } else if(c == '(') {
            ++depth;
        } else if(c == ')' && --depth < 0) {
            return false;
        }
    }
    return depth == 0;
}

/// The comment as written: `(text)`; unbalanced parentheses become spaces (as the Perl tool does),
/// NUL/CR/LF become spaces, and a lone trailing backslash becomes a space.
inline std::string
comment_text(std::string_view text)
{
    std::string t(text);
    for(auto& c : t)
        if(c == '\0' || c == '\r' || c == '\n')
            c = ' ';
    if(!comment_reads_back(t)) {
        for(auto& c : t)
            if(c == '(' || c == ')')
                c = ' ';
        // Only a trailing unpaired backslash can still break it now.
        if(!comment_reads_back(t))
            t.back() = ' ';
    }
    return '(' + t + ')';
}

} // namespace authmilter::authres::detail

#endif
