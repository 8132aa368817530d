// Test that header file is self-contained.
#include <authmilter/pipeline/apply_edits.hpp>

#include <boost/test/unit_test.hpp>

namespace pl = authmilter::pipeline;
using authmilter::core::header_field;

BOOST_AUTO_TEST_SUITE(pipeline_apply_edits)

BOOST_AUTO_TEST_CASE(inserts_at_top_reverse_the_order_like_a_milter_mta)
{
    std::vector<header_field> h{{"From", " a@b"}, {"Subject", " s"}};
    pl::apply_edits(h, {pl::header_edit::insert(1, "Received-SPF", "pass"),
                        pl::header_edit::insert(1, "Authentication-Results", "mx; spf=pass"),
                        pl::header_edit::add("X-Authentication-Milter", "added")});
    BOOST_TEST(pl::serialize_headers(h) == "Authentication-Results: mx; spf=pass\r\n"
                                           "Received-SPF: pass\r\n"
                                           "From: a@b\r\n"
                                           "Subject: s\r\n"
                                           "X-Authentication-Milter: added\r\n");
}

BOOST_AUTO_TEST_CASE(change_and_remove_by_name_index)
{
    std::vector<header_field> h{{"Authentication-Results", " one"},
                                {"X", " x"},
                                {"authentication-results", " two"},
                                {"Authentication-Results", " three"}};
    pl::apply_edits(h, {pl::header_edit::remove("Authentication-Results", 3),
                        pl::header_edit::change("Authentication-Results", 1, "ONE"),
                        pl::header_edit::change("Authentication-Results", 2, ""),
                        pl::header_edit::remove("Missing", 1)});
    BOOST_REQUIRE_EQUAL(h.size(), 2u);
    BOOST_TEST(h[0].raw_value == " ONE");
    BOOST_TEST(h[1].name == "X");
}

BOOST_AUTO_TEST_CASE(folded_values_are_written_with_crlf)
{
    std::vector<header_field> h{{"A", " x\n    y"}};
    BOOST_TEST(pl::serialize_headers(h) == "A: x\r\n    y\r\n");
    pl::apply_edits(h, {pl::header_edit::insert(99, "B", "end")});
    BOOST_TEST(h.back().name == "B");
}

BOOST_AUTO_TEST_SUITE_END()
