// Test that header file is self-contained.
#include <authmilter/milter/session.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "milter_test_util.hpp"

namespace milter = authmilter::milter;
namespace pf = authmilter::milter::protocol_flag;
namespace act = authmilter::milter::action;
using milter::test::frame;
using milter::test::u32;
using namespace std::string_literals;

namespace {

std::string
optneg(std::uint32_t version = 6, std::uint32_t actions = act::v6_mask, std::uint32_t protocol = pf::v6_mask)
{
    return frame('O', u32(version) + u32(actions) + u32(protocol));
}

// Splits milter replies into (command, payload) pairs.
std::vector<std::pair<char, std::string>>
replies(std::string_view out)
{
    std::vector<std::pair<char, std::string>> r;
    while(out.size() >= 5) {
        auto const len = milter::detail::get_u32(out.data());
        BOOST_REQUIRE(len >= 1 && out.size() >= 4 + len);
        r.emplace_back(out[4], std::string(out.substr(5, len - 1)));
        out.remove_prefix(4 + len);
    }
    BOOST_TEST(out.empty());
    return r;
}

std::string
codes(std::string_view out)
{
    std::string s;
    for(auto const& [c, p] : replies(out))
        s += c;
    return s;
}

// Records every callback; answers what the test tells it to. Header and body callbacks return
// void (the hot path never answers), so they are negotiated reply-less.
struct recorder {
    std::vector<std::string> log;
    milter::decision at_connect;
    milter::decision at_rcpt;
    milter::eom_result at_eom;

