// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_MAILBOX_HPP
#define AUTHMILTER_CORE_MAILBOX_HPP

#include <authmilter/core/detail/ascii.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/core/error.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace authmilter::core {

/// One mailbox of an RFC 5322 address list (From, Sender, Reply-To, To, Cc...).
///
/// Text is decoded: comments are dropped, quoted strings lose their quotes and quoted-pairs
/// their backslashes, folding line breaks are removed. RFC 2047 encoded-words in the display
/// name are kept as written (decoding them is presentation, not authentication).
struct mailbox {
    std::string display_name;   ///< the phrase before `<...>`, words joined by single spaces
    std::string local_part;     ///< decoded; obsolete `a . b` forms are joined to `a.b`
    core::domain domain;        ///< lower case; empty without a domain or with a domain literal
    std::string domain_literal; ///< `[192.0.2.1]` for a domain literal: as written, spaces removed

    /// `local@domain` with the local part quoted where needed; the local part alone when the
    /// mailbox has no domain.
    std::string address() const
    {
        std::string out = detail::quote_local_part(local_part);
        if(!domain.empty()) {
            out += '@';
            out += domain.str();
        } else if(!domain_literal.empty()) {
            out += '@';
            out += domain_literal;
        }
        return out;
    }
};

/// What `parse_mailbox_list` returns: the mailboxes in the order written, and why parsing
/// stopped, if it did. On error `mailboxes` holds those parsed before the fault, so callers that
/// need all-or-nothing (DMARC) must check `ec`.
struct mailbox_list_result {
    std::vector<mailbox> mailboxes;
    boost::system::error_code ec;
};

/// Parses an RFC 5322 address-list (3.4), the value of a From, Sender, To, Cc or Reply-To field,
/// without the field name, folded or unfolded. Never throws on any input (allocation failure
/// aside) and never reads outside `value`.
///
/// Accepted: display names made of atoms, quoted strings and dots (`John Q. Public`);
/// comments, nested up to 64 deep, wherever CFWS may stand; angle-addr and bare addr-spec;
/// groups (`undisclosed: a@b, c@d;`, also `undisclosed-recipients:;`, which yields no mailbox
/// and no error); several mailboxes; UTF-8 (RFC 6532). Obsolete syntax is read leniently
/// (RFC 5322 4.4): CFWS around the dots of local parts and domains, routes `<@a,@b:u@d>`
/// (dropped), empty list elements (`a@b,,c@d`), leading, trailing or doubled dots in local
/// parts, a group whose `;` is missing at the end of the value.
///
/// Lenient beyond RFC 5322, because real mail does this: a mailbox without a domain
/// (`<user>`, or a bare dot-atom such as `user`) is returned with an empty `domain`; an
/// unquoted display name containing `@` (`user@example.com <real@example.net>`) takes the text
/// before `<` as the display name and the angle-addr as the address, the one a reader sees.
///
/// Errors: `no_address` (nothing but a display name, or an empty value), `unterminated_quote`,
/// `unbalanced_comment`, `comment_too_deep`, `unterminated_angle`, `unterminated_literal`,
/// `bad_local_part`, `bad_address` (`<>`), `nested_group`, `unexpected_character`, and the
/// domain errors of `domain::parse`.
mailbox_list_result parse_mailbox_list(std::string_view value);

/// The distinct domains of the mailboxes that have one, lower case, in order of appearance.
/// Mailboxes parsed before an error are included; check `list.ec` where that matters.
std::vector<domain> from_domains(mailbox_list_result const& list);

/// `from_domains(parse_mailbox_list(value))`.
std::vector<domain> from_domains(std::string_view value);

/// The DMARC Author Domain of a From field value, by this policy: the field must parse without
/// error, every mailbox must have a domain (not a literal), and all mailboxes must share one
/// domain; otherwise nullopt. Several mailboxes of one domain give that domain. Several domains
/// give nullopt: RFC 7489 6.6.1 leaves that case to local policy (the Perl milter evaluates each
/// domain, Mail::DMARC refuses), and a handler that wants to evaluate each one uses
/// `from_domains` instead.
std::optional<domain> single_from_domain(mailbox_list_result const& list);

