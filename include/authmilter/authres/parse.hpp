// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_PARSE_HPP
#define AUTHMILTER_AUTHRES_PARSE_HPP

#include <authmilter/authres/detail/tokenizer.hpp>
#include <authmilter/authres/error.hpp>
#include <authmilter/authres/result.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::authres {

/// Limits for `parse`.
struct parse_options {
    /// Deepest comment nesting accepted; deeper input is rejected with `error::comment_too_deep`.
    std::size_t max_comment_depth = 32;
};

namespace detail {

inline bool
all_digits(std::string_view s) noexcept
{
    if(s.empty())
        return false;
    for(char c : s)
        if(c < '0' || c > '9')
            return false;
    return true;
}

inline bool
iequals_ascii(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if(x >= 'A' && x <= 'Z')
            x = static_cast<char>(x + 32);
        if(y >= 'A' && y <= 'Z')
            y = static_cast<char>(y + 32);
        if(x != y)
            return false;
    }
    return true;
}

/// Splits a key at its first '.' into ptype and property name; rejects empty parts.
inline bool
split_key(std::string const& key, property& p) noexcept
{
    if(key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos)
        return false;
    auto const dot = key.find('.');
    if(dot == std::string::npos) {
        p.ptype.clear();
        p.name = key;
    } else {
        p.ptype = key.substr(0, dot);
        p.name = key.substr(dot + 1);
    }
    return true;
}

inline bool
has_quote(std::string_view v) noexcept
{
    return v.find('"') != std::string_view::npos;
}

/// The parser proper: a small state machine over the tokens, after Mail::AuthenticationResults' own
/// (`_parse_authservid`, `_parse_entry`) so that it accepts and rejects what that parser does.
class parser {
public:
    parser(std::string_view body, parse_options const& o)
        : tok_(body, o.max_comment_depth)
    {}

    error run(header& h)
    {
        error e{};
        if(!advance(e))
            return e;
        if(cur_.k == kind::end)
            return error::empty_input;
        if((e = authserv(h)) != error{})
            return e;
        while(cur_.k != kind::end)
            if((e = segment(h)) != error{})
                return e;
        return {};
    }

private:
    using kind = tokenizer::kind;

    bool advance(error& e) { return tok_.next(cur_, e); }

    error authserv(header& h)
    {
        error e{};
        while(cur_.k == kind::comment) {
            h.authserv_comments.push_back(std::move(cur_.text));
            if(!advance(e))
                return e;
        }
        if(cur_.k != kind::string || cur_.text.empty())
            return cur_.k == kind::end ? error::empty_input : error::missing_authserv_id;
        if(!cur_.quoted && has_quote(cur_.text))
            return error::invalid_character;
        h.authserv_id = std::move(cur_.text);

        enum class want { key, assignment, value } st = want::key;
        std::string key;
        for(;;) {
            if(!advance(e))
                return e;
            if(cur_.k == kind::end)
                break;
            if(cur_.k == kind::separator)
                break; // the next segment starts after it
            if(cur_.k == kind::comment) {
                h.authserv_comments.push_back(std::move(cur_.text));
                continue;
            }
            if(cur_.k == kind::assignment) {
                if(st != want::assignment)
                    return error::unexpected_assignment;
                if(cur_.op != '=')
                    return error::unexpected_token;
                st = want::value;
                continue;
            }
            // a string
            if(st == want::key) {
                key = std::move(cur_.text);
                st = want::assignment;
            } else if(st == want::value) {
                property p;
                if(!split_key(key, p))
                    return error::bad_key;
                if(!cur_.quoted && has_quote(cur_.text))
                    return error::invalid_character;
                p.value = std::move(cur_.text);
                h.authserv_properties.push_back(std::move(p));
                st = want::key;
            } else {
                return error::unexpected_string;
            }
        }
        if(st != want::key) {
            // A lone word after the authserv-id: a version when it is all digits, else (Yahoo!) a key
            // without a value.
            if(all_digits(key)) {
                h.authserv_version = std::move(key);
            } else {
                property p;
                if(!split_key(key, p))
                    return error::bad_key;
                h.authserv_properties.push_back(std::move(p));
            }
        }
        return {};
    }

    /// Where comments go while reading one result.
    enum class target { result, pending, reason, property };

