// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/add_id.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/smtp/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <dirent.h>

namespace smtp = authmilter::smtp;
namespace pl = authmilter::pipeline;
namespace core = authmilter::core;

namespace {

// A handler whose verdicts are steered by the message: MAIL FROM local parts and an
// X-Test-Verdict header. It records what it saw for the tests to check.
struct steer_handler {
    static constexpr std::string_view name = "Steer";
    struct state {
        std::size_t headers = 0;
        std::size_t body_bytes = 0;
        std::size_t body_calls = 0;
        std::string verdict;
        bool eoh = false;
    };
    void on_connect(auto& ctx, pl::events::connect const& ev) const
    {
        if(ev.ip)
            ctx.add_connection_result(authmilter::authres::result("x-client", ev.ip->to_string()));
    }
    void on_envfrom(auto& ctx, pl::events::envfrom const& ev) const
    {
        if(ev.address.starts_with("reject@"))
            ctx.set_verdict(pl::verdict::reject(550, "5.7.1", "Sender refused"));
        if(ev.address.starts_with("defer@"))
            ctx.set_verdict(pl::verdict::tempfail(451, "4.7.1", "Sender deferred"));
    }
    void on_envrcpt(auto& ctx, pl::events::envrcpt const& ev) const
    {
        if(ev.address.starts_with("refuse@"))
            ctx.set_verdict(pl::verdict::reject(550, "5.1.1", "No such user"));
    }
    void on_header(auto& ctx, pl::events::header const& ev) const
    {
        ++ctx.state().headers;
        if(ev.field.is("X-Test-Verdict"))
            ctx.state().verdict = ev.field.unfolded();
    }
    boost::asio::awaitable<void> on_eoh(auto& ctx, pl::events::eoh const&) const
    {
        ctx.state().eoh = true;
        co_return;
    }
    void on_body(auto& ctx, pl::events::body const& ev) const
    {
        ctx.state().body_bytes += ev.chunk.size();
        ++ctx.state().body_calls;
    }
    boost::asio::awaitable<void> on_eom(auto& ctx, pl::events::eom const&) const
    {
        auto const& s = ctx.state();
        ctx.add_result(authmilter::authres::result("x-test", s.eoh ? "pass" : "fail")
                           .add_comment(std::to_string(s.headers) + " headers " +
                                        std::to_string(s.body_bytes) + " body"));
        if(s.verdict == "reject")
            ctx.set_verdict(pl::verdict::reject(554, "5.7.9", "Content refused"));
        else if(s.verdict == "tempfail")
            ctx.set_verdict(pl::verdict::tempfail());
        else if(s.verdict == "discard")
            ctx.set_verdict(pl::verdict::discard());
        else if(s.verdict == "quarantine")
            ctx.set_verdict(pl::verdict::quarantine("held for review"));
        co_return;
    }
};

using test_pipeline = pl::pipeline<steer_handler, authmilter::handlers::add_id_handler>;
using sinks_type = authmilter::sinks::sink_set<authmilter::sinks::authres_sink>;

// The next hop, scripted: records every request and answers as told.
struct fake_relay {
    enum class mode { deliver, refuse, defer, fail } how = mode::deliver;
    std::vector<std::string> messages; // header text + "\r\n" + body of each delivered request
    std::vector<smtp::relay_request> requests;

    boost::asio::awaitable<smtp::relay_outcome> deliver(smtp::relay_request const& req)
    {
        requests.push_back(req);
        requests.back().body = nullptr;
        smtp::relay_outcome o;
        switch(how) {
        case mode::deliver:
            messages.push_back(req.header_text + "\r\n" + (req.body ? req.body->contents() : ""));
            o.delivered = true;
            o.answer = smtp::reply(250, "2.0.0", "Ok: queued as NEXT1");
            o.queue_id = "NEXT1";
            break;
        case mode::refuse: o.answer = smtp::reply(554, "5.7.1", "next hop says no"); break;
        case mode::defer: o.answer = smtp::reply(452, "4.3.1", "next hop full"); break;
        case mode::fail: o.answer = smtp::reply(451, "4.4.2", "Next hop failed: connection closed"); break;
        }
        co_return o;
    }
};

struct harness {
    test_pipeline p;
    authmilter::dns::zone_resolver r;
    sinks_type sinks{authmilter::sinks::authres_sink({"test.example", {}})};
    fake_relay relay;
    smtp::session_options opts;
    smtp::peer_info peer{core::ip_address::parse("192.0.2.7"), 40000};

