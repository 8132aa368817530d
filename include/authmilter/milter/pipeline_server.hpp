// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_PIPELINE_SERVER_HPP
#define AUTHMILTER_MILTER_PIPELINE_SERVER_HPP

// The milter front-end on Boost.Asio for a handler pipeline: listeners (TCP IPv4/IPv6, unix
// sockets), one coroutine per MTA connection driving a pipeline_driver, stage timeouts, and a
// graceful stop that lets connections in flight finish.

#include <authmilter/config/listen_address.hpp>
#include <authmilter/milter/pipeline_driver.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace authmilter::milter {

/// Settings of a pipeline_server, named after the Perl tool's keys.
struct pipeline_server_options {
    /// Longest wait for the MTA's first command, and for any command outside a message.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
    /// Longest time from MAIL to end of message.
    std::chrono::milliseconds content_timeout{std::chrono::seconds(300)};
    int listen_backlog = 20;
    int unix_umask = -1; ///< applied to unix sockets (mode 0666 & ~umask); -1 = leave it
    std::size_t read_buffer_size = 65536 + 64;
    /// Called with a line when a connection ends on an error (protocol error, timeout).
    std::function<void(std::string const&)> log;
};

/// One configuration of the server: the configured pipeline, the sinks and the driver settings.
/// A reload builds a new one; connections in flight keep the one they started with.
template<class Pipeline, class Sinks> struct generation {
    Pipeline pipeline;
    Sinks sinks;
    driver_options driver;
};

