// Test that header file is self-contained.
#include <authmilter/authres/order.hpp>

#include <boost/test/unit_test.hpp>

#include <compare>
#include <string>
#include <vector>

namespace ar = authmilter::authres;

namespace {

std::vector<std::string>
methods(std::vector<ar::result> const& rs)
{
    std::vector<std::string> out;
    for(auto const& r : rs)
        out.push_back(r.method + "=" + r.value);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(authres_order)

BOOST_AUTO_TEST_CASE(sorted_by_string_form)
{
    std::vector<ar::result> rs{{"x-tls", "pass"},     {"spf", "pass"},  {"dkim", "pass"},
                               {"dkim-adsp", "none"}, {"arc", "none"},  {"iprev", "pass"},
                               {"senderid", "pass"},  {"dmarc", "pass"}};
    ar::sort_results(rs);
    std::vector<std::string> const want{"arc=none",   "dkim-adsp=none", "dkim=pass", "dmarc=pass",
                                        "iprev=pass", "senderid=pass",  "spf=pass",  "x-tls=pass"};
    BOOST_TEST(methods(rs) == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(same_method_uses_the_whole_string)
{
    std::vector<ar::result> rs{{"dkim", "pass"}, {"dkim", "fail"}};
    rs[0].add_property("header", "d", "b.example");
    rs[1].add_property("header", "d", "a.example");
    ar::sort_results(rs);
    BOOST_TEST(rs[0].value == "fail"); // "dkim=fail..." < "dkim=pass..."
}

BOOST_AUTO_TEST_CASE(tie_break_for_same_method)
{
    // The DMARC handler's order: fail < none < pass, whatever the string says.
    auto rank = [](ar::result const& r) { return r.value == "fail" ? 0 : r.value == "none" ? 1 : 2; };
    auto dmarc_first = [&](ar::result const& a, ar::result const& b) -> std::weak_ordering {
        if(a.method != "dmarc")
            return std::weak_ordering::equivalent;
        return rank(a) <=> rank(b);
    };
    std::vector<ar::result> rs{{"dmarc", "pass"}, {"spf", "pass"}, {"dmarc", "none"}, {"dmarc", "fail"}};
    ar::sort_results(rs, dmarc_first);
    std::vector<std::string> const want{"dmarc=fail", "dmarc=none", "dmarc=pass", "spf=pass"};
    BOOST_TEST(methods(rs) == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
