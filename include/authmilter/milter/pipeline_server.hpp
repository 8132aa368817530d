// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_PIPELINE_SERVER_HPP
#define AUTHMILTER_MILTER_PIPELINE_SERVER_HPP

// The milter server for a handler pipeline: milter::server (listeners, strands, timeouts,
// progress frames, graceful stop) running one pipeline_driver per MTA connection, with
// configuration generations so that a reload never disturbs a connection in flight.

#include <authmilter/config/listen_address.hpp>
#include <authmilter/milter/listen_address.hpp>
#include <authmilter/milter/pipeline_driver.hpp>
#include <authmilter/milter/server.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace authmilter::milter {

/// One configuration of the server: the configured pipeline, the sinks and the driver settings.
/// A reload builds a new one; connections in flight keep the one they started with.
template<class Pipeline, class Sinks> struct generation {
    Pipeline pipeline;
    Sinks sinks;
    driver_options driver;
};

/// The configuration syntax's address as the server's (an IPv6 host means an inet6 listener).
inline listen_address
to_server_address(config::listen_address const& a)
{
    listen_address out;
    if(a.type == config::listen_address::kind::unix_socket) {
        out.what = listen_address::kind::local;
        out.path = a.path;
        return out;
    }
    out.what =
        a.host.find(':') != std::string::npos ? listen_address::kind::inet6 : listen_address::kind::inet;
    out.host = a.host;
    out.port = a.port;
    return out;
}

/** A milter server running a pipeline.

    Run the executor's io_context on any number of threads; each connection lives on its own
    strand. The generation (pipeline, sinks) is shared by all connections and only read; the
    resolver must be safe for concurrent use (caching_resolver is). reload() swaps the
    generation for new connections.
*/
template<class Pipeline, class Resolver, class Sinks> class pipeline_server {
public:
    using generation_type = generation<Pipeline, Sinks>;
    using driver_type = pipeline_driver<Pipeline, Resolver, Sinks>;

    /// One connection: its generation kept alive as long as its driver.
    class connection {
    public:
        connection(std::shared_ptr<generation_type const> gen, Resolver& r)
            : gen_(std::move(gen))
            , driver_(gen_->pipeline, r, gen_->sinks, gen_->driver)
        {}
        boost::asio::awaitable<boost::system::error_code> on_bytes(std::string_view bytes, std::string& out)
        {
            return driver_.on_bytes(bytes, out);
        }
        boost::asio::awaitable<void> finish() { return driver_.finish(); }
        session_state const& state() const noexcept { return driver_.state(); }

    private:
        std::shared_ptr<generation_type const> gen_;
        driver_type driver_;
    };
    static_assert(connection_driver<connection>);

    pipeline_server(boost::asio::any_io_executor ex, std::shared_ptr<generation_type const> gen, Resolver& r,
                    server_options opts = {})
        : holder_(std::make_shared<holder>(std::move(gen), r))
        , server_(std::move(ex), factory{holder_}, opts)
    {}

    /// New connections use `gen` from now on; connections in flight finish with their own.
    void reload(std::shared_ptr<generation_type const> gen)
    {
        std::lock_guard lock(holder_->mutex);
        holder_->current = std::move(gen);
    }

    std::shared_ptr<generation_type const> current() const { return holder_->get(); }

    boost::system::error_code listen(config::listen_address const& where)
    {
        return server_.listen(to_server_address(where));
    }
    std::vector<boost::asio::ip::tcp::endpoint> tcp_endpoints() const { return server_.tcp_endpoints(); }
    /// Stops accepting; connections still open after `grace` are closed.
    void stop(std::chrono::milliseconds grace) { server_.stop(grace); }
    std::size_t active_connections() const noexcept { return server_.active_connections(); }

private:
    struct holder {
        holder(std::shared_ptr<generation_type const> g, Resolver& r)
            : current(std::move(g))
            , resolver(&r)
        {}
        std::shared_ptr<generation_type const> get() const
        {
            std::lock_guard lock(mutex);
            return current;
        }
        mutable std::mutex mutex;
        std::shared_ptr<generation_type const> current;
        Resolver* resolver;
    };
    struct factory {
        std::shared_ptr<holder> h;
        connection operator()() const { return connection(h->get(), *h->resolver); }
    };

    std::shared_ptr<holder> holder_;
    server<factory> server_;
};

} // namespace authmilter::milter

#endif
