// Test that header file is self-contained.
#include <authmilter/spf/macro.hpp>

#include <boost/test/unit_test.hpp>

namespace spf = authmilter::spf;
using authmilter::core::ip_address;

namespace {

/// The RFC 7208 §7.4 example context: sender strong-bad@email.example.com.
spf::macro_context
rfc_context(char const* ip)
{
    spf::macro_context c;
    c.sender = "strong-bad@email.example.com";
    c.local_part = "strong-bad";
    c.sender_domain = "email.example.com";
    c.domain = "email.example.com";
    c.ip = *ip_address::parse(ip);
    c.helo = "mx.example.org";
    c.receiver = "receiver.example.net";
    c.timestamp = 1234567890;
    return c;
}

std::string
expand(std::string_view text, char const* ip = "192.0.2.3",
       spf::macro_mode mode = spf::macro_mode::domain_spec)
{
    auto const r = spf::expand_macros(text, rfc_context(ip), mode);
    BOOST_TEST_REQUIRE(r.has_value(), "expansion of '" << text << "' failed");
    return *r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spf_macro)

BOOST_AUTO_TEST_CASE(rfc7208_section_7_4_examples)
{
    BOOST_TEST(expand("%{s}") == "strong-bad@email.example.com");
    BOOST_TEST(expand("%{o}") == "email.example.com");
    BOOST_TEST(expand("%{d}") == "email.example.com");
    BOOST_TEST(expand("%{d4}") == "email.example.com");
    BOOST_TEST(expand("%{d3}") == "email.example.com");
    BOOST_TEST(expand("%{d2}") == "example.com");
    BOOST_TEST(expand("%{d1}") == "com");
    BOOST_TEST(expand("%{dr}") == "com.example.email");
    BOOST_TEST(expand("%{d2r}") == "example.email");
    BOOST_TEST(expand("%{l}") == "strong-bad");
    BOOST_TEST(expand("%{l-}") == "strong.bad");
    BOOST_TEST(expand("%{lr}") == "strong-bad");
    BOOST_TEST(expand("%{lr-}") == "bad.strong");
    BOOST_TEST(expand("%{l1r-}") == "strong");
    BOOST_TEST(expand("%{ir}.%{v}._spf.%{d2}") == "3.2.0.192.in-addr._spf.example.com");
    BOOST_TEST(expand("%{lr-}.lp._spf.%{d2}") == "bad.strong.lp._spf.example.com");
    BOOST_TEST(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}") ==
               "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    BOOST_TEST(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}") == "3.2.0.192.in-addr.strong.lp._spf.example.com");
    BOOST_TEST(expand("%{d2}.trusted-domains.example.net") == "example.com.trusted-domains.example.net");
    BOOST_TEST(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01") ==
               "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

BOOST_AUTO_TEST_CASE(escapes_and_url_encoding)
{
    BOOST_TEST(expand("a%%b%_c%-d.example.com") == "a%b c%20d.example.com");
    // Upper-case letters are URL-escaped after the transformation; unreserved characters stay.
    auto c = rfc_context("192.0.2.3");
    c.local_part = "~jack&jill=up-a_b3.c";
    BOOST_TEST(*spf::expand_macros("%{L}", c, spf::macro_mode::domain_spec) == "~jack%26jill%3Dup-a_b3.c");
    BOOST_TEST(*spf::expand_macros("%{S}", c, spf::macro_mode::domain_spec) ==
               "strong-bad%40email.example.com");
    BOOST_TEST(expand("%{L2r-}") == "bad.strong");
}

BOOST_AUTO_TEST_CASE(multiple_delimiters_and_large_counts)
{
    auto c = rfc_context("192.0.2.3");
    c.local_part = "foo-bar+zip+quux";
    BOOST_TEST(*spf::expand_macros("%{l2r+-}", c, spf::macro_mode::domain_spec) == "bar.foo");
    BOOST_TEST(expand("%{d123456789012}") == "email.example.com");
    BOOST_TEST(expand("%{d99r}") == "com.example.email");
}

BOOST_AUTO_TEST_CASE(explanation_only_letters)
{
    using spf::macro_mode;
    BOOST_TEST(expand("%{c} at %{r} on %{t}", "2001:db8::cb01", macro_mode::explanation) ==
               "2001:db8::cb01 at receiver.example.net on 1234567890");
    BOOST_TEST(expand("%{c}", "192.0.2.3", macro_mode::explanation) == "192.0.2.3");
    BOOST_TEST(!spf::expand_macros("%{c}", rfc_context("192.0.2.3"), macro_mode::domain_spec));
    BOOST_TEST(!spf::expand_macros("%{r}.example.com", rfc_context("192.0.2.3"), macro_mode::domain_spec));
    BOOST_TEST(!spf::expand_macros("%{t}", rfc_context("192.0.2.3"), macro_mode::domain_spec));
    // Spaces are literal only in explanations.
    BOOST_TEST(expand("two  spaces", "192.0.2.3", macro_mode::explanation) == "two  spaces");
    BOOST_TEST(spf::check_macro_string("a b", macro_mode::domain_spec).has_value());
}

BOOST_AUTO_TEST_CASE(p_and_unknown)
{
    BOOST_TEST(expand("%{p}") == "unknown");
    auto c = rfc_context("192.0.2.3");
    c.validated = "mx.example.com";
    BOOST_TEST(*spf::expand_macros("%{p2}", c, spf::macro_mode::domain_spec) == "example.com");
    BOOST_TEST(expand("%{h}") == "mx.example.org");
}

BOOST_AUTO_TEST_CASE(syntax_errors)
{
    using spf::macro_mode;
    for(auto const* bad : {"%", "foo%", "%(ir)", "%{", "%{d", "%{x}", "%{d0}", "%{d2r", "%{dx}",
                           "%{a}.example.com", "a\tb", "%{d2rr}"}) {
        BOOST_TEST(spf::check_macro_string(bad, macro_mode::explanation).has_value(), bad);
        BOOST_TEST(!spf::expand_macros(bad, rfc_context("192.0.2.3"), macro_mode::explanation).has_value(),
                   bad);
    }
    BOOST_TEST(!spf::check_macro_string("%{d2r.-+,/_=}", macro_mode::domain_spec).has_value());
    BOOST_TEST(!spf::check_macro_string("", macro_mode::domain_spec).has_value());
}

BOOST_AUTO_TEST_CASE(domain_spec_end)
{
    BOOST_TEST(!spf::check_domain_spec("example.com").has_value());
    BOOST_TEST(!spf::check_domain_spec("example.com.").has_value());
    BOOST_TEST(!spf::check_domain_spec("%{d}").has_value());
    BOOST_TEST(!spf::check_domain_spec("_spf.%{d2}").has_value());
    BOOST_TEST(!spf::check_domain_spec("foo.xn--zckzah").has_value());
    BOOST_TEST(!spf::check_domain_spec("foo:bar/baz.example.com").has_value());
    BOOST_TEST(spf::check_domain_spec("").has_value());
    BOOST_TEST(spf::check_domain_spec("museum").has_value());
    BOOST_TEST(spf::check_domain_spec("museum.").has_value());
    BOOST_TEST(spf::check_domain_spec("foo-bar").has_value());
    BOOST_TEST(spf::check_domain_spec("1.2.3.4").has_value());
    BOOST_TEST(spf::check_domain_spec("foo.-bar").has_value());
    BOOST_TEST(spf::check_domain_spec("%{d}.123").has_value());
    BOOST_TEST(spf::check_domain_spec("%{r}.example.com").has_value());
}

BOOST_AUTO_TEST_CASE(uses_letter)
{
    BOOST_TEST(spf::uses_macro_letter("%{p}.example.com", 'p'));
    BOOST_TEST(spf::uses_macro_letter("x.%{P2}", 'p'));
    BOOST_TEST(!spf::uses_macro_letter("%%{p}", 'p'));
    BOOST_TEST(!spf::uses_macro_letter("%{d}", 'p'));
}

BOOST_AUTO_TEST_SUITE_END()
