// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_SERVER_HPP
#define AUTHMILTER_MILTER_SERVER_HPP

// The milter front-end on Boost.Asio: listeners on TCP (IPv4, IPv6) and unix sockets, one
// coroutine per MTA connection on its own strand, timeouts, graceful stop. Everything about the
// protocol is in session.hpp; this file only moves bytes.

#include <authmilter/milter/listen_address.hpp>
#include <authmilter/milter/session.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace authmilter::milter {

/// Options of `server`, named after the Perl milter's configuration keys.
struct server_options {
    session_options session;
    /// Longest wait for the MTA's first commands (negotiation and connect).
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    /// Longest wait for the next command outside a message, and between commands inside one.
    std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
    /// Longest time from MAIL to the end of message.
    std::chrono::milliseconds content_timeout{std::chrono::seconds(300)};
    /// `listen_backlog`.
    int listen_backlog = 20;
    /// `umask` for unix sockets: the socket file gets mode 0666 & ~umask. -1 keeps the mode the
    /// process umask gave it.
    int unix_umask = -1;
    /// Read buffer of a connection between bursts: what an idle connection costs. A read that
    /// fills it is followed at once by a non-blocking read into a `read_buffer_size` buffer, so
    /// one wake-up still takes everything the MTA has sent.
    std::size_t initial_read_buffer_size = 1024;
    /// Largest read buffer (a whole burst of reply-less headers, or a full 65535-byte body chunk
    /// with its head). Kept while a message is open, released when it ends.
    std::size_t read_buffer_size = 65536 + 64;
    /// While an asynchronous driver is still working on commands, send a progress frame this
    /// often so that the MTA's command timeout does not fire (protocol 6 only). 0 = never.
    std::chrono::milliseconds progress_interval{std::chrono::seconds(10)};
};

/// Sets the options every MTA connection needs: TCP_NODELAY (the MTA writes a macro packet
/// and its command separately and waits for our small reply; with Nagle and the MTA's delayed
/// ACKs each stage would stall ~40 ms) and TCP_QUICKACK (Linux forgets it after a while, so
/// the server sets it again after every read). No-op for unix sockets.
template<class Socket>
void
tune_socket(Socket& sock) noexcept
{
    if constexpr(std::is_same_v<typename Socket::protocol_type, boost::asio::ip::tcp>) {
        boost::system::error_code ignored;
        sock.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
#ifdef TCP_QUICKACK
        int one = 1;
        ::setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#endif
    }
}

/// Re-arms TCP_QUICKACK after a read (Linux clears it as the connection goes on); TCP_NODELAY
/// stays set from tune_socket(), so one syscall per read instead of two.
template<class Socket>
void
rearm_quickack(Socket& sock) noexcept
{
    if constexpr(std::is_same_v<typename Socket::protocol_type, boost::asio::ip::tcp>) {
#ifdef TCP_QUICKACK
        int one = 1;
        ::setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#endif
    }
}

namespace detail {

/// The read buffer of one connection: small while the connection is idle, grown for a burst,
/// given back when the burst is over. Not zero-filled (a read overwrites what it returns).
class read_buffer {
public:
    explicit read_buffer(std::size_t small)
        : small_(std::max<std::size_t>(small, 16))
    {}

    char* data() noexcept { return data_.get(); }
    std::size_t capacity() const noexcept { return capacity_; }
    bool grown() const noexcept { return capacity_ > small_; }

    /// Makes room for `size` bytes, keeping the first `keep` bytes.
    void grow(std::size_t size, std::size_t keep)
    {
        if(size <= capacity_)
            return;
        auto bigger = std::make_unique_for_overwrite<char[]>(size);
        if(keep > 0)
            std::memcpy(bigger.get(), data_.get(), keep);
        data_ = std::move(bigger);
        capacity_ = size;
    }

