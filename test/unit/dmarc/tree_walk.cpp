// Test that header file is self-contained.
#include <authmilter/dmarc/tree_walk.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

using namespace authmilter;
using namespace authmilter::dmarc;
using dmarc_test::run;

BOOST_AUTO_TEST_SUITE(dmarc_tree_walk)

BOOST_AUTO_TEST_CASE(targets_follow_rfc9989_4_10)
{
    // RFC 9989 4.10 example: 13 labels -> eight queries.
    auto const t = tree_walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com");
    std::vector<std::string> const want = {"a.b.c.d.e.f.g.h.i.j.mail.example.com",
                                           "g.h.i.j.mail.example.com",
                                           "h.i.j.mail.example.com",
                                           "i.j.mail.example.com",
                                           "j.mail.example.com",
                                           "mail.example.com",
                                           "example.com",
                                           "com"};
    BOOST_TEST(t == want, boost::test_tools::per_element());
    BOOST_TEST(tree_walk_targets("example.com").size() == 2u);
    BOOST_TEST(tree_walk_targets("com").size() == 1u);
    BOOST_TEST(tree_walk_targets("a.b.c.d.e.f.g.h").size() == 8u); // x == 8: shorten to 7
    BOOST_TEST(tree_walk_targets("").empty());
    // RFC 9989 5.1.8: a psd=n record at 7+ labels under a long name is never seen
    auto const t2 = tree_walk_targets("mail.a.b.c.d.e.f.g.example.com");
    BOOST_TEST(t2.size() == 8u);
    BOOST_TEST(t2[1] == "c.d.e.f.g.example.com");
}

BOOST_AUTO_TEST_CASE(at_most_eight_queries)
{
    dns::zone_resolver z;
    auto const w = run(tree_walk(z, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.example"));
    BOOST_TEST(w.queried.size() == 8u);
    BOOST_TEST(z.query_count() == 8u);
    BOOST_TEST(!w.org_domain());
    BOOST_TEST(w.org_domain_or_start() == w.start);
}

BOOST_AUTO_TEST_CASE(org_domain_selection)
{
    // RFC 9989 4.10.2 examples
    dns::zone_resolver z;
    z.add_txt("_dmarc.mail.example.com", "v=DMARC1; p=none");
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    auto w = run(tree_walk(z, "a.mail.example.com"));
    BOOST_TEST(*w.org_domain() == "example.com"); // fewest labels
    BOOST_TEST(w.records.size() == 2u);

    dns::zone_resolver z2;
    z2.add_txt("_dmarc.mail.example.com", "v=DMARC1; p=none; psd=n");
    z2.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    w = run(tree_walk(z2, "a.mail.example.com"));
    BOOST_TEST(*w.org_domain() == "mail.example.com"); // psd=n stops the walk
    BOOST_TEST(w.queried.size() == 2u);

    dns::zone_resolver z3;
    z3.add_txt("_dmarc.com", "v=DMARC1; psd=y");
    w = run(tree_walk(z3, "a.mail.example.com"));
    BOOST_TEST(*w.org_domain() == "example.com"); // one label below the PSD
    BOOST_REQUIRE(w.psd_record());
    BOOST_TEST(w.psd_record()->domain == "com");

    w = run(tree_walk(z3, "com")); // psd=y at the start domain is not used by rule 2
    BOOST_TEST(*w.org_domain() == "com");
}

BOOST_AUTO_TEST_CASE(multiple_records_are_discarded)
{
    dns::zone_resolver z;
    z.add_txt("_dmarc.sub.example.com", "v=DMARC1; p=none");
    z.add_txt("_dmarc.sub.example.com", "v=DMARC1; p=reject");
    z.add_txt("_dmarc.sub.example.com", "not dmarc");
    z.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine");
    auto const w = run(tree_walk(z, "sub.example.com"));
    BOOST_TEST(w.multiple_at.size() == 1u);
    BOOST_TEST(!w.at("sub.example.com"));
    BOOST_TEST(*w.org_domain() == "example.com");
}

BOOST_AUTO_TEST_CASE(temporary_failure_stops_the_walk)
{
    dns::zone_resolver z;
    z.add_fault("_dmarc.example.com", dns::rr_type::txt, dns::outcome::timeout);
    auto const w = run(tree_walk(z, "mail.example.com"));
    BOOST_TEST(w.temporary_failure);
    BOOST_TEST(w.queried.size() == 2u);
    auto const l = run(lookup_record(z, "_dmarc.example.com"));
    BOOST_TEST((l.status == record_lookup::outcome::temporary));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dmarc_tree_walk_limits)

BOOST_AUTO_TEST_CASE(overlong_names_are_not_queried)
{
    authmilter::dns::zone_resolver z;
    std::string const name = "_dmarc." + std::string(250, 'a');
    auto const l = dmarc_test::run(authmilter::dmarc::lookup_record(z, name));
    BOOST_TEST((l.status == authmilter::dmarc::record_lookup::outcome::none));
    BOOST_TEST(z.query_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
