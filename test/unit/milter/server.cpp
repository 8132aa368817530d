// Test that header file is self-contained.
#include <authmilter/milter/server.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "milter_test_util.hpp"

namespace milter = authmilter::milter;
namespace asio = boost::asio;
using asio::ip::tcp;
using milter::test::frame;
using milter::test::u32;
using namespace std::string_literals;
using namespace std::chrono_literals;

namespace {

struct counting_handler {
    std::atomic<int>* messages;
    std::atomic<int>* closes;

    void on_header(milter::session_state const&, std::string_view, std::string_view) {}
    milter::eom_result on_eom(milter::session_state const& ctx)
    {
        ++*messages;
        milter::eom_result r;
        r.edits.push_back(milter::header_edit::prepend("Authentication-Results",
                                                       std::string(ctx.macros().host_name()) + "; none"));
        return r;
    }
    void on_close(milter::session_state const&) { ++*closes; }
};

struct maker {
    std::atomic<int>* messages;
    std::atomic<int>* closes;
    counting_handler operator()() const { return {messages, closes}; }
};

// Runs an io_context on a thread for the lifetime of a test.
struct running_server {
    asio::io_context ioc;
    std::atomic<int> messages{0};
    std::atomic<int> closes{0};
    milter::server<maker> srv;
    std::thread thread;

