// Test that header file is self-contained.
#include <authmilter/dmarc/local_policy.hpp>

#include <boost/test/unit_test.hpp>

using namespace authmilter::dmarc;

namespace {

result
failing(disposition d)
{
    result r;
    r.value = status::fail;
    r.requested = d;
    r.evaluated = d;
    r.applied = d;
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dmarc_local_policy)

BOOST_AUTO_TEST_CASE(perl_defaults_never_reject)
{
    auto r = failing(disposition::reject);
    BOOST_TEST(!apply_local_policy(r, {}, {}));
    BOOST_TEST((r.applied == disposition::quarantine));
    BOOST_TEST((r.evaluated == disposition::reject));
    BOOST_TEST((r.last_override() == override_reason::local_policy));
}

BOOST_AUTO_TEST_CASE(hard_reject)
{
    auto r = failing(disposition::reject);
    BOOST_TEST(apply_local_policy(r, {.hard_reject = true}, {}));
    BOOST_TEST((r.applied == disposition::reject));
    BOOST_TEST(r.reasons.empty());
    auto q = failing(disposition::quarantine);
    BOOST_TEST(!apply_local_policy(q, {.hard_reject = true}, {}));
    BOOST_TEST((q.applied == disposition::quarantine));
}

BOOST_AUTO_TEST_CASE(override_order)
{
    struct {
        local_facts facts;
        local_policy cfg;
        disposition applied;
        override_reason reason;
        bool reject;
    } const cases[] = {
        {{.arc_aware_pass = true, .arc_comment = "arc=pass", .is_list = true},
         {.hard_reject = true},
         disposition::none,
         override_reason::local_policy,
         false},
        {{.allow_listed = true, .is_list = true},
         {.hard_reject = true},
         disposition::none,
         override_reason::trusted_forwarder,
         false},
        {{.is_list = true}, {.hard_reject = true}, disposition::none, override_reason::mailing_list, false},
        {{.is_list = true},
         {.hard_reject = true, .no_list_reject = false},
         disposition::reject,
         override_reason::none,
         true},
        {{.is_list = true, .trusted_arc_chain = true},
         {.hard_reject = true, .arc_before_list = true},
         disposition::reject,
         override_reason::none,
         true},
        {{.is_list = true},
         {.no_list_reject_disposition = disposition::reject},
         disposition::quarantine,
         override_reason::local_policy,
         false},
    };
    int n = 0;
    for(auto const& c : cases) {
        auto r = failing(disposition::reject);
        BOOST_TEST(apply_local_policy(r, c.cfg, c.facts) == c.reject, "case " << n);
        BOOST_TEST((r.applied == c.applied), "case " << n);
        BOOST_TEST((r.last_override() == c.reason), "case " << n);
        ++n;
    }
}

BOOST_AUTO_TEST_CASE(only_failures_are_touched)
{
    result r;
    r.value = status::pass;
    BOOST_TEST(!apply_local_policy(r, {}, {.is_list = true}));
    BOOST_TEST(r.reasons.empty());
}

BOOST_AUTO_TEST_SUITE_END()
