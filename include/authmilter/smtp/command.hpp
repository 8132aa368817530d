// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_COMMAND_HPP
#define AUTHMILTER_SMTP_COMMAND_HPP

#include <authmilter/core/smtp_path.hpp>
#include <authmilter/smtp/reply.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace authmilter::smtp {

/// The commands the filter understands. Anything else is `unknown` (answered 502).
enum class verb : std::uint8_t { helo, ehlo, lhlo, xforward, mail, rcpt, data, rset, noop, quit, unknown };

/// One command line split into its verb and argument.
struct command {
    verb what = verb::unknown;
    /// For MAIL and RCPT the text after `FROM:` / `TO:` (leading spaces removed); for the others
    /// the text after the verb and its space.
    std::string_view argument;
    /// MAIL without `FROM:`, RCPT without `TO:`, or an argument to a verb that takes none.
    bool syntax_error = false;
};

namespace detail {

inline char
ascii_upper(char c) noexcept
{
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
}

inline bool
iequal_prefix(std::string_view s, std::string_view upper_prefix) noexcept
{
    if(s.size() < upper_prefix.size())
        return false;
    for(std::size_t i = 0; i < upper_prefix.size(); ++i)
        if(ascii_upper(s[i]) != upper_prefix[i])
            return false;
    return true;
}

inline std::string_view
trim_spaces(std::string_view s) noexcept
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace detail

/// Splits a command line (without CRLF). Verbs are case-insensitive (RFC 5321 2.4).
inline command
parse_command(std::string_view line) noexcept
{
    command c;
    auto const sp = line.find(' ');
    auto const word = line.substr(0, sp);
    auto rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    struct entry {
        std::string_view name;
        verb v;
    };
    static constexpr entry verbs[] = {
        {"HELO", verb::helo}, {"EHLO", verb::ehlo}, {"LHLO", verb::lhlo}, {"XFORWARD", verb::xforward},
        {"MAIL", verb::mail}, {"RCPT", verb::rcpt}, {"DATA", verb::data}, {"RSET", verb::rset},
        {"NOOP", verb::noop}, {"QUIT", verb::quit},
    };
    for(auto const& e : verbs)
        if(word.size() == e.name.size() && detail::iequal_prefix(word, e.name))
            c.what = e.v;
    if(c.what == verb::mail || c.what == verb::rcpt) {
        auto const key = c.what == verb::mail ? std::string_view("FROM:") : std::string_view("TO:");
        rest = detail::trim_spaces(rest);
        if(!detail::iequal_prefix(rest, key)) {
            c.syntax_error = true;
            return c;
        }
        rest.remove_prefix(key.size());
        c.argument = detail::trim_spaces(rest);
        return c;
    }
    c.argument = detail::trim_spaces(rest);
    if((c.what == verb::data || c.what == verb::rset || c.what == verb::quit) && !c.argument.empty())
        c.syntax_error = true;
    return c;
}

/// Decodes RFC 3461 4 xtext (`+HH` hex escapes); nullopt when an escape is malformed.
inline std::optional<std::string>
decode_xtext(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    auto hex = [](char c) -> int {
        if(c >= '0' && c <= '9')
            return c - '0';
        if(c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if(c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(s[i] != '+') {
            out += s[i];
            continue;
        }
        if(i + 2 >= s.size())
            return std::nullopt;
        int const h = hex(s[i + 1]), l = hex(s[i + 2]);
        if(h < 0 || l < 0)
            return std::nullopt;
        out += static_cast<char>(h * 16 + l);
        i += 2;
    }
    return out;
}

/// Encodes a value as xtext (for passing XFORWARD on): `+`, `=`, controls, space and non-ASCII
/// become `+HH`.
inline std::string
encode_xtext(std::string_view s)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for(char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if(c < 33 || c > 126 || c == '+' || c == '=') {
            out += '+';
            out += digits[c >> 4];
            out += digits[c & 15];
        } else
            out += ch;
    }
    return out;
}

/** What Postfix tells a content filter about the original client (XFORWARD_README).
    An attribute is absent when it was not sent, or was `[UNAVAILABLE]` / `[TEMPUNAVAIL]`.
    Values are xtext-decoded.
*/
struct xforward_attributes {
    std::optional<std::string> name;   ///< client host name (`unknown` when it had none)
    std::optional<std::string> addr;   ///< client address, with any `IPv6:` prefix removed
    std::optional<std::string> port;   ///< client port
    std::optional<std::string> proto;  ///< SMTP or ESMTP
    std::optional<std::string> helo;   ///< HELO/EHLO argument
    std::optional<std::string> ident;  ///< the upstream queue id (after-queue filters only)
    std::optional<std::string> source; ///< LOCAL or REMOTE

    bool empty() const noexcept { return !name && !addr && !port && !proto && !helo && !ident && !source; }
};

/** Applies one XFORWARD command's `NAME=value` list to `into` (Postfix may send several
    XFORWARD commands; they accumulate). Returns a 501 reply for a malformed list, nothing on
    success. Unknown attribute names are refused too, as Postfix's own smtpd does.
*/
inline std::optional<reply>
apply_xforward(std::string_view argument, xforward_attributes& into)
{
    if(detail::trim_spaces(argument).empty())
        return reply(501, "5.5.4", "Syntax: XFORWARD attribute=value...");
    xforward_attributes next = into;
    while(true) {
        while(!argument.empty() && argument.front() == ' ')
            argument.remove_prefix(1);
        if(argument.empty())
            break;
        auto const sp = argument.find(' ');
        auto const item = argument.substr(0, sp);
        argument = sp == std::string_view::npos ? std::string_view() : argument.substr(sp);
        auto const eq = item.find('=');
        if(eq == std::string_view::npos || eq == 0)
            return reply(501, "5.5.4", "Bad XFORWARD attribute syntax");
        auto const key = item.substr(0, eq);
        auto value = decode_xtext(item.substr(eq + 1));
        if(!value)
            return reply(501, "5.5.4", "Bad XFORWARD xtext value");
        for(char c : *value)
            if(static_cast<unsigned char>(c) < 32 || c == 127)
                return reply(501, "5.5.4", "Bad XFORWARD attribute value");
        std::optional<std::string>* slot = nullptr;
        if(detail::iequal_prefix(key, "NAME") && key.size() == 4)
            slot = &next.name;
        else if(detail::iequal_prefix(key, "ADDR") && key.size() == 4)
            slot = &next.addr;
        else if(detail::iequal_prefix(key, "PORT") && key.size() == 4)
            slot = &next.port;
        else if(detail::iequal_prefix(key, "PROTO") && key.size() == 5)
            slot = &next.proto;
        else if(detail::iequal_prefix(key, "HELO") && key.size() == 4)
            slot = &next.helo;
        else if(detail::iequal_prefix(key, "IDENT") && key.size() == 5)
            slot = &next.ident;
        else if(detail::iequal_prefix(key, "SOURCE") && key.size() == 6)
            slot = &next.source;
        else
            return reply(501, "5.5.4", "Bad XFORWARD attribute name: " + std::string(key));
        if(*value == "[UNAVAILABLE]" || *value == "[TEMPUNAVAIL]") {
            slot->reset();
            continue;
        }
        if(slot == &next.addr && detail::iequal_prefix(*value, "IPV6:"))
            value->erase(0, 5);
        *slot = std::move(*value);
    }
    into = std::move(next);
    return std::nullopt;
}

/// The MAIL FROM argument, checked: the reverse-path and the parameters the filter supports.
struct mail_command {
    core::smtp_path path;
    std::optional<std::uint64_t> size; ///< SIZE=
    bool eight_bit = false;            ///< BODY=8BITMIME
    bool smtputf8 = false;             ///< SMTPUTF8
};

/** Parses a MAIL FROM argument (after `FROM:`). Returns the reply to send when it is refused:
    501 for a bad path or a malformed parameter, 555 for an unsupported one (RFC 5321 4.1.1.11),
    552 when SIZE is larger than `max_size` (0 = no limit).
*/
inline std::variant<mail_command, reply>
parse_mail(std::string_view argument, std::uint64_t max_size = 0)
{
    auto r = core::parse_reverse_path(argument);
    if(!r)
        return reply(501, "5.1.7", "Bad sender address syntax");
    mail_command m;
    m.path = std::move(*r);
    for(auto const& p : m.path.params) {
        if(core::iequals(p.keyword, "SIZE")) {
            std::uint64_t n = 0;
            auto const* b = p.value.data();
            auto const* e = b + p.value.size();
            auto const [end, ec] = std::from_chars(b, e, n);
            if(p.value.empty() || ec != std::errc{} || end != e)
                return reply(501, "5.5.4", "Bad SIZE parameter");
            if(max_size != 0 && n > max_size)
                return reply(552, "5.3.4", "Message size exceeds fixed limit");
            m.size = n;
        } else if(core::iequals(p.keyword, "BODY")) {
            if(core::iequals(p.value, "8BITMIME"))
                m.eight_bit = true;
            else if(!core::iequals(p.value, "7BIT"))
                return reply(555, "5.5.4", "Unsupported BODY parameter");
        } else if(core::iequals(p.keyword, "SMTPUTF8")) {
            if(!p.value.empty())
                return reply(501, "5.5.4", "SMTPUTF8 takes no value");
            m.smtputf8 = true;
        } else
            return reply(555, "5.5.4", "Unsupported MAIL parameter " + p.keyword);
    }
    return m;
}

/// Parses a RCPT TO argument (after `TO:`): 501 for a bad path, 555 for any parameter (none
/// is advertised).
inline std::variant<core::smtp_path, reply>
parse_rcpt(std::string_view argument)
{
    auto r = core::parse_forward_path(argument);
    if(!r)
        return reply(501, "5.1.3", "Bad recipient address syntax");
    if(!r->params.empty())
        return reply(555, "5.5.4", "Unsupported RCPT parameter " + r->params.front().keyword);
    return std::move(*r);
}

} // namespace authmilter::smtp

#endif