    error segment(header& h)
    {
        error e{};
        enum class want { key, assignment, value, keymod, version, after_version, after_none } st = want::key;
        result r;
        bool have_method = false;
        bool have_result = false;
        property pending;
        std::string pending_key;
        bool pending_is_method = true;
        target tgt = target::result;
        std::vector<std::string> lead_comments; // comments before the method

        auto add_comment = [&](std::string text) {
            switch(tgt) {
            case target::result: (have_method ? r.comments : lead_comments).push_back(std::move(text)); break;
            case target::pending: pending.comments.push_back(std::move(text)); break;
            case target::reason: r.reason_comments.push_back(std::move(text)); break;
            case target::property: r.properties.back().comments.push_back(std::move(text)); break;
            }
        };
        // Stores the property being read (key in pending_key, value possibly empty).
        auto finish_property = [&](std::string value) -> error {
            property p;
            if(!split_key(pending_key, p))
                return error::bad_key;
            p.value = std::move(value);
            p.comments = std::move(pending.comments);
            pending = property{};
            if(!r.reason && r.properties.empty() && p.ptype.empty() && iequals_ascii(p.name, "reason")) {
                r.reason = std::move(p.value);
                r.reason_comments = std::move(p.comments);
                tgt = target::reason;
            } else {
                r.properties.push_back(std::move(p));
                tgt = target::property;
            }
            return {};
        };

        for(;;) {
            if(!advance(e))
                return e;
            if(cur_.k == kind::end)
                break;
            if(cur_.k == kind::separator)
                break; // the next segment starts after it
            if(cur_.k == kind::comment) {
                add_comment(std::move(cur_.text));
                continue;
            }
            if(cur_.k == kind::assignment) {
                if(st == want::assignment) {
                    if(cur_.op == '=')
                        st = want::value;
                    else if(cur_.op == '.')
                        st = want::keymod;
                    else
                        st = want::version;
                    continue;
                }
                // Our own output (and the Perl tool's) puts a method version after the result:
                // `dkim=fail (comment) / 1`. Read it back as the method version.
                if(st == want::key && have_result && cur_.op == '/' && tgt == target::result &&
                   !r.method_version) {
                    st = want::after_version;
                    continue;
                }
                return error::unexpected_assignment;
            }
            // a string
            switch(st) {
            case want::key:
                if(!have_result) {
                    if(!cur_.quoted && cur_.text == "none") {
                        st = want::after_none;
                        break;
                    }
                    if(cur_.text.empty())
                        return error::bad_key;
                    pending_key = std::move(cur_.text);
                    pending_is_method = true;
                    have_method = true;
                    r.comments = std::move(lead_comments);
                    lead_comments.clear();
                } else {
                    pending_key = std::move(cur_.text);
                    pending_is_method = false;
                    tgt = target::pending;
                }
                st = want::assignment;
                break;
            case want::keymod:
                if(cur_.text.empty())
                    return error::bad_key;
                pending_key += '.';
                pending_key += cur_.text;
                st = want::assignment;
                break;
            case want::version:
                if(!all_digits(cur_.text))
                    return error::bad_version;
                if(!pending_is_method)
                    return error::property_version;
                if(r.method_version)
                    return error::bad_version;
                r.method_version = std::move(cur_.text);
                r.method_version_position = r.comments.size();
                st = want::assignment;
                break;
            case want::after_version:
                if(!all_digits(cur_.text))
                    return error::bad_version;
                r.method_version = std::move(cur_.text);
                r.method_version_position = r.comments.size();
                st = want::key;
                break;
            case want::value:
                if(!cur_.quoted && has_quote(cur_.text))
                    return error::invalid_character;
                if(pending_is_method) {
                    r.method = std::move(pending_key);
                    r.value = std::move(cur_.text);
                    have_result = true;
                    pending_is_method = false;
                } else if((e = finish_property(std::move(cur_.text))) != error{}) {
                    return e;
                }
                st = want::key;
                break;
            case want::assignment:
            case want::after_none: return error::unexpected_string;
            }
        }

        if(st == want::after_none) {
            for(auto& c : lead_comments)
                h.header_comments.push_back(std::move(c));
            return {};
        }
        if(st == want::after_version)
            return error::bad_version;
        if(!have_method) {
            // A segment with comments only (`; (text);`): they describe the header.
            for(auto& c : lead_comments)
                h.header_comments.push_back(std::move(c));
            return {};
        }
        if(st != want::key) {
            // A key without `=value` at the end of the segment: the Perl tool keeps it with an empty value.
            if(pending_is_method) {
                r.method = std::move(pending_key);
            } else if((e = finish_property({})) != error{}) {
                return e;
            }
        }
        h.results.push_back(std::move(r));
        return {};
    }

    tokenizer tok_;
    tokenizer::token cur_;
};

} // namespace detail

/** Parses an Authentication-Results field body (RFC 8601 section 2.2) into a `header`.

    Accepts what Mail::AuthenticationResults accepts, which is more than RFC 8601: a leading
    `Authentication-Results:` field name (any case), comments anywhere, quoted keys and values,
    `key=value` items without a ptype (`non_rfc_items`), keys without `=value` (read with an empty
    value), values holding `=` or `/`, text between the authserv-id and the first `;` (Yahoo!), and a
    method version after the result (`dkim=fail / 1`, which is how the Perl tool and our formatter write
    it). Rejects (with an `authres::error`) what it rejects: no authserv-id, a stray `=`, `.` or `/`, a
    word after `none`, two words where a `key=value` was expected, a non-numeric version, unbalanced
    parentheses or an unclosed quoted-string. Never throws on any input; the work is linear in its size.
*/
inline boost::system::result<header>
parse(std::string_view field_body, parse_options const& opts = {})
{
    std::string_view in = field_body;
    std::size_t i = 0;
    while(i < in.size() && detail::is_ws(in[i]))
        ++i;
    in.remove_prefix(i);
    constexpr std::string_view name = "authentication-results:";
    if(in.size() >= name.size() && detail::iequals_ascii(in.substr(0, name.size()), name))
        in.remove_prefix(name.size());

    header h;
    detail::parser p(in, opts);
    if(error const e = p.run(h); e != error{})
        return make_error_code(e);
    return h;
}

} // namespace authmilter::authres

#endif