    milter::decision on_connect(milter::session_state const& ctx, milter::events::connect const& c)
    {
        log.push_back("connect " + std::string(c.hostname) + " " + std::string(c.address) +
                      " j=" + std::string(ctx.macros().host_name()));
        return at_connect;
    }
    milter::decision on_helo(milter::session_state const&, std::string_view name)
    {
        log.push_back("helo " + std::string(name));
        return {};
    }
    milter::decision on_envfrom(milter::session_state const& ctx, milter::events::mail const& m)
    {
        log.push_back("mail " + std::string(m.address()) +
                      " auth=" + std::string(ctx.macros().find("auth_authen").value_or("-")));
        return {};
    }
    milter::decision on_envrcpt(milter::session_state const&, milter::events::rcpt const& r)
    {
        log.push_back("rcpt " + std::string(r.address()));
        return at_rcpt;
    }
    void on_header(milter::session_state const&, std::string_view name, std::string_view value)
    {
        log.push_back("header " + std::string(name) + ":" + std::string(value));
    }
    void on_eoh(milter::session_state const&) { log.push_back("eoh"); }
    void on_body(milter::session_state const&, std::string_view chunk)
    {
        log.push_back("body " + std::to_string(chunk.size()));
    }
    milter::eom_result on_eom(milter::session_state const& ctx)
    {
        log.push_back("eom qid=" + std::string(ctx.macros().queue_id()) +
                      " rcpt_host=" + std::string(ctx.macros().find("{rcpt_host}").value_or("-")));
        return at_eom;
    }
    void on_abort(milter::session_state const&) { log.push_back("abort"); }
    void on_close(milter::session_state const&) { log.push_back("close"); }
};

// No connect callback, no macros wanted.
struct minimal {
    void on_helo(milter::session_state const&, std::string_view) {}
    void on_eoh(milter::session_state const&) {}
    static constexpr std::array<std::string_view, milter::macro_stage_count> milter_macros{};
};

static_assert(milter::requirements_for<recorder>().replies.contains(milter::stage::connect));
static_assert(!milter::requirements_for<recorder>().replies.contains(milter::stage::header));
static_assert(!milter::requirements_for<recorder>().stages.contains(milter::stage::data));

// Postfix: macros before each event (i at DATA and EOM), ABORT after EOM, two messages.
std::string
postfix_script()
{
    std::string s = optneg();
    s += frame('D', "Cj\0mx.example.net\0{daemon_name}\0smtpd\0"s);
    s += frame('C', "client.example.com\0"s + "4\x04\x01"s + "192.0.2.7\0"s);
    s += frame('D', "H"s);
    s += frame('H', "client.example.com\0"s);
    s += frame('D', "M{auth_authen}\0alice\0"s);
    s += frame('M', "<alice@example.com>\0SIZE=120\0"s);
    s += frame('D', "R{rcpt_host}\0example.org\0"s);
    s += frame('R', "<bob@example.org>\0"s);
    s += frame('D', "Ti\0QID1\0"s);
    s += frame('T', "");
    s += frame('L', "Received\0 from client\n\tby mx\0"s);
    s += frame('L', "From\0 alice@example.com\0"s);
    s += frame('N', "");
    s += frame('B', "hello\r\n");
    s += frame('D', "Ei\0QID1\0"s);
    s += frame('E', "");
    s += frame('A', "");
    s += frame('D', "M"s);
    s += frame('M', "<carol@example.com>\0"s);
    s += frame('R', "<dave@example.org>\0"s);
    s += frame('D', "Ti\0QID2\0"s);
    s += frame('T', "");
    s += frame('L', "From\0 carol@example.com\0"s);
    s += frame('N', "");
    s += frame('B', "x\r\n");
    s += frame('E', "");
    s += frame('A', "");
    s += frame('Q', "");
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(milter_session)

BOOST_AUTO_TEST_CASE(postfix_like_exchange)
{
    recorder h;
    h.at_eom.edits = {milter::header_edit::prepend("Authentication-Results", "mx.example.net; spf=pass"),
                      milter::header_edit::append("X-Authentication-Milter", "Header added")};
    milter::session<recorder> s(h);
    std::string out;
    BOOST_TEST(!s.feed(postfix_script(), out));
    BOOST_TEST(!s.finish());
    std::vector<std::string> const expected = {
        "connect client.example.com 192.0.2.7 j=mx.example.net",
        "helo client.example.com",
        "mail <alice@example.com> auth=alice",
        "rcpt <bob@example.org>",
        "header Received: from client\n\tby mx",
        "header From: alice@example.com",
        "eoh",
        "body 7",
        "eom qid=QID1 rcpt_host=example.org",
        "mail <carol@example.com> auth=-",
        "rcpt <dave@example.org>",
        "header From: carol@example.com",
        "eoh",
        "body 3",
        "eom qid=QID2 rcpt_host=-",
        "close",
    };
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());
    // Replies: O; connect, helo, mail, rcpt answered; DATA has no callback (reply-less);
    // header, EOH and body are void (reply-less); each EOM gets i, h, c.
    auto const r = replies(out);
    BOOST_TEST(codes(out) == "Occcc"
                             "ihc"
                             "cc"
                             "ihc");
    auto const& o = r[0].second;
    auto const protocol = milter::detail::get_u32(o.data() + 8);
    BOOST_TEST((protocol & pf::nr_header) != 0u);
    BOOST_TEST((protocol & pf::nr_body) != 0u);
    BOOST_TEST((protocol & pf::no_data) == 0u); // kept: the queue id macro comes with DATA
    BOOST_TEST((protocol & pf::nr_data) != 0u); // but nobody answers it
    BOOST_TEST((protocol & pf::nr_connect) == 0u);
    BOOST_TEST((protocol & pf::header_leading_space) != 0u);
    // With leading space agreed, our values start with a space; A-R goes to index 1.
    BOOST_TEST(r[5].second == "\0\0\0\x01"s + "Authentication-Results\0 mx.example.net; spf=pass\0"s);
    BOOST_TEST(r[6].second == "X-Authentication-Milter\0 Header added\0"s);
    BOOST_TEST(s.state().stats().messages == 2u);
    BOOST_TEST(s.state().stats().implicit_aborts == 0u);
}

// Sendmail: i at MAIL, no ABORT between messages, macros of message 1 must not leak.
BOOST_AUTO_TEST_CASE(sendmail_like_exchange_without_abort)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string script = optneg();
    script += frame('D', "Cj\0sendmail.example\0"s);
    script += frame('C', "[198.51.100.2]\0"s + "6\x00\x19"s + "IPv6:2001:db8::2\0"s);
    script += frame('H', "client\0"s);
    script += frame('D', "Mi\0S1\0"s);
    script += frame('M', "<a@example.com>\0"s);
    script += frame('D', "R{rcpt_host}\0one.example\0"s);
    script += frame('R', "<b@example.org>\0"s);
    script += frame('L', "Subject\0 one\0"s);
    script += frame('N', "");
    script += frame('E', "");
    script += frame('D', "Mi\0S2\0"s);
    script += frame('M', "<a@example.com>\0"s);
    script += frame('R', "<c@example.org>\0"s);
    script += frame('N', "");
    script += frame('E', "");
    script += frame('Q', "");
    std::string out;
    BOOST_TEST(!s.feed(script, out));
    std::vector<std::string> const expected = {
        "connect [198.51.100.2] IPv6:2001:db8::2 j=sendmail.example",
        "helo client",
        "mail <a@example.com> auth=-",
        "rcpt <b@example.org>",
        "header Subject: one",
        "eoh",
        "eom qid=S1 rcpt_host=one.example",
        "mail <a@example.com> auth=-",
        "rcpt <c@example.org>",
        "eoh",
        "eom qid=S2 rcpt_host=-",
        "close",
    };
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());
    BOOST_TEST(codes(out) == "Occcc"
                             "c"
                             "cc"
                             "c");
}

