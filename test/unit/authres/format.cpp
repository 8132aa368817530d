// Test that header file is self-contained.
#include <authmilter/authres/format.hpp>
#include <authmilter/authres/order.hpp>
#include <authmilter/authres/parse.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace ar = authmilter::authres;

namespace {

ar::header
small_header()
{
    ar::header h("example.com");
    h.add({"spf", "pass"}).add_comment("c").add_property("smtp", "mailfrom", "a@b.example", "pc");
    return h;
}

std::string
fmt(ar::header const& h, ar::fold_style s, bool strict = false)
{
    ar::format_options o;
    o.style = s;
    o.strict_quotes = strict;
    return ar::to_string(h, o);
}

// Every line of `text` (split at `eol`) within the cap; the first counts the field name.
bool
lines_within(std::string const& text, std::size_t cap, std::size_t first_offset,
             std::string const& eol = "\n")
{
    std::size_t start = 0;
    bool first = true;
    for(;;) {
        auto end = text.find(eol, start);
        auto len = (end == std::string::npos ? text.size() : end) - start;
        if(len + (first ? first_offset : 0) > cap)
            return false;
        if(end == std::string::npos)
            return true;
        start = end + eol.size();
        first = false;
    }
}

// Every continuation line starts with whitespace and holds something else too.
bool
continuations_ok(std::string const& text, std::string const& eol = "\n")
{
    std::size_t start = text.find(eol);
    while(start != std::string::npos) {
        start += eol.size();
        auto end = text.find(eol, start);
        auto line = text.substr(start, (end == std::string::npos ? text.size() : end) - start);
        if(line.empty() || line[0] != ' ' || line.find_first_not_of(' ') == std::string::npos)
            return false;
        start = end;
    }
    return true;
}

std::string
without_spaces(std::string s)
{
    std::erase(s, ' ');
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(authres_format)

BOOST_AUTO_TEST_CASE(each_fold_style)
{
    auto const h = small_header();
    BOOST_TEST(fmt(h, ar::fold_style::none) == "example.com; spf=pass (c) smtp.mailfrom=a@b.example (pc)");
    BOOST_TEST(fmt(h, ar::fold_style::entry) ==
               "example.com;\n    spf=pass (c) smtp.mailfrom=a@b.example (pc)");
    BOOST_TEST(fmt(h, ar::fold_style::subentry) ==
               "example.com;\n    spf=pass (c)\n        smtp.mailfrom=a@b.example (pc)");
    BOOST_TEST(
        fmt(h, ar::fold_style::full) ==
        "example.com;\n    spf=pass\n        (c)\n        smtp.mailfrom=a@b.example\n            (pc)");
    BOOST_TEST(
        fmt(h, ar::fold_style::full, true) ==
        "example.com;\n    spf=pass\n        (c)\n        smtp.mailfrom=\"a@b.example\"\n            (pc)");
}

BOOST_AUTO_TEST_CASE(indent_by_and_crlf)
{
    ar::format_options o;
    o.style = ar::fold_style::subentry;
    o.indent_by = 2;
    o.eol = "\r\n";
    BOOST_TEST(ar::to_string(small_header(), o) ==
               "example.com;\r\n  spf=pass (c)\r\n    smtp.mailfrom=a@b.example (pc)");
}

BOOST_AUTO_TEST_CASE(indent_is_never_zero)
{
    // A continuation line must start with whitespace, or it would start a new header field.
    ar::format_options o;
    o.indent_by = 0;
    BOOST_TEST(ar::to_string(small_header(), o) ==
               "example.com;\n spf=pass (c) smtp.mailfrom=a@b.example (pc)");
    o.indent_by = 100000;
    o.style = ar::fold_style::full;
    auto out = ar::format(small_header(), o);
    BOOST_TEST(lines_within(out.text, 998, 24));
    BOOST_TEST(ar::parse(out.text).has_value());
}

BOOST_AUTO_TEST_CASE(no_result_is_none)
{
    ar::header h("example.com");
    BOOST_TEST(ar::to_string(h) == "example.com; none");
    h.header_comments.push_back("nothing here");
    BOOST_TEST(ar::to_string(h) == "example.com; (nothing here) none");
    h.authserv_version = "1";
    BOOST_TEST(ar::to_string(h) == "example.com 1; (nothing here) none");
}

BOOST_AUTO_TEST_CASE(perl_default_output)
{
    // Authentication Milter's documented default output, built from handlers' entries in arbitrary
    // order and sorted as the Perl tool sorts them.
    ar::header h("test.module");
    h.add({"x-ptr", "pass"})
        .add_property("smtp", "helo", "mail-we0-f171.google.com")
        .add_property("policy", "ptr", "mail-we0-f171.google.com");
    h.add({"spf", "pass"})
        .add_property("smtp", "mailfrom", "marc@marcbradshaw.net")
        .add_property("smtp", "helo", "mail-we0-f171.google.com");
    h.add({"dkim", "pass"})
        .add_comment("1024-bit rsa key sha256")
        .add_property("header", "d", "marcbradshaw.net")
        .add_property("header", "i", "@marcbradshaw.net")
        .add_property("header", "b", "DU/QdEi3")
        .add_property("header", "a", "rsa-sha256")
        .add_property("header", "s", "google");
    h.add({"iprev", "pass"}).add_property("smtp", "remote-ip", "74.125.82.171", "mail-we0-f171.google.com");
    h.add({"dmarc", "pass"})
        .add_property("policy", "published-domain-policy", "none")
        .add_property("policy", "applied-disposition", "none")
        .add_property("policy", "evaluated-disposition", "none", "p=none,d=none,d.eval=none")
        .add_property("policy", "policy-from", "p")
        .add_property("header", "from", "marcbradshaw.net");
    h.add({"x-google-dkim", "pass"})
        .add_comment("2048-bit rsa key")
        .add_property("header", "d", "1e100.net")
        .add_property("header", "i", "@1e100.net")
        .add_property("header", "b", "aIL04w54");
    h.add({"dkim-adsp", "pass"}).add_comment("ADSP policy from marcbradshaw.net");
    ar::sort_results(h.results);
    std::string const expected =
        "test.module;\n"
        "    dkim-adsp=pass (ADSP policy from marcbradshaw.net);\n"
        "    dkim=pass (1024-bit rsa key sha256) header.d=marcbradshaw.net header.i=@marcbradshaw.net "
        "header.b=DU/QdEi3 header.a=rsa-sha256 header.s=google;\n"
        "    dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none "
        "policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p "
        "header.from=marcbradshaw.net;\n"
        "    iprev=pass smtp.remote-ip=74.125.82.171 (mail-we0-f171.google.com);\n"
        "    spf=pass smtp.mailfrom=marc@marcbradshaw.net smtp.helo=mail-we0-f171.google.com;\n"
        "    x-google-dkim=pass (2048-bit rsa key) header.d=1e100.net header.i=@1e100.net "
        "header.b=aIL04w54;\n"
        "    x-ptr=pass smtp.helo=mail-we0-f171.google.com policy.ptr=mail-we0-f171.google.com";
    BOOST_TEST(ar::to_string(h) == expected);
}

BOOST_AUTO_TEST_CASE(quoting_rules)
{
    auto one = [](std::string value, bool strict = false) {
        ar::header h("example.com");
        h.add({"dkim", "pass"}).add_property("header", "x", std::move(value));
        ar::format_options o;
        o.style = ar::fold_style::none;
        o.strict_quotes = strict;
        return ar::to_string(h, o);
    };
    BOOST_TEST(one("plain") == "example.com; dkim=pass header.x=plain");
    BOOST_TEST(one("") == "example.com; dkim=pass header.x=\"\"");
    BOOST_TEST(one("0") == "example.com; dkim=pass header.x=0");
    BOOST_TEST(one("two words") == "example.com; dkim=pass header.x=\"two words\"");
    BOOST_TEST(one("tab\there") == "example.com; dkim=pass header.x=\"tab\there\"");
    BOOST_TEST(one("a=b") == "example.com; dkim=pass header.x=\"a=b\"");
    BOOST_TEST(one("a;b") == "example.com; dkim=pass header.x=\"a;b\"");
    BOOST_TEST(one("a(b)") == "example.com; dkim=pass header.x=\"a(b)\"");
    BOOST_TEST(one("say \"hi\"") == "example.com; dkim=pass header.x=\"say \\\"hi\\\"\"");
    BOOST_TEST(one("line\r\nbreak") == "example.com; dkim=pass header.x=\"line  break\"");
    // Not quoted by default, quoted in strict mode (RFC 2045 tspecials).
    for(std::string v : {"user@example.com", "a/b", "2001:db8::1", "[x]", "a,b"}) {
        BOOST_TEST(one(v) == "example.com; dkim=pass header.x=" + v);
        BOOST_TEST(one(v, true) == "example.com; dkim=pass header.x=\"" + v + "\"");
    }
    BOOST_TEST(one("V9y21l+w.-_", true) == "example.com; dkim=pass header.x=V9y21l+w.-_");
}

BOOST_AUTO_TEST_CASE(comments_and_keys)
{
    ar::header h("example.com");
    h.add({"dkim", "pass"}).add_comment("open ( only").add_comment("(nested) fine");
    h.add({"none", "pass"});
    h.add({"we/ird", "pass"});
    ar::format_options o;
    o.style = ar::fold_style::none;
    BOOST_TEST(ar::to_string(h, o) ==
               "example.com; dkim=pass (open   only) ((nested) fine); \"none\"=pass; \"we/ird\"=pass");
    // A result without a method is skipped; with no other result the header says none.
    ar::header e("example.com");
    e.add({"", "pass"});
    BOOST_TEST(ar::to_string(e) == "example.com; none");
}

BOOST_AUTO_TEST_CASE(method_version_placement)
{
    ar::header h("example.com");
    auto& r = h.add({"dkim", "fail"});
    r.method_version = "1";
    r.method_version_position = 1;
    r.add_comment("before").add_comment("after");
    ar::format_options o;
    o.style = ar::fold_style::none;
    BOOST_TEST(ar::to_string(h, o) == "example.com; dkim=fail (before) / 1 (after)");
    o.rfc_method_version = true;
    BOOST_TEST(ar::to_string(h, o) == "example.com; dkim/1=fail (before) (after)");
    // Both forms read back to the same model.
    for(bool rfc : {false, true}) {
        o.rfc_method_version = rfc;
        auto back = ar::parse(ar::to_string(h, o));
        BOOST_TEST_REQUIRE(back.has_value());
        BOOST_TEST(back->results[0].method_version.value_or("") == "1");
    }
}

BOOST_AUTO_TEST_CASE(fold_at)
{
    ar::header h("test.example.com");
    auto& r = h.add({"foo", "bar"});
    for(int i = 1; i <= 3; ++i)
        r.add_property("", "string" + std::to_string(i), "string");
    ar::format_options o;
    o.fold_at = 40;
    BOOST_TEST(ar::to_string(h, o) ==
               "test.example.com;\n    foo=bar string1=string\n      string2=string string3=string");
}

BOOST_AUTO_TEST_CASE(tiny_fold_at_terminates_and_reads_back)
{
    auto h = small_header();
    h.add({"dkim", "pass"}).add_property("header", "d", "example.com");
    for(std::size_t at : {0u, 1u, 5u}) {
        ar::format_options o;
        o.fold_at = at;
        auto out = ar::format(h, o);
        BOOST_TEST(!out.hard_wrapped);
        auto back = ar::parse(out.text);
        BOOST_TEST_REQUIRE(back.has_value());
        BOOST_TEST((*back == h));
    }
}

BOOST_AUTO_TEST_CASE(soft_folding_long_entry_is_lossless)
{
    ar::header h("example.com");
    auto& r = h.add({"x-many", "pass"});
    for(int i = 0; i < 200; ++i)
        r.add_property("policy", "p" + std::to_string(i), "value-number-" + std::to_string(i));
    auto out = ar::format(h);
    BOOST_TEST(!out.hard_wrapped);
    BOOST_TEST(lines_within(out.text, 800 + 24, 0));
    auto back = ar::parse(out.text);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == h));
}

