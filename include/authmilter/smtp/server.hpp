// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_SERVER_HPP
#define AUTHMILTER_SMTP_SERVER_HPP

// The SMTP after-queue filter on Boost.Asio: listeners on TCP and unix sockets, one coroutine per
// upstream connection, `timeout_in` / `timeout_out`, graceful stop. The protocol is in
// session.hpp; the next hop is reached with relay_client.hpp; this file only moves bytes.

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/config/listen_address.hpp>
#include <authmilter/smtp/relay_client.hpp>
#include <authmilter/smtp/session.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace authmilter::smtp {

/// Options of `server`, from the daemon configuration.
struct server_options {
    config::smtp_config smtp;                 ///< next hop, per-listener overrides, limits
    std::vector<config::ip_map_entry> ip_map; ///< `ip_map`
    std::uint64_t max_message_size = 0;       ///< 0 = no limit (SIZE is advertised without one)
    std::size_t max_command_line = 2048;
    int listen_backlog = 20;
    int unix_umask = -1; ///< unix sockets get mode 0666 & ~umask; -1 = leave as created
    std::function<void(std::string_view)> log;
    /// `content_timeout` (see session_options); 0 = none.
    std::chrono::steady_clock::duration content_timeout{0};
};

/// The `smtp` block that applies to connections on `where`: the `inet:PORT` or `unix:PATH`
/// override when there is one, the default block otherwise (as the Perl tool: only the port
/// counts, not the host).
inline config::smtp_relay_config const&
relay_for(config::smtp_config const& cfg, config::listen_address const& where)
{
    auto const key = where.type == config::listen_address::kind::unix_socket
                         ? "unix:" + where.path
                         : "inet:" + std::to_string(where.port);
    auto const it = cfg.per_listener.find(key);
    return it != cfg.per_listener.end() ? it->second : cfg.relay;
}

