// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_REPLY_HPP
#define AUTHMILTER_SMTP_REPLY_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::smtp {

/** One SMTP reply: a three-digit code, an optional RFC 3463 enhanced status code and one or
    more lines of text. Written as `250-first`, ..., `250 last` with CRLF line ends.
*/
struct reply {
    std::uint16_t code = 0;
    std::string enhanced;           ///< e.g. "2.0.0"; empty = none (greeting, EHLO, 354)
    std::vector<std::string> lines; ///< at least one line; may be empty text

    reply() = default;
    reply(std::uint16_t c, std::string enh, std::string text)
        : code(c)
        , enhanced(std::move(enh))
        , lines{std::move(text)}
    {}

    /// 2xx or 3xx.
    bool positive() const noexcept { return code >= 200 && code < 400; }
    bool transient() const noexcept { return code >= 400 && code < 500; }
    bool permanent() const noexcept { return code >= 500 && code < 600; }

    /// The text of all lines joined by "; " (for logs and for quoting a next hop's answer).
    std::string text() const
    {
        std::string out;
        for(auto const& l : lines) {
            if(!out.empty())
                out += "; ";
            out += l;
        }
        return out;
    }

    /// Appends the wire form to `out`. CR and LF inside the text are replaced by spaces, so a
    /// handler's text can never inject a reply line.
    void write(std::string& out) const
    {
        auto const n = lines.empty() ? std::size_t{1} : lines.size();
        for(std::size_t i = 0; i < n; ++i) {
            out += std::to_string(code);
            out += i + 1 < n ? '-' : ' ';
            if(!enhanced.empty()) {
                out += enhanced;
                out += ' ';
            }
            if(!lines.empty())
                for(char c : lines[i])
                    out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
            out += "\r\n";
        }
    }

    std::string to_string() const
    {
        std::string s;
        write(s);
        return s;
    }
};

} // namespace authmilter::smtp

#endif
