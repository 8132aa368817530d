// Test that header file is self-contained.
#include <authmilter/dmarc/record.hpp>

#include <boost/test/unit_test.hpp>

using namespace authmilter::dmarc;

BOOST_AUTO_TEST_SUITE(dmarc_record)

BOOST_AUTO_TEST_CASE(parses_every_tag)
{
    auto r = parse_record("v=DMARC1; p=quarantine; sp=reject; np=none; psd=n; t=y; adkim=s; aspf=r; "
                          "rua=mailto:a@example.com!10m, https://r.example.net/x; ruf=mailto:f@example.com; "
                          "fo=1:d:s; pct=50; rf=afrf; ri=3600");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->errors.empty());
    BOOST_TEST((r->p == policy::quarantine));
    BOOST_TEST((r->sp == policy::reject));
    BOOST_TEST((r->np == policy::none));
    BOOST_TEST((r->psd == psd_flag::n));
    BOOST_TEST(r->testing());
    BOOST_TEST((r->adkim_or_default() == alignment_mode::strict));
    BOOST_TEST((r->aspf_or_default() == alignment_mode::relaxed));
    BOOST_REQUIRE(r->rua.size() == 2u);
    BOOST_TEST(r->rua[0].address == "a@example.com");
    BOOST_TEST(*r->rua[0].max_size == 10u * 1024 * 1024);
    BOOST_TEST(r->rua[1].host == "r.example.net");
    BOOST_REQUIRE(r->fo);
    BOOST_TEST((r->fo->any_fail && r->fo->dkim && r->fo->spf && !r->fo->all_fail));
    BOOST_TEST(r->pct_or_default() == 50u);
    BOOST_TEST(*r->rf == "afrf");
    BOOST_TEST(*r->ri == 3600u);
}

BOOST_AUTO_TEST_CASE(version_must_come_first_and_match_exactly)
{
    // RFC 9989 4.7 v=: first tag, case-sensitive value, else the record MUST be ignored.
    BOOST_TEST(!parse_record("p=reject; v=DMARC1"));
    BOOST_TEST(!parse_record("v=DMARC2; p=reject"));
    BOOST_TEST(!parse_record("v=spf1 -all"));
    BOOST_TEST(!parse_record(""));
    BOOST_TEST(!parse_record("v=dmarc1; p=reject"));
    BOOST_TEST(parse_record("v=dmarc1; p=reject", {.version_case_insensitive = true}).has_value());
    BOOST_TEST(parse_record("v = DMARC1 ;p=none").has_value());
    BOOST_TEST(parse_record("v=DMARC1").has_value());
}

BOOST_AUTO_TEST_CASE(syntax_errors_discard_only_the_tag)
{
    // RFC 9989 4.8: syntax errors in the remainder MUST be discarded in favour of defaults.
    auto r = parse_record("v=DMARC1;p=none;fo:0;adkim=x;pct=;sp-none;;pct100;ri=-1");
    BOOST_REQUIRE(r);
    BOOST_TEST((r->p == policy::none));
    BOOST_TEST(!r->adkim);
    BOOST_TEST(!r->pct);
    BOOST_TEST(!r->ri);
    BOOST_TEST(r->has_error("fo:0"));
    BOOST_TEST(r->has_error("adkim"));
    BOOST_TEST(r->has_error("pct"));
    BOOST_TEST(r->has_error("ri"));
    BOOST_TEST(r->errors.size() == 6u);
}

BOOST_AUTO_TEST_CASE(unknown_tags_are_ignored_and_duplicates_keep_the_first)
{
    auto r = parse_record("v=DMARC1; p=reject; newtag=x; p=none");
    BOOST_REQUIRE(r);
    BOOST_TEST((r->p == policy::reject));
    BOOST_TEST(r->unknown_tags.size() == 1u);
    BOOST_TEST(r->unknown_tags[0] == "newtag");
    BOOST_TEST(r->has_error("p"));
}

BOOST_AUTO_TEST_CASE(escaped_semicolons_and_case)
{
    auto r = parse_record("v=DMARC1\\; P=REJECT\\; ADKIM=S");
    BOOST_REQUIRE(r);
    BOOST_TEST((r->p == policy::reject));
    BOOST_TEST((r->adkim == alignment_mode::strict));
    // without the leniency `v=DMARC1\` is not the version tag: the record is not DMARC
    BOOST_TEST(!parse_record("v=DMARC1\\; p=reject", {.unescape_semicolons = false}));
    auto const plain = parse_record("v=DMARC1; p=re\\;ject", {.unescape_semicolons = false});
    BOOST_REQUIRE(plain);
    BOOST_TEST(plain->has_error("p"));
}

BOOST_AUTO_TEST_CASE(control_and_non_ascii_values_are_errors)
{
    auto r = parse_record("v=DMARC1; p=reject; rf=\xef\xbf\xbd; t=\x01");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->has_error("rf"));
    BOOST_TEST(r->has_error("t"));
}

BOOST_AUTO_TEST_CASE(usability_rules)
{
    auto use = [](char const* text, spec s = spec::rfc9989) { return usability(*parse_record(text), s); };
    // RFC 9989 4.10.1 / RFC 7489 6.6.3 step 6: broken p/sp/np -> p=none with a valid rua, else nothing
    BOOST_TEST((use("v=DMARC1; p=reject; sp=bogus") == record_usability::unusable));
    BOOST_TEST(
        (use("v=DMARC1; p=reject; np=bogus; rua=mailto:a@b.example") == record_usability::usable_as_none));
    BOOST_TEST((use("v=DMARC1; p=bogus; rua=ftp://x.example") == record_usability::unusable));
    // RFC 9989 4.7 p=: a PSD record without p= is p=none
    BOOST_TEST((use("v=DMARC1; psd=y") == record_usability::usable));
    BOOST_TEST((use("v=DMARC1; psd=y", spec::rfc7489) == record_usability::unusable));
    BOOST_TEST((use("v=DMARC1") == record_usability::unusable));
    BOOST_TEST((use("v=DMARC1; rua=mailto:a@b.example") == record_usability::usable_as_none));
    BOOST_TEST((use("v=DMARC1; p=none") == record_usability::usable));
}

BOOST_AUTO_TEST_CASE(tag_value_validator)
{
    BOOST_TEST(is_valid_tag_value("fo", "0:1:d:s"));
    BOOST_TEST(!is_valid_tag_value("fo", "00"));
    BOOST_TEST(is_valid_tag_value("pct", "100"));
    BOOST_TEST(!is_valid_tag_value("pct", "101"));
    BOOST_TEST(!is_valid_tag_value("pct", "1.0"));
    BOOST_TEST(is_valid_tag_value("ri", "4294967295"));
    BOOST_TEST(!is_valid_tag_value("ri", "4294967296"));
    BOOST_TEST(!is_valid_tag_value("unknown", "x"));
    BOOST_TEST(is_valid_tag_value("v", "DMARC1"));
    BOOST_TEST(!is_valid_tag_value("v", "DMARC2"));
}

BOOST_AUTO_TEST_CASE(canonical_text)
{
    auto r = parse_record("v=DMARC1;rua=mailto:x@example.com;  p=Reject ;adkim=r");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->to_string() == "v=DMARC1; p=reject; adkim=r; rua=mailto:x@example.com");
    auto const d = r->tags_with_defaults();
    BOOST_TEST(d.size() == 6u); // v p adkim rua + aspf fo
}

BOOST_AUTO_TEST_SUITE_END()
