// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_RESOLVER_HPP
#define AUTHMILTER_DNS_RESOLVER_HPP

#include <authmilter/dns/answer.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <string_view>

namespace authmilter::dns {

/// The Resolver requirement every check is templated on.
///
/// `co_await r.query(name, type)` yields a dns::answer. `name` is an A-label domain name,
/// compared case-insensitively, with or without one trailing dot. A query never throws for a
/// DNS outcome: failures are reported in answer::status.
template<class R>
concept Resolver = requires(R& r, std::string_view name, rr_type type)
{
    {
        r.query(name, type)
        } -> std::same_as<boost::asio::awaitable<answer>>;
};

} // namespace authmilter::dns

#endif
