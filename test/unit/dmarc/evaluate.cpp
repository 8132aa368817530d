// Test that header file is self-contained.
#include <authmilter/dmarc/evaluate.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

using namespace authmilter;
using namespace authmilter::dmarc;
using dmarc_test::add_mx;
using dmarc_test::run;

namespace {

dns::zone_resolver
example_zone(std::string const& record)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.com", record);
    add_mx(z, "example.com");
    add_mx(z, "sub.example.com");
    return z;
}

message_input
msg(std::string from, std::vector<spf_input> spf, std::vector<dkim_input> dkim = {})
{
    return message_input{std::move(from), std::move(spf), std::move(dkim)};
}

spf_input
spf(std::string d, auth_result r = auth_result::pass, spf_scope s = spf_scope::mfrom)
{
    return spf_input{std::move(d), s, r};
}

dkim_input
dkim(std::string d, auth_result r = auth_result::pass)
{
    return dkim_input{std::move(d), "s1", r};
}

} // namespace

BOOST_AUTO_TEST_SUITE(dmarc_evaluate)

BOOST_AUTO_TEST_CASE(alignment_table)
{
    // RFC 9989 4.4 table 1 and 4.4.1/4.4.2: strict = identical, relaxed = same org domain.
    struct {
        char const* record;
        char const* from;
        char const* spf_domain;
        char const* dkim_domain;
        status want;
        alignment spf_al, dkim_al;
    } const cases[] = {
        {"v=DMARC1; p=reject", "example.com", "example.com", "example.com", status::pass, alignment::strict,
         alignment::strict},
        {"v=DMARC1; p=reject", "sub.example.com", "foo.example.com", "example.com", status::pass,
         alignment::relaxed, alignment::relaxed},
        {"v=DMARC1; p=reject; aspf=s", "sub.example.com", "example.com", "other.net", status::fail,
         alignment::none, alignment::none},
        {"v=DMARC1; p=reject; adkim=s", "sub.example.com", "other.net", "SUB.Example.COM", status::pass,
         alignment::none, alignment::strict},
        {"v=DMARC1; p=reject", "example.com", "example.net", "com", status::fail, alignment::none,
         alignment::none}, // RFC 9989 4.4.1: d=com never aligns
    };
    for(auto const& c : cases) {
        auto z = example_zone(c.record);
        auto const r = run(evaluate(z, msg(c.from, {spf(c.spf_domain)}, {dkim(c.dkim_domain)})));
        BOOST_TEST((r.value == c.want), c.from);
        BOOST_TEST((r.spf_alignment == c.spf_al), c.from);
        BOOST_TEST((r.dkim_alignment == c.dkim_al), c.from);
    }
}

BOOST_AUTO_TEST_CASE(spf_scope_rules)
{
    auto z = example_zone("v=DMARC1; p=reject");
    // RFC 9989 4.4.2: only the MAIL FROM identity counts
    auto r = run(evaluate(
        z, msg("example.com", {spf("other.net"), spf("example.com", auth_result::pass, spf_scope::helo)})));
    BOOST_TEST((r.value == status::fail));
    BOOST_TEST(r.spf.size() == 1u);
    // null reverse-path: the HELO result is the MAIL FROM identity (RFC 7208 2.4)
    r = run(evaluate(z, msg("example.com", {spf("example.com", auth_result::pass, spf_scope::helo)})));
    BOOST_TEST((r.value == status::pass));
    // a failing aligned SPF does not pass
    r = run(evaluate(z, msg("example.com", {spf("example.com", auth_result::softfail)})));
    BOOST_TEST((r.value == status::fail));
    BOOST_TEST((r.applied == disposition::reject));
}

BOOST_AUTO_TEST_CASE(temporary_errors)
{
    // RFC 9989 5.3.6: an aligned identifier that failed temporarily leaves no pass/fail verdict.
    auto z = example_zone("v=DMARC1; p=reject");
    auto r = run(evaluate(z, msg("example.com", {spf("example.com", auth_result::temperror)})));
    BOOST_TEST((r.value == status::temperror));
    BOOST_TEST((r.applied == disposition::none));
    // an unaligned temperror does not matter
    r = run(evaluate(z, msg("example.com", {spf("other.net", auth_result::temperror)})));
    BOOST_TEST((r.value == status::fail));
    // a pass wins over a temperror
    r = run(
        evaluate(z, msg("example.com", {spf("example.com", auth_result::temperror)}, {dkim("example.com")})));
    BOOST_TEST((r.value == status::pass));
    // policy lookup failure
    dns::zone_resolver bad;
    bad.add_fault("_dmarc.example.com", dns::rr_type::txt, dns::outcome::servfail);
    r = run(evaluate(bad, msg("example.com", {spf("example.com")})));
    BOOST_TEST((r.value == status::temperror));
    BOOST_TEST((r.problem == discovery_problem::dns_error));
}

