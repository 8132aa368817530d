// Test that header file is self-contained.
#include <authmilter/handlers/aligned_from.hpp>
#include <authmilter/handlers/return_ok.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;

namespace {

using chain = authmilter::pipeline::pipeline<h::aligned_from_handler, h::return_ok_handler>;

std::string const psl = AUTHMILTER_TESTDATA_DIR "/psl/public_suffix_list.dat";

test_harness::session<chain>&
configured(test_harness::session<chain>& s)
{
    boost::json::object o;
    o["AlignedFrom"] = {{"psl_file", psl}};
    o["ReturnOK"] = {{"psl_file", psl}};
    s.chain.configure(o);
    s.connect("192.0.2.1");
    return s;
}

std::string
aligned(test_harness::session<chain>& s, std::string const& from_header, std::string const& mail_from)
{
    s.message("From: " + from_header + "\r\nSubject: x\r\n\r\nbody\r\n", mail_from);
    auto const* r = s.find("x-aligned-from");
    if(!r)
        return "<none>";
    return r->value + (r->comments.empty() ? "" : " (" + r->comments.front() + ")");
}

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_aligned_from)

BOOST_AUTO_TEST_CASE(every_outcome)
{
    test_harness::session<chain> s;
    configured(s);
    BOOST_TEST(aligned(s, "Marc <Marc@Example.com>", "marc@example.com") == "pass (Address match)");
    BOOST_TEST(aligned(s, "a@example.com", "bounces@example.com") == "domain_pass (Domain match)");
    BOOST_TEST(aligned(s, "a@example.com", "bounces@mail.example.com") ==
               "orgdomain_pass (Domain org match)");
    BOOST_TEST(aligned(s, "a@example.com", "x@other.example") == "fail");
    BOOST_TEST(aligned(s, "a@example.com, b@example.org", "x@example.com") ==
               "permerror (No valid header domain)");
    BOOST_TEST(aligned(s, "a@example.com", "") == "permerror (No valid envelope domain)");
    BOOST_TEST(aligned(s, "undisclosed-recipients:;", "") == "permerror (No valid domains found)");
    BOOST_TEST(aligned(s, "nobody", "x@example.com") == "permerror (No valid header domain)");
}

BOOST_AUTO_TEST_CASE(return_ok_mx_a_org_and_fail)
{
    test_harness::session<chain> s;
    configured(s);
    s.zone.add(authmilter::dns::record{"example.com", authmilter::dns::rr_type::mx, 300,
                                       authmilter::dns::mx_data{10, "mx.example.com"}});
    s.zone.add_address("a-only.example", "192.0.2.5");
    s.message("From: a@example.com\r\n\r\nx\r\n", "a@example.com");
    auto const* r = s.find("x-return-mx");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "pass");
    BOOST_TEST(r->comments.front() == "MX Records found: mx.example.com");
    BOOST_TEST(r->find_property("smtp", "domain")->value == "example.com");

    s.message("From: a@example.com\r\n\r\nx\r\n", "a@a-only.example");
    BOOST_TEST(s.txn.results().size() == 3u); // aligned-from, smtp, header
    BOOST_TEST(s.txn.results()[1].value == "warn");
    BOOST_TEST(s.txn.results()[1].comments.front() == "A Records found: 192.0.2.5");
    BOOST_TEST(s.txn.results()[2].find_property("header", "domain")->value == "example.com");

    s.message("From: a@sub.example.com\r\n\r\nx\r\n", "a@sub.example.com");
    BOOST_TEST(s.find("x-return-mx")->value == "warn");
    BOOST_TEST(s.find("x-return-mx")->comments.front() == "Org Domain MX Records found: mx.example.com");
    BOOST_TEST(s.find("x-return-mx")->find_property("policy", "org_domain")->value == "example.com");

    s.zone.add_fault("broken.example", authmilter::dns::rr_type::mx, authmilter::dns::outcome::servfail);
    s.message("From: a@broken.example\r\n\r\nx\r\n", "a@broken.example");
    BOOST_TEST(s.find("x-return-mx")->value == "fail");
    BOOST_TEST(s.find("x-return-mx")->find_property("policy", "mx_error")->value == "servfail");

    s.message("From: a@example.com\r\n\r\nx\r\n", "");
    BOOST_TEST(s.find("x-return-mx")->value == "none");
}

BOOST_AUTO_TEST_SUITE_END()
