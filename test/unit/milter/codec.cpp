// Test that header file is self-contained.
#include <authmilter/milter/codec.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "milter_test_util.hpp"

namespace milter = authmilter::milter;
using namespace std::string_literals;
using namespace std::string_view_literals;
using milter::test::frame;
using milter::test::render;

namespace {

// A Postfix-like exchange: every command kind, macros before each stage, a split body.
std::string
postfix_exchange()
{
    std::string s;
    s += frame('O', milter::test::u32(6) + milter::test::u32(0x1ff) + milter::test::u32(0x1fffff));
    s += frame('D', "Cj\0mx.example.org\0{daemon_name}\0smtpd\0"s);
    s += frame('C', "mail.example.com\0"s + "4" + "\x30\x39"s + "192.0.2.1\0"s);
    s += frame('D', "H{tls_version}\0TLSv1.3\0"s);
    s += frame('H', "mail.example.com\0"s);
    s += frame('D', "M{auth_authen}\0alice\0"s);
    s += frame('M', "<a@example.com>\0SIZE=100\0BODY=8BITMIME\0"s);
    s += frame('R', "<b@example.org>\0"s);
    s += frame('R', "<c@example.org>\0NOTIFY=NEVER\0"s);
    s += frame('D', "Ti\0ABC123\0"s);
    s += frame('T', "");
    s += frame('L', "From\0 Alice <a@example.com>\0"s);
    s += frame('L', "Subject\0 folded\n\tsubject\0"s);
    s += frame('L', "X-Empty\0\0"s);
    s += frame('N', "");
    s += frame('B', "line 1\r\nline 2\r\n");
    s += frame('B', std::string(70000 - 6, 'x')); // bigger than one read, smaller than the cap
    s += frame('D', "Ei\0ABC123\0"s);
    s += frame('E', "");
    s += frame('A', "");
    s += frame('U', "XFOO bar\0"s);
    s += frame('K', "");
    s += frame('C', "local\0L\0\0/run/sock\0"s);
    s += frame('C', "unknown\0U"s);
    s += frame('C', "[2001:db8::1]\0"s + "6" + "\x01\xbb"s + "IPv6:2001:db8::1\0"s);
    s += frame('Q', "");
    return s;
}

std::vector<std::string>
decode_all(std::vector<std::string_view> pieces, boost::system::error_code& ec)
{
    milter::decoder d;
    std::vector<std::string> out;
    for(auto piece : pieces) {
        while(true) {
            auto ev = d.next(piece, ec);
            if(ec)
                return out;
            if(!ev)
                break;
            out.push_back(render(*ev));
        }
        BOOST_TEST(piece.empty());
    }
    d.finish_stream(ec);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(milter_codec)

BOOST_AUTO_TEST_CASE(decodes_every_command)
{
    boost::system::error_code ec;
    auto const s = postfix_exchange();
    auto const events = decode_all({s}, ec);
    BOOST_TEST(!ec);
    std::vector<std::string> const expected = {
        "negotiate 6 1ff 1fffff",
        "macros C [j=mx.example.org][{daemon_name}=smtpd]",
        "connect mail.example.com 4 12345 192.0.2.1",
        "macros H [{tls_version}=TLSv1.3]",
        "helo mail.example.com",
        "macros M [{auth_authen}=alice]",
        "mail [<a@example.com>][SIZE=100][BODY=8BITMIME]",
        "rcpt [<b@example.org>]",
        "rcpt [<c@example.org>][NOTIFY=NEVER]",
        "macros T [i=ABC123]",
        "data",
        "header From: Alice <a@example.com>",
        "header Subject: folded\n\tsubject",
        "header X-Empty:",
        "eoh",
        "body 16",
        "body 69994",
        "macros E [i=ABC123]",
        "eom 0",
        "abort",
        "unknown XFOO bar",
        "quit_nc",
        "connect local L 0 /run/sock",
        "connect unknown U 0 ",
        "connect [2001:db8::1] 6 443 IPv6:2001:db8::1",
        "quit",
    };
    BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mail_accessors_split_address_and_parameters)
{
    boost::system::error_code ec;
    auto const payload = "<a@example.com>\0SIZE=1\0BODY=7BIT\0"s; // events view it: keep it alive
    auto ev = milter::decoder::parse('M', payload, ec);
    BOOST_REQUIRE(ev);
    auto const& m = std::get<milter::events::mail>(*ev);
    BOOST_TEST(m.address() == "<a@example.com>");
    BOOST_TEST(m.args.size() == 3u);
    std::vector<std::string_view> params(m.parameters().begin(), m.parameters().end());
    BOOST_TEST(params.size() == 2u);
    BOOST_TEST(params[0] == "SIZE=1");
    BOOST_TEST(params[1] == "BODY=7BIT");
}

BOOST_AUTO_TEST_CASE(macro_lookup_accepts_names_with_or_without_braces)
{
    boost::system::error_code ec;
    auto const payload = "Cj\0host\0{daemon_name}\0smtpd\0_\0x [1.2.3.4]\0"s;
    auto ev = milter::decoder::parse('D', payload, ec);
    BOOST_REQUIRE(ev);
    auto const& m = std::get<milter::events::macros>(*ev);
    BOOST_TEST(m.stage == milter::command::connect);
    BOOST_TEST(m.values.find("j").value_or("-") == "host");
    BOOST_TEST(m.values.find("daemon_name").value_or("-") == "smtpd");
    BOOST_TEST(m.values.find("{daemon_name}").value_or("-") == "smtpd");
    BOOST_TEST(m.values.find("_").value_or("-") == "x [1.2.3.4]");
    BOOST_TEST(!m.values.find("i"));
    // An empty list is valid: Postfix sends one for a stage whose requested macros are unset.
    auto empty = milter::decoder::parse('D', "T", ec);
    BOOST_REQUIRE(empty);
    BOOST_TEST(std::get<milter::events::macros>(*empty).values.empty());
}

// Every split point of the whole exchange into two pieces, then three pieces around each frame
// boundary region, then one byte at a time: the events must not change.
BOOST_AUTO_TEST_CASE(grind_every_split)
{
    auto const s = postfix_exchange();
    boost::system::error_code ec;
    auto const whole = decode_all({s}, ec);
    BOOST_REQUIRE(!ec);
    std::string_view const v(s);
    for(std::size_t i = 0; i <= s.size(); i += (i < 600 || i > s.size() - 400) ? 1 : 997) {
        auto const got = decode_all({v.substr(0, i), v.substr(i)}, ec);
        BOOST_TEST_REQUIRE(!ec, "split at " << i);
        BOOST_TEST_REQUIRE(got == whole, "split at " << i);
    }
    for(std::size_t i = 0; i < 400; ++i) {
        auto const j = i + 7;
        auto const got = decode_all({v.substr(0, i), v.substr(i, j - i), v.substr(j)}, ec);
        BOOST_TEST_REQUIRE(!ec);
        BOOST_TEST_REQUIRE(got == whole, "split at " << i << "," << j);
    }
    std::vector<std::string_view> bytes;
    for(std::size_t i = 0; i < s.size(); ++i)
        bytes.push_back(v.substr(i, 1));
    auto const got = decode_all(bytes, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(got == whole);
}

BOOST_AUTO_TEST_CASE(in_place_events_point_into_the_input)
{
    auto const s = frame('H', "mx.example\0"s);
    std::string_view in(s);
    milter::decoder d;
    boost::system::error_code ec;
    auto ev = d.next(in, ec);
    BOOST_REQUIRE(ev);
    auto const name = std::get<milter::events::helo>(*ev).name;
    BOOST_TEST(name.data() == s.data() + 5); // zero copy
    BOOST_TEST(in.empty());
}

struct bad_case {
    char const* what;
    std::string bytes;
    milter::error expected;
};

BOOST_AUTO_TEST_CASE(failgrind_every_malformed_frame)
{
    std::vector<bad_case> const cases = {
        {"length 0", milter::test::u32(0) + "C", milter::error::empty_frame},
        {"length above cap", milter::test::u32(1024 * 1024 + 1) + "B", milter::error::frame_too_large},
        {"length 2^32-1", "\xff\xff\xff\xff"s, milter::error::frame_too_large},
        {"unknown command", frame('Z', "x"), milter::error::unknown_command},
        {"lower-case command", frame('c', ""), milter::error::unknown_command},
        {"O too short", frame('O', milter::test::u32(6) + milter::test::u32(0)),
         milter::error::truncated_payload},
        {"O too long", frame('O', std::string(13, '\0')), milter::error::malformed_payload},
        {"D without stage", frame('D', ""), milter::error::truncated_payload},
        {"D bad stage", frame('D', "Xa\0b\0"s), milter::error::malformed_payload},
        {"D name without value", frame('D', "Cj\0"s), milter::error::malformed_payload},
        {"D missing NUL", frame('D', "Cj\0host"s), milter::error::missing_nul},
        {"C hostname without NUL", frame('C', "host"), milter::error::missing_nul},
        {"C without family", frame('C', "host\0"s), milter::error::truncated_payload},
        {"C bad family", frame('C', "host\0X\0\0a\0"s), milter::error::malformed_payload},
        {"C without port",
         frame('C', "host\0"
                    "4\x01"s),
         milter::error::truncated_payload},
        {"C address without NUL",
         frame('C', "host\0"
                    "4\x01\x02"
                    "1.2.3.4"s),
         milter::error::missing_nul},
        {"C trailing bytes",
         frame('C', "host\0"
                    "4\x01\x02"
                    "1.2.3.4\0x\0"s),
         milter::error::malformed_payload},
        {"C unknown family with data", frame('C', "host\0Ux"s), milter::error::malformed_payload},
        {"H missing NUL", frame('H', "helo"), milter::error::missing_nul},
        {"H empty", frame('H', ""), milter::error::missing_nul},
        {"H two strings", frame('H', "a\0b\0"s), milter::error::malformed_payload},
        {"M missing NUL", frame('M', "<a@b>"), milter::error::missing_nul},
        {"R empty", frame('R', ""), milter::error::missing_nul},
        {"L name only", frame('L', "From\0"s), milter::error::malformed_payload},
        {"L missing NUL", frame('L', "From\0x"s), milter::error::missing_nul},
        {"L empty name", frame('L', "\0x\0"s), milter::error::malformed_payload},
        {"L three strings", frame('L', "a\0b\0c\0"s), milter::error::malformed_payload},
        {"U missing NUL", frame('U', "XFOO"), milter::error::missing_nul},
        {"A with payload", frame('A', "x"), milter::error::unexpected_payload},
        {"N with payload", frame('N', "x"), milter::error::unexpected_payload},
        {"T with payload", frame('T', "x"), milter::error::unexpected_payload},
        {"Q with payload", frame('Q', "x"), milter::error::unexpected_payload},
        {"K with payload", frame('K', "x"), milter::error::unexpected_payload},
    };
    auto const prefix = frame('O', milter::test::u32(6) + milter::test::u32(0x1ff) + milter::test::u32(0));
    for(auto const& c : cases) {
        auto const s = prefix + c.bytes + frame('Q', "");
        std::string_view const v(s);
        for(std::size_t i = 0; i <= s.size(); ++i) {
            milter::decoder d;
            boost::system::error_code ec;
            std::size_t events = 0;
            for(auto piece : {v.substr(0, i), v.substr(i)}) {
                while(!ec) {
                    auto ev = d.next(piece, ec);
                    if(!ev)
                        break;
                    ++events;
                }
                if(ec)
                    break;
            }
            BOOST_TEST_REQUIRE(ec == c.expected, c.what << " split at " << i << ": " << ec.message());
            BOOST_TEST(events == 1u); // the negotiation only
            BOOST_TEST(d.failed());
            std::string_view more = "\0\0\0\x01Q"sv;
            BOOST_TEST(!d.next(more, ec));
            BOOST_TEST(ec == milter::error::decoder_failed);
        }
    }
}

BOOST_AUTO_TEST_CASE(oversized_frame_is_refused_before_buffering)
{
    milter::decoder d(milter::decoder_options{1000});
    std::string const head = milter::test::u32(1001) + "B";
    std::string_view in(head);
    boost::system::error_code ec;
    // Only the length is needed: the error comes before the command byte or any payload.
    std::string_view four = in.substr(0, 4);
    BOOST_TEST(!d.next(four, ec));
    BOOST_TEST(ec == milter::error::frame_too_large);
    // At the cap it is fine.
    milter::decoder ok(milter::decoder_options{1000});
    auto const f = frame('B', std::string(999, 'b'));
    std::string_view fin(f);
    auto ev = ok.next(fin, ec);
    BOOST_TEST(!ec);
    BOOST_REQUIRE(ev);
    BOOST_TEST(std::get<milter::events::body>(*ev).bytes.size() == 999u);
}

BOOST_AUTO_TEST_CASE(eof_inside_a_frame_is_partial_frame)
{
    auto const f = frame('H', "mx\0"s);
    for(std::size_t i = 1; i < f.size(); ++i) {
        milter::decoder d;
        std::string_view in(f.data(), i);
        boost::system::error_code ec;
        BOOST_TEST(!d.next(in, ec));
        BOOST_TEST(!ec);
        BOOST_TEST(d.mid_frame());
        d.finish_stream(ec);
        BOOST_TEST(ec == milter::error::partial_frame);
    }
    milter::decoder d;
    std::string_view in(f);
    boost::system::error_code ec;
    BOOST_TEST(d.next(in, ec).has_value());
    d.finish_stream(ec);
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(error_category_is_named_milter)
{
    boost::system::error_code ec = milter::error::out_of_order;
    BOOST_TEST(std::string(ec.category().name()) == "authmilter.milter");
    BOOST_TEST(ec.message() == "milter command out of order");
}

// ---------------------------------------------------------------------------------------------
// Encoder

BOOST_AUTO_TEST_CASE(encodes_bare_replies)
{
    std::string out;
    milter::write_continue(out);
    milter::write_accept(out);
    milter::write_reject(out);
    milter::write_tempfail(out);
    milter::write_discard(out);
    milter::write_progress(out);
    milter::write_skip(out);
    BOOST_TEST(out == "\0\0\0\x01"
                      "c"
                      "\0\0\0\x01"
                      "a"
                      "\0\0\0\x01"
                      "r"
                      "\0\0\0\x01"
                      "t"
                      "\0\0\0\x01"
                      "d"
                      "\0\0\0\x01"
                      "p"
                      "\0\0\0\x01"
                      "s"s);
}

BOOST_AUTO_TEST_CASE(encodes_replycode)
{
    std::string out;
    BOOST_TEST(!milter::write_replycode(out, 550, "5.7.1", "Rejected by policy"));
    BOOST_TEST(out == frame('y', "550 5.7.1 Rejected by policy\0"s));
    out.clear();
    BOOST_TEST(!milter::write_replycode(out, 451, "", "100% busy"));
    BOOST_TEST(out == frame('y', "451 4.0.0 100%% busy\0"s));
    out.clear();
    BOOST_TEST(!milter::write_replycode(out, 550, "5.7.26", "line one\r\nline two\nline three"));
    BOOST_TEST(out == frame('y', "550-5.7.26 line one\r\n550-5.7.26 line two\r\n550 5.7.26 line three\0"s));
    out.clear();
    BOOST_TEST(!milter::write_replycode(out, 421, "4.3.2", ""));
    BOOST_TEST(out == frame('y', "421 4.3.2\0"s));
}

BOOST_AUTO_TEST_CASE(refuses_bad_replycode_arguments)
{
    std::string out = "keep";
    BOOST_TEST(milter::write_replycode(out, 250, "2.0.0", "ok") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 600, "", "x") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "4.7.1", "x") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "5.7", "x") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "5.7.1234", "x") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "5.7.1", "nul\0here"s) == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "5.7.1", "bare\rcr") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_replycode(out, 550, "5.7.1", std::string(40, '\n')) ==
               milter::error::bad_reply_argument);
    BOOST_TEST(out == "keep");
}

