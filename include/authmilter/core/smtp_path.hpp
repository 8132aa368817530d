// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_SMTP_PATH_HPP
#define AUTHMILTER_CORE_SMTP_PATH_HPP

#include <authmilter/core/detail/ascii.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/core/error.hpp>
#include <authmilter/core/ip_address.hpp>

#include <boost/system/result.hpp>

#include <concepts>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::core {

/// One ESMTP parameter of MAIL FROM or RCPT TO (RFC 5321 4.1.2), e.g. `SIZE=1234` or `SMTPUTF8`.
struct esmtp_param {
    std::string keyword; ///< as written; compare with `iequals` (keywords are case-insensitive)
    std::string value;   ///< after the first `=`; empty when there is none

    friend bool operator==(esmtp_param const&, esmtp_param const&) = default;
};

/// A parsed RFC 5321 reverse-path (MAIL FROM) or forward-path (RCPT TO) with its parameters.
///
/// The local part is decoded: the quotes of a quoted string and the backslashes of its
/// quoted-pairs are removed (`"john doe"@example.com` has the local part `john doe`), and
/// `address()` quotes it again when it must be. Source routes are dropped (RFC 5321 4.1.1.3
/// says to ignore them).
struct smtp_path {
    std::string local_part;                    ///< decoded; may be empty (`<@example.com>`)
    core::domain domain;                       ///< empty for `<>`, for `<user>` and for literals
    std::optional<ip_address> address_literal; ///< set for `user@[192.0.2.1]`, `user@[IPv6:...]`
    std::vector<esmtp_param> params;           ///< in the order given
    bool is_null = false;                      ///< the null reverse-path `<>`

    /// True when the path names a domain (not a literal, not the null path, not `<user>`).
    bool has_domain() const noexcept { return !domain.empty(); }

    /// The special forward-path `<Postmaster>` (RFC 5321 4.1.1.3): that local part, any case,
    /// and no domain.
    bool is_postmaster() const noexcept
    {
        return !is_null && domain.empty() && !address_literal && iequals(local_part, "postmaster");
    }

    /// The local part, or `postmaster` when it is empty: RFC 7208 4.3 "If the <sender> has no
    /// local-part, substitute the string 'postmaster'".
    std::string_view local_part_or_postmaster() const noexcept
    {
        return local_part.empty() ? std::string_view("postmaster") : std::string_view(local_part);
    }

    /// `local@domain` without angle brackets (`local@[192.0.2.1]` for a literal, the local part
    /// alone when there is no domain), quoting the local part where RFC 5321 requires it;
    /// empty for the null path.
    std::string address() const;

    /// The first parameter whose keyword equals `keyword` ignoring case, or nullptr.
    esmtp_param const* find_param(std::string_view keyword) const noexcept;
};

/// Parses a MAIL FROM argument: a reverse-path, optionally followed by whitespace and ESMTP
/// parameters (`<user@example.com> SIZE=123 BODY=8BITMIME`).
///
/// Lenient, as MTAs are: the angle brackets may be missing (Sendmail passes `user@example.com`),
/// whitespace may surround the path and stand just inside the brackets, an empty argument is the
/// null path like `<>`, a path without `@` (`<root>`) is a local part without domain, local parts
/// may contain leading, trailing or repeated dots, and an empty `KEYWORD=` value is accepted.
/// Strict otherwise: unbalanced brackets, control characters, a space in an unquoted local part,
/// a bad domain, a general address literal, a malformed keyword are errors.
boost::system::result<smtp_path> parse_reverse_path(std::string_view text);

/// Parses a RCPT TO argument like `parse_reverse_path`, except that the null path `<>` (or an
/// empty argument) is `error::null_forward_path`. `<Postmaster>` parses with `is_postmaster()`.
boost::system::result<smtp_path> parse_forward_path(std::string_view text);

/// Parses one ESMTP parameter, `keyword` or `keyword=value` (RFC 5321 4.1.2: the keyword is a
/// letter or digit followed by letters, digits and hyphens; the value has no space, control
/// character or `=`, though a value containing `=` is accepted after the first one).
boost::system::result<esmtp_param> parse_esmtp_param(std::string_view text);

/// The milter form: the MTA sends the path (`<user@example.com>`) and each ESMTP parameter as
/// separate strings, as `smfi_envfrom` receives them; `params` is any range of string-like
/// values (empty strings are skipped). Parameters written after the path in `path` are kept too.
template<std::ranges::input_range Params>
requires std::convertible_to<std::ranges::range_reference_t<Params>, std::string_view>
    boost::system::result<smtp_path> parse_reverse_path(std::string_view path, Params const& params);

