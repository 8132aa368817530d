// Test that header file is self-contained.
#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>

#include <boost/test/unit_test.hpp>

using namespace authmilter::dmarc;

BOOST_AUTO_TEST_SUITE(dmarc_types)

BOOST_AUTO_TEST_CASE(policy_words)
{
    for(auto p : {policy::none, policy::quarantine, policy::reject})
        BOOST_TEST((*parse_policy(to_string(p)) == p));
    BOOST_TEST((*parse_policy("REJECT") == policy::reject));
    BOOST_TEST(!parse_policy("rejection"));
    BOOST_TEST((one_level_below(policy::reject) == policy::quarantine));
    BOOST_TEST((one_level_below(policy::quarantine) == policy::none));
    BOOST_TEST((one_level_below(policy::none) == policy::none));
}

BOOST_AUTO_TEST_CASE(result_words)
{
    for(auto r : {auth_result::none, auth_result::pass, auth_result::fail, auth_result::softfail,
                  auth_result::neutral, auth_result::temperror, auth_result::permerror, auth_result::policy})
        BOOST_TEST((*parse_auth_result(to_string(r)) == r));
    BOOST_TEST((*parse_auth_result("HardFail") == auth_result::fail));
    BOOST_TEST(!parse_auth_result("bogus"));
    BOOST_TEST(to_string(status::temperror) == "temperror");
    BOOST_TEST(to_string(override_reason::policy_test_mode) == "policy_test_mode");
    BOOST_TEST(to_string(override_reason::none).empty());
    BOOST_TEST(to_string(alignment::relaxed) == "relaxed");
    BOOST_TEST(to_string(policy_source::np) == "np");
    BOOST_TEST(to_string(discovery_problem::multiple_records) == "multiple DMARC records");
}

BOOST_AUTO_TEST_CASE(result_verdicts)
{
    result r;
    BOOST_TEST((r.spf_verdict() == auth_result::fail));
    r.dkim_alignment = alignment::relaxed;
    BOOST_TEST(r.dkim_aligned());
    BOOST_TEST((r.dkim_verdict() == auth_result::pass));
    BOOST_TEST((r.last_override() == override_reason::none));
    override_disposition(r, disposition::quarantine, override_reason::local_policy);
    BOOST_TEST((r.applied == disposition::quarantine));
    BOOST_TEST((r.last_override() == override_reason::local_policy));
}

BOOST_AUTO_TEST_SUITE_END()
