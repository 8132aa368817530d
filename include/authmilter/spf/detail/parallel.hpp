// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_DETAIL_PARALLEL_HPP
#define AUTHMILTER_SPF_DETAIL_PARALLEL_HPP

#include <authmilter/dns/answer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <string>
#include <vector>

namespace authmilter::spf::detail {

/// Sends one query per name at once and returns the answers in the order of `names` (not in
/// completion order), so that callers read them exactly as a sequential evaluation would. A
/// resolver that throws (it should not) yields a timeout answer for that name.
template<class Resolver>
boost::asio::awaitable<std::vector<dns::answer>>
query_all(Resolver& resolver, std::vector<std::string> const& names, dns::rr_type type)
{
    std::vector<dns::answer> out;
    if(names.size() <= 1) {
        for(auto const& n : names)
            out.push_back(co_await resolver.query(n, type));
        co_return out;
    }
    auto const ex = co_await boost::asio::this_coro::executor;
    using op_type =
        decltype(boost::asio::co_spawn(ex, resolver.query(names.front(), type), boost::asio::deferred));
    std::vector<op_type> ops;
    ops.reserve(names.size());
    for(auto const& n : names)
        ops.push_back(boost::asio::co_spawn(ex, resolver.query(n, type), boost::asio::deferred));
    auto [order, errors, answers] =
        co_await boost::asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    (void)order;
    out.resize(names.size());
    for(std::size_t i = 0; i < names.size(); ++i) {
        if(errors[i])
            out[i].status = dns::outcome::timeout;
        else
            out[i] = std::move(answers[i]);
    }
    co_return out;
}

} // namespace authmilter::spf::detail

#endif
