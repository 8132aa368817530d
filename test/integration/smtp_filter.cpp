// The SMTP filter end to end on loopback: an SMTP client -> smtp::server -> a small next hop
// written here, with failure injection at the next hop (refusal, silence, a dropped connection,
// nobody listening). The upstream must see 250 only when the next hop said 250.
#define BOOST_TEST_MODULE integration_smtp_filter
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/add_id.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/smtp/server.hpp>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
namespace smtp = authmilter::smtp;
namespace pl = authmilter::pipeline;
using asio::ip::tcp;

namespace {

// Writes one A-R entry so that the relayed message shows the pipeline ran.
struct mark_handler {
    static constexpr std::string_view name = "Mark";
    void on_eom(auto& ctx, pl::events::eom const&) const
    {
        ctx.add_result(authmilter::authres::result("x-mark", "pass"));
    }
};

using test_pipeline = pl::pipeline<mark_handler, authmilter::handlers::add_id_handler>;
using sinks_type = authmilter::sinks::sink_set<authmilter::sinks::authres_sink>;

// The next hop. Modes say how it misbehaves.
struct next_hop {
    enum class mode { accept, refuse_data, silent_after_data, drop_mid_data } how = mode::accept;
    tcp::acceptor acceptor;
    std::string path; // the same next hop on a unix socket
    asio::local::stream_protocol::acceptor local;
    std::vector<std::string> messages;
    std::vector<std::string> commands;
    int queued = 0;

    explicit next_hop(asio::io_context& io)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
        , path("/tmp/authmilter-smtp-hop-" + std::to_string(::getpid()) + ".sock")
        , local(io)
    {
        ::unlink(path.c_str());
        local = asio::local::stream_protocol::acceptor(io, asio::local::stream_protocol::endpoint(path));
        asio::co_spawn(io, accept_loop(acceptor), asio::detached);
        asio::co_spawn(io, accept_loop(local), asio::detached);
    }
    ~next_hop() { ::unlink(path.c_str()); }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    void cancel()
    {
        acceptor.cancel();
        local.cancel();
    }

    template<class Acceptor> asio::awaitable<void> accept_loop(Acceptor& a)
    {
        while(true) {
            auto [ec, sock] = co_await a.async_accept(asio::as_tuple(asio::use_awaitable));
            if(ec)
                co_return;
            asio::co_spawn(a.get_executor(), serve(std::move(sock)), asio::detached);
        }
    }

    template<class Socket> asio::awaitable<void> serve(Socket sock)
    {
        using asio::as_tuple;
        using asio::use_awaitable;
        std::string buf;
        auto say = [&](std::string s) -> asio::awaitable<void> {
            co_await asio::async_write(sock, asio::buffer(s), as_tuple(use_awaitable));
        };
        co_await say("220 next.example ESMTP\r\n");
        while(true) {
            auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n",
                                                           as_tuple(use_awaitable));
            if(ec)
                co_return;
            std::string line = buf.substr(0, n - 2);
            buf.erase(0, n);
            commands.push_back(line);
            if(line.starts_with("EHLO"))
                co_await say("250-next.example\r\n250-PIPELINING\r\n250 XFORWARD NAME ADDR HELO IDENT\r\n");
            else if(line == "DATA") {
                co_await say("354 go ahead\r\n");
                if(how == mode::drop_mid_data) {
                    co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n",
                                                    as_tuple(use_awaitable));
                    sock.close();
                    co_return;
                }
                auto [ec2, m] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n.\r\n",
                                                                as_tuple(use_awaitable));
                if(ec2)
                    co_return;
                std::string msg = buf.substr(0, m);
                buf.erase(0, m);
                if(how == mode::silent_after_data) {
                    asio::steady_timer t(sock.get_executor(), std::chrono::seconds(2));
                    co_await t.async_wait(as_tuple(use_awaitable));
                    co_return;
                }
                if(how == mode::refuse_data) {
                    co_await say("554 5.7.1 next hop refuses\r\n");
                    continue;
                }
                messages.push_back(msg);
                co_await say("250 2.0.0 Ok: queued as NH" + std::to_string(++queued) + "\r\n");
            } else if(line == "QUIT") {
                co_await say("221 2.0.0 Bye\r\n");
                co_return;
            } else
                co_await say("250 2.0.0 Ok\r\n");
        }
    }
};