/// The milter form of `parse_forward_path`, see `parse_reverse_path(path, params)`.
template<std::ranges::input_range Params>
requires std::convertible_to<std::ranges::range_reference_t<Params>, std::string_view>
    boost::system::result<smtp_path> parse_forward_path(std::string_view path, Params const& params);

namespace detail {

enum class path_kind { reverse, forward };

class smtp_path_parser {
public:
    explicit smtp_path_parser(std::string_view s) noexcept
        : s_(s)
    {}

    boost::system::error_code parse(path_kind kind, smtp_path& out)
    {
        trim();
        if(s_.empty()) {
            // Some front ends hand over the null sender as an empty string.
            if(kind == path_kind::forward)
                return error::null_forward_path;
            out.is_null = true;
            return {};
        }
        bool const bracketed = s_.front() == '<';
        if(bracketed) {
            ++i_;
            skip_wsp();
            if(at('>')) {
                ++i_;
                if(kind == path_kind::forward)
                    return error::null_forward_path;
                out.is_null = true;
                return parse_params_tail(out);
            }
        }
        if(auto ec = parse_mailbox(bracketed, out))
            return ec;
        if(bracketed) {
            skip_wsp();
            if(!at('>'))
                return error::bad_path;
            ++i_;
        }
        return parse_params_tail(out);
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;

    bool at(char c) const noexcept { return i_ < s_.size() && s_[i_] == c; }
    bool at_end() const noexcept { return i_ >= s_.size(); }

    void trim() noexcept
    {
        auto const ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
        while(!s_.empty() && ws(s_.front()))
            s_.remove_prefix(1);
        while(!s_.empty() && ws(s_.back()))
            s_.remove_suffix(1);
    }

    void skip_wsp() noexcept
    {
        while(i_ < s_.size() && is_wsp(s_[i_]))
            ++i_;
    }

    // The end of the path proper: '>' inside brackets (whitespace before it is tolerated),
    // whitespace or the end of the text without them.
    bool at_terminator(bool bracketed) const noexcept
    {
        if(at_end())
            return true;
        char const c = s_[i_];
        return is_wsp(c) || (bracketed && c == '>');
    }

    boost::system::error_code parse_mailbox(bool bracketed, smtp_path& out)
    {
        if(at('@') && has_route(bracketed)) {
            if(auto ec = skip_route())
                return ec;
        }
        if(auto ec = parse_local_part(bracketed, out.local_part))
            return ec;
        if(!at('@')) {
            // "<root>", "<Postmaster>": a local part alone. An empty one ("<\"\">") is nothing.
            if(!at_terminator(bracketed))
                return error::bad_local_part;
            if(out.local_part.empty())
                return error::bad_address;
            return {};
        }
        ++i_;
        if(at('['))
            return parse_literal(out);
        auto const start = i_;
        while(!at_terminator(bracketed))
            ++i_;
        auto d = core::domain::parse(s_.substr(start, i_ - start));
        if(!d)
            return d.error();
        out.domain = std::move(*d);
        return {};
    }

    // "@a,@b:user@example.com": a ':' before the end of the path means a source route. Without
    // one, "@example.com" is an empty local part (RFC 7208 then reads it as postmaster).
    bool has_route(bool bracketed) const noexcept
    {
        for(std::size_t k = i_; k < s_.size(); ++k) {
            char const c = s_[k];
            if(c == ':')
                return true;
            if(c == '"' || c == '>' || (!bracketed && is_wsp(c)))
                return false;
        }
        return false;
    }

    boost::system::error_code skip_route()
    {
        for(;;) {
            if(!at('@'))
                return error::bad_path;
            ++i_;
            auto const start = i_;
            while(!at_end() && s_[i_] != ',' && s_[i_] != ':')
                ++i_;
            if(at_end() || !core::domain::parse(s_.substr(start, i_ - start)))
                return error::bad_path;
            if(s_[i_++] == ':')
                return {};
        }
    }

    boost::system::error_code parse_local_part(bool bracketed, std::string& out)
    {
        if(at('"')) {
            ++i_;
            for(;;) {
                if(at_end())
                    return error::unterminated_quote;
                char c = s_[i_++];
                if(c == '"')
                    return {};
                if(c == '\\') {
                    if(at_end())
                        return error::unterminated_quote;
                    c = s_[i_++];
                }
                // qtextSMTP and quoted-pairSMTP: printable ASCII and space, plus UTF-8.
                if(!(is_non_ascii(c) || (c >= 32 && c <= 126)))
                    return error::bad_local_part;
                out += c;
            }
        }
        while(!at_end() && !at('@') && !at_terminator(bracketed)) {
            char const c = s_[i_];
            if(!is_atext(c) && c != '.')
                return error::bad_local_part;
            out += c;
            ++i_;
        }
        return {};
    }

    boost::system::error_code parse_literal(smtp_path& out)
    {
        auto const close = s_.find(']', i_);
        if(close == std::string_view::npos)
            return error::unterminated_literal;
        auto const ip = ip_address::parse(s_.substr(i_ + 1, close - i_ - 1));
        if(!ip)
            return error::bad_address_literal;
        out.address_literal = *ip;
        i_ = close + 1;
        return {};
    }

    boost::system::error_code parse_params_tail(smtp_path& out)
    {
        if(at_end())
            return {};
        if(!is_wsp(s_[i_]))
            return error::bad_path; // "<a@b>SIZE=1", "<a@b>>"
        for(;;) {
            skip_wsp();
            if(at_end())
                return {};
            auto const start = i_;
            while(!at_end() && !is_wsp(s_[i_]))
                ++i_;
            auto p = parse_esmtp_param(s_.substr(start, i_ - start));
            if(!p)
                return p.error();
            out.params.push_back(std::move(*p));
        }
    }
};

inline boost::system::result<smtp_path>
parse_path(std::string_view text, path_kind kind)
{
    smtp_path out;
    if(auto ec = smtp_path_parser(text).parse(kind, out))
        return ec;
    return out;
}

template<class Params>
boost::system::result<smtp_path>
parse_path(std::string_view path, Params const& params, path_kind kind)
{
    auto r = parse_path(path, kind);
    if(!r)
        return r;
    for(auto&& item : params) {
        std::string_view const text = item;
        if(text.empty())
            continue;
        auto p = parse_esmtp_param(text);
        if(!p)
            return p.error();
        r->params.push_back(std::move(*p));
    }
    return r;
}

} // namespace detail

inline std::string
smtp_path::address() const
{
    if(is_null)
        return {};
    std::string out = detail::quote_local_part(local_part);
    if(address_literal) {
        out += address_literal->is_v6() ? "@[IPv6:" : "@[";
        out += address_literal->to_string();
        out += ']';
    } else if(!domain.empty()) {
        out += '@';
        out += domain.str();
    }
    return out;
}

inline esmtp_param const*
smtp_path::find_param(std::string_view keyword) const noexcept
{
    for(auto const& p : params)
        if(iequals(p.keyword, keyword))
            return &p;
    return nullptr;
}

inline boost::system::result<esmtp_param>
parse_esmtp_param(std::string_view text)
{
    auto const eq = text.find('=');
    auto const keyword = text.substr(0, eq);
    if(keyword.empty() || !detail::is_alnum(keyword.front()))
        return error::bad_parameter;
    for(char c : keyword)
        if(!detail::is_alnum(c) && c != '-')
            return error::bad_parameter;
    esmtp_param p;
    p.keyword = std::string(keyword);
    if(eq == std::string_view::npos)
        return p;
    auto const value = text.substr(eq + 1);
    for(char c : value)
        if(!detail::is_non_ascii(c) && (c < 33 || c > 126))
            return error::bad_parameter;
    p.value = std::string(value);
    return p;
}

inline boost::system::result<smtp_path>
parse_reverse_path(std::string_view text)
{
    return detail::parse_path(text, detail::path_kind::reverse);
}

inline boost::system::result<smtp_path>
parse_forward_path(std::string_view text)
{
    return detail::parse_path(text, detail::path_kind::forward);
}

template<std::ranges::input_range Params>
requires std::convertible_to<std::ranges::range_reference_t<Params>, std::string_view>
    boost::system::result<smtp_path>
    parse_reverse_path(std::string_view path, Params const& params)
{
    return detail::parse_path(path, params, detail::path_kind::reverse);
}

template<std::ranges::input_range Params>
requires std::convertible_to<std::ranges::range_reference_t<Params>, std::string_view>
    boost::system::result<smtp_path>
    parse_forward_path(std::string_view path, Params const& params)
{
    return detail::parse_path(path, params, detail::path_kind::forward);
}

} // namespace authmilter::core

#endif