    explicit running_server(milter::server_options opts = {})
        : srv(ioc.get_executor(), maker{&messages, &closes}, opts)
    {}
    void start()
    {
        thread = std::thread([this] { ioc.run(); });
    }
    ~running_server()
    {
        srv.stop();
        if(thread.joinable())
            thread.join();
    }
    unsigned short port() const { return srv.tcp_endpoints().at(0).port(); }
};

std::string
optneg()
{
    return frame('O', u32(6) + u32(milter::action::v6_mask) + u32(milter::protocol_flag::v6_mask));
}

std::string
one_message()
{
    return frame('D', "Cj\0mx.test\0"s) + frame('C', "client\0"s + "4\x00\x19"s + "127.0.0.1\0"s) +
           frame('M', "<a@example.com>\0"s) + frame('R', "<b@example.org>\0"s) + frame('L', "From\0 a\0"s) +
           frame('L', "To\0 b\0"s) + frame('N', "") + frame('B', "body\r\n") + frame('E', "");
}

template<class F>
bool
t_wait(F done)
{
    for(int i = 0; i < 400; ++i) {
        if(done())
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

template<class Socket>
std::string
read_to_eof(Socket& sock)
{
    std::string got;
    boost::system::error_code ec;
    asio::read(sock, asio::dynamic_buffer(got), ec);
    BOOST_TEST((ec == asio::error::eof || ec == asio::error::connection_reset), ec.message());
    return got;
}

std::string
codes(std::string_view out)
{
    std::string s;
    while(out.size() >= 5) {
        auto const len = milter::detail::get_u32(out.data());
        s += out[4];
        out.remove_prefix(std::min<std::size_t>(out.size(), 4 + len));
    }
    return s;
}

// An asynchronous connection driver (the shape of the pipeline driver) whose end of message
// takes 300 ms, as a DNS-bound pipeline might.
struct slow_driver {
    std::chrono::milliseconds delay = 300ms;
    milter::decoder dec;
    milter::session_state st{[] {
        milter::requirements r;
        r.stages = {milter::stage::eom};
        r.replies = {milter::stage::eom};
        r.macros = {};
        return r;
    }()};

    asio::awaitable<boost::system::error_code> on_bytes(std::string_view bytes, std::string& out)
    {
        boost::system::error_code ec;
        while(true) {
            auto ev = dec.next(bytes, ec);
            if(ec || !ev)
                co_return ec;
            auto const step = st.on_event(*ev, out, ec);
            if(ec)
                co_return ec;
            if(step.deliver == milter::stage::eom) {
                asio::steady_timer t(co_await asio::this_coro::executor, delay);
                co_await t.async_wait(asio::use_awaitable);
                st.reply_eom({}, out);
            } else if(step.deliver && step.reply) {
                st.reply(*step.deliver, {}, out);
            }
        }
    }
    asio::awaitable<void> finish() { co_return; }
    milter::session_state const& state() const noexcept { return st; }
};

static_assert(milter::connection_driver<slow_driver>);
static_assert(!milter::connection_driver<counting_handler>);

} // namespace

BOOST_AUTO_TEST_SUITE(milter_server)

BOOST_AUTO_TEST_CASE(slow_async_driver_sends_progress)
{
    asio::io_context ioc;
    milter::server_options opts;
    opts.progress_interval = 50ms;
    auto make = [] { return slow_driver{}; };
    milter::server<decltype(make)> srv(ioc.get_executor(), make, opts);
    BOOST_REQUIRE(!srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    std::thread th([&] { ioc.run(); });
    {
        asio::io_context client_ctx;
        tcp::socket sock(client_ctx);
        sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.tcp_endpoints().at(0).port()));
        asio::write(sock, asio::buffer(optneg()));
        std::string o(4, '\0');
        asio::read(sock, asio::buffer(o));
        o.resize(4 + milter::detail::get_u32(o.data()));
        asio::read(sock, asio::buffer(o.data() + 4, o.size() - 4));
        asio::write(sock, asio::buffer(frame('M', "<a@b>\0"s) + frame('E', "") + frame('Q', "")));
        auto const got = read_to_eof(sock);
        auto const c = codes(got);
        // Several progress frames while the EOM is pending, then the verdict.
        BOOST_TEST(c.size() >= 3u, c);
        BOOST_TEST(c.back() == 'c');
        BOOST_TEST(c.substr(0, c.size() - 1) == std::string(c.size() - 1, 'p'));
    }
    srv.stop();
    th.join();
}

BOOST_AUTO_TEST_CASE(serves_messages_over_loopback_tcp)
{
    running_server rs;
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context client_ctx;
    tcp::socket sock(client_ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    // Two messages, written in odd pieces to exercise the server's buffering.
    auto const script =
        optneg() + one_message() + frame('M', "<c@example.com>\0"s) + frame('E', "") + frame('Q', "");
    for(std::size_t i = 0; i < script.size(); i += 13)
        asio::write(sock, asio::buffer(script.data() + i, std::min<std::size_t>(13, script.size() - i)));
    auto const got = read_to_eof(sock);
    // O; connect/helo/mail/rcpt are switched off or reply-less (no callbacks); headers and
    // body reply-less; each EOM: insert + continue.
    BOOST_TEST(codes(got) == "O"
                             "ic"
                             "ic");
    BOOST_TEST(got.find("Authentication-Results\0 mx.test; none\0"s) != std::string::npos);
    BOOST_TEST(rs.messages.load() == 2);
    BOOST_TEST(rs.closes.load() == 1);
}

BOOST_AUTO_TEST_CASE(many_connections_on_a_thread_pool)
{
    asio::io_context ioc;
    std::atomic<int> messages{0}, closes{0};
    milter::server<maker> srv(ioc.get_executor(), maker{&messages, &closes});
    BOOST_REQUIRE(!srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    auto const port = srv.tcp_endpoints().at(0).port();
    std::vector<std::thread> pool;
    auto work = asio::make_work_guard(ioc);
    for(int i = 0; i < 3; ++i)
        pool.emplace_back([&] { ioc.run(); });
    constexpr int clients = 16, per_client = 10;
    std::atomic<int> good{0};
    std::vector<std::thread> mtas;
    for(int c = 0; c < clients; ++c)
        mtas.emplace_back([&] {
            asio::io_context ctx;
            tcp::socket sock(ctx);
            sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
            std::string script = optneg() + one_message();
            for(int m = 1; m < per_client; ++m)
                script += frame('M', "<x@example.com>\0"s) + frame('L', "From\0 x\0"s) + frame('N', "") +
                          frame('E', "");
            script += frame('Q', "");
            asio::write(sock, asio::buffer(script));
            std::string got;
            boost::system::error_code ec;
            asio::read(sock, asio::dynamic_buffer(got), ec);
            std::string expected = "O";
            for(int m = 0; m < per_client; ++m)
                expected += "ic";
            if(codes(got) == expected)
                ++good;
        });
    for(auto& t : mtas)
        t.join();
    BOOST_TEST(good.load() == clients);
    BOOST_TEST(messages.load() == clients * per_client);
    for(int i = 0; i < 200 && closes.load() != clients; ++i)
        std::this_thread::sleep_for(5ms);
    BOOST_TEST(closes.load() == clients);
    srv.stop();
    work.reset();
    for(auto& t : pool)
        t.join();
}

BOOST_AUTO_TEST_CASE(serves_a_unix_socket_with_its_mode)
{
    milter::server_options opts;
    opts.unix_umask = 0077;
    running_server rs(opts);
    auto const path = "/tmp/authmilter-unit-" + std::to_string(::getpid()) + ".sock";
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("unix:" + path)));
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    rs.start();
    asio::io_context client_ctx;
    asio::local::stream_protocol::socket sock(client_ctx);
    sock.connect(asio::local::stream_protocol::endpoint(path));
    asio::write(sock, asio::buffer(optneg() + one_message() + frame('Q', "")));
    auto const got = read_to_eof(sock);
    BOOST_TEST(codes(got) == "O"
                             "ic");
    ::unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(protocol_error_closes_the_connection)
{
    running_server rs;
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context client_ctx;
    tcp::socket sock(client_ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    // The "bad packet length" that crashed the Perl milter: here the connection just closes.
    asio::write(sock, asio::buffer(optneg() + "\x7f\xff\xff\xff"
                                              "B"s));
    auto const got = read_to_eof(sock);
    BOOST_TEST(codes(got) == "O");
}

BOOST_AUTO_TEST_CASE(idle_connection_times_out)
{
    milter::server_options opts;
    opts.connect_timeout = 100ms;
    opts.command_timeout = 100ms;
    running_server rs(opts);
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context client_ctx;
    tcp::socket sock(client_ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    auto const t0 = std::chrono::steady_clock::now();
    auto const got = read_to_eof(sock);
    auto const waited = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(got.empty());
    BOOST_TEST(waited >= 90ms);
    BOOST_TEST(waited < 5s);
}

BOOST_AUTO_TEST_CASE(stop_closes_open_connections)
{
    running_server rs;
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context client_ctx;
    tcp::socket sock(client_ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    asio::write(sock, asio::buffer(optneg() + frame('C', "client\0U"s))); // C: reply-less here
    std::string head(4, '\0');
    asio::read(sock, asio::buffer(head));
    BOOST_TEST(rs.srv.active_connections() == 1u);
    rs.srv.stop(10ms);
    auto const rest = read_to_eof(sock);
    BOOST_TEST(rest.size() == milter::detail::get_u32(head.data())); // the O reply, then EOF
    for(int i = 0; i < 200 && rs.srv.active_connections() != 0; ++i)
        std::this_thread::sleep_for(5ms);
    BOOST_TEST(rs.srv.active_connections() == 0u);
    BOOST_TEST(rs.closes.load() == 1); // the handler saw its connection end
}

namespace {

// Keeps what it was given, to compare with what was sent.
struct recording_handler {
    std::vector<std::string>* headers;
    std::string* body;
    void on_header(milter::session_state const&, std::string_view name, std::string_view value)
    {
        headers->push_back(std::string(name) + ":" + std::string(value));
    }
    void on_body(milter::session_state const&, std::string_view chunk) { body->append(chunk); }
    milter::eom_result on_eom(milter::session_state const&) { return {}; }
};

} // namespace

// Frames much larger than the small read buffer an idle connection keeps: a full 65535-byte body
// chunk and a header field a few bytes under max_frame_size, then a small message again.
BOOST_AUTO_TEST_CASE(frames_larger_than_the_initial_read_buffer)
{
    for(std::size_t initial : {std::size_t(16), std::size_t(1024)}) {
        BOOST_TEST_CONTEXT("initial_read_buffer_size " << initial)
        {
            std::vector<std::string> headers;
            std::string body;
            asio::io_context ioc;
            milter::server_options opts;
            opts.initial_read_buffer_size = initial;
            opts.session.decoder.max_frame_size = 200000;
            auto make = [&] { return recording_handler{&headers, &body}; };
            milter::server<decltype(make)> srv(ioc.get_executor(), make, opts);
            BOOST_REQUIRE(!srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
            std::thread th([&] { ioc.run(); });

            // 'L' + "Big\0" + value + "\0" is exactly 8 bytes under the cap.
            std::string big_value(opts.session.decoder.max_frame_size - 8 - 6, 'v');
            for(std::size_t i = 0; i < big_value.size(); i += 997)
                big_value[i] = static_cast<char>('a' + i % 26);
            std::string chunk(65535, 'b');
            for(std::size_t i = 0; i < chunk.size(); i += 101)
                chunk[i] = static_cast<char>('A' + i % 26);
            auto const big_header = frame('L', "Big\0"s + big_value + "\0"s);
            BOOST_TEST(big_header.size() - 4 == opts.session.decoder.max_frame_size - 8);
            auto const script = optneg() + frame('C', "client\0"s + "4\x00\x19"s + "127.0.0.1\0"s) +
                                frame('M', "<a@b>\0"s) + frame('L', "From\0 a\0"s) + big_header +
                                frame('N', "") + frame('B', chunk) + frame('B', "tail\r\n") + frame('E', "") +
                                frame('M', "<c@d>\0"s) + frame('L', "To\0 c\0"s) + frame('N', "") +
                                frame('B', "small\r\n") + frame('E', "") + frame('Q', "");
            {
                asio::io_context client_ctx;
                tcp::socket sock(client_ctx);
                sock.connect(
                    tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.tcp_endpoints().at(0).port()));
                asio::write(sock, asio::buffer(script));
                auto const got = read_to_eof(sock);
                BOOST_TEST(codes(got) == "Occ"); // O, then each EOM's verdict
            }
            BOOST_REQUIRE_EQUAL(headers.size(), 3u);
            BOOST_TEST(headers[0] == "From: a");
            BOOST_TEST(headers[1] == "Big:" + big_value); // byte for byte
            BOOST_TEST(headers[2] == "To: c");
            BOOST_TEST(body == chunk + "tail\r\nsmall\r\n");
            srv.stop();
            th.join();
        }
    }
}

namespace {

// One whole message on a new connection: what a healthy server answers.
std::string
one_message_codes(unsigned short port)
{
    asio::io_context ctx;
    tcp::socket sock(ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(sock, asio::buffer(optneg() + one_message() + frame('Q', "")));
    return codes(read_to_eof(sock));
}

// Negotiates and reads the whole `O` reply.
void
read_o_reply(tcp::socket& sock)
{
    asio::write(sock, asio::buffer(optneg()));
    std::string o(4, '\0');
    asio::read(sock, asio::buffer(o));
    o.resize(4 + milter::detail::get_u32(o.data()));
    asio::read(sock, asio::buffer(o.data() + 4, o.size() - 4));
    BOOST_TEST(o[4] == 'O');
}

// Sends `script`, then waits for the server to close; returns what it sent and how long after
// the write it closed.
std::pair<std::string, std::chrono::milliseconds>
stall_after(tcp::socket& sock, std::string const& script)
{
    if(!script.empty())
        asio::write(sock, asio::buffer(script));
    auto const t0 = std::chrono::steady_clock::now();
    auto got = read_to_eof(sock);
    return {codes(got),
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)};
}

milter::server_options
timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds command,
         std::chrono::milliseconds content)
{
    milter::server_options o;
    o.connect_timeout = connect;
    o.command_timeout = command;
    o.content_timeout = content;
    return o;
}

} // namespace

// connect_timeout: a peer that connects and says nothing, or negotiates and never sends the
// connect command, is closed after connect_timeout (not the longer command_timeout); the server
// goes on serving.
BOOST_AUTO_TEST_CASE(connect_timeout_closes_a_stalled_peer)
{
    running_server rs(timeouts(150ms, 20s, 20s));
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context ctx;
    for(auto const& script : {std::string(), optneg()}) {
        tcp::socket sock(ctx);
        sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
        auto const [got, waited] = stall_after(sock, script);
        BOOST_TEST(got == (script.empty() ? "" : "O"));
        BOOST_TEST(waited.count() >= 130);
        BOOST_TEST(waited.count() < 5000);
    }
    BOOST_TEST(one_message_codes(rs.port()) == "Oic");
}

// command_timeout: after the connect command, silence outside a message closes the connection
// after command_timeout; the handler sees its connection end.
BOOST_AUTO_TEST_CASE(command_timeout_closes_a_stalled_peer)
{
    running_server rs(timeouts(20s, 150ms, 20s));
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context ctx;
    tcp::socket sock(ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    auto const [got, waited] =
        stall_after(sock, optneg() + frame('C', "client\0"s + "4\x00\x19"s + "127.0.0.1\0"s));
    BOOST_TEST(got == "O");
    BOOST_TEST(waited.count() >= 130);
    BOOST_TEST(waited.count() < 5000);
    BOOST_TEST(t_wait([&] { return rs.closes.load() == 1; }));
    BOOST_TEST(one_message_codes(rs.port()) == "Oic");
}

// content_timeout: a message that trickles in (each header well within command_timeout) is cut
// off content_timeout after MAIL, without an end-of-message verdict.
BOOST_AUTO_TEST_CASE(content_timeout_bounds_a_trickling_message)
{
    running_server rs(timeouts(20s, 300ms, 400ms));
    BOOST_REQUIRE(!rs.srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    rs.start();
    asio::io_context ctx;
    tcp::socket sock(ctx);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), rs.port()));
    read_o_reply(sock);
    asio::write(sock, asio::buffer(frame('C', "client\0"s + "4\x00\x19"s + "127.0.0.1\0"s) +
                                   frame('M', "<a@example.com>\0"s)));
    auto const t0 = std::chrono::steady_clock::now();
    // A header every 100 ms for up to 3 s; the server must close long before.
    boost::system::error_code ec;
    for(int i = 0; i < 30 && !ec; ++i) {
        std::this_thread::sleep_for(100ms);
        asio::write(sock, asio::buffer(frame('L', "X-Slow\0 "s + std::to_string(i) + "\0"s)), ec);
        if(!ec && sock.available(ec) > 0)
            break; // EOF is waiting
    }
    auto const got = read_to_eof(sock);
    auto const waited = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(got.empty(), codes(got)); // no verdict
    BOOST_TEST_MESSAGE("closed " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                                 << " ms after MAIL");
    BOOST_TEST((waited >= 350ms));
    BOOST_TEST((waited < 2500ms));
    BOOST_TEST(rs.messages.load() == 0);
    BOOST_TEST(one_message_codes(rs.port()) == "Oic");
}

// A stage of an asynchronous driver that takes longer than its timeout (the Perl milter's stage
// alarm): progress frames are sent meanwhile, then the connection is closed so that the MTA
// applies its default action; the driver still finishes and the server goes on.
BOOST_AUTO_TEST_CASE(stage_timeout_closes_a_slow_driver)
{
    asio::io_context ioc;
    auto opts = timeouts(20s, 20s, 250ms);
    opts.progress_interval = 60ms;
    std::atomic<int> made{0};
    auto make = [&] {
        ++made;
        slow_driver d;
        d.delay = made.load() == 1 ? 3000ms : 10ms;
        return d;
    };
    milter::server<decltype(make)> srv(ioc.get_executor(), make, opts);
    BOOST_REQUIRE(!srv.listen(*milter::listen_address::parse("inet:0@127.0.0.1")));
    std::thread th([&] { ioc.run(); });
    auto const port = srv.tcp_endpoints().at(0).port();
    {
        asio::io_context ctx;
        tcp::socket sock(ctx);
        sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        read_o_reply(sock);
        auto const [got, waited] = stall_after(sock, frame('M', "<a@b>\0"s) + frame('E', ""));
        BOOST_TEST(got.size() >= 2u, got);
        BOOST_TEST(got == std::string(got.size(), 'p')); // progress, then EOF: no verdict
        BOOST_TEST(waited.count() >= 200);
        BOOST_TEST(waited.count() < 2500);
    }
    {
        asio::io_context ctx;
        tcp::socket sock(ctx);
        sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        auto const [got, waited] =
            stall_after(sock, optneg() + frame('M', "<a@b>\0"s) + frame('E', "") + frame('Q', ""));
        BOOST_TEST(got == "Oc"); // the next connection is served normally
    }
    srv.stop();
    th.join();
}

BOOST_AUTO_TEST_CASE(tcp_sockets_get_nodelay)
{
    asio::io_context ctx;
    tcp::acceptor acc(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(ctx);
    client.connect(acc.local_endpoint());
    tcp::socket served = acc.accept();
    tcp::no_delay before;
    served.get_option(before);
    BOOST_TEST(!before.value());
    milter::tune_socket(served);
    tcp::no_delay after;
    served.get_option(after);
    BOOST_TEST(after.value());
}

BOOST_AUTO_TEST_SUITE_END()