BOOST_AUTO_TEST_CASE(walk_failure_above_own_record)
{
    // The From domain's own record is known; the walk towards the org domain fails.
    dns::zone_resolver z;
    z.add_txt("_dmarc.sub.example.com", "v=DMARC1; p=reject");
    z.add_fault("_dmarc.example.com", dns::rr_type::txt, dns::outcome::timeout);
    auto r = run(evaluate(z, msg("sub.example.com", {spf("sub.example.com")})));
    BOOST_TEST((r.value == status::pass)); // identical: no org domain needed
    BOOST_TEST(r.policy_domain == "sub.example.com");
    r = run(evaluate(z, msg("sub.example.com", {spf("bounce.sub.example.com")})));
    BOOST_TEST((r.value == status::temperror)); // relaxed alignment undecided
    r = run(evaluate(z, msg("sub.example.com", {spf("other.net")})));
    BOOST_TEST((r.value == status::fail)); // cannot align whatever the org domain is
    BOOST_TEST((r.applied == disposition::reject));
}

BOOST_AUTO_TEST_CASE(subdomain_policies)
{
    // RFC 9989 4.10.1: sp= for existing subdomains, np= for non-existent ones, else p=.
    auto z = example_zone("v=DMARC1; p=reject; sp=quarantine; np=none");
    auto r = run(evaluate(z, msg("sub.example.com", {spf("other.net")})));
    BOOST_TEST((r.source == policy_source::sp));
    BOOST_TEST((r.applied == disposition::quarantine));
    BOOST_TEST(*r.author_domain_exists);
    BOOST_TEST(r.is_subdomain);
    BOOST_TEST(r.inherited);
    r = run(evaluate(z, msg("ghost.example.com", {spf("other.net")})));
    BOOST_TEST((r.source == policy_source::np));
    BOOST_TEST((r.applied == disposition::none));
    BOOST_TEST(!*r.author_domain_exists);
    r = run(evaluate(z, msg("example.com", {spf("other.net")})));
    BOOST_TEST((r.source == policy_source::p));
    BOOST_TEST((r.applied == disposition::reject));
    BOOST_TEST(!r.is_subdomain);

    // without np= no existence query is made
    auto z2 = example_zone("v=DMARC1; p=reject");
    r = run(evaluate(z2, msg("ghost.example.com", {})));
    BOOST_TEST(!r.author_domain_exists);
    BOOST_TEST((r.applied == disposition::reject));
}

BOOST_AUTO_TEST_CASE(psd_policy)
{
    // RFC 9989 4.10.1: the PSD's record applies when the org domain publishes none.
    dns::zone_resolver z;
    z.add_txt("_dmarc.example", "v=DMARC1; psd=y; p=quarantine; np=reject");
    add_mx(z, "org.example");
    auto r = run(evaluate(z, msg("www.org.example", {spf("www.org.example")})));
    BOOST_TEST((r.value == status::pass));
    BOOST_TEST(r.policy_domain == "example");
    BOOST_TEST(r.org_domain == "org.example");
    r = run(evaluate(z, msg("nx.example", {})));
    BOOST_TEST((r.applied == disposition::reject));
    // an org domain's own record wins over the PSD's
    z.add_txt("_dmarc.org.example", "v=DMARC1; p=none");
    r = run(evaluate(z, msg("www.org.example", {})));
    BOOST_TEST(r.policy_domain == "org.example");
    BOOST_TEST((r.applied == disposition::none));
}

BOOST_AUTO_TEST_CASE(testing_mode)
{
    // RFC 9989 4.7 t=y: one level below, never affects none.
    auto z = example_zone("v=DMARC1; p=reject; t=y");
    auto r = run(evaluate(z, msg("example.com", {})));
    BOOST_TEST((r.evaluated == disposition::quarantine));
    BOOST_TEST((r.requested == policy::reject));
    BOOST_TEST((r.last_override() == override_reason::policy_test_mode));
    auto z2 = example_zone("v=DMARC1; p=quarantine; t=y");
    r = run(evaluate(z2, msg("example.com", {})));
    BOOST_TEST((r.evaluated == disposition::none));
    // RFC 7489 ignores t=
    evaluation_options opt;
    opt.primary = spec::rfc7489;
    r = run(evaluate(z, msg("example.com", {}), opt));
    BOOST_TEST((r.evaluated == disposition::reject));
}

