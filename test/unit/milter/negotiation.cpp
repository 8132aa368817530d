// Test that header file is self-contained.
#include <authmilter/milter/negotiation.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

#include "milter_test_util.hpp"

namespace milter = authmilter::milter;
namespace pf = authmilter::milter::protocol_flag;
namespace act = authmilter::milter::action;
using milter::stage;
using namespace std::string_literals;

namespace {

// What Postfix 3.x offers with milter_protocol = 6 and Sendmail 8.14+ with every feature.
constexpr milter::events::negotiate postfix_offer{6, act::v6_mask, pf::v6_mask};
// Sendmail 8.12 / a milter_protocol = 2 Postfix.
constexpr milter::events::negotiate v2_offer{2, act::v2_mask, pf::v2_mask};

constexpr milter::stage_set three = {stage::connect, stage::header, stage::eom};
static_assert(three.contains(stage::header) && !three.contains(stage::body));
static_assert((three | milter::stage_set{stage::body}).contains(stage::body));
static_assert(milter::stage_set::all().contains(stage::data));

} // namespace

BOOST_AUTO_TEST_SUITE(milter_negotiation)

BOOST_AUTO_TEST_CASE(full_pipeline_takes_every_stage_with_replies)
{
    milter::negotiated n;
    BOOST_TEST(!milter::negotiate(milter::requirements{}, postfix_offer, n));
    BOOST_TEST(n.version == 6u);
    BOOST_TEST((n.protocol & pf::no_send_mask) == 0u);
    BOOST_TEST((n.protocol & pf::no_reply_mask) == 0u);
    BOOST_TEST(n.protocol == (pf::skip | pf::header_leading_space));
    BOOST_TEST(n.actions == (act::add_headers | act::change_headers | act::quarantine | act::set_symlist));
    BOOST_TEST(n.missing_actions == 0u);
    BOOST_TEST(n.leading_space());
    BOOST_TEST(n.macros[0] == milter::default_macros[0]);
    for(auto s : {stage::connect, stage::helo, stage::header, stage::body, stage::eom}) {
        BOOST_TEST(n.sends(s));
        BOOST_TEST(n.expects_reply(s));
    }
    BOOST_TEST(!n.expects_reply(stage::abort));
    BOOST_TEST(!n.expects_reply(stage::close));
}

BOOST_AUTO_TEST_CASE(unused_stages_are_skipped_and_silent_ones_reply_less)
{
    milter::requirements req;
    req.stages = {stage::connect, stage::header, stage::body, stage::eom};
    req.replies = {stage::eom};
    req.macros = {};
    req.actions = act::add_headers;
    milter::negotiated n;
    BOOST_TEST(!milter::negotiate(req, postfix_offer, n));
    auto const skipped = pf::no_helo | pf::no_mail | pf::no_rcpt | pf::no_eoh | pf::no_unknown | pf::no_data;
    BOOST_TEST((n.protocol & pf::no_send_mask) == skipped);
    BOOST_TEST((n.protocol & pf::no_reply_mask) == pf::no_reply_mask);
    BOOST_TEST((n.protocol & pf::skip) == 0u); // body callbacks cannot answer, so no SKIP
    BOOST_TEST(n.leading_space());
    BOOST_TEST(n.sends(stage::connect));
    BOOST_TEST(!n.sends(stage::helo));
    BOOST_TEST(!n.expects_reply(stage::header));
    BOOST_TEST(!n.expects_reply(stage::connect));
    BOOST_TEST(n.expects_reply(stage::eom));   // EOM is always answered
    BOOST_TEST(n.actions == act::add_headers); // no macro lists: no SETSYMLIST
}

BOOST_AUTO_TEST_CASE(requested_macros_keep_their_stage)
{
    milter::requirements req;
    req.stages = {stage::eom};
    req.replies = {stage::eom};
    req.macros = {};
    req.macros[static_cast<std::size_t>(milter::macro_stage::envfrom)] = "{auth_authen}";
    milter::negotiated n;
    BOOST_TEST(!milter::negotiate(req, postfix_offer, n));
    BOOST_TEST(n.sends(stage::envfrom));
    BOOST_TEST(!n.expects_reply(stage::envfrom)); // no callback: nothing to answer
    BOOST_TEST(!n.sends(stage::connect));
    BOOST_TEST((n.protocol & pf::header_leading_space) == 0u); // headers are not wanted at all
    BOOST_TEST(n.allows(act::set_symlist));
    std::string out;
    BOOST_TEST(!milter::write_negotiate(out, n));
    BOOST_TEST(out == milter::test::frame('O', milter::test::u32(6) + milter::test::u32(n.actions) +
                                                   milter::test::u32(n.protocol) + milter::test::u32(2) +
                                                   "{auth_authen}\0"s));
}

BOOST_AUTO_TEST_CASE(old_mta_gets_its_own_version_and_only_flags_it_knows)
{
    milter::requirements req;
    req.stages = {stage::connect, stage::header, stage::eom};
    req.replies = {stage::eom};
    req.macros = {};
    milter::negotiated n;
    BOOST_TEST(!milter::negotiate(req, v2_offer, n));
    BOOST_TEST(n.version == 2u);
    BOOST_TEST((n.protocol & ~pf::v2_mask) == 0u);
    BOOST_TEST(n.protocol == (pf::no_helo | pf::no_mail | pf::no_rcpt | pf::no_body | pf::no_eoh));
    // Without NR flags every command must be answered.
    BOOST_TEST(n.expects_reply(stage::header));
    BOOST_TEST(n.expects_reply(stage::connect));
    BOOST_TEST(!n.leading_space());
    // Full default macro lists, but a version 2 MTA cannot take them.
    milter::negotiated full;
    BOOST_TEST(!milter::negotiate(milter::requirements{}, v2_offer, full));
    BOOST_TEST(!full.allows(act::set_symlist));
    BOOST_TEST(full.macros[0].empty());
}

BOOST_AUTO_TEST_CASE(never_answers_more_than_offered)
{
    // Whatever the MTA offers, the answer is a subset of it.
    for(std::uint32_t v : {2u, 3u, 4u, 6u, 7u, 100u})
        for(std::uint32_t p : {0u, pf::v2_mask, pf::v4_mask, pf::v6_mask, 0xffffffffu, 0x00155555u})
            for(std::uint32_t a : {0u, act::v2_mask, act::v6_mask, 0x1u}) {
                milter::negotiated n;
                BOOST_TEST(!milter::negotiate(milter::requirements{}, {v, a, p}, n));
                BOOST_TEST((n.protocol & ~p) == 0u);
                BOOST_TEST((n.actions & ~a) == 0u);
                BOOST_TEST(n.version == std::min(v, 6u));
                BOOST_TEST((n.protocol & (pf::mds_256k | pf::mds_1m)) == 0u);
            }
}

BOOST_AUTO_TEST_CASE(missing_actions_are_reported)
{
    milter::negotiated n;
    BOOST_TEST(!milter::negotiate(milter::requirements{}, {6, act::add_headers, pf::v6_mask}, n));
    BOOST_TEST(n.actions == act::add_headers);
    BOOST_TEST(n.missing_actions == (act::change_headers | act::quarantine));
}

BOOST_AUTO_TEST_CASE(version_below_two_is_refused)
{
    milter::negotiated n;
    BOOST_TEST(milter::negotiate(milter::requirements{}, {1, act::v2_mask, pf::v2_mask}, n) ==
               milter::error::unsupported_version);
    BOOST_TEST(milter::negotiate(milter::requirements{}, {0, 0, 0}, n) == milter::error::unsupported_version);
}

BOOST_AUTO_TEST_SUITE_END()