/// `single_from_domain(parse_mailbox_list(value))`.
std::optional<domain> single_from_domain(std::string_view value);

namespace detail {

class address_list_parser {
public:
    /// Comment nesting limit: deep enough for any real header, small enough that hostile
    /// input cannot make the count overflow or the work grow.
    static constexpr int max_comment_depth = 64;

    explicit address_list_parser(std::string_view s) noexcept
        : s_(s)
    {}

    mailbox_list_result parse()
    {
        mailbox_list_result r;
        r.ec = parse_list(r.mailboxes);
        return r;
    }

private:
    enum class token_kind { atom, quoted, dot };
    struct token {
        token_kind kind;
        std::string text;
        bool space_before;
    };

    std::string_view s_;
    std::size_t i_ = 0;
    bool saw_group_ = false;

    bool at_end() const noexcept { return i_ >= s_.size(); }
    bool at(char c) const noexcept { return i_ < s_.size() && s_[i_] == c; }

    static constexpr bool is_space(char c) noexcept
    {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    boost::system::error_code parse_list(std::vector<mailbox>& out)
    {
        for(;;) {
            if(auto ec = parse_element(out, false))
                return ec;
            bool skipped = false;
            if(auto ec = skip_cfws(skipped))
                return ec;
            if(at_end())
                break;
            if(!at(','))
                return stray();
            ++i_;
        }
        if(out.empty() && !saw_group_)
            return error::no_address;
        return {};
    }

    // The error for a character that cannot continue the list.
    boost::system::error_code stray() const noexcept
    {
        if(at(')'))
            return error::unbalanced_comment;
        return error::unexpected_character;
    }

    // CFWS: spaces, tabs, line breaks (folded or not) and comments.
    boost::system::error_code skip_cfws(bool& skipped)
    {
        skipped = false;
        while(!at_end()) {
            if(is_space(s_[i_])) {
                ++i_;
            } else if(s_[i_] == '(') {
                if(auto ec = skip_comment())
                    return ec;
            } else {
                break;
            }
            skipped = true;
        }
        return {};
    }

    // Iterative, with a depth counter, so nesting costs no stack.
    boost::system::error_code skip_comment()
    {
        int depth = 0;
        while(!at_end()) {
            char const c = s_[i_++];
            if(c == '\0' || (c == '\\' && at('\0')))
                return error::unexpected_character; // not even obs-ctext allows NUL
            if(c == '(') {
                if(++depth > max_comment_depth)
                    return error::comment_too_deep;
            } else if(c == ')') {
                if(--depth == 0)
                    return {};
            } else if(c == '\\') {
                if(at_end())
                    break;
                ++i_; // a quoted-pair: the next byte is comment text, even '(' or ')'
            }
        }
        return error::unbalanced_comment;
    }

    // A quoted string, decoded. Line breaks inside are folding and disappear; obsolete control
    // characters (obs-qtext) are kept; NUL is refused.
    boost::system::error_code read_quoted(std::string& out)
    {
        ++i_; // the opening quote
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
            if(c == '\0')
                return error::unexpected_character;
            if(c == '\r' || c == '\n')
                continue;
            out += c;
        }
    }

    // Words (atoms, quoted strings) and dots up to the first special character or the end.
    boost::system::error_code read_words(std::vector<token>& words)
    {
        for(;;) {
            bool space = false;
            if(auto ec = skip_cfws(space))
                return ec;
            if(at_end())
                return {};
            char const c = s_[i_];
            if(is_atext(c)) {
                auto const start = i_;
                while(!at_end() && is_atext(s_[i_]))
                    ++i_;
                words.push_back({token_kind::atom, std::string(s_.substr(start, i_ - start)), space});
            } else if(c == '"') {
                token t{token_kind::quoted, {}, space};
                if(auto ec = read_quoted(t.text))
                    return ec;
                words.push_back(std::move(t));
            } else if(c == '.') {
                ++i_;
                words.push_back({token_kind::dot, ".", space});
            } else {
                return {};
            }
        }
    }

    static std::string phrase_text(std::vector<token> const& words)
    {
        std::string out;
        for(auto const& w : words) {
            if(w.space_before && !out.empty())
                out += ' ';
            out += w.text;
        }
        return out;
    }