BOOST_AUTO_TEST_CASE(every_split_gives_the_same_conversation)
{
    auto const script = postfix_script();
    recorder ref;
    ref.at_eom.edits = {milter::header_edit::prepend("A", "1")};
    milter::session<recorder> whole(ref);
    std::string expected_out;
    BOOST_REQUIRE(!whole.feed(script, expected_out));
    for(std::size_t i = 0; i <= script.size(); ++i) {
        recorder h;
        h.at_eom = ref.at_eom;
        milter::session<recorder> s(h);
        std::string out;
        BOOST_TEST_REQUIRE(!s.feed(std::string_view(script).substr(0, i), out));
        BOOST_TEST_REQUIRE(!s.feed(std::string_view(script).substr(i), out));
        BOOST_TEST_REQUIRE(out == expected_out, "split at " << i);
        BOOST_TEST_REQUIRE(h.log == ref.log, "split at " << i);
    }
}

BOOST_AUTO_TEST_CASE(old_mta_gets_a_reply_to_every_command)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string script = optneg(2, act::v2_mask, pf::v2_mask);
    script += frame('C', "c\0"s + "4\x00\x19"s + "192.0.2.1\0"s);
    script += frame('H', "c\0"s);
    script += frame('M', "<a@b>\0"s);
    script += frame('R', "<c@d>\0"s);
    script += frame('L', "From\0a@b\0"s);
    script += frame('L', "To\0c@d\0"s);
    script += frame('N', "");
    script += frame('B', "x");
    script += frame('E', "");
    std::string out;
    BOOST_TEST(!s.feed(script, out));
    BOOST_TEST(codes(out) == "O"
                             "cccc"
                             "cc"
                             "c"
                             "c"
                             "c");
    // Version 2: our answer is version 2 with no NR flags and no macro lists.
    auto const r = replies(out);
    BOOST_TEST(milter::detail::get_u32(r[0].second.data()) == 2u);
    BOOST_TEST(r[0].second.size() == 12u);
    BOOST_TEST(!s.state().negotiation().leading_space());
}

