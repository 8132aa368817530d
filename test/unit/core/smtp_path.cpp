// Test that header file is self-contained.
#include <authmilter/core/smtp_path.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <vector>

namespace core = authmilter::core;
using core::error;
using core::parse_forward_path;
using core::parse_reverse_path;
using core::smtp_path;

namespace {

smtp_path
must(boost::system::result<smtp_path> r, std::string_view what)
{
    BOOST_REQUIRE_MESSAGE(r.has_value(), "parse failed: " << what << ": " << r.error().message());
    return std::move(*r);
}

smtp_path
mail(std::string_view text)
{
    return must(parse_reverse_path(text), text);
}

smtp_path
rcpt(std::string_view text)
{
    return must(parse_forward_path(text), text);
}

boost::system::error_code
mail_fails(std::string_view text)
{
    auto r = parse_reverse_path(text);
    BOOST_REQUIRE_MESSAGE(!r.has_value(), "parse succeeded: " << text);
    return r.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_smtp_path)

BOOST_AUTO_TEST_CASE(plain_bracketed_path)
{
    auto const p = mail("<User.Name+tag@Mail.Example.COM>");
    BOOST_TEST(!p.is_null);
    BOOST_TEST(p.local_part == "User.Name+tag"); // local parts keep their case (RFC 5321 2.4)
    BOOST_TEST(p.domain.str() == "mail.example.com");
    BOOST_TEST(p.has_domain());
    BOOST_TEST(!p.address_literal);
    BOOST_TEST(p.params.empty());
    BOOST_TEST(p.address() == "User.Name+tag@mail.example.com");
}

BOOST_AUTO_TEST_CASE(null_reverse_path)
{
    for(auto const* text : {"<>", "< >", "", "  ", " <> ", "<>\r\n"}) {
        auto const p = mail(text);
        BOOST_TEST(p.is_null, text);
        BOOST_TEST(p.local_part.empty());
        BOOST_TEST(p.domain.empty());
        BOOST_TEST(!p.has_domain());
        BOOST_TEST(p.address().empty());
    }
    auto const p = mail("<> BODY=8BITMIME");
    BOOST_TEST(p.is_null);
    BOOST_REQUIRE(p.params.size() == 1u);
    BOOST_TEST(p.params[0].keyword == "BODY");
    BOOST_TEST(p.params[0].value == "8BITMIME");
}

BOOST_AUTO_TEST_CASE(null_is_not_a_forward_path)
{
    for(auto const* text : {"<>", "", "< >", "<> NOTIFY=NEVER"}) {
        auto const r = parse_forward_path(text);
        BOOST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error() == error::null_forward_path), text);
    }
}

BOOST_AUTO_TEST_CASE(esmtp_parameters_after_the_path)
{
    auto const p = mail("<a@example.com> SIZE=12345  BODY=8BITMIME\tSMTPUTF8 AUTH=<> ENVID=QQ314159+3D");
    BOOST_TEST(p.domain.str() == "example.com");
    BOOST_REQUIRE(p.params.size() == 5u);
    BOOST_TEST(p.params[0].keyword == "SIZE");
    BOOST_TEST(p.params[0].value == "12345");
    BOOST_TEST(p.params[2].keyword == "SMTPUTF8");
    BOOST_TEST(p.params[2].value.empty());
    BOOST_TEST(p.params[3].value == "<>");
    BOOST_TEST(p.params[4].value == "QQ314159+3D");
    BOOST_REQUIRE(p.find_param("size"));
    BOOST_TEST(p.find_param("Size")->value == "12345");
    BOOST_TEST(p.find_param("smtputf8") == &p.params[2]);
    BOOST_TEST(!p.find_param("RET"));
    BOOST_TEST(!p.find_param("SIZ"));
}

