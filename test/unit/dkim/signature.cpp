// Test that header file is self-contained.
#include <authmilter/dkim/signature.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

#include "print.hpp"

namespace dkim = authmilter::dkim;
using dkim::error;

namespace {

// A valid signature; tests replace or append tags to break it in one way at a time.
std::string const base = "v=1; a=rsa-sha256; c=relaxed/simple; d=example.com; s=sel; "
                         "h=From:To:Subject; bh=AAAA; b=QUJD";

error
parse(std::string const& text)
{
    dkim::signature sig;
    return dkim::parse_signature(text, sig);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_signature)

BOOST_AUTO_TEST_CASE(parses_all_tags)
{
    dkim::signature sig;
    auto const e = dkim::parse_signature(
        " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=Example.COM; i=joe=40x@mail.example.com;"
        " q=dns/txt; l=123; s=brisbane; t=1528637909; x=1528637999; z=From:foo;"
        "\r\n h=from : to:\r\n\tsubject; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
        " b=AbCd\r\n EfGh;",
        sig);
    BOOST_TEST(e == error{});
    BOOST_TEST(sig.version == "1");
    BOOST_TEST((sig.algo == dkim::algorithm::ed25519_sha256));
    BOOST_TEST((sig.header_canon == dkim::canonicalization::relaxed));
    BOOST_TEST((sig.body_canon == dkim::canonicalization::relaxed));
    BOOST_TEST(sig.domain == "Example.COM");
    BOOST_TEST(sig.identity == "joe@x@mail.example.com"); // quoted-printable decoded
    BOOST_TEST(sig.identity_domain() == "mail.example.com");
    BOOST_TEST(*sig.body_length == 123u);
    BOOST_TEST(sig.selector == "brisbane");
    BOOST_TEST(*sig.timestamp == 1528637909u);
    BOOST_TEST(*sig.expiration == 1528637999u);
    BOOST_TEST(sig.signed_headers.size() == 3u);
    BOOST_TEST(sig.signed_headers[1] == "to");
    BOOST_TEST(sig.signed_headers[2] == "subject");
    BOOST_TEST(sig.b == "AbCdEfGh"); // FWS inside b= removed
    BOOST_TEST(sig.body_hash.size() == 32u);
    BOOST_TEST(sig.key_name() == "brisbane._domainkey.Example.COM");
}

BOOST_AUTO_TEST_CASE(defaults)
{
    dkim::signature sig;
    BOOST_TEST((dkim::parse_signature("v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=QUJD",
                                      sig) == error{}));
    BOOST_TEST((sig.header_canon == dkim::canonicalization::simple));
    BOOST_TEST((sig.body_canon == dkim::canonicalization::simple));
    BOOST_TEST(sig.identity == "@example.com");
    BOOST_TEST(!sig.identity_given);
    BOOST_TEST(!sig.body_length);
    // c= with only the header part: body defaults to simple
    BOOST_TEST((dkim::parse_signature(base + "; c=relaxed", sig) == error::duplicate_tag));
    BOOST_TEST(
        (dkim::parse_signature("v=1; a=rsa-sha256; c=relaxed; d=example.com; s=s; h=from; bh=AAAA; b=QUJD",
                               sig) == error{}));
    BOOST_TEST((sig.header_canon == dkim::canonicalization::relaxed));
    BOOST_TEST((sig.body_canon == dkim::canonicalization::simple));
}

BOOST_AUTO_TEST_CASE(each_failure_has_its_reason)
{
    BOOST_TEST((parse(base) == error{}));
    BOOST_TEST((parse(base + "; v=1") == error::duplicate_tag));
    BOOST_TEST(
        (parse("a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") == error::missing_version));
    BOOST_TEST(
        (parse("v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") == error::bad_version));
    BOOST_TEST((parse("v=1; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") == error::missing_algorithm));
    BOOST_TEST(
        (parse("v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") == error::unknown_algorithm));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=") ==
                error::missing_signature_data));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=Q!JD") ==
                error::bad_signature_base64));
    BOOST_TEST(
        (parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=QUJD") == error::missing_body_hash));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=A; b=QUJD") ==
                error::bad_body_hash_base64));
    BOOST_TEST((parse("v=1; a=rsa-sha256; c=fancy/simple; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") ==
                error::bad_canonicalization));
    BOOST_TEST((parse("v=1; a=rsa-sha256; c=simple/nope; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD") ==
                error::bad_canonicalization));
    BOOST_TEST((parse("v=1; a=rsa-sha256; s=sel; h=from; bh=AAAA; b=QUJD") == error::missing_domain));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=legitimate.com(.attacker.com; s=sel; h=from; bh=AAAA; b=QUJD") ==
                error::bad_domain));
    BOOST_TEST(
        (parse("v=1; a=rsa-sha256; d=example.com; s=sel; bh=AAAA; b=QUJD") == error::missing_signed_headers));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=AAAA; b=QUJD") ==
                error::from_not_signed));
    BOOST_TEST((parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=AAAA; b=QUJD") ==
                error::bad_signed_headers));
    BOOST_TEST((parse(base + "; i=nobody") == error::bad_identity));
    BOOST_TEST((parse(base + "; i=joe@example.org") == error::identity_not_in_domain));
    BOOST_TEST((parse(base + "; i=joe@badexample.com") == error::identity_not_in_domain));
    BOOST_TEST((parse(base + "; i=joe@sub.EXAMPLE.com") == error{}));
    BOOST_TEST((parse(base + "; i=@example.com") == error{}));
    BOOST_TEST((parse(base + "; i=joe=4") == error::bad_identity));
    BOOST_TEST((parse(base + "; l=12a") == error::bad_body_length));
    BOOST_TEST((parse(base + "; l=-1") == error::bad_body_length));
    BOOST_TEST((parse(base + "; l=0") == error{}));
    BOOST_TEST((parse(base + "; q=http/well-known") == error::bad_query_method));
    BOOST_TEST((parse(base + "; q=foo:dns/txt") == error{}));
    BOOST_TEST(
        (parse("v=1; a=rsa-sha256; d=example.com; h=from; bh=AAAA; b=QUJD") == error::missing_selector));
    BOOST_TEST(
        (parse("v=1; a=rsa-sha256; d=example.com; s=a b; h=from; bh=AAAA; b=QUJD") == error::bad_selector));
    BOOST_TEST((parse(base + "; t=now") == error::bad_timestamp));
    BOOST_TEST((parse(base + "; x=later") == error::bad_expiration));
    BOOST_TEST((parse(base + "; t=100; x=99") == error::expiration_before_timestamp));
    BOOST_TEST((parse(base + "; t=100; x=100") == error{}));
}

