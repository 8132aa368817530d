// Test that header file is self-contained.
#include <authmilter/core/domain.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <unordered_set>

namespace core = authmilter::core;
using core::domain;
using core::error;

namespace {

domain
must(std::string_view text)
{
    auto r = domain::parse(text);
    BOOST_REQUIRE_MESSAGE(r.has_value(), "parse failed: " << text);
    return *r;
}

boost::system::error_code
fails(std::string_view text)
{
    auto r = domain::parse(text);
    BOOST_REQUIRE_MESSAGE(!r.has_value(), "parse succeeded: " << text);
    return r.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_domain)

BOOST_AUTO_TEST_CASE(normalises_case_and_trailing_dot)
{
    auto const d = must("Mail.EXAMPLE.com.");
    BOOST_TEST(d.str() == "mail.example.com");
    BOOST_TEST(d.view() == "mail.example.com");
    BOOST_TEST(d.size() == 16u);
    BOOST_TEST(d.is_ascii());
    BOOST_TEST(!d.empty());
    BOOST_TEST((d == must("mail.example.com")));
    // Only one trailing dot goes.
    BOOST_TEST((fails("example.com..") == error::empty_label));
}

BOOST_AUTO_TEST_CASE(underscore_and_hyphen_labels)
{
    BOOST_TEST(must("_dmarc.Example.com").str() == "_dmarc.example.com");
    BOOST_TEST(must("sel-1._domainkey.example.com").str() == "sel-1._domainkey.example.com");
    BOOST_TEST(must("-lenient-.example").str() == "-lenient-.example");
    BOOST_TEST(must("xn--bcher-kva.example").str() == "xn--bcher-kva.example");
    BOOST_TEST(must("xn--bcher-kva.example").is_ascii());
    BOOST_TEST(must("localhost").label_count() == 1u);
    BOOST_TEST(must("192.0.2.1").label_count() == 4u); // DNS allows numeric labels
}

BOOST_AUTO_TEST_CASE(utf8_is_kept_and_flagged)
{
    auto const d = must("B\xc3\xbc"
                        "cher.EXAMPLE");
    BOOST_TEST(d.str() == "b\xc3\xbc"
                          "cher.example");
    BOOST_TEST(!d.is_ascii());
    BOOST_TEST(!must("\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88").is_ascii());
    BOOST_TEST(!must("\xf0\x9f\x98\x80.example").is_ascii());
    // The parent of a U-label name that has only A-labels left is ASCII again.
    BOOST_TEST(d.parent()->is_ascii());
}

BOOST_AUTO_TEST_CASE(rejects_malformed_utf8)
{
    for(auto const* text : {
            "\xc3.example",         // truncated 2-byte sequence
            "\xc0\xaf.example",     // overlong '/'
            "\xe0\x80\xaf.example", // overlong 3-byte
            "\xed\xa0\x80.example", // UTF-16 surrogate
            "\xf4\x90\x80\x80.x",   // past U+10FFFF
            "\xf8\x88\x80\x80\x80", // 5-byte form
            "\x80.example",         // lone continuation byte
            "ex\xff"
            "ample",
            "\xe2\x82", // truncated at the end of the text
        })
        BOOST_TEST((fails(text) == error::bad_domain), text);
}

BOOST_AUTO_TEST_CASE(rejects_bad_characters)
{
    for(auto const* text : {"", "exa mple.com", "example.com ", "a@b", "ex!ample.com", "[192.0.2.1]",
                            "example.com\n", "a/b", "a:b", "ex*.com"})
        BOOST_TEST((fails(text) == error::bad_domain), text);
    BOOST_TEST((fails(std::string_view("a\0b", 3)) == error::bad_domain));
}

BOOST_AUTO_TEST_CASE(rejects_empty_labels)
{
    for(auto const* text : {".", "..", ".example.com", "example..com", "a...b"})
        BOOST_TEST((fails(text) == error::empty_label), text);
}

BOOST_AUTO_TEST_CASE(label_and_name_length_limits)
{
    std::string const label63(63, 'a');
    std::string const label64(64, 'a');
    BOOST_TEST(must(label63 + ".example").labels().front().size() == 63u);
    BOOST_TEST((fails(label64 + ".example") == error::label_too_long));
    BOOST_TEST((fails("example." + label64) == error::label_too_long));
    // UTF-8 octets count: 32 two-octet characters are 64 octets.
    std::string wide;
    for(int i = 0; i < 32; ++i)
        wide += "\xc3\xa9";
    BOOST_TEST((fails(wide + ".example") == error::label_too_long));

    // 253 octets pass, 254 do not; a trailing dot does not count.
    std::string name;
    while(name.size() < 253)
        name += (name.empty() ? "" : ".") +
                std::string(std::min<std::size_t>(63, 253 - name.size() - (name.empty() ? 0 : 1)), 'b');
    BOOST_REQUIRE(name.size() == 253u);
    BOOST_TEST(must(name).size() == 253u);
    BOOST_TEST(must(name + ".").size() == 253u);
    BOOST_TEST((fails(name + "c") == error::domain_too_long));
    BOOST_TEST((fails(std::string(100000, 'a')) == error::domain_too_long));
}

BOOST_AUTO_TEST_CASE(labels_and_parent)
{
    auto const d = must("a.b.example.com");
    auto const labels = d.labels();
    BOOST_REQUIRE(labels.size() == 4u);
    BOOST_TEST(labels[0] == "a");
    BOOST_TEST(labels[1] == "b");
    BOOST_TEST(labels[3] == "com");
    BOOST_TEST(d.label_count() == 4u);

    auto p = d.parent();
    BOOST_REQUIRE(p);
    BOOST_TEST(p->str() == "b.example.com");
    p = p->parent();
    p = p->parent();
    BOOST_REQUIRE(p);
    BOOST_TEST(p->str() == "com");
    BOOST_TEST(!p->parent());
    BOOST_TEST(!domain().parent());
    BOOST_TEST(domain().labels().empty());
    BOOST_TEST(domain().label_count() == 0u);
}

BOOST_AUTO_TEST_CASE(subdomain_relation)
{
    auto const org = must("example.com");
    BOOST_TEST(must("mail.example.com").is_subdomain_of(org));
    BOOST_TEST(must("a.b.EXAMPLE.com").is_subdomain_of(org));
    BOOST_TEST(org.is_subdomain_of(org));
    BOOST_TEST(!org.is_proper_subdomain_of(org));
    BOOST_TEST(must("mail.example.com").is_proper_subdomain_of(org));
    BOOST_TEST(!must("badexample.com").is_subdomain_of(org));
    BOOST_TEST(!must("example.com.evil").is_subdomain_of(org));
    BOOST_TEST(!org.is_subdomain_of(must("mail.example.com")));
    BOOST_TEST(!must("com").is_subdomain_of(org));
    BOOST_TEST(!domain().is_subdomain_of(org));
    BOOST_TEST(!org.is_subdomain_of(domain()));
}

BOOST_AUTO_TEST_CASE(ordering_and_hashing)
{
    auto const a = must("A.example");
    auto const b = must("b.example");
    BOOST_TEST((a < b));
    BOOST_TEST((a != b));
    BOOST_TEST((a == must("a.EXAMPLE.")));
    BOOST_TEST((domain() < a));
    std::set<domain> ordered{b, a, must("a.example")};
    BOOST_TEST(ordered.size() == 2u);
    std::unordered_set<domain> hashed{b, a, must("B.Example")};
    BOOST_TEST(hashed.size() == 2u);
    BOOST_TEST(hashed.count(must("a.example")) == 1u);
    BOOST_TEST(hash_value(a) == std::hash<domain>{}(must("a.example")));
}

BOOST_AUTO_TEST_CASE(iequals_is_ascii_only)
{
    BOOST_TEST(core::iequals("Example.COM", "example.com"));
    BOOST_TEST(core::iequals("", ""));
    BOOST_TEST(!core::iequals("example.com", "example.co"));
    BOOST_TEST(!core::iequals("a", "b"));
    // No Unicode folding: U+00C9 and U+00E9 differ.
    BOOST_TEST(!core::iequals("\xc3\x89", "\xc3\xa9"));
    // '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
    BOOST_TEST(!core::iequals("@", "`"));
    BOOST_TEST(!core::iequals("[", "{"));
    static_assert(core::iequals("SIZE", "size"));
}

BOOST_AUTO_TEST_SUITE_END()
