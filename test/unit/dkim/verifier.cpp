// Test that header file is self-contained.
#include <authmilter/dkim/verifier.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "print.hpp"

using namespace dkim_test;
using dkim::error;
using dkim::result;

namespace {

struct fixture {
    dkim::private_key rsa = *dkim::private_key::from_pem(generate_pem("RSA", 2048));
    dkim::private_key ed = *dkim::private_key::from_pem(generate_pem("ED25519"));
    dns::zone_resolver zone;

    fixture()
    {
        zone.add_txt("rsa._domainkey.example.com", key_record_for(rsa));
        zone.add_txt("ed._domainkey.example.com", key_record_for(ed));
    }

    static dkim::sign_options options(std::string selector)
    {
        dkim::sign_options o;
        o.domain = "example.com";
        o.selector = std::move(selector);
        return o;
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(dkim_verifier, fixture)

BOOST_AUTO_TEST_CASE(unsigned_message_is_none)
{
    auto const r = verify(sample_message, zone);
    BOOST_TEST(r.empty());
    BOOST_TEST(dkim::best_result(r) == result::none);
}

BOOST_AUTO_TEST_CASE(round_trip_every_mode_and_chunking)
{
    for(auto const* sel : {"rsa", "ed"}) {
        for(auto hc : {dkim::canonicalization::simple, dkim::canonicalization::relaxed}) {
            for(auto bc : {dkim::canonicalization::simple, dkim::canonicalization::relaxed}) {
                auto o = options(sel);
                o.header_canon = hc;
                o.body_canon = bc;
                auto const signed_msg = sign(sample_message, std::string(sel) == "rsa" ? rsa : ed, o, 7);
                for(std::size_t chunk : {1u, 2u, 3u, 10u, 65536u}) {
                    auto const r = verify(signed_msg, zone, {}, chunk);
                    BOOST_REQUIRE(r.size() == 1u);
                    BOOST_TEST(r[0].res == result::pass, sel << " " << r[0].comment() << " chunk " << chunk);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(lf_message_verifies_like_crlf)
{
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    std::string lf;
    for(char c : signed_msg)
        if(c != '\r')
            lf += c;
    auto const r = verify(lf, zone, {}, 5);
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST(r[0].res == result::pass);
}

BOOST_AUTO_TEST_CASE(tampering_is_detected)
{
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    auto body_changed = signed_msg;
    body_changed.replace(body_changed.find("lost"), 4, "won!");
    auto r = verify(body_changed, zone);
    BOOST_TEST(r[0].res == result::fail);
    BOOST_TEST(r[0].reason == error::body_hash_mismatch);
    BOOST_TEST(r[0].comment() == "body has been altered, 2048-bit rsa key sha256");

    auto header_changed = signed_msg;
    header_changed.replace(header_changed.find("dinner"), 6, "lunch!");
    r = verify(header_changed, zone);
    BOOST_TEST(r[0].res == result::fail);
    BOOST_TEST(r[0].reason == error::signature_mismatch);

    // Oversigned From: a second From added anywhere breaks the signature.
    auto extra_from = signed_msg;
    extra_from.insert(extra_from.find("\r\n\r\n") + 2, "From: mallory@evil.example\r\n");
    r = verify(extra_from, zone);
    BOOST_TEST(r[0].reason == error::signature_mismatch);

    // A field that is not signed may be added.
    auto extra_field = signed_msg;
    extra_field.insert(extra_field.find("\r\n\r\n") + 2, "X-Mailer: whatever\r\n");
    r = verify(extra_field, zone);
    BOOST_TEST(r[0].res == result::pass);

    // Whitespace changes survive relaxed/relaxed.
    auto rewrapped = signed_msg;
    rewrapped.replace(rewrapped.find("Subject: Is"), 11, "Subject:   Is");
    rewrapped.replace(rewrapped.find("Are you"), 7, "Are \t you");
    r = verify(rewrapped, zone);
    BOOST_TEST(r[0].res == result::pass);
}

BOOST_AUTO_TEST_CASE(key_problems)
{
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    auto const with = [&](std::string record) {
        dns::zone_resolver z;
        z.add_txt("rsa._domainkey.example.com", std::move(record));
        return verify(signed_msg, z)[0];
    };
    auto const p = dkim::detail::base64_encode(rsa.public_key_data());
    BOOST_TEST(with("v=DKIM1; p=").reason == error::key_revoked);
    BOOST_TEST(with("v=DKIM1; p=").res == result::permerror);
    BOOST_TEST(with("v=DKIM1; k=ed25519; p=" + p).reason == error::key_bad_data);
    BOOST_TEST(with("v=DKIM1; h=sha1; p=" + p).reason == error::key_hash_not_allowed);
    BOOST_TEST(with("v=DKIM1; s=other; p=" + p).reason == error::key_service_not_allowed);
    BOOST_TEST(with("v=DKIM1; k=foo; p=" + p).reason == error::key_unknown_type);
    BOOST_TEST(with("v=DKIM1; p=" + p.substr(0, 40)).reason == error::key_bad_data);
    BOOST_TEST(with("v=DKIM1; t=s; p=" + p).res == result::pass); // i= absent: @d, equal to d=
    auto const testing = with("v=DKIM1; t=y; p=" + p);
    BOOST_TEST(testing.res == result::pass);
    BOOST_TEST(testing.testing);

    dns::zone_resolver none;
    auto r = verify(signed_msg, none)[0];
    BOOST_TEST(r.reason == error::no_key);
    BOOST_TEST(r.res == result::permerror);

    dns::zone_resolver timeout;
    timeout.add_fault("rsa._domainkey.example.com", dns::rr_type::txt, dns::outcome::timeout);
    r = verify(signed_msg, timeout)[0];
    BOOST_TEST(r.res == result::temperror);
    BOOST_TEST(r.comment() == "dns timeout, rsa key sha256");

    dns::zone_resolver servfail;
    servfail.add_fault("rsa._domainkey.example.com", dns::rr_type::txt, dns::outcome::servfail);
    BOOST_TEST(verify(signed_msg, servfail)[0].reason_text() == "dns servfail");

    // Of several TXT records, the first valid key is used.
    dns::zone_resolver several;
    several.add_txt("rsa._domainkey.example.com", "garbage");
    several.add_txt("rsa._domainkey.example.com", key_record_for(rsa));
    BOOST_TEST(verify(signed_msg, several)[0].res == result::pass);
}

BOOST_AUTO_TEST_CASE(strict_identity)
{
    auto o = options("rsa");
    o.identity = "joe@sub.example.com";
    auto const signed_msg = sign(sample_message, rsa, o);
    BOOST_TEST(verify(signed_msg, zone)[0].res == result::pass);
    dns::zone_resolver strict;
    strict.add_txt("rsa._domainkey.example.com", key_record_for(rsa, "t=s; "));
    BOOST_TEST(verify(signed_msg, strict)[0].reason == error::key_strict_identity);
}

BOOST_AUTO_TEST_CASE(key_not_fetched_is_temperror)
{
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    dkim::verifier v;
    auto parts = dkim::split_message(signed_msg);
    std::optional<dkim::key_query> q;
    for(auto& h : parts.headers)
        if(auto x = v.on_header(std::move(h)))
            q = x;
    BOOST_REQUIRE(q.has_value());
    BOOST_TEST(q->selector == "rsa");
    BOOST_TEST(q->domain == "example.com");
    BOOST_TEST(q->name == "rsa._domainkey.example.com");
    BOOST_TEST(!v.answered(0));
    v.on_body(parts.body);
    auto const r = v.finish();
    BOOST_TEST(r[0].reason == error::key_lookup_incomplete);
    BOOST_TEST(r[0].res == result::temperror);
}

BOOST_AUTO_TEST_CASE(small_keys_and_sha1_by_policy)
{
    auto const small = *dkim::private_key::from_pem(generate_pem("RSA", 768));
    zone.add_txt("small._domainkey.example.com", key_record_for(small));
    auto const signed_msg = sign(sample_message, small, options("small"));
    auto r = verify(signed_msg, zone)[0];
    BOOST_TEST(r.reason == error::key_too_small);
    BOOST_TEST(r.res == result::permerror);
    BOOST_TEST(r.key_bits == 768u);
    dkim::verify_options lax;
    lax.min_rsa_bits = 512;
    BOOST_TEST(verify(signed_msg, zone, lax)[0].res == result::pass);

    // An rsa-sha1 signature made by hand with sign_prepared().
    auto parts = dkim::split_message(sample_message);
    auto const body = dkim::canonicalize_body(dkim::canonicalization::simple, parts.body);
    dkim::digest bh(dkim::hash_algorithm::sha1);
    bh.update(body);
    std::vector<std::string> const names = {"from", "to", "subject"};
    std::string const value = " v=1; a=rsa-sha1; d=example.com; s=rsa; h=from:to:subject; bh=" +
                              dkim::detail::base64_encode(bh.final()) + "; b=";
    auto const b = dkim::sign_prepared(rsa, dkim::algorithm::rsa_sha1, dkim::canonicalization::simple, names,
                                       parts.headers, "DKIM-Signature", value);
    BOOST_REQUIRE(b.has_value());
    auto const sha1_msg = "DKIM-Signature:" + value + *b + "\r\n" + sample_message;
    r = verify(sha1_msg, zone)[0];
    BOOST_TEST(r.reason == error::sha1_not_allowed);
    BOOST_TEST(r.res == result::permerror);
    dkim::verify_options legacy;
    legacy.allow_sha1 = true;
    r = verify(sha1_msg, zone, legacy)[0];
    BOOST_TEST(r.res == result::pass);
    BOOST_TEST(r.comment() == "2048-bit rsa key sha1");
}

BOOST_AUTO_TEST_CASE(time_checks)
{
    auto o = options("ed");
    o.timestamp = 1000000;
    o.expiration = 1000100;
    auto const signed_msg = sign(sample_message, ed, o);
    dkim::verify_options at;
    at.now = 1000050;
    BOOST_TEST(verify(signed_msg, zone, at)[0].res == result::pass);
    at.now = 1000101;
    BOOST_TEST(verify(signed_msg, zone, at)[0].reason == error::signature_expired);
    at.now = 1000000 - 86400 - 1;
    BOOST_TEST(verify(signed_msg, zone, at)[0].reason == error::signature_in_future);
    at.allowed_clock_skew = 0;
    at.now = 999999;
    BOOST_TEST(verify(signed_msg, zone, at)[0].reason == error::signature_in_future);
    at.now = 1000000;
    BOOST_TEST(verify(signed_msg, zone, at)[0].res == result::pass);
}

BOOST_AUTO_TEST_CASE(body_length_limit)
{
    auto o = options("rsa");
    o.body_length = true;
    auto const signed_msg = sign(sample_message, rsa, o);
    BOOST_TEST(signed_msg.find("l=") != std::string::npos);
    BOOST_TEST(verify(signed_msg, zone)[0].res == result::pass);
    // Text appended after the signed length is tolerated, as l= means.
    BOOST_TEST(verify(signed_msg + "-- \r\nappended by a list\r\n", zone)[0].res == result::pass);
    // A body shorter than l= fails.
    auto cut = signed_msg;
    cut.resize(cut.size() - 7);
    BOOST_TEST(verify(cut, zone)[0].reason == error::body_length_exceeds);
}

BOOST_AUTO_TEST_CASE(several_signatures_share_work)
{
    auto const once = sign(sample_message, rsa, options("rsa"));
    auto const twice = sign(once, ed, options("ed"));
    auto const thrice = sign(twice, rsa, options("rsa")); // same key as the first: one query
    std::vector<std::string> queried;
    auto r = verify(thrice, zone, {}, 3, &queried);
    BOOST_REQUIRE(r.size() == 3u);
    for(auto const& x : r)
        BOOST_TEST(x.res == result::pass);
    BOOST_TEST(queried.size() == 2u);

    dkim::verify_options max1;
    max1.max_signatures = 1;
    queried.clear();
    r = verify(thrice, zone, max1, 65536, &queried);
    BOOST_TEST(r[0].res == result::pass);
    BOOST_TEST(r[1].res == result::policy);
    BOOST_TEST(r[1].reason == error::too_many_signatures);
    BOOST_TEST(queried.size() == 1u);
    BOOST_TEST(dkim::best_result(r) == result::pass);
}

BOOST_AUTO_TEST_CASE(broken_signature_header)
{
    auto const msg =
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=to; bh=AAAA; b=QUJD\r\n" + sample_message;
    std::vector<std::string> queried;
    auto const r = verify(msg, zone, {}, 65536, &queried);
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST(r[0].reason == error::from_not_signed);
    BOOST_TEST(r[0].res == result::permerror);
    BOOST_TEST(queried.empty());
    BOOST_TEST(r[0].entry_text() ==
               "dkim=permerror (From header not signed, rsa key sha256) header.d=example.com "
               "header.i=@example.com header.b=QUJD header.a=rsa-sha256 header.s=rsa");
}

BOOST_AUTO_TEST_CASE(perl_style_entry)
{
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    auto const r = verify(signed_msg, zone)[0];
    BOOST_TEST(r.comment() == "2048-bit rsa key sha256");
    auto const props = r.properties();
    BOOST_REQUIRE(props.size() == 5u);
    BOOST_TEST(props[0].first == "header.d");
    BOOST_TEST(props[0].second == "example.com");
    BOOST_TEST(props[1].second == "@example.com");
    BOOST_TEST(props[2].second == r.b.substr(0, 8));
    BOOST_TEST(props[3].second == "rsa-sha256");
    BOOST_TEST(props[4].second == "rsa");
    BOOST_TEST(r.entry_text() ==
               "dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com "
               "header.b=" +
                   r.b.substr(0, 8) + " header.a=rsa-sha256 header.s=rsa");
    auto const e = verify(sign(sample_message, ed, options("ed")), zone)[0];
    BOOST_TEST(e.comment() == "256-bit ed25519 key sha256");
}

BOOST_AUTO_TEST_CASE(repeated_and_missing_header_names)
{
    // Two Received fields, h= naming received twice and a missing name: bottom-up picking.
    std::string const msg = "Received: from a\r\nReceived: from b\r\n" + sample_message;
    dkim::sign_options o = options("rsa");
    o.headers = {"received", "from", "x-missing"};
    o.oversign = {};
    auto const signed_msg = sign(msg, rsa, o);
    BOOST_TEST(signed_msg.find("h=received:received:from;") != std::string::npos);
    BOOST_TEST(verify(signed_msg, zone)[0].res == result::pass);
    // Swapping the two Received fields changes what the bottom-up order hashes.
    auto swapped = signed_msg;
    swapped.replace(swapped.find("from a"), 6, "from c");
    swapped.replace(swapped.find("from b"), 6, "from a");
    swapped.replace(swapped.find("from c"), 6, "from b");
    BOOST_TEST(verify(swapped, zone)[0].reason == error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(signature_after_body_is_refused)
{
    // A caller error (headers all come before the body); reported, never a crash.
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    auto parts = dkim::split_message(signed_msg);
    dkim::verifier v;
    v.on_body(parts.body);
    for(auto& h : parts.headers)
        BOOST_TEST(!v.on_header(std::move(h)).has_value());
    auto const r = v.finish();
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST(r[0].reason == error::header_after_body);
    BOOST_TEST(r[0].res == result::permerror);
}

BOOST_AUTO_TEST_CASE(other_signature_field)
{
    // signature_field selects which field carries signatures; DKIM-Signature is then ignored.
    auto const signed_msg = sign(sample_message, rsa, options("rsa"));
    dkim::verify_options o;
    o.signature_field = "X-Other-Signature";
    BOOST_TEST(verify(signed_msg, zone, o).empty());
    auto renamed = signed_msg;
    renamed.replace(0, std::string("DKIM-Signature").size(), "X-Other-Signature");
    auto const r = verify(renamed, zone, o);
    BOOST_REQUIRE(r.size() == 1u);
    // hashed under its own name, so a signature made as DKIM-Signature does not verify renamed
    BOOST_TEST(r[0].reason == error::signature_mismatch);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dkim_key_cache)

BOOST_AUTO_TEST_CASE(decoded_keys_are_shared_across_messages)
{
    auto const rsa = *dkim::private_key::from_pem(generate_pem("RSA", 1024));
    auto const ed = *dkim::private_key::from_pem(generate_pem("ED25519"));
    dns::zone_resolver zone;
    zone.add_txt("rsa._domainkey.example.com", key_record_for(rsa));
    zone.add_txt("ed._domainkey.example.com", key_record_for(ed));
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = "rsa";
    auto const one = sign(sample_message, rsa, o);
    o.selector = "ed";
    auto const two = sign(one, ed, o);
    dkim::key_cache cache(1);
    dkim::verify_options opts;
    opts.keys = &cache;
    for(int round = 0; round < 3; ++round) {
        auto const r = verify(two, zone, opts);
        BOOST_REQUIRE(r.size() == 2u);
        BOOST_TEST(r[0].res == result::pass);
        BOOST_TEST(r[1].res == result::pass);
        BOOST_TEST(r[1].key_bits == 1024u);
    }
    BOOST_TEST(cache.size() == 1u); // capacity 1: the older key was dropped
    dkim::key_cache big;
    opts.keys = &big;
    verify(two, zone, opts);
    BOOST_TEST(big.size() == 2u);
    auto const cached = big.find(key_record_for(rsa));
    BOOST_REQUIRE(cached != nullptr);
    BOOST_TEST(cached->key.bits() == 1024u);
    BOOST_TEST(cached->text == key_record_for(rsa));
    BOOST_TEST(big.find("v=DKIM1; p=other") == nullptr);
    // A cached key is only used for the very record it was made from: a revoked record is not
    // answered from the cache.
    dns::zone_resolver revoked;
    revoked.add_txt("rsa._domainkey.example.com", "v=DKIM1; p=");
    revoked.add_txt("ed._domainkey.example.com", key_record_for(ed));
    auto const r = verify(two, revoked, opts);
    BOOST_TEST(r[1].reason == error::key_revoked);
    BOOST_TEST(r[0].res == result::pass);
}

BOOST_AUTO_TEST_SUITE_END()
