// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_REPORT_URI_HPP
#define AUTHMILTER_DMARC_REPORT_URI_HPP

#include <authmilter/dmarc/detail/text.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc {

/// One DMARC reporting URI from rua= or ruf= (RFC 7489 6.2, RFC 9989 4.6 / 4.8).
struct report_uri {
    std::string text;    ///< the URI as written, without the `!size` suffix
    std::string scheme;  ///< lower-cased scheme (`mailto`, `https`...)
    std::string address; ///< mailto: the addr-spec (as written); empty otherwise
    /// The destination host (RFC 7489 7.1 step 1), lower-cased: the domain of a mailto address,
    /// the host of an http(s) URI.
    std::string host;
    /// The `!size` limit in octets (k/m/g/t are powers of 1024). Obsolete syntax under
    /// RFC 9989 (reporters should ignore it) but kept for RFC 7489 senders.
    std::optional<std::uint64_t> max_size;
    /// True for a scheme we can deliver to (mailto, http, https) with a usable destination.
    /// RFC 9989 4.7: URIs of unsupported schemes MUST be ignored.
    bool supported = false;

    friend bool operator==(report_uri const&, report_uri const&) = default;
};

namespace detail {

inline std::optional<std::uint64_t>
parse_size_suffix(std::string_view s) noexcept
{
    if(s.empty())
        return std::nullopt;
    std::uint64_t mult = 1;
    switch(lower(s.back())) {
    case 'k': mult = 1ull << 10; break;
    case 'm': mult = 1ull << 20; break;
    case 'g': mult = 1ull << 30; break;
    case 't': mult = 1ull << 40; break;
    default: break;
    }
    if(mult != 1)
        s.remove_suffix(1);
    if(s.empty() || s.size() > 19)
        return std::nullopt;
    std::uint64_t n = 0;
    for(char c : s) {
        if(c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if(n > std::numeric_limits<std::uint64_t>::max() / mult)
        return std::nullopt;
    return n * mult;
}

inline bool
is_scheme(std::string_view s) noexcept
{
    if(s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for(char c : s) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '+' || c == '-' || c == '.';
        if(!ok)
            return false;
    }
    return true;
}

inline bool
plausible_local_part(std::string_view s) noexcept
{
    if(s.empty() || s.size() > 64 * 3)
        return false;
    for(char c : s) {
        auto const u = static_cast<unsigned char>(c);
        if(u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' ||
           c == '&' || c == '[' || c == ']')
            return false;
    }
    return true;
}

} // namespace detail

/// Parses one URI of a DMARC URI list. Returns nullopt when the text is not a URI at all
/// (no scheme); a URI with a scheme we cannot use, or a broken destination or size suffix,
/// is returned with `supported == false`.
inline std::optional<report_uri>
parse_report_uri(std::string_view text)
{
    text = detail::trim(text);
    report_uri out;
    // "!" must be percent-encoded inside the URI (RFC 7489 6.4), so a literal one starts the
    // size suffix.
    bool size_ok = true;
    if(auto const bang = text.rfind('!'); bang != std::string_view::npos) {
        out.max_size = detail::parse_size_suffix(text.substr(bang + 1));
        size_ok = out.max_size.has_value();
        text = text.substr(0, bang);
    }
    auto const colon = text.find(':');
    if(colon == std::string_view::npos || !detail::is_scheme(text.substr(0, colon)))
        return std::nullopt;
    out.text = std::string(text);
    out.scheme = detail::to_lower(text.substr(0, colon));
    auto rest = text.substr(colon + 1);
    if(out.scheme == "mailto") {
        auto addr = rest.substr(0, rest.find('?'));
        auto const at = addr.rfind('@');
        if(at != std::string_view::npos && addr.find('@') == at) {
            auto const local = addr.substr(0, at);
            auto const domain = detail::normalize_domain(addr.substr(at + 1));
            if(detail::plausible_local_part(local) && detail::is_query_domain(domain)) {
                out.address = std::string(addr);
                out.host = domain;
                out.supported = size_ok;
            }
        }
    } else if(out.scheme == "http" || out.scheme == "https") {
        if(rest.substr(0, 2) == "//") {
            rest.remove_prefix(2);
            auto authority = rest.substr(0, rest.find_first_of("/?#"));
            if(auto const at = authority.rfind('@'); at != std::string_view::npos)
                authority.remove_prefix(at + 1);
            auto host = authority.substr(0, authority.find(':'));
            auto const h = detail::normalize_domain(host);
            if(detail::is_query_domain(h)) {
                out.host = h;
                out.supported = size_ok;
            }
        }
    }
    return out;
}

/// Parses a comma-separated dmarc-urilist. Elements that are not URIs are dropped.
inline std::vector<report_uri>
parse_report_uri_list(std::string_view text)
{
    std::vector<report_uri> out;
    for(auto part : detail::split(text, ',')) {
        if(detail::trim(part).empty())
            continue;
        if(auto u = parse_report_uri(part))
            out.push_back(std::move(*u));
    }
    return out;
}

/// True when at least one URI of the list is usable (the "syntactically valid reporting URI"
/// of RFC 7489 6.6.3 step 6 and RFC 9989 4.10.1).
inline bool
has_supported_uri(std::vector<report_uri> const& list) noexcept
{
    for(auto const& u : list)
        if(u.supported)
            return true;
    return false;
}

} // namespace authmilter::dmarc

#endif
