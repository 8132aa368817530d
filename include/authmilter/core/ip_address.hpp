// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_IP_ADDRESS_HPP
#define AUTHMILTER_CORE_IP_ADDRESS_HPP

#include <arpa/inet.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::core {

/// An IPv4 or IPv6 address as the checks see it.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are normalised to IPv4 on parse, because SPF,
/// iprev and DMARC reports must treat a client that reached a dual-stack socket by IPv4 as IPv4.
/// The `IPv6:` prefix Sendmail uses in `{client_addr}` and SMTP address literals is accepted.
class ip_address {
public:
    enum class family : std::uint8_t { v4, v6 };

    /// The unspecified IPv4 address 0.0.0.0.
    constexpr ip_address() noexcept = default;

    /// Parses dotted-quad IPv4, RFC 4291 IPv6 text, an optional `IPv6:` prefix (any case) and an
    /// optional pair of square brackets. Returns nullopt for anything else.
    static std::optional<ip_address> parse(std::string_view text) noexcept;

    /// Builds an address from 4 network-order bytes.
    static ip_address from_v4(std::array<std::uint8_t, 4> const& bytes) noexcept;
    /// Builds an address from 16 network-order bytes; a v4-mapped address becomes IPv4.
    static ip_address from_v6(std::array<std::uint8_t, 16> const& bytes) noexcept;

    family kind() const noexcept { return family_; }
    bool is_v4() const noexcept { return family_ == family::v4; }
    bool is_v6() const noexcept { return family_ == family::v6; }

    /// The address bytes in network order: the first 4 for IPv4, all 16 for IPv6.
    std::array<std::uint8_t, 16> const& bytes() const noexcept { return bytes_; }
    std::size_t size() const noexcept { return is_v4() ? 4 : 16; }

    /// Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6.
    std::string to_string() const;

    /// The reverse-lookup name without trailing dot: `1.2.0.192.in-addr.arpa` or the 32 nibbles
    /// under `ip6.arpa`.
    std::string reverse_name() const;

    /// The dotted form SPF's `%{i}` macro expands to: dotted quad, or 32 dot-separated nibbles.
    std::string dotted_nibbles() const;

    friend auto operator<=>(ip_address const&, ip_address const&) noexcept = default;
    friend bool operator==(ip_address const&, ip_address const&) noexcept = default;

private:
    family family_ = family::v4;
    std::array<std::uint8_t, 16> bytes_{};
};

namespace detail {

inline bool
iequals_prefix(std::string_view text, std::string_view prefix) noexcept
{
    if(text.size() < prefix.size())
        return false;
    for(std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if(c != prefix[i])
            return false;
    }
    return true;
}

inline constexpr char hex_digits[] = "0123456789abcdef";

} // namespace detail

inline std::optional<ip_address>
ip_address::parse(std::string_view text) noexcept
{
    if(text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    bool const v6_prefix = detail::iequals_prefix(text, "ipv6:");
    if(v6_prefix)
        text.remove_prefix(5);
    // inet_pton needs a NUL-terminated string; the longest valid text is 45 characters.
    if(text.empty() || text.size() > 45)
        return std::nullopt;
    char buf[46];
    text.copy(buf, text.size());
    buf[text.size()] = '\0';
    if(!v6_prefix) {
        std::array<std::uint8_t, 4> v4{};
        if(::inet_pton(AF_INET, buf, v4.data()) == 1)
            return from_v4(v4);
    }
    std::array<std::uint8_t, 16> v6{};
    if(::inet_pton(AF_INET6, buf, v6.data()) == 1)
        return from_v6(v6);
    return std::nullopt;
}

inline ip_address
ip_address::from_v4(std::array<std::uint8_t, 4> const& bytes) noexcept
{
    ip_address a;
    a.family_ = family::v4;
    for(std::size_t i = 0; i < 4; ++i)
        a.bytes_[i] = bytes[i];
    return a;
}

inline ip_address
ip_address::from_v6(std::array<std::uint8_t, 16> const& bytes) noexcept
{
    bool mapped = bytes[10] == 0xff && bytes[11] == 0xff;
    for(std::size_t i = 0; mapped && i < 10; ++i)
        mapped = bytes[i] == 0;
    if(mapped)
        return from_v4({bytes[12], bytes[13], bytes[14], bytes[15]});
    ip_address a;
    a.family_ = family::v6;
    a.bytes_ = bytes;
    return a;
}

inline std::string
ip_address::to_string() const
{
    char buf[INET6_ADDRSTRLEN];
    ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
}

inline std::string
ip_address::dotted_nibbles() const
{
    if(is_v4())
        return to_string();
    std::string out;
    out.reserve(63);
    for(std::size_t i = 0; i < 16; ++i) {
        if(i != 0)
            out += '.';
        out += detail::hex_digits[bytes_[i] >> 4];
        out += '.';
        out += detail::hex_digits[bytes_[i] & 0x0f];
    }
    return out;
}

inline std::string
ip_address::reverse_name() const
{
    std::string out;
    if(is_v4()) {
        for(int i = 3; i >= 0; --i) {
            out += std::to_string(bytes_[static_cast<std::size_t>(i)]);
            out += '.';
        }
        out += "in-addr.arpa";
        return out;
    }
    out.reserve(72);
    for(int i = 15; i >= 0; --i) {
        auto const b = bytes_[static_cast<std::size_t>(i)];
        out += detail::hex_digits[b & 0x0f];
        out += '.';
        out += detail::hex_digits[b >> 4];
        out += '.';
    }
    out += "ip6.arpa";
    return out;
}

} // namespace authmilter::core

#endif
