// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_DETAIL_ANSWER_SLOT_HPP
#define AUTHMILTER_DNS_DETAIL_ANSWER_SLOT_HPP

#include <authmilter/dns/answer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace authmilter::dns::detail {

/// One answer delivered once to any number of waiters, each resumed on its own executor.
///
/// The first complete() wins; later ones are ignored, which is how a deadline timer and the
/// query it guards race without knowing about each other. Thread-safe. Waiters keep their
/// executor's work count up so that an io_context whose only work is a wait does not return.
class answer_slot {
public:
    /// Stores `a` and resumes every waiter; false when the slot was already complete.
    bool complete(answer a)
    {
        std::vector<waiter> waiters;
        {
            std::lock_guard lock(mutex_);
            if(value_)
                return false;
            value_ = std::move(a);
            waiters.swap(waiters_);
        }
        for(auto& w : waiters)
            deliver(std::move(w.handler), w.work, *value_);
        return true;
    }

    bool done() const
    {
        std::lock_guard lock(mutex_);
        return value_.has_value();
    }

    /// Waits for the answer (completes at once, through a post, if it is already there).
    template<class CompletionToken> auto async_wait(CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(answer)>(
            [this](auto handler) {
                boost::asio::any_io_executor work =
                    boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                        boost::asio::execution::outstanding_work.tracked);
                std::unique_lock lock(mutex_);
                if(value_) {
                    answer copy = *value_;
                    lock.unlock();
                    deliver(std::move(handler), work, std::move(copy));
                    return;
                }
                waiters_.push_back(waiter{std::move(handler), std::move(work)});
            },
            token);
    }

private:
    struct waiter {
        boost::asio::any_completion_handler<void(answer)> handler;
        boost::asio::any_io_executor work; ///< holds the waiter's context open
    };

    template<class Handler> static void deliver(Handler&& h, boost::asio::any_io_executor const& ex, answer a)
    {
        // Never resume a waiter inline: the completer may hold locks or run on another thread.
        boost::asio::post(
            ex, [h = std::forward<Handler>(h), a = std::move(a)]() mutable { std::move(h)(std::move(a)); });
    }

    mutable std::mutex mutex_;
    std::optional<answer> value_;
    std::vector<waiter> waiters_;
};

} // namespace authmilter::dns::detail

#endif