BOOST_AUTO_TEST_CASE(tag_list_syntax)
{
    BOOST_TEST((parse(base + "; foo=bar; x_y1=z") == error{})); // unknown tags ignored
    BOOST_TEST((parse(base + ";") == error{}));                 // trailing ";"
    BOOST_TEST((parse(base + "; novalue") == error::tag_list_syntax));
    BOOST_TEST((parse(base + "; 1x=y") == error::tag_list_syntax));
    BOOST_TEST((parse(base + "; =y") == error::tag_list_syntax));
    BOOST_TEST((parse(base + "; n=a\x01z") == error::tag_list_syntax));
    BOOST_TEST((parse(base + "; b=QUJD") == error::duplicate_tag));
    BOOST_TEST((parse("") == error::missing_version));
}

BOOST_AUTO_TEST_CASE(partial_fields_on_error)
{
    // A broken signature still reports d=, s=, a= and b= so the A-R entry can name it.
    dkim::signature sig;
    BOOST_TEST((dkim::parse_signature("a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=QUJD", sig) ==
                error::missing_version));
    BOOST_TEST(sig.domain == "example.com");
    BOOST_TEST(sig.selector == "sel");
    BOOST_TEST(sig.b == "QUJD");
    BOOST_TEST((sig.algo == dkim::algorithm::rsa_sha256));
}

BOOST_AUTO_TEST_CASE(result_form)
{
    auto const ok = dkim::parse_signature(base);
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(ok->domain == "example.com");
    auto const bad = dkim::parse_signature("v=1");
    BOOST_REQUIRE(bad.has_error());
    BOOST_TEST((bad.error() == dkim::make_error_code(error::missing_algorithm)));
    BOOST_TEST(bad.error().message() == "missing a= tag");
    BOOST_TEST(std::string(bad.error().category().name()) == "authmilter.dkim");
}

BOOST_AUTO_TEST_CASE(b_value_removed_with_surrounding_whitespace)
{
    BOOST_TEST(dkim::without_b_value(" v=1; b= abc\r\n def ; bh=xyz") == " v=1; b=; bh=xyz");
    BOOST_TEST(dkim::without_b_value(" v=1; bh=xyz;\r\n b=abc") == " v=1; bh=xyz;\r\n b=");
    // bh= is not b=
    BOOST_TEST(dkim::without_b_value("bh=abc; d=x") == "bh=abc; d=x");
}

BOOST_AUTO_TEST_SUITE_END()