/** A milter server running a pipeline.

    Run the executor's io_context on any number of threads; each connection lives on its own
    strand. The generation (pipeline, sinks) is shared by all connections and only read; the
    resolver must be safe for concurrent use (caching_resolver is). reload() swaps the generation
    atomically for new connections.
*/
template<class Pipeline, class Resolver, class Sinks> class pipeline_server {
public:
    using generation_type = generation<Pipeline, Sinks>;

    pipeline_server(boost::asio::any_io_executor ex, std::shared_ptr<generation_type const> gen, Resolver& r,
                    pipeline_server_options opts = {})
        : ex_(std::move(ex))
        , resolver_(&r)
        , opts_(std::move(opts))
        , shared_(std::make_shared<shared_state>())
        , generation_(std::move(gen))
    {}

    /// New connections use `gen` from now on; connections in flight finish with their own.
    void reload(std::shared_ptr<generation_type const> gen)
    {
        std::lock_guard lock(shared_->mutex);
        generation_ = std::move(gen);
    }

    std::shared_ptr<generation_type const> current() const
    {
        std::lock_guard lock(shared_->mutex);
        return generation_;
    }

    pipeline_server(pipeline_server const&) = delete;
    pipeline_server& operator=(pipeline_server const&) = delete;

    /// Binds and starts accepting on `where`. A stale unix socket file is removed first.
    boost::system::error_code listen(config::listen_address const& where)
    {
        boost::system::error_code ec;
        if(where.type == config::listen_address::kind::unix_socket) {
            ::unlink(where.path.c_str());
            boost::asio::local::stream_protocol::acceptor acc(ex_);
            boost::asio::local::stream_protocol::endpoint ep(where.path);
            acc.open(ep.protocol(), ec);
            if(!ec)
                acc.bind(ep, ec);
            if(!ec && opts_.unix_umask >= 0)
                ::chmod(where.path.c_str(), static_cast<mode_t>(0666 & ~opts_.unix_umask));
            if(!ec)
                acc.listen(opts_.listen_backlog, ec);
            if(ec)
                return ec;
            auto& a = unix_.emplace_back(std::move(acc));
            boost::asio::co_spawn(ex_, accept_loop(a), boost::asio::detached);
            return {};
        }
        namespace ip = boost::asio::ip;
        ip::tcp::endpoint ep(ip::tcp::v4(), where.port);
        if(!where.host.empty()) {
            ip::tcp::resolver res(ex_);
            auto const found = res.resolve(where.host, std::to_string(where.port), ec);
            if(ec)
                return ec;
            if(found.empty())
                return boost::asio::error::host_not_found;
            ep = found.begin()->endpoint();
        }
        ip::tcp::acceptor acc(ex_);
        acc.open(ep.protocol(), ec);
        if(!ec)
            acc.set_option(ip::tcp::acceptor::reuse_address(true), ec);
        if(!ec && ep.protocol() == ip::tcp::v6())
            acc.set_option(ip::v6_only(true), ec);
        if(!ec)
            acc.bind(ep, ec);
        if(!ec)
            acc.listen(opts_.listen_backlog, ec);
        if(ec)
            return ec;
        auto& a = tcp_.emplace_back(std::move(acc));
        boost::asio::co_spawn(ex_, accept_loop(a), boost::asio::detached);
        return {};
    }

    /// The bound TCP endpoints (a port 0 listener shows its real port here).
    std::vector<boost::asio::ip::tcp::endpoint> tcp_endpoints() const
    {
        std::vector<boost::asio::ip::tcp::endpoint> out;
        for(auto const& a : tcp_) {
            boost::system::error_code ec;
            auto ep = a.local_endpoint(ec);
            if(!ec)
                out.push_back(ep);
        }
        return out;
    }

    /// Stops accepting. Connections in flight go on until their MTA closes them; call
    /// close_connections() to end them at once.
    void stop()
    {
        boost::system::error_code ignored;
        for(auto& a : tcp_)
            a.close(ignored);
        for(auto& a : unix_)
            a.close(ignored);
    }

    /// Closes every open MTA connection (the MTA applies its milter_default_action).
    void close_connections()
    {
        std::lock_guard lock(shared_->mutex);
        for(auto& c : shared_->closers)
            c();
    }

    std::size_t active_connections() const noexcept { return shared_->active.load(); }
    std::size_t served_connections() const noexcept { return shared_->served.load(); }

private:
    struct shared_state {
        std::atomic<std::size_t> active{0};
        std::atomic<std::size_t> served{0};
        std::mutex mutex;
        std::list<std::function<void()>> closers;
    };

    template<class Acceptor> boost::asio::awaitable<void> accept_loop(Acceptor& acc)
    {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        while(acc.is_open()) {
            auto strand = boost::asio::make_strand(ex_);
            auto [ec, sock] = co_await acc.async_accept(strand, as_tuple(use_awaitable));
            if(ec) {
                if(ec == boost::asio::error::operation_aborted || !acc.is_open())
                    co_return;
                // EMFILE and friends: wait a little instead of spinning.
                boost::asio::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            boost::asio::co_spawn(strand, serve(std::move(sock)), boost::asio::detached);
        }
    }

    template<class Socket> static void tune(Socket& sock) noexcept
    {
        if constexpr(std::is_same_v<typename Socket::protocol_type, boost::asio::ip::tcp>) {
            // The MTA writes a macro packet and its command separately and waits for our small
            // reply: without these, delayed ACKs and Nagle cost ~40 ms per stage.
            boost::system::error_code ignored;
            sock.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
#ifdef TCP_QUICKACK
            int one = 1;
            ::setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#endif
        }
    }

    template<class Socket> boost::asio::awaitable<void> serve(Socket sock)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        using clock = std::chrono::steady_clock;
        auto shared = shared_;
        ++shared->active;
        ++shared->served;
        typename std::list<std::function<void()>>::iterator self;
        {
            std::lock_guard lock(shared->mutex);
            self = shared->closers.insert(shared->closers.end(), [&sock] {
                boost::asio::post(sock.get_executor(), [&sock] {
                    boost::system::error_code ignored;
                    sock.close(ignored);
                });
            });
        }
        std::string why;
        auto const gen = current();
        try {
            tune(sock);
            pipeline_driver<Pipeline, Resolver, Sinks> driver(gen->pipeline, *resolver_, gen->sinks,
                                                              gen->driver);
            std::vector<char> buf(opts_.read_buffer_size);
            std::string out;
            boost::asio::steady_timer timer(sock.get_executor());
            auto message_deadline = clock::time_point::max();
            bool started = false;
            while(true) {
                auto timeout = started ? opts_.command_timeout : opts_.connect_timeout;
                bool const in_message = driver.state().in_message();
                if(in_message) {
                    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(message_deadline -
                                                                                            clock::now());
                    timeout = std::max(std::chrono::milliseconds(0), std::min(opts_.content_timeout, left));
                }
                timer.expires_after(timeout);
                auto r = co_await (sock.async_read_some(boost::asio::buffer(buf), as_tuple(use_awaitable)) ||
                                   timer.async_wait(as_tuple(use_awaitable)));
                if(r.index() == 1) {
                    why = "timeout waiting for the MTA";
                    break;
                }
                auto const [rec, n] = std::get<0>(r);
                if(rec)
                    break; // the MTA closed the connection
                tune(sock);
                auto const ec = co_await driver.on_bytes(std::string_view(buf.data(), n), out);
                if(!out.empty()) {
                    timer.expires_after(opts_.command_timeout);
                    auto w = co_await (
                        boost::asio::async_write(sock, boost::asio::buffer(out), as_tuple(use_awaitable)) ||
                        timer.async_wait(as_tuple(use_awaitable)));
                    if(w.index() == 1 || std::get<0>(std::get<0>(w))) {
                        why = "cannot write to the MTA";
                        break;
                    }
                    out.clear();
                }
                if(ec) {
                    why = "milter protocol error: " + ec.message();
                    break;
                }
                if(driver.quit())
                    break;
                started = true;
                if(!in_message && driver.state().in_message())
                    message_deadline = clock::now() + opts_.content_timeout;
            }
            co_await driver.finish();
        } catch(std::exception const& e) {
            why = std::string("connection ended by an internal error: ") + e.what();
        }
        if(!why.empty() && opts_.log)
            opts_.log(why);
        {
            std::lock_guard lock(shared->mutex);
            shared->closers.erase(self);
        }
        boost::system::error_code ignored;
        sock.shutdown(Socket::shutdown_both, ignored);
        sock.close(ignored);
        --shared->active;
    }

    boost::asio::any_io_executor ex_;
    Resolver* resolver_;
    pipeline_server_options opts_;
    std::shared_ptr<shared_state> shared_;
    std::shared_ptr<generation_type const> generation_;
    std::list<boost::asio::ip::tcp::acceptor> tcp_;
    std::list<boost::asio::local::stream_protocol::acceptor> unix_;
};

} // namespace authmilter::milter

#endif