BOOST_AUTO_TEST_CASE(milter_form_with_separate_arguments)
{
    std::vector<std::string> const args{"SIZE=100", "", "BODY=7BIT"};
    auto r = parse_reverse_path("<a@example.com>", args);
    BOOST_REQUIRE(r.has_value());
    BOOST_REQUIRE(r->params.size() == 2u);
    BOOST_TEST(r->params[1].keyword == "BODY");

    std::array<std::string_view, 1> const notify{"NOTIFY=SUCCESS,FAILURE"};
    auto f = parse_forward_path("<b@example.net>", notify);
    BOOST_REQUIRE(f.has_value());
    BOOST_TEST(f->find_param("notify")->value == "SUCCESS,FAILURE");

    std::vector<std::string> const bad{"SIZE=1", "=oops"};
    auto e = parse_reverse_path("<a@example.com>", bad);
    BOOST_REQUIRE(!e.has_value());
    BOOST_TEST((e.error() == error::bad_parameter));
    // The path's own errors come first.
    auto n = parse_forward_path("<>", args);
    BOOST_REQUIRE(!n.has_value());
    BOOST_TEST((n.error() == error::null_forward_path));
}

BOOST_AUTO_TEST_CASE(sendmail_style_without_brackets)
{
    auto const p = mail("user@example.com");
    BOOST_TEST(p.local_part == "user");
    BOOST_TEST(p.domain.str() == "example.com");
    auto const q = mail("  user@example.com SIZE=10  ");
    BOOST_TEST(q.domain.str() == "example.com");
    BOOST_REQUIRE(q.params.size() == 1u);
    BOOST_TEST(q.params[0].value == "10");
    BOOST_TEST(rcpt("postmaster@example.org").local_part == "postmaster");
}

BOOST_AUTO_TEST_CASE(whitespace_inside_brackets_is_tolerated)
{
    auto const p = mail("< user@example.com >");
    BOOST_TEST(p.local_part == "user");
    BOOST_TEST(p.domain.str() == "example.com");
    auto const q = mail("\t<user@example.com>   ");
    BOOST_TEST(q.address() == "user@example.com");
}

BOOST_AUTO_TEST_CASE(source_routes_are_dropped)
{
    auto const p = mail("<@relay1.example,@relay2.example:user@example.com>");
    BOOST_TEST(p.local_part == "user");
    BOOST_TEST(p.domain.str() == "example.com");
    auto const q = rcpt("<@one.example:Joe@Example.org> NOTIFY=NEVER");
    BOOST_TEST(q.address() == "Joe@example.org");
    BOOST_TEST(q.params.size() == 1u);
    // A broken route is an error, not silently another address.
    for(auto const* text : {"<@:user@example.com>", "<@bad..example:user@example.com>",
                            "<@a.example,b.example:user@example.com>", "<@a.example,:u@example.com>"})
        BOOST_TEST((mail_fails(text) == error::bad_path), text);
}

BOOST_AUTO_TEST_CASE(quoted_local_parts)
{
    auto const p = mail("<\"john doe\"@example.com>");
    BOOST_TEST(p.local_part == "john doe");
    BOOST_TEST(p.address() == "\"john doe\"@example.com");
    auto const q = mail("<\"a\\\"b\\\\c@d\"@example.com> SIZE=1");
    BOOST_TEST(q.local_part == "a\"b\\c@d");
    BOOST_TEST(q.address() == "\"a\\\"b\\\\c@d\"@example.com");
    BOOST_TEST(q.params.size() == 1u);
    // A quoted string that is a dot-atom after all comes back unquoted.
    BOOST_TEST(mail("<\"plain\"@example.com>").address() == "plain@example.com");
    auto const bare = mail("\"x y\"@example.com BODY=7BIT");
    BOOST_TEST(bare.local_part == "x y");
    BOOST_TEST(bare.params.size() == 1u);
    BOOST_TEST((mail_fails("<\"open@example.com>") == error::unterminated_quote));
    BOOST_TEST((mail_fails("<\"open\\") == error::unterminated_quote));
    BOOST_TEST((mail_fails("<\"tab\there\"@example.com>") == error::bad_local_part));
    BOOST_TEST((mail_fails("<\"q\"x@example.com>") == error::bad_local_part));
    BOOST_TEST((mail_fails("<\"\">") == error::bad_address));
}

