// Test that header file is self-contained.
#include <authmilter/spf/record.hpp>

#include <boost/test/unit_test.hpp>

namespace spf = authmilter::spf;

BOOST_AUTO_TEST_SUITE(spf_record)

BOOST_AUTO_TEST_CASE(version_selection)
{
    BOOST_TEST(spf::is_spf1_record("v=spf1"));
    BOOST_TEST(spf::is_spf1_record("v=spf1 -all"));
    BOOST_TEST(spf::is_spf1_record("V=SpF1 -all"));
    BOOST_TEST(!spf::is_spf1_record("v=spf10"));
    BOOST_TEST(!spf::is_spf1_record("v=spf1mx"));
    BOOST_TEST(!spf::is_spf1_record(" v=spf1"));
    BOOST_TEST(!spf::is_spf1_record("spf2.0/pra -all"));
    BOOST_TEST(!spf::is_spf1_record(""));
}

BOOST_AUTO_TEST_CASE(all_mechanisms)
{
    auto const r =
        spf::parse_record("v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx/28 "
                          "MX:%{d}//120 ptr ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                          "exists:%{ir}.sbl.example.org");
    BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error);
    auto const& m = r.value->mechanisms;
    BOOST_TEST_REQUIRE(m.size() == 11u);
    BOOST_TEST((m[0].type == spf::mechanism_type::all && m[0].qualifier == spf::qualifier::pass));
    BOOST_TEST(m[0].text == "all");
    BOOST_TEST((m[1].type == spf::mechanism_type::include && m[1].qualifier == spf::qualifier::fail));
    BOOST_TEST(m[1].domain_spec == "_spf.example.com");
    BOOST_TEST(m[1].text == "-include:_spf.example.com");
    BOOST_TEST((m[2].type == spf::mechanism_type::a && m[2].qualifier == spf::qualifier::softfail));
    BOOST_TEST(m[2].domain_spec.empty());
    BOOST_TEST((m[2].cidr4 == 32u && m[2].cidr6 == 128u));
    BOOST_TEST(m[3].domain_spec == "mail.example.com");
    BOOST_TEST((m[3].cidr4 == 24u && m[3].cidr6 == 64u));
    BOOST_TEST((m[4].type == spf::mechanism_type::mx && m[4].cidr4 == 28u && m[4].cidr6 == 128u));
    BOOST_TEST((m[5].domain_spec == "%{d}" && m[5].cidr4 == 32u && m[5].cidr6 == 120u));
    BOOST_TEST(m[5].text == "mx:%{d}//120");
    BOOST_TEST((m[6].type == spf::mechanism_type::ptr && m[6].domain_spec.empty()));
    BOOST_TEST(m[7].domain_spec == "example.org");
    BOOST_TEST((m[8].type == spf::mechanism_type::ip4 && m[8].cidr4 == 24u));
    BOOST_TEST(m[8].network.to_string() == "192.0.2.0");
    BOOST_TEST((m[9].type == spf::mechanism_type::ip6 && m[9].cidr6 == 32u && m[9].network.is_v6()));
    BOOST_TEST((m[10].type == spf::mechanism_type::exists && m[10].domain_spec == "%{ir}.sbl.example.org"));
}

BOOST_AUTO_TEST_CASE(modifiers)
{
    auto const r =
        spf::parse_record("v=spf1 exp=explain.%{d} a  redirect=_spf.example.com moo.cow-far_out=man:dog/cat "
                          "default=pass ");
    BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error);
    BOOST_TEST(*r.value->exp == "explain.%{d}");
    BOOST_TEST(*r.value->redirect == "_spf.example.com");
    BOOST_TEST(r.value->unknown_modifiers.size() == 2u);
    BOOST_TEST(r.value->unknown_modifiers[0].name == "moo.cow-far_out");
    BOOST_TEST(r.value->mechanisms.size() == 1u);
    BOOST_TEST(!r.value->has_all());
    // Case-insensitive modifier and mechanism names.
    auto const u = spf::parse_record("v=spf1 A REDIRECT=example.com");
    BOOST_TEST_REQUIRE(static_cast<bool>(u), u.error);
    BOOST_TEST(u.value->redirect.has_value());
    BOOST_TEST(u.value->mechanisms[0].text == "a");
}

BOOST_AUTO_TEST_CASE(empty_and_whitespace)
{
    BOOST_TEST(static_cast<bool>(spf::parse_record("v=spf1")));
    BOOST_TEST(static_cast<bool>(spf::parse_record("v=spf1   -all   ")));
    BOOST_TEST(!spf::parse_record("v=spf1 a\t-all"));
    BOOST_TEST(!spf::parse_record("v=spf1 a:ctrl.example.com\rptr -all"));
    BOOST_TEST(!spf::parse_record("v=spf1 ip4:192.0.2.5\n include:x.example.com"));
    BOOST_TEST(!spf::parse_record("v=spf1 \x80"
                                  "a -all"));
    BOOST_TEST(!spf::parse_record("not spf"));
}