BOOST_AUTO_TEST_CASE(verdicts_map_to_replies)
{
    recorder h;
    h.at_connect = milter::decision::continue_processing();
    h.at_rcpt = milter::decision::reject(550, "5.7.1", "No such user here");
    h.at_eom.verdict = milter::decision::tempfail(451, "4.7.26", "DNS timeout, try later");
    h.at_eom.quarantine_reason = "DMARC policy";
    milter::session<recorder> s(h);
    std::string script = optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) + frame('R', "<x@d>\0"s) +
                         frame('R', "<y@d>\0"s) + frame('N', "") + frame('E', "");
    std::string out;
    BOOST_TEST(!s.feed(script, out));
    auto const r = replies(out);
    BOOST_TEST(codes(out) == "Occyyqy");
    BOOST_TEST(r[3].second == "550 5.7.1 No such user here\0"s);
    BOOST_TEST(r[5].second == "DMARC policy\0"s);
    BOOST_TEST(r[6].second == "451 4.7.26 DNS timeout, try later\0"s);
    // Without a code: plain r/t; a code of the wrong class falls back to the plain reply.
    for(auto const& [d, c] :
        std::vector<std::pair<milter::decision, char>>{{milter::decision::reject(), 'r'},
                                                       {milter::decision::tempfail(), 't'},
                                                       {milter::decision::reject(451, "4.0.0", "x"), 'r'},
                                                       {milter::decision::discard(), 'd'},
                                                       {milter::decision::accept(), 'a'}}) {
        recorder h2;
        h2.at_eom.verdict = d;
        milter::session<recorder> s2(h2);
        std::string o;
        BOOST_TEST(!s2.feed(optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) + frame('E', ""), o));
        BOOST_TEST(codes(o) == "Occ"s + c);
    }
}

BOOST_AUTO_TEST_CASE(edit_order_on_the_wire)
{
    recorder h;
    h.at_eom.edits = {
        milter::header_edit::append("X-Last", "z"),
        milter::header_edit::prepend("ARC-Seal", "s"),
        milter::header_edit::remove("Authentication-Results", 2),
        milter::header_edit::prepend("Authentication-Results", "a"),
        milter::header_edit::insert(3, "X-Third", " already spaced"),
        milter::header_edit::change("Subject", 1, "new"),
    };
    milter::session<recorder> s(h);
    std::string out;
    BOOST_TEST(!s.feed(optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) + frame('E', ""), out));
    auto const r = replies(out);
    BOOST_TEST(codes(out) == "Occ"
                             "mmiiihc");
    BOOST_TEST(r[3].second == "\0\0\0\x02"s + "Authentication-Results\0\0"s);
    BOOST_TEST(r[4].second == "\0\0\0\x01"s + "Subject\0 new\0"s);
    // Prepends in reverse at index 1: the message then reads ARC-Seal, Authentication-Results.
    BOOST_TEST(r[5].second == "\0\0\0\x01"s + "Authentication-Results\0 a\0"s);
    BOOST_TEST(r[6].second == "\0\0\0\x01"s + "ARC-Seal\0 s\0"s);
    BOOST_TEST(r[7].second == "\0\0\0\x03"s + "X-Third\0 already spaced\0"s);
    BOOST_TEST(r[8].second == "X-Last\0 z\0"s);
}

BOOST_AUTO_TEST_CASE(edit_values_get_exactly_one_space)
{
    for(bool leadspc : {true, false}) {
        recorder h;
        h.at_eom.edits = {milter::header_edit::append("A", "x"), milter::header_edit::append("B", " y"),
                          milter::header_edit::append("C", ""), milter::header_edit::append("D", "\tz")};
        milter::session<recorder> s(h);
        std::string out;
        auto const protocol = leadspc ? pf::v6_mask : pf::v6_mask & ~pf::header_leading_space;
        BOOST_TEST(!s.feed(optneg(6, act::v6_mask, protocol) + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) +
                               frame('E', ""),
                           out));
        auto const r = replies(out);
        BOOST_REQUIRE(r.size() == 8u);
        // With leading space agreed we send it; without, the MTA adds it and we must not.
        BOOST_TEST(r[3].second == (leadspc ? "A\0 x\0"s : "A\0x\0"s));
        BOOST_TEST(r[4].second == (leadspc ? "B\0 y\0"s : "B\0y\0"s));
        BOOST_TEST(r[5].second == "C\0\0"s);
        BOOST_TEST(r[6].second == "D\0\tz\0"s);
    }
}