    // obs-local-part: words separated by dots, CFWS allowed around them. Leading, trailing
    // and doubled dots are tolerated (they occur in real envelopes and headers).
    static boost::system::error_code make_local_part(std::vector<token> const& words, std::string& out)
    {
        if(words.empty())
            return error::bad_local_part;
        bool prev_word = false;
        for(auto const& w : words) {
            bool const word = w.kind != token_kind::dot;
            if(word && prev_word)
                return error::bad_local_part; // "john doe@example.com"
            prev_word = word;
            out += w.text;
        }
        return {};
    }

    static bool is_dot_atom_words(std::vector<token> const& words) noexcept
    {
        return std::none_of(words.begin(), words.end(),
                            [](token const& w) { return w.kind == token_kind::quoted; });
    }

    // One element of an address list: a mailbox, a group, or nothing (obs-mbox-list allows
    // empty elements).
    boost::system::error_code parse_element(std::vector<mailbox>& out, bool in_group)
    {
        auto const start = i_;
        std::vector<token> words;
        if(auto ec = read_words(words))
            return ec;
        if(at_end() || at(',') || (in_group && at(';'))) {
            if(words.empty())
                return {};
            // A bare dot-atom is an address without a domain; a lone quoted string or several
            // words are a display name with no address ("Test 1.1.5").
            mailbox m;
            if(!is_dot_atom_words(words) || make_local_part(words, m.local_part))
                return error::no_address;
            out.push_back(std::move(m));
            return {};
        }
        switch(s_[i_]) {
        case '<': {
            mailbox m;
            m.display_name = phrase_text(words);
            if(auto ec = parse_angle_addr(m))
                return ec;
            out.push_back(std::move(m));
            return {};
        }
        case ':':
            if(in_group)
                return error::nested_group;
            ++i_;
            saw_group_ = true;
            return parse_group(out);
        case '@': {
            mailbox m;
            if(auto ec = make_local_part(words, m.local_part))
                return ec;
            ++i_;
            if(auto ec = parse_domain(m))
                return ec;
            bool skipped = false;
            if(auto ec = skip_cfws(skipped))
                return ec;
            if(at('<')) {
                // "user@example.com <real@example.net>": the unquoted '@' belongs to a
                // display name; the address is the one in brackets.
                mailbox real;
                real.display_name = raw_text(start, i_);
                if(auto ec = parse_angle_addr(real))
                    return ec;
                out.push_back(std::move(real));
                return {};
            }
            out.push_back(std::move(m));
            return {};
        }
        default: return stray();
        }
    }

    // The text between two offsets as written, line breaks removed and ends trimmed.
    std::string raw_text(std::size_t from, std::size_t to) const
    {
        std::string out;
        for(auto k = from; k < to; ++k)
            if(s_[k] != '\r' && s_[k] != '\n')
                out += s_[k];
        auto const first = out.find_first_not_of(" \t");
        if(first == std::string::npos)
            return {};
        return out.substr(first, out.find_last_not_of(" \t") - first + 1);
    }

    // After the group's ':'. The terminating ';' may be missing at the end of the value.
    boost::system::error_code parse_group(std::vector<mailbox>& out)
    {
        for(;;) {
            if(auto ec = parse_element(out, true))
                return ec;
            bool skipped = false;
            if(auto ec = skip_cfws(skipped))
                return ec;
            if(at_end())
                return {};
            if(at(';')) {
                ++i_;
                return {};
            }
            if(!at(','))
                return stray();
            ++i_;
        }
    }

    // angle-addr = "<" [obs-route] addr-spec ">", at '<'.
    boost::system::error_code parse_angle_addr(mailbox& m)
    {
        ++i_;
        bool skipped = false;
        if(auto ec = skip_cfws(skipped))
            return ec;
        if(at('@') && skip_route()) {
            if(auto ec = skip_cfws(skipped))
                return ec;
        }
        if(at('>'))
            return error::bad_address; // "<>"
        std::vector<token> words;
        if(auto ec = read_words(words))
            return ec;
        if(auto ec = make_local_part(words, m.local_part))
            return at_end() ? error::unterminated_angle : ec;
        if(at('@')) {
            ++i_;
            if(auto ec = parse_domain(m))
                return ec;
            if(auto ec = skip_cfws(skipped))
                return ec;
        }
        // Without '@', "<user>": an address whose domain is missing.
        if(at('>')) {
            ++i_;
            return {};
        }
        if(at_end())
            return error::unterminated_angle;
        return stray();
    }

