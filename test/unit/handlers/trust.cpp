// Test that header file is self-contained.
#include <authmilter/handlers/add_id.hpp>
#include <authmilter/handlers/auth.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/size.hpp>
#include <authmilter/handlers/tls.hpp>
#include <authmilter/handlers/trusted_ip.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;
using authmilter::core::ip_address;

namespace {

using chain = authmilter::pipeline::pipeline<h::local_ip_handler, h::trusted_ip_handler, h::auth_handler,
                                             h::tls_handler, h::add_id_handler, h::size_handler>;

std::string const message = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_trust)

BOOST_AUTO_TEST_CASE(local_address_classes)
{
    for(auto const* ip : {"10.1.2.3", "172.31.0.1", "192.168.1.1", "127.0.0.1", "169.254.3.4", "100.64.0.1",
                          "::1", "fd00::1", "fe80::1"})
        BOOST_TEST(h::is_local_address(*ip_address::parse(ip)), ip);
    for(auto const* ip : {"192.0.2.1", "8.8.8.8", "172.32.0.1", "2001:db8::1", "100.128.0.1", "11.0.0.1"})
        BOOST_TEST(!h::is_local_address(*ip_address::parse(ip)), ip);
}

BOOST_AUTO_TEST_CASE(local_ip_marks_connection)
{
    test_harness::session<chain> s;
    s.connect("192.168.0.7");
    BOOST_TEST(s.txn.trust().local);
    BOOST_TEST(!s.txn.trust().trusted);
    s.message(message);
    BOOST_REQUIRE(s.find("x-local-ip"));
    BOOST_TEST(s.find("x-local-ip")->value == "pass");
    // The connection result survives into a second message.
    s.message(message);
    BOOST_TEST(s.find("x-local-ip") != nullptr);
}

BOOST_AUTO_TEST_CASE(ignore_local_ip_list_and_trusted_list)
{
    test_harness::session<chain> s;
    s.chain.configure(boost::json::parse(R"({"LocalIP":{"ignore_local_ip_list":["192.168.0.0/24"]},
        "TrustedIP":{"trusted_ip_list":["192.168.0.0/16","2001:db8::/32"]}})")
                          .as_object());
    s.connect("192.168.0.7");
    BOOST_TEST(!s.txn.trust().local);
    BOOST_TEST(s.txn.trust().trusted);
    BOOST_TEST(s.summary() == std::vector<std::string>{"x-trusted-ip=pass"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_network_list_is_refused_with_its_key)
{
    chain c;
    try {
        c.configure(
            boost::json::parse(R"({"TrustedIP":{"trusted_ip_list":["10.0.0.0/8","nonsense"]}})").as_object());
        BOOST_FAIL("a bad address was accepted");
    } catch(std::invalid_argument const& e) {
        BOOST_TEST(
            std::string(e.what()) ==
            R"(handlers.TrustedIP: trusted_ip_list[1]: expected an IP address or CIDR range, found "nonsense")");
    }
}

BOOST_AUTO_TEST_CASE(auth_clears_earlier_results)
{
    test_harness::session<chain> s;
    s.connect("10.0.0.1");
    BOOST_TEST(s.txn.connection_results().size() == 1u);
    s.txn.set_macro("{auth_authen}", "alice");
    s.message(message);
    BOOST_TEST(s.txn.trust().authenticated);
    BOOST_TEST(s.txn.connection_results().empty());
    auto const* auth = s.find("auth");
    BOOST_REQUIRE(auth);
    BOOST_TEST(auth->value == "pass");
    BOOST_REQUIRE(auth->find_property("smtp", "auth"));
    BOOST_TEST(auth->find_property("smtp", "auth")->value == "alice");
}

BOOST_AUTO_TEST_CASE(tls_from_macros)
{
    test_harness::session<chain> s;
    s.connect("192.0.2.1");
    s.txn.set_macro("{tls_version}", "TLSv1.3");
    s.txn.set_macro("{cipher}", "TLS_AES_256_GCM_SHA384");
    s.txn.set_macro("{cipher_bits}", "256");
    s.message(message);
    auto const* tls = s.find("x-tls");
    BOOST_REQUIRE(tls);
    BOOST_TEST(tls->find_property("smtp", "version")->value == "TLSv1.3");
    BOOST_TEST(tls->find_property("smtp", "cipher")->value == "TLS_AES_256_GCM_SHA384");
    BOOST_TEST(tls->find_property("smtp", "bits")->value == "256");
    BOOST_TEST(s.txn.trust().encrypted.value_or(false));
}

BOOST_AUTO_TEST_CASE(no_tls_macro_means_unencrypted_and_no_entry)
{
    test_harness::session<chain> s;
    s.connect("192.0.2.1");
    s.message(message);
    BOOST_TEST(!s.find("x-tls"));
    BOOST_TEST(s.txn.trust().encrypted.has_value());
    BOOST_TEST(!*s.txn.trust().encrypted);
}

BOOST_AUTO_TEST_CASE(add_id_and_size)
{
    test_harness::session<chain> s;
    s.connect("192.0.2.1");
    s.message(message);
    BOOST_REQUIRE_EQUAL(s.txn.edits().size(), 1u);
    BOOST_TEST(s.txn.edits()[0].name == "X-Authentication-Milter");
    auto const& size = std::get<5>(s.txn.message_states());
    BOOST_TEST(size.header_count == 2u);
    // "From: a@example.org" + CRLF = 21, "Subject: hi" + CRLF = 13
    BOOST_TEST(size.header_bytes == 34u);
    BOOST_TEST(size.body_bytes == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
