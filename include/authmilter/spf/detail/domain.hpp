// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_DETAIL_DOMAIN_HPP
#define AUTHMILTER_SPF_DETAIL_DOMAIN_HPP

#include <string>
#include <string_view>

namespace authmilter::spf::detail {

constexpr char
to_lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool
is_alpha(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

constexpr bool
is_alnum(char c) noexcept
{
    return is_alpha(c) || is_digit(c);
}

inline bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i)
        if(to_lower(a[i]) != to_lower(b[i]))
            return false;
    return true;
}

inline std::string
lower(std::string_view s)
{
    std::string out(s);
    for(auto& c : out)
        c = to_lower(c);
    return out;
}

inline std::string_view
strip_trailing_dot(std::string_view s) noexcept
{
    if(!s.empty() && s.back() == '.')
        s.remove_suffix(1);
    return s;
}

/// RFC 7208 toplabel: alphanumerics with inner hyphens, not all-numeric unless it has a hyphen.
inline bool
valid_toplabel(std::string_view label) noexcept
{
    if(label.empty() || !is_alnum(label.front()) || !is_alnum(label.back()))
        return false;
    bool alpha = false;
    bool hyphen = false;
    for(char c : label) {
        if(c == '-')
            hyphen = true;
        else if(is_alpha(c))
            alpha = true;
        else if(!is_digit(c))
            return false;
    }
    return alpha || hyphen;
}

/// The label and length rules a name must meet before it may be queried: no empty label, none
/// longer than 63 octets, at most 253 octets (without a trailing dot), no control characters.
/// Spaces and other odd octets are legal in DNS labels and can come out of macro expansion.
inline bool
queryable_name(std::string_view name) noexcept
{
    name = strip_trailing_dot(name);
    if(name.empty() || name.size() > 253)
        return false;
    std::size_t label = 0;
    for(char c : name) {
        auto const u = static_cast<unsigned char>(c);
        if(u < 0x20 || u == 0x7f)
            return false;
        if(c == '.') {
            if(label == 0)
                return false;
            label = 0;
        } else if(++label > 63) {
            return false;
        }
    }
    return label != 0;
}

/// RFC 7208 §4.3: the <domain> of check_host() must be a fully qualified, multi-label domain
/// name; anything else (an address literal, a single label, a label over 63 octets, an empty
/// label) gives `none` without a query.
inline bool
valid_check_domain(std::string_view name) noexcept
{
    if(!queryable_name(name))
        return false;
    name = strip_trailing_dot(name);
    auto const dot = name.rfind('.');
    if(dot == std::string_view::npos)
        return false;
    for(char c : name) {
        auto const u = static_cast<unsigned char>(c);
        if(u <= 0x20 || u >= 0x7f || c == '[' || c == ']' || c == '@' || c == '%' || c == '\\' || c == '"')
            return false;
    }
    // An all-numeric last label is an IPv4 literal, not a domain.
    auto const last = name.substr(dot + 1);
    bool numeric = true;
    for(char c : last)
        numeric = numeric && is_digit(c);
    return !numeric;
}

/// RFC 7208 §7.3: a name longer than 253 octets loses labels from the left until it fits.
inline std::string
truncate_name(std::string name)
{
    if(!name.empty() && name.back() == '.')
        name.pop_back();
    while(name.size() > 253) {
        auto const dot = name.find('.');
        if(dot == std::string::npos)
            break;
        name.erase(0, dot + 1);
    }
    return name;
}

/// Is `name` equal to `domain` or a subdomain of it (case-insensitive, trailing dots ignored)?
inline bool
is_same_or_subdomain(std::string_view name, std::string_view domain) noexcept
{
    name = strip_trailing_dot(name);
    domain = strip_trailing_dot(domain);
    if(domain.empty())
        return false;
    if(iequals(name, domain))
        return true;
    return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
           iequals(name.substr(name.size() - domain.size()), domain);
}

} // namespace authmilter::spf::detail

#endif
