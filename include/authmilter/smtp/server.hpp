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

    @par Object lifetimes
    The pipeline, resolver and sinks must outlive the server; destroy the server only after
    `stop()` and after the io_context has finished running.
*/
template<class Pipeline, class Resolver, class Sinks> class server {
public:
    server(boost::asio::any_io_executor ex, Pipeline const& p, Resolver& r, Sinks const& s,
           server_options opts)
        : ex_(std::move(ex))
        , pipeline_(p)
        , resolver_(r)
        , sinks_(s)
        , opts_(std::move(opts))
        , state_(std::make_shared<shared>())
    {}

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

    /// Binds, listens and starts accepting on `where` (`inet:PORT@HOST` or `unix:PATH`). A unix
    /// socket path left by an earlier run is removed first.
    boost::system::error_code listen(config::listen_address const& where)
    {
        boost::system::error_code ec;
        auto so = session_settings(where);
        if(where.type == config::listen_address::kind::unix_socket) {
            ::unlink(where.path.c_str());
            auto& l = local_.emplace_back(ex_, std::move(so));
            boost::asio::local::stream_protocol::endpoint ep(where.path);
            l.acceptor.open(ep.protocol(), ec);
            if(!ec)
                l.acceptor.bind(ep, ec);
            if(!ec && opts_.unix_umask >= 0 &&
               ::chmod(where.path.c_str(), static_cast<mode_t>(0666 & ~opts_.unix_umask)) != 0)
                ec = boost::system::error_code(errno, boost::system::system_category());
            if(!ec)
                l.acceptor.listen(opts_.listen_backlog, ec);
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
        auto& l = tcp_.emplace_back(ex_, std::move(so));
        l.acceptor.open(ep.protocol(), ec);
        if(!ec)
            l.acceptor.set_option(ip::tcp::acceptor::reuse_address(true), ec);
        if(!ec)
            l.acceptor.bind(ep, ec);
        if(!ec)
            l.acceptor.listen(opts_.listen_backlog, ec);
        if(ec) {
            tcp_.pop_back();
            return ec;
        }
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
        listener(boost::asio::any_io_executor ex, session_options so)
            : acceptor(ex)
            , settings(std::move(so))
        {}
        Acceptor acceptor;
        session_options settings;
        config::smtp_relay_config relay;
    };
    using tcp_listener = listener<boost::asio::ip::tcp::acceptor>;
    using local_listener = listener<boost::asio::local::stream_protocol::acceptor>;

    session_options session_settings(config::listen_address const& where) const
    {
        auto const& relay = relay_for(opts_.smtp, where);
        session_options so;
        so.server_name = relay.server_name;
        so.before_queue = opts_.smtp.queue_type == "before";
        so.pipeline_limit = opts_.smtp.pipeline_limit;
        so.chunk_limit = static_cast<std::size_t>(std::max<std::int64_t>(opts_.smtp.chunk_limit, 1));
        so.temp_dir = opts_.smtp.temp_dir;
        so.limits.max_message_size = opts_.max_message_size;
        so.limits.max_command_line = opts_.max_command_line;
        so.ip_map = &opts_.ip_map;
        so.log = opts_.log;
        return so;
    }

    template<class L> boost::asio::awaitable<void> accept_loop(L& l)
    {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        l.relay = relay_for_listener(l);
        l.settings.server_name = l.relay.server_name;
        while(l.acceptor.is_open()) {
            auto [ec, sock] = co_await l.acceptor.async_accept(as_tuple(use_awaitable));
            if(ec) {
                if(ec == boost::asio::error::operation_aborted || !l.acceptor.is_open())
                    co_return;
                boost::asio::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            boost::asio::co_spawn(ex_, serve(std::move(sock), l), [](std::exception_ptr) {});
        }
    }

    template<class L> config::smtp_relay_config relay_for_listener(L const& l) const
    {
        config::listen_address where;
        boost::system::error_code ec;
        auto const ep = l.acceptor.local_endpoint(ec);
        if constexpr(std::is_same_v<L, local_listener>) {
            where.type = config::listen_address::kind::unix_socket;
            where.path = ec ? std::string() : ep.path();
        } else
            where.port = ec ? 0 : ep.port();
        return relay_for(opts_.smtp, where);
    }

    template<class Socket, class L> boost::asio::awaitable<void> serve(Socket sock, L& l)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
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
        auto const in = l.relay.timeout_in.count() > 0
                            ? std::chrono::steady_clock::duration(l.relay.timeout_in)
                            : std::chrono::steady_clock::duration(std::chrono::hours(24));
        auto const out_timeout = l.relay.timeout_out.count() > 0
                                     ? std::chrono::steady_clock::duration(l.relay.timeout_out)
                                     : std::chrono::steady_clock::duration(std::chrono::hours(24));
        relay_client relay(ex_, l.relay);
        session<Pipeline, Resolver, Sinks, relay_client> s(pipeline_, resolver_, sinks_, relay, l.settings,
                                                           peer);
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
                timer.expires_after(in);
                auto r = co_await (sock.async_read_some(boost::asio::buffer(buf), as_tuple(use_awaitable)) ||
                                   timer.async_wait(as_tuple(use_awaitable)));
                if(r.index() == 1) {
                    // RFC 5321 4.2: 421 before closing a connection we give up on.
                    reply(421, "4.4.2", l.settings.server_name + " Error: timeout exceeded").write(out);
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
            if(opts_.log)
                opts_.log(std::string("connection lost: ") + e.what());
        }
        st->closers.erase(self);
        boost::system::error_code ignored;
        sock.shutdown(Socket::shutdown_both, ignored);
        sock.close(ignored);
        --st->active;
    }

    boost::asio::any_io_executor ex_;
    Pipeline const& pipeline_;
    Resolver& resolver_;
    Sinks const& sinks_;
    server_options opts_;
    std::shared_ptr<shared> state_;
    std::list<tcp_listener> tcp_;
    std::list<local_listener> local_;
};

} // namespace authmilter::smtp

#endif