    harness()
    {
        opts.server_name = "filter.example";
        opts.queue_id_seed = 42;
    }

    // Runs a whole conversation fed in `pieces`; returns everything the session wrote.
    std::string run(std::vector<std::string_view> const& pieces, bool close_at_end = true)
    {
        relay.messages.clear();
        relay.requests.clear();
        boost::asio::io_context io;
        std::string out;
        smtp::session<test_pipeline, authmilter::dns::zone_resolver, sinks_type, fake_relay> s(
            p, r, sinks, relay, opts, peer);
        out += s.greeting();
        bool done = false;
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                for(auto piece : pieces)
                    co_await s.on_input(piece, out);
                if(close_at_end)
                    co_await s.on_close();
                done = true;
            },
            boost::asio::detached);
        io.run();
        BOOST_TEST(done);
        return out;
    }

    // The conversation at every two-piece split gives the same replies and relayed messages.
    std::string ground(std::string_view input)
    {
        auto const whole = run({input});
        auto const messages = relay.messages;
        for(std::size_t i = 0; i <= input.size(); ++i) {
            auto const t = run({input.substr(0, i), input.substr(i)});
            BOOST_TEST(t == whole, "split at " << i);
            auto const a = strip_received(relay.messages), b = strip_received(messages);
            BOOST_TEST(a == b, "split at " << i);
        }
        run({input});
        return whole;
    }

    // Received fields carry a queue id and a date that differ between runs.
    static std::vector<std::string> strip_received(std::vector<std::string> v)
    {
        for(auto& m : v)
            if(m.starts_with("Received:"))
                m.erase(0, m.find("\r\n", m.find("+0000")) + 2);
        return v;
    }
};

std::string const hello = "EHLO mta.example\r\n";
std::string const envelope = "MAIL FROM:<alice@example.org> SIZE=100\r\nRCPT TO:<bob@example.net>\r\n";

// Replies without the queue ids (random).
std::string
codes(std::string const& out)
{
    std::string s;
    std::size_t pos = 0;
    while(pos < out.size()) {
        auto const nl = out.find("\r\n", pos);
        auto line = out.substr(pos, nl - pos);
        if(line.size() >= 4 && line[3] == ' ')
            s += line.substr(0, 3) + " ";
        pos = nl + 2;
    }
    return s;
}

// A handler whose end of headers waits 30 s when the message has an X-Stall field (a DNS
// lookup that never comes back).
struct stall_handler {
    static constexpr std::string_view name = "Stall";
    struct state {
        bool stall = false;
    };
    void on_header(auto& ctx, pl::events::header const& ev) const
    {
        if(ev.field.is("X-Stall"))
            ctx.state().stall = true;
    }
    boost::asio::awaitable<void> on_eoh(auto& ctx, pl::events::eoh const&) const
    {
        if(!ctx.state().stall)
            co_return;
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::seconds(30));
        co_await t.async_wait(boost::asio::use_awaitable);
    }
};
using stall_pipeline = pl::pipeline<stall_handler, authmilter::handlers::add_id_handler>;

} // namespace

BOOST_AUTO_TEST_SUITE(smtp_session)

