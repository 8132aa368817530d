// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_RELAY_CLIENT_HPP
#define AUTHMILTER_SMTP_RELAY_CLIENT_HPP

// Moves the bytes of relay_protocol over Asio: TCP (`sock_type` inet) or a unix socket, with
// `timeout_out` on the connect and on every read and write.

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/smtp/relay_protocol.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <string>

namespace authmilter::smtp {

/** Relays messages to the next hop named by an `smtp` configuration block, one connection per
    message (so a failure of one never affects the next). `deliver()` is what the session calls;
    it never throws for network trouble: every failure is an outcome with a 4xx answer.
*/
class relay_client {
public:
    relay_client(boost::asio::any_io_executor ex, config::smtp_relay_config cfg)
        : ex_(std::move(ex))
        , cfg_(std::move(cfg))
    {}

    config::smtp_relay_config const& settings() const noexcept { return cfg_; }

    boost::asio::awaitable<relay_outcome> deliver(relay_request const& req)
    {
        relay_protocol proto(cfg_.server_name, req);
        if(cfg_.sock_type == "unix") {
            boost::asio::local::stream_protocol::socket sock(ex_);
            auto ec = co_await connect_unix(sock);
            if(ec)
                proto.failed("connect to unix:" + cfg_.sock_path + ": " + ec.message());
            else
                co_await converse(sock, proto, req);
        } else {
            boost::asio::ip::tcp::socket sock(ex_);
            auto ec = co_await connect_tcp(sock);
            if(ec)
                proto.failed("connect to " + cfg_.sock_host + ":" + std::to_string(cfg_.sock_port) + ": " +
                             ec.message());
            else {
                boost::system::error_code ignored;
                sock.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
                co_await converse(sock, proto, req);
            }
        }
        co_return proto.outcome();
    }

private:
    using timer_type = boost::asio::steady_timer;

    std::chrono::steady_clock::duration timeout() const
    {
        return cfg_.timeout_out.count() > 0 ? std::chrono::steady_clock::duration(cfg_.timeout_out)
                                            : std::chrono::steady_clock::duration(std::chrono::hours(24));
    }

    boost::asio::awaitable<boost::system::error_code> connect_tcp(boost::asio::ip::tcp::socket& sock)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        boost::asio::ip::tcp::resolver resolver(ex_);
        auto [rec, results] = co_await resolver.async_resolve(cfg_.sock_host, std::to_string(cfg_.sock_port),
                                                              as_tuple(use_awaitable));
        if(rec)
            co_return rec;
        timer_type timer(ex_, timeout());
        auto r = co_await (boost::asio::async_connect(sock, results, as_tuple(use_awaitable)) ||
                           timer.async_wait(as_tuple(use_awaitable)));
        if(r.index() == 1)
            co_return boost::asio::error::timed_out;
        co_return std::get<0>(std::get<0>(r));
    }

    boost::asio::awaitable<boost::system::error_code>
    connect_unix(boost::asio::local::stream_protocol::socket& sock)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        timer_type timer(ex_, timeout());
        boost::asio::local::stream_protocol::endpoint ep(cfg_.sock_path);
        auto r = co_await (sock.async_connect(ep, as_tuple(use_awaitable)) ||
                           timer.async_wait(as_tuple(use_awaitable)));
        if(r.index() == 1)
            co_return boost::asio::error::timed_out;
        co_return std::get<0>(std::get<0>(r));
    }

    template<class Socket>
    boost::asio::awaitable<boost::system::error_code> write_timed(Socket& sock, std::string_view bytes)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        timer_type timer(ex_, timeout());
        auto r =
            co_await (boost::asio::async_write(sock, boost::asio::buffer(bytes), as_tuple(use_awaitable)) ||
                      timer.async_wait(as_tuple(use_awaitable)));
        if(r.index() == 1)
            co_return boost::asio::error::timed_out;
        co_return std::get<0>(std::get<0>(r));
    }

    template<class Socket>
    boost::asio::awaitable<void> converse(Socket& sock, relay_protocol& proto, relay_request const& req)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        reply_reader reader;
        std::array<char, 16384> buf;
        while(true) {
            switch(proto.next()) {
            case relay_protocol::action::done: co_return;
            case relay_protocol::action::read_reply: {
                reply r;
                auto st = reader.next(r);
                while(st == reply_reader::status::need_more) {
                    timer_type timer(ex_, timeout());
                    auto rr =
                        co_await (sock.async_read_some(boost::asio::buffer(buf), as_tuple(use_awaitable)) ||
                                  timer.async_wait(as_tuple(use_awaitable)));
                    if(rr.index() == 1) {
                        proto.failed("timed out waiting for a reply");
                        break;
                    }
                    auto [ec, n] = std::get<0>(rr);
                    if(ec) {
                        proto.failed(ec == boost::asio::error::eof ? std::string("connection closed")
                                                                   : ec.message());
                        break;
                    }
                    reader.feed(std::string_view(buf.data(), n));
                    st = reader.next(r);
                }
                if(st == reply_reader::status::error)
                    proto.failed("malformed reply");
                else if(st == reply_reader::status::complete)
                    proto.on_reply(r);
                break;
            }
            case relay_protocol::action::write_command:
            case relay_protocol::action::write_quit: {
                auto ec = co_await write_timed(sock, proto.command());
                if(ec)
                    proto.failed(ec.message());
                else
                    proto.sent();
                break;
            }
            case relay_protocol::action::write_message: {
                auto ec = co_await write_message(sock, req);
                if(ec)
                    proto.failed(ec.message());
                else
                    proto.sent();
                break;
            }
            }
        }
    }

    template<class Socket>
    boost::asio::awaitable<boost::system::error_code> write_message(Socket& sock, relay_request const& req)
    {
        dot_stuffer stuffer;
        std::string out;
        stuffer.stuff(req.header_text, out);
        stuffer.stuff("\r\n", out);
        std::array<char, 65536> chunk;
        std::uint64_t offset = 0;
        while(true) {
            if(out.size() >= 65536 || (req.body == nullptr || offset >= req.body->size())) {
                if(req.body == nullptr || offset >= req.body->size())
                    stuffer.finish(out);
                auto ec = co_await write_timed(sock, out);
                if(ec)
                    co_return ec;
                out.clear();
                if(req.body == nullptr || offset >= req.body->size())
                    co_return boost::system::error_code{};
            }
            boost::system::error_code rec;
            auto const n = req.body->read(offset, chunk.data(), chunk.size(), rec);
            if(rec)
                co_return rec;
            if(n == 0)
                co_return boost::asio::error::eof; // the store shrank: never send a cut message
            offset += n;
            stuffer.stuff(std::string_view(chunk.data(), n), out);
        }
    }

    boost::asio::any_io_executor ex_;
    config::smtp_relay_config cfg_;
};

} // namespace authmilter::smtp

#endif
