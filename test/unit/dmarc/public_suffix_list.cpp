// Test that header file is self-contained.
#include <authmilter/dmarc/public_suffix_list.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace authmilter::dmarc;

namespace {

char const* const small_list = "// ===BEGIN ICANN DOMAINS===\n"
                               "com\n"
                               "uk\n"
                               "co.uk\n"
                               "*.ck\n"
                               "!www.ck\n"
                               "\xe5\x85\xac\xe5\x8f\xb8.cn // U-label rule, trailing text ignored\n"
                               "cn\n"
                               "// ===END ICANN DOMAINS===\n"
                               "// ===BEGIN PRIVATE DOMAINS===\n"
                               "blogspot.com\n"
                               "// ===END PRIVATE DOMAINS===\n";

} // namespace

BOOST_AUTO_TEST_SUITE(dmarc_public_suffix_list)

BOOST_AUTO_TEST_CASE(rules_wildcards_exceptions)
{
    auto const psl = public_suffix_list::parse(small_list);
    BOOST_TEST(psl.rule_count() == 8u);
    BOOST_TEST(*psl.registrable_domain("a.b.example.co.uk") == "example.co.uk");
    BOOST_TEST(!psl.registrable_domain("co.uk"));
    BOOST_TEST(*psl.registrable_domain("a.b.foo.ck") == "b.foo.ck");
    BOOST_TEST(*psl.registrable_domain("x.www.ck") == "www.ck");
    BOOST_TEST(*psl.registrable_domain("x.unlisted") == "x.unlisted"); // implicit "*" rule
    BOOST_TEST(*psl.public_suffix("x.y.unlisted") == "unlisted");
    BOOST_TEST(!psl.registrable_domain(".com"));
    BOOST_TEST(!psl.registrable_domain(""));
}

BOOST_AUTO_TEST_CASE(private_section_switch)
{
    auto psl = public_suffix_list::parse(small_list);
    BOOST_TEST(*psl.registrable_domain("me.blogspot.com") == "me.blogspot.com");
    psl.include_private(false);
    BOOST_TEST(*psl.registrable_domain("me.blogspot.com") == "blogspot.com");
}

BOOST_AUTO_TEST_CASE(idn_answers_in_input_form)
{
    auto const psl = public_suffix_list::parse(small_list);
    BOOST_TEST(*psl.registrable_domain("www.xn--85x722f.xn--55qx5d.cn") == "xn--85x722f.xn--55qx5d.cn");
    BOOST_TEST(*psl.registrable_domain("www.\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn") ==
               "\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn");
}

BOOST_AUTO_TEST_CASE(rfc7489_org_domain_and_listing)
{
    auto const psl = public_suffix_list::parse(small_list);
    BOOST_TEST(*psl.organizational_domain("Mail.Example.COM") == "example.com");
    BOOST_TEST(*psl.organizational_domain("com") == "com"); // a suffix is its own org domain
    BOOST_TEST(psl.is_listed("co.uk"));
    BOOST_TEST(psl.is_listed("foo.ck"));
    BOOST_TEST(!psl.is_listed("www.ck"));
    BOOST_TEST(!psl.is_listed("unlisted")); // no implicit "*" here (Mail::DMARC semantics)
}

BOOST_AUTO_TEST_CASE(file_reload_on_mtime_change)
{
    auto const path = std::filesystem::temp_directory_path() / "authmilter-dmarc-psl-test.dat";
    {
        std::ofstream(path) << "com\n";
    }
    public_suffix_list_file file(path, std::chrono::seconds(0));
    BOOST_TEST(file.current()->rule_count() == 0u);
    BOOST_TEST(!file.load());
    BOOST_TEST(file.current()->rule_count() == 1u);
    auto const t0 = public_suffix_list_file::clock::now();
    BOOST_TEST(!file.refresh(t0)); // unchanged
    {
        std::ofstream(path) << "com\nnet\n";
    }
    std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + std::chrono::seconds(5));
    BOOST_TEST(file.refresh(t0 + std::chrono::seconds(1)));
    BOOST_TEST(file.current()->rule_count() == 2u);
    std::filesystem::remove(path);
    BOOST_TEST(!file.refresh(t0 + std::chrono::seconds(2))); // vanished: keep the old list
    BOOST_TEST(file.current()->rule_count() == 2u);
    public_suffix_list_file missing("/nonexistent/psl.dat");
    BOOST_TEST(static_cast<bool>(missing.load()));
}

BOOST_AUTO_TEST_CASE(interval_limits_checks)
{
    auto const path = std::filesystem::temp_directory_path() / "authmilter-dmarc-psl-test2.dat";
    {
        std::ofstream(path) << "com\n";
    }
    public_suffix_list_file file(path, std::chrono::minutes(10));
    BOOST_TEST(file.refresh()); // first refresh loads
    {
        std::ofstream(path) << "com\nnet\n";
    }
    std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + std::chrono::seconds(5));
    BOOST_TEST(!file.refresh()); // within the interval
    BOOST_TEST(file.current()->rule_count() == 1u);
    BOOST_TEST(file.refresh(public_suffix_list_file::clock::now() + std::chrono::minutes(11)));
    BOOST_TEST(file.current()->rule_count() == 2u);
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
