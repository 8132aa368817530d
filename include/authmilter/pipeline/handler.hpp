// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_HANDLER_HPP
#define AUTHMILTER_PIPELINE_HANDLER_HPP

#include <authmilter/pipeline/stage.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <concepts>
#include <string_view>
#include <type_traits>

namespace authmilter::pipeline {

/** The Handler requirements.

    A handler is a type with
    - `static constexpr std::string_view name`: its configuration key ("SPF", "DKIM"...);
    - optionally `struct state`: per-message state, default-constructible, reset for every message;
    - optionally `struct connection_state`: per-connection state (kept across the messages of one
      SMTP connection, e.g. iprev results);
    - optionally `using after = pipeline::after_list<Other...>;`: the handlers whose results it
      reads; they must come earlier in the chain (checked at compile time);
    - optionally `void configure(boost::json::value const&)`: reads its configuration, throws
      std::invalid_argument on a bad one;
    - any subset of the stage callbacks `on_connect, on_helo, on_envfrom, on_envrcpt, on_header,
      on_eoh, on_body, on_eom, on_abort, on_close`, each taking `(auto& ctx, events::<stage> const&)`
      and returning either `void` or `boost::asio::awaitable<void>` (written out, not `auto`, so that
      the chain can tell them apart without instantiating the body). `on_header` and `on_body`
      are the hot path and must return void.

    `ctx` is a handler_context: it gives the handler its own state, read access to the states of
    the handlers in `after`, and the transaction (envelope, headers, results, verdict, edits).
*/
template<class H>
concept Handler = std::is_default_constructible_v<H> && requires
{
    {
        H::name
        } -> std::convertible_to<std::string_view>;
};

/// The type of a handler's `after` list: a Boost.Hana tuple of types (hana::tuple_t is a
/// variable, this is its type).
template<class... Handlers> using after_list = std::remove_cv_t<decltype(boost::hana::tuple_t<Handlers...>)>;

namespace detail {

/// Stands in for a handler_context when the chain probes a handler's callbacks at compile
/// time. Callbacks are templates over the context, so any type will do for the declaration.
struct probe_context {};

struct empty_state {};

template<class H> struct state_of {
    using type = empty_state;
};
template<class H>
requires requires
{
    typename H::state;
}
struct state_of<H> {
    using type = typename H::state;
};

template<class H> struct connection_state_of {
    using type = empty_state;
};
template<class H>
requires requires
{
    typename H::connection_state;
}
struct connection_state_of<H> {
    using type = typename H::connection_state;
};

template<class H>
constexpr auto
after_of() noexcept
{
    if constexpr(requires { typename H::after; })
        return typename H::after{};
    else
        return after_list<>{};
}

template<class T> struct is_awaitable : std::false_type {};
template<class T, class E> struct is_awaitable<boost::asio::awaitable<T, E>> : std::true_type {};

// One detector per stage. Each yields the callback's return type, or void_t-style "absent".
struct absent {};

#define AUTHMILTER_PIPELINE_DETECT(stage_name)                                                               \
    template<class H> constexpr auto detect_##stage_name() noexcept                                          \
    {                                                                                                        \
        if constexpr(requires(H & h, probe_context & c, events::stage_name const& e) {                       \
                         h.on_##stage_name(c, e);                                                            \
                     })                                                                                      \
            return std::type_identity<decltype(std::declval<H&>().on_##stage_name(                           \
                std::declval<probe_context&>(), std::declval<events::stage_name const&>()))>{};              \
        else                                                                                                 \
            return std::type_identity<absent>{};                                                             \
    }

AUTHMILTER_PIPELINE_DETECT(connect)
AUTHMILTER_PIPELINE_DETECT(helo)
AUTHMILTER_PIPELINE_DETECT(envfrom)
AUTHMILTER_PIPELINE_DETECT(envrcpt)
AUTHMILTER_PIPELINE_DETECT(header)
AUTHMILTER_PIPELINE_DETECT(eoh)
AUTHMILTER_PIPELINE_DETECT(body)
AUTHMILTER_PIPELINE_DETECT(eom)
AUTHMILTER_PIPELINE_DETECT(abort)
AUTHMILTER_PIPELINE_DETECT(close)

#undef AUTHMILTER_PIPELINE_DETECT

/// The return type of H's callback for the stage of Event, or `absent`.
template<class H, class Event>
constexpr auto
detect() noexcept
{
    constexpr stage s = Event::kind;
    if constexpr(s == stage::connect)
        return detect_connect<H>();
    else if constexpr(s == stage::helo)
        return detect_helo<H>();
    else if constexpr(s == stage::envfrom)
        return detect_envfrom<H>();
    else if constexpr(s == stage::envrcpt)
        return detect_envrcpt<H>();
    else if constexpr(s == stage::header)
        return detect_header<H>();
    else if constexpr(s == stage::eoh)
        return detect_eoh<H>();
    else if constexpr(s == stage::body)
        return detect_body<H>();
    else if constexpr(s == stage::eom)
        return detect_eom<H>();
    else if constexpr(s == stage::abort)
        return detect_abort<H>();
    else
        return detect_close<H>();
}

template<class H, class Event> using callback_result_t = typename decltype(detect<H, Event>())::type;

} // namespace detail

/// True when H has a callback for the stage of Event.
template<class H, class Event>
inline constexpr bool has_callback = !std::is_same_v<detail::callback_result_t<H, Event>, detail::absent>;

/// True when H's callback for the stage of Event is a coroutine (returns an awaitable).
template<class H, class Event>
inline constexpr bool has_async_callback = detail::is_awaitable<detail::callback_result_t<H, Event>>::value;

/// The stage callbacks' Event types, in stage order.
using all_events =
    boost::hana::tuple<boost::hana::basic_type<events::connect>, boost::hana::basic_type<events::helo>,
                       boost::hana::basic_type<events::envfrom>, boost::hana::basic_type<events::envrcpt>,
                       boost::hana::basic_type<events::header>, boost::hana::basic_type<events::eoh>,
                       boost::hana::basic_type<events::body>, boost::hana::basic_type<events::eom>,
                       boost::hana::basic_type<events::abort>, boost::hana::basic_type<events::close>>;

} // namespace authmilter::pipeline

#endif
