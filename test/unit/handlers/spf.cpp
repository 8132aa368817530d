// Test that header file is self-contained.
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/pipeline/apply_edits.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;

namespace {

using chain = authmilter::pipeline::pipeline<h::local_ip_handler, h::spf_handler>;

std::string const message = "From: marc@example.net\r\nSubject: hi\r\n\r\nbody\r\n";

void
publish(test_harness::session<chain>& s)
{
    s.zone.add_txt("example.net", "v=spf1 include:_spf.example.com -all");
    s.zone.add_txt("_spf.example.com", "v=spf1 ip4:192.0.2.0/24 ~all");
    s.zone.add_txt("mail.example.com", "v=spf1 a -all");
    s.zone.add_address("mail.example.com", "192.0.2.1");
    s.txn.set_macro("j", "mx.example.org");
}

std::string
property(authmilter::authres::result const& r, std::string_view ptype, std::string_view name)
{
    auto const* p = r.find_property(ptype, name);
    return p ? p->value : "<absent>";
}

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_spf)

BOOST_AUTO_TEST_CASE(pass_writes_ar_and_received_spf_like_the_perl_tool)
{
    test_harness::session<chain> s;
    publish(s);
    s.connect("192.0.2.1", "mail.example.com");
    s.message(message, "marc@example.net");
    auto const* r = s.find("spf");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "pass");
    BOOST_TEST(property(*r, "smtp", "mailfrom") == "marc@example.net");
    BOOST_TEST(property(*r, "smtp", "helo") == "mail.example.com");
    BOOST_REQUIRE_EQUAL(s.txn.edits().size(), 1u);
    BOOST_TEST(s.txn.edits()[0].name == "Received-SPF");
    BOOST_TEST(
        s.txn.edits()[0].value ==
        "pass\n"
        "    (example.net: Sender is authorized to use 'marc@example.net' in 'mfrom' identity (mechanism "
        "'include:_spf.example.com' matched))\n"
        "    receiver=mx.example.org;\n"
        "    identity=mailfrom;\n"
        "    envelope-from=\"marc@example.net\";\n"
        "    helo=mail.example.com;\n"
        "    client-ip=192.0.2.1");
    auto const& st = std::get<1>(s.txn.message_states());
    BOOST_TEST(st.domain == "example.net");
    BOOST_TEST((st.result == authmilter::spf::code::pass));
}

BOOST_AUTO_TEST_CASE(receiver_is_the_configured_authserv_id)
{
    test_harness::session<chain> s;
    publish(s);
    s.chain.get<h::spf_handler>().set_authserv_id("auth.example.org");
    s.connect("192.0.2.1", "mail.example.com");
    s.message(message, "marc@example.net");
    BOOST_REQUIRE_EQUAL(s.txn.edits().size(), 1u);
    BOOST_TEST(s.txn.edits()[0].value.find("receiver=auth.example.org;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fail_and_softfail)
{
    test_harness::session<chain> s;
    publish(s);
    s.connect("198.51.100.7", "other.example");
    s.message(message, "marc@example.net");
    BOOST_TEST(s.find("spf")->value == "fail");
    s.zone.add_txt("soft.example", "v=spf1 ~all");
    s.message(message, "x@soft.example");
    BOOST_TEST(s.find("spf")->value == "softfail");
}

BOOST_AUTO_TEST_CASE(null_sender_uses_helo_scope)
{
    test_harness::session<chain> s;
    publish(s);
    s.connect("192.0.2.1", "mail.example.com");
    s.message(message, "");
    auto const* r = s.find("spf");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "pass");
    BOOST_TEST(property(*r, "smtp", "mailfrom") == "");
    BOOST_TEST(s.txn.edits()[0].value.find("identity=helo;") != std::string::npos);
    BOOST_TEST(std::get<1>(s.txn.message_states()).domain == "mail.example.com");
}

BOOST_AUTO_TEST_CASE(temperror_none_and_hide_none)
{
    test_harness::session<chain> s;
    publish(s);
    s.zone.add_fault("broken.example", authmilter::dns::rr_type::txt, authmilter::dns::outcome::servfail);
    s.connect("192.0.2.1", "mail.example.com");
    s.message(message, "a@broken.example");
    BOOST_TEST(s.find("spf")->value == "temperror");
    s.message(message, "a@unpublished.example");
    BOOST_TEST(s.find("spf")->value == "none");
    s.chain.configure(boost::json::parse(R"({"LocalIP":{}, "SPF":{"hide_none":1}})").as_object());
    s.message(message, "a@unpublished.example");
    BOOST_TEST(!s.find("spf"));
    BOOST_TEST(s.txn.edits().empty());
}

BOOST_AUTO_TEST_CASE(helo_check_adds_a_separate_entry)
{
    test_harness::session<chain> s;
    publish(s);
    s.chain.configure(
        boost::json::parse(R"({"LocalIP":{}, "SPF":{"helo_check":1,"hide_received-spf_header":1}})")
            .as_object());
    s.connect("192.0.2.1", "mail.example.com");
    s.message(message, "marc@example.net");
    BOOST_REQUIRE_EQUAL(s.txn.results().size(), 2u);
    BOOST_TEST(property(s.txn.results()[0], "smtp", "mailfrom") == "marc@example.net");
    BOOST_TEST(property(s.txn.results()[0], "smtp", "helo") == "<absent>");
    BOOST_TEST(property(s.txn.results()[1], "smtp", "helo") == "mail.example.com");
    BOOST_TEST(s.txn.edits().empty());
}

BOOST_AUTO_TEST_CASE(local_clients_are_skipped)
{
    test_harness::session<chain> s;
    publish(s);
    s.connect("10.1.1.1", "mail.example.com");
    s.message(message, "marc@example.net");
    BOOST_TEST(!s.find("spf"));
    BOOST_TEST(s.zone.query_count() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_configuration)
{
    chain c;
    BOOST_CHECK_THROW(c.configure(boost::json::parse(R"({"SPF":{"spfu_detection":7}})").as_object()),
                      std::invalid_argument);
    BOOST_CHECK_THROW(c.configure(boost::json::parse(R"({"SPF":{"hide_none":"perhaps"}})").as_object()),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
