// Test that header file is self-contained.
#include <authmilter/pipeline/run.hpp>

#include <boost/test/unit_test.hpp>

using authmilter::pipeline::split_message;

BOOST_AUTO_TEST_SUITE(pipeline_run)

BOOST_AUTO_TEST_CASE(splits_headers_and_body_with_folding)
{
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    split_message("From: a@example.org\nSubject: one\n  two\nX-Empty:\n\nline1\nline2\n", headers, body);
    BOOST_REQUIRE_EQUAL(headers.size(), 3u);
    BOOST_TEST(headers[0].name == "From");
    BOOST_TEST(headers[0].raw_value == " a@example.org");
    BOOST_TEST(headers[1].raw_value == " one\r\n  two");
    BOOST_TEST(headers[1].unfolded() == "one  two");
    BOOST_TEST(headers[2].raw_value == "");
    BOOST_TEST(body == "line1\r\nline2\r\n");
}

BOOST_AUTO_TEST_CASE(crlf_input_and_no_body)
{
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    split_message("A: 1\r\nB: 2\r\n", headers, body);
    BOOST_TEST(headers.size() == 2u);
    BOOST_TEST(body.empty());
}

BOOST_AUTO_TEST_CASE(a_line_without_colon_starts_the_body)
{
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    split_message("A: 1\r\nnot a header\r\nmore\r\n", headers, body);
    BOOST_TEST(headers.size() == 1u);
    BOOST_TEST(body == "not a header\r\nmore\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
