// Test that header file is self-contained.
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/key_record.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

#include "print.hpp"

namespace dkim = authmilter::dkim;
using dkim::error;

namespace {

// RFC 8463 Appendix A.2 keys.
std::string const ed_p = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
std::string const rsa_p =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
    "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZy"
    "VYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
// The same key as a bare PKCS#1 RSAPublicKey (as stalwart's dkim-002 publishes its key).
std::string const rsa_pkcs1_p =
    "MIGJAoGBALVI635dLK4cJJAH3Lx6upo3X/Lm1tQz3mezcWTA3BUBnyIsdnRf57aD5BtNmhPrYYDlWlzw3UgnKisIxktkk5+"
    "iMQMlFtAS10JB8L3YadXNJY+JBcbeSi5TgJe4WFzNgW95FWDAuSTRXSWZfA/8xjflbTLDx0euFZOM7C4T0GwLAgMBAAE=";

error
parse(std::string const& text)
{
    dkim::key_record k;
    return dkim::parse_key_record(text, k);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_key_record)

BOOST_AUTO_TEST_CASE(defaults_and_flags)
{
    dkim::key_record k;
    BOOST_TEST((dkim::parse_key_record("p=" + rsa_p, k) == error{}));
    BOOST_TEST((k.type == dkim::key_type::rsa));
    BOOST_TEST(k.allows(dkim::hash_algorithm::sha1));
    BOOST_TEST(k.allows(dkim::hash_algorithm::sha256));
    BOOST_TEST(k.email_service);
    BOOST_TEST(!k.testing);
    BOOST_TEST(!k.strict);
    BOOST_TEST(k.key_data.size() == 162u);

    BOOST_TEST((dkim::parse_key_record(
                    "v=DKIM1; k=ed25519; h=sha256; s=email:other; t=y:s:q; n=hi; p=" + ed_p, k) == error{}));
    BOOST_TEST((k.type == dkim::key_type::ed25519));
    BOOST_TEST(!k.allows(dkim::hash_algorithm::sha1));
    BOOST_TEST(k.allows(dkim::hash_algorithm::sha256));
    BOOST_TEST(k.testing);
    BOOST_TEST(k.strict);
    BOOST_TEST(k.key_data.size() == 32u);

    BOOST_TEST((dkim::parse_key_record("s=*; p=" + rsa_p, k) == error{}));
    BOOST_TEST(k.email_service);
    BOOST_TEST((dkim::parse_key_record("s=other; p=" + rsa_p, k) == error{}));
    BOOST_TEST(!k.email_service);
    BOOST_TEST((dkim::parse_key_record("h=md5:sha1; p=" + rsa_p, k) == error{}));
    BOOST_TEST(k.allows(dkim::hash_algorithm::sha1));
    BOOST_TEST(!k.allows(dkim::hash_algorithm::sha256));
}

BOOST_AUTO_TEST_CASE(failures)
{
    BOOST_TEST((parse("v=DKIM2; p=" + rsa_p) == error::key_bad_version));
    BOOST_TEST((parse("k=rsa; v=DKIM1; p=" + rsa_p) == error::key_bad_version)); // v= must be first
    BOOST_TEST((parse("v=DKIM1; k=rsa") == error::key_missing_public_key));
    BOOST_TEST((parse("v=DKIM1; p=") == error::key_revoked));
    BOOST_TEST((parse("v=DKIM1; p= ") == error::key_revoked));
    BOOST_TEST((parse("v=DKIM1; p=MIG!") == error::key_bad_base64));
    BOOST_TEST((parse("k=dsa; p=" + rsa_p) == error::key_unknown_type));
    BOOST_TEST((parse("p=a; p=b") == error::duplicate_tag));
    BOOST_TEST((parse("p=abc; garbage") == error::key_syntax));
    dkim::key_record k;
    BOOST_TEST((dkim::parse_key_record("t=y; p=", k) == error::key_revoked));
    BOOST_TEST(k.revoked);
    BOOST_TEST(k.testing); // still filled for the report
}

BOOST_AUTO_TEST_CASE(public_key_decoding)
{
    auto rec = dkim::parse_key_record("p=" + rsa_p);
    BOOST_REQUIRE(rec.has_value());
    auto key = dkim::public_key::from_record(*rec);
    BOOST_REQUIRE(key.has_value());
    BOOST_TEST(key->bits() == 1024u);
    BOOST_TEST((key->type() == dkim::key_type::rsa));

    rec = dkim::parse_key_record("p=" + rsa_pkcs1_p);
    BOOST_REQUIRE(rec.has_value());
    key = dkim::public_key::from_record(*rec);
    BOOST_REQUIRE(key.has_value());
    BOOST_TEST(key->bits() == 1024u);

    rec = dkim::parse_key_record("k=ed25519; p=" + ed_p);
    BOOST_REQUIRE(rec.has_value());
    key = dkim::public_key::from_record(*rec);
    BOOST_REQUIRE(key.has_value());
    BOOST_TEST(key->bits() == 256u);
    BOOST_TEST((key->type() == dkim::key_type::ed25519));

    // An SPKI-wrapped Ed25519 key (44 bytes) is not the raw key RFC 8463 requires.
    rec = dkim::parse_key_record("k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    BOOST_REQUIRE(rec.has_value());
    BOOST_TEST((dkim::public_key::from_record(*rec).error() == dkim::make_error_code(error::key_bad_data)));
    // An Ed25519 key published as k=rsa.
    rec = dkim::parse_key_record("k=rsa; p=" + ed_p);
    BOOST_REQUIRE(rec.has_value());
    BOOST_TEST((dkim::public_key::from_record(*rec).error() == dkim::make_error_code(error::key_bad_data)));
    // Truncated DER.
    rec = dkim::parse_key_record("p=" + rsa_p.substr(0, 100));
    BOOST_REQUIRE(rec.has_value());
    BOOST_TEST(dkim::public_key::from_record(*rec).has_error());
}

BOOST_AUTO_TEST_SUITE_END()
