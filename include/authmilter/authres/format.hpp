// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_FORMAT_HPP
#define AUTHMILTER_AUTHRES_FORMAT_HPP

#include <authmilter/authres/detail/fold.hpp>
#include <authmilter/authres/detail/quote.hpp>
#include <authmilter/authres/result.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::authres {

/// Where the formatter starts new lines (Mail::AuthenticationResults' `set_indent_style`).
enum class fold_style {
    none,     ///< everything on one line (still folded at `fold_at` if that is reached)
    entry,    ///< each result on its own line (the Perl tool's default)
    subentry, ///< each result and each property on its own line
    full,     ///< each result, property and comment on its own line
};

/// How `format` lays out a header. The defaults give Authentication Milter's default output.
struct format_options {
    fold_style style = fold_style::entry;

    /// Spaces of indentation per level (`header_indent_by`). Clamped to 1..`max_line_length / 8`: a
    /// continuation line must start with whitespace, and indentation alone must not fill a line.
    std::size_t indent_by = 4;

    /// Try-fold column (`header_fold_at`); the Perl tool's default is 800. Counted like the Perl tool:
    /// from the start of the field body on the first line (the field name is not counted), and from the
    /// EOL that starts the line on the next ones (so `\n` counts one octet, `\r\n` two).
    std::optional<std::size_t> fold_at;

    /// Line ending: `"\n"` (default, as the milter protocol wants) or `"\r\n"`.
    std::string eol = "\n";

    /// Quote every value that is not an RFC 2045 token (contains `@`, `/`, `:`...), as
    /// Mail::AuthenticationResults' strict quoting does (`smtp.mailfrom="user@example.com"`).
    bool strict_quotes = false;

    /// Write a method version the RFC 8601 way (`dkim/1=pass`) instead of the Perl tool's way
    /// (`dkim=pass / 1`, after the result and the comments before it).
    bool rfc_method_version = false;

    /// Hard cap: no line of the output is longer than this many octets (EOL excluded). RFC 5322 2.1.1
    /// sets 998. Values and comments that cannot fit are cut with folding whitespace (see `formatted`).
    std::size_t max_line_length = 998;

    /// Octets that precede the body on its first line, counted against `max_line_length` only:
    /// `Authentication-Results: ` by default.
    std::size_t first_line_offset = 24;
};

/// The output of `format`.
struct formatted {
    std::string text;          ///< the field body, without the field name and without a final EOL
    bool hard_wrapped = false; ///< a value or comment was longer than a line and had to be cut
};

namespace detail {

inline std::size_t
indent_by(format_options const& o) noexcept
{
    std::size_t const most = o.max_line_length / 8 > 0 ? o.max_line_length / 8 : 1;
    return o.indent_by < 1 ? 1 : o.indent_by > most ? most : o.indent_by;
}

class header_writer {
public:
    header_writer(format_options const& o, foldable& f)
        : o_(o)
        , f_(f)
    {}

    void write_header(header const& h)
    {
        write_authserv(h);
        f_.separator(";");
        bool sep = false;
        bool any_result = false;
        for(auto const& c : h.header_comments) {
            if(sep)
                f_.separator(";");
            sep = true;
            prefix(1, o_.style == fold_style::full);
            f_.comment(comment_text(c));
        }
        for(auto const& r : h.results) {
            if(r.method.empty())
                continue;
            if(sep)
                f_.separator(";");
            sep = true;
            any_result = true;
            prefix(1, o_.style != fold_style::none);
            write_result(r, 1);
        }
        if(!any_result) {
            f_.space(" ");
            f_.string("none");
        }
    }

    /// A result alone, as the Perl tool's `Entry->as_string` (used to sort entries): every child
    /// separated by one space, nothing indented.
    void write_standalone(result const& r)
    {
        standalone_ = true;
        write_result(r, 0);
    }

private:
    void write_authserv(header const& h)
    {
        if(h.authserv_id.empty())
            f_.string("unknown");
        else
            value(h.authserv_id);
        for(auto const& p : h.authserv_properties) {
            if(p.name.empty())
                continue;
            f_.space(" ");
            // The authserv-id part has no `ptype.property` syntax: a dotted key is read back only quoted.
            std::string const k = p.key();
            write_kv(k, p.value, k.find('.') != std::string::npos, !h.authserv_version);
            for(auto const& c : p.comments) {
                f_.space(" ");
                f_.comment(comment_text(c));
            }
        }
        for(auto const& c : h.authserv_comments) {
            f_.space(" ");
            f_.comment(comment_text(c));
        }
        if(h.authserv_version && !h.authserv_version->empty()) {
            f_.space(" ");
            f_.string(*h.authserv_version);
        }
    }