    /// Back to the small size (allocated on first use).
    void shrink()
    {
        if(capacity_ != small_) {
            data_ = std::make_unique_for_overwrite<char[]>(small_);
            capacity_ = small_;
        }
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    std::size_t small_;
};

} // namespace detail

/// A connection driver: what an asynchronous front-end (such as the pipeline driver) offers
/// instead of a plain handler. `on_bytes` consumes MTA bytes and appends replies, `finish` runs
/// when the connection ends, `state()` exposes the protocol state (for timeouts).
template<class D>
concept connection_driver = requires(D& d, std::string_view bytes, std::string& out)
{
    {
        d.on_bytes(bytes, out)
        } -> std::same_as<boost::asio::awaitable<boost::system::error_code>>;
    {
        d.finish()
        } -> std::same_as<boost::asio::awaitable<void>>;
    {
        d.state()
        } -> std::convertible_to<session_state const&>;
};

/// `session<Handler>` with the driver interface the server loop uses.
template<class Handler> class sync_driver {
public:
    sync_driver(Handler& h, session_options opts)
        : session_(h, opts)
    {}
    boost::system::error_code feed(std::string_view bytes, std::string& out)
    {
        return session_.feed(bytes, out);
    }
    boost::system::error_code finish() { return session_.finish(); }
    session_state const& state() const noexcept { return session_.state(); }

private:
    session<Handler> session_;
};

/// A milter server. `MakeHandler` is called once per MTA connection and returns, by value,
/// either a handler (driven synchronously by a `session`) or a `connection_driver` (awaited,
/// with `p` progress frames sent every `progress_interval` while it works).
///
/// Run the executor's `io_context` on as many threads as wanted: each connection lives on its
/// own strand, so a handler is never entered by two threads at once.
///
/// @par Object lifetimes
/// The coroutines refer to the server: destroy it only after `stop()` and after the
/// `io_context` has finished running (or been stopped).
template<class MakeHandler> class server {
public:
    using handler_type = std::decay_t<std::invoke_result_t<MakeHandler&>>;

    server(boost::asio::any_io_executor ex, MakeHandler make, server_options opts = {})
        : ex_(std::move(ex))
        , make_(std::move(make))
        , opts_(opts)
        , state_(std::make_shared<shared>())
    {}

    server(server const&) = delete;
    server& operator=(server const&) = delete;

    ~server()
    {
        boost::system::error_code ignored;
        for(auto& a : tcp_)
            a.close(ignored);
        for(auto& a : local_)
            a.close(ignored);
    }

    /// Binds, listens and starts accepting on `where`. A unix socket path left by an earlier
    /// run is removed first.
    boost::system::error_code listen(listen_address const& where)
    {
        boost::system::error_code ec;
        if(where.what == listen_address::kind::local) {
            ::unlink(where.path.c_str());
            auto& acc = local_.emplace_back(ex_);
            boost::asio::local::stream_protocol::endpoint ep(where.path);
            acc.open(ep.protocol(), ec);
            if(!ec)
                acc.bind(ep, ec);
            if(!ec && opts_.unix_umask >= 0 &&
               ::chmod(where.path.c_str(), static_cast<mode_t>(0666 & ~opts_.unix_umask)) != 0)
                ec = boost::system::error_code(errno, boost::system::system_category());
            if(!ec)
                acc.listen(opts_.listen_backlog, ec);
            if(ec) {
                local_.pop_back();
                return ec;
            }
            boost::asio::co_spawn(ex_, accept_loop(acc), [](std::exception_ptr) {});
            return {};
        }
        namespace ip = boost::asio::ip;
        bool const v6 = where.what == listen_address::kind::inet6;
        ip::tcp::endpoint ep(v6 ? ip::tcp::v6() : ip::tcp::v4(), where.port);
        if(!where.host.empty()) {
            ip::tcp::resolver resolver(ex_);
            auto const results =
                resolver.resolve(v6 ? ip::tcp::v6() : ip::tcp::v4(), where.host, std::to_string(where.port),
                                 ip::resolver_base::numeric_service, ec);
            if(ec)
                return ec;
            if(results.empty())
                return boost::asio::error::host_not_found;
            ep = results.begin()->endpoint();
        }
        auto& acc = tcp_.emplace_back(ex_);
        acc.open(ep.protocol(), ec);
        if(!ec)
            acc.set_option(ip::tcp::acceptor::reuse_address(true), ec);
        if(!ec && v6)
            acc.set_option(ip::v6_only(true), ec);
        if(!ec)
            acc.bind(ep, ec);
        if(!ec)
            acc.listen(opts_.listen_backlog, ec);
        if(ec) {
            tcp_.pop_back();
            return ec;
        }
        boost::asio::co_spawn(ex_, accept_loop(acc), [](std::exception_ptr) {});
        return {};
    }

    /// The bound TCP endpoints (to learn an ephemeral port).
    std::vector<boost::asio::ip::tcp::endpoint> tcp_endpoints() const
    {
        std::vector<boost::asio::ip::tcp::endpoint> v;
        for(auto const& a : tcp_) {
            boost::system::error_code ec;
            auto ep = a.local_endpoint(ec);
            if(!ec)
                v.push_back(ep);
        }
        return v;
    }

    /// Stops accepting at once; connections still open after `grace` are closed (the MTA then
    /// applies its default action to their messages). Call from any thread.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0))
    {
        for(auto& a : tcp_)
            boost::asio::post(a.get_executor(), [&a] {
                boost::system::error_code ignored;
                a.close(ignored);
            });
        for(auto& a : local_)
            boost::asio::post(a.get_executor(), [&a] {
                boost::system::error_code ignored;
                a.close(ignored);
            });
        auto timer = std::make_shared<boost::asio::steady_timer>(ex_, grace);
        timer->async_wait([timer, st = state_](boost::system::error_code) { st->close_all(); });
    }

    /// Connections being served right now.
    std::size_t active_connections() const noexcept { return state_->active.load(); }

private:
    // Connection registry shared with the coroutines, so that `stop()` can close them.
    struct shared {
        std::mutex mutex;
        std::list<std::function<void()>> closers;
        std::atomic<std::size_t> active{0};

        void close_all()
        {
            std::lock_guard lock(mutex);
            for(auto& c : closers)
                c();
        }
    };

    template<class Acceptor> boost::asio::awaitable<void> accept_loop(Acceptor& acc)
    {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        while(acc.is_open()) {
            // Over the concrete io_context executor when there is one: a strand<any_io_executor>
            // does not fit any_io_executor's small buffer and Asio 1.81 allocates on every
            // blocking query and prefer() of it (about 500 allocations per message).
            boost::asio::any_io_executor strand;
            if(auto const* io = ex_.target<boost::asio::io_context::executor_type>())
                strand = boost::asio::make_strand(*io);
            else
                strand = boost::asio::make_strand(ex_);
            auto [ec, sock] = co_await acc.async_accept(strand, as_tuple(use_awaitable));
            if(ec) {
                if(ec == boost::asio::error::operation_aborted || !acc.is_open())
                    co_return;
                // Out of descriptors or a client that vanished: wait a little, keep serving.
                boost::asio::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            boost::asio::co_spawn(strand, serve(std::move(sock)), [](std::exception_ptr) {});
        }
    }

    template<class Socket> boost::asio::awaitable<void> serve(Socket sock)
    {
        auto st = state_;
        ++st->active;
        typename std::list<std::function<void()>>::iterator self;
        {
            std::lock_guard lock(st->mutex);
            self = st->closers.insert(st->closers.end(), [&sock] {
                boost::asio::post(sock.get_executor(), [&sock] {
                    boost::system::error_code ignored;
                    sock.close(ignored);
                });
            });
        }
        try {
            tune_socket(sock);
            if constexpr(connection_driver<handler_type>) {
                auto driver = make_();
                co_await run_connection(sock, driver);
            } else {
                auto handler = make_();
                sync_driver<handler_type> driver(handler, opts_.session);
                co_await run_connection(sock, driver);
            }
        } catch(...) {
            // A handler threw: this connection is lost (the MTA applies its default action),
            // the server goes on.
        }
        {
            std::lock_guard lock(st->mutex);
            st->closers.erase(self);
        }
        boost::system::error_code ignored;
        sock.shutdown(Socket::shutdown_both, ignored);
        sock.close(ignored);
        --st->active;
    }

    // Runs beside an asynchronous driver until the driver is done (which cancels it): sends `p`
    // every `progress_interval` (protocol 6 negotiated before this read, so that a `p` never
    // precedes the `O` reply), and when the driver is still busy after the
    // stage's timeout (counted from `start`) closes the socket and sets `expired`, so that the
    // MTA applies its default action at once (the Perl milter's stage alarm). The stage and
    // the protocol version are read from `state` at each wake-up: one read may hold several
    // commands. Writes are shielded from cancellation so that a frame is never cut in half.
    // Never completes on its own.
    template<class Socket>
    boost::asio::awaitable<void> watch(Socket& sock, session_state const& state,
                                       std::chrono::steady_clock::time_point start, bool progress_ok,
                                       bool& expired)
    {
        using clock = std::chrono::steady_clock;
        try {
            boost::asio::steady_timer tick(sock.get_executor());
            std::string frame;
            write_progress(frame);
            bool write_ok = progress_ok;
            while(true) {
                auto const deadline = start + stage_limit(state);
                bool const progress = write_ok && opts_.progress_interval.count() > 0;
                tick.expires_at(progress ? std::min(deadline, clock::now() + opts_.progress_interval)
                                         : deadline);
                auto [ec] = co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                if(ec)
                    co_return; // cancelled: the driver is done
                if(clock::now() >= start + stage_limit(state)) {
                    expired = true;
                    boost::system::error_code ignored;
                    sock.shutdown(Socket::shutdown_both, ignored);
                    sock.close(ignored);
                    tick.expires_at(clock::time_point::max());
                    co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                    co_return;
                }
                if(!progress)
                    continue;
                auto [wec, n] = co_await boost::asio::async_write(
                    sock, boost::asio::buffer(frame),
                    boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                                        boost::asio::as_tuple(boost::asio::use_awaitable)));
                (void)n;
                write_ok = !wec;
            }
        } catch(...) {
        }
    }

    // The longest the stage being worked on may take, as the Perl milter's stage alarms:
    // connect_timeout for connect (and negotiation), content_timeout for header, end of
    // header, body and end of message, command_timeout for the other commands.
    std::chrono::milliseconds stage_limit(session_state const& state) const noexcept
    {
        auto const s = state.current_stage();
        if(!s || *s == stage::connect)
            return opts_.connect_timeout;
        switch(*s) {
        case stage::header:
        case stage::eoh:
        case stage::body:
        case stage::eom: return opts_.content_timeout;
        default: return opts_.command_timeout;
        }
    }

    template<class Socket, class Driver>
    boost::asio::awaitable<void> run_connection(Socket& sock, Driver& driver)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        using clock = std::chrono::steady_clock;

        detail::read_buffer buf(opts_.initial_read_buffer_size);
        buf.shrink();
        std::size_t const max_read = std::max(opts_.read_buffer_size, buf.capacity());
        // The drain after a full small read must not block the thread.
        boost::system::error_code nb_ec;
        sock.non_blocking(true, nb_ec);
        std::string out;
        boost::asio::steady_timer timer(sock.get_executor());
        auto message_deadline = clock::time_point::max();
        std::size_t messages = 0;
        while(true) {
            auto const& state = static_cast<session_state const&>(driver.state());
            auto timeout = state.connected() ? opts_.command_timeout : opts_.connect_timeout;
            if(state.in_message()) {
                auto const left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(message_deadline - clock::now());
                timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, left));
            }
            timer.expires_after(timeout);
            auto r = co_await (sock.async_read_some(boost::asio::buffer(buf.data(), buf.capacity()),
                                                    as_tuple(use_awaitable)) ||
                               timer.async_wait(as_tuple(use_awaitable)));
            if(r.index() == 1)
                break; // timed out
            auto [ec, n] = std::get<0>(r);
            if(ec)
                break;
            if(n == buf.capacity() && n < max_read && !nb_ec) {
                // A burst (headers, a body chunk): take the rest of it in the same wake-up.
                buf.grow(max_read, n);
                boost::system::error_code more_ec;
                n += sock.read_some(boost::asio::buffer(buf.data() + n, buf.capacity() - n), more_ec);
                // would_block: all was read; an error or EOF shows again on the next read.
            }
            rearm_quickack(sock);
            bool const was_in_message = state.in_message();
            boost::system::error_code fec;
            std::string_view const bytes(buf.data(), n);
            if constexpr(connection_driver<Driver>) {
                // An asynchronous pipeline may take a while (DNS): keep the MTA from timing out,
                // and give up on a stage that overruns its timeout.
                bool expired = false;
                auto const started = clock::now();
                bool const progress_ok = state.negotiation().version >= 6;
                auto both = co_await (driver.on_bytes(bytes, out) ||
                                      watch(sock, state, started, progress_ok, expired));
                if(expired || both.index() != 0)
                    break;
                fec = std::get<0>(both);
            } else {
                fec = driver.feed(bytes, out);
            }
            if(!out.empty()) {
                timer.expires_after(opts_.command_timeout);
                auto w = co_await (
                    boost::asio::async_write(sock, boost::asio::buffer(out), as_tuple(use_awaitable)) ||
                    timer.async_wait(as_tuple(use_awaitable)));
                if(w.index() == 1 || std::get<0>(std::get<0>(w)))
                    break;
                out.clear();
            }
            if(fec || state.closed())
                break;
            if(!state.in_message()) {
                // The burst is over: an idle connection keeps only the small buffer.
                if(buf.grown())
                    buf.shrink();
                if(out.capacity() > opts_.initial_read_buffer_size)
                    std::string().swap(out);
            }
            if(state.in_message() && (!was_in_message || state.stats().messages != messages))
                message_deadline = clock::now() + opts_.content_timeout;
            messages = state.stats().messages;
        }
        if constexpr(connection_driver<Driver>)
            co_await driver.finish();
        else
            (void)driver.finish();
    }

    boost::asio::any_io_executor ex_;
    MakeHandler make_;
    server_options opts_;
    std::shared_ptr<shared> state_;
    std::list<boost::asio::ip::tcp::acceptor> tcp_;
    std::list<boost::asio::local::stream_protocol::acceptor> local_;
};

} // namespace authmilter::milter

#endif
