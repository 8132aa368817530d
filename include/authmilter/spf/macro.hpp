// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_MACRO_HPP
#define AUTHMILTER_SPF_MACRO_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/spf/detail/domain.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::spf {

/// Where a macro-string appears; it decides which letters and characters are allowed.
enum class macro_mode : std::uint8_t {
    domain_spec, ///< a mechanism's or redirect=/exp= target: letters `s l o d i p v h`, no space
    explanation, ///< the TXT text fetched by exp=: adds `c r t` and literal spaces
    modifier,    ///< the value of an unknown modifier: never expanded, any macro letter accepted
};

/// The values the macro letters expand to (RFC 7208 §7.2). Views must outlive the expansion.
struct macro_context {
    std::string_view sender;        ///< `s`: <sender>, `local-part@domain`
    std::string_view local_part;    ///< `l`
    std::string_view sender_domain; ///< `o`
    std::string_view domain;        ///< `d`: the domain being evaluated (changes in include/redirect)
    core::ip_address ip;            ///< `i`, `c`, `v`
    std::string_view helo;          ///< `h`
    std::string_view validated;     ///< `p`: validated name of `ip`, or "unknown"
    std::string_view receiver;      ///< `r`: the checking host ("unknown" when empty)
    std::int64_t timestamp = 0;     ///< `t`: seconds since the epoch
};

/// Checks the syntax of a macro-string (RFC 7208 §7.1) for `mode`. Returns nullopt when valid,
/// otherwise a short description of the first error.
std::optional<std::string> check_macro_string(std::string_view text, macro_mode mode);

/// Checks a domain-spec: a valid macro-string in domain_spec mode that ends in a macro or in
/// `.toplabel` with an optional trailing dot. Returns nullopt when valid, else the reason.
std::optional<std::string> check_domain_spec(std::string_view text);

/// Does the macro-string use the letter (either case)? Used to decide whether the costly `p`
/// value must be looked up before expanding. Assumes valid syntax.
bool uses_macro_letter(std::string_view text, char letter) noexcept;

/// Expands a macro-string. Returns nullopt on a syntax error (same rules as check_macro_string).
/// Upper-case letters are URL-escaped after transformation; `%%`, `%_`, `%-` give `%`, space
/// and `%20`.
std::optional<std::string> expand_macros(std::string_view text, macro_context const& ctx, macro_mode mode);

