// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_HEADER_FIELD_HPP
#define AUTHMILTER_CORE_HEADER_FIELD_HPP

#include <string>
#include <string_view>

namespace authmilter::core {

/// One header field as it arrived. `name` is the field name exactly as written (no colon);
/// `raw_value` is everything after the colon, folding CRLFs included, exactly as received, which
/// DKIM "simple" canonicalisation and ARC need byte for byte.
///
/// The milter protocol delivers the name and the value apart, with the value's leading space
/// kept and line ends as the MTA stores them (usually LF); `raw_value` keeps those bytes.
struct header_field {
    std::string name;
    std::string raw_value;

    /// Case-insensitive field name comparison (RFC 5322 field names are ASCII).
    bool is(std::string_view other) const noexcept
    {
        if(name.size() != other.size())
            return false;
        for(std::size_t i = 0; i < name.size(); ++i) {
            auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
            if(lower(name[i]) != lower(other[i]))
                return false;
        }
        return true;
    }

    /// The value unfolded (CR and LF removed) with leading and trailing whitespace trimmed: the
    /// view parsers of From, Authentication-Results and List-Id work on.
    std::string unfolded() const
    {
        std::string out;
        out.reserve(raw_value.size());
        for(char c : raw_value)
            if(c != '\r' && c != '\n')
                out += c;
        auto const first = out.find_first_not_of(" \t");
        if(first == std::string::npos)
            return {};
        auto const last = out.find_last_not_of(" \t");
        return out.substr(first, last - first + 1);
    }
};

} // namespace authmilter::core

#endif