BOOST_AUTO_TEST_CASE(encodes_header_edits)
{
    std::string out;
    BOOST_TEST(!milter::write_add_header(out, "X-Test", " value\r\n\tfolded"));
    BOOST_TEST(out == frame('h', "X-Test\0 value\n\tfolded\0"s));
    out.clear();
    BOOST_TEST(!milter::write_insert_header(out, 1, "Authentication-Results", " mx; none"));
    BOOST_TEST(out == frame('i', "\0\0\0\x01"s + "Authentication-Results\0 mx; none\0"s));
    out.clear();
    BOOST_TEST(!milter::write_change_header(out, 2, "X-Old", ""));
    BOOST_TEST(out == frame('m', "\0\0\0\x02"s + "X-Old\0\0"s));
    out.clear();
    BOOST_TEST(milter::write_add_header(out, "", "v") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_add_header(out, "Bad:Name", "v") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_add_header(out, "Bad Name", "v") == milter::error::bad_reply_argument);
    BOOST_TEST(milter::write_insert_header(out, 0, "X", "a\0b"s) == milter::error::bad_reply_argument);
    BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(encodes_other_replies)
{
    std::string out;
    BOOST_TEST(!milter::write_quarantine(out, "DMARC policy"));
    BOOST_TEST(out == frame('q', "DMARC policy\0"s));
    BOOST_TEST(milter::write_quarantine(out, "") == milter::error::bad_reply_argument);
    out.clear();
    BOOST_TEST(!milter::write_setsymlist(out, milter::macro_stage::envfrom, "{auth_authen} i"));
    BOOST_TEST(out == frame('l', "\0\0\0\x02{auth_authen} i\0"s));
    out.clear();
    BOOST_TEST(!milter::write_add_rcpt(out, "<x@y>"));
    BOOST_TEST(!milter::write_del_rcpt(out, "<x@y>"));
    BOOST_TEST(!milter::write_change_from(out, "<a@b>", "SIZE=1"));
    BOOST_TEST(out == frame('+', "<x@y>\0"s) + frame('-', "<x@y>\0"s) + frame('e', "<a@b>\0SIZE=1\0"s));
}

BOOST_AUTO_TEST_CASE(encodes_negotiation_with_symlists)
{
    std::string out;
    milter::symlist const lists[] = {
        {milter::macro_stage::connect, "j {daemon_name}"},
        {milter::macro_stage::envfrom, "i {auth_authen}"},
    };
    BOOST_TEST(!milter::write_negotiate(out, 6, 0x121, 0x1ff000, lists));
    BOOST_TEST(out == frame('O', milter::test::u32(6) + milter::test::u32(0x121) +
                                     milter::test::u32(0x1ff000) + milter::test::u32(0) +
                                     "j {daemon_name}\0"s + milter::test::u32(2) + "i {auth_authen}\0"s));
    // What we encode, the decoder (as the MTA would) reads back as a negotiation of 12 bytes
    // plus lists; the plain form round-trips exactly.
    out.clear();
    BOOST_TEST(!milter::write_negotiate(out, 2, 0x3f, 0x7f));
    std::string_view in(out);
    milter::decoder d;
    boost::system::error_code ec;
    auto ev = d.next(in, ec);
    BOOST_REQUIRE(ev);
    auto const& n = std::get<milter::events::negotiate>(*ev);
    BOOST_TEST(n.version == 2u);
    BOOST_TEST(n.actions == 0x3fu);
    BOOST_TEST(n.protocol == 0x7fu);
}

BOOST_AUTO_TEST_SUITE_END()