// Sends `script` pipelined and returns everything the filter answered until it closed.
template<class Endpoint>
asio::awaitable<std::string>
client(Endpoint ep, std::string script, std::chrono::milliseconds pause = {})
{
    using asio::as_tuple;
    using asio::use_awaitable;
    typename Endpoint::protocol_type::socket sock(co_await asio::this_coro::executor);
    co_await sock.async_connect(ep, as_tuple(use_awaitable));
    co_await asio::async_write(sock, asio::buffer(script), as_tuple(use_awaitable));
    if(pause.count() > 0) {
        // Then stay silent: the filter's timeout_in must end the conversation.
        asio::steady_timer t(sock.get_executor(), pause);
        co_await t.async_wait(as_tuple(use_awaitable));
    }
    std::string out;
    std::array<char, 4096> buf;
    while(true) {
        auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple(use_awaitable));
        if(ec)
            break;
        out.append(buf.data(), n);
    }
    co_return out;
}

// How exchange() sets the filter up.
struct setup {
    std::string temp_dir;
    bool listen_unix = false; ///< the filter listens on a unix socket
    bool relay_unix = false;  ///< and relays over one
    std::chrono::seconds timeout_in{5};
    std::chrono::milliseconds client_pause{0};
    std::chrono::milliseconds content_timeout{0};
};

setup
with_temp_dir(std::string dir)
{
    setup s;
    s.temp_dir = std::move(dir);
    return s;
}

struct fixture {
    asio::io_context io;
    test_pipeline p;
    authmilter::dns::zone_resolver r;
    sinks_type sinks{authmilter::sinks::authres_sink({"filter.example", {}})};
    next_hop hop{io};

    // Runs one client conversation through a filter relaying to `relay_port`.
    std::string exchange(std::string const& script, std::uint16_t relay_port)
    {
        return exchange(script, relay_port, setup());
    }
    std::string exchange(std::string const& script, std::uint16_t relay_port, setup const& how)
    {
        smtp::server_options o;
        o.smtp.relay.server_name = "filter.example";
        o.smtp.relay.sock_host = "127.0.0.1";
        o.smtp.relay.sock_port = relay_port;
        if(how.relay_unix) {
            o.smtp.relay.sock_type = "unix";
            o.smtp.relay.sock_path = hop.path;
        }
        o.smtp.relay.timeout_out = std::chrono::seconds(1);
        o.smtp.relay.timeout_in = how.timeout_in;
        o.smtp.temp_dir = how.temp_dir;
        o.smtp.chunk_limit = 4096;
        o.content_timeout = how.content_timeout;
        smtp::server<test_pipeline, authmilter::dns::zone_resolver, sinks_type> srv(io.get_executor(), p, r,
                                                                                    sinks, o);
        authmilter::config::listen_address where; // port 0: an ephemeral port
        where.host = "127.0.0.1";
        std::string const path = "/tmp/authmilter-smtp-filter-" + std::to_string(::getpid()) + ".sock";
        if(how.listen_unix) {
            where.type = authmilter::config::listen_address::kind::unix_socket;
            where.path = path;
        }
        BOOST_REQUIRE(!srv.listen(where));
        std::string out;
        auto done = [&](std::exception_ptr, std::string s) {
            out = std::move(s);
            srv.stop();
            hop.cancel();
        };
        if(how.listen_unix)
            asio::co_spawn(io, client(asio::local::stream_protocol::endpoint(path), script, how.client_pause),
                           done);
        else
            asio::co_spawn(
                io,
                client(tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.tcp_endpoints().at(0).port()),
                       script, how.client_pause),
                done);
        io.restart();
        io.run_for(std::chrono::seconds(20));
        ::unlink(path.c_str());
        return out;
    }
};

std::string const message =
    "EHLO upstream.example\r\n"
    "XFORWARD NAME=client.example ADDR=198.51.100.7 HELO=client.helo IDENT=4XyZ\r\n"
    "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
    "From: alice@example.org\r\nSubject: test\r\n\r\n..leading dot\r\nbody\r\n.\r\nQUIT\r\n";

// The last reply code before 221, i.e. the answer to the end of data.
std::string
data_answer(std::string const& out)
{
    auto const end = out.rfind("\r\n221 ");
    auto const start = out.rfind("\r\n", end - 1);
    return end == std::string::npos || start == std::string::npos ? out
                                                                  : out.substr(start + 2, end - start - 2);
}