/** The after-queue filter server.

    @tparam Pipeline a pipeline::pipeline<...>
    @tparam Resolver the resolver handlers query; shared by all connections
    @tparam Sinks    end-of-message sinks, e.g. sinks::sink_set<sinks::authres_sink>

    Connections run on the executor given (no strand): run its io_context on one thread, or give
    a resolver and sinks that are safe to share between threads.

    @par Configuration generations
    The pipeline, the sinks and the options form one generation. reload() makes a new one
    current for the connections accepted from then on; a connection keeps the generation it was
    accepted with (its shared_ptr) to its end, so messages in flight finish on the old
    configuration and the old one is freed with its last connection. The listeners themselves
    (addresses, backlog, unix socket mode) are those of listen().

    @par Object lifetimes
    The resolver (and, with the reference constructor, the pipeline and sinks) must outlive the
    server; destroy the server only after `stop()` and after the io_context has finished running.
*/
template<class Pipeline, class Resolver, class Sinks> class server {
public:
    /// One configuration: what a connection is served with from accept to close.
    struct generation {
        std::shared_ptr<Pipeline const> pipeline;
        std::shared_ptr<Sinks const> sinks;
        server_options options;
        std::uint64_t number = 0; ///< 1 for the first, +1 per reload()
    };

    /// Serves with a pipeline and sinks owned elsewhere (they must outlive the server).
    server(boost::asio::any_io_executor ex, Pipeline const& p, Resolver& r, Sinks const& s,
           server_options opts)
        : server(std::move(ex), std::shared_ptr<Pipeline const>(std::shared_ptr<void>(), &p), r,
                 std::shared_ptr<Sinks const>(std::shared_ptr<void>(), &s), std::move(opts))
    {}

    /// Serves with a shared generation (aliasing shared_ptrs into one object are fine).
    server(boost::asio::any_io_executor ex, std::shared_ptr<Pipeline const> p, Resolver& r,
           std::shared_ptr<Sinks const> s, server_options opts)
        : ex_(std::move(ex))
        , resolver_(r)
        , listen_opts_(opts)
        , state_(std::make_shared<shared>())
    {
        auto g = std::make_shared<generation>();
        g->pipeline = std::move(p);
        g->sinks = std::move(s);
        g->options = std::move(opts);
        g->number = 1;
        current_ = std::move(g);
    }

    server(server const&) = delete;
    server& operator=(server const&) = delete;

    ~server()
    {
        boost::system::error_code ignored;
        for(auto& l : tcp_)
            l.acceptor.close(ignored);
        for(auto& l : local_)
            l.acceptor.close(ignored);
    }

    /** Connections accepted from now on are served with `p`, `s` and `opts` (the next hop, the
        timeouts, ip_map, limits); those in flight finish with their own generation. Call from
        any thread. `listen_backlog` and `unix_umask` of `opts` apply to later listen() calls.
    */
    void reload(std::shared_ptr<Pipeline const> p, std::shared_ptr<Sinks const> s, server_options opts)
    {
        auto g = std::make_shared<generation>();
        g->pipeline = std::move(p);
        g->sinks = std::move(s);
        g->options = std::move(opts);
        std::lock_guard lock(mutex_);
        g->number = current_->number + 1;
        listen_opts_ = g->options;
        current_ = std::move(g);
    }

    /// The generation new connections get.
    std::shared_ptr<generation const> current() const
    {
        std::lock_guard lock(mutex_);
        return current_;
    }

    /// Binds, listens and starts accepting on `where` (`inet:PORT@HOST` or `unix:PATH`). A unix
    /// socket path left by an earlier run is removed first.
    boost::system::error_code listen(config::listen_address const& where)
    {
        boost::system::error_code ec;
        server_options const lo = listen_options();
        if(where.type == config::listen_address::kind::unix_socket) {
            ::unlink(where.path.c_str());
            auto& l = local_.emplace_back(ex_, where);
            boost::asio::local::stream_protocol::endpoint ep(where.path);
            l.acceptor.open(ep.protocol(), ec);
            if(!ec)
                l.acceptor.bind(ep, ec);
            if(!ec && lo.unix_umask >= 0 &&
               ::chmod(where.path.c_str(), static_cast<mode_t>(0666 & ~lo.unix_umask)) != 0)
                ec = boost::system::error_code(errno, boost::system::system_category());
            if(!ec)
                l.acceptor.listen(lo.listen_backlog, ec);
            if(ec) {
                local_.pop_back();
                return ec;
            }
            boost::asio::co_spawn(ex_, accept_loop(l), [](std::exception_ptr) {});
            return {};
        }
        namespace ip = boost::asio::ip;
        ip::tcp::endpoint ep(ip::tcp::v4(), where.port);
        if(!where.host.empty()) {
            ip::tcp::resolver resolver(ex_);
            auto const results = resolver.resolve(where.host, std::to_string(where.port),
                                                  ip::resolver_base::numeric_service, ec);
            if(ec)
                return ec;
            if(results.empty())
                return boost::asio::error::host_not_found;
            ep = results.begin()->endpoint();
        }
        auto& l = tcp_.emplace_back(ex_, where);
        l.acceptor.open(ep.protocol(), ec);
        if(!ec)
            l.acceptor.set_option(ip::tcp::acceptor::reuse_address(true), ec);
        if(!ec)
            l.acceptor.bind(ep, ec);
        if(!ec)
            l.acceptor.listen(lo.listen_backlog, ec);
        if(ec) {
            tcp_.pop_back();
            return ec;
        }
        // An ephemeral port: the overrides are keyed by the port actually bound.
        l.where.port = l.acceptor.local_endpoint(ec).port();
        ec = {};
        boost::asio::co_spawn(ex_, accept_loop(l), [](std::exception_ptr) {});
        return {};
    }

    /// The bound TCP endpoints (to learn an ephemeral port).
    std::vector<boost::asio::ip::tcp::endpoint> tcp_endpoints() const
    {
        std::vector<boost::asio::ip::tcp::endpoint> v;
        for(auto const& l : tcp_) {
            boost::system::error_code ec;
            auto ep = l.acceptor.local_endpoint(ec);
            if(!ec)
                v.push_back(ep);
        }
        return v;
    }

    /// Stops accepting at once; connections still open after `grace` are closed. A message
    /// whose end of data was not yet answered is then not acknowledged, so the upstream MTA
    /// keeps it queued. Call from any thread.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0))
    {
        for(auto& l : tcp_)
            boost::asio::post(ex_, [&l] {
                boost::system::error_code ignored;
                l.acceptor.close(ignored);
            });
        for(auto& l : local_)
            boost::asio::post(ex_, [&l] {
                boost::system::error_code ignored;
                l.acceptor.close(ignored);
            });
        auto timer = std::make_shared<boost::asio::steady_timer>(ex_, grace);
        timer->async_wait([timer, st = state_](boost::system::error_code) { st->close_all(); });
    }

    /// Connections being served right now.
    std::size_t active_connections() const noexcept { return state_->active; }

private:
    struct shared {
        std::list<std::function<void()>> closers;
        std::size_t active = 0;
        void close_all()
        {
            for(auto& c : closers)
                c();
        }
    };

    template<class Acceptor> struct listener {
        listener(boost::asio::any_io_executor ex, config::listen_address w)
            : acceptor(ex)
            , where(std::move(w))
        {}
        Acceptor acceptor;
        config::listen_address where;
    };
    using tcp_listener = listener<boost::asio::ip::tcp::acceptor>;
    using local_listener = listener<boost::asio::local::stream_protocol::acceptor>;

    server_options listen_options() const
    {
        std::lock_guard lock(mutex_);
        return listen_opts_;
    }

    // What one connection is served with: its generation, and the settings derived from it
    // for the listener it came in on.
    struct connection_config {
        std::shared_ptr<generation const> gen;
        config::smtp_relay_config relay;
        session_options settings;
    };

    static connection_config configure(std::shared_ptr<generation const> gen,
                                       config::listen_address const& where)
    {
        connection_config c;
        auto const& o = gen->options;
        c.relay = relay_for(o.smtp, where);
        auto& so = c.settings;
        so.server_name = c.relay.server_name;
        so.before_queue = o.smtp.queue_type == "before";
        so.pipeline_limit = o.smtp.pipeline_limit;
        so.chunk_limit = static_cast<std::size_t>(std::max<std::int64_t>(o.smtp.chunk_limit, 1));
        so.temp_dir = o.smtp.temp_dir;
        so.limits.max_message_size = o.max_message_size;
        so.limits.max_command_line = o.max_command_line;
        so.ip_map = &o.ip_map;
        so.log = o.log;
        so.content_timeout = o.content_timeout;
        c.gen = std::move(gen);
        return c;
    }

    template<class L> boost::asio::awaitable<void> accept_loop(L& l)
    {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        while(l.acceptor.is_open()) {
            auto [ec, sock] = co_await l.acceptor.async_accept(as_tuple(use_awaitable));
            if(ec) {
                if(ec == boost::asio::error::operation_aborted || !l.acceptor.is_open())
                    co_return;
                boost::asio::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            boost::asio::co_spawn(ex_, serve(std::move(sock), configure(current(), l.where)),
                                  [](std::exception_ptr) {});
        }
    }

    template<class Socket> boost::asio::awaitable<void> serve(Socket sock, connection_config cc)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        using clock = std::chrono::steady_clock;
        auto st = state_;
        ++st->active;
        auto self = st->closers.insert(st->closers.end(), [&sock] {
            boost::system::error_code ignored;
            sock.close(ignored);
        });
        peer_info peer;
        if constexpr(std::is_same_v<typename Socket::protocol_type, boost::asio::ip::tcp>) {
            boost::system::error_code ec;
            auto const ep = sock.remote_endpoint(ec);
            if(!ec) {
                peer.ip = core::ip_address::parse(ep.address().to_string());
                peer.port = ep.port();
            }
            sock.set_option(boost::asio::ip::tcp::no_delay(true), ec);
        }
        auto const in = cc.relay.timeout_in.count() > 0 ? clock::duration(cc.relay.timeout_in)
                                                        : clock::duration(std::chrono::hours(24));
        auto const out_timeout = cc.relay.timeout_out.count() > 0 ? clock::duration(cc.relay.timeout_out)
                                                                  : clock::duration(std::chrono::hours(24));
        auto const& log = cc.gen->options.log;
        relay_client relay(ex_, cc.relay);
        session<Pipeline, Resolver, Sinks, relay_client> s(*cc.gen->pipeline, resolver_, *cc.gen->sinks,
                                                           relay, cc.settings, peer);
        boost::asio::steady_timer timer(ex_);
        std::array<char, 65536> buf;
        std::string out = s.greeting();
        try {
            while(true) {
                if(!out.empty()) {
                    timer.expires_after(out_timeout);
                    auto w = co_await (
                        boost::asio::async_write(sock, boost::asio::buffer(out), as_tuple(use_awaitable)) ||
                        timer.async_wait(as_tuple(use_awaitable)));
                    if(w.index() == 1 || std::get<0>(std::get<0>(w)))
                        break;
                    out.clear();
                }
                if(s.closed())
                    break;
                // timeout_in per read; within a transaction also content_timeout, so that an
                // upstream trickling its message byte by byte cannot hold the connection.
                auto wait = in;
                bool content_bound = false;
                if(auto const d = s.deadline()) {
                    auto const left = *d - clock::now();
                    if(left < wait) {
                        wait = std::max(left, clock::duration::zero());
                        content_bound = true;
                    }
                }
                timer.expires_after(wait);
                auto r = co_await (sock.async_read_some(boost::asio::buffer(buf), as_tuple(use_awaitable)) ||
                                   timer.async_wait(as_tuple(use_awaitable)));
                if(r.index() == 1) {
                    // RFC 5321 4.2: 421 before closing a connection we give up on. Nothing of
                    // an open transaction was acknowledged: the upstream keeps the message.
                    if(log)
                        log(s.queue_id() + (content_bound ? ": content_timeout waiting for the upstream"
                                                          : ": timeout_in waiting for the upstream"));
                    reply(421, "4.4.2", cc.settings.server_name + " Error: timeout exceeded").write(out);
                    timer.expires_after(out_timeout);
                    co_await (
                        boost::asio::async_write(sock, boost::asio::buffer(out), as_tuple(use_awaitable)) ||
                        timer.async_wait(as_tuple(use_awaitable)));
                    break;
                }
                auto const [ec, n] = std::get<0>(r);
                if(ec)
                    break;
                co_await s.on_input(std::string_view(buf.data(), n), out);
            }
            co_await s.on_close();
        } catch(std::exception const& e) {
            if(log)
                log(std::string("connection lost: ") + e.what());
        }
        st->closers.erase(self);
        boost::system::error_code ignored;
        sock.shutdown(Socket::shutdown_both, ignored);
        sock.close(ignored);
        --st->active;
    }

    boost::asio::any_io_executor ex_;
    Resolver& resolver_;
    mutable std::mutex mutex_;
    server_options listen_opts_;
    std::shared_ptr<generation const> current_;
    std::shared_ptr<shared> state_;
    std::list<tcp_listener> tcp_;
    std::list<local_listener> local_;
};

} // namespace authmilter::smtp

#endif
