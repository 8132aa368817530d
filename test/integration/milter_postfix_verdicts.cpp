// Every milter verdict through a real Postfix: a private instance (support/postfix.hpp) calls a
// milter::server running in this process (support/milter_verdict_server.hpp), whose handler picks
// the verdict from the recipient. The test speaks SMTP to Postfix and checks what the client is
// told and what happens to the mail: accepted and delivered with our header, rejected with our
// 5xx text (one line and two), deferred with our 4xx text, discarded (250 but never delivered),
// quarantined (250, kept in Postfix's hold queue). Needs root and Postfix.
#define BOOST_TEST_MODULE integration_milter_postfix_verdicts
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/milter_verdict_server.hpp"
#include "support/postfix.hpp"
#include "support/process.hpp"
#include "support/smtp_client.hpp"

namespace t = authmilter::test;
using namespace std::chrono_literals;

namespace {

t::smtp_message
message_to(std::string const& local, std::string const& marker)
{
    return {"client.example.test",
            "alice@example.test",
            {local + "@rcpt.example.test"},
            "X-Test-Marker: " + marker + "\r\nFrom: <alice@example.test>\r\nTo: <" + local +
                "@rcpt.example.test>\r\nSubject: " + marker + "\r\nMessage-ID: <" + marker +
                "@example.test>\r\n\r\nBody of " + marker + ".\r\n"};
}

/// The reply to the end of DATA (the last reply of the transaction, or the refusal).
t::smtp_reply
final_reply(t::smtp_transaction const& tr)
{
    return tr.accepted() ? tr.replies.back() : tr.refusal;
}

} // namespace

BOOST_AUTO_TEST_CASE(postfix_applies_every_milter_verdict)
{
    BOOST_REQUIRE_MESSAGE(::geteuid() == 0,
                          "this test starts a private Postfix instance and must run as root");
    BOOST_REQUIRE_MESSAGE(!t::find_program({"/usr/sbin/postfix"}).empty(),
                          "postfix is not installed: run scripts/install-deps.sh (Debian package 'postfix')");
    t::verdict_server milter;
    t::postfix_options po;
    po.milters = "inet:127.0.0.1:" + std::to_string(milter.port());
    t::postfix_instance postfix(po);
    auto send = [&](t::smtp_message const& m) {
        t::smtp_client c(postfix.smtpd_port(), 30s);
        return c.send(m);
    };
    auto context = [&] { return "\nmaillog:\n" + postfix.maillog(); };

    // Accepted: delivered, our field first among the fields the milter could see.
    {
        auto const tr = send(message_to("bob", "vd-accept"));
        BOOST_REQUIRE_MESSAGE(tr.accepted(), "refused: " << tr.refusal.text << context());
        auto const msg = postfix.wait_for_message("X-Test-Marker: vd-accept", 20s);
        BOOST_REQUIRE_MESSAGE(!msg.empty(), "not delivered" << context());
        auto const ar = msg.find("Authentication-Results: " + t::verdict_authserv_id + "; x-verdict=pass");
        BOOST_TEST(ar != std::string::npos, msg);
        BOOST_TEST(ar < msg.find("X-Test-Marker:"), msg);
        BOOST_TEST(msg.find("smtp.helo=client.example.test") != std::string::npos, msg);
        BOOST_TEST(msg.find("(queue id ") != std::string::npos, msg); // Postfix's {i} at end of message
    }
    // Rejected: the client sees our code, extended code and text; nothing is delivered.
    {
        auto const r = final_reply(send(message_to("reject", "vd-reject")));
        BOOST_TEST(r.code == 550, r.text);
        BOOST_TEST(r.text.find("550 5.7.1 " + t::verdict_reject_text) != std::string::npos,
                   r.text << context());
    }
    // A two-line refusal keeps both lines (and the literal %).
    {
        auto const r = final_reply(send(message_to("multiline", "vd-multiline")));
        BOOST_TEST(r.code == 550, r.text);
        BOOST_TEST(r.text.find("550-5.7.1 First line of the refusal\n") != std::string::npos,
                   r.text << context());
        BOOST_TEST(r.text.find("550 5.7.1 Second line, 100% ours\n") != std::string::npos, r.text);
    }
    // Tempfail: 4xx with our text.
    {
        auto const r = final_reply(send(message_to("tempfail", "vd-tempfail")));
        BOOST_TEST(r.code == 451, r.text);
        BOOST_TEST(r.text.find("451 4.7.1 " + t::verdict_tempfail_text) != std::string::npos,
                   r.text << context());
    }
    // Discard: the client is told 250, the mail is dropped.
    {
        auto const tr = send(message_to("discard", "vd-discard"));
        BOOST_TEST(tr.accepted(), tr.refusal.text << context());
        BOOST_TEST(final_reply(tr).code == 250);
    }
    // Quarantine: 250, the mail waits in the hold queue.
    {
        auto const tr = send(message_to("quarantine", "vd-quarantine"));
        BOOST_TEST(tr.accepted(), tr.refusal.text << context());
        BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return !postfix.held_queue_ids().empty(); }, 10s),
                              "nothing in the hold queue" << context());
        auto const ids = postfix.held_queue_ids();
        BOOST_TEST(ids.size() == 1u);
        auto const held = postfix.postcat(ids.front());
        BOOST_TEST(held.find("X-Test-Marker: vd-quarantine") != std::string::npos, held);
        BOOST_TEST(held.find("Authentication-Results: " + t::verdict_authserv_id) != std::string::npos, held);
        // Postfix logs the action but not the reason text ("milter triggers HOLD action").
        BOOST_TEST(postfix.maillog().find(ids.front() + ": milter-hold: END-OF-MESSAGE") != std::string::npos,
                   context());
    }
    // Nothing but the accepted message reached the mailbox (give the queue manager a moment).
    std::this_thread::sleep_for(1s);
    auto const delivered = postfix.messages();
    BOOST_TEST(delivered.size() == 1u);
    for(auto const* m : {"vd-reject", "vd-multiline", "vd-tempfail", "vd-discard", "vd-quarantine"})
        for(auto const& d : delivered)
            BOOST_TEST(d.find(std::string("X-Test-Marker: ") + m) == std::string::npos,
                       m << " was delivered");
    BOOST_TEST(milter.counters().messages.load() == 6);
    postfix.stop();
    BOOST_TEST(postfix.processes().empty());
}