BOOST_AUTO_TEST_CASE(edits_the_mta_does_not_allow_are_dropped)
{
    recorder h;
    h.at_eom.edits = {milter::header_edit::prepend("A", "1"), milter::header_edit::remove("B", 1),
                      milter::header_edit::append("Bad Name", "x")};
    h.at_eom.quarantine_reason = "held";
    milter::session<recorder> s(h);
    std::string out;
    // The MTA allows adding headers only.
    BOOST_TEST(!s.feed(optneg(6, act::add_headers, pf::v6_mask) + frame('C', "c\0U"s) +
                           frame('M', "<a@b>\0"s) + frame('E', ""),
                       out));
    BOOST_TEST(codes(out) == "Occ"
                             "ic");
    BOOST_TEST(s.state().stats().dropped_edits == 3u); // remove, bad name, quarantine
    BOOST_TEST(s.state().negotiation().missing_actions == (act::change_headers | act::quarantine));
}

BOOST_AUTO_TEST_CASE(reply_less_stage_cannot_answer)
{
    struct rejecting_header {
        // Can answer at header time, but the MTA was told (NR_HDR) not to wait: impossible here,
        // so the requirements say header replies, and the test forces a reply-less negotiation.
        milter::decision on_header(milter::session_state const&, std::string_view, std::string_view)
        {
            return milter::decision::reject();
        }
    } h;
    auto req = milter::requirements_for<rejecting_header>();
    req.replies = {milter::stage::eom};
    req.macros = {};
    milter::session<rejecting_header> s(h, {}, req);
    std::string out;
    BOOST_TEST(!s.feed(optneg() + frame('M', "<a@b>\0"s) + frame('L', "A\0b\0"s) + frame('E', ""), out));
    BOOST_TEST(codes(out) == "Oc"); // only EOM is answered; connect and MAIL are switched off
    BOOST_TEST(s.state().stats().unsent_decisions == 1u);
}

BOOST_AUTO_TEST_CASE(quit_nc_reuses_the_connection)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string script = optneg();
    script += frame('D', "Cj\0first\0"s);
    script += frame('C', "one\0U"s);
    script += frame('M', "<a@b>\0"s);
    script += frame('K', ""); // inside a message: implicit abort, then close
    script += frame('C', "two\0U"s);
    script += frame('M', "<c@d>\0"s);
    script += frame('E', "");
    script += frame('K', "");
    std::string out;
    BOOST_TEST(!s.feed(script, out));
    BOOST_TEST(!s.finish()); // K already closed the second connection: no second close
    std::vector<std::string> const expected = {
        "connect one  j=first", "mail <a@b> auth=-",    "abort", "close",
        "connect two  j=", // the first connection's macros are gone
        "mail <c@d> auth=-",    "eom qid= rcpt_host=-", "close",
    };
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());
    BOOST_TEST(codes(out) == "Occ"
                             "cc"
                             "c");
    BOOST_TEST(!s.state().closed());
}

BOOST_AUTO_TEST_CASE(mail_inside_a_message_is_an_implicit_abort)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string out;
    BOOST_TEST(!s.feed(optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) + frame('R', "<c@d>\0"s) +
                           frame('M', "<e@f>\0"s) + frame('A', "") + frame('A', ""),
                       out));
    std::vector<std::string> const expected = {"connect c  j=", "mail <a@b> auth=-", "rcpt <c@d>",
                                               "abort",         "mail <e@f> auth=-", "abort"};
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());
    BOOST_TEST(s.state().stats().implicit_aborts == 1u);
}

