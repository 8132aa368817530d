// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_PERL_VALUES_HPP
#define AUTHMILTER_CONFIG_PERL_VALUES_HPP

#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace authmilter::config {

/// A flag as the Perl tool reads it (a Perl scalar in boolean context, restricted to the
/// spellings configurations use): true/false, any number (0 is false), "1"/"0", "yes"/"no",
/// "true"/"false", "" (false). nullopt for anything else.
inline std::optional<bool>
perl_flag(boost::json::value const& v) noexcept
{
    if(v.is_bool())
        return v.as_bool();
    if(v.is_int64())
        return v.as_int64() != 0;
    if(v.is_uint64())
        return v.as_uint64() != 0;
    if(v.is_string()) {
        std::string_view const s = v.as_string();
        if(s == "1" || s == "yes" || s == "true")
            return true;
        if(s == "0" || s == "no" || s == "false" || s.empty())
            return false;
    }
    return std::nullopt;
}

} // namespace authmilter::config

#endif
