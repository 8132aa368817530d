// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_LISTEN_ADDRESS_HPP
#define AUTHMILTER_MILTER_LISTEN_ADDRESS_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::milter {

/// Where the milter listens, in the Perl Authentication Milter's `connection` syntax:
///
/// - `inet:PORT@HOST` and `inet:PORT` (all IPv4 addresses), e.g. `inet:12345@localhost`;
/// - `inet6:PORT@HOST` and `inet6:PORT` (all IPv6 addresses), e.g. `inet6:12345@[::1]`;
/// - `unix:/path/to/socket` (also `local:/path`, Sendmail's spelling).
///
/// `HOST` is a name or an address; brackets around an IPv6 address are removed.
struct listen_address {
    enum class kind : std::uint8_t { inet, inet6, local };

    kind what = kind::inet;
    std::string host;       ///< empty = any address of the family
    std::uint16_t port = 0; ///< 0 = an ephemeral port (tests)
    std::string path;       ///< unix socket path

    /// Parses the text; `std::nullopt` if it follows none of the forms above.
    static std::optional<listen_address> parse(std::string_view text)
    {
        listen_address a;
        auto const colon = text.find(':');
        if(colon == std::string_view::npos)
            return std::nullopt;
        auto const scheme = text.substr(0, colon);
        auto rest = text.substr(colon + 1);
        if(scheme == "unix" || scheme == "local") {
            if(rest.empty() || rest.find('\0') != std::string_view::npos)
                return std::nullopt;
            a.what = kind::local;
            a.path = std::string(rest);
            return a;
        }
        if(scheme == "inet")
            a.what = kind::inet;
        else if(scheme == "inet6")
            a.what = kind::inet6;
        else
            return std::nullopt;
        auto const at = rest.find('@');
        auto const port = rest.substr(0, at);
        if(port.empty() || port.size() > 5)
            return std::nullopt;
        unsigned value = 0;
        for(char c : port) {
            if(c < '0' || c > '9')
                return std::nullopt;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if(value > 65535)
            return std::nullopt;
        a.port = static_cast<std::uint16_t>(value);
        if(at != std::string_view::npos) {
            auto host = rest.substr(at + 1);
            if(host.size() >= 2 && host.front() == '[' && host.back() == ']')
                host = host.substr(1, host.size() - 2);
            if(host.empty())
                return std::nullopt;
            for(char c : host)
                if(c <= ' ' || c == '@' || c == '[' || c == ']')
                    return std::nullopt;
            a.host = std::string(host);
        }
        return a;
    }
};

} // namespace authmilter::milter

#endif
