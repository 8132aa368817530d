// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_DETAIL_ZONE_LEXER_HPP
#define AUTHMILTER_DNS_DETAIL_ZONE_LEXER_HPP

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dns::detail {

/// One word or quoted string of zone text, escapes already decoded.
struct zone_token {
    std::string text;
    bool quoted = false;
    std::size_t line = 0;
};

/// One logical entry: a record or directive (possibly spanning lines inside parentheses), or a
/// fault line whose three comma-separated fields are the tokens.
struct zone_entry {
    bool owner_blank = false; ///< the entry's first line began with white space
    bool fault = false;
    std::vector<zone_token> tokens;
};

/// Splits zone text into entries (RFC 1035 section 5.1 master file syntax). Bounded: one pass,
/// no recursion; stops at the first error.
class zone_lexer {
public:
    explicit zone_lexer(std::string_view text) noexcept
        : s_(text)
    {}

    /// The next non-empty entry; false at the end of the text or on error (see failed()).
    bool next(zone_entry& e)
    {
        e = zone_entry{};
        while(!failed_) {
            if(pos_ >= s_.size()) {
                if(depth_ != 0)
                    return fail(paren_line_, "'(' without matching ')'");
                return !e.tokens.empty();
            }
            if(line_start_ && depth_ == 0) {
                if(!e.tokens.empty())
                    return true; // the entry ended at the previous line break
                line_start_ = false;
                e.owner_blank = s_[pos_] == ' ' || s_[pos_] == '\t';
                if(fault_line(e))
                    return true;
            }
            line_start_ = false;
            char const c = s_[pos_];
            if(c == '\n') {
                ++pos_;
                ++line_;
                line_start_ = true;
            } else if(c == ' ' || c == '\t' || c == '\r') {
                ++pos_;
            } else if(c == ';') {
                while(pos_ < s_.size() && s_[pos_] != '\n')
                    ++pos_;
            } else if(c == '(') {
                if(depth_ != 0)
                    return fail(line_, "nested '('");
                depth_ = 1;
                paren_line_ = line_;
                ++pos_;
            } else if(c == ')') {
                if(depth_ == 0)
                    return fail(line_, "')' without '('");
                depth_ = 0;
                ++pos_;
            } else if(c == '"') {
                if(!quoted(e))
                    return false;
            } else {
                if(!word(e))
                    return false;
            }
        }
        return false;
    }

    bool failed() const noexcept { return failed_; }
    std::size_t error_line() const noexcept { return error_line_; }
    std::string const& error_message() const noexcept { return error_; }

private:
    bool fail(std::size_t line, std::string msg)
    {
        failed_ = true;
        error_line_ = line;
        error_ = std::move(msg);
        return false;
    }

    /// Decodes the escape at pos_ (which holds the backslash) into out.
    bool escape(std::string& out)
    {
        ++pos_;
        if(pos_ >= s_.size() || s_[pos_] == '\n')
            return fail(line_, "backslash at end of line");
        char const c = s_[pos_];
        if(c >= '0' && c <= '9') {
            if(pos_ + 3 > s_.size())
                return fail(line_, "\\DDD escape needs three digits");
            unsigned v = 0;
            for(std::size_t k = 0; k < 3; ++k) {
                char const d = s_[pos_ + k];
                if(d < '0' || d > '9')
                    return fail(line_, "\\DDD escape needs three digits");
                v = v * 10 + static_cast<unsigned>(d - '0');
            }
            if(v > 255)
                return fail(line_, "\\DDD escape above 255");
            out.push_back(static_cast<char>(v));
            pos_ += 3;
            return true;
        }
        out.push_back(c);
        ++pos_;
        return true;
    }

    bool quoted(zone_entry& e)
    {
        zone_token t{{}, true, line_};
        ++pos_;
        while(true) {
            if(pos_ >= s_.size() || s_[pos_] == '\n')
                return fail(t.line, "unterminated quoted string");
            char const c = s_[pos_];
            if(c == '"') {
                ++pos_;
                break;
            }
            if(c == '\\') {
                if(!escape(t.text))
                    return false;
                continue;
            }
            t.text.push_back(c);
            ++pos_;
        }
        e.tokens.push_back(std::move(t));
        return true;
    }

    bool word(zone_entry& e)
    {
        zone_token t{{}, false, line_};
        while(pos_ < s_.size()) {
            char const c = s_[pos_];
            if(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
               c == '"')
                break;
            if(c == '\\') {
                if(!escape(t.text))
                    return false;
                continue;
            }
            t.text.push_back(c);
            ++pos_;
        }
        e.tokens.push_back(std::move(t));
        return true;
    }

    /// Recognises `;ERROR,name,type,rcode` (leading white space allowed) at pos_, a line start.
    bool fault_line(zone_entry& e)
    {
        std::size_t p = pos_;
        while(p < s_.size() && (s_[p] == ' ' || s_[p] == '\t'))
            ++p;
        constexpr std::string_view tag = ";ERROR,";
        if(s_.size() - p < tag.size())
            return false;
        for(std::size_t k = 0; k < tag.size(); ++k) {
            char c = s_[p + k];
            if(c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
            if(c != tag[k])
                return false;
        }
        p += tag.size();
        std::size_t end = s_.find('\n', p);
        if(end == std::string_view::npos)
            end = s_.size();
        std::string_view rest = s_.substr(p, end - p);
        e.fault = true;
        e.owner_blank = false;
        while(true) {
            auto const comma = rest.find(',');
            std::string_view field = rest.substr(0, comma);
            while(!field.empty() && (field.front() == ' ' || field.front() == '\t'))
                field.remove_prefix(1);
            while(!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
                field.remove_suffix(1);
            e.tokens.push_back(zone_token{std::string(field), false, line_});
            if(comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        pos_ = end;
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t paren_line_ = 0;
    int depth_ = 0;
    bool line_start_ = true;
    bool failed_ = false;
    std::size_t error_line_ = 0;
    std::string error_;
};

} // namespace authmilter::dns::detail

#endif
