// Test that header file is self-contained.
#include <authmilter/core/mailbox.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

namespace core = authmilter::core;
using core::error;
using core::mailbox;
using core::parse_mailbox_list;

namespace {

std::vector<mailbox>
must(std::string_view text)
{
    auto r = parse_mailbox_list(text);
    BOOST_REQUIRE_MESSAGE(!r.ec, "parse failed: " << text << ": " << r.ec.message());
    return std::move(r.mailboxes);
}

mailbox
one(std::string_view text)
{
    auto list = must(text);
    BOOST_REQUIRE_MESSAGE(list.size() == 1u, "expected one mailbox: " << text);
    return std::move(list.front());
}

boost::system::error_code
fails(std::string_view text)
{
    auto r = parse_mailbox_list(text);
    BOOST_REQUIRE_MESSAGE(r.ec, "parse succeeded: " << text);
    return r.ec;
}

std::vector<std::string>
addresses(std::vector<mailbox> const& list)
{
    std::vector<std::string> out;
    for(auto const& m : list)
        out.push_back(m.address());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_mailbox)

BOOST_AUTO_TEST_CASE(bare_addr_spec)
{
    auto const m = one("user@Example.COM");
    BOOST_TEST(m.display_name.empty());
    BOOST_TEST(m.local_part == "user");
    BOOST_TEST(m.domain.str() == "example.com");
    BOOST_TEST(m.address() == "user@example.com");
    BOOST_TEST(one("  user@example.com  ").domain.str() == "example.com");
}

BOOST_AUTO_TEST_CASE(display_names)
{
    BOOST_TEST(one("Sample User <user@example.com>").display_name == "Sample User");
    BOOST_TEST(one("\"Sample User\" <user@example.com>").display_name == "Sample User");
    BOOST_TEST(one("Joe Q. Public <john.q.public@example.com>").display_name == "Joe Q. Public");
    BOOST_TEST(one("\"Joe Q. Public\" <john.q.public@example.com>").display_name == "Joe Q. Public");
    BOOST_TEST(one("\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>").display_name ==
               "Giant; \"Big\" Box");
    BOOST_TEST(one("Who? <one@y.test>").display_name == "Who?");
    BOOST_TEST(one("<user@example.com>").display_name.empty());
    // Runs of whitespace between words become one space; inside quotes they stay.
    BOOST_TEST(one("Sample \t  User<u@example.com>").display_name == "Sample User");
    BOOST_TEST(one("\"a  b\" <u@example.com>").display_name == "a  b");
    // RFC 2047 encoded-words are kept as written.
    BOOST_TEST(one("=?UTF-8?Q?J=C3=B6rg?= <j@example.com>").display_name == "=?UTF-8?Q?J=C3=B6rg?=");
    // RFC 6532 UTF-8.
    BOOST_TEST(one("J\xc3\xb6rg M\xc3\xbcller <j@example.com>").display_name == "J\xc3\xb6rg M\xc3\xbcller");
}

BOOST_AUTO_TEST_CASE(rfc5322_appendix_a_lists)
{
    auto const a = must("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>");
    BOOST_TEST(addresses(a) == (std::vector<std::string>{"mary@x.test", "jdoe@example.org", "one@y.test"}),
               boost::test_tools::per_element());
    auto const b = must("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>");
    BOOST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[1].domain.str() == "example.net");
}

