// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_MESSAGE_HPP
#define AUTHMILTER_DKIM_MESSAGE_HPP

#include <authmilter/core/header_field.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim {

/// A whole message split into its header fields and its body, for programs that hold the
/// message in memory (tests, the conformance runner, a command-line verifier). The milter path
/// never needs it: the MTA delivers fields and body chunks apart.
struct split_message_result {
    std::vector<core::header_field> headers; ///< in order; raw_value as on the wire, folding kept
    std::string_view body;                   ///< after the empty line (a view into the input)
};

/// Splits RFC 5322 text at the first empty line. Line ends may be CRLF or LF. A line that is
/// neither a field nor a continuation (no colon) is kept as a field with an empty value so that
/// nothing is lost; a header block without an empty line leaves the body empty.
inline split_message_result
split_message(std::string_view msg)
{
    split_message_result out;
    std::size_t pos = 0;
    while(pos < msg.size()) {
        auto nl = msg.find('\n', pos);
        auto const line_end = nl == std::string_view::npos ? msg.size() : nl + 1;
        auto line = msg.substr(pos, line_end - pos);
        if(line == "\r\n" || line == "\n") {
            pos = line_end;
            out.body = msg.substr(pos);
            return out;
        }
        // A field: this line and every following line that starts with WSP.
        auto field_end = line_end;
        while(field_end < msg.size() && (msg[field_end] == ' ' || msg[field_end] == '\t')) {
            auto const n = msg.find('\n', field_end);
            field_end = n == std::string_view::npos ? msg.size() : n + 1;
        }
        auto text = msg.substr(pos, field_end - pos);
        if(!text.empty() && text.back() == '\n')
            text.remove_suffix(1);
        if(!text.empty() && text.back() == '\r')
            text.remove_suffix(1);
        auto const colon = text.find(':');
        core::header_field f;
        if(colon == std::string_view::npos)
            f.name = std::string(text);
        else {
            f.name = std::string(text.substr(0, colon));
            f.raw_value = std::string(text.substr(colon + 1));
        }
        out.headers.push_back(std::move(f));
        pos = field_end;
    }
    return out;
}

} // namespace authmilter::dkim

#endif
