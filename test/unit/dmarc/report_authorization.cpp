// Test that header file is self-contained.
#include <authmilter/dmarc/report_authorization.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

using namespace authmilter;
using namespace authmilter::dmarc;
using dmarc_test::run;

BOOST_AUTO_TEST_SUITE(dmarc_report_authorization)

BOOST_AUTO_TEST_CASE(rfc7489_7_1)
{
    dns::zone_resolver z;
    z.add_txt("example.com._report._dmarc.reports.example.net",
              "v=DMARC1; rua=mailto:other@reports.example.net,mailto:evil@elsewhere.example");
    auto const uri = *parse_report_uri("mailto:dmarc@reports.example.net");
    auto const a = run(check_report_authorization(z, "Example.COM", uri));
    BOOST_TEST(a.authorized());
    BOOST_TEST(a.query == "example.com._report._dmarc.reports.example.net");
    // step 8: the override must keep the destination host
    BOOST_REQUIRE(a.override_rua.size() == 1u);
    BOOST_TEST(a.override_rua[0].address == "other@reports.example.net");

    auto const b = run(check_report_authorization(z, "example.org", uri));
    BOOST_TEST((b.status == report_authorization::outcome::not_authorized));

    z.add_fault("example.edu._report._dmarc.reports.example.net", dns::rr_type::txt, dns::outcome::timeout);
    auto const c = run(check_report_authorization(z, "example.edu", uri));
    BOOST_TEST((c.status == report_authorization::outcome::temperror));

    z.add_txt("example.info._report._dmarc.reports.example.net", "v=spf1 -all");
    auto const d = run(check_report_authorization(z, "example.info", uri));
    BOOST_TEST(!d.authorized());
}

BOOST_AUTO_TEST_CASE(external_destination)
{
    auto org = [](std::string const& d) {
        auto const dot = d.rfind('.', d.rfind('.') - 1);
        return dot == std::string::npos ? d : d.substr(dot + 1);
    };
    BOOST_TEST(!is_external_destination("mail.example.com", *parse_report_uri("mailto:a@example.com"), org));
    BOOST_TEST(is_external_destination("example.com", *parse_report_uri("mailto:a@example.net"), org));
    BOOST_TEST(is_external_destination("example.com", *parse_report_uri("ftp:x"), org));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dmarc_report_authorization_names)

BOOST_AUTO_TEST_CASE(idn_policy_domain_is_an_a_label)
{
    auto const uri = *parse_report_uri("mailto:r@reports.example");
    BOOST_TEST(report_authorization_name("B\xc3\xbc"
                                         "cher.example",
                                         uri) == "xn--bcher-kva.example._report._dmarc.reports.example");
}

BOOST_AUTO_TEST_SUITE_END()