BOOST_AUTO_TEST_CASE(pct_sampling_in_rfc7489_mode)
{
    // RFC 7489 6.6.4: a message not selected gets the next less strict policy.
    auto z = example_zone("v=DMARC1; p=reject; pct=30");
    evaluation_options opt;
    opt.primary = spec::rfc7489;
    unsigned roll = 29;
    opt.random_percent = [&] { return roll; };
    auto r = run(evaluate(z, msg("example.com", {}), opt));
    BOOST_TEST((r.evaluated == disposition::reject));
    BOOST_TEST(!r.sampled_out);
    roll = 30;
    r = run(evaluate(z, msg("example.com", {}), opt));
    BOOST_TEST((r.evaluated == disposition::quarantine));
    BOOST_TEST(r.sampled_out);
    BOOST_TEST((r.last_override() == override_reason::sampled_out));
    // RFC 9989 removed pct=
    r = run(evaluate(z, msg("example.com", {})));
    BOOST_TEST((r.evaluated == disposition::reject));
}

BOOST_AUTO_TEST_CASE(rfc7489_psl_discovery_and_shadow)
{
    // RFC 7489 6.6.3: the From domain, then its PSL organizational domain; intermediate names
    // are never queried. The tree walk finds the intermediate record.
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.co.uk", "v=DMARC1; p=reject");
    z.add_txt("_dmarc.dept.example.co.uk", "v=DMARC1; p=none; psd=n");
    auto const psl = public_suffix_list::parse("uk\nco.uk\n");
    evaluation_options opt;
    opt.primary = spec::rfc7489;
    opt.psl = &psl;
    opt.shadow = true;
    auto const r = run(evaluate(z, msg("a.dept.example.co.uk", {spf("dept.example.co.uk")}), opt));
    BOOST_TEST(r.policy_domain == "example.co.uk");
    BOOST_TEST(r.org_domain == "example.co.uk");
    BOOST_TEST((r.value == status::pass)); // relaxed under the PSL
    BOOST_REQUIRE(r.shadow);
    BOOST_TEST((r.shadow->evaluated_with == spec::rfc9989));
    BOOST_TEST(r.shadow->policy_domain == "dept.example.co.uk");
    BOOST_TEST(r.shadow->org_domain == "dept.example.co.uk");
    BOOST_TEST(r.shadow->differs);
}

BOOST_AUTO_TEST_CASE(multiple_records_and_invalid_domains)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
    auto r = run(evaluate(z, msg("example.com", {})));
    BOOST_TEST((r.value == status::none));
    BOOST_TEST((r.problem == discovery_problem::multiple_records));
    evaluation_options opt;
    opt.permerror_on_multiple_records = true;
    r = run(evaluate(z, msg("example.com", {}), opt));
    BOOST_TEST((r.value == status::permerror));
    for(auto const* bad : {"", "a..b", "exa mple.com", "\xff.com"}) {
        r = run(evaluate(z, msg(bad, {})));
        BOOST_TEST((r.value == status::permerror), bad);
        BOOST_TEST((r.problem == discovery_problem::invalid_domain));
    }
}

BOOST_AUTO_TEST_CASE(idn_from_domain_is_queried_as_a_label)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=quarantine");
    auto const r = run(evaluate(z, msg("B\xc3\xbc"
                                       "cher.example",
                                       {})));
    BOOST_TEST(r.from_domain == "xn--bcher-kva.example");
    BOOST_TEST((r.applied == disposition::quarantine));
}

BOOST_AUTO_TEST_CASE(local_override_keeps_evaluated)
{
    auto z = example_zone("v=DMARC1; p=reject");
    auto r = run(evaluate(z, msg("example.com", {})));
    override_disposition(r, disposition::none, override_reason::mailing_list, "list");
    BOOST_TEST((r.evaluated == disposition::reject));
    BOOST_TEST((r.applied == disposition::none));
    BOOST_TEST((r.last_override() == override_reason::mailing_list));
}

BOOST_AUTO_TEST_SUITE_END()
