// Test that header file is self-contained.
#include <authmilter/dkim/signer.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "helpers.hpp"
#include "print.hpp"

using namespace dkim_test;
using dkim::error;
using dkim::result;

namespace {

std::string
read(std::string const& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string
lf_to_crlf(std::string const& s)
{
    std::string out;
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            out += '\r';
        out += s[i];
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_signer)

BOOST_AUTO_TEST_CASE(rfc8463_appendix_a_reproduced_exactly)
{
    // The conformance case carries the RFC 8463 A.1 private keys. Re-sign each signature of the
    // A.3 message with its own header template (b= emptied): Ed25519 and RSA PKCS#1 v1.5 are
    // deterministic, so b= must come out byte for byte, and bh= must match our body hash.
    auto const doc =
        boost::json::parse(read(std::string(AUTHMILTER_TESTDATA_DIR) + "/dkim/dkim-verify-cases.json"));
    boost::json::object const* rfc = nullptr;
    for(auto const& c : doc.at("cases").as_array())
        if(c.at("id").as_string() == "rfc8463/appendix-a")
            rfc = &c.as_object();
    BOOST_REQUIRE(rfc != nullptr);
    auto const& keys = rfc->at("private_keys").as_object();
    auto const message = lf_to_crlf(read(std::string(AUTHMILTER_TESTDATA_DIR) + "/dkim/" +
                                         std::string(rfc->at("message_file").as_string())));
    auto parts = dkim::split_message(message);
    int reproduced = 0;
    for(std::size_t i = 0; i < parts.headers.size(); ++i) {
        auto const& f = parts.headers[i];
        if(!f.is("DKIM-Signature"))
            continue;
        auto sig = dkim::parse_signature(f.raw_value);
        BOOST_REQUIRE(sig.has_value());
        auto const& k = keys.at(sig->selector + "._domainkey." + sig->domain).as_object();
        auto const key = k.at("type").as_string() == "ed25519"
                             ? dkim::private_key::from_ed25519_seed(
                                   *dkim::detail::base64_decode(std::string(k.at("data").as_string())))
                             : dkim::private_key::from_pem(std::string(k.at("data").as_string()));
        BOOST_REQUIRE(key.has_value());
        // bh=
        BOOST_TEST(dkim::detail::base64_encode([&] {
                       dkim::digest d(dkim::hash_of(*sig->algo));
                       d.update(dkim::canonicalize_body(sig->body_canon, parts.body));
                       return d.final();
                   }()) == dkim::detail::base64_encode(sig->body_hash));
        // b=, over the other fields
        std::vector<authmilter::core::header_field> others;
        for(std::size_t j = 0; j < parts.headers.size(); ++j)
            if(j != i)
                others.push_back(parts.headers[j]);
        auto const b = dkim::sign_prepared(*key, *sig->algo, sig->header_canon, sig->signed_headers, others,
                                           f.name, dkim::without_b_value(f.raw_value));
        BOOST_REQUIRE(b.has_value());
        BOOST_TEST(*b == sig->b, sig->selector);
        ++reproduced;
    }
    BOOST_TEST(reproduced == 2);
}

BOOST_AUTO_TEST_CASE(rfc8463_keys_sign_and_verify)
{
    // The A.1 keys through the streaming signer, verified against the A.2 records.
    auto const ed = dkim::private_key::from_ed25519_seed(
        *dkim::detail::base64_decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="));
    BOOST_REQUIRE(ed.has_value());
    BOOST_TEST(dkim::detail::base64_encode(ed->public_key_data()) ==
               "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    dns::zone_resolver zone;
    zone.add_txt("brisbane._domainkey.football.example.com",
                 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    dkim::sign_options o;
    o.domain = "football.example.com";
    o.selector = "brisbane";
    o.identity = "@football.example.com";
    o.timestamp = 1528637909;
    auto const signed_msg = sign(sample_message, *ed, o);
    BOOST_TEST(signed_msg.find("a=ed25519-sha256") != std::string::npos);
    BOOST_TEST(signed_msg.find("t=1528637909") != std::string::npos);
    dkim::verify_options v;
    v.now = 1528637909;
    auto const r = verify(signed_msg, zone, v);
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST(r[0].res == result::pass);
    // Deterministic: signing again gives the same field.
    BOOST_TEST(sign(sample_message, *ed, o, 3) == signed_msg);
}

BOOST_AUTO_TEST_CASE(pem_formats)
{
    auto const pkcs8 = dkim::private_key::from_pem(generate_pem("RSA", 1024));
    BOOST_REQUIRE(pkcs8.has_value());
    BOOST_TEST(pkcs8->bits() == 1024u);
    BOOST_TEST((pkcs8->type() == dkim::key_type::rsa));
    auto const ed = dkim::private_key::from_pem(generate_pem("ED25519"));
    BOOST_REQUIRE(ed.has_value());
    BOOST_TEST((ed->type() == dkim::key_type::ed25519));
    BOOST_TEST(dkim::private_key::from_pem("not a key").has_error());
    BOOST_TEST(dkim::private_key::from_ed25519_seed("short").has_error());
    // A copy shares the key and signs the same.
    auto const copy = *ed;
    BOOST_TEST(copy.public_key_data() == ed->public_key_data());
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused)
{
    auto const key = *dkim::private_key::from_pem(generate_pem("ED25519"));
    auto attempt = [&](dkim::sign_options o) {
        dkim::signer s(key, std::move(o));
        s.on_header({"From", " a@example.com"});
        s.on_body("x\r\n");
        return s.finish();
    };
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = "s";
    BOOST_TEST(attempt(o).has_value());
    auto bad = o;
    bad.domain = "exa mple.com";
    BOOST_TEST((attempt(bad).error() == dkim::make_error_code(error::bad_domain)));
    bad = o;
    bad.selector = "";
    BOOST_TEST((attempt(bad).error() == dkim::make_error_code(error::bad_selector)));
    bad = o;
    bad.identity = "joe@example.org";
    BOOST_TEST((attempt(bad).error() == dkim::make_error_code(error::identity_not_in_domain)));
    bad = o;
    bad.timestamp = 10;
    bad.expiration = 9;
    BOOST_TEST((attempt(bad).error() == dkim::make_error_code(error::expiration_before_timestamp)));
    // sign_prepared refuses an algorithm that does not fit the key
    BOOST_TEST(dkim::sign_prepared(key, dkim::algorithm::rsa_sha256, dkim::canonicalization::simple, {"from"},
                                   {}, "DKIM-Signature", " b=")
                   .has_error());
}

BOOST_AUTO_TEST_CASE(oversigning_lists)
{
    auto const key = *dkim::private_key::from_pem(generate_pem("ED25519"));
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = "s";
    o.headers = {"to", "subject", "x-absent"};
    o.oversign = {"subject"};
    dkim::signer s(key, o);
    s.on_header({"From", " a@example.com"});
    s.on_header({"To", " b@example.com"});
    s.on_header({"Subject", " hi"});
    auto const f = s.finish();
    BOOST_REQUIRE(f.has_value());
    auto const sig = dkim::parse_signature(f->raw_value);
    BOOST_REQUIRE(sig.has_value());
    // from added (oversigned), to once, subject twice (oversigned), x-absent not at all
    std::vector<std::string> const want = {"from", "from", "to", "subject", "subject"};
    BOOST_TEST(sig->signed_headers == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