BOOST_AUTO_TEST_CASE(address_literals)
{
    auto const p = mail("<foo@[1.2.3.5]>");
    BOOST_TEST(p.local_part == "foo");
    BOOST_TEST(p.domain.empty());
    BOOST_TEST(!p.has_domain());
    BOOST_REQUIRE(p.address_literal);
    BOOST_TEST(p.address_literal->to_string() == "1.2.3.5");
    BOOST_TEST(p.address() == "foo@[1.2.3.5]");
    auto const q = mail("<foo@[IPv6:2001:DB8::1]> SIZE=5");
    BOOST_REQUIRE(q.address_literal);
    BOOST_TEST(q.address_literal->is_v6());
    BOOST_TEST(q.address() == "foo@[IPv6:2001:db8::1]");
    BOOST_TEST(q.params.size() == 1u);
    BOOST_TEST(mail("foo@[192.0.2.1]").address_literal.has_value());
    BOOST_TEST((mail_fails("<foo@[999.1.1.1]>") == error::bad_address_literal));
    BOOST_TEST((mail_fails("<foo@[x-tag:stuff]>") == error::bad_address_literal));
    BOOST_TEST((mail_fails("<foo@[1.2.3.4>") == error::unterminated_literal));
    BOOST_TEST((mail_fails("<foo@[1.2.3.4]x>") == error::bad_path));
}

BOOST_AUTO_TEST_CASE(postmaster_and_missing_local_part)
{
    auto const p = rcpt("<Postmaster>");
    BOOST_TEST(p.is_postmaster());
    BOOST_TEST(p.domain.empty());
    BOOST_TEST(p.address() == "Postmaster");
    BOOST_TEST(rcpt("<POSTMASTER>").is_postmaster());
    BOOST_TEST(!rcpt("<postmaster@example.com>").is_postmaster());
    BOOST_TEST(!rcpt("<root>").is_postmaster());

    // RFC 7208 4.3: no local part means "postmaster".
    auto const e = mail("<@example.net>");
    BOOST_TEST(e.local_part.empty());
    BOOST_TEST(e.domain.str() == "example.net");
    BOOST_TEST(e.local_part_or_postmaster() == "postmaster");
    BOOST_TEST(mail("@example.net").domain.str() == "example.net");
    BOOST_TEST(mail("<foo@example.net>").local_part_or_postmaster() == "foo");
}

BOOST_AUTO_TEST_CASE(unqualified_local_sender)
{
    auto const p = mail("<root>");
    BOOST_TEST(p.local_part == "root");
    BOOST_TEST(!p.has_domain());
    BOOST_TEST(!p.is_null);
    BOOST_TEST(p.address() == "root");
}

BOOST_AUTO_TEST_CASE(lenient_dots_in_local_part)
{
    BOOST_TEST(mail("<a..b@example.com>").local_part == "a..b");
    BOOST_TEST(mail("<.a.@example.com>").local_part == ".a.");
    // Written back quoted, because they are not dot-atoms.
    BOOST_TEST(mail("<a..b@example.com>").address() == "\"a..b\"@example.com");
    BOOST_TEST(mail("<~jack&jill=up-a_b3.c@e8.example.com>").local_part == "~jack&jill=up-a_b3.c");
}

BOOST_AUTO_TEST_CASE(utf8_addresses)
{
    auto const p = mail("<j\xc3\xb6rg@b\xc3\xbc"
                        "cher.example> SMTPUTF8");
    BOOST_TEST(p.local_part == "j\xc3\xb6rg");
    BOOST_TEST(!p.domain.is_ascii());
    BOOST_TEST(p.find_param("SMTPUTF8"));
}

BOOST_AUTO_TEST_CASE(domain_errors_are_reported)
{
    BOOST_TEST((mail_fails("<lyme.eater@A...example.com>") == error::empty_label));
    BOOST_TEST((mail_fails("<lyme.eater@A123456789012345678901234567890123456789012345678901234567890123."
                           "example.com>") == error::label_too_long));
    BOOST_TEST((mail_fails("<user@>") == error::bad_domain));
    BOOST_TEST((mail_fails("<user@exa_mple!.com>") == error::bad_domain));
    BOOST_TEST((mail_fails("user@") == error::bad_domain));
    BOOST_TEST((mail_fails("@") == error::bad_domain));
    // 63-octet labels are fine.
    BOOST_TEST(mail("<x@A12345678901234567890123456789012345678901234567890123456789012.example.com>")
                   .domain.labels()
                   .front()
                   .size() == 63u);
}