namespace detail {

constexpr bool
is_delimiter(char c) noexcept
{
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

constexpr bool
is_macro_letter(char c, macro_mode mode) noexcept
{
    c = to_lower(c);
    switch(c) {
    case 's':
    case 'l':
    case 'o':
    case 'd':
    case 'i':
    case 'p':
    case 'v':
    case 'h': return true;
    case 'c':
    case 'r':
    case 't': return mode != macro_mode::domain_spec;
    default: return false;
    }
}

/// One parsed `%{...}` expression.
struct macro_expr {
    char letter = 0;         ///< as written (case tells whether to URL-escape)
    unsigned keep = 0;       ///< right-hand parts to keep; 0 = all
    bool reverse = false;    ///< the `r` transformer
    std::string_view delims; ///< delimiter characters; empty = "."
};

/// A visitor-driven scanner shared by checking and expansion. `on_literal(text, end, escape)`
/// gets literal runs and the decoded `%%`/`%_`/`%-` (escape = true); `on_macro(expr, end)` gets
/// each expression; `end` is the offset just past the item. Returns nullopt on success or the
/// error text.
template<class OnLiteral, class OnMacro>
std::optional<std::string>
scan_macro_string(std::string_view text, macro_mode mode, OnLiteral&& on_literal, OnMacro&& on_macro)
{
    std::size_t i = 0;
    while(i < text.size()) {
        char const c = text[i];
        if(c != '%') {
            auto const u = static_cast<unsigned char>(c);
            bool const ok = (u >= 0x21 && u <= 0x7e) || (u == 0x20 && mode == macro_mode::explanation);
            if(!ok)
                return std::string("invalid character in macro string");
            std::size_t j = i + 1;
            while(j < text.size() && text[j] != '%') {
                auto const v = static_cast<unsigned char>(text[j]);
                if(!((v >= 0x21 && v <= 0x7e) || (v == 0x20 && mode == macro_mode::explanation)))
                    break;
                ++j;
            }
            on_literal(text.substr(i, j - i), j, false);
            i = j;
            continue;
        }
        if(i + 1 >= text.size())
            return std::string("'%' at end of macro string");
        char const k = text[i + 1];
        if(k == '%') {
            on_literal("%", i + 2, true);
            i += 2;
            continue;
        }
        if(k == '_') {
            on_literal(" ", i + 2, true);
            i += 2;
            continue;
        }
        if(k == '-') {
            on_literal("%20", i + 2, true);
            i += 2;
            continue;
        }
        if(k != '{')
            return std::string("invalid macro expression '%") + k + "'";
        std::size_t j = i + 2;
        if(j >= text.size() || !is_macro_letter(text[j], mode))
            return std::string("invalid macro letter");
        macro_expr m;
        m.letter = text[j++];
        bool digits = false;
        unsigned long keep = 0;
        while(j < text.size() && is_digit(text[j])) {
            digits = true;
            // Saturate: any count beyond the number of labels keeps them all.
            if(keep < 100000)
                keep = keep * 10 + static_cast<unsigned>(text[j] - '0');
            ++j;
        }
        if(digits && keep == 0)
            return std::string("zero right-hand parts in macro");
        m.keep = static_cast<unsigned>(keep);
        if(j < text.size() && (text[j] == 'r' || text[j] == 'R')) {
            m.reverse = true;
            ++j;
        }
        std::size_t const d0 = j;
        while(j < text.size() && is_delimiter(text[j]))
            ++j;
        m.delims = text.substr(d0, j - d0);
        if(j >= text.size() || text[j] != '}')
            return std::string("unterminated macro expression");
        on_macro(m, j + 1);
        i = j + 1;
    }
    return std::nullopt;
}

inline void
append_url_escaped(std::string& out, std::string_view value)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for(char c : value) {
        if(is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            auto const u = static_cast<unsigned char>(c);
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        }
    }
}

/// Applies the transformers of RFC 7208 §7.3: split on the delimiters, optionally reverse, keep
/// the right-most `keep` parts, join with dots.
inline std::string
transform(std::string_view value, macro_expr const& m)
{
    std::string_view const delims = m.delims.empty() ? std::string_view(".") : m.delims;
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for(std::size_t i = 0; i <= value.size(); ++i) {
        if(i == value.size() || delims.find(value[i]) != std::string_view::npos) {
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    if(m.reverse) {
        for(std::size_t a = 0, b = parts.size() - 1; a < b; ++a, --b)
            std::swap(parts[a], parts[b]);
    }
    std::size_t first = 0;
    if(m.keep != 0 && m.keep < parts.size())
        first = parts.size() - m.keep;
    std::string out;
    for(std::size_t i = first; i < parts.size(); ++i) {
        if(i != first)
            out += '.';
        out += parts[i];
    }
    return out;
}

inline std::string
macro_value(char letter, macro_context const& ctx)
{
    switch(to_lower(letter)) {
    case 's': return std::string(ctx.sender);
    case 'l': return std::string(ctx.local_part);
    case 'o': return std::string(ctx.sender_domain);
    case 'd': return std::string(ctx.domain);
    case 'i': return ctx.ip.dotted_nibbles();
    case 'p': return ctx.validated.empty() ? std::string("unknown") : std::string(ctx.validated);
    case 'v': return ctx.ip.is_v4() ? std::string("in-addr") : std::string("ip6");
    case 'h': return std::string(ctx.helo);
    case 'c': return ctx.ip.to_string();
    case 'r': return ctx.receiver.empty() ? std::string("unknown") : std::string(ctx.receiver);
    case 't': return std::to_string(ctx.timestamp);
    default: return std::string();
    }
}

} // namespace detail

inline std::optional<std::string>
check_macro_string(std::string_view text, macro_mode mode)
{
    return detail::scan_macro_string(
        text, mode, [](std::string_view, std::size_t, bool) {},
        [](detail::macro_expr const&, std::size_t) {});
}

inline std::optional<std::string>
check_domain_spec(std::string_view text)
{
    if(text.empty())
        return std::string("empty domain-spec");
    // Find where the last macro-expand ends, so that the domain-end check looks only at the
    // literal tail. %%, %_ and %- are macro-expands in the grammar too.
    std::size_t last_macro_end = 0;
    auto err = detail::scan_macro_string(
        text, macro_mode::domain_spec,
        [&](std::string_view, std::size_t end, bool escape) {
            if(escape)
                last_macro_end = end;
        },
        [&](detail::macro_expr const&, std::size_t end) { last_macro_end = end; });
    if(err)
        return err;
    if(last_macro_end == text.size())
        return std::nullopt;
    auto tail = text.substr(last_macro_end);
    if(tail.back() == '.')
        tail.remove_suffix(1);
    auto const dot = tail.rfind('.');
    if(dot == std::string_view::npos)
        return std::string("domain-spec does not end in '.toplabel'");
    if(!detail::valid_toplabel(tail.substr(dot + 1)))
        return std::string("invalid top label in domain-spec");
    return std::nullopt;
}

inline bool
uses_macro_letter(std::string_view text, char letter) noexcept
{
    for(std::size_t i = 0; i + 2 < text.size(); ++i) {
        if(text[i] == '%') {
            if(text[i + 1] == '{' && detail::to_lower(text[i + 2]) == detail::to_lower(letter))
                return true;
            ++i; // skip the escaped character of %%, %_ and %-
        }
    }
    return false;
}

inline std::optional<std::string>
expand_macros(std::string_view text, macro_context const& ctx, macro_mode mode)
{
    std::string out;
    auto err = detail::scan_macro_string(
        text, mode, [&](std::string_view lit, std::size_t, bool) { out += lit; },
        [&](detail::macro_expr const& m, std::size_t) {
            auto value = detail::transform(detail::macro_value(m.letter, ctx), m);
            if(m.letter >= 'A' && m.letter <= 'Z')
                detail::append_url_escaped(out, value);
            else
                out += value;
        });
    if(err)
        return std::nullopt;
    return out;
}

} // namespace authmilter::spf

#endif