    // obs-route "@a,@b:" before the addr-spec: skipped up to its ':' when there is one before
    // the closing '>'; otherwise "<@example.com>" is left for the local part check to refuse.
    bool skip_route() noexcept
    {
        for(auto k = i_; k < s_.size(); ++k) {
            if(s_[k] == ':') {
                i_ = k + 1;
                return true;
            }
            if(s_[k] == '>' || s_[k] == '<' || s_[k] == '"')
                return false;
        }
        return false;
    }

    // domain = dot-atom / domain-literal / obs-domain, after the '@'.
    boost::system::error_code parse_domain(mailbox& m)
    {
        bool skipped = false;
        if(auto ec = skip_cfws(skipped))
            return ec;
        if(at('['))
            return parse_domain_literal(m);
        std::string text;
        bool prev_atom = false;
        for(;;) {
            if(auto ec = skip_cfws(skipped))
                return ec;
            if(at_end())
                break;
            char const c = s_[i_];
            if(c == '.') {
                text += c;
                ++i_;
                prev_atom = false;
            } else if(is_atext(c) && !prev_atom) {
                while(!at_end() && is_atext(s_[i_]))
                    text += s_[i_++];
                prev_atom = true;
            } else {
                break; // the caller decides whether what follows may follow
            }
        }
        if(text.empty())
            return at(')') ? error::unbalanced_comment : error::bad_domain;
        auto d = core::domain::parse(text);
        if(!d)
            return d.error();
        m.domain = std::move(*d);
        return {};
    }

    boost::system::error_code parse_domain_literal(mailbox& m)
    {
        std::string text = "[";
        ++i_;
        for(;;) {
            if(at_end())
                return error::unterminated_literal;
            char c = s_[i_++];
            if(c == ']')
                break;
            if(c == '[')
                return error::bad_address_literal;
            if(c == '\0')
                return error::unexpected_character;
            if(c == '\\') {
                // obs-dtext quoted-pair, kept escaped so that the literal reads back the same
                // (an escaped ']' must not end it when `address()` is parsed again).
                if(at_end())
                    return error::unterminated_literal;
                c = s_[i_++];
                if(c == '\0' || c == '\r' || c == '\n')
                    return error::unexpected_character;
                text += '\\';
                text += c;
            } else if(!is_space(c)) {
                text += c;
            }
        }
        if(text.size() == 1)
            return error::bad_address_literal; // "[]"
        text += ']';
        m.domain_literal = std::move(text);
        return {};
    }
};

} // namespace detail

inline mailbox_list_result
parse_mailbox_list(std::string_view value)
{
    return detail::address_list_parser(value).parse();
}

inline std::vector<domain>
from_domains(mailbox_list_result const& list)
{
    // The set views the list's own strings, which outlive this call, so a header with many
    // thousands of addresses costs linear time, not quadratic.
    std::vector<domain> out;
    std::unordered_set<std::string_view> seen;
    for(auto const& m : list.mailboxes)
        if(!m.domain.empty() && seen.insert(m.domain.view()).second)
            out.push_back(m.domain);
    return out;
}

inline std::vector<domain>
from_domains(std::string_view value)
{
    return from_domains(parse_mailbox_list(value));
}

inline std::optional<domain>
single_from_domain(mailbox_list_result const& list)
{
    if(list.ec || list.mailboxes.empty())
        return std::nullopt;
    auto const& first = list.mailboxes.front().domain;
    for(auto const& m : list.mailboxes)
        if(m.domain.empty() || m.domain != first)
            return std::nullopt;
    return first;
}

inline std::optional<domain>
single_from_domain(std::string_view value)
{
    return single_from_domain(parse_mailbox_list(value));
}

} // namespace authmilter::core

#endif
