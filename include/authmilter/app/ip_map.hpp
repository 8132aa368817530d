// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_IP_MAP_HPP
#define AUTHMILTER_APP_IP_MAP_HPP

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/core/envelope.hpp>

#include <vector>

namespace authmilter::app {

/// The `ip_map` entry for a client address: the first whose network holds it (the entries are
/// in the sorted order of their keys, as the Perl tool checks them), or nullptr.
inline config::ip_map_entry const*
match_ip_map(std::vector<config::ip_map_entry> const& map, core::ip_address const& client)
{
    for(auto const& e : map)
        if(e.network.contains(client))
            return &e;
    return nullptr;
}

/** `ip_map`: a client whose address falls in an entry's network is checked as if it came from
    the entry's `ip` (and `helo`, when given). Used when internal relays reach the MX by a
    private address but checks should see the outside one. The address it really came from is
    kept in `raw_client_ip`. Returns the matching entry (for remap_helo), or nullptr.
*/
inline config::ip_map_entry const*
remap_connect(std::vector<config::ip_map_entry> const& map, core::connection_info& conn)
{
    if(!conn.client_ip)
        return nullptr;
    auto const* e = match_ip_map(map, *conn.client_ip);
    if(e == nullptr)
        return nullptr;
    if(e->ip) {
        conn.raw_client_ip = conn.client_ip;
        conn.client_ip = e->ip;
    }
    if(!e->helo.empty())
        conn.helo = e->helo;
    return e;
}

/** The HELO side of the matched `ip_map` entry: its `helo` replaces the name sent, then a
    `helo_map` entry for the name sent (case-insensitive) remaps the address and HELO again. In
    milter mode this runs at HELO, after the connect stage; in SMTP and check mode both remaps
    run before connect, as in the Perl tool.
*/
inline void
remap_helo(config::ip_map_entry const* matched, std::string const& helo_sent, core::connection_info& conn)
{
    if(matched == nullptr)
        return;
    if(!matched->helo.empty())
        conn.helo = matched->helo;
    for(auto const& h : matched->helo_map) {
        if(!core::iequals(h.helo_in, helo_sent))
            continue;
        if(h.ip) {
            if(!conn.raw_client_ip)
                conn.raw_client_ip = conn.client_ip;
            conn.client_ip = h.ip;
        }
        if(!h.helo.empty())
            conn.helo = h.helo;
        return;
    }
}

/// Milter mode's HELO step: finds the entry matched at connect again by the address the client
/// really came from, and applies remap_helo().
inline void
remap_helo_again(std::vector<config::ip_map_entry> const& map, std::string const& helo_sent,
                 core::connection_info& conn)
{
    auto const& from = conn.raw_client_ip ? conn.raw_client_ip : conn.client_ip;
    if(from)
        remap_helo(match_ip_map(map, *from), helo_sent, conn);
}

} // namespace authmilter::app

#endif
