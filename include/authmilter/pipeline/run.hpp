// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_RUN_HPP
#define AUTHMILTER_PIPELINE_RUN_HPP

#include <authmilter/core/envelope.hpp>
#include <authmilter/core/header_field.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::pipeline {

/// One whole SMTP transaction, for callers that have the message at hand rather than a stream:
/// the offline check mode, tests, an MTA that hands over complete messages.
struct message_input {
    core::connection_info connection;
    core::envelope envelope;
    std::vector<core::header_field> headers;
    std::string body;                    ///< CRLF line ends, as on the wire after the header
    std::size_t body_chunk_size = 65535; ///< the milter protocol's largest body chunk
};

/// Runs connect and helo for the connection of `in` on `txn` (the start of a session).
template<class Pipeline, class Transaction>
boost::asio::awaitable<void>
run_connection(Pipeline const& p, Transaction& txn, core::connection_info const& conn)
{
    txn.connection() = conn;
    if constexpr(Pipeline::stages().contains(stage::connect))
        co_await p.dispatch(txn, events::connect{txn.connection().client_name, txn.connection().client_ip,
                                                 txn.connection().client_port});
    if constexpr(Pipeline::stages().contains(stage::helo))
        co_await p.dispatch(txn, events::helo{txn.connection().helo});
}

/// Runs one message through every stage from MAIL FROM to end of message, on a connection
/// already started with run_connection(). Stops at a final verdict.
template<class Pipeline, class Transaction>
boost::asio::awaitable<void>
run_message(Pipeline const& p, Transaction& txn, message_input const& in)
{
    txn.begin_message();
    txn.envelope() = in.envelope;
    auto const& env = txn.envelope();
    std::span<std::string const> const from_params(env.mail_params);
    co_await p.dispatch(txn, events::envfrom{env.mail_from, from_params});
    for(auto const& rcpt : env.rcpt_to) {
        if(txn.verdict().is_final())
            co_return;
        co_await p.dispatch(txn, events::envrcpt{rcpt, {}});
    }
    for(auto const& h : in.headers) {
        if(txn.verdict().is_final())
            co_return;
        txn.headers().push_back(h);
        p.dispatch_sync(txn, events::header{txn.headers().back()});
    }
    if(txn.verdict().is_final())
        co_return;
    co_await p.dispatch(txn, events::eoh{});
    std::string_view body = in.body;
    auto const chunk = std::max<std::size_t>(in.body_chunk_size, 1);
    while(!body.empty() && !txn.verdict().is_final()) {
        auto const n = std::min(body.size(), chunk);
        p.dispatch_sync(txn, events::body{body.substr(0, n)});
        body.remove_prefix(n);
    }
    if(txn.verdict().is_final())
        co_return;
    co_await p.dispatch(txn, events::eom{});
}

/// Splits raw message text into header fields (folded lines kept in raw_value with CRLF) and
/// the body (CRLF line ends). Accepts LF or CRLF input. A line without a colon in the header is
/// taken as the start of the body, as an MTA would.
inline void
split_message(std::string_view text, std::vector<core::header_field>& headers, std::string& body)
{
    headers.clear();
    body.clear();
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        if(pos >= text.size())
            return false;
        auto const nl = text.find('\n', pos);
        auto const end = nl == std::string_view::npos ? text.size() : nl;
        line = text.substr(pos, end - pos);
        if(!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        return true;
    };
    std::string_view line;
    bool in_body = false;
    while(next_line(line)) {
        if(!in_body) {
            if(line.empty()) {
                in_body = true;
                continue;
            }
            if((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
                headers.back().raw_value.append("\r\n").append(line);
                continue;
            }
            auto const colon = line.find(':');
            if(colon != std::string_view::npos && colon > 0) {
                headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
                continue;
            }
            in_body = true;
        }
        body.append(line).append("\r\n");
    }
}

} // namespace authmilter::pipeline

#endif
