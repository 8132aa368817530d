// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_LISTEN_ADDRESS_HPP
#define AUTHMILTER_CONFIG_LISTEN_ADDRESS_HPP

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::config {

/** A listening or connecting endpoint in the Perl tool's syntax:
    `inet:PORT@HOST`, `inet:PORT@[IPV6]`, `inet:PORT` (all addresses), `inet6:PORT@HOST` (Sendmail's
    spelling, same meaning), or `unix:/path/to/socket` (also `local:`).
*/
struct listen_address {
    enum class kind : std::uint8_t { inet, unix_socket };
    kind type = kind::inet;
    std::string host; ///< empty = all addresses; IPv6 without brackets
    std::uint16_t port = 0;
    std::string path; ///< unix socket path

    /// Parses the text; nullopt when it is not one of the forms above or the port is not 1-65535.
    static std::optional<listen_address> parse(std::string_view text)
    {
        listen_address a;
        auto take_prefix = [&](std::string_view p) {
            if(!text.starts_with(p))
                return false;
            text.remove_prefix(p.size());
            return true;
        };
        if(take_prefix("unix:") || take_prefix("local:")) {
            if(text.empty() || text.front() != '/')
                return std::nullopt;
            a.type = kind::unix_socket;
            a.path = std::string(text);
            return a;
        }
        if(!take_prefix("inet:") && !take_prefix("inet6:"))
            return std::nullopt;
        auto const at = text.find('@');
        auto const port_text = text.substr(0, at);
        unsigned port = 0;
        auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if(ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
            return std::nullopt;
        a.port = static_cast<std::uint16_t>(port);
        if(at != std::string_view::npos) {
            auto host = text.substr(at + 1);
            if(host.size() >= 2 && host.front() == '[' && host.back() == ']')
                host = host.substr(1, host.size() - 2);
            if(host.empty())
                return std::nullopt;
            a.host = std::string(host);
        }
        return a;
    }

    /// Back to the configuration syntax, e.g. for logs and the `inet:PORT` override keys.
    std::string to_string() const
    {
        if(type == kind::unix_socket)
            return "unix:" + path;
        std::string out = "inet:" + std::to_string(port);
        if(!host.empty())
            out += "@" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
        return out;
    }
};

} // namespace authmilter::config

#endif
