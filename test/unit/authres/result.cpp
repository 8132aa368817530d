// Test that header file is self-contained.
#include <authmilter/authres/result.hpp>

#include <boost/test/unit_test.hpp>

namespace ar = authmilter::authres;

BOOST_AUTO_TEST_SUITE(authres_result)

BOOST_AUTO_TEST_CASE(build_a_header)
{
    ar::header h("mx.example.com");
    BOOST_TEST(h.is_none());
    auto& spf = h.add({"spf", "pass"});
    spf.add_property("smtp", "mailfrom", "user@example.net").add_property("smtp", "helo", "mail.example.net");
    h.add({"iprev", "pass"}).add_property("policy", "iprev", "192.0.2.1", "mail.example.net");
    BOOST_TEST(!h.is_none());
    BOOST_TEST(h.results.size() == 2u);
    BOOST_TEST(h.results[0].properties.size() == 2u);
    BOOST_TEST(h.results[1].properties[0].comments.size() == 1u);
    BOOST_TEST(h.results[1].properties[0].comments[0] == "mail.example.net");
}

BOOST_AUTO_TEST_CASE(property_kinds)
{
    ar::result r("x-ptr", "fail");
    r.add_property("smtp", "helo", "bad.example").add_property("", "x-ptr-lookup", "");
    BOOST_TEST(r.properties[0].is_rfc());
    BOOST_TEST(!r.properties[1].is_rfc());
    BOOST_TEST(r.properties[0].key() == "smtp.helo");
    BOOST_TEST(r.properties[1].key() == "x-ptr-lookup");
    auto rfc = r.rfc_properties();
    auto other = r.non_rfc_items();
    BOOST_TEST(rfc.size() == 1u);
    BOOST_TEST(other.size() == 1u);
    BOOST_TEST(other[0].name == "x-ptr-lookup");
}

BOOST_AUTO_TEST_CASE(find_property_is_case_insensitive)
{
    ar::result r("dkim", "pass");
    r.add_property("header", "d", "example.com").add_property("header", "i", "@example.com");
    auto const* p = r.find_property("HEADER", "I");
    BOOST_TEST_REQUIRE(p != nullptr);
    BOOST_TEST(p->value == "@example.com");
    BOOST_TEST(r.find_property("header", "s") == nullptr);
}

BOOST_AUTO_TEST_CASE(equality_compares_everything)
{
    ar::result a("dkim", "pass");
    ar::result b = a;
    BOOST_TEST((a == b));
    b.add_comment("1024-bit key");
    BOOST_TEST(!(a == b));
    b = a;
    b.method_version = "1";
    BOOST_TEST(!(a == b));
}

BOOST_AUTO_TEST_SUITE_END()
