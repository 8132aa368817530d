// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_LOCAL_IP_HPP
#define AUTHMILTER_HANDLERS_LOCAL_IP_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/cidr.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/json/value.hpp>

#include <array>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/// True for the address classes the Perl tool treats as local (Net::IP types PRIVATE, SHARED,
/// LOOPBACK, LINK-LOCAL, RESERVED, UNIQUE-LOCAL-UNICAST, LINK-LOCAL-UNICAST).
inline bool
is_local_address(core::ip_address const& ip) noexcept
{
    struct range {
        char const* net;
        unsigned len;
    };
    static constexpr std::array<range, 14> local_ranges{{
        {"0.0.0.0", 8},      // Net::IP: PRIVATE ("this network")
        {"10.0.0.0", 8},     // PRIVATE
        {"100.64.0.0", 10},  // SHARED (carrier-grade NAT)
        {"127.0.0.0", 8},    // LOOPBACK
        {"169.254.0.0", 16}, // LINK-LOCAL
        {"172.16.0.0", 12},  // PRIVATE
        {"192.0.0.0", 24},   // RESERVED (IETF protocol assignments)
        {"192.168.0.0", 16}, // PRIVATE
        {"198.18.0.0", 15},  // RESERVED (benchmarking)
        {"240.0.0.0", 4},    // RESERVED
        {"::1", 128},        // LOOPBACK
        {"::", 128},         // UNSPECIFIED is reserved
        {"fc00::", 7},       // UNIQUE-LOCAL-UNICAST
        {"fe80::", 10},      // LINK-LOCAL-UNICAST
    }};
    for(auto const& r : local_ranges)
        if(core::in_network(ip, *core::ip_address::parse(r.net), r.len))
            return true;
    return false;
}

/** LocalIP: marks connections from private, loopback and link-local addresses.

    Connection result `x-local-ip=pass`; sets `trust().local`, which SPF, DKIM, DMARC and the
    other checks use to skip such clients. Config: `ignore_local_ip_list` (addresses and CIDR
    ranges never treated as local).
*/
struct local_ip_handler {
    static constexpr std::string_view name = "LocalIP";

    std::vector<core::cidr> ignore_local_ip_list;

    void configure(boost::json::value const& v)
    {
        ignore_local_ip_list = detail::read_network_list(detail::as_object(v), "ignore_local_ip_list");
    }

    void on_connect(auto& ctx, pipeline::events::connect const& ev) const
    {
        if(!ev.ip || detail::contains(ignore_local_ip_list, *ev.ip) || !is_local_address(*ev.ip))
            return;
        ctx.txn().trust().local = true;
        ctx.add_connection_result(authres::result("x-local-ip", "pass"));
    }
};

} // namespace authmilter::handlers

#endif
