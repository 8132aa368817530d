// Test that header file is self-contained.
#include <authmilter/authres/format.hpp>
#include <authmilter/authres/parse.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace ar = authmilter::authres;

namespace {

ar::error
error_of(std::string const& in)
{
    auto r = ar::parse(in);
    if(r)
        return ar::error{};
    BOOST_TEST((r.error().category() == ar::error_category()));
    return static_cast<ar::error>(r.error().value());
}

} // namespace

BOOST_AUTO_TEST_SUITE(authres_parse)

BOOST_AUTO_TEST_CASE(full_example)
{
    auto h = ar::parse("Authentication-Results: mx.example.com 1 (our id);\r\n"
                       "  dkim/1 = pass (2048-bit key) reason=\"good \\\"sig\\\"\" header.d=example.com (d) "
                       "header.i=@example.com;\r\n"
                       "  x-ptr=pass x-ptr-helo=mail.example.com; spf=none");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->authserv_id == "mx.example.com");
    BOOST_TEST(h->authserv_version.value_or("") == "1");
    BOOST_TEST(h->authserv_comments == std::vector<std::string>{"our id"}, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(h->results.size() == 3u);
    auto const& dkim = h->results[0];
    BOOST_TEST(dkim.method == "dkim");
    BOOST_TEST(dkim.method_version.value_or("") == "1");
    BOOST_TEST(dkim.value == "pass");
    BOOST_TEST(dkim.reason.value_or("") == "good \"sig\"");
    BOOST_TEST(dkim.comments == std::vector<std::string>{"2048-bit key"}, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(dkim.properties.size() == 2u);
    BOOST_TEST(dkim.properties[0].ptype == "header");
    BOOST_TEST(dkim.properties[0].name == "d");
    BOOST_TEST(dkim.properties[0].comments == std::vector<std::string>{"d"},
               boost::test_tools::per_element());
    BOOST_TEST(dkim.properties[1].value == "@example.com");
    BOOST_TEST(!h->results[1].properties.at(0).is_rfc());
    BOOST_TEST(h->results[2].value == "none");
}

BOOST_AUTO_TEST_CASE(none_forms)
{
    for(std::string in : {"example.com; none", "example.com;", "example.com", "example.com; (c) none"}) {
        auto h = ar::parse(in);
        BOOST_TEST_REQUIRE(h.has_value(), in);
        BOOST_TEST(h->is_none(), in);
    }
    auto h = ar::parse("example.com; none (after)");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->header_comments == std::vector<std::string>{"after"}, boost::test_tools::per_element());
    // A quoted "none" is a method, not the no-result marker: our formatter writes such a method quoted.
    auto q = ar::parse("example.com; \"none\"=pass");
    BOOST_TEST_REQUIRE(q.has_value());
    BOOST_TEST(q->results.size() == 1u);
}

BOOST_AUTO_TEST_CASE(error_cases)
{
    BOOST_TEST((error_of("") == ar::error::empty_input));
    BOOST_TEST((error_of(" \r\n ") == ar::error::empty_input));
    BOOST_TEST((error_of("Authentication-Results:") == ar::error::empty_input));
    BOOST_TEST((error_of(";none") == ar::error::missing_authserv_id));
    BOOST_TEST((error_of("\"\"; none") == ar::error::missing_authserv_id));
    BOOST_TEST((error_of("example.com; none dkim=pass") == ar::error::unexpected_string));
    BOOST_TEST((error_of("example.com; none none") == ar::error::unexpected_string));
    BOOST_TEST((error_of("test.example.com = = test;") == ar::error::unexpected_assignment));
    BOOST_TEST((error_of("test.example.com foo . bar = test;") == ar::error::unexpected_token));
    BOOST_TEST((error_of("test.example.com foo bar = test;") == ar::error::unexpected_string));
    BOOST_TEST((error_of("test.example.com; foo = = bar;") == ar::error::unexpected_assignment));
    BOOST_TEST((error_of("test.example.com; foo / bar = test;") == ar::error::bad_version));
    BOOST_TEST((error_of("test.example.com; foo . . bar = test;") == ar::error::empty_string));
    BOOST_TEST((error_of("example.com; dkim=pass header.d/1=x") == ar::error::property_version));
    BOOST_TEST((error_of("example.com; \"\"=pass") == ar::error::bad_key));
    BOOST_TEST((error_of("example.com; dkim=pa\"ss") == ar::error::invalid_character));
    BOOST_TEST((error_of("example.com; dkim=pass (open") == ar::error::unterminated_comment));
    BOOST_TEST((error_of("example.com; dkim=pass reason=\"open") == ar::error::unterminated_quoted_string));
    BOOST_TEST((error_of("example.com; dkim=fail / x") == ar::error::bad_version));
}

