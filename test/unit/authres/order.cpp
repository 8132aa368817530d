// Test that header file is self-contained.
#include <authmilter/authres/order.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <compare>
#include <random>
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

BOOST_AUTO_TEST_CASE(same_order_as_sorting_by_the_whole_string)
{
    // sort_results compares methods alone where that decides; it must order exactly as a sort
    // by the full string forms would: methods that are prefixes of others, names the writer
    // quotes ("none") or keeps with capitals, versions, repeated methods.
    std::vector<ar::result> pool{
        {"dkim", "pass"}, {"dkim-adsp", "none"}, {"dkim-atps", "pass"}, {"none", "pass"},    {"None", "fail"},
        {"DKIM", "pass"}, {"x-ptr", "fail"},     {"x", "pass"},         {"spf", "softfail"}, {"dkim", "fail"},
        {"arc", "none"},  {"dmarc", "pass"},     {"iprev", "pass"},     {"d", "none"},       {"dki", "pass"}};
    pool[9].add_property("header", "d", "a.example");
    pool[0].add_property("header", "d", "b.example");
    pool[1].method_version = "2";
    std::mt19937 rng(7);
    for(int round = 0; round < 200; ++round) {
        std::vector<ar::result> rs;
        for(auto const& r : pool)
            if(rng() % 2 == 0)
                rs.push_back(r);
        std::shuffle(rs.begin(), rs.end(), rng);
        auto want = rs;
        std::stable_sort(want.begin(), want.end(), [](ar::result const& a, ar::result const& b) {
            return ar::to_string(a) < ar::to_string(b);
        });
        ar::sort_results(rs);
        std::vector<std::string> got_s, want_s;
        for(auto const& r : rs)
            got_s.push_back(ar::to_string(r));
        for(auto const& r : want)
            want_s.push_back(ar::to_string(r));
        BOOST_TEST(got_s == want_s, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_SUITE_END()
