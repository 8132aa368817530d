// Test that header file is self-contained.
#include <authmilter/dmarc/authres.hpp>
#include <authmilter/dmarc/evaluate.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

using namespace authmilter;
using namespace authmilter::dmarc;
using dmarc_test::run;

BOOST_AUTO_TEST_SUITE(dmarc_authres)

BOOST_AUTO_TEST_CASE(perl_pass_entry)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
    auto const r = run(evaluate(
        z, message_input{"example.com", {{"example.com", spf_scope::mfrom, auth_result::pass}}, {}}));
    BOOST_TEST(to_authres(r).to_string() ==
               "dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none "
               "policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p "
               "header.from=example.com");
}

BOOST_AUTO_TEST_CASE(perl_fail_with_local_policy_and_list)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=none");
    auto r = run(evaluate(z, message_input{"example.org", {}, {}}));
    override_disposition(r, disposition::quarantine, override_reason::local_policy,
                         "Reject ignored due to local policy");
    authres_options opt;
    opt.is_list = true;
    auto const e = to_authres(r, opt);
    BOOST_TEST(e.to_string() ==
               "dmarc=fail policy.published-domain-policy=reject policy.published-subdomain-policy=none "
               "policy.applied-disposition=quarantine policy.evaluated-disposition=reject "
               "policy.override-reason=local_policy "
               "(p=reject,sp=none,has-list-id=yes,d=quarantine,d.eval=reject,override=local_policy) "
               "policy.policy-from=p header.from=example.org");
    BOOST_TEST(e.items.size() == 8u);
    BOOST_TEST((e.items[5].type == authres_item::kind::comment));
}

BOOST_AUTO_TEST_CASE(error_forms)
{
    dns::zone_resolver z;
    auto r = run(evaluate(z, message_input{"bad domain", {}, {}}));
    BOOST_TEST(to_authres(r).to_string() == "dmarc=permerror (from header invalid) header.from=bad domain");
    z.add_txt("_dmarc.example.net", "v=DMARC1; p=reject");
    z.add_txt("_dmarc.example.net", "v=DMARC1; p=none");
    evaluation_options opt;
    opt.permerror_on_multiple_records = true;
    r = run(evaluate(z, message_input{"example.net", {}, {}}, opt));
    BOOST_TEST(to_authres(r).to_string() ==
               "dmarc=permerror (multiple DMARC records) header.from=example.net");
    r = run(evaluate(z, message_input{"none.example", {}, {}}));
    BOOST_TEST(to_authres(r).to_string() == "dmarc=none policy.published-domain-policy=none (p=none) "
                                            "policy.policy-from=p header.from=none.example");
}

BOOST_AUTO_TEST_SUITE_END()