BOOST_AUTO_TEST_CASE(syntax_errors_are_permerror)
{
    char const* const bad[] = {
        "v=spf1 ip4:1.2.3.4 -all moo",        // detect-errors-anywhere
        "v=spf1 moo.cow/far_out=man:dog/cat", // bad modifier name
        "v=spf1 1up=foo",                     // modifier name must start with a letter
        "v=spf1 =all",                        // empty modifier name
        "v=spf1 redirect:example.com",        // not a mechanism
        "v=spf1 all.",                        // junk after all
        "v=spf1 all:foo",                     // argument to all
        "v=spf1 all/8",                       // cidr on all
        "v=spf1 ptr/0",                       // cidr on ptr
        "v=spf1 ptr:",                        // empty domain
        "v=spf1 a:",                          // empty domain
        "v=spf1 include:",                    // empty domain
        "v=spf1 include",                     // no domain
        "v=spf1 include:example.com/24",      // cidr on include
        "v=spf1 exists",                      // no domain
        "v=spf1 exists:example.com/24",       // cidr on exists
        "v=spf1 a:foo-bar",                   // no top label
        "v=spf1 a:museum",                    // bare top label
        "v=spf1 a:museum.",                   // bare top label with dot
        "v=spf1 a:111.222.33.44",             // numeric top label
        "v=spf1 a:example.-com",              // top label starts with '-'
        "v=spf1 a/33",                        // ip4 cidr too long
        "v=spf1 a//129",                      // ip6 cidr too long
        "v=spf1 a/032",                       // leading zero
        "v=spf1 a/",                          // empty cidr
        "v=spf1 a/24/64",                     // single slash before ip6 length
        "v=spf1 ip4:1.2.3.4/33",              // cidr
        "v=spf1 ip4:1.2.3.4//32",             // dual cidr on ip4
        "v=spf1 ip4:1.2.3",                   // short address
        "v=spf1 ip4:1.2.3.4:8080",            // port
        "v=spf1 ip4",                         // bare ip4
        "v=spf1 ip6",                         // bare ip6
        "v=spf1 ip6:::1/129",                 // cidr
        "v=spf1 ip6:1.2.3.4",                 // ip4 in ip6
        "v=spf1 ip4:[1.2.3.4]",               // brackets
        "v=spf1 ip6:IPv6:::1",                // prefix
        "v=spf1 exp=",                        // empty exp
        "v=spf1 exp=-all",                    // bad exp target
        "v=spf1 redirect=",                   // empty redirect
        "v=spf1 exp=a.example.com exp=b.example.com",
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 -all foo=%abc",                // bad macro in unknown modifier
        "v=spf1 exists:%(ir).sbl.example.com", // bad macro
        "v=spf1 exists:foo%.sbl.example.com",  // bad macro
        "v=spf1 a:%{a}.example.com",           // unknown letter
        "v=spf1 exp=%{r}.example.com",         // r not allowed outside explanations
        "v=spf1 +-all",                        // two qualifiers
        "v=spf1 +redirect=example.com",        // qualifier on a modifier
    };
    for(auto const* text : bad) {
        auto const r = spf::parse_record(text);
        BOOST_TEST(!r, text);
        BOOST_TEST(!r.error.empty(), text);
    }
}

BOOST_AUTO_TEST_CASE(slash_inside_domain_spec)
{
    auto const r = spf::parse_record("v=spf1 a:foo:bar/baz.example.com mx:%{l/}.example.com/24");
    BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error);
    BOOST_TEST(r.value->mechanisms[0].domain_spec == "foo:bar/baz.example.com");
    BOOST_TEST(r.value->mechanisms[1].domain_spec == "%{l/}.example.com");
    BOOST_TEST(r.value->mechanisms[1].cidr4 == 24u);
}

BOOST_AUTO_TEST_CASE(ip6_networks)
{
    auto const all6 = spf::parse_record("v=spf1 ip6:::/0 ip6:2001:DB8::1 ip6:::ffff:1.2.3.4");
    BOOST_TEST_REQUIRE(static_cast<bool>(all6), all6.error);
    BOOST_TEST(all6.value->mechanisms[0].network.is_v6());
    BOOST_TEST(all6.value->mechanisms[0].cidr6 == 0u);
    BOOST_TEST(all6.value->mechanisms[1].network.to_string() == "2001:db8::1");
    BOOST_TEST(all6.value->mechanisms[1].cidr6 == 128u);
}

BOOST_AUTO_TEST_SUITE_END()
