// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/pipeline/pipeline.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace pl = authmilter::pipeline;
namespace asio = boost::asio;

namespace {

// A trace shared by the test handlers, so the tests can see who ran, and in which order.
std::vector<std::string> trace;

struct counter_handler {
    static constexpr std::string_view name = "Counter";
    struct state {
        int headers = 0;
        std::size_t body_bytes = 0;
    };
    void on_header(auto& ctx, pl::events::header const& ev)
    {
        ++ctx.state().headers;
        trace.push_back("Counter.header:" + ev.field.name);
    }
    void on_body(auto& ctx, pl::events::body const& ev) { ctx.state().body_bytes += ev.chunk.size(); }
    void on_eom(auto& ctx, pl::events::eom const&)
    {
        trace.push_back("Counter.eom");
        ctx.add_result("x-counter=" + std::to_string(ctx.state().headers));
    }
};

// Waits on a timer at MAIL FROM: a coroutine callback, like a DNS lookup.
struct slow_handler {
    static constexpr std::string_view name = "Slow";
    struct state {
        std::string sender;
    };
    asio::awaitable<void> on_envfrom(auto& ctx, pl::events::envfrom const& ev)
    {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
        co_await t.async_wait(asio::use_awaitable);
        ctx.state().sender = std::string(ev.address);
        trace.push_back("Slow.envfrom");
    }
};

// Reads the others' states: must list them in `after`.
struct summary_handler {
    static constexpr std::string_view name = "Summary";
    using after = pl::after_list<counter_handler, slow_handler>;
    std::string prefix = "summary";
    void configure(boost::json::value const& v)
    {
        auto const& o = v.as_object();
        if(auto const* p = o.if_contains("prefix"))
            prefix = std::string(p->as_string());
        if(o.contains("bad"))
            throw std::invalid_argument("bad is not allowed");
    }
    void on_eom(auto& ctx, pl::events::eom const&)
    {
        auto const& counted = ctx.template result_of<counter_handler>();
        auto const& slow = ctx.template result_of<slow_handler>();
        trace.push_back("Summary.eom");
        ctx.add_result(prefix + "=" + slow.sender + "/" + std::to_string(counted.headers) + "/" +
                       std::to_string(counted.body_bytes));
        ctx.add_edit(pl::header_edit::insert(1, "X-Summary", prefix));
    }
};

struct rejecting_handler {
    static constexpr std::string_view name = "Reject";
    void on_envrcpt(auto& ctx, pl::events::envrcpt const& ev)
    {
        trace.push_back("Reject.envrcpt");
        if(ev.address == "blocked@example.com")
            ctx.set_verdict(pl::verdict::reject(550, "5.7.1", "no"));
    }
};

struct after_reject_handler {
    static constexpr std::string_view name = "AfterReject";
    void on_envrcpt(auto&, pl::events::envrcpt const&) { trace.push_back("AfterReject.envrcpt"); }
};

struct stateless_handler {
    static constexpr std::string_view name = "Stateless";
};

using chain =
    pl::pipeline<counter_handler, slow_handler, summary_handler, rejecting_handler, after_reject_handler>;
using resolver = authmilter::dns::zone_resolver;
using txn_type = pl::transaction<chain, resolver, std::string>;

template<class F>
void
run(F f)
{
    asio::io_context io;
    std::exception_ptr error;
    asio::co_spawn(io, f(), [&](std::exception_ptr e) { error = e; });
    io.run();
    if(error)
        std::rethrow_exception(error);
}

} // namespace

BOOST_AUTO_TEST_SUITE(pipeline_dispatch)

BOOST_AUTO_TEST_CASE(stage_sets_are_computed_at_compile_time)
{
    constexpr auto used = chain::stages();
    static_assert(used.contains(pl::stage::header));
    static_assert(used.contains(pl::stage::body));
    static_assert(used.contains(pl::stage::envfrom));
    static_assert(used.contains(pl::stage::envrcpt));
    static_assert(used.contains(pl::stage::eom));
    static_assert(!used.contains(pl::stage::connect));
    static_assert(!used.contains(pl::stage::helo));
    static_assert(!used.contains(pl::stage::eoh));
    constexpr auto async = chain::async_stages();
    static_assert(async == pl::stage_set{pl::stage::envfrom});
    static_assert(pl::pipeline<stateless_handler>::stages().empty());
    BOOST_TEST(used.bits() != 0);
}

