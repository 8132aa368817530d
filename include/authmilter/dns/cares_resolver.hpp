// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_CARES_RESOLVER_HPP
#define AUTHMILTER_DNS_CARES_RESOLVER_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/detail/cares_channel.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dns {

/// Settings of a cares_resolver, named after the configuration keys.
struct cares_options {
    /// `dns_resolvers`: "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:5353".
    /// Empty: the servers of /etc/resolv.conf.
    std::vector<std::string> servers;
    /// `dns_timeout`: how long one try waits for each server.
    std::chrono::milliseconds timeout{std::chrono::seconds(8)};
    /// `dns_retry`: tries after the first one that timed out. A query that gets no answer ends
    /// as outcome::timeout after timeout x servers x (retry + 1).
    unsigned retry = 2;
};

/// A server address from `dns_resolvers` text: an IPv4 or IPv6 address, with an optional port
/// (IPv6 in brackets when a port is given). nullopt when malformed.
inline std::optional<detail::cares_channel::server>
parse_server_address(std::string_view text) noexcept
{
    std::string_view host = text;
    std::string_view port;
    if(!text.empty() && text.front() == '[') {
        auto const close = text.find(']');
        if(close == std::string_view::npos)
            return std::nullopt;
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if(!rest.empty()) {
            if(rest.front() != ':' || rest.size() == 1)
                return std::nullopt;
            port = rest.substr(1);
        }
    } else if(auto const colon = text.find(':');
              colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        host = text.substr(0, colon); // exactly one colon: IPv4 with port
        port = text.substr(colon + 1);
        if(port.empty())
            return std::nullopt;
    }
    if(host.empty() || host.find_first_of("[]") != std::string_view::npos ||
       (host.size() >= 5 && (host[0] == 'i' || host[0] == 'I')))
        return std::nullopt; // no "IPv6:" prefix here
    auto a = core::ip_address::parse(host);
    if(!a)
        return std::nullopt;
    detail::cares_channel::server s{*a, 53};
    if(!port.empty()) {
        unsigned v = 0;
        if(port.size() > 5)
            return std::nullopt;
        for(char c : port) {
            if(c < '0' || c > '9')
                return std::nullopt;
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if(v == 0 || v > 65535)
            return std::nullopt;
        s.port = static_cast<std::uint16_t>(v);
    }
    return s;
}

/// A Resolver asking real DNS servers through c-ares, driven by an Asio executor.
///
/// No thread of its own and no polling loop: c-ares' sockets are watched by the executor's
/// reactor and its timeouts run on an Asio timer. Channel calls are serialised on a strand of
/// the given executor, so queries may come from coroutines on any executor; the intended use is
/// one cares_resolver per io_context (thread), shared through a caching_resolver.
///
/// Queries are sent as-is (no search list), class IN, with c-ares' TCP retry on truncation.
/// c-ares statuses map to outcomes: ENODATA nodata, ENOTFOUND nxdomain, ESERVFAIL servfail,
/// EREFUSED refused, ETIMEOUT (and ECONNREFUSED) timeout, an unparsable answer malformed. TTLs
/// are kept, the strings of one TXT record are kept apart, CNAME chains in the answer followed.
///
/// Destroy it on its executor's thread or when that executor no longer runs; queries still
/// pending then complete as timeout.
class cares_resolver {
public:
    /// Throws std::invalid_argument naming a malformed server, std::runtime_error when c-ares
    /// cannot start (e.g. no resolv.conf and no servers).
    explicit cares_resolver(boost::asio::any_io_executor const& ex, cares_options const& options = {})
        : channel_(std::make_shared<detail::cares_channel>(
              boost::asio::make_strand(ex), parse(options.servers), options.timeout, options.retry))
    {}

    cares_resolver(cares_resolver&&) noexcept = default;
    cares_resolver& operator=(cares_resolver&&) noexcept = default;
    cares_resolver(cares_resolver const&) = delete;
    cares_resolver& operator=(cares_resolver const&) = delete;

    ~cares_resolver()
    {
        if(channel_)
            channel_->close();
    }

    /// Sends one query; completes with the answer (signature `void(dns::answer)`).
    template<class CompletionToken>
    auto async_query(std::string_view name, rr_type type, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(answer)>(
            [](auto handler, std::shared_ptr<detail::cares_channel> ch, std::string n, rr_type t) {
                ch->start(std::move(n), t, std::move(handler));
            },
            token, channel_, std::string(name), type);
    }

    /// The Resolver interface.
    boost::asio::awaitable<answer> query(std::string_view name, rr_type type)
    {
        return async_query(name, type, boost::asio::use_awaitable);
    }

    /// The strand the channel runs on.
    boost::asio::any_io_executor get_executor() const { return channel_->get_executor(); }

private:
    static std::vector<detail::cares_channel::server> parse(std::vector<std::string> const& servers)
    {
        std::vector<detail::cares_channel::server> out;
        for(auto const& s : servers) {
            auto a = parse_server_address(s);
            if(!a)
                throw std::invalid_argument(
                    "dns_resolvers: '" + s +
                    "' is not an IP address with optional port (e.g. 192.0.2.1:53, [::1]:53)");
            out.push_back(*a);
        }
        return out;
    }

    std::shared_ptr<detail::cares_channel> channel_;
};

} // namespace authmilter::dns

#endif
