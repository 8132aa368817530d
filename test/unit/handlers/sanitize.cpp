// Test that header file is self-contained.
#include <authmilter/handlers/sanitize.hpp>
#include <authmilter/handlers/trusted_ip.hpp>
#include <authmilter/pipeline/apply_edits.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;
namespace pl = authmilter::pipeline;

namespace {

using chain = pl::pipeline<h::trusted_ip_handler, h::sanitize_handler>;

std::string const message = "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=a@b.example\r\n"
                            "Authentication-Results: other.example; dkim=pass header.d=other.example\r\n"
                            "X-Authentication-Results: relay.example.com; spf=fail\r\n"
                            "Authentication-Results: garbage ((\r\n"
                            "X-Disposition-Quarantine: yes\r\n"
                            "Authentication-Results: forger.example.org; dmarc=pass\r\n"
                            "From: a@b.example\r\n"
                            "\r\n"
                            "body\r\n";

std::vector<authmilter::core::header_field>
delivered(test_harness::session<chain>& s)
{
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    pl::split_message(message, headers, body);
    pl::apply_edits(headers, s.txn.edits());
    return headers;
}

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_sanitize)

BOOST_AUTO_TEST_CASE(removes_our_own_and_listed_and_broken_headers)
{
    test_harness::session<chain> s;
    s.chain.configure(
        boost::json::parse(R"({"TrustedIP":{}, "Sanitize":{"hosts_to_remove":["example.org"]}})")
            .as_object());
    s.txn.set_macro("j", "mx2.example.com");
    s.connect("192.0.2.1");
    s.message(message);
    auto const headers = delivered(s);
    std::vector<std::string> names_values;
    for(auto const& f : headers)
        names_values.push_back(f.name + ":" + f.raw_value.substr(0, 30));
    // mx.example.com (our parent domain), relay.example.com (X- type, same domain), the broken one,
    // the quarantine flag and forger.example.org (listed) are gone; other.example stays.
    BOOST_REQUIRE_EQUAL(headers.size(), 6u);
    BOOST_TEST(headers[0].raw_value == " other.example; dkim=pass header.d=other.example");
    BOOST_TEST(headers[1].name == "From");
    BOOST_TEST(headers[2].name == "X-Received-Authentication-Results");
    BOOST_TEST(headers[2].raw_value.starts_with(
        " (Received Authentication-Results header removed by mx2.example.com)\n    "));
    int kept_copies = 0;
    for(auto const& f : headers)
        kept_copies += f.name.starts_with("X-Received-") ? 1 : 0;
    BOOST_TEST(kept_copies == 4); // all but the silent X-Disposition-Quarantine
}

BOOST_AUTO_TEST_CASE(removal_indexes_count_per_name_highest_first)
{
    test_harness::session<chain> s;
    s.chain.configure(
        boost::json::parse(R"({"TrustedIP":{}, "Sanitize":{"remove_headers":"silent"}})").as_object());
    s.txn.set_macro("j", "mx.example.com");
    s.connect("192.0.2.1");
    s.message(message);
    std::vector<std::uint32_t> ar_indexes;
    int copies = 0;
    for(auto const& e : s.txn.edits()) {
        if(e.what == pl::header_edit::kind::add)
            ++copies;
        else if(e.name == "Authentication-Results")
            ar_indexes.push_back(e.index);
    }
    // Silent: no copies, except for the unparseable header, which is never removed silently.
    BOOST_TEST(copies == 1);
    // mx.example.com is index 1 and the broken one index 3; highest first.
    BOOST_TEST(ar_indexes == (std::vector<std::uint32_t>{3, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(authserv_id_setting_and_trusted_clients)
{
    test_harness::session<chain> s;
    s.chain.configure(
        boost::json::parse(R"({"TrustedIP":{"trusted_ip_list":["192.0.2.0/24"]}, "Sanitize":{}})")
            .as_object());
    s.chain.get<h::sanitize_handler>().set_authserv_id("other.example");
    s.txn.set_macro("j", "unrelated.host");
    s.connect("198.51.100.1");
    s.message(message);
    bool removed_other = false;
    for(auto const& e : s.txn.edits())
        removed_other = removed_other || (e.what == pl::header_edit::kind::remove && e.index == 2);
    BOOST_TEST(removed_other);
    // A trusted client keeps everything.
    test_harness::session<chain> t;
    t.chain.configure(
        boost::json::parse(R"({"TrustedIP":{"trusted_ip_list":["192.0.2.0/24"]}, "Sanitize":{}})")
            .as_object());
    t.connect("192.0.2.7");
    t.message(message);
    BOOST_TEST(t.txn.edits().empty());
}

BOOST_AUTO_TEST_CASE(bad_configuration)
{
    chain c;
    BOOST_CHECK_THROW(
        c.configure(boost::json::parse(R"({"Sanitize":{"remove_headers":"maybe"}})").as_object()),
        std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
