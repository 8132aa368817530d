// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_PUNYCODE_HPP
#define AUTHMILTER_DMARC_PUNYCODE_HPP

#include <authmilter/dmarc/detail/text.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc {

/// Punycode (RFC 3492) and the label-wise A-label/U-label conversion RFC 9989 5.3.1 needs
/// ("If the domain is a U-label, the domain MUST be converted to an A-label"). This is the
/// bare transformation: no IDNA2008 mapping or validity tables, only ASCII case folding, which is
/// what comparing names with the Public Suffix List and DNS answers requires.
namespace punycode {

namespace detail {

constexpr std::uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
constexpr std::uint32_t initial_bias = 72, initial_n = 128;

constexpr std::uint32_t
adapt(std::uint32_t delta, std::uint32_t numpoints, bool first) noexcept
{
    delta = first ? delta / damp : delta / 2;
    delta += delta / numpoints;
    std::uint32_t k = 0;
    while(delta > ((base - tmin) * tmax) / 2) {
        delta /= base - tmin;
        k += base;
    }
    return k + (((base - tmin + 1) * delta) / (delta + skew));
}

constexpr char
encode_digit(std::uint32_t d) noexcept
{
    return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
}

constexpr std::optional<std::uint32_t>
decode_digit(char c) noexcept
{
    if(c >= '0' && c <= '9')
        return static_cast<std::uint32_t>(c - '0' + 26);
    if(c >= 'a' && c <= 'z')
        return static_cast<std::uint32_t>(c - 'a');
    if(c >= 'A' && c <= 'Z')
        return static_cast<std::uint32_t>(c - 'A');
    return std::nullopt;
}

} // namespace detail

/// Decodes UTF-8 into code points; nullopt on malformed input (overlongs, surrogates included).
inline std::optional<std::u32string>
utf8_decode(std::string_view s)
{
    std::u32string out;
    for(std::size_t i = 0; i < s.size();) {
        auto const b = static_cast<unsigned char>(s[i]);
        std::uint32_t cp = 0;
        std::size_t len = 0;
        if(b < 0x80) {
            cp = b;
            len = 1;
        } else if((b & 0xe0) == 0xc0) {
            cp = b & 0x1f;
            len = 2;
        } else if((b & 0xf0) == 0xe0) {
            cp = b & 0x0f;
            len = 3;
        } else if((b & 0xf8) == 0xf0) {
            cp = b & 0x07;
            len = 4;
        } else {
            return std::nullopt;
        }
        if(i + len > s.size())
            return std::nullopt;
        for(std::size_t k = 1; k < len; ++k) {
            auto const c = static_cast<unsigned char>(s[i + k]);
            if((c & 0xc0) != 0x80)
                return std::nullopt;
            cp = (cp << 6) | (c & 0x3f);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if(cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return std::nullopt;
        out.push_back(cp);
        i += len;
    }
    return out;
}

/// Encodes code points as UTF-8; nullopt for values outside Unicode or surrogates.
inline std::optional<std::string>
utf8_encode(std::u32string_view cps)
{
    std::string out;
    for(auto cp : cps) {
        if(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return std::nullopt;
        if(cp < 0x80) {
            out += static_cast<char>(cp);
        } else if(cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if(cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    return out;
}

/// RFC 3492 6.3 encoding (without the `xn--` prefix). nullopt on overflow.
inline std::optional<std::string>
encode(std::u32string_view input)
{
    using namespace detail;
    std::string out;
    for(auto cp : input)
        if(cp < 0x80)
            out += static_cast<char>(cp);
    std::uint32_t const b = static_cast<std::uint32_t>(out.size());
    std::uint32_t h = b;
    if(b > 0)
        out += '-';
    std::uint32_t n = initial_n, delta = 0, bias = initial_bias;
    auto const total = static_cast<std::uint32_t>(input.size());
    while(h < total) {
        std::uint32_t m = UINT32_MAX;
        for(auto cp : input)
            if(cp >= n && cp < m)
                m = cp;
        if((m - n) > (UINT32_MAX - delta) / (h + 1))
            return std::nullopt;
        delta += (m - n) * (h + 1);
        n = m;
        for(auto cp : input) {
            if(cp < n && ++delta == 0)
                return std::nullopt;
            if(cp == n) {
                std::uint32_t q = delta;
                for(std::uint32_t k = base;; k += base) {
                    std::uint32_t const t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias);
                    if(q < t)
                        break;
                    out += encode_digit(t + (q - t) % (base - t));
                    q = (q - t) / (base - t);
                }
                out += encode_digit(q);
                bias = adapt(delta, h + 1, h == b);
                delta = 0;
                ++h;
            }
        }
        ++delta;
        ++n;
    }
    return out;
}

/// RFC 3492 6.2 decoding (input without the `xn--` prefix). nullopt on bad input or overflow.
inline std::optional<std::u32string>
decode(std::string_view input)
{
    using namespace detail;
    std::u32string out;
    std::size_t const last_delim = input.rfind('-');
    std::size_t start = 0;
    if(last_delim != std::string_view::npos) {
        for(std::size_t i = 0; i < last_delim; ++i) {
            auto const c = static_cast<unsigned char>(input[i]);
            if(c >= 0x80)
                return std::nullopt;
            out.push_back(c);
        }
        start = last_delim + 1;
    }
    std::uint32_t n = initial_n, i = 0, bias = initial_bias;
    for(std::size_t in = start; in < input.size();) {
        std::uint32_t const oldi = i;
        std::uint32_t w = 1;
        for(std::uint32_t k = base;; k += base) {
            if(in >= input.size())
                return std::nullopt;
            auto const digit = decode_digit(input[in++]);
            if(!digit)
                return std::nullopt;
            if(*digit > (UINT32_MAX - i) / w)
                return std::nullopt;
            i += *digit * w;
            std::uint32_t const t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias);
            if(*digit < t)
                break;
            if(w > UINT32_MAX / (base - t))
                return std::nullopt;
            w *= base - t;
        }
        auto const len = static_cast<std::uint32_t>(out.size() + 1);
        bias = adapt(i - oldi, len, oldi == 0);
        if(i / len > UINT32_MAX - n)
            return std::nullopt;
        n += i / len;
        i %= len;
        if(n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff))
            return std::nullopt;
        out.insert(out.begin() + i, n);
        ++i;
    }
    return out;
}

/// True when the label has an `xn--` prefix (any case).
inline bool
is_a_label(std::string_view label) noexcept
{
    return label.size() >= 4 && authmilter::dmarc::detail::iequals(label.substr(0, 4), "xn--");
}

/// Converts a domain to A-labels: ASCII labels are lower-cased, labels with non-ASCII octets
/// (UTF-8) become `xn--` + punycode. nullopt when a label is not valid UTF-8.
inline std::optional<std::string>
to_ascii(std::string_view domain)
{
    std::string out;
    bool first = true;
    for(auto label : authmilter::dmarc::detail::split(domain, '.')) {
        if(!first)
            out += '.';
        first = false;
        bool ascii = true;
        for(char c : label)
            ascii = ascii && static_cast<unsigned char>(c) < 0x80;
        if(ascii) {
            out += authmilter::dmarc::detail::to_lower(label);
            continue;
        }
        auto cps = utf8_decode(label);
        if(!cps)
            return std::nullopt;
        for(auto& cp : *cps)
            if(cp >= 'A' && cp <= 'Z')
                cp += 'a' - 'A';
        auto enc = encode(*cps);
        if(!enc)
            return std::nullopt;
        out += "xn--";
        out += *enc;
    }
    return out;
}

/// Converts `xn--` labels to UTF-8 U-labels; other labels are kept (lower-cased).
/// nullopt when an A-label does not decode.
inline std::optional<std::string>
to_unicode(std::string_view domain)
{
    std::string out;
    bool first = true;
    for(auto label : authmilter::dmarc::detail::split(domain, '.')) {
        if(!first)
            out += '.';
        first = false;
        if(!is_a_label(label)) {
            out += authmilter::dmarc::detail::to_lower(label);
            continue;
        }
        auto cps = decode(label.substr(4));
        if(!cps)
            return std::nullopt;
        auto u = utf8_encode(*cps);
        if(!u)
            return std::nullopt;
        out += *u;
    }
    return out;
}

} // namespace punycode

} // namespace authmilter::dmarc

#endif
