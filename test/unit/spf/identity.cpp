// Test that header file is self-contained.
#include <authmilter/spf/identity.hpp>

#include <boost/test/unit_test.hpp>

namespace spf = authmilter::spf;

BOOST_AUTO_TEST_SUITE(spf_identity)

BOOST_AUTO_TEST_CASE(mail_from)
{
    auto const id = spf::select_identity("<marc@example.net>", "mail.example.com");
    BOOST_TEST((id.scope == spf::scope::mfrom));
    BOOST_TEST(id.value == "marc@example.net");
    BOOST_TEST(id.domain == "example.net");
    BOOST_TEST(id.sender == "marc@example.net");
    auto const bare = spf::select_identity(" a@b.example ", "h.example");
    BOOST_TEST(bare.domain == "b.example");
    // No local part: still the mfrom identity; check_host() substitutes postmaster.
    auto const nolocal = spf::select_identity("@example.net", "h.example");
    BOOST_TEST((nolocal.scope == spf::scope::mfrom));
    BOOST_TEST(nolocal.domain == "example.net");
}

BOOST_AUTO_TEST_CASE(null_and_unparsable_use_helo)
{
    for(auto const* from : {"", "<>", "< >", "postmaster", "user@", "<user@>"}) {
        auto const id = spf::select_identity(from, "mail.example.com");
        BOOST_TEST((id.scope == spf::scope::helo), from);
        BOOST_TEST(id.value == "mail.example.com", from);
        BOOST_TEST(id.domain == "mail.example.com", from);
        BOOST_TEST(id.sender == "postmaster@mail.example.com", from);
    }
}

BOOST_AUTO_TEST_SUITE_END()
