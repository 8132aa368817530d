// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_DETAIL_FOLD_HPP
#define AUTHMILTER_AUTHRES_DETAIL_FOLD_HPP

#include <authmilter/authres/detail/quote.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::authres::detail {

/** The foldable string the formatter builds, then lays out into lines.

    Same model as Mail::AuthenticationResults::FoldableHeader: a list of typed tokens; a run of space
    tokens is where a line may be folded. `layout()` reproduces that module's folding byte for byte
    (try-fold column counted from the start of the field body, or from the line's own EOL for folded
    lines; a section too long on its own split at a token boundary), and adds what it lacks: a hard cap,
    so that no line is ever longer than `max_line` octets (RFC 5322 section 2.1.1).
*/
class foldable {
public:
    enum class kind { string, space, separator, comment, assignment };

    struct token {
        kind k;
        std::string text;
        bool folded = false;   ///< an EOL inserted by folding (it does not reset the indent)
        std::string raw;       ///< for a string: the unquoted text, used to quote it for a hard wrap
        bool quotable = false; ///< a string that may be written as a quoted-string
    };

    void string(std::string text)
    {
        tokens_.push_back(token{kind::string, std::move(text), false, {}, false});
    }

    /// A key or value that may be written as a quoted-string (`raw` is the unquoted text).
    void quotable(std::string text, std::string raw)
    {
        tokens_.push_back(token{kind::string, std::move(text), false, std::move(raw), true});
    }

    void space(std::string text) { tokens_.push_back(token{kind::space, std::move(text), false, {}, false}); }

    void separator(std::string text)
    {
        tokens_.push_back(token{kind::separator, std::move(text), false, {}, false});
    }

    void comment(std::string text)
    {
        tokens_.push_back(token{kind::comment, std::move(text), false, {}, false});
    }

    void assignment(std::string text)
    {
        tokens_.push_back(token{kind::assignment, std::move(text), false, {}, false});
    }

    struct settings {
        std::string eol = "\n";
        std::string indent = "    ";       ///< the base indent (indent_by spaces)
        std::string sub_indent = "  ";     ///< added to the current indent for a folded line
        std::size_t try_fold_at = 800;     ///< Mail::AuthenticationResults' default
        std::size_t max_line = 998;        ///< hard cap on the octets of any line, EOL excluded
        std::size_t first_line_offset = 0; ///< octets before the body on the first line (the field name)
    };

    /// Lays the tokens out; `hard_wrapped` is set when a token had to be cut (its value changes).
    std::string layout(settings const& s, bool& hard_wrapped) const
    {
        hard_wrapped = false;
        using section = std::vector<token>;
        std::deque<section> sections;
        {
            section stack;
            kind last = kind::string;
            bool any = false;
            for(auto const& t : tokens_) {
                if(t.k == kind::space && (!any || last != kind::space)) {
                    if(!stack.empty())
                        sections.push_back(std::move(stack));
                    stack.clear();
                }
                stack.push_back(t);
                last = t.k;
                any = true;
            }
            if(!stack.empty())
                sections.push_back(std::move(stack));
        }

        out_state st{s, {}, s.first_line_offset, true, s.indent, hard_wrapped};
        std::size_t fold_length = 0;
        while(!sections.empty()) {
            section sec = std::move(sections.front());
            sections.pop_front();
            if(sec.empty())
                continue;

            if(sec[0].k == kind::space && sec[0].text == s.eol) {
                fold_length = 0;
                if(!sec[0].folded && sec.size() > 1 && sec[1].k == kind::space)
                    st.indent = sec[1].text;
            }
            std::size_t len = 0;
            for(auto const& t : sec)
                len += t.text.size();

            if(fold_length + len > s.try_fold_at) {
                if(fold_length > 0) {
                    std::size_t i = 0;
                    while(i < sec.size() && sec[i].k == kind::space)
                        ++i;
                    if(i < sec.size()) {
                        section folded;
                        folded.push_back(token{kind::space, s.eol, true, {}, false});
                        folded.push_back(token{kind::space, st.indent + s.sub_indent, false, {}, false});
                        folded.insert(folded.end(), sec.begin() + static_cast<std::ptrdiff_t>(i), sec.end());
                        sections.push_front(std::move(folded));
                        continue;
                    }
                } else {
                    section first, second;
                    second.push_back(token{kind::space, s.eol, true, {}, false});
                    second.push_back(token{kind::space, st.indent + s.sub_indent, false, {}, false});
                    std::size_t first_len = 0;
                    for(auto& t : sec) {
                        if(t.text.size() + first_len < s.try_fold_at) {
                            first_len += t.text.size();
                            first.push_back(std::move(t));
                        } else {
                            second.push_back(std::move(t));
                            first_len = s.try_fold_at + 1;
                        }
                    }
                    if(has_content(first) && has_content(second)) {
                        sections.push_front(std::move(second));
                        sections.push_front(std::move(first));
                        continue;
                    }
                    // Rebuild the section: one of the halves holds nothing but space.
                    sec.clear();
                    for(auto& t : first)
                        sec.push_back(std::move(t));
                    for(std::size_t i = 2; i < second.size(); ++i)
                        sec.push_back(std::move(second[i]));
                }
            }
            for(auto const& t : sec)
                st.emit(t);
            fold_length = st.first_line ? st.col - s.first_line_offset : s.eol.size() + st.col;
        }
        return std::move(st.out);
    }

private:
    static bool has_content(std::vector<token> const& sec) noexcept
    {
        for(auto const& t : sec)
            if(t.k != kind::space)
                return true;
        return false;
    }

