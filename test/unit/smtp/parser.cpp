// Test that header file is self-contained.
#include <authmilter/smtp/command.hpp>
#include <authmilter/smtp/parser.hpp>

#include <boost/test/unit_test.hpp>

namespace smtp = authmilter::smtp;

namespace {

// Feeds `pieces` and writes every event into a transcript: consecutive data pieces are merged,
// so every split of the same input must give the same transcript. DATA is always accepted.
std::string
transcript(std::vector<std::string_view> const& pieces, smtp::parser_options opts = {})
{
    smtp::parser p(opts);
    std::string out;
    std::string data;
    auto flush = [&] {
        if(!data.empty()) {
            out += "D[" + data + "]\n";
            data.clear();
        }
    };
    for(auto piece : pieces) {
        p.feed(piece);
        while(true) {
            auto ev = p.next();
            using k = smtp::parser::event::kind;
            if(ev.what == k::need_more) {
                if(p.awaiting_data_decision()) {
                    p.begin_data();
                    continue;
                }
                break;
            }
            if(ev.what == k::data) {
                BOOST_TEST(!ev.data.empty());
                data += ev.data;
                continue;
            }
            flush();
            if(ev.what == k::command)
                out += "C[" + std::string(ev.line) + "]\n";
            else if(ev.what == k::end_of_data)
                out += "E" + std::to_string(static_cast<int>(ev.error)) + "\n";
            else
                out += "X" + std::to_string(static_cast<int>(ev.error)) + "\n";
        }
    }
    flush();
    return out;
}

// The transcript of `input` in one piece, checked against every two-piece split and against
// one byte at a time.
std::string
ground(std::string_view input, smtp::parser_options opts = {})
{
    auto const whole = transcript({input}, opts);
    for(std::size_t i = 0; i <= input.size(); ++i) {
        auto const t = transcript({input.substr(0, i), input.substr(i)}, opts);
        BOOST_TEST(t == whole, "split at " << i);
    }
    std::vector<std::string_view> bytes;
    for(std::size_t i = 0; i < input.size(); ++i)
        bytes.push_back(input.substr(i, 1));
    BOOST_TEST(transcript(bytes, opts) == whole);
    return whole;
}

} // namespace

BOOST_AUTO_TEST_SUITE(smtp_parser)

BOOST_AUTO_TEST_CASE(pipelined_commands_and_data_at_every_split)
{
    auto const t = ground("EHLO mx.example\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\nDATA\r\n"
                          "Subject: x\r\n\r\n..dot\r\n.x\r\nend\r\n.\r\nQUIT\r\n");
    BOOST_TEST(t == "C[EHLO mx.example]\nC[MAIL FROM:<a@b> SIZE=10]\nC[RCPT TO:<c@d>]\nC[DATA]\n"
                    "D[Subject: x\r\n\r\n.dot\r\nx\r\nend\r\n]\nE0\nC[QUIT]\n");
}

BOOST_AUTO_TEST_CASE(empty_message_and_dot_line_variants)
{
    BOOST_TEST(ground("DATA\r\n.\r\nNOOP\r\n") == "C[DATA]\nE0\nC[NOOP]\n");
    // A lone dot followed by more on the line is data without the dot.
    BOOST_TEST(ground("DATA\r\n. \r\n.\r\n") == "C[DATA]\nD[ \r\n]\nE0\n");
    BOOST_TEST(ground("data\r\n...\r\n.\r\n") == "C[data]\nD[..\r\n]\nE0\n");
}

BOOST_AUTO_TEST_CASE(only_crlf_dot_crlf_ends_data)
{
    // Bare LF forms of the end marker are data (smuggling defence), and mark the message faulty.
    auto const t = ground("DATA\r\nA\n.\nB\r\n.\nC\r\n.\r\n");
    BOOST_TEST(t == "C[DATA]\nD[A\n.\nB\r\n\nC\r\n]\nE4\n");
    BOOST_TEST(ground("DATA\r\nA\rB\r\n.\r\n") == "C[DATA]\nD[A\rB\r\n]\nE4\n");
    BOOST_TEST(ground("DATA\r\n.\rX\r\n.\r\n") == "C[DATA]\nD[\rX\r\n]\nE4\n");
}

BOOST_AUTO_TEST_CASE(bare_lf_and_long_command_lines)
{
    BOOST_TEST(ground("NOOP\nNOOP\r\n") == "X2\nC[NOOP]\n");
    smtp::parser_options o;
    o.max_command_line = 10;
    BOOST_TEST(ground("NOOP1234\r\nNOOP12345\r\nNOOP\r\n", o) == "C[NOOP1234]\nX1\nC[NOOP]\n");
    BOOST_TEST(ground(std::string(100, 'x') + "\r\nQUIT\r\n", o) == "X1\nC[QUIT]\n");
}

BOOST_AUTO_TEST_CASE(message_size_limit)
{
    smtp::parser_options o;
    o.max_message_size = 8;
    BOOST_TEST(ground("DATA\r\n1234\r\n56\r\n.\r\nNOOP\r\n", o) == "C[DATA]\nD[1234\r\n56]\nE3\nC[NOOP]\n");
    BOOST_TEST(ground("DATA\r\n12\r\n.\r\n", o) == "C[DATA]\nD[12\r\n]\nE0\n");
}