BOOST_AUTO_TEST_CASE(runs_handlers_in_chain_order_with_states)
{
    trace.clear();
    chain p;
    resolver r;
    txn_type txn(p, r);
    run([&]() -> asio::awaitable<void> {
        txn.begin_message();
        std::vector<std::string> params{"SIZE=10"};
        co_await p.dispatch(txn, pl::events::envfrom{"a@example.org", params});
        authmilter::core::header_field from{"From", " a@example.org"};
        authmilter::core::header_field subject{"Subject", " hi"};
        p.dispatch_sync(txn, pl::events::header{from});
        p.dispatch_sync(txn, pl::events::header{subject});
        p.dispatch_sync(txn, pl::events::body{"hello\r\n"});
        p.dispatch_sync(txn, pl::events::body{"world\r\n"});
        co_await p.dispatch(txn, pl::events::eom{});
    });
    std::vector<std::string> const expected{"Slow.envfrom", "Counter.header:From", "Counter.header:Subject",
                                            "Counter.eom", "Summary.eom"};
    BOOST_TEST(trace == expected, boost::test_tools::per_element());
    std::vector<std::string> const results{"x-counter=2", "summary=a@example.org/2/14"};
    BOOST_TEST(txn.results() == results, boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(txn.edits().size(), 1u);
    BOOST_TEST(txn.edits()[0].name == "X-Summary");
    BOOST_TEST(txn.edits()[0].index == 1u);
}

BOOST_AUTO_TEST_CASE(final_verdict_stops_the_chain)
{
    trace.clear();
    chain p;
    resolver r;
    txn_type txn(p, r);
    run([&]() -> asio::awaitable<void> {
        txn.begin_message();
        co_await p.dispatch(txn, pl::events::envrcpt{"ok@example.com", {}});
        co_await p.dispatch(txn, pl::events::envrcpt{"blocked@example.com", {}});
        co_await p.dispatch(txn, pl::events::eom{});
    });
    std::vector<std::string> const expected{"Reject.envrcpt", "AfterReject.envrcpt", "Reject.envrcpt"};
    BOOST_TEST(trace == expected, boost::test_tools::per_element());
    BOOST_TEST((txn.verdict().what == pl::verdict::action::reject));
    BOOST_TEST(txn.verdict().smtp_code == 550);
    BOOST_TEST(txn.results().empty());
}

BOOST_AUTO_TEST_CASE(quarantine_is_not_final_and_first_reason_wins)
{
    chain p;
    resolver r;
    txn_type txn(p, r);
    txn.set_verdict(pl::verdict::quarantine("first"));
    txn.set_verdict(pl::verdict::quarantine("second"));
    BOOST_TEST(txn.verdict().text == "first");
    BOOST_TEST(!txn.verdict().is_final());
    txn.set_verdict(pl::verdict::tempfail());
    txn.set_verdict(pl::verdict::accept());
    BOOST_TEST((txn.verdict().what == pl::verdict::action::tempfail));
}

BOOST_AUTO_TEST_CASE(begin_message_resets_message_data_only)
{
    chain p;
    resolver r;
    txn_type txn(p, r);
    txn.connection().helo = "mx.example.net";
    txn.connection_results().push_back("iprev=pass");
    txn.begin_message();
    txn.results().push_back("x=1");
    std::get<0>(txn.message_states()).headers = 5;
    txn.set_verdict(pl::verdict::reject());
    txn.begin_message();
    BOOST_TEST(txn.results().empty());
    BOOST_TEST(std::get<0>(txn.message_states()).headers == 0);
    BOOST_TEST(!txn.verdict().is_final());
    BOOST_TEST(txn.connection().helo == "mx.example.net");
    BOOST_TEST(txn.connection_results().size() == 1u);
    BOOST_TEST(txn.message_count() == 2u);
}

BOOST_AUTO_TEST_CASE(runtime_configuration_enables_disables_and_configures)
{
    trace.clear();
    chain p;
    p.configure(boost::json::parse(R"({"Counter":{}, "Slow":{}, "Summary":{"prefix":"sum"}, "!Reject":{}})")
                    .as_object());
    BOOST_TEST(p.enabled<counter_handler>());
    BOOST_TEST(p.enabled<summary_handler>());
    BOOST_TEST(!p.enabled<rejecting_handler>());
    BOOST_TEST(!p.enabled<after_reject_handler>()); // absent from the configuration
    BOOST_TEST(p.get<summary_handler>().prefix == "sum");

    resolver r;
    txn_type txn(p, r);
    run([&]() -> asio::awaitable<void> {
        txn.begin_message();
        co_await p.dispatch(txn, pl::events::envrcpt{"blocked@example.com", {}});
        co_await p.dispatch(txn, pl::events::eom{});
    });
    BOOST_TEST(trace == (std::vector<std::string>{"Counter.eom", "Summary.eom"}),
               boost::test_tools::per_element());
    BOOST_TEST(!txn.verdict().is_final());
    BOOST_TEST(txn.results().back() == "sum=/0/0");
}

BOOST_AUTO_TEST_CASE(configuration_errors_name_the_key)
{
    chain p;
    try {
        p.configure(boost::json::parse(R"({"NoSuchHandler":{}})").as_object());
        BOOST_FAIL("an unknown handler was accepted");
    } catch(std::invalid_argument const& e) {
        BOOST_TEST(std::string(e.what()).find("handlers.NoSuchHandler") != std::string::npos);
    }
    // Disabled handlers the build lacks are fine, as in Perl configurations.
    p.configure(boost::json::parse(R"({"!SenderID":{}, "Counter":{}})").as_object());
    BOOST_TEST(p.enabled<counter_handler>());
    try {
        p.configure(boost::json::parse(R"({"Summary":{"bad":1}})").as_object());
        BOOST_FAIL("a bad handler configuration was accepted");
    } catch(std::invalid_argument const& e) {
        BOOST_TEST(std::string(e.what()) == "handlers.Summary: bad is not allowed");
    }
}

BOOST_AUTO_TEST_CASE(names_and_indices)
{
    static_assert(chain::index_of<slow_handler>() == 1);
    static_assert(chain::index_of<stateless_handler>() == chain::npos);
    static_assert(chain::depends_on<summary_handler, counter_handler>());
    static_assert(!chain::depends_on<counter_handler, summary_handler>());
    constexpr auto n = chain::names();
    BOOST_TEST(n[2] == "Summary");
    BOOST_TEST(chain::size == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct throwing_handler {
    static constexpr std::string_view name = "Thrower";
    asio::awaitable<void> on_envfrom(auto&, pl::events::envfrom const&)
    {
        throw std::runtime_error("resolver exploded");
        co_return;
    }
    void on_header(auto&, pl::events::header const&) { throw std::runtime_error("bad header"); }
};

struct marker_handler {
    static constexpr std::string_view name = "Marker";
    struct state {
        bool ran = false;
    };
    void on_header(auto& ctx, pl::events::header const&) { ctx.state().ran = true; }
};

using throwing_chain = pl::pipeline<throwing_handler, marker_handler>;
using throwing_txn = pl::transaction<throwing_chain, resolver, std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(pipeline_errors)

BOOST_AUTO_TEST_CASE(handler_failure_tempfails_by_default)
{
    throwing_chain p;
    resolver r;
    throwing_txn txn(p, r);
    run([&]() -> asio::awaitable<void> {
        txn.begin_message();
        co_await p.dispatch(txn, pl::events::envfrom{"a@example.org", {}});
    });
    BOOST_TEST((txn.verdict().what == pl::verdict::action::tempfail));
    BOOST_REQUIRE_EQUAL(txn.handler_errors().size(), 1u);
    BOOST_TEST(txn.handler_errors()[0] == "Thrower envfrom: resolver exploded");
}

BOOST_AUTO_TEST_CASE(policy_by_connection_class)
{
    throwing_chain p;
    p.set_error_policy({false, false, true, false});
    resolver r;
    throwing_txn txn(p, r);
    txn.begin_message();
    authmilter::core::header_field f{"From", " a@b"};
    p.dispatch_sync(txn, pl::events::header{f});
    // Not local: tempfail_on_error is off, so the chain goes on to the next handler.
    BOOST_TEST(!txn.verdict().is_final());
    BOOST_TEST(std::get<1>(txn.message_states()).ran);
    BOOST_TEST(txn.handler_errors().size() == 1u);
    txn.trust().local = true;
    p.dispatch_sync(txn, pl::events::header{f});
    BOOST_TEST((txn.verdict().what == pl::verdict::action::tempfail));
}

BOOST_AUTO_TEST_SUITE_END()
