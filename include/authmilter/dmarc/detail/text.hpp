// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_DETAIL_TEXT_HPP
#define AUTHMILTER_DMARC_DETAIL_TEXT_HPP

#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc::detail {

constexpr char
lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string
to_lower(std::string_view s)
{
    std::string out(s);
    for(auto& c : out)
        c = lower(c);
    return out;
}

inline bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i)
        if(lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

constexpr bool
is_wsp(char c) noexcept
{
    return c == ' ' || c == '\t';
}

/// Trims RFC 5234 WSP (and, leniently, CR/LF left over from zone files) from both ends.
inline std::string_view
trim(std::string_view s) noexcept
{
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while(!s.empty() && ws(s.front()))
        s.remove_prefix(1);
    while(!s.empty() && ws(s.back()))
        s.remove_suffix(1);
    return s;
}

inline std::vector<std::string_view>
split(std::string_view s, char sep)
{
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for(;;) {
        auto const pos = s.find(sep, start);
        if(pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

/// Lower-case, without one trailing dot: the form domains are compared in.
inline std::string
normalize_domain(std::string_view d)
{
    d = trim(d);
    if(!d.empty() && d.back() == '.')
        d.remove_suffix(1);
    return to_lower(d);
}

/// The labels of a (normalised) domain, left to right.
inline std::vector<std::string_view>
labels(std::string_view d)
{
    if(d.empty())
        return {};
    return split(d, '.');
}

/// The domain with its `n` right-most labels (the whole domain when it has fewer).
inline std::string_view
rightmost_labels(std::string_view d, std::size_t n) noexcept
{
    if(n == 0)
        return {};
    std::size_t pos = d.size();
    while(n > 0) {
        auto const dot = pos == 0 ? std::string_view::npos : d.rfind('.', pos - 1);
        if(dot == std::string_view::npos)
            return d;
        pos = dot;
        --n;
    }
    return d.substr(pos + 1);
}

inline std::size_t
label_count(std::string_view d) noexcept
{
    if(d.empty())
        return 0;
    std::size_t n = 1;
    for(char c : d)
        n += c == '.';
    return n;
}

/// True when `d` is an ASCII domain name usable in a DNS query: 1..253 octets, labels of
/// 1..63 letters, digits, hyphens or underscores. (Underscores are allowed because _dmarc and
/// _report names are built from it; a From domain with one is odd but not dangerous.)
inline bool
is_query_domain(std::string_view d) noexcept
{
    if(d.empty() || d.size() > 253)
        return false;
    std::size_t len = 0;
    for(char c : d) {
        if(c == '.') {
            if(len == 0)
                return false;
            len = 0;
            continue;
        }
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_';
        if(!ok || ++len > 63)
            return false;
    }
    return len != 0;
}

/// True when `child` equals `parent` or lies below it (both normalised).
inline bool
is_at_or_below(std::string_view child, std::string_view parent) noexcept
{
    if(child.size() == parent.size())
        return child == parent;
    if(child.size() < parent.size() + 1)
        return false;
    return child.substr(child.size() - parent.size()) == parent &&
           child[child.size() - parent.size() - 1] == '.';
}

} // namespace authmilter::dmarc::detail

#endif
