// Test that header file is self-contained.
#include <authmilter/handlers/iprev.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/ptr.hpp>

#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;
namespace dns = authmilter::dns;

namespace {

using chain = authmilter::pipeline::pipeline<h::local_ip_handler, h::iprev_handler, h::ptr_handler>;

void
add_ptr(dns::zone_resolver& z, std::string name, std::string target)
{
    z.add(dns::record{std::move(name), dns::rr_type::ptr, 300, std::move(target)});
}

std::string
comment_of(authmilter::authres::result const& r)
{
    auto const* p = r.find_property("smtp", "remote-ip");
    return p && !p->comments.empty() ? p->comments.front() : "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_iprev)

BOOST_AUTO_TEST_CASE(pass_when_forward_matches)
{
    test_harness::session<chain> s;
    add_ptr(s.zone, "1.2.0.192.in-addr.arpa", "mail.example.com.");
    s.zone.add_address("mail.example.com", "192.0.2.1");
    s.connect("192.0.2.1", "MAIL.example.com");
    auto const* r = s.find("iprev");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "pass");
    BOOST_TEST(r->find_property("smtp", "remote-ip")->value == "192.0.2.1");
    BOOST_TEST(comment_of(*r) == "mail.example.com");
    auto const* ptr = s.find("x-ptr");
    BOOST_REQUIRE(ptr);
    BOOST_TEST(ptr->value == "pass");
    BOOST_TEST(ptr->find_property("policy", "ptr")->value == "mail.example.com");
}

BOOST_AUTO_TEST_CASE(fail_when_forward_differs_and_ptr_fails_too)
{
    test_harness::session<chain> s;
    add_ptr(s.zone, "1.2.0.192.in-addr.arpa", "mail.example.com");
    s.zone.add_address("mail.example.com", "192.0.2.99");
    s.connect("192.0.2.1", "mail.example.com");
    BOOST_TEST(s.find("iprev")->value == "fail");
    BOOST_TEST(s.find("x-ptr")->value == "fail");
    BOOST_TEST(s.find("x-ptr")->find_property("policy", "ptr")->value == "");
}

BOOST_AUTO_TEST_CASE(not_found_and_errors)
{
    test_harness::session<chain> s;
    s.connect("192.0.2.1");
    auto const* r = s.find("iprev");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "fail");
    BOOST_TEST(comment_of(*r) == "Error NXDOMAIN looking up 1.2.0.192.in-addr.arpa PTR,NOT FOUND");
}

BOOST_AUTO_TEST_CASE(servfail_is_temperror)
{
    test_harness::session<chain> s;
    s.zone.add_fault("1.2.0.192.in-addr.arpa", dns::rr_type::ptr, dns::outcome::servfail);
    s.connect("192.0.2.1");
    BOOST_TEST(s.find("iprev")->value == "temperror");
}

BOOST_AUTO_TEST_CASE(ipv6_with_family_fallback)
{
    test_harness::session<chain> s;
    auto const ip = *authmilter::core::ip_address::parse("2001:db8::25");
    add_ptr(s.zone, ip.reverse_name(), "v6.example.com");
    s.zone.add_address("v6.example.com", "2001:db8::25");
    s.connect("2001:db8::25");
    BOOST_TEST(s.find("iprev")->value == "pass");
}

BOOST_AUTO_TEST_CASE(local_clients_are_skipped)
{
    test_harness::session<chain> s;
    s.connect("10.0.0.5");
    BOOST_TEST(!s.find("iprev"));
    BOOST_TEST(!s.find("x-ptr"));
    BOOST_TEST(s.zone.query_count() == 0u);
}

BOOST_AUTO_TEST_CASE(query_budget_is_bounded)
{
    test_harness::session<chain> s;
    for(int i = 0; i < 30; ++i)
        add_ptr(s.zone, "1.2.0.192.in-addr.arpa", "n" + std::to_string(i) + ".example.com");
    s.connect("192.0.2.1");
    BOOST_TEST(s.zone.query_count() <= 10u);
    BOOST_TEST(s.find("iprev")->value == "fail");
}

BOOST_AUTO_TEST_SUITE_END()
