// Test that header file is self-contained.
#include <authmilter/milter/protocol.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace milter = authmilter::milter;
namespace pf = authmilter::milter::protocol_flag;

// The numeric values MTAs put on the wire (libmilter mfdef.h, Postfix milter8.c).
static_assert(pf::v6_mask == 0x001FFFFFu, "SMFI_CURR_PROT");
static_assert(milter::action::v6_mask == 0x1FFu, "SMFI_CURR_ACTS");
static_assert(pf::no_reply_mask == 0x000FF080u);
static_assert((pf::no_send_mask & pf::no_reply_mask) == 0u);
static_assert(static_cast<std::uint32_t>(milter::macro_stage::eoh) == 6u);
static_assert(milter::command_of(milter::macro_stage::eom) == milter::command::eom);

BOOST_AUTO_TEST_SUITE(milter_protocol)

BOOST_AUTO_TEST_CASE(exactly_fifteen_command_bytes)
{
    std::string accepted;
    for(int c = 0; c < 256; ++c)
        if(milter::is_command(static_cast<char>(c)))
            accepted += static_cast<char>(c);
    BOOST_TEST(accepted == "ABCDEHKLMNOQRTU");
    for(char c : accepted)
        BOOST_TEST(milter::to_string(static_cast<milter::command>(c)).starts_with("SMFIC_"));
    BOOST_TEST(milter::to_string(static_cast<milter::command>('Z')) == "unknown");
}

BOOST_AUTO_TEST_CASE(flags_are_distinct_bits)
{
    std::uint32_t const flags[] = {pf::no_connect, pf::no_helo,   pf::no_mail,
                                   pf::no_rcpt,    pf::no_body,   pf::no_headers,
                                   pf::no_eoh,     pf::nr_header, pf::no_unknown,
                                   pf::no_data,    pf::skip,      pf::rcpt_rej,
                                   pf::nr_connect, pf::nr_helo,   pf::nr_mail,
                                   pf::nr_rcpt,    pf::nr_data,   pf::nr_unknown,
                                   pf::nr_eoh,     pf::nr_body,   pf::header_leading_space};
    std::uint32_t all = 0;
    for(auto f : flags) {
        BOOST_TEST((f & (f - 1)) == 0u); // one bit
        BOOST_TEST((all & f) == 0u);     // not seen before
        all |= f;
    }
    BOOST_TEST(all == pf::v6_mask);
}

BOOST_AUTO_TEST_SUITE_END()
