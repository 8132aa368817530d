// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/spf/check_host.hpp>
#include <authmilter/spf/received_spf.hpp>

#include <boost/test/unit_test.hpp>

#include "run.hpp"

namespace spf = authmilter::spf;
namespace dns = authmilter::dns;
using authmilter::core::ip_address;
using spf::test::run;

BOOST_AUTO_TEST_SUITE(spf_received_spf)

// The example of the reference (Authentication Milter's SPF handler), produced end to end.
BOOST_AUTO_TEST_CASE(reference_example)
{
    dns::zone_resolver z;
    z.add_txt("marcbradshaw.net", "v=spf1 include:_spf.google.com ~all");
    z.add_txt("_spf.google.com", "v=spf1 ip4:74.125.0.0/16 ~all");
    auto const client = *ip_address::parse("74.125.82.171");
    auto const r = run(
        spf::verify_mailfrom(z, client, "marc@marcbradshaw.net", "mail-we0-f171.google.com", spf::options{}));
    BOOST_TEST_REQUIRE(spf::to_string(r.code) == "pass");

    spf::check_info info;
    info.scope = spf::scope::mfrom;
    info.identity = "marc@marcbradshaw.net";
    info.helo = "mail-we0-f171.google.com";
    info.client = client;
    info.receiver = "test.module";
    auto const body = spf::received_spf_field(r, info);
    BOOST_TEST(body ==
               "pass (marcbradshaw.net: Sender is authorized to use 'marc@marcbradshaw.net' in 'mfrom' "
               "identity (mechanism 'include:_spf.google.com' matched)) receiver=test.module; "
               "identity=mailfrom; envelope-from=\"marc@marcbradshaw.net\"; "
               "helo=mail-we0-f171.google.com; client-ip=74.125.82.171");
    BOOST_TEST(
        spf::wrap_received_spf(body) ==
        "pass\n"
        "    (marcbradshaw.net: Sender is authorized to use 'marc@marcbradshaw.net' in 'mfrom' identity "
        "(mechanism 'include:_spf.google.com' matched))\n"
        "    receiver=test.module;\n"
        "    identity=mailfrom;\n"
        "    envelope-from=\"marc@marcbradshaw.net\";\n"
        "    helo=mail-we0-f171.google.com;\n"
        "    client-ip=74.125.82.171");
    BOOST_TEST(spf::authres_for(r, spf::scope::mfrom, "marc@marcbradshaw.net", "mail-we0-f171.google.com")
                   .to_string() ==
               "spf=pass smtp.mailfrom=marc@marcbradshaw.net smtp.helo=mail-we0-f171.google.com");
}

BOOST_AUTO_TEST_CASE(mechanism_kinds_and_results)
{
    auto const client = *ip_address::parse("2001:db8::1");
    spf::check_info info;
    info.identity = "a@example.com";
    info.client = client;
    spf::result r;
    r.domain = "example.com";
    r.code = spf::code::fail;
    r.mechanism = "-all";
    r.kind = spf::mechanism_kind::all;
    BOOST_TEST(spf::local_explanation(r, info) ==
               "example.com: Sender is not authorized by default to use "
               "'a@example.com' in 'mfrom' identity (mechanism '-all' matched)");
    r.code = spf::code::softfail;
    r.mechanism = "~ip6:2001:db8::/32";
    r.kind = spf::mechanism_kind::address;
    BOOST_TEST(
        spf::local_explanation(r, info) ==
        "example.com: 2001:db8::1 is not authorized to use 'a@example.com' in 'mfrom' identity, however "
        "domain is not currently prepared for false failures (mechanism '~ip6:2001:db8::/32' matched)");
    r.code = spf::code::neutral;
    r.mechanism = "?exists:%{i}.example.com";
    r.kind = spf::mechanism_kind::other;
    BOOST_TEST(
        spf::local_explanation(r, info) ==
        "example.com: Domain does not state whether sender is authorized to use 'a@example.com' in 'mfrom' "
        "identity (mechanism '?exists:%{i}.example.com' matched)");
    // Without a mechanism the reason is the text; a redirect shows both domains.
    r.code = spf::code::neutral;
    r.mechanism.clear();
    r.kind = spf::mechanism_kind::none;
    r.reason = "Default neutral result due to no mechanism matches";
    r.decided_by = "_spf.example.net";
    BOOST_TEST(spf::local_explanation(r, info) ==
               "example.com ... _spf.example.net: Default neutral result due to no mechanism matches");
    // IPv6 client-ip is quoted (':' is not atext).
    BOOST_TEST(spf::received_spf_field(r, info).find("client-ip=\"2001:db8::1\"") != std::string::npos);
    BOOST_TEST(spf::received_spf_field(r, info).find("receiver=unknown;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(helo_scope_and_none)
{
    spf::check_info info;
    info.scope = spf::scope::helo;
    info.identity = "mail.example.org";
    info.helo = "mail.example.org";
    info.client = *ip_address::parse("192.0.2.1");
    info.receiver = "mx.example.net";
    spf::result r;
    r.code = spf::code::none;
    r.domain = "mail.example.org";
    r.reason = "No applicable sender policy available";
    BOOST_TEST(spf::received_spf_field(r, info) ==
               "none (mail.example.org: No applicable sender policy available) receiver=mx.example.net; "
               "identity=helo; helo=mail.example.org; client-ip=192.0.2.1");
    auto const e = spf::authres_for(r, spf::scope::helo, "", "mail.example.org");
    BOOST_TEST(e.to_string() == "spf=none smtp.mailfrom=\"\" smtp.helo=mail.example.org");
    auto const only =
        spf::authres_for(r, spf::scope::helo, "", "mail.example.org", spf::authres_style::identity_only);
    BOOST_TEST(only.to_string() == "spf=none smtp.helo=mail.example.org");
    auto const mf =
        spf::authres_for(r, spf::scope::mfrom, "a@b.example", "h.example", spf::authres_style::identity_only);
    BOOST_TEST(mf.to_string() == "spf=none smtp.mailfrom=a@b.example");
}

BOOST_AUTO_TEST_CASE(quoting_and_sanitizing)
{
    spf::check_info info;
    info.identity = "\"odd \\\"local\"@example.com";
    info.client = *ip_address::parse("192.0.2.1");
    spf::result r;
    r.code = spf::code::permerror;
    r.domain = "example.com";
    r.reason = "Junk \x01 in record";
    auto const body = spf::received_spf_field(r, info);
    BOOST_TEST(body.find("(example.com: Junk \\x01 in record)") != std::string::npos);
    BOOST_TEST(body.find("envelope-from=\"\\\"odd \\\\\\\"local\\\"@example.com\"") != std::string::npos);
    spf::authres_entry e;
    e.result = "pass";
    e.properties.emplace_back("smtp.mailfrom", "a b@example.com");
    BOOST_TEST(e.to_string() == "spf=pass smtp.mailfrom=\"a b@example.com\"");
}

BOOST_AUTO_TEST_SUITE_END()
