// Test that header file is self-contained.
#include <authmilter/dmarc/punycode.hpp>

#include <boost/test/unit_test.hpp>

using namespace authmilter::dmarc;

BOOST_AUTO_TEST_SUITE(dmarc_punycode)

BOOST_AUTO_TEST_CASE(rfc3492_samples)
{
    // RFC 3492 7.1 (A) Arabic (Egyptian) and (L) "3<nen>B<gumi><kinpachi><sensei>".
    std::u32string const arabic = {0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644,
                                   0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F};
    BOOST_TEST(*punycode::encode(arabic) == "egbpdaj6bu4bxfgehfvwxn");
    BOOST_TEST((*punycode::decode("egbpdaj6bu4bxfgehfvwxn") == arabic));
    std::u32string const l = {'3', 0x5E74, 'B', 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F};
    BOOST_TEST(*punycode::encode(l) == "3B-ww4c5e180e575a65lsy2b");
    BOOST_TEST((*punycode::decode("3B-ww4c5e180e575a65lsy2b") == l));
}

BOOST_AUTO_TEST_CASE(domains)
{
    BOOST_TEST(*punycode::to_ascii("www.\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.CN") ==
               "www.xn--85x722f.xn--55qx5d.cn");
    BOOST_TEST(*punycode::to_unicode("xn--85x722f.xn--55qx5d.cn") ==
               "\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn");
    BOOST_TEST(*punycode::to_ascii("Example.COM") == "example.com");
}

BOOST_AUTO_TEST_CASE(hostile_input)
{
    BOOST_TEST(!punycode::to_ascii("bad.\xff\xfe"));
    BOOST_TEST(!punycode::to_ascii("\xc0\xaf.example")); // overlong
    BOOST_TEST(!punycode::decode("99999999999999"));     // overflow
    BOOST_TEST(!punycode::decode("a!"));
    BOOST_TEST(!punycode::to_unicode("xn--zzzzzzzzzzzzzzzzzz.example"));
}

BOOST_AUTO_TEST_SUITE_END()
