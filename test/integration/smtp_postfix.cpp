// The SMTP filter between two real Postfix listeners, as deployed: a client -> Postfix smtpd
// (content_filter) -> smtp::server -> Postfix reinjection smtpd -> Postfix smtp -> a sink written
// here (the relayhost). One private Postfix instance on loopback ports, started from a temporary
// configuration directory and removed afterwards. Needs root (Postfix's master) and the Debian
// postfix package (scripts/install-deps.sh installs it).
//
// Checked: the delivered message carries our Received and Authentication-Results fields and the
// queue ids line up; a reject by a handler comes back as Postfix's bounce; with the next hop down
// the message stays queued in Postfix (deferred), never lost.
#define BOOST_TEST_MODULE integration_smtp_postfix
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/smtp/server.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace asio = boost::asio;
namespace smtp = authmilter::smtp;
namespace pl = authmilter::pipeline;
namespace fs = std::filesystem;
using asio::ip::tcp;

namespace {

// Adds an A-R entry, and rejects a message carrying `X-Test-Verdict: reject`.
struct verdict_handler {
    static constexpr std::string_view name = "Verdict";
    struct state {
        bool reject = false;
    };
    void on_header(auto& ctx, pl::events::header const& ev) const
    {
        if(ev.field.is("X-Test-Verdict") && ev.field.unfolded() == "reject")
            ctx.state().reject = true;
    }
    void on_eom(auto& ctx, pl::events::eom const&) const
    {
        ctx.add_result(authmilter::authres::result("x-postfix-test", "pass"));
        if(ctx.state().reject)
            ctx.set_verdict(pl::verdict::reject(554, "5.7.1", "Content refused by the test"));
    }
};

using test_pipeline = pl::pipeline<verdict_handler>;
using sinks_type = authmilter::sinks::sink_set<authmilter::sinks::authres_sink>;
using filter_server = smtp::server<test_pipeline, authmilter::dns::zone_resolver, sinks_type>;

std::uint16_t
free_port()
{
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::string
read_file(fs::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A private Postfix: smtpd on `front` with content_filter to the filter on `filter`, the
// reinjection smtpd on `reinject`, everything relayed to the sink on `sink`.
struct postfix_instance {
    fs::path dir;
    bool started = false;

    postfix_instance(std::uint16_t front, std::uint16_t filter, std::uint16_t reinject, std::uint16_t sink)
    {
        char tmpl[] = "/tmp/authmilter-postfix-XXXXXX";
        BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        ::chmod(tmpl, 0755); // the postfix user must reach the queue below it
        fs::create_directories(dir / "etc");
        fs::create_directories(dir / "queue");
        std::string const d = dir.string();
        std::ofstream(dir / "etc" / "main.cf")
            << "compatibility_level = 3.6\n"
            << "queue_directory = " << d << "/queue\n"
            << "data_directory = " << d << "/data\n"
            << "mail_owner = postfix\nsetgid_group = postdrop\n"
            << "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
            << "myhostname = pf.example\nmydomain = example\nmyorigin = pf.example\nmydestination =\n"
            << "mynetworks = 127.0.0.0/8\nrelayhost = [127.0.0.1]:" << sink << "\n"
            << "smtp_dns_support_level = disabled\n"
            << "maillog_file_prefixes = " << d << "\nmaillog_file = " << d << "/maillog\n"
            << "alias_maps =\nalias_database =\nlocal_recipient_maps =\n"
            << "smtpd_relay_restrictions = permit_mynetworks, reject\n"
            << "queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
            << "delay_warning_time = 0\n";
        std::ofstream(dir / "etc" / "master.cf")
            << "127.0.0.1:" << front
            << " inet n - n - - smtpd -o content_filter=authmilter:[127.0.0.1]:" << filter << "\n"
            << "127.0.0.1:" << reinject
            << " inet n - n - - smtpd -o content_filter= "
               "-o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters "
               "-o smtpd_authorized_xforward_hosts=127.0.0.0/8\n"
            << "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\n"
            << "rewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\n"
            << "defer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\nverify unix - - n - 1 verify\n"
            << "flush unix n - n 1000? 0 flush\nproxymap unix - - n - - proxymap\n"
            << "smtp unix - - n - - smtp\nrelay unix - - n - - smtp\nshowq unix n - n - - showq\n"
            << "error unix - - n - - error\nretry unix - - n - - error\ndiscard unix - - n - - discard\n"
            << "anvil unix - - n - 1 anvil\nscache unix - - n - 1 scache\n"
            << "postlog unix-dgram n - n - 1 postlogd\n"
            << "authmilter unix - - n - 10 smtp -o smtp_send_xforward_command=yes "
               "-o disable_mime_output_conversion=yes\n";
        started = std::system(("/usr/sbin/postfix -c " + d + "/etc start >/dev/null 2>&1").c_str()) == 0;
    }

    ~postfix_instance()
    {
        if(started)
            (void)std::system(
                ("/usr/sbin/postfix -c " + dir.string() + "/etc abort >/dev/null 2>&1").c_str());
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    std::string maillog() const { return read_file(dir / "maillog"); }

    std::size_t deferred_count() const
    {
        std::size_t n = 0;
        std::error_code ec;
        for(auto it = fs::recursive_directory_iterator(dir / "queue" / "deferred", ec);
            !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if(it->is_regular_file())
                ++n;
        return n;
    }
};

// The relayhost: accepts everything and keeps (recipient, message).
struct sink_server {
    tcp::acceptor acceptor;
    std::vector<std::pair<std::string, std::string>> messages;

    sink_server(asio::io_context& io, std::uint16_t port)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port))
    {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }

    asio::awaitable<void> accept_loop()
    {
        while(true) {
            auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if(ec)
                co_return;
            asio::co_spawn(acceptor.get_executor(), serve(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket sock)
    {
        using asio::as_tuple;
        using asio::use_awaitable;
        std::string buf, rcpt;
        auto say = [&](std::string s) -> asio::awaitable<void> {
            co_await asio::async_write(sock, asio::buffer(s), as_tuple(use_awaitable));
        };
        co_await say("220 sink.example ESMTP\r\n");
        while(true) {
            auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n",
                                                           as_tuple(use_awaitable));
            if(ec)
                co_return;
            std::string line = buf.substr(0, n - 2);
            buf.erase(0, n);
            if(line.starts_with("EHLO"))
                co_await say("250-sink.example\r\n250 8BITMIME\r\n");
            else if(line.starts_with("RCPT TO:")) {
                rcpt = line.substr(8);
                co_await say("250 2.1.5 Ok\r\n");
            } else if(line == "DATA") {
                co_await say("354 go ahead\r\n");
                auto [ec2, m] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n.\r\n",
                                                                as_tuple(use_awaitable));
                if(ec2)
                    co_return;
                messages.emplace_back(rcpt, buf.substr(0, m));
                buf.erase(0, m);
                co_await say("250 2.0.0 Ok: queued as SINK" + std::to_string(messages.size()) + "\r\n");
            } else if(line == "QUIT") {
                co_await say("221 2.0.0 Bye\r\n");
                co_return;
            } else
                co_await say("250 2.0.0 Ok\r\n");
        }
    }
};

// One SMTP conversation with Postfix, command by command; returns the last reply.
asio::awaitable<std::string>
submit(std::uint16_t port, std::string headers)
{
    using asio::as_tuple;
    using asio::use_awaitable;
    tcp::socket sock(co_await asio::this_coro::executor);
    auto [cec] = co_await sock.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                             as_tuple(use_awaitable));
    if(cec)
        co_return "connect failed: " + cec.message();
    std::string buf, last;
    auto read_reply = [&]() -> asio::awaitable<std::string> {
        while(true) {
            auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n",
                                                           as_tuple(use_awaitable));
            if(ec)
                co_return "read failed";
            std::string line = buf.substr(0, n - 2);
            buf.erase(0, n);
            if(line.size() < 4 || line[3] != '-')
                co_return line;
        }
    };
    last = co_await read_reply();
    for(std::string cmd :
        {"EHLO client.example", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", "DATA"}) {
        cmd += "\r\n";
        co_await asio::async_write(sock, asio::buffer(cmd), as_tuple(use_awaitable));
        last = co_await read_reply();
    }
    std::string msg = headers +
                      "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: postfix test\r\n\r\n"
                      "Hello through Postfix.\r\n.\r\n";
    co_await asio::async_write(sock, asio::buffer(msg), as_tuple(use_awaitable));
    last = co_await read_reply();
    std::string quit = "QUIT\r\n";
    co_await asio::async_write(sock, asio::buffer(quit), as_tuple(use_awaitable));
    co_await read_reply();
    co_return last;
}

// Waits (polling) until `done()` or the deadline.
asio::awaitable<bool>
wait_for(std::function<bool()> done, std::chrono::seconds limit)
{
    asio::steady_timer t(co_await asio::this_coro::executor);
    auto const end = std::chrono::steady_clock::now() + limit;
    while(!done()) {
        if(std::chrono::steady_clock::now() > end)
            co_return false;
        t.expires_after(std::chrono::milliseconds(200));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(postfix_content_filter_round_trip)
{
    BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "the Postfix test needs root (Postfix's master runs as root)");
    auto const front = free_port(), filter = free_port(), reinject = free_port(), sink_port = free_port();
    postfix_instance pf(front, filter, reinject, sink_port);
    BOOST_REQUIRE_MESSAGE(pf.started, "postfix did not start: " << pf.maillog());

    asio::io_context io;
    test_pipeline p;
    authmilter::dns::zone_resolver r;
    sinks_type sinks{authmilter::sinks::authres_sink({"filter.example", {}})};
    sink_server sink(io, sink_port);

    smtp::server_options o;
    o.smtp.relay.server_name = "filter.example";
    o.smtp.relay.sock_host = "127.0.0.1";
    o.smtp.relay.sock_port = reinject;
    o.smtp.relay.timeout_out = std::chrono::seconds(10);
    std::vector<std::string> filter_log;
    o.log = [&](std::string_view l) { filter_log.emplace_back(l); };
    auto srv = std::make_unique<filter_server>(io.get_executor(), p, r, sinks, o);
    authmilter::config::listen_address where;
    where.host = "127.0.0.1";
    where.port = filter;
    BOOST_REQUIRE(!srv->listen(where));

    bool finished = false;
    std::string step;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // 1. A message goes through and arrives with our fields.
            step = "deliver";
            auto const answer = co_await submit(front, "");
            BOOST_TEST(answer.starts_with("250 2.0.0 Ok: queued as"), answer);
            BOOST_TEST(co_await wait_for([&] { return sink.messages.size() == 1; }, std::chrono::seconds(40)),
                       "delivery: " << pf.maillog());
            if(sink.messages.size() == 1) {
                auto const& m = sink.messages[0].second;
                BOOST_TEST_MESSAGE("delivered:\n" << m);
                BOOST_TEST(m.find("Authentication-Results: filter.example;") != std::string::npos, m);
                BOOST_TEST(m.find("x-postfix-test=pass") != std::string::npos);
                BOOST_TEST(m.find("by filter.example (Authentication Milter) with ESMTP") !=
                           std::string::npos);
                // Our 250 names the reinjection queue id; that id is the one in Postfix's
                // Received field of the delivered copy.
                auto const log = pf.maillog();
                auto const at = log.find("(next hop queued as ");
                BOOST_TEST(at != std::string::npos, log);
                if(at != std::string::npos) {
                    auto const id = log.substr(at + 20, log.find(')', at) - at - 20);
                    BOOST_TEST(m.find("with ESMTP id " + id) != std::string::npos, id << "\n" << m);
                }
            }

            // 2. A handler's reject becomes Postfix's bounce to the sender.
            step = "reject";
            auto const answer2 = co_await submit(front, "X-Test-Verdict: reject\r\n");
            BOOST_TEST(answer2.starts_with("250"), answer2);
            BOOST_TEST(co_await wait_for([&] { return sink.messages.size() == 2; }, std::chrono::seconds(40)),
                       "bounce: " << pf.maillog());
            if(sink.messages.size() == 2) {
                BOOST_TEST(sink.messages[1].first == "<alice@example.org>");
                BOOST_TEST(sink.messages[1].second.find("Content refused by the test") != std::string::npos);
            }

            // 3. The next hop is down: the message stays in Postfix's queue.
            step = "outage";
            srv->stop();
            asio::steady_timer pause(io, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            auto dead = o;
            dead.smtp.relay.sock_port = free_port();
            srv = std::make_unique<filter_server>(io.get_executor(), p, r, sinks, dead);
            BOOST_REQUIRE(!srv->listen(where));
            auto const answer3 = co_await submit(front, "");
            BOOST_TEST(answer3.starts_with("250"), answer3);
            BOOST_TEST(co_await wait_for(
                           [&] {
                               auto const log = pf.maillog();
                               return log.find("status=deferred") != std::string::npos &&
                                      log.find("Next hop failed") != std::string::npos;
                           },
                           std::chrono::seconds(40)),
                       pf.maillog());
            BOOST_TEST(co_await wait_for([&] { return pf.deferred_count() == 1; }, std::chrono::seconds(10)));
            BOOST_TEST(sink.messages.size() == 2u);
            finished = true;
            srv->stop();
            sink.acceptor.close();
        },
        [&](std::exception_ptr e) {
            if(e)
                try {
                    std::rethrow_exception(e);
                } catch(std::exception const& x) {
                    BOOST_ERROR("scenario threw at " << step << ": " << x.what());
                }
        });
    io.run_for(std::chrono::seconds(150));
    BOOST_TEST(finished, "stopped at step " << step);
}
