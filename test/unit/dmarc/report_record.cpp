// Test that header file is self-contained.
#include <authmilter/dmarc/evaluate.hpp>
#include <authmilter/dmarc/report_record.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

using namespace authmilter;
using namespace authmilter::dmarc;
using dmarc_test::run;

BOOST_AUTO_TEST_SUITE(dmarc_report_record)

BOOST_AUTO_TEST_CASE(row_from_result)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; t=y; fo=1; pct=50; "
                                    "rua=mailto:r@example.com");
    message_input in{"example.com",
                     {{"bounce.example.net", spf_scope::mfrom, auth_result::pass}},
                     {{"example.com", "s1", auth_result::fail}, {"list.example", "k", auth_result::pass}}};
    auto r = run(evaluate(z, in));
    override_disposition(r, disposition::none, override_reason::mailing_list, "list");
    auto const row =
        make_report_record(r, core::ip_address::parse("192.0.2.7"), "bounce.example.net", "rcpt.example");
    BOOST_REQUIRE(row);
    BOOST_TEST(row->source_ip->to_string() == "192.0.2.7");
    BOOST_TEST(row->header_from == "example.com");
    BOOST_TEST(row->policy_published.domain == "example.com");
    BOOST_TEST((row->policy_published.p == policy::reject));
    BOOST_TEST((*row->policy_published.sp == policy::quarantine));
    BOOST_TEST(row->policy_published.testing);
    BOOST_TEST(!row->policy_published.pct); // RFC 9989 has no pct
    BOOST_TEST(row->policy_published.fo == "1");
    BOOST_TEST((row->applied == disposition::none));
    BOOST_TEST((row->dkim == auth_result::fail));
    BOOST_TEST((row->spf == auth_result::fail));
    BOOST_REQUIRE(row->reasons.size() == 2u); // t=y, then the mailing list
    BOOST_TEST((row->reasons[0].type == override_reason::policy_test_mode));
    BOOST_TEST((row->reasons[1].type == override_reason::mailing_list));
    BOOST_TEST(row->dkim_results.size() == 2u);
    BOOST_TEST(row->spf_results.size() == 1u);
    // RFC 9990 and the receiver-side facts.
    BOOST_TEST((row->evaluated == disposition::quarantine)); // t=y: one level below reject
    BOOST_TEST((row->requested == policy::reject));
    BOOST_TEST((row->policy_from == policy_source::p));
    BOOST_TEST((row->dmarc == status::fail));
    BOOST_TEST(row->org_domain == "example.com");
    BOOST_TEST((row->policy_published.psd == psd_flag::u));
    BOOST_REQUIRE(row->policy_published.rua.size() == 1u);
    BOOST_TEST(row->policy_published.rua[0].address == "r@example.com");
    BOOST_TEST(row->policy_published.ruf.empty());
    BOOST_TEST((row->dkim_results[1].aligned == alignment::none)); // list.example passed, unaligned
    BOOST_TEST(row->reported_disposition() == "none");
    BOOST_TEST(!row->report_requested); // the handler decides that

    auto const none = run(evaluate(z, message_input{"nopolicy.example", {}, {}}));
    BOOST_TEST(!make_report_record(none, std::nullopt, ""));
}

BOOST_AUTO_TEST_CASE(reported_disposition_words)
{
    // RFC 9990 ActionDispositionType: pass = nothing done, DMARC passed under an enforcing policy.
    report_record r;
    r.dmarc = status::pass;
    r.requested = policy::reject;
    BOOST_TEST(r.reported_disposition() == "pass");
    r.requested = policy::none;
    BOOST_TEST(r.reported_disposition() == "none");
    r.dmarc = status::fail;
    r.requested = policy::reject;
    BOOST_TEST(r.reported_disposition() == "none"); // overridden to none
    r.applied = disposition::quarantine;
    BOOST_TEST(r.reported_disposition() == "quarantine");
    r.applied = disposition::reject;
    BOOST_TEST(r.reported_disposition() == "reject");
}

BOOST_AUTO_TEST_SUITE_END()