BOOST_AUTO_TEST_CASE(comment_nesting_is_bounded)
{
    std::string deep = "example.com; dkim=pass ";
    deep += std::string(100000, '(') + std::string(100000, ')');
    BOOST_TEST((error_of(deep) == ar::error::comment_too_deep));
    ar::parse_options o;
    o.max_comment_depth = 3;
    BOOST_TEST(ar::parse("example.com; dkim=pass (a (b (c)))", o).has_value());
    BOOST_TEST(!ar::parse("example.com; dkim=pass (a (b (c (d))))", o).has_value());
}

BOOST_AUTO_TEST_CASE(quoted_pairs_and_line_breaks)
{
    auto h = ar::parse("example.com; dkim=pass (a \\) b) reason=\"x\\\\y\"");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->results[0].comments.at(0) == "a \\) b"); // comment text is kept as written
    BOOST_TEST(h->results[0].reason.value_or("") == "x\\y");
    // CR and LF read as spaces, as the Perl tool reads them.
    auto f = ar::parse("example.com; spf=pass (two\r\n lines)");
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST(f->results[0].comments.at(0) == "two   lines");
}

BOOST_AUTO_TEST_CASE(lenient_forms)
{
    auto h = ar::parse("mta.example.com  from=a.example; foo; bar=; address=x=y@z; header.from=.net");
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->authserv_properties.size() == 1u);
    BOOST_TEST(h->authserv_properties[0].name == "from");
    BOOST_TEST_REQUIRE(h->results.size() == 4u);
    BOOST_TEST(h->results[0].value == "");
    BOOST_TEST(h->results[1].value == "");
    BOOST_TEST(h->results[2].value == "x=y@z");
    BOOST_TEST(h->results[3].method == "header.from");
    BOOST_TEST(h->results[3].value == ".net");
}

BOOST_AUTO_TEST_CASE(hostile_bytes_do_not_throw)
{
    std::string junk;
    for(int i = 0; i < 4096; ++i)
        junk += static_cast<char>((i * 7919) % 256);
    BOOST_CHECK_NO_THROW((void)ar::parse(junk));
    BOOST_CHECK_NO_THROW((void)ar::parse(std::string(100000, '"')));
    BOOST_CHECK_NO_THROW((void)ar::parse(std::string(100000, ';')));
}

// Round trip over every conformance input: what parses, formatted in every style, parses back to the
// same model.
BOOST_AUTO_TEST_CASE(round_trip_over_conformance_inputs)
{
    std::ifstream in(std::string(AUTHMILTER_TESTDATA_DIR) + "/authres/authres-cases.json", std::ios::binary);
    BOOST_TEST_REQUIRE(in.good());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto doc = boost::json::parse(text);
    std::vector<std::string> inputs;
    for(auto const& c : doc.at("parse_cases").as_array())
        inputs.emplace_back(c.at("input").as_string());
    for(auto const& c : doc.at("format_cases").as_array())
        inputs.emplace_back(c.at("input").as_string());
    BOOST_TEST(inputs.size() == 90u);
    int parsed_count = 0;
    for(auto const& input : inputs) {
        auto h = ar::parse(input);
        if(!h)
            continue;
        ++parsed_count;
        for(auto style :
            {ar::fold_style::none, ar::fold_style::entry, ar::fold_style::subentry, ar::fold_style::full}) {
            for(bool strict : {false, true}) {
                for(bool rfc_version : {false, true}) {
                    ar::format_options o;
                    o.style = style;
                    o.strict_quotes = strict;
                    o.rfc_method_version = rfc_version;
                    auto out = ar::format(*h, o);
                    BOOST_TEST(!out.hard_wrapped);
                    auto back = ar::parse(out.text);
                    BOOST_TEST_REQUIRE(back.has_value(), out.text);
                    auto want = *h;
                    if(rfc_version) // the RFC form puts the version before every comment
                        for(auto& r : want.results)
                            r.method_version_position = 0;
                    BOOST_TEST((*back == want), input << " -> " << out.text);
                }
            }
        }
    }
    BOOST_TEST(parsed_count == 74); // 90 inputs, 16 of them invalid
}

BOOST_AUTO_TEST_SUITE_END()
