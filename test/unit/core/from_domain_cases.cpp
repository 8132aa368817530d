// The DMARC suite's From-domain cases (test/data/dmarc/evaluation-cases.json,
// "from_domain_cases", from Mail::DMARC's t/04.PurePerl.t): each `from` must give
// `expected_domain`, where null means "no single usable domain".
#include <authmilter/core/domain.hpp>
#include <authmilter/core/mailbox.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <string>

namespace core = authmilter::core;

namespace {

boost::json::value
load_cases()
{
    std::string const path = std::string(AUTHMILTER_TESTDATA_DIR) + "/dmarc/evaluation-cases.json";
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return boost::json::parse(text);
}

// The suite gives "the From header, with or without the field name" (its README); the parser
// takes a field value, as the milter delivers it, so the field name is the harness's to remove.
std::string_view
field_value(std::string_view from)
{
    if(from.size() >= 5 && core::iequals(from.substr(0, 5), "from:"))
        from.remove_prefix(5);
    return from;
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_from_domain_cases)

BOOST_AUTO_TEST_CASE(dmarc_suite_from_domains)
{
    auto const root = load_cases();
    auto const& cases = root.at("from_domain_cases").at("cases").as_array();
    BOOST_REQUIRE(!cases.empty());
    std::size_t with_domain = 0, without = 0;
    for(auto const& v : cases) {
        auto const& c = v.as_object();
        std::string const from(c.at("from").as_string());
        auto const& expected = c.at("expected_domain");
        BOOST_TEST_CONTEXT("from: " << from)
        {
            auto const got = core::single_from_domain(field_value(from));
            if(expected.is_null()) {
                ++without;
                BOOST_TEST(!got.has_value(), "got " << (got ? got->str() : ""));
            } else {
                ++with_domain;
                BOOST_REQUIRE(got.has_value());
                BOOST_TEST(got->str() == std::string(expected.as_string()));
                // The single domain is also what from_domains reports.
                auto const all = core::from_domains(field_value(from));
                BOOST_REQUIRE(all.size() == 1u);
                BOOST_TEST((all.front() == *got));
            }
        }
    }
    // Both kinds of expectation were exercised.
    BOOST_TEST(with_domain > 0u);
    BOOST_TEST(without > 0u);
    BOOST_TEST_MESSAGE(with_domain + without << " From cases checked");
}

BOOST_AUTO_TEST_SUITE_END()