BOOST_AUTO_TEST_CASE(helo_inside_a_message_is_an_implicit_abort)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string out;
    BOOST_TEST(!s.feed(optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s) + frame('H', "again\0"s) +
                           frame('M', "<e@f>\0"s),
                       out));
    std::vector<std::string> const expected = {"connect c  j=", "mail <a@b> auth=-", "abort", "helo again",
                                               "mail <e@f> auth=-"};
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());
    BOOST_TEST(s.state().stats().implicit_aborts == 1u);
}

BOOST_AUTO_TEST_CASE(eof_runs_abort_and_close_once)
{
    recorder h;
    milter::session<recorder> s(h);
    std::string out;
    BOOST_TEST(!s.feed(optneg() + frame('C', "c\0U"s) + frame('M', "<a@b>\0"s), out));
    BOOST_TEST(!s.finish());
    BOOST_TEST(!s.finish());
    std::vector<std::string> const expected = {"connect c  j=", "mail <a@b> auth=-", "abort", "close"};
    BOOST_TEST(h.log == expected, boost::test_tools::per_element());

    recorder h2;
    milter::session<recorder> s2(h2);
    std::string const partial = optneg() + frame('H', "x\0"s).substr(0, 6);
    BOOST_TEST(!s2.feed(partial, out));
    BOOST_TEST(s2.finish() == milter::error::partial_frame);
}

struct order_case {
    char const* what;
    std::string script;
};

BOOST_AUTO_TEST_CASE(out_of_order_commands_are_protocol_errors)
{
    auto const o = optneg();
    auto const c = frame('C', "c\0U"s);
    auto const m = frame('M', "<a@b>\0"s);
    std::vector<order_case> const cases = {
        {"command before O", frame('C', "c\0U"s)},
        {"macros before O", frame('D', "Cj\0x\0"s)},
        {"O twice", o + o},
        {"C twice", o + c + c},
        {"H before C", o + frame('H', "x\0"s)},
        {"M before C", o + m},
        {"R without MAIL", o + c + frame('R', "<a@b>\0"s)},
        {"header without MAIL", o + c + frame('L', "A\0b\0"s)},
        {"E without MAIL", o + c + frame('E', "")},
        {"R after header", o + c + m + frame('L', "A\0b\0"s) + frame('R', "<a@b>\0"s)},
        {"T twice", o + c + m + frame('T', "") + frame('T', "")},
        {"N twice", o + c + m + frame('N', "") + frame('N', "")},
        {"header after EOH", o + c + m + frame('N', "") + frame('L', "A\0b\0"s)},
        {"body after EOM", o + c + m + frame('E', "") + frame('B', "x")},
        {"U inside DATA", o + c + m + frame('T', "") + frame('U', "X\0"s)},
        {"anything after Q", o + c + frame('Q', "") + frame('A', "")},
        {"version 1", optneg(1, act::v2_mask, pf::v2_mask)},
    };
    for(auto const& oc : cases) {
        recorder h;
        milter::session<recorder> s(h);
        std::string out;
        auto const ec = s.feed(oc.script, out);
        auto const expected = std::string_view(oc.what) == "version 1" ? milter::error::unsupported_version
                                                                       : milter::error::out_of_order;
        BOOST_TEST(ec == expected, oc.what << ": " << ec.message());
        // The session stays failed: nothing more is accepted.
        BOOST_TEST(s.feed(frame('A', ""), out), oc.what);
    }
}

BOOST_AUTO_TEST_CASE(skipped_stages_may_be_absent)
{
    // No connect callback and no connect macros: C is switched off, so HELO may open the
    // connection and EOH may follow MAIL directly.
    minimal h;
    milter::session<minimal> s(h);
    std::string out;
    BOOST_TEST(!s.feed(
        optneg() + frame('H', "x\0"s) + frame('M', "<a@b>\0"s) + frame('N', "") + frame('E', ""), out));
    BOOST_TEST(codes(out) == "Oc");
    BOOST_TEST(!s.state().negotiation().sends(milter::stage::connect));
    BOOST_TEST(s.state().negotiation().sends(milter::stage::envfrom) == false);
}

BOOST_AUTO_TEST_SUITE_END()