BOOST_AUTO_TEST_CASE(refused_data_goes_back_to_commands)
{
    smtp::parser p;
    p.feed("DATA\r\nNOOP\r\n");
    auto ev = p.next();
    BOOST_TEST(ev.line == "DATA");
    BOOST_TEST((p.next().what == smtp::parser::event::kind::need_more));
    p.refuse_data();
    ev = p.next();
    BOOST_TEST((ev.what == smtp::parser::event::kind::command));
    BOOST_TEST(ev.line == "NOOP");
}

BOOST_AUTO_TEST_CASE(command_verbs_and_arguments)
{
    using smtp::verb;
    auto c = smtp::parse_command("mail from: <a@b> SIZE=1");
    BOOST_TEST((c.what == verb::mail));
    BOOST_TEST(c.argument == "<a@b> SIZE=1");
    BOOST_TEST(!c.syntax_error);
    BOOST_TEST(smtp::parse_command("MAIL <a@b>").syntax_error);
    BOOST_TEST(smtp::parse_command("RCPT TO:<x@y>").argument == "<x@y>");
    BOOST_TEST((smtp::parse_command("VRFY x").what == verb::unknown));
    BOOST_TEST(smtp::parse_command("DATA x").syntax_error);
    BOOST_TEST((smtp::parse_command("Ehlo host").what == verb::ehlo));
    BOOST_TEST(smtp::parse_command("Ehlo host").argument == "host");
}

BOOST_AUTO_TEST_CASE(xforward_attributes_accumulate_and_decode)
{
    smtp::xforward_attributes x;
    BOOST_TEST(!smtp::apply_xforward("NAME=mail.example ADDR=IPv6:2001:db8::1 PORT=25", x));
    BOOST_TEST(!smtp::apply_xforward("HELO=h+20x IDENT=ABC123 PROTO=ESMTP SOURCE=REMOTE", x));
    BOOST_TEST(*x.name == "mail.example");
    BOOST_TEST(*x.addr == "2001:db8::1");
    BOOST_TEST(*x.helo == "h x");
    BOOST_TEST(*x.ident == "ABC123");
    BOOST_TEST(!smtp::apply_xforward("NAME=[UNAVAILABLE] HELO=[TEMPUNAVAIL]", x));
    BOOST_TEST(!x.name);
    BOOST_TEST(!x.helo);
    BOOST_TEST(x.addr.has_value());
    auto bad = smtp::apply_xforward("FOO=1", x);
    BOOST_REQUIRE(bad);
    BOOST_TEST(bad->code == 501);
    BOOST_TEST(smtp::apply_xforward("NAME=a+2", x)->code == 501);
    BOOST_TEST(smtp::apply_xforward("NAME=a+0D", x)->code == 501);
    BOOST_TEST(smtp::apply_xforward("", x)->code == 501);
    BOOST_TEST(smtp::apply_xforward("NAME", x)->code == 501);
    BOOST_TEST(*x.addr == "2001:db8::1"); // a refused command changes nothing
    BOOST_TEST(smtp::encode_xtext("a b+c=") == "a+20b+2Bc+3D");
    BOOST_TEST(*smtp::decode_xtext(smtp::encode_xtext("x\xc3\xa9 +=")) == "x\xc3\xa9 +=");
}

BOOST_AUTO_TEST_CASE(mail_parameters)
{
    auto m = smtp::parse_mail("<a@example.org> SIZE=100 BODY=8BITMIME SMTPUTF8");
    BOOST_REQUIRE(std::holds_alternative<smtp::mail_command>(m));
    auto const& mc = std::get<smtp::mail_command>(m);
    BOOST_TEST(*mc.size == 100u);
    BOOST_TEST(mc.eight_bit);
    BOOST_TEST(mc.smtputf8);
    BOOST_TEST(mc.path.address() == "a@example.org");
    BOOST_TEST(std::get<smtp::mail_command>(smtp::parse_mail("<>")).path.is_null);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_mail("<a@b> SIZE=x")).code == 501);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_mail("<a@b> SIZE=1000", 999)).code == 552);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_mail("<a@b> BODY=BINARYMIME")).code == 555);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_mail("<a@b> RET=FULL")).code == 555);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_mail("<a@b")).code == 501);
    BOOST_TEST(std::get<smtp::reply>(smtp::parse_rcpt("<>")).code == 501);
    BOOST_TEST(std::get<authmilter::core::smtp_path>(smtp::parse_rcpt("<x@y>")).address() == "x@y");
}

BOOST_AUTO_TEST_CASE(reply_wire_form)
{
    smtp::reply r(250, "2.0.0", "Ok\r\ninjected");
    BOOST_TEST(r.to_string() == "250 2.0.0 Ok  injected\r\n");
    smtp::reply e;
    e.code = 250;
    e.lines = {"mx", "PIPELINING", "8BITMIME"};
    BOOST_TEST(e.to_string() == "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
