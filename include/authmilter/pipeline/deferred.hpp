// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_DEFERRED_HPP
#define AUTHMILTER_PIPELINE_DEFERRED_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace authmilter::pipeline {

/** A result computed in the background: started at one stage, awaited at a later one.

    DESIGN §3: "DNS starts as early as it can be known and is awaited as late as possible". A
    handler starts the work with start() in an early coroutine stage (SPF at MAIL FROM) and
    co_awaits get() in a later one (SPF at end of headers); the MTA's commands in between are not
    held up. The work runs on the given executor (the connection's strand, so no locking is
    needed); when the message is aborted before get(), the work still finishes into its own
    shared slot and is dropped.

    The work must not refer to the handler state or the transaction (they may be reset by then):
    capture by value what it needs; a long-lived resolver may be referred to.
*/
template<class T> class deferred {
public:
    deferred() = default;

    /// Starts `work` on `ex`. A running work is forgotten (its result dropped).
    void start(boost::asio::any_io_executor ex, boost::asio::awaitable<T> work)
    {
        slot_ = std::make_shared<slot>(ex);
        boost::asio::co_spawn(ex, std::move(work), [s = slot_](std::exception_ptr e, T value) {
            s->error = e;
            s->value = std::move(value);
            s->done = true;
            s->wake.cancel();
        });
    }

    bool started() const noexcept { return slot_ != nullptr; }

    /// Waits for the work and returns its result (rethrows its exception).
    /// Precondition: started().
    boost::asio::awaitable<T> get()
    {
        auto s = slot_;
        while(!s->done) {
            boost::system::error_code ec;
            co_await s->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
        if(s->error)
            std::rethrow_exception(s->error);
        co_return *s->value;
    }

    /// Forgets the work (e.g. at abort).
    void reset() noexcept { slot_.reset(); }

private:
    struct slot {
        explicit slot(boost::asio::any_io_executor const& ex)
            : wake(ex, boost::asio::steady_timer::time_point::max())
        {}
        boost::asio::steady_timer wake;
        std::optional<T> value;
        std::exception_ptr error;
        bool done = false;
    };
    std::shared_ptr<slot> slot_;
};

} // namespace authmilter::pipeline

#endif
