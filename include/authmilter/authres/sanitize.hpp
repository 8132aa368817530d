// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_SANITIZE_HPP
#define AUTHMILTER_AUTHRES_SANITIZE_HPP

#include <string>
#include <string_view>

namespace authmilter::authres {

namespace detail {

inline bool
is_perl_space(char c) noexcept
{
    // Perl's \s: the characters trimmed by Mail::AuthenticationResults' safe setters.
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline std::string
trim_perl_space(std::string s)
{
    std::size_t b = 0;
    while(b < s.size() && is_perl_space(s[b]))
        ++b;
    std::size_t e = s.size();
    while(e > b && is_perl_space(s[e - 1]))
        --e;
    return s.substr(b, e - b);
}

} // namespace detail

/** Makes an untrusted string safe to use as a value, like Mail::AuthenticationResults' `safe_set_value`.

    TAB, CR, LF, `(`, `)`, `\`, `"` and `;` become spaces, then leading and trailing whitespace is removed.
    Handlers use it for values that come from the message or the peer (HELO names, addresses), so that
    what postmasters parse cannot be broken by the sender.
*/
inline std::string
safe_value(std::string_view v)
{
    std::string out(v);
    for(auto& c : out) {
        switch(c) {
        case '\t':
        case '\n':
        case '\r':
        case '(':
        case ')':
        case '\\':
        case '"':
        case ';': c = ' '; break;
        default: break;
        }
    }
    return detail::trim_perl_space(std::move(out));
}

/// True when the parentheses in `text` are balanced (never closing more than were opened).
inline bool
comment_is_balanced(std::string_view text) noexcept
{
    long depth = 0;
    for(char c : text) {
        if(c == '(')
            ++depth;
        else if(c == ')' && --depth < 0)
            return false;
    }
    return depth == 0;
}

/** Makes an untrusted string safe to use as a comment, like Mail::AuthenticationResults' comment
    `safe_set_value`: TAB, CR and LF become spaces; if the parentheses are not balanced, every `(` and
    `)` becomes a space; then leading and trailing whitespace is removed.
*/
inline std::string
safe_comment(std::string_view text)
{
    std::string out(text);
    for(auto& c : out)
        if(c == '\t' || c == '\n' || c == '\r')
            c = ' ';
    if(!comment_is_balanced(out))
        for(auto& c : out)
            if(c == '(' || c == ')')
                c = ' ';
    return detail::trim_perl_space(std::move(out));
}

} // namespace authmilter::authres

#endif
