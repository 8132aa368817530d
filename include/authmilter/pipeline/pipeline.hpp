// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_PIPELINE_HPP
#define AUTHMILTER_PIPELINE_PIPELINE_HPP

#include <authmilter/pipeline/handler.hpp>
#include <authmilter/pipeline/stage.hpp>
#include <authmilter/pipeline/transaction.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace authmilter::pipeline {

/** A chain of handlers, dispatched statically.

    For every stage, dispatch() calls, in chain order, exactly the handlers that define that
    stage's callback; which ones is decided at compile time, so a stage no handler uses costs
    nothing (see doc/pipeline.md). Handler objects are shared by every transaction and must not
    change while messages are in flight; per-message data lives in the transaction.

    The chain is checked at compile time: every handler satisfies Handler, names are unique, and
    every handler listed in another's `after` comes earlier in the chain.

    Runtime configuration can enable, disable and configure the handlers the chain contains,
    never add one.
*/
template<Handler... Handlers> class basic_pipeline {
public:
    static constexpr std::size_t size = sizeof...(Handlers);
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
    /// dispatch() is unrolled for this many chain positions.
    static constexpr std::size_t max_size = 32;

    /// The handler types, as a Boost.Hana tuple of types.
    static constexpr auto handler_types = boost::hana::tuple_t<Handlers...>;

    using message_states = std::tuple<typename detail::state_of<Handlers>::type...>;
    using connection_states = std::tuple<typename detail::connection_state_of<Handlers>::type...>;

    /// The position of H in the chain, or npos.
    template<class H> static constexpr std::size_t index_of() noexcept
    {
        std::size_t i = 0;
        std::size_t found = npos;
        ((std::is_same_v<H, Handlers> && found == npos ? (found = i) : 0, ++i), ...);
        return found;
    }

    /// True when H lists Other in its `after`.
    template<class H, class Other> static constexpr bool depends_on() noexcept
    {
        return boost::hana::unpack(detail::after_of<H>(), [](auto... t) {
            return (std::is_same_v<typename decltype(t)::type, Other> || ... || false);
        });
    }

    /// The stages at least one handler has a callback for.
    static constexpr stage_set stages() noexcept
    {
        stage_set s;
        boost::hana::for_each(all_events{}, [&](auto ev) {
            using Event = typename decltype(ev)::type;
            if constexpr(((has_callback<Handlers, Event>) || ... || false))
                s.insert(Event::kind);
        });
        return s;
    }

    /// The stages at least one handler handles with a coroutine (the front-end must wait for them).
    static constexpr stage_set async_stages() noexcept
    {
        stage_set s;
        boost::hana::for_each(all_events{}, [&](auto ev) {
            using Event = typename decltype(ev)::type;
            if constexpr(((has_async_callback<Handlers, Event>) || ... || false))
                s.insert(Event::kind);
        });
        return s;
    }

    /// The names of the handlers, in chain order.
    static constexpr std::array<std::string_view, size> names() noexcept { return {Handlers::name...}; }

private:
    static constexpr bool names_unique() noexcept
    {
        constexpr auto n = names();
        for(std::size_t i = 0; i < n.size(); ++i)
            for(std::size_t j = i + 1; j < n.size(); ++j)
                if(n[i] == n[j])
                    return false;
        return true;
    }

    template<class H> static constexpr bool dependencies_before() noexcept
    {
        [[maybe_unused]] constexpr std::size_t self = index_of<H>();
        return boost::hana::unpack(detail::after_of<H>(), [](auto... t) {
            return ((index_of<typename decltype(t)::type>() < self) && ... && true);
        });
    }

    static_assert(names_unique(), "authmilter: two handlers in the chain have the same name");
    static_assert((dependencies_before<Handlers>() && ...),
                  "authmilter: a handler's `after` names a handler that is missing from the chain or comes "
                  "later in it");
    static_assert(size <= max_size, "authmilter: a chain holds at most 32 handlers");
    static_assert((!has_async_callback<Handlers, events::header> && ...),
                  "authmilter: on_header is the hot path and must return void, not an awaitable");
    static_assert((!has_async_callback<Handlers, events::body> && ...),
                  "authmilter: on_body is the hot path and must return void, not an awaitable");

public:
    basic_pipeline() { enabled_.fill(true); }

    /// The handler object of type H.
    template<class H> H& get() noexcept { return std::get<index_of<H>()>(handlers_); }
    template<class H> H const& get() const noexcept { return std::get<index_of<H>()>(handlers_); }

    template<class H> bool enabled() const noexcept { return enabled_[index_of<H>()]; }
    bool enabled(std::string_view name) const noexcept
    {
        constexpr auto n = names();
        for(std::size_t i = 0; i < size; ++i)
            if(n[i] == name)
                return enabled_[i];
        return false;
    }
    /// Enables or disables a handler by name. Returns false when the chain has no such handler.
    bool set_enabled(std::string_view name, bool on) noexcept
    {
        constexpr auto n = names();
        for(std::size_t i = 0; i < size; ++i)
            if(n[i] == name) {
                enabled_[i] = on;
                return true;
            }
        return false;
    }

    /** Applies the `handlers` object of the configuration: a handler is enabled when its name is
        a key, disabled when the key is `"!Name"` or absent. Each enabled handler that has a
        configure() member receives its value.

        @throws std::invalid_argument naming the key, when an enabled key names no handler of this
        chain or a handler refuses its configuration. A disabled key (`"!Name"`) for a handler
        the chain lacks is accepted.
    */
    void configure(boost::json::object const& handlers)
    {
        for(auto const& kv : handlers) {
            std::string_view key = kv.key();
            bool const negated = key.starts_with('!');
            if(negated)
                key.remove_prefix(1);
            // A disabled ("!Name") handler this build lacks is harmless: Perl configurations
            // keep such keys for handlers they do not load.
            if(!negated && !enabled(key) && !set_enabled(key, true))
                throw std::invalid_argument("handlers." + std::string(kv.key()) +
                                            ": this build has no handler of that name (disable it with \"!" +
                                            std::string(key) + "\" or remove it)");
        }
        enabled_.fill(false);
        for(auto const& kv : handlers) {
            std::string_view const key = kv.key();
            if(!key.starts_with('!'))
                set_enabled(key, true);
        }
        boost::hana::for_each(handler_types, [&](auto t) {
            using H = typename decltype(t)::type;
            if constexpr(requires(H & h, boost::json::value const& v) { h.configure(v); }) {
                auto const it = handlers.find(H::name);
                if(it != handlers.end()) {
                    try {
                        get<H>().configure(it->value());
                    } catch(std::exception const& e) {
                        throw std::invalid_argument("handlers." + std::string(H::name) + ": " + e.what());
                    }
                }
            }
        });
    }

    /** Runs the stage of Event for every enabled handler that has its callback, in chain order,
        in one coroutine frame: plain callbacks are called inline, coroutine callbacks are
        awaited. Stops early when a handler set a final verdict.
        Prefer dispatch_sync() for stages whose callbacks are all plain (always header and body).
    */
    template<class Transaction, class Event>
    boost::asio::awaitable<void> dispatch(Transaction& txn, Event const& ev) const
    {
        // Unrolled at compile time, one step per chain position: positions past the end of the
        // chain and handlers without this stage's callback are discarded statements.
#define AUTHMILTER_PIPELINE_STEP(I)                                                                          \
    if constexpr((I) < size) {                                                                               \
        using H = std::tuple_element_t<(I), std::tuple<Handlers...>>;                                        \
        if constexpr(has_callback<H, Event>) {                                                               \
            if(!txn.verdict().is_final() && enabled_[(I)]) {                                                 \
                handler_context<H, Transaction> ctx(txn);                                                    \
                H& h = const_cast<H&>(std::get<(I)>(handlers_));                                             \
                try {                                                                                        \
                    if constexpr(has_async_callback<H, Event>)                                               \
                        co_await call(h, ctx, ev);                                                           \
                    else                                                                                     \
                        call(h, ctx, ev);                                                                    \
                } catch(std::exception const& e) {                                                           \
                    on_handler_error(txn, H::name, Event::kind, e.what());                                   \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }
        AUTHMILTER_PIPELINE_STEP(0)
        AUTHMILTER_PIPELINE_STEP(1)
        AUTHMILTER_PIPELINE_STEP(2)
        AUTHMILTER_PIPELINE_STEP(3)
        AUTHMILTER_PIPELINE_STEP(4)
        AUTHMILTER_PIPELINE_STEP(5)
        AUTHMILTER_PIPELINE_STEP(6)
        AUTHMILTER_PIPELINE_STEP(7)
        AUTHMILTER_PIPELINE_STEP(8)
        AUTHMILTER_PIPELINE_STEP(9)
        AUTHMILTER_PIPELINE_STEP(10)
        AUTHMILTER_PIPELINE_STEP(11)
        AUTHMILTER_PIPELINE_STEP(12)
        AUTHMILTER_PIPELINE_STEP(13)
        AUTHMILTER_PIPELINE_STEP(14)
        AUTHMILTER_PIPELINE_STEP(15)
        AUTHMILTER_PIPELINE_STEP(16)
        AUTHMILTER_PIPELINE_STEP(17)
        AUTHMILTER_PIPELINE_STEP(18)
        AUTHMILTER_PIPELINE_STEP(19)
        AUTHMILTER_PIPELINE_STEP(20)
        AUTHMILTER_PIPELINE_STEP(21)
        AUTHMILTER_PIPELINE_STEP(22)
        AUTHMILTER_PIPELINE_STEP(23)
        AUTHMILTER_PIPELINE_STEP(24)
        AUTHMILTER_PIPELINE_STEP(25)
        AUTHMILTER_PIPELINE_STEP(26)
        AUTHMILTER_PIPELINE_STEP(27)
        AUTHMILTER_PIPELINE_STEP(28)
        AUTHMILTER_PIPELINE_STEP(29)
        AUTHMILTER_PIPELINE_STEP(30)
        AUTHMILTER_PIPELINE_STEP(31)
#undef AUTHMILTER_PIPELINE_STEP
        co_return;
    }

    /// Runs a stage whose callbacks are all plain, without a coroutine frame.
    template<class Transaction, class Event> void dispatch_sync(Transaction& txn, Event const& ev) const
    {
        static_assert(!async_stages().contains(Event::kind),
                      "authmilter: dispatch_sync used for a stage with a coroutine callback");
        if constexpr(stages().contains(Event::kind)) {
            bool stop = txn.verdict().is_final();
            boost::hana::for_each(handler_types, [&](auto t) {
                using H = typename decltype(t)::type;
                if constexpr(has_callback<H, Event>) {
                    constexpr std::size_t i = index_of<H>();
                    if(!stop && enabled_[i]) {
                        handler_context<H, Transaction> ctx(txn);
                        try {
                            call(const_cast<H&>(std::get<i>(handlers_)), ctx, ev);
                        } catch(std::exception const& e) {
                            on_handler_error(txn, H::name, Event::kind, e.what());
                        }
                        stop = txn.verdict().is_final();
                    }
                }
            });
        }
    }

    /** What a handler failure (an exception from its callback) does, by connection class, as
        the Perl tool's `tempfail_on_error*` settings: the first matching class decides
        (authenticated, then local, then trusted, then any other client).
    */
    struct error_policy {
        bool tempfail_on_error = true;
        bool tempfail_on_error_authenticated = false;
        bool tempfail_on_error_local = false;
        bool tempfail_on_error_trusted = false;
    };
    void set_error_policy(error_policy p) noexcept
    {
        policy_ = p;
    }
    error_policy const& get_error_policy() const noexcept
    {
        return policy_;
    }

private:
    template<class Transaction>
    void on_handler_error(Transaction& txn, std::string_view handler, stage s, char const* what) const
    {
        txn.handler_errors().push_back(std::string(handler) + " " + std::string(to_string(s)) + ": " + what);
        auto const& t = txn.trust();
        bool const tempfail = t.authenticated ? policy_.tempfail_on_error_authenticated
                              : t.local       ? policy_.tempfail_on_error_local
                              : t.trusted     ? policy_.tempfail_on_error_trusted
                                              : policy_.tempfail_on_error;
        if(tempfail)
            txn.set_verdict(verdict::tempfail(451, "4.7.1", "Temporary error while checking the message"));
    }

    template<class H, class Ctx, class Event> static decltype(auto) call(H& h, Ctx& ctx, Event const& ev)
    {
        constexpr stage s = Event::kind;
        if constexpr(s == stage::connect)
            return h.on_connect(ctx, ev);
        else if constexpr(s == stage::helo)
            return h.on_helo(ctx, ev);
        else if constexpr(s == stage::envfrom)
            return h.on_envfrom(ctx, ev);
        else if constexpr(s == stage::envrcpt)
            return h.on_envrcpt(ctx, ev);
        else if constexpr(s == stage::header)
            return h.on_header(ctx, ev);
        else if constexpr(s == stage::eoh)
            return h.on_eoh(ctx, ev);
        else if constexpr(s == stage::body)
            return h.on_body(ctx, ev);
        else if constexpr(s == stage::eom)
            return h.on_eom(ctx, ev);
        else if constexpr(s == stage::abort)
            return h.on_abort(ctx, ev);
        else
            return h.on_close(ctx, ev);
    }

    // Handlers are logically const during dispatch: their configuration does not change while
    // messages are in flight. Callbacks are non-const members for convenience.
    std::tuple<Handlers...> handlers_;
    std::array<bool, size> enabled_{};
    error_policy policy_;
};

/// The name DESIGN.md uses: `pipeline::pipeline<spf_handler, dkim_handler, dmarc_handler>`.
template<Handler... Handlers> using pipeline = basic_pipeline<Handlers...>;

} // namespace authmilter::pipeline

#endif
