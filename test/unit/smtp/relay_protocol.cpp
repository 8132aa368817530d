// Test that header file is self-contained.
#include <authmilter/smtp/relay_protocol.hpp>

#include <boost/test/unit_test.hpp>

namespace smtp = authmilter::smtp;

namespace {

// Plays the next hop: `replies` are answered in order to each step that reads one. Returns the
// transcript of what the protocol wrote ("MSG" for the message).
std::string
converse(smtp::relay_protocol& p, std::vector<std::string> const& replies)
{
    std::string out;
    std::size_t next = 0;
    smtp::reply_reader reader;
    for(int guard = 0; guard < 100; ++guard) {
        switch(p.next()) {
        case smtp::relay_protocol::action::done: return out;
        case smtp::relay_protocol::action::write_command:
        case smtp::relay_protocol::action::write_quit:
            out += p.command();
            p.sent();
            break;
        case smtp::relay_protocol::action::write_message:
            out += "MSG\r\n";
            p.sent();
            break;
        case smtp::relay_protocol::action::read_reply: {
            if(next == replies.size()) {
                p.failed("connection closed");
                break;
            }
            reader.feed(replies[next++]);
            smtp::reply r;
            BOOST_REQUIRE((reader.next(r) == smtp::reply_reader::status::complete));
            p.on_reply(r);
            break;
        }
        }
    }
    BOOST_FAIL("conversation did not end");
    return out;
}

smtp::relay_request
request()
{
    smtp::relay_request q;
    q.mail_argument = "<a@example.org> SIZE=10";
    q.rcpt_arguments = {"<b@example.net>", "<c@example.net>"};
    q.xforward.name = "mail.example.org";
    q.xforward.addr = "2001:db8::1";
    q.xforward.helo = "helo name";
    q.xforward.ident = "UP1";
    return q;
}

std::string const ehlo_xforward = "250-next.example\r\n250-PIPELINING\r\n250 XFORWARD NAME ADDR HELO\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(smtp_relay_protocol)

BOOST_AUTO_TEST_CASE(delivers_with_the_offered_xforward_attributes)
{
    auto const q = request();
    smtp::relay_protocol p("filter.example", q);
    auto const t =
        converse(p, {"220 next.example ESMTP\r\n", ehlo_xforward, "250 2.0.0 Ok\r\n", "250 2.0.0 Ok\r\n",
                     "250 2.0.0 Ok\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "250 2.1.5 Ok\r\n",
                     "354 go\r\n", "250 2.0.0 Ok: queued as 4ZabC12\r\n", "221 bye\r\n"});
    BOOST_TEST(t == "EHLO filter.example\r\nXFORWARD NAME=mail.example.org\r\nXFORWARD ADDR=2001:db8::1\r\n"
                    "XFORWARD HELO=helo+20name\r\nMAIL FROM:<a@example.org> SIZE=10\r\n"
                    "RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\nMSG\r\nQUIT\r\n");
    BOOST_TEST(p.offers_xforward());
    BOOST_TEST(p.outcome().delivered);
    BOOST_TEST(p.outcome().queue_id == "4ZabC12");
    BOOST_TEST(p.outcome().answer.enhanced == "2.0.0");
}

BOOST_AUTO_TEST_CASE(no_xforward_when_not_offered_and_helo_fallback)
{
    auto const q = request();
    smtp::relay_protocol p("filter.example", q);
    auto const t = converse(p, {"220 x\r\n", "502 no\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n",
                                "250 ok\r\n", "354 go\r\n", "250 ok\r\n"});
    BOOST_TEST(t == "EHLO filter.example\r\nHELO filter.example\r\nMAIL FROM:<a@example.org> SIZE=10\r\n"
                    "RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\nMSG\r\nQUIT\r\n");
    BOOST_TEST(p.outcome().delivered);
    BOOST_TEST(p.outcome().queue_id.empty());
}

BOOST_AUTO_TEST_CASE(refusals_are_passed_on_and_never_delivered)
{
    auto const q = request();
    auto outcome = [&](std::vector<std::string> replies) {
        smtp::relay_protocol p("f", q);
        converse(p, replies);
        return p.outcome();
    };
    auto o = outcome({"554 5.3.2 go away\r\n"});
    BOOST_TEST(!o.delivered);
    BOOST_TEST(o.answer.to_string() == "554 5.3.2 go away\r\n");
    o = outcome({"421 4.3.2 shutting down\r\n"}); // its closing is not ours
    BOOST_TEST(o.answer.to_string() == "451 4.3.2 shutting down\r\n");
    o = outcome({"220 x\r\n", "250 x\r\n", "452 4.3.1 full\r\n"});
    BOOST_TEST(o.answer.to_string() == "452 4.3.1 full\r\n");
    // Every recipient refused permanently: the first refusal.
    o = outcome({"220 x\r\n", "250 x\r\n", "250 ok\r\n", "550 5.1.1 no b\r\n", "550 5.1.1 no c\r\n"});
    BOOST_TEST(o.answer.to_string() == "550 5.1.1 no b\r\n");
    // Some refused: the whole message is deferred.
    o = outcome({"220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n", "550 5.1.1 no c\r\n"});
    BOOST_TEST(!o.delivered);
    BOOST_TEST(o.answer.code == 451);
    o = outcome({"220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
                 "554 5.7.1 content\r\n"});
    BOOST_TEST(o.answer.to_string() == "554 5.7.1 content\r\n");
    // The connection closes before the answer to the end of data: 451, not delivered.
    o = outcome({"220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"});
    BOOST_TEST(!o.delivered);
    BOOST_TEST(o.answer.to_string() == "451 4.4.2 Next hop failed: connection closed\r\n");
    o = outcome({"220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "250 not 354\r\n"});
    BOOST_TEST(o.answer.code == 451);
}

BOOST_AUTO_TEST_CASE(reply_reader_at_every_split)
{
    std::string const wire = "250-first\r\n250-2.0.0 second\r\n250 2.0.0 last\r\n221 2.0.0 Bye\r\n";
    for(std::size_t i = 0; i <= wire.size(); ++i) {
        smtp::reply_reader rd;
        std::vector<smtp::reply> got;
        for(auto piece : {wire.substr(0, i), wire.substr(i)}) {
            rd.feed(piece);
            smtp::reply r;
            while(rd.next(r) == smtp::reply_reader::status::complete)
                got.push_back(r);
        }
        BOOST_REQUIRE_EQUAL(got.size(), 2u);
        BOOST_TEST(got[0].code == 250);
        BOOST_TEST(got[0].lines.size() == 3u);
        BOOST_TEST(got[1].to_string() == "221 2.0.0 Bye\r\n");
    }
    smtp::reply_reader bad;
    bad.feed("25x oops\r\n");
    smtp::reply r;
    BOOST_TEST((bad.next(r) == smtp::reply_reader::status::error));
    smtp::reply_reader mixed;
    mixed.feed("250-a\r\n251 b\r\n");
    BOOST_TEST((mixed.next(r) == smtp::reply_reader::status::error));
}

BOOST_AUTO_TEST_CASE(dot_stuffing)
{
    std::string const in = ".a\r\nb\r\n..c\r\n.\r\nd";
    std::string const expected = "..a\r\nb\r\n...c\r\n..\r\nd\r\n.\r\n";
    for(std::size_t i = 0; i <= in.size(); ++i) {
        smtp::dot_stuffer s;
        std::string out;
        s.stuff(in.substr(0, i), out);
        s.stuff(in.substr(i), out);
        s.finish(out);
        BOOST_TEST(out == expected);
    }
    smtp::dot_stuffer e;
    std::string out;
    e.finish(out);
    BOOST_TEST(out == ".\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
