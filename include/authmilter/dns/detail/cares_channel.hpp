// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_DETAIL_CARES_CHANNEL_HPP
#define AUTHMILTER_DNS_DETAIL_CARES_CHANNEL_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/detail/cares_message.hpp>

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace authmilter::dns::detail {

/// The outcome for a c-ares status when there is no response to read the RCODE from.
inline outcome
cares_outcome(int status) noexcept
{
    switch(status) {
    case ARES_SUCCESS: return outcome::noerror;
    case ARES_ENODATA: return outcome::nodata;
    case ARES_ENOTFOUND: return outcome::nxdomain;
    case ARES_ESERVFAIL: return outcome::servfail;
    case ARES_EREFUSED: return outcome::refused;
    // No answer from any server: a timeout, an ICMP "port unreachable", or the channel going away.
    case ARES_ETIMEOUT:
    case ARES_ECONNREFUSED:
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED: return outcome::timeout;
    default: return outcome::malformed; // FORMERR, NOTIMP, BADRESP, BADNAME...
    }
}

/// One c-ares channel driven by an Asio executor (a strand): the channel's sockets are watched
/// with stream_descriptor::async_wait and its timeouts run on a steady_timer. All channel calls
/// happen on the strand. Shared-owned so that handlers still queued after the owner is gone find
/// it alive (and marked closed).
class cares_channel : public std::enable_shared_from_this<cares_channel> {
public:
    struct server {
        core::ip_address address;
        std::uint16_t port = 53;
    };

    cares_channel(boost::asio::any_io_executor strand, std::vector<server> const& servers,
                  std::chrono::milliseconds timeout, unsigned retry)
        : ex_(std::move(strand))
        , timer_(ex_)
        , retry_(retry)
    {
        static int const library = ares_library_init(ARES_LIB_INIT_ALL);
        if(library != ARES_SUCCESS)
            throw std::runtime_error(std::string("c-ares library init: ") + ares_strerror(library));
        ares_options opts{};
        int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
        opts.timeout = static_cast<int>(timeout.count() > 0 ? timeout.count() : 1);
        // One try per server per attempt: retries are counted here, so that dns_retry bounds the
        // time exactly (c-ares would double the timeout on each of its own tries).
        opts.tries = 1;
        opts.sock_state_cb = &cares_channel::sock_state_thunk;
        opts.sock_state_cb_data = this;
        int const rc = ares_init_options(&channel_, &opts, mask);
        if(rc != ARES_SUCCESS)
            throw std::runtime_error(std::string("c-ares init: ") + ares_strerror(rc));
        if(!servers.empty()) {
            std::vector<ares_addr_port_node> nodes(servers.size());
            for(std::size_t i = 0; i < servers.size(); ++i) {
                auto& n = nodes[i];
                n.next = i + 1 < servers.size() ? &nodes[i + 1] : nullptr;
                auto const& b = servers[i].address.bytes();
                if(servers[i].address.is_v4()) {
                    n.family = AF_INET;
                    std::memcpy(&n.addr.addr4, b.data(), 4);
                } else {
                    n.family = AF_INET6;
                    std::memcpy(&n.addr.addr6, b.data(), 16);
                }
                n.udp_port = servers[i].port;
                n.tcp_port = servers[i].port;
            }
            int const s = ares_set_servers_ports(channel_, nodes.data());
            if(s != ARES_SUCCESS) {
                ares_destroy(channel_);
                throw std::runtime_error(std::string("c-ares servers: ") + ares_strerror(s));
            }
        }
    }

    cares_channel(cares_channel const&) = delete;
    cares_channel& operator=(cares_channel const&) = delete;

    ~cares_channel() { close(); }

    /// Destroys the channel: pending queries complete as timeout. Call on the strand (or when
    /// nothing runs it).
    void close()
    {
        if(closed_)
            return;
        closed_ = true;
        ares_destroy(channel_); // calls back every pending query and closes every socket
        timer_.cancel();
        for(auto& [fd, w] : watchers_)
            release(*w);
        watchers_.clear();
    }

    boost::asio::any_io_executor const& get_executor() const noexcept { return ex_; }

    /// Starts a query; `handler` is called with the answer on its own associated executor.
    template<class Handler> void start(std::string name, rr_type type, Handler&& handler)
    {
        auto work = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                        boost::asio::execution::outstanding_work.tracked);
        auto p = std::make_unique<pending>(pending{shared_from_this(), std::move(name), type, retry_,
                                                   std::forward<Handler>(handler), std::move(work)});
        boost::asio::dispatch(ex_, [p = std::move(p)]() mutable {
            auto* self = p->self.get();
            self->send(std::move(p));
        });
    }

private:
    struct pending {
        std::shared_ptr<cares_channel> self;
        std::string name;
        rr_type type;
        unsigned retries_left;
        boost::asio::any_completion_handler<void(answer)> handler;
        boost::asio::any_io_executor work;
    };

    struct watcher {
        explicit watcher(boost::asio::any_io_executor const& ex, int fd)
            : sd(ex, fd)
            , fd(fd)
        {}
        boost::asio::posix::stream_descriptor sd;
        int fd;
        bool want_read = false;
        bool want_write = false;
        bool reading = false;
        bool writing = false;
        bool closed = false;
    };

    static void finish(std::unique_ptr<pending> p, answer a)
    {
        auto work = p->work;
        boost::asio::post(
            work, [h = std::move(p->handler), a = std::move(a)]() mutable { std::move(h)(std::move(a)); });
    }

    void send(std::unique_ptr<pending> p)
    {
        if(closed_) {
            finish(std::move(p), answer{outcome::timeout, {}, 0});
            return;
        }
        auto* raw = p.release();
        ares_query(channel_, raw->name.c_str(), 1 /* class IN */, static_cast<int>(raw->type),
                   &cares_channel::on_answer, raw);
        update_timer();
    }

    static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen)
    {
        std::unique_ptr<pending> p(static_cast<pending*>(arg));
        auto* self = p->self.get();
        if(status == ARES_ETIMEOUT && p->retries_left > 0 && !self->closed_) {
            --p->retries_left;
            // Re-sent from within c-ares' callback, which c-ares allows.
            auto* raw = p.release();
            ares_query(self->channel_, raw->name.c_str(), 1, static_cast<int>(raw->type),
                       &cares_channel::on_answer, raw);
            return;
        }
        answer a;
        if((status == ARES_SUCCESS || status == ARES_ENODATA || status == ARES_ENOTFOUND) &&
           abuf != nullptr && alen > 0)
            a = parse_response(abuf, static_cast<std::size_t>(alen), p->name, p->type);
        else
            a = answer{cares_outcome(status), {}, 0};
        finish(std::move(p), std::move(a));
    }

    static void sock_state_thunk(void* data, ares_socket_t fd, int readable, int writable)
    {
        static_cast<cares_channel*>(data)->on_sock_state(fd, readable != 0, writable != 0);
    }

    static void release(watcher& w)
    {
        w.closed = true;
        boost::system::error_code ec;
        w.sd.cancel(ec);
        (void)w.sd.release(); // the socket belongs to c-ares, which closes it
    }

    void on_sock_state(int fd, bool readable, bool writable)
    {
        if(!readable && !writable) {
            if(auto it = watchers_.find(fd); it != watchers_.end()) {
                release(*it->second);
                watchers_.erase(it);
            }
            return;
        }
        auto& w = watchers_[fd];
        if(!w)
            w = std::make_shared<watcher>(ex_, fd);
        w->want_read = readable;
        w->want_write = writable;
        arm(w);
    }

    /// True when `fd` has data waiting: Asio's epoll is edge-triggered and c-ares may read a TCP
    /// answer in several calls, so leftover data must be drained without waiting for a new edge.
    static bool readable_now(int fd) noexcept
    {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    }

    void arm(std::shared_ptr<watcher> const& w)
    {
        if(w->want_read && !w->reading) {
            w->reading = true;
            w->sd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                             [self = shared_from_this(), w](boost::system::error_code ec) {
                                 w->reading = false;
                                 if(ec || w->closed || self->closed_)
                                     return;
                                 // Bounded: each round consumes data or the socket closes.
                                 for(int round = 0; round < 64 && !w->closed && w->want_read; ++round) {
                                     ares_process_fd(self->channel_, w->fd, ARES_SOCKET_BAD);
                                     if(w->closed || !readable_now(w->fd))
                                         break;
                                 }
                                 if(!w->closed)
                                     self->arm(w);
                                 self->update_timer();
                             });
        }
        if(w->want_write && !w->writing) {
            w->writing = true;
            w->sd.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                             [self = shared_from_this(), w](boost::system::error_code ec) {
                                 w->writing = false;
                                 if(ec || w->closed || self->closed_)
                                     return;
                                 if(w->want_write)
                                     ares_process_fd(self->channel_, ARES_SOCKET_BAD, w->fd);
                                 if(!w->closed)
                                     self->arm(w);
                                 self->update_timer();
                             });
        }
    }

    void update_timer()
    {
        if(closed_)
            return;
        timeval tv{};
        if(ares_timeout(channel_, nullptr, &tv) == nullptr) {
            timer_.cancel();
            return;
        }
        timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if(ec || self->closed_)
                return;
            ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // expire timed-out tries
            self->update_timer();
        });
    }

    boost::asio::any_io_executor ex_;
    boost::asio::steady_timer timer_;
    unsigned retry_;
    ares_channel channel_ = nullptr;
    bool closed_ = false;
    std::unordered_map<int, std::shared_ptr<watcher>> watchers_;
};

} // namespace authmilter::dns::detail

#endif