// Sends `script`, then one byte of message data every 100 ms (an upstream trickling its DATA,
// which timeout_in alone never stops); returns what the filter answered until it closed.
asio::awaitable<std::string>
trickling_client(tcp::endpoint ep, std::string script)
{
    using asio::as_tuple;
    using asio::use_awaitable;
    tcp::socket sock(co_await asio::this_coro::executor);
    co_await sock.async_connect(ep, as_tuple(use_awaitable));
    co_await asio::async_write(sock, asio::buffer(script), as_tuple(use_awaitable));
    bool closed = false;
    std::string out;
    asio::co_spawn(
        sock.get_executor(),
        [&]() -> asio::awaitable<void> {
            std::array<char, 4096> buf;
            while(true) {
                auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple(use_awaitable));
                if(ec)
                    break;
                out.append(buf.data(), n);
            }
            closed = true;
        },
        asio::detached);
    asio::steady_timer t(sock.get_executor());
    for(int i = 0; i < 100 && !closed; ++i) {
        t.expires_after(std::chrono::milliseconds(100));
        co_await t.async_wait(as_tuple(use_awaitable));
        co_await asio::async_write(sock, asio::buffer("x", 1), as_tuple(use_awaitable));
    }
    co_return closed ? out : std::string("still open after 10 s: ") + out;
}

// Tags the relayed message with its configuration generation.
struct generation_handler {
    static constexpr std::string_view name = "Generation";
    std::string tag;
    void on_eom(auto& ctx, pl::events::eom const&) const
    {
        ctx.add_result(authmilter::authres::result("x-generation", tag));
    }
};
using generation_pipeline = pl::pipeline<generation_handler>;

} // namespace

BOOST_FIXTURE_TEST_SUITE(smtp_filter, fixture)

BOOST_AUTO_TEST_CASE(relays_with_authentication_results_and_xforward)
{
    auto const out = exchange(message, hop.port());
    BOOST_TEST(out.starts_with("220 filter.example ESMTP AuthenticationMilter\r\n"));
    auto const answer = data_answer(out);
    BOOST_TEST(answer.starts_with("250 2.0.0 Ok: queued as "));
    BOOST_TEST(answer.find("(next hop queued as NH1)") != std::string::npos);
    BOOST_REQUIRE_EQUAL(hop.messages.size(), 1u);
    auto const& m = hop.messages[0];
    BOOST_TEST(m.starts_with("Received: from upstream.example (localhost [127.0.0.1])\r\n"));
    BOOST_TEST(m.find("\r\nAuthentication-Results: filter.example;") != std::string::npos);
    BOOST_TEST(m.find("x-mark=pass") != std::string::npos);
    BOOST_TEST(m.find("\r\n\r\n..leading dot\r\nbody\r\n.\r\n") != std::string::npos); // stuffed again
    auto has = [&](std::string const& c) {
        return std::find(hop.commands.begin(), hop.commands.end(), c) != hop.commands.end();
    };
    BOOST_TEST(has("XFORWARD NAME=client.example"));
    BOOST_TEST(has("XFORWARD ADDR=198.51.100.7"));
    BOOST_TEST(has("XFORWARD HELO=client.helo"));
    BOOST_TEST(has("XFORWARD IDENT=4XyZ"));
    BOOST_TEST(has("MAIL FROM:<alice@example.org>"));
}

BOOST_AUTO_TEST_CASE(next_hop_refusal_is_relayed)
{
    hop.how = next_hop::mode::refuse_data;
    auto const out = exchange(message, hop.port());
    BOOST_TEST(data_answer(out) == "554 5.7.1 next hop refuses");
}