BOOST_AUTO_TEST_CASE(comments_anywhere)
{
    auto const m = one("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
    BOOST_TEST(m.display_name == "Pete");
    BOOST_TEST(m.local_part == "pete");
    BOOST_TEST(m.domain.str() == "silly.test");
    auto const n = one("(lead) user (mid) @ (x) example (y) . (z) com (trail)");
    BOOST_TEST(n.address() == "user@example.com");
    auto const nested = one("a@example.com (outer (inner (deepest)) back) ");
    BOOST_TEST(nested.domain.str() == "example.com");
    // Quoted-pairs make parentheses plain text inside comments.
    BOOST_TEST(one("a@example.com (\\( not nested)").domain.str() == "example.com");
    BOOST_TEST(one("(\"quote in comment) a@example.com").domain.str() == "example.com");
}

BOOST_AUTO_TEST_CASE(groups)
{
    auto const g = must("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
    BOOST_TEST(addresses(g) == (std::vector<std::string>{"c@a.test", "joe@where.test", "jdoe@one.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(g[0].display_name == "Ed Jones");

    auto const c =
        must("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
             "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)");
    BOOST_TEST(addresses(c) ==
                   (std::vector<std::string>{"c@public.example", "joe@example.org", "jdoe@one.test"}),
               boost::test_tools::per_element());

    // An empty group yields no mailbox and no error.
    auto const empty = parse_mailbox_list("Undisclosed recipients:;");
    BOOST_TEST(!empty.ec);
    BOOST_TEST(empty.mailboxes.empty());
    BOOST_TEST(!parse_mailbox_list("undisclosed-recipients: ;").ec);

    auto const mixed = must("undisclosed: a@b.example, c@d.example;, e@f.example");
    BOOST_TEST(addresses(mixed) == (std::vector<std::string>{"a@b.example", "c@d.example", "e@f.example"}),
               boost::test_tools::per_element());
    // A missing ';' at the very end is forgiven.
    BOOST_TEST(must("team: a@b.example, c@d.example").size() == 2u);
    BOOST_TEST(!parse_mailbox_list("undisclosed-recipients:").ec);
    // Groups do not nest.
    BOOST_TEST((fails("outer: inner: a@b.example;;") == error::nested_group));
    BOOST_TEST((fails("g: a@b.example; junk") == error::unexpected_character));
    BOOST_TEST((fails("g: a@b.example junk;") == error::unexpected_character));
}

BOOST_AUTO_TEST_CASE(obsolete_syntax)
{
    // RFC 5322 A.6.1: a route, an empty element, CFWS around the domain's dot.
    auto const l = must("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example");
    BOOST_TEST(addresses(l) == (std::vector<std::string>{"mary@example.net", "jdoe@test.example"}),
               boost::test_tools::per_element());
    BOOST_TEST(one("<@a.test,@b.test:user@example.com>").address() == "user@example.com");
    BOOST_TEST(one("Ann <@a.test, @b.test : user@example.com>").address() == "user@example.com");
    // A.6.3: comments and folding inside the domain.
    BOOST_TEST(one("John Doe <jdoe@machine(comment).  example>").domain.str() == "machine.example");
    BOOST_TEST(one("Mary Smith\r\n    \r\n <mary@example.net>").display_name == "Mary Smith");
    // obs-local-part: words and dots with CFWS between.
    BOOST_TEST(one("john . q . public@example.com").local_part == "john.q.public");
    BOOST_TEST(one("john.\"q\".public@example.com").local_part == "john.q.public");
    BOOST_TEST(one("a..b@example.com").local_part == "a..b");
    BOOST_TEST(one(".a.@example.com").local_part == ".a.");
    BOOST_TEST(must(",,a@example.com,,").size() == 1u);
}

BOOST_AUTO_TEST_CASE(quoted_local_part)
{
    auto const m = one("\"john doe\"@example.com");
    BOOST_TEST(m.local_part == "john doe");
    BOOST_TEST(m.address() == "\"john doe\"@example.com");
    auto const n = one("<\"a\\\"b@c\"@example.com>");
    BOOST_TEST(n.local_part == "a\"b@c");
    BOOST_TEST(n.address() == "\"a\\\"b@c\"@example.com");
}

BOOST_AUTO_TEST_CASE(folded_and_unfolded_input)
{
    std::string const folded = "\"Sample\r\n User\" <user@\r\n\texample.com>,\r\n other@example.org";
    auto const list = must(folded);
    BOOST_REQUIRE(list.size() == 2u);
    BOOST_TEST(list[0].display_name == "Sample User");
    BOOST_TEST(list[0].domain.str() == "example.com");
    BOOST_TEST(list[1].domain.str() == "example.org");
    // LF-only line ends, as milters deliver them.
    BOOST_TEST(must("a@example.com,\n\tb@example.com").size() == 2u);
}

BOOST_AUTO_TEST_CASE(mailbox_without_domain)
{
    auto const a = one("<user>");
    BOOST_TEST(a.local_part == "user");
    BOOST_TEST(a.domain.empty());
    BOOST_TEST(a.address() == "user");
    auto const b = one("Local User <root>");
    BOOST_TEST(b.display_name == "Local User");
    BOOST_TEST(b.domain.empty());
    BOOST_TEST(one("root").local_part == "root");
    BOOST_TEST(one("first.last").local_part == "first.last");
    BOOST_TEST(one("<\"odd one\">").local_part == "odd one");
}

BOOST_AUTO_TEST_CASE(display_name_alone_is_no_address)
{
    BOOST_TEST((fails("\"Test 1.1.5\"") == error::no_address));
    BOOST_TEST((fails("Sample User") == error::no_address));
    BOOST_TEST((fails("") == error::no_address));
    BOOST_TEST((fails("   ") == error::no_address));
    BOOST_TEST((fails("(only a comment)") == error::no_address));
    BOOST_TEST((fails(",,,") == error::no_address));
    BOOST_TEST((fails("a@example.com, Just A Name") == error::no_address));
}

BOOST_AUTO_TEST_CASE(at_sign_in_unquoted_display_name)
{
    auto const m = one("user@example.com <real@example.net>");
    BOOST_TEST(m.display_name == "user@example.com");
    BOOST_TEST(m.address() == "real@example.net");
    auto const n = one("service@paypal.com (Service) <phish@evil.example>");
    BOOST_TEST(n.display_name == "service@paypal.com (Service)");
    BOOST_TEST(n.domain.str() == "evil.example");
}

BOOST_AUTO_TEST_CASE(unquoted_comma_in_display_name)
{
    // "Doe, John" is two list elements: a bare word (an address without domain) and a mailbox.
    // No single Author Domain comes out of it, so DMARC cannot pass on such a From.
    auto const list = must("Doe, John <john@example.com>");
    BOOST_REQUIRE(list.size() == 2u);
    BOOST_TEST(list[0].local_part == "Doe");
    BOOST_TEST(list[0].domain.empty());
    BOOST_TEST(list[1].display_name == "John");
    BOOST_TEST(!core::single_from_domain("Doe, John <john@example.com>"));
    BOOST_TEST(core::single_from_domain("\"Doe, John\" <john@example.com>")->str() == "example.com");
}

BOOST_AUTO_TEST_CASE(domain_literals)
{
    auto const m = one("user@[192.0.2.1]");
    BOOST_TEST(m.domain.empty());
    BOOST_TEST(m.domain_literal == "[192.0.2.1]");
    BOOST_TEST(m.address() == "user@[192.0.2.1]");
    BOOST_TEST(one("<user@[ IPv6:2001:db8::1 ]>").domain_literal == "[IPv6:2001:db8::1]");
    // An escaped bracket stays escaped, so the address reads back the same.
    auto const e = one("u@[a\\]b]");
    BOOST_TEST(e.domain_literal == "[a\\]b]");
    BOOST_TEST(one(e.address()).domain_literal == e.domain_literal);
    BOOST_TEST((fails("user@[192.0.2.1") == error::unterminated_literal));
    BOOST_TEST((fails("user@[]") == error::bad_address_literal));
    BOOST_TEST((fails("user@[a[b]") == error::bad_address_literal));
}

BOOST_AUTO_TEST_CASE(syntax_errors)
{
    struct bad {
        char const* text;
        error expected;
    };
    for(auto const& c : {
            bad{"\"unterminated <a@example.com>", error::unterminated_quote},
            bad{"\"ends in backslash\\", error::unterminated_quote},
            bad{"Name <a@example.com", error::unterminated_angle},
            bad{"Name <a", error::unterminated_angle},
            bad{"Name <", error::unterminated_angle},
            bad{"Name (comment <a@example.com>", error::unbalanced_comment},
            bad{"Name ) <a@example.com>", error::unbalanced_comment},
            bad{"a@example.com)", error::unbalanced_comment},
            bad{"a@)", error::unbalanced_comment},
            bad{"Name <>", error::bad_address},
            bad{"Name < >", error::bad_address},
            bad{"<@example.com>", error::bad_local_part},
            bad{"john doe@example.com", error::bad_local_part},
            bad{"@example.com", error::bad_local_part},
            bad{"a@", error::bad_domain},
            bad{"a@,b@example.com", error::bad_domain},
            bad{"a@example..com", error::empty_label},
            bad{"a@ex!ample.com", error::bad_domain},
            bad{"a@example.com@example.net", error::unexpected_character},
            bad{"a@example.com b@example.com", error::unexpected_character},
            bad{"<a@example.com> <b@example.com>", error::unexpected_character},
            bad{"a@example.com; b@example.com", error::unexpected_character},
            bad{"Name [x] <a@example.com>", error::unexpected_character},
            bad{"<a@example.com x>", error::unexpected_character},
            bad{"\\a@example.com", error::unexpected_character},
            bad{">", error::unexpected_character},
        })
        BOOST_TEST((fails(c.text) == c.expected),
                   c.text << " gave " << parse_mailbox_list(c.text).ec.message());
    BOOST_TEST((fails(std::string_view("a\0b@example.com", 15)) == error::unexpected_character));
    BOOST_TEST((fails(std::string_view("\"a\0b\"@example.com", 17)) == error::unexpected_character));
    BOOST_TEST((fails(std::string_view("a@example\0.com", 14)) == error::unexpected_character));
    BOOST_TEST((fails(std::string_view("a@example.com (x\0)", 18)) == error::unexpected_character));
    BOOST_TEST((fails(std::string_view("a@example.com (\\\0)", 18)) == error::unexpected_character));
}

BOOST_AUTO_TEST_CASE(mailboxes_before_an_error_are_kept)
{
    auto const r = parse_mailbox_list("a@one.example, b@two.example, \"broken");
    BOOST_TEST((r.ec == error::unterminated_quote));
    BOOST_TEST(addresses(r.mailboxes) == (std::vector<std::string>{"a@one.example", "b@two.example"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(comment_depth_is_bounded)
{
    auto const nest = [](int depth) {
        return "a@example.com " + std::string(static_cast<std::size_t>(depth), '(') +
               std::string(static_cast<std::size_t>(depth), ')');
    };
    BOOST_TEST(!parse_mailbox_list(nest(64)).ec);
    BOOST_TEST((parse_mailbox_list(nest(65)).ec == error::comment_too_deep));
    BOOST_TEST((parse_mailbox_list(std::string(1000000, '(')).ec == error::comment_too_deep));
    BOOST_TEST((parse_mailbox_list("a@example.com " + std::string(64, '(')).ec == error::unbalanced_comment));
}

BOOST_AUTO_TEST_CASE(large_hostile_inputs_terminate)
{
    std::string many;
    for(int i = 0; i < 10000; ++i)
        many += "u" + std::to_string(i) + "@d" + std::to_string(i % 7) + ".example,";
    auto const r = parse_mailbox_list(many);
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.mailboxes.size() == 10000u);
    BOOST_TEST(core::from_domains(r).size() == 7u);
    std::string distinct;
    for(int i = 0; i < 20000; ++i)
        distinct += "u@d" + std::to_string(i) + ".example,";
    auto const all = core::from_domains(distinct);
    BOOST_REQUIRE(all.size() == 20000u);
    BOOST_TEST(all[12345].str() == "d12345.example");
    BOOST_TEST((parse_mailbox_list(std::string(200000, '<')).ec == error::bad_local_part));
    // Pairs of quotes are empty quoted strings: a display name without address.
    BOOST_TEST((parse_mailbox_list(std::string(200000, '"')).ec == error::no_address));
    BOOST_TEST((parse_mailbox_list(std::string(200001, '"')).ec == error::unterminated_quote));
    BOOST_TEST((parse_mailbox_list(std::string(200000, '@')).ec == error::bad_local_part));
    BOOST_TEST((parse_mailbox_list(std::string(200000, ':')).ec == error::nested_group));
    BOOST_TEST((parse_mailbox_list(std::string(200000, '\\')).ec == error::unexpected_character));
    BOOST_TEST(!parse_mailbox_list(std::string(200000, ',') + "a@b.example").ec);
    BOOST_TEST((parse_mailbox_list("a@" + std::string(300, '.')).ec == error::empty_label));
    std::string long_name;
    for(int i = 0; i < 10; ++i)
        long_name += std::string(30, 'x') + ".";
    BOOST_TEST((parse_mailbox_list("a@" + long_name + "example").ec == error::domain_too_long));
}

BOOST_AUTO_TEST_CASE(from_domains_are_distinct_and_lower_case)
{
    auto const d =
        core::from_domains("A <x@Example.COM>, y@example.com, z@Other.Example, w@[192.0.2.1], <local>");
    BOOST_REQUIRE(d.size() == 2u);
    BOOST_TEST(d[0].str() == "example.com");
    BOOST_TEST(d[1].str() == "other.example");
    BOOST_TEST(core::from_domains("\"Test 1.1.5\"").empty());
    // Mailboxes before an error still count here.
    BOOST_TEST(core::from_domains("a@one.example, (").size() == 1u);
}

BOOST_AUTO_TEST_CASE(single_from_domain_policy)
{
    BOOST_TEST(core::single_from_domain("Sample User <user@Example.com>")->str() == "example.com");
    // Several mailboxes of one domain: that domain.
    BOOST_TEST(core::single_from_domain("a@example.com, B <b@EXAMPLE.com>")->str() == "example.com");
    BOOST_TEST(core::single_from_domain("g: a@example.com;")->str() == "example.com");
    // Several domains, a mailbox without domain, a literal, an error, nothing at all: none.
    BOOST_TEST(!core::single_from_domain("a@example.com, b@example.net"));
    BOOST_TEST(!core::single_from_domain("a@example.com, <root>"));
    BOOST_TEST(!core::single_from_domain("a@example.com, a@[192.0.2.1]"));
    BOOST_TEST(!core::single_from_domain("a@example.com, \"broken"));
    BOOST_TEST(!core::single_from_domain("undisclosed-recipients:;"));
    BOOST_TEST(!core::single_from_domain(""));
    BOOST_TEST(!core::single_from_domain("\"Test 1.1.5\""));
}

BOOST_AUTO_TEST_SUITE_END()

// The example in doc/core.md, compiled and run here.
BOOST_AUTO_TEST_SUITE(core_mailbox_doc)

BOOST_AUTO_TEST_CASE(from_domain_snippet)
{
    //[core_from_domain
    auto const list = core::parse_mailbox_list("\"Sample User\" <user@Example.COM>, (team) b@example.com");
    // list.ec is clear; list.mailboxes holds two mailboxes of the domain example.com
    std::optional<core::domain> author = core::single_from_domain(list);
    // author->str() == "example.com": one domain, so DMARC has an Author Domain
    //]
    BOOST_TEST(!list.ec);
    BOOST_REQUIRE(list.mailboxes.size() == 2u);
    BOOST_TEST(list.mailboxes[0].display_name == "Sample User");
    BOOST_REQUIRE(author);
    BOOST_TEST(author->str() == "example.com");
}

BOOST_AUTO_TEST_SUITE_END()
