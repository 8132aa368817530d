// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_VERIFY_HPP
#define AUTHMILTER_DKIM_VERIFY_HPP

#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/result.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>

#include <string_view>
#include <vector>

namespace authmilter::dkim {

/// Answers every key query of `v` that has no answer yet, one after the other, through
/// `resolver`. A pipeline handler starts the queries itself as on_header() returns them; this
/// is for simple programs.
template<dns::Resolver Resolver>
boost::asio::awaitable<void>
fetch_keys(verifier& v, Resolver& resolver)
{
    for(std::size_t i = 0; i < v.queries().size(); ++i) {
        if(v.answered(i))
            continue;
        auto const name = v.queries()[i].name;
        auto answer = co_await resolver.query(name, dns::rr_type::txt);
        v.on_key(name, std::move(answer));
    }
}

/// Verifies a whole message held in memory: splits it, feeds the verifier, fetches the keys and
/// returns one result per DKIM-Signature (empty: unsigned).
template<dns::Resolver Resolver>
boost::asio::awaitable<std::vector<signature_result>>
verify_message(Resolver& resolver, std::string_view message, verify_options options)
{
    verifier v(std::move(options));
    auto parts = split_message(message);
    for(auto& h : parts.headers)
        v.on_header(std::move(h));
    v.on_body(parts.body);
    co_await fetch_keys(v, resolver);
    co_return v.finish();
}

/// verify_message() with the default (strict) options.
// Not a default argument: g++ 12 miscompiles coroutine parameters initialised from default
// arguments of class type (the frame's copy of the string points into the dead argument).
template<dns::Resolver Resolver>
boost::asio::awaitable<std::vector<signature_result>>
verify_message(Resolver& resolver, std::string_view message)
{
    return verify_message(resolver, message, verify_options{});
}

} // namespace authmilter::dkim

#endif