BOOST_AUTO_TEST_CASE(hostile_and_malformed_paths)
{
    struct bad {
        char const* text;
        error expected;
    };
    for(auto const& c : {
            bad{"<user@example.com", error::bad_path},
            bad{"<user@example.com>>", error::bad_path},
            bad{"<<user@example.com>>", error::bad_local_part},
            bad{"<user@example.com>SIZE=1", error::bad_path},
            bad{"<Macro Error@e8.example.com>", error::bad_path},
            bad{"Macro Error@e8.example.com", error::bad_parameter},
            bad{"<a,b@example.com>", error::bad_local_part},
            bad{"<a(b)@example.com>", error::bad_local_part},
            bad{"<a@b@example.com>", error::bad_domain},
            bad{"<user@example.com> =1", error::bad_parameter},
            bad{"<user@example.com> -X=1", error::bad_parameter},
            bad{"<user@example.com> X_Y=1", error::bad_parameter},
            bad{"<user@example.com> X=a\x01", error::bad_parameter},
        }) {
        BOOST_TEST((mail_fails(c.text) == c.expected), c.text << " gave " << mail_fails(c.text).message());
    }
    BOOST_TEST((mail_fails(std::string_view("<us\0er@example.com>", 19)) == error::bad_local_part));
    BOOST_TEST((mail_fails(std::string_view("<user@exa\0mple.com>", 19)) == error::bad_domain));
    // A line break is no whitespace inside a path.
    BOOST_TEST((mail_fails("<user@example.com\r\n>") == error::bad_domain));
    BOOST_TEST((mail_fails("<user\n@example.com>") == error::bad_local_part));
}

BOOST_AUTO_TEST_CASE(long_hostile_inputs_terminate)
{
    std::string const many_brackets(50000, '<');
    BOOST_TEST(!parse_reverse_path(many_brackets).has_value());
    std::string const many_ats(50000, '@');
    BOOST_TEST(!parse_reverse_path("<" + many_ats + ">").has_value());
    std::string route = "<";
    for(int i = 0; i < 5000; ++i)
        route += "@r.example,";
    route += "@r.example:u@example.com>";
    auto const p = parse_reverse_path(route);
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->address() == "u@example.com");
    std::string params = "<u@example.com>";
    for(int i = 0; i < 2000; ++i)
        params += " X" + std::to_string(i) + "=v";
    auto const q = parse_reverse_path(params);
    BOOST_REQUIRE(q.has_value());
    BOOST_TEST(q->params.size() == 2000u);
    // Long local parts are accepted: SRS and VERP addresses exceed RFC 5321's 64 octets.
    std::string const long_local(300, 'l');
    BOOST_TEST(mail("<" + long_local + "@example.com>").local_part.size() == 300u);
}

BOOST_AUTO_TEST_CASE(esmtp_param_parser)
{
    auto p = core::parse_esmtp_param("RET=HDRS");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->keyword == "RET");
    BOOST_TEST(p->value == "HDRS");
    p = core::parse_esmtp_param("X-Custom=a=b");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->value == "a=b");
    p = core::parse_esmtp_param("EMPTY=");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->value.empty());
    BOOST_TEST((*core::parse_esmtp_param("A=1") == core::esmtp_param{"A", "1"}));
    for(auto const* text : {"", "=", "=x", "-A", "A B", "A=b c", "\xc3\xa9=1", "A=\x7f"})
        BOOST_TEST(!core::parse_esmtp_param(text).has_value(), text);
}

BOOST_AUTO_TEST_SUITE_END()

// The example in doc/core.md, compiled and run here.
BOOST_AUTO_TEST_SUITE(core_smtp_path_doc)

BOOST_AUTO_TEST_CASE(envfrom_snippet)
{
    //[core_envfrom
    // What a milter receives for "MAIL FROM:<@relay.example:Joe@Example.ORG> SIZE=1024".
    std::vector<std::string> const args{"SIZE=1024"};
    auto const path = core::parse_reverse_path("<@relay.example:Joe@Example.ORG>", args);
    if(!path) {
        // path.error() == core::error::..., e.g. bad_path; SPF then checks the HELO identity
    } else if(path->is_null) {
        // the null reverse-path <>: bounces
    } else {
        // path->local_part == "Joe", path->domain.str() == "example.org",
        // path->find_param("size")->value == "1024"
    }
    //]
    BOOST_REQUIRE(path.has_value());
    BOOST_TEST(!path->is_null);
    BOOST_TEST(path->local_part == "Joe");
    BOOST_TEST(path->domain.str() == "example.org");
    BOOST_TEST(path->find_param("size")->value == "1024");
}

BOOST_AUTO_TEST_SUITE_END()
