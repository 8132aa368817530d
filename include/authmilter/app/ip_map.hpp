// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_IP_MAP_HPP
#define AUTHMILTER_APP_IP_MAP_HPP

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/core/envelope.hpp>

#include <vector>

namespace authmilter::app {

/** `ip_map`: a client whose address falls in an entry's network is checked as if it came from
    the entry's `ip` (and `helo`, when given). Used when internal relays reach the MX by a
    private address but checks should see the outside one. The first matching entry wins.
    Returns the matching entry (for remap_helo), or nullptr.
*/
inline config::ip_map_entry const*
remap_connect(std::vector<config::ip_map_entry> const& map, core::connection_info& conn)
{
    if(!conn.client_ip)
        return nullptr;
    for(auto const& e : map) {
        if(!e.network.contains(*conn.client_ip))
            continue;
        if(e.ip)
            conn.client_ip = e.ip;
        if(!e.helo.empty())
            conn.helo = e.helo;
        return &e;
    }
    return nullptr;
}

/** `helo_map` inside the matched `ip_map` entry: a HELO name (case-insensitive) remaps the
    address and HELO again. In milter mode this runs at HELO, after the connect stage; in SMTP
    and check mode both remaps run before connect, as in the Perl tool.
*/
inline void
remap_helo(config::ip_map_entry const* matched, std::string const& helo_sent, core::connection_info& conn)
{
    if(matched == nullptr)
        return;
    for(auto const& h : matched->helo_map) {
        if(!core::iequals(h.helo_in, helo_sent))
            continue;
        if(h.ip)
            conn.client_ip = h.ip;
        if(!h.helo.empty())
            conn.helo = h.helo;
        return;
    }
}

} // namespace authmilter::app

#endif