BOOST_AUTO_TEST_CASE(content_timeout_bounds_a_stalled_handler)
{
    for(bool const tempfail_on_error : {true, false}) {
        stall_pipeline p;
        auto policy = p.get_error_policy();
        policy.tempfail_on_error = tempfail_on_error;
        p.set_error_policy(policy);
        authmilter::dns::zone_resolver r;
        sinks_type sinks{authmilter::sinks::authres_sink({"test.example", {}})};
        fake_relay relay;
        smtp::session_options opts;
        opts.server_name = "filter.example";
        opts.content_timeout = std::chrono::milliseconds(200);
        std::vector<std::string> logged;
        opts.log = [&](std::string_view l) { logged.emplace_back(l); };
        smtp::session<stall_pipeline, authmilter::dns::zone_resolver, sinks_type, fake_relay> s(
            p, r, sinks, relay, opts, smtp::peer_info{core::ip_address::parse("192.0.2.7"), 40000});
        boost::asio::io_context io;
        std::string out;
        bool done = false;
        auto const start = std::chrono::steady_clock::now();
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                co_await s.on_input(hello + envelope + "DATA\r\nX-Stall: yes\r\n\r\nbody\r\n.\r\n", out);
                // The next message on the connection has its own, fresh deadline.
                co_await s.on_input(envelope + "DATA\r\nSubject: quick\r\n\r\nbody\r\n.\r\nQUIT\r\n", out);
                done = true;
            },
            boost::asio::detached);
        io.run_for(std::chrono::seconds(10));
        BOOST_TEST(done);
        BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
        BOOST_TEST(std::count_if(logged.begin(), logged.end(), [](auto const& l) {
                       return l.find("content_timeout at eoh") != std::string::npos;
                   }) == 1);
        if(tempfail_on_error) {
            // Nothing relayed, the upstream keeps the message.
            BOOST_TEST(codes(out) == "250 250 250 354 451 250 250 354 250 221 ", out);
            BOOST_REQUIRE_EQUAL(relay.messages.size(), 1u);
            BOOST_TEST(relay.messages[0].find("Subject: quick") != std::string::npos);
        } else {
            // The error is ignored, as the Perl tool with tempfail_on_error 0: relayed.
            BOOST_TEST(codes(out) == "250 250 250 354 250 250 250 354 250 221 ", out);
            BOOST_TEST(relay.messages.size() == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(ehlo_advertises_the_extensions)
{
    harness h;
    auto const out = h.run({"EHLO mta.example\r\nHELO mta.example\r\nQUIT\r\n"});
    BOOST_TEST(out == "220 filter.example ESMTP AuthenticationMilter\r\n"
                      "250-filter.example\r\n250-PIPELINING\r\n250-SIZE\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
                      "250-ENHANCEDSTATUSCODES\r\n250 XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n"
                      "250 filter.example Hi mta.example\r\n221 2.0.0 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(pipelined_message_is_relayed_with_headers_at_every_split)
{
    harness h;
    auto const out = h.ground(hello +
                              "XFORWARD NAME=mail.example.org ADDR=198.51.100.9 HELO=outside.example\r\n"
                              "XFORWARD IDENT=UP123 PROTO=ESMTP\r\n" +
                              envelope +
                              "DATA\r\nFrom: alice@example.org\r\nSubject: hello\r\n  folded\r\n\r\n"
                              "body line\r\n..dotted\r\n.\r\nQUIT\r\n");
    BOOST_TEST(codes(out) == "220 250 250 250 250 250 354 250 221 ");
    BOOST_TEST(out.find("(next hop queued as NEXT1)") != std::string::npos);
    BOOST_REQUIRE_EQUAL(h.relay.messages.size(), 1u);
    auto const& m = h.relay.messages[0];
    // Our Received first, then the A-R header, the original fields, AddID's field last.
    BOOST_TEST(m.starts_with("Received: from mta.example (192.0.2.7 [192.0.2.7])\r\n"
                             "    by filter.example (Authentication Milter) with ESMTP\r\n    id "));
    auto const ar = m.find("\r\nAuthentication-Results: test.example;");
    BOOST_TEST(ar != std::string::npos);
    BOOST_TEST(m.find("x-client=198.51.100.9") != std::string::npos);
    BOOST_TEST(m.find("x-test=pass (2 headers 20 body)") != std::string::npos);
    BOOST_TEST(m.find(".UP123;") != std::string::npos); // after-queue: upstream id in our queue id
    BOOST_TEST(m.substr(m.find("From: alice"))
                   .starts_with("From: alice@example.org\r\nSubject: hello\r\n  folded\r\n"
                                "X-Authentication-Milter: Header added by Authentication Milter\r\n\r\nbody "
                                "line\r\n.dotted\r\n"));
    auto const& req = h.relay.requests[0];
    BOOST_TEST(req.mail_argument == "<alice@example.org> SIZE=100");
    BOOST_TEST(req.rcpt_arguments == std::vector<std::string>{"<bob@example.net>"});
    BOOST_TEST(*req.xforward.helo == "outside.example");
    BOOST_TEST(*req.xforward.ident == "UP123");
}

BOOST_AUTO_TEST_CASE(verdicts_map_to_replies)
{
    harness h;
    auto msg = [](std::string verdict) {
        return hello + envelope + "DATA\r\nX-Test-Verdict: " + verdict + "\r\n\r\nx\r\n.\r\n";
    };
    auto out = h.ground(msg("reject"));
    BOOST_TEST(out.find("554 5.7.9 Content refused\r\n") != std::string::npos);
    BOOST_TEST(h.relay.requests.empty());
    out = h.run({msg("tempfail")});
    BOOST_TEST(out.find("451 4.7.1 Try again later\r\n") != std::string::npos);
    BOOST_TEST(h.relay.requests.empty());
    out = h.run({msg("discard")});
    BOOST_TEST(codes(out) == "220 250 250 250 354 250 ");
    BOOST_TEST(out.find("(discarded)") != std::string::npos);
    BOOST_TEST(h.relay.requests.empty());
    out = h.run({msg("quarantine")});
    BOOST_TEST(codes(out) == "220 250 250 250 354 250 ");
    BOOST_REQUIRE_EQUAL(h.relay.messages.size(), 1u);
    BOOST_TEST(h.relay.messages[0].find("\r\nX-Disposition-Quarantine: held for review\r\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(envelope_verdicts_and_sequence_errors)
{
    harness h;
    auto out = h.ground(hello + "MAIL FROM:<reject@example.org>\r\nRCPT TO:<a@b.example>\r\n"
                                "MAIL FROM:<defer@example.org>\r\nMAIL FROM:<ok@example.org>\r\n"
                                "RCPT TO:<refuse@b.example>\r\nRCPT TO:<a@b.example>\r\nDATA\r\nRSET\r\n"
                                "DATA\r\nRCPT TO:<a@b.example>\r\nQUIT\r\n");
    BOOST_TEST(codes(out) == "220 250 550 503 451 250 550 550 550 250 503 503 221 ");
    BOOST_TEST(out.find("550 5.7.1 Sender refused") != std::string::npos);
    BOOST_TEST(out.find("550 5.1.1 No such user") != std::string::npos);
    out = h.run({"MAIL FROM:<a@b.example>\r\nVRFY x\r\nEHLO\r\nDATA now\r\nEHLO x\r\nMAIL FROM:<a@b\r\n"
                 "MAIL FROM:<a@b> BODY=BINARYMIME\r\nMAIL FROM <a@b>\r\n"});
    BOOST_TEST(codes(out) == "220 503 502 501 503 250 501 555 501 ");
    out = h.run({hello + "MAIL FROM:<a@example.org>\r\nDATA\r\nMAIL FROM:<b@example.org>\r\n"});
    BOOST_TEST(codes(out) == "220 250 250 554 503 ");
    BOOST_TEST(out.find("503 5.5.1 Nested MAIL Command") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(next_hop_failures_are_never_acknowledged)
{
    harness h;
    auto const msg = hello + envelope + "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
    h.relay.how = fake_relay::mode::refuse;
    BOOST_TEST(h.ground(msg).find("554 5.7.1 next hop says no\r\n") != std::string::npos);
    h.relay.how = fake_relay::mode::defer;
    BOOST_TEST(h.run({msg}).find("452 4.3.1 next hop full\r\n") != std::string::npos);
    h.relay.how = fake_relay::mode::fail;
    auto const out = h.run({msg});
    BOOST_TEST(codes(out) == "220 250 250 250 354 451 221 ");
}

BOOST_AUTO_TEST_CASE(upstream_closing_mid_data_relays_nothing)
{
    harness h;
    auto const out = h.run({hello + envelope + "DATA\r\nSubject: x\r\n\r\npartial"});
    BOOST_TEST(codes(out) == "220 250 250 250 354 ");
    BOOST_TEST(h.relay.requests.empty());
}

BOOST_AUTO_TEST_CASE(faults_in_data_get_5xx_and_the_session_goes_on)
{
    harness h;
    h.opts.limits.max_message_size = 64;
    auto out =
        h.ground(hello + "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nA: b\r\n\r\n" +
                 std::string(100, 'x') + "\r\n.\r\nMAIL FROM:<a@example.org> SIZE=65\r\nQUIT\r\n");
    BOOST_TEST(codes(out) == "220 250 250 250 354 552 552 221 ");
    BOOST_TEST(h.relay.requests.empty());
    h.opts.limits.max_message_size = 0;
    out = h.ground(hello + envelope + "DATA\r\nA: b\r\n\r\nx\n.\nstill data\r\n.\r\nNOOP\r\n");
    BOOST_TEST(codes(out) == "220 250 250 250 354 554 250 ");
    BOOST_TEST(h.relay.requests.empty());
    out = h.run({"NOOP\nNOOP\r\n"});
    BOOST_TEST(codes(out) == "220 500 250 ");
}

BOOST_AUTO_TEST_CASE(message_without_body_or_blank_line)
{
    harness h;
    h.ground(hello + envelope + "DATA\r\nSubject: only\r\n.\r\n");
    BOOST_REQUIRE_EQUAL(h.relay.messages.size(), 1u);
    BOOST_TEST(h.relay.messages[0].ends_with("Subject: only\r\nX-Authentication-Milter: Header added by "
                                             "Authentication Milter\r\n\r\n"));
    h.ground(hello + envelope + "DATA\r\nSubject: s\r\nnot a header line\r\n.\r\n");
    BOOST_TEST(h.relay.messages[0].ends_with("Milter\r\n\r\nnot a header line\r\n"));
}

BOOST_AUTO_TEST_CASE(pipeline_limit_counts_transactions)
{
    harness h;
    h.opts.pipeline_limit = 1;
    auto const out = h.run({hello + envelope + "DATA\r\n\r\nx\r\n.\r\n" + envelope});
    BOOST_TEST(codes(out) == "220 250 250 250 354 250 421 ");
    BOOST_TEST(out.ends_with("421 4.3.2 Pipeline limit reached\r\n"));
}

BOOST_AUTO_TEST_CASE(large_messages_spool_and_reach_handlers_in_chunks)
{
    harness h;
    char tmpl[] = "/tmp/authmilter-smtp-test-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    h.opts.temp_dir = tmpl;
    h.opts.chunk_limit = 1000;
    std::string body;
    for(int i = 0; i < 500; ++i)
        body += "line " + std::to_string(i) + " of the body, long enough to matter\r\n";
    auto const out = h.run({hello + envelope + "DATA\r\nSubject: big\r\n\r\n", body, ".\r\nQUIT\r\n"});
    BOOST_TEST(codes(out) == "220 250 250 250 354 250 221 ");
    BOOST_REQUIRE_EQUAL(h.relay.messages.size(), 1u);
    BOOST_TEST(h.relay.messages[0].ends_with("\r\n\r\n" + body));
    BOOST_TEST(h.relay.messages[0].find("x-test=pass (1 headers " + std::to_string(body.size()) + " body)") !=
               std::string::npos);
    // The spool file had no name at any time: the directory is still empty.
    DIR* d = ::opendir(tmpl);
    BOOST_REQUIRE(d != nullptr);
    int entries = 0;
    while(auto* e = ::readdir(d))
        if(std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
            ++entries;
    ::closedir(d);
    BOOST_TEST(entries == 0);
    ::rmdir(tmpl);
}

BOOST_AUTO_TEST_CASE(message_store_spools_past_its_limit)
{
    smtp::message_store mem(10, "");
    BOOST_TEST(!mem.append(std::string(100, 'a')));
    BOOST_TEST(!mem.spooled());
    smtp::message_store s(10, "/tmp");
    BOOST_TEST(!s.append("12345"));
    BOOST_TEST(!s.spooled());
    BOOST_TEST(!s.append("6789012345"));
    BOOST_TEST(s.spooled());
    BOOST_TEST(s.memory_used() == 0u);
    BOOST_TEST(s.contents() == "123456789012345");
    smtp::message_store bad(1, "/nonexistent-dir-for-test");
    BOOST_TEST(!!bad.append("toolong"));
}

BOOST_AUTO_TEST_CASE(verdict_reply_defaults)
{
    BOOST_TEST(smtp::verdict_reply(pl::verdict::reject(450, "4.1.1", "x")).to_string() == "550 5.7.0 x\r\n");
    BOOST_TEST(smtp::verdict_reply(pl::verdict::tempfail(421, "4.3.2", "")).to_string() ==
               "421 4.3.2 Message deferred\r\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(smtp_session_random)

// Random conversations from a vocabulary of good and bad pieces: the replies do not depend on
// how the bytes were split, and nothing throws.
BOOST_AUTO_TEST_CASE(random_scripts_are_split_invariant)
{
    static char const* const pieces[] = {"EHLO a.example\r\n",
                                         "HELO b\r\n",
                                         "MAIL FROM:<x@example.org>\r\n",
                                         "MAIL FROM:<reject@example.org>\r\n",
                                         "RCPT TO:<y@example.net>\r\n",
                                         "RCPT TO:<refuse@example.net>\r\n",
                                         "DATA\r\n",
                                         "RSET\r\n",
                                         "NOOP\r\n",
                                         "XFORWARD ADDR=192.0.2.9 NAME=n\r\n",
                                         "XFORWARD BAD\r\n",
                                         "Subject: s\r\n",
                                         "\r\n",
                                         ".\r\n",
                                         "..x\r\n",
                                         "body\r\n",
                                         "bare\n",
                                         "\r",
                                         "X-Test-Verdict: reject\r\n",
                                         "X-Test-Verdict: discard\r\n",
                                         " folded\r\n",
                                         "VRFY\r\n",
                                         "MAIL FROM:<x@example.org> SIZE=9\r\n",
                                         "QUIT\r\n"};
    harness h;
    h.opts.limits.max_message_size = 200;
    h.opts.limits.max_command_line = 40;
    h.opts.max_header_bytes = 60;
    h.opts.chunk_limit = 8;
    std::mt19937 rng(12345);
    for(int round = 0; round < 150; ++round) {
        std::string script;
        auto const n = rng() % 30;
        for(unsigned i = 0; i < n; ++i)
            script += pieces[rng() % std::size(pieces)];
        auto const whole = h.run({script});
        for(int k = 0; k < 4; ++k) {
            auto const cut = script.empty() ? 0 : rng() % script.size();
            auto const cut2 = cut + (script.size() - cut) / 2;
            std::string_view const sv(script);
            BOOST_TEST(h.run({sv.substr(0, cut), sv.substr(cut, cut2 - cut), sv.substr(cut2)}) == whole,
                       script);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
