// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_CIDR_HPP
#define AUTHMILTER_CORE_CIDR_HPP

#include <authmilter/core/ip_address.hpp>

#include <charconv>
#include <optional>
#include <string_view>

namespace authmilter::core {

/// Does `addr` fall in the network `net`/`prefix_len`? Addresses of different families never
/// match. A prefix longer than the family's width is clamped to it.
inline bool
in_network(ip_address const& addr, ip_address const& net, unsigned prefix_len) noexcept
{
    if(addr.kind() != net.kind())
        return false;
    unsigned const width = addr.is_v4() ? 32 : 128;
    if(prefix_len > width)
        prefix_len = width;
    auto const& a = addr.bytes();
    auto const& n = net.bytes();
    std::size_t i = 0;
    for(; prefix_len >= 8; prefix_len -= 8, ++i)
        if(a[i] != n[i])
            return false;
    if(prefix_len == 0)
        return true;
    auto const mask = static_cast<std::uint8_t>(0xff << (8 - prefix_len));
    return (a[i] & mask) == (n[i] & mask);
}

/// A network in CIDR notation, as used by `ip_map`, TrustedIP and LocalIP.
class cidr {
public:
    cidr(ip_address network, unsigned prefix_len) noexcept
        : network_(network)
        , prefix_len_(prefix_len > (network.is_v4() ? 32u : 128u) ? (network.is_v4() ? 32u : 128u)
                                                                  : prefix_len)
    {}

    /// Parses `addr` or `addr/len`; a bare address is a host route. Returns nullopt on bad text or
    /// a length beyond the family's width.
    static std::optional<cidr> parse(std::string_view text) noexcept
    {
        auto const slash = text.find('/');
        auto const addr = ip_address::parse(text.substr(0, slash));
        if(!addr)
            return std::nullopt;
        unsigned const width = addr->is_v4() ? 32 : 128;
        if(slash == std::string_view::npos)
            return cidr(*addr, width);
        auto const len_text = text.substr(slash + 1);
        unsigned len = 0;
        auto const [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
        if(ec != std::errc{} || end != len_text.data() + len_text.size() || len_text.empty() || len > width)
            return std::nullopt;
        return cidr(*addr, len);
    }

    bool contains(ip_address const& addr) const noexcept { return in_network(addr, network_, prefix_len_); }
    ip_address const& network() const noexcept { return network_; }
    unsigned prefix_length() const noexcept { return prefix_len_; }

private:
    ip_address network_;
    unsigned prefix_len_;
};

} // namespace authmilter::core

#endif
