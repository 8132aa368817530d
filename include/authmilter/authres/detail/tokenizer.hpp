// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_DETAIL_TOKENIZER_HPP
#define AUTHMILTER_AUTHRES_DETAIL_TOKENIZER_HPP

#include <authmilter/authres/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace authmilter::authres::detail {

/// Whitespace between tokens: Perl's \s (the Perl tool splits on it), plus NUL, which the formatter
/// never writes, so that what we parse we can write back.
inline bool
is_ws(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0';
}

/// Lexes an Authentication-Results field body into the tokens Mail::AuthenticationResults knows:
/// strings (bare or quoted), comments, `;` and the assignments `=`, `.`, `/`.
///
/// Bare strings are read in one of two modes, as the Perl tool does: right after `=` (and for the very
/// first string, the authserv-id) a value runs to the next whitespace, `;` or `(` and may hold `=`, `.`,
/// `/`, `@`, `:`; anywhere else a key stops at `"`, `(`, `=`, `/`, `.` too. CR and LF are read as spaces
/// (the Perl tool does so, inside comments and quoted-strings as well). Quoted-strings and comments
/// honour RFC 5322 quoted-pairs; a comment's text is kept as written, a quoted-string is unescaped.
class tokenizer {
public:
    enum class kind { end, string, comment, separator, assignment };

    struct token {
        kind k = kind::end;
        std::string text; ///< string: the value (unescaped); comment: the text inside the parentheses
        char op = 0;      ///< assignment: '=', '.' or '/'
        bool quoted = false;
    };

    tokenizer(std::string_view in, std::size_t max_comment_depth)
        : in_(in)
        , max_depth_(max_comment_depth)
    {}

    /// The next token, or an error. `kind::end` at the end of the input.
    bool next(token& t, error& e)
    {
        t = token{};
        while(pos_ < in_.size() && is_ws(in_[pos_]))
            ++pos_;
        if(pos_ == in_.size())
            return true;
        char const c = in_[pos_];
        if(c == '(')
            return comment(t, e);
        if(c == ';') {
            ++pos_;
            t.k = kind::separator;
            last_ = last::separator;
            return true;
        }
        if(c == '"') {
            if(!quoted_string(t, e))
                return false;
            last_ = last::string;
            return true;
        }
        if(c == '.' || c == '/') {
            if(last_ == last::equals) {
                // A value may start with '.' or '/' (`header.from=.net`, `address=/path`).
                bare(t, true);
                last_ = last::string;
                return true;
            }
            if(last_ == last::other_assignment) {
                // `foo . . bar`, `foo / . bar`: a name was expected.
                e = error::empty_string;
                return false;
            }
            ++pos_;
            t.k = kind::assignment;
            t.op = c;
            last_ = last::other_assignment;
            return true;
        }
        if(c == '=') {
            ++pos_;
            t.k = kind::assignment;
            t.op = c;
            last_ = last::equals;
            return true;
        }
        bare(t, last_ == last::equals || last_ == last::nothing);
        last_ = last::string;
        return true;
    }

private:
    enum class last { nothing, string, separator, equals, other_assignment };

    void bare(token& t, bool value_mode)
    {
        t.k = kind::string;
        std::size_t const b = pos_;
        while(pos_ < in_.size()) {
            char const c = in_[pos_];
            if(is_ws(c) || c == ';' || c == '(')
                break;
            if(!value_mode && (c == '"' || c == '=' || c == '/' || c == '.'))
                break;
            ++pos_;
        }
        t.text.assign(in_.substr(b, pos_ - b));
    }

    bool quoted_string(token& t, error& e)
    {
        t.k = kind::string;
        t.quoted = true;
        ++pos_;
        while(pos_ < in_.size()) {
            char c = in_[pos_++];
            if(c == '"')
                return true;
            if(c == '\\') {
                if(pos_ == in_.size())
                    break;
                c = in_[pos_++];
            }
            t.text += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
        }
        e = error::unterminated_quoted_string;
        return false;
    }

    bool comment(token& t, error& e)
    {
        t.k = kind::comment;
        std::size_t depth = 0;
        while(pos_ < in_.size()) {
            char c = in_[pos_++];
            if(c == '\\' && depth > 0) {
                if(pos_ == in_.size())
                    break;
                t.text += c;
                c = in_[pos_++];
            } else if(c == '(') {
                if(++depth > max_depth_) {
                    e = error::comment_too_deep;
                    return false;
                }
                if(depth == 1)
                    continue;
            } else if(c == ')') {
                if(--depth == 0)
                    return true;
            }
            t.text += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
        }
        e = error::unterminated_comment;
        return false;
    }

    std::string_view in_;
    std::size_t pos_ = 0;
    std::size_t max_depth_;
    last last_ = last::nothing;
};

} // namespace authmilter::authres::detail

#endif