    void write_result(result const& r, std::size_t depth)
    {
        bool const version = r.method_version && !r.method_version->empty();
        // A method literally named "none" is quoted so that it is not read back as "no result".
        bool const none_name = iequals_none(r.method);
        if(version && o_.rfc_method_version) {
            key(r.method, none_name);
            f_.separator("/");
            f_.string(*r.method_version);
            f_.assignment("=");
            value_or_empty(r.value);
        } else {
            write_kv(r.method, r.value, none_name);
        }
        bool const full = o_.style == fold_style::full;
        bool const sub = o_.style == fold_style::subentry || full;
        for(std::size_t i = 0; i <= r.comments.size(); ++i) {
            if(version && !o_.rfc_method_version &&
               i == std::min(r.method_version_position, r.comments.size())) {
                f_.space(" ");
                f_.separator("/");
                f_.space(" ");
                f_.string(*r.method_version);
            }
            if(i == r.comments.size())
                break;
            prefix(depth + 1, full);
            f_.comment(comment_text(r.comments[i]));
        }
        if(r.reason) {
            prefix(depth + 1, sub);
            write_kv("reason", *r.reason);
            for(auto const& c : r.reason_comments) {
                prefix(depth + 2, full);
                f_.comment(comment_text(c));
            }
        }
        for(auto const& p : r.properties) {
            if(p.name.empty())
                continue;
            prefix(depth + 1, sub);
            write_kv(p.key(), p.value);
            for(auto const& c : p.comments) {
                prefix(depth + 2, full);
                f_.comment(comment_text(c));
            }
        }
    }

    /// Mail::AuthenticationResults' `as_string_prefix`: a new indented line when this kind of child is
    /// indented in the style, else one space.
    void prefix(std::size_t depth, bool indented)
    {
        if(indented && !standalone_) {
            f_.space(o_.eol);
            f_.space(std::string(indent_by(o_) * depth, ' '));
        } else {
            f_.space(" ");
        }
    }

    void write_kv(std::string_view k, std::string_view v, bool force_quote_key = false, bool bare_none = true)
    {
        key(k, force_quote_key);
        // The Perl tool writes a bare `none` for a key "none" without a value; it reads back the same,
        // except in the authserv-id part when a version follows it.
        if(bare_none && !force_quote_key && k == "none" && v.empty())
            return;
        f_.assignment("=");
        value_or_empty(v);
    }

    void value_or_empty(std::string_view v)
    {
        if(v.empty())
            f_.quotable("\"\"", std::string());
        else
            value(v);
    }

    void key(std::string_view k, bool force_quote)
    {
        f_.quotable(force_quote ? quote(k) : stringify_key(k, o_.strict_quotes), std::string(k));
    }

    void value(std::string_view v) { f_.quotable(stringify_value(v, o_.strict_quotes), std::string(v)); }

    static bool iequals_none(std::string_view s) noexcept
    {
        if(s.size() != 4)
            return false;
        for(std::size_t i = 0; i < 4; ++i)
            if((s[i] | 0x20) != "none"[i])
                return false;
        return true;
    }

    format_options const& o_;
    foldable& f_;
    bool standalone_ = false;
};

inline foldable::settings
fold_settings(format_options const& o)
{
    foldable::settings s;
    s.eol = o.eol;
    s.indent = std::string(indent_by(o), ' ');
    s.sub_indent = "  ";
    s.try_fold_at = o.fold_at.value_or(800);
    s.max_line = o.max_line_length < 8 ? 8 : o.max_line_length;
    s.first_line_offset = o.first_line_offset < s.max_line / 2 ? o.first_line_offset : s.max_line / 2;
    return s;
}

} // namespace detail

/** Formats a header the way Mail::AuthenticationResults' `as_string` does.

    The output is the field body: what follows `Authentication-Results:` (no leading space, no final
    EOL). Values are quoted when they contain whitespace, `(`, `)`, `;`, `=` or `"` (every non-token with
    `strict_quotes`); an empty value is written `key=""`; a comment whose parentheses are not balanced
    has them replaced by spaces. Results with an empty method are skipped; no result gives `id; none`.

    Beyond the Perl tool: no line is ever longer than `max_line_length` octets. A line that would be is
    folded at a token boundary, and a single value or comment that cannot fit on a line is cut with
    folding whitespace inside a quoted-string or comment (then `hard_wrapped` is true: unfolded, that
    value has gained a space per cut).
*/
inline formatted
format(header const& h, format_options const& opts = {})
{
    detail::foldable f;
    detail::header_writer w(opts, f);
    w.write_header(h);
    formatted out;
    out.text = f.layout(detail::fold_settings(opts), out.hard_wrapped);
    return out;
}

/// `format(h, opts).text`.
inline std::string
to_string(header const& h, format_options const& opts = {})
{
    return format(h, opts).text;
}

/** A result on its own, as Mail::AuthenticationResults' `Entry->as_string` writes it: one line, every
    comment and property after one space (`dkim=pass (1024-bit key) header.d=example.com`). This is the
    key the Perl tool sorts results by (see `sort_results`).
*/
inline std::string
to_string(result const& r)
{
    format_options opts;
    opts.style = fold_style::none;
    opts.first_line_offset = 0;
    detail::foldable f;
    detail::header_writer w(opts, f);
    w.write_standalone(r);
    bool ignored = false;
    return f.layout(detail::fold_settings(opts), ignored);
}

} // namespace authmilter::authres

#endif