BOOST_AUTO_TEST_CASE(silent_next_hop_gives_4xx)
{
    hop.how = next_hop::mode::silent_after_data;
    auto const out = exchange(message, hop.port());
    BOOST_TEST(data_answer(out).starts_with("451 4.4.2 Next hop failed: timed out"));
    BOOST_TEST(out.find("\r\n250 2.0.0 Ok: queued") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(next_hop_dropping_mid_data_gives_4xx)
{
    hop.how = next_hop::mode::drop_mid_data;
    auto const out = exchange(message, hop.port());
    BOOST_TEST(data_answer(out).starts_with("451 4.4.2 Next hop failed"));
}

BOOST_AUTO_TEST_CASE(no_next_hop_gives_4xx)
{
    // A port nobody listens on: bind one, learn it, close it.
    std::uint16_t port = 0;
    {
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    auto const out = exchange(message, port);
    BOOST_TEST(data_answer(out).starts_with("451 4.4.2 Next hop failed: connect to 127.0.0.1:"));
}

BOOST_AUTO_TEST_CASE(large_spooled_message_arrives_whole)
{
    char tmpl[] = "/tmp/authmilter-smtp-it-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    std::string body;
    for(int i = 0; i < 20000; ++i)
        body += (i % 7 == 0 ? "." : "") + std::string("line ") + std::to_string(i) + "\r\n";
    std::string stuffed;
    for(int i = 0; i < 20000; ++i)
        stuffed += (i % 7 == 0 ? ".." : "") + std::string("line ") + std::to_string(i) + "\r\n";
    auto const out = exchange("EHLO up.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                              "RCPT TO:<c@example.org>\r\nDATA\r\nSubject: big\r\n\r\n" +
                                  stuffed + ".\r\nQUIT\r\n",
                              hop.port(), with_temp_dir(tmpl));
    ::rmdir(tmpl);
    BOOST_TEST(data_answer(out).starts_with("250 2.0.0 Ok: queued as "));
    BOOST_REQUIRE_EQUAL(hop.messages.size(), 1u);
    BOOST_TEST(hop.messages[0].ends_with("\r\n\r\n" + stuffed + ".\r\n"));
    BOOST_TEST(std::count(hop.commands.begin(), hop.commands.end(), "RCPT TO:<c@example.org>") == 1);
}

BOOST_AUTO_TEST_CASE(unix_sockets_on_both_sides)
{
    setup how;
    how.listen_unix = true;
    how.relay_unix = true;
    auto const out = exchange(message, 0, how);
    BOOST_TEST(data_answer(out).starts_with("250 2.0.0 Ok: queued as "));
    BOOST_REQUIRE_EQUAL(hop.messages.size(), 1u);
    // A unix-socket peer is shown as localhost, 127.0.0.1.
    BOOST_TEST(hop.messages[0].starts_with("Received: from upstream.example (localhost [127.0.0.1])\r\n"));
}

BOOST_AUTO_TEST_CASE(silent_upstream_gets_421_after_timeout_in)
{
    setup how;
    how.timeout_in = std::chrono::seconds(1);
    how.client_pause = std::chrono::seconds(2);
    auto const out = exchange("EHLO up.example\r\nMAIL FROM:<a@example.org>\r\n", hop.port(), how);
    BOOST_TEST(out.ends_with("421 4.4.2 filter.example Error: timeout exceeded\r\n"), out);
    BOOST_TEST(hop.messages.empty());
}

BOOST_AUTO_TEST_CASE(trickling_upstream_gets_421_after_content_timeout)
{
    smtp::server_options o;
    o.smtp.relay.server_name = "filter.example";
    o.smtp.relay.sock_host = "127.0.0.1";
    o.smtp.relay.sock_port = hop.port();
    o.smtp.relay.timeout_in = std::chrono::seconds(5);
    o.smtp.relay.timeout_out = std::chrono::seconds(1);
    o.content_timeout = std::chrono::milliseconds(700);
    smtp::server<test_pipeline, authmilter::dns::zone_resolver, sinks_type> srv(io.get_executor(), p, r,
                                                                                sinks, o);
    authmilter::config::listen_address where;
    where.host = "127.0.0.1";
    BOOST_REQUIRE(!srv.listen(where));
    tcp::endpoint const ep(asio::ip::make_address("127.0.0.1"), srv.tcp_endpoints().at(0).port());
    std::string trickled, after;
    auto const start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration took{};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            trickled = co_await trickling_client(
                ep, "EHLO up.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                    "DATA\r\nSubject: slow\r\n\r\n");
            took = std::chrono::steady_clock::now() - start;
            // The server survives: the next connection is served (and relayed) as usual.
            after = co_await client(ep, message);
            srv.stop();
            hop.cancel();
        },
        asio::detached);
    io.run_for(std::chrono::seconds(20));
    BOOST_TEST(trickled.ends_with("421 4.4.2 filter.example Error: timeout exceeded\r\n"), trickled);
    BOOST_TEST(trickled.find("\r\n250 2.0.0 Ok: queued") == std::string::npos);
    BOOST_TEST((took < std::chrono::seconds(3))); // content_timeout, long before timeout_in would
    BOOST_TEST(data_answer(after).starts_with("250 2.0.0 Ok: queued as "));
    BOOST_REQUIRE_EQUAL(hop.messages.size(), 1u); // only the second message
    BOOST_TEST(hop.messages[0].find("Subject: test") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reload_serves_new_connections_with_the_new_generation)
{
    using server_type = smtp::server<generation_pipeline, authmilter::dns::zone_resolver, sinks_type>;
    auto make = [](std::string tag) {
        auto g = std::make_shared<generation_pipeline>();
        g->get<generation_handler>().tag = std::move(tag);
        return std::shared_ptr<generation_pipeline const>(std::move(g));
    };
    auto const s1 = std::make_shared<sinks_type const>(authmilter::sinks::authres_sink({"one.example", {}}));
    auto const s2 = std::make_shared<sinks_type const>(authmilter::sinks::authres_sink({"two.example", {}}));
    smtp::server_options o;
    o.smtp.relay.server_name = "filter.example";
    o.smtp.relay.sock_host = "127.0.0.1";
    o.smtp.relay.sock_port = hop.port();
    o.smtp.relay.timeout_in = std::chrono::seconds(5);
    o.smtp.relay.timeout_out = std::chrono::seconds(1);
    auto p1 = make("one");
    std::weak_ptr<generation_pipeline const> const old = p1;
    server_type srv(io.get_executor(), std::move(p1), r, s1, o);
    authmilter::config::listen_address where;
    where.host = "127.0.0.1";
    BOOST_REQUIRE(!srv.listen(where));
    BOOST_TEST(srv.current()->number == 1u);
    tcp::endpoint const ep(asio::ip::make_address("127.0.0.1"), srv.tcp_endpoints().at(0).port());
    std::string first, second;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            using asio::as_tuple;
            using asio::use_awaitable;
            // A connection in the middle of a transaction when the reload comes...
            tcp::socket a(co_await asio::this_coro::executor);
            co_await a.async_connect(ep, as_tuple(use_awaitable));
            std::string const head = "EHLO up.example\r\nMAIL FROM:<a@example.org>\r\n";
            co_await asio::async_write(a, asio::buffer(head), as_tuple(use_awaitable));
            std::string buf;
            co_await asio::async_read_until(a, asio::dynamic_buffer(buf), "\r\n250 2.0.0 Ok\r\n",
                                            as_tuple(use_awaitable));
            auto o2 = o;
            o2.smtp.relay.server_name = "filter2.example";
            srv.reload(make("two"), s2, o2);
            // ...a new one is served by the new generation...
            second = co_await client(ep, message);
            // ...while the old one finishes on its own.
            std::string const rest = "RCPT TO:<b@example.org>\r\nDATA\r\nSubject: first\r\n\r\nbody\r\n.\r\n"
                                     "QUIT\r\n";
            co_await asio::async_write(a, asio::buffer(rest), as_tuple(use_awaitable));
            std::array<char, 4096> chunk;
            while(true) {
                auto [ec, n] = co_await a.async_read_some(asio::buffer(chunk), as_tuple(use_awaitable));
                if(ec)
                    break;
                buf.append(chunk.data(), n);
            }
            first = buf;
            // Let the server end the old connection's coroutine before stopping.
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
            co_await t.async_wait(as_tuple(use_awaitable));
            srv.stop();
            hop.cancel();
        },
        asio::detached);
    io.run_for(std::chrono::seconds(20));
    BOOST_TEST(srv.current()->number == 2u);
    BOOST_TEST(first.starts_with("220 filter.example "));
    BOOST_TEST(data_answer(first).starts_with("250 2.0.0 Ok: queued as "), first);
    BOOST_TEST(second.starts_with("220 filter2.example "), second);
    BOOST_TEST(data_answer(second).starts_with("250 2.0.0 Ok: queued as "), second);
    BOOST_REQUIRE_EQUAL(hop.messages.size(), 2u);
    auto const& m2 = hop.messages[0]; // the new connection finished first
    auto const& m1 = hop.messages[1];
    BOOST_TEST(m1.find("Subject: first") != std::string::npos);
    BOOST_TEST(m1.find("Authentication-Results: one.example;") != std::string::npos, m1);
    BOOST_TEST(m1.find("x-generation=one") != std::string::npos, m1);
    BOOST_TEST(m2.find("Authentication-Results: two.example;") != std::string::npos, m2);
    BOOST_TEST(m2.find("x-generation=two") != std::string::npos, m2);
    BOOST_TEST(old.expired()); // the old generation went with its last connection
}

BOOST_AUTO_TEST_SUITE_END()
