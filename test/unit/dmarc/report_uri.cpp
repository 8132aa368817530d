// Test that header file is self-contained.
#include <authmilter/dmarc/report_uri.hpp>

#include <boost/test/unit_test.hpp>

using namespace authmilter::dmarc;

BOOST_AUTO_TEST_SUITE(dmarc_report_uri)

BOOST_AUTO_TEST_CASE(mailto_with_size_suffixes)
{
    struct {
        char const* text;
        std::uint64_t size;
    } const cases[] = {
        {"mailto:a@example.com!10", 10},         {"mailto:a@example.com!10k", 10ull << 10},
        {"mailto:a@example.com!2M", 2ull << 20}, {"mailto:a@example.com!3g", 3ull << 30},
        {"mailto:a@example.com!1t", 1ull << 40},
    };
    for(auto const& c : cases) {
        auto u = parse_report_uri(c.text);
        BOOST_REQUIRE(u);
        BOOST_TEST(u->supported);
        BOOST_TEST(u->text == "mailto:a@example.com");
        BOOST_TEST(u->host == "example.com");
        BOOST_TEST(*u->max_size == c.size);
    }
}

BOOST_AUTO_TEST_CASE(broken_or_unsupported)
{
    BOOST_TEST(!parse_report_uri("not a uri"));
    BOOST_TEST(!parse_report_uri("mailto:a@example.com!x")->supported);
    BOOST_TEST(!parse_report_uri("mailto:a@example.com!99999999999999999999t")->supported);
    BOOST_TEST(!parse_report_uri("ftp://example.com/pub")->supported);
    BOOST_TEST(!parse_report_uri("mail:someone@example.com")->supported);
    BOOST_TEST(!parse_report_uri("mailto:a@b@example.com")->supported);
    BOOST_TEST(!parse_report_uri("mailto:example.com")->supported);
    BOOST_TEST(!parse_report_uri("https:/example.com")->supported);
}

BOOST_AUTO_TEST_CASE(https_host)
{
    auto u = parse_report_uri("https://User@Reports.Example.NET:8443/dmarc?x=1!1m");
    BOOST_REQUIRE(u);
    BOOST_TEST(u->supported);
    BOOST_TEST(u->scheme == "https");
    BOOST_TEST(u->host == "reports.example.net");
    BOOST_TEST(*u->max_size == 1u << 20);
}

BOOST_AUTO_TEST_CASE(lists)
{
    auto l = parse_report_uri_list(" mailto:a@example.com , ftp://x , ,mailto:b@example.org");
    BOOST_REQUIRE(l.size() == 3u);
    BOOST_TEST(has_supported_uri(l));
    BOOST_TEST(!has_supported_uri(parse_report_uri_list("ftp://x")));
}

BOOST_AUTO_TEST_SUITE_END()
