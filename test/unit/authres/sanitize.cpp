// Test that header file is self-contained.
#include <authmilter/authres/sanitize.hpp>

#include <boost/test/unit_test.hpp>

namespace ar = authmilter::authres;

BOOST_AUTO_TEST_SUITE(authres_sanitize)

BOOST_AUTO_TEST_CASE(safe_value_replaces_and_trims)
{
    BOOST_TEST(ar::safe_value("  mail.example.com\r\n") == "mail.example.com");
    BOOST_TEST(ar::safe_value("a\tb(c)d\\e\"f;g") == "a b c d e f g");
    BOOST_TEST(ar::safe_value("") == "");
    BOOST_TEST(ar::safe_value("();") == "");
    BOOST_TEST(ar::safe_value("user@example.com") == "user@example.com");
}

BOOST_AUTO_TEST_CASE(safe_comment_keeps_balanced_parens)
{
    BOOST_TEST(ar::safe_comment("p=none (d=none)") == "p=none (d=none)");
    BOOST_TEST(ar::safe_comment("open ( only") == "open   only");
    BOOST_TEST(ar::safe_comment(") wrong order (") == "wrong order");
    BOOST_TEST(ar::safe_comment("line\r\nbreak\t") == "line  break");
}

BOOST_AUTO_TEST_CASE(balance)
{
    BOOST_TEST(ar::comment_is_balanced("a (b (c)) d"));
    BOOST_TEST(!ar::comment_is_balanced("a ) b ("));
    BOOST_TEST(!ar::comment_is_balanced("(("));
    BOOST_TEST(ar::comment_is_balanced(""));
}

BOOST_AUTO_TEST_SUITE_END()
