// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_DETAIL_BASE64_HPP
#define AUTHMILTER_DKIM_DETAIL_BASE64_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::dkim::detail {

/// Decodes base64 (RFC 4648 alphabet) and ignores whitespace anywhere, as b=, bh= and p= may be
/// folded (RFC 6376 3.5). Padding is optional but, when present, must be at the end. Returns
/// nullopt for any other character or an impossible length.
inline std::optional<std::string>
base64_decode(std::string_view in)
{
    std::string out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    int pad = 0;
    std::size_t symbols = 0;
    for(char ch : in) {
        auto const c = static_cast<unsigned char>(ch);
        int v;
        if(c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if(c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if(c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if(c == '+')
            v = 62;
        else if(c == '/')
            v = 63;
        else if(c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        else if(c == '=') {
            ++pad;
            continue;
        } else
            return std::nullopt;
        if(pad != 0)
            return std::nullopt; // data after padding
        ++symbols;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if(bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    if(symbols % 4 == 1 || pad > 2)
        return std::nullopt;
    if(pad != 0 && (symbols + static_cast<std::size_t>(pad)) % 4 != 0)
        return std::nullopt;
    return out;
}

/// Encodes base64 with padding and no line breaks.
inline std::string
base64_encode(std::string_view in)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for(; i + 3 <= in.size(); i += 3) {
        std::uint32_t const n = (std::uint32_t(static_cast<unsigned char>(in[i])) << 16) |
                                (std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8) |
                                std::uint32_t(static_cast<unsigned char>(in[i + 2]));
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if(auto const rest = in.size() - i; rest != 0) {
        std::uint32_t n = std::uint32_t(static_cast<unsigned char>(in[i])) << 16;
        if(rest == 2)
            n |= std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

} // namespace authmilter::dkim::detail

#endif