BOOST_AUTO_TEST_CASE(huge_value_never_exceeds_998)
{
    for(auto style : {ar::fold_style::none, ar::fold_style::entry, ar::fold_style::full}) {
        for(std::string eol : {"\n", "\r\n"}) {
            ar::header h("example.com");
            std::string const big(5000, 'a');
            h.add({"dkim", "pass"}).add_property("header", "b", big);
            ar::format_options o;
            o.style = style;
            o.eol = eol;
            auto out = ar::format(h, o);
            BOOST_TEST(out.hard_wrapped);
            BOOST_TEST(lines_within(out.text, 998, 24, eol));
            BOOST_TEST(continuations_ok(out.text, eol));
            auto back = ar::parse(out.text);
            BOOST_TEST_REQUIRE(back.has_value());
            BOOST_TEST_REQUIRE(back->results.size() == 1u);
            BOOST_TEST(without_spaces(back->results[0].properties.at(0).value) == big);
        }
    }
}

BOOST_AUTO_TEST_CASE(huge_comment_and_authserv_id)
{
    std::string words;
    while(words.size() < 3000)
        words += "word ";
    ar::header h(std::string(990, 'm') + ".example");
    h.add({"spf", "pass"}).add_comment(words);
    auto out = ar::format(h);
    BOOST_TEST(out.hard_wrapped);
    BOOST_TEST(lines_within(out.text, 998, 24));
    auto back = ar::parse(out.text);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(without_spaces(back->authserv_id) == h.authserv_id);
    BOOST_TEST(without_spaces(back->results.at(0).comments.at(0)) == without_spaces(words));
    BOOST_TEST(continuations_ok(out.text));

    // A comment of nothing but spaces still gives no whitespace-only line.
    ar::header blank("example.com");
    blank.add({"spf", "pass"}).add_comment(std::string(5000, ' ') + "x");
    auto b = ar::format(blank);
    BOOST_TEST(lines_within(b.text, 998, 24));
    BOOST_TEST(continuations_ok(b.text));
    BOOST_TEST(ar::parse(b.text).has_value());

    // A smaller cap and a field name counted on the first line.
    ar::format_options o;
    o.max_line_length = 78;
    o.first_line_offset = 24;
    auto small = ar::format(h, o);
    BOOST_TEST(lines_within(small.text, 78, 24));
    BOOST_TEST(ar::parse(small.text).has_value());
}

BOOST_AUTO_TEST_CASE(result_to_string_is_one_line)
{
    ar::result r("dkim", "pass");
    r.add_comment("1024-bit key").add_property("header", "d", "example.com");
    BOOST_TEST(ar::to_string(r) == "dkim=pass (1024-bit key) header.d=example.com");
}

BOOST_AUTO_TEST_SUITE_END()