    /// Writes tokens, enforcing the hard cap that the Perl layout lacks.
    struct out_state {
        settings const& s;
        std::string out;
        std::size_t col; ///< octets on the current line (the first line counts the field name)
        bool first_line;
        std::string indent;
        bool& hard_wrapped;
        bool line_has_content = false;

        void put_eol()
        {
            out += s.eol;
            col = 0;
            first_line = false;
            line_has_content = false;
        }

        std::string continuation() const
        {
            std::string ind = indent + s.sub_indent;
            return ind.size() * 2 >= s.max_line ? std::string(" ") : ind;
        }

        void append(std::string_view text)
        {
            out += text;
            col += text.size();
            line_has_content = true;
        }

        /// Folds before the next token: trailing spaces go, an EOL and the continuation indent come.
        /// Only a line with content is folded, so that no line is ever blank or whitespace only.
        bool fold()
        {
            if(!line_has_content)
                return false;
            while(!out.empty() && out.back() == ' ') {
                out.pop_back();
                --col;
            }
            put_eol();
            std::string ind = continuation();
            out += ind;
            col = ind.size();
            return true;
        }

        void emit(token const& t)
        {
            if(t.k == kind::space) {
                if(t.text == s.eol) {
                    put_eol();
                    return;
                }
                // Never let indentation alone break the cap.
                std::size_t n = t.text.size();
                if(col + n > s.max_line)
                    n = col < s.max_line ? s.max_line - col : 0;
                out.append(n, ' ');
                col += n;
                return;
            }
            if(col + t.text.size() <= s.max_line) {
                append(t.text);
                return;
            }
            // It does not fit: fold at this token boundary if it fits on a fresh line.
            if(continuation().size() + t.text.size() <= s.max_line && fold()) {
                append(t.text);
                return;
            }
            hard_wrap(t);
        }

        /// The longest prefix of text[i..] of at most `room` octets that does not split a quoted-pair.
        static std::size_t piece(std::string const& text, std::size_t i, std::size_t room) noexcept
        {
            std::size_t j = i;
            while(j < text.size()) {
                std::size_t step = (text[j] == '\\' && j + 1 < text.size()) ? 2 : 1;
                if(j + step - i > room)
                    break;
                j += step;
            }
            return j - i;
        }

        /// Cuts a token that cannot fit on any line into pieces joined by folding whitespace. A string is
        /// written as a quoted-string and a comment stays a comment, so the header still parses; but the
        /// unfolded value gains the folding whitespace, hence `hard_wrapped`.
        void hard_wrap(token const& t)
        {
            hard_wrapped = true;
            std::string text = t.text;
            if(t.k == kind::string && t.quotable && (text.empty() || text.front() != '"'))
                text = quote(t.raw);
            std::size_t i = 0;
            bool fresh = false; // on a continuation line this loop started: keep it from being only spaces
            while(i < text.size()) {
                if(fresh)
                    while(i + 1 < text.size() && text[i] == ' ' && text[i + 1] == ' ')
                        ++i;
                fresh = false;
                std::size_t room = s.max_line > col ? s.max_line - col : 0;
                std::size_t rest = text.size() - i;
                if(rest <= room) {
                    append(std::string_view(text).substr(i, rest));
                    break;
                }
                std::size_t take = piece(text, i, room);
                // A fresh line gives more room than a crowded one.
                if(take < 16 && fold())
                    continue;
                if(take == 0)
                    take = 1; // cannot happen with a sane indent; guarantees progress regardless
                // Prefer to cut before a space of the text itself: the continuation line then starts
                // with it, and the unfolded text only gains the EOL's width between two words.
                std::size_t q = i + take;
                while(q > i + take / 2 && !(text[q - 1] != '\\' && q < text.size() && text[q] == ' '))
                    --q;
                bool const at_space = q > i + take / 2;
                if(at_space)
                    take = q - i;
                append(std::string_view(text).substr(i, take));
                i += take;
                // Inside a quoted-string or a comment, folding whitespace is allowed anywhere.
                put_eol();
                if(!at_space) {
                    out += ' ';
                    col = 1;
                }
                fresh = true;
            }
        }
    };

    std::vector<token> tokens_;
};

} // namespace authmilter::authres::detail

#endif
