// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/iprev.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/milter/pipeline_driver.hpp>
#include <authmilter/sinks/authres_sink.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace m = authmilter::milter;
namespace h = authmilter::handlers;
using namespace std::string_literals;

namespace {

using chain = authmilter::pipeline::pipeline<h::local_ip_handler, h::iprev_handler, h::spf_handler>;
using sinks = authmilter::sinks::sink_set<authmilter::sinks::authres_sink>;
using driver = m::pipeline_driver<chain, authmilter::dns::zone_resolver, sinks>;

std::string
be32(std::uint32_t v)
{
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string
frame(char cmd, std::string const& payload)
{
    return be32(static_cast<std::uint32_t>(payload.size() + 1)) + cmd + payload;
}

struct reply {
    char cmd;
    std::string payload;
};

std::vector<reply>
parse_replies(std::string const& bytes)
{
    std::vector<reply> out;
    std::size_t i = 0;
    while(i + 5 <= bytes.size()) {
        auto const len = (std::uint32_t(std::uint8_t(bytes[i])) << 24) |
                         (std::uint32_t(std::uint8_t(bytes[i + 1])) << 16) |
                         (std::uint32_t(std::uint8_t(bytes[i + 2])) << 8) |
                         std::uint32_t(std::uint8_t(bytes[i + 3]));
        out.push_back({bytes[i + 4], bytes.substr(i + 5, len - 1)});
        i += 4 + len;
    }
    return out;
}

// Offer everything a Postfix 3.x offers: protocol 6, all actions, all protocol flags.
std::string
postfix_negotiate()
{
    return frame('O', be32(6) + be32(0x1ff) + be32(0x1fffff));
}

std::string
one_message(std::string const& from = "<marc@example.net>")
{
    return frame('D', "C"
                      "j\0mx.example.org\0"s) +
           frame('C', "mail.example.com\0"s
                      "4" +
                          std::string("\x00\x19", 2) + "192.0.2.1\0"s) +
           frame('H', "mail.example.com\0"s) + frame('M', from + "\0SIZE=120\0"s) +
           frame('R', "<bob@example.org>\0"s) +
           frame('D', "T"
                      "i\0ABC123\0"s) +
           frame('T', "") + frame('L', "From\0 marc@example.net\0"s) + frame('L', "Subject\0 hello\0"s) +
           frame('N', "") + frame('B', "body line\r\n") + frame('E', "");
}

struct fixture {
    chain pipeline;
    authmilter::dns::zone_resolver zone;
    sinks out_sinks{authmilter::sinks::authres_sink({"", {}})};

    fixture()
    {
        zone.add(authmilter::dns::record{"1.2.0.192.in-addr.arpa", authmilter::dns::rr_type::ptr, 300,
                                         std::string("mail.example.com")});
        zone.add_address("mail.example.com", "192.0.2.1");
        zone.add_txt("example.net", "v=spf1 ip4:192.0.2.0/24 -all");
    }

    // Feeds `bytes` in pieces of `split` octets (0 = all at once) and returns all replies.
    std::string run(std::string const& bytes, std::size_t split = 0, m::driver_options opts = {})
    {
        boost::asio::io_context io;
        std::string out;
        std::exception_ptr failure;
        boost::system::error_code last;
        driver d(pipeline, zone, out_sinks, std::move(opts));
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                std::string_view rest = bytes;
                while(!rest.empty() && !last) {
                    auto const n = split == 0 ? rest.size() : std::min(split, rest.size());
                    last = co_await d.on_bytes(rest.substr(0, n), out);
                    rest.remove_prefix(n);
                }
                co_await d.finish();
            },
            [&](std::exception_ptr e) { failure = e; });
        io.run();
        if(failure)
            std::rethrow_exception(failure);
        error = last;
        return out;
    }
    boost::system::error_code error;
};

std::string
codes(std::vector<reply> const& r)
{
    std::string s;
    for(auto const& x : r)
        s += x.cmd;
    return s;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(milter_pipeline_driver, fixture)

BOOST_AUTO_TEST_CASE(requirements_follow_the_chain)
{
    constexpr auto req = m::requirements_for_pipeline<chain>();
    static_assert(req.stages.contains(m::stage::connect));
    static_assert(req.stages.contains(m::stage::eoh)); // SPF awaits at end of headers
    static_assert(!req.stages.contains(m::stage::body));
    static_assert(!req.stages.contains(m::stage::header));
    static_assert(!req.replies.contains(m::stage::header));
    static_assert(req.replies.contains(m::stage::envfrom));
    BOOST_TEST(req.stages.contains(m::stage::eom));
}

BOOST_AUTO_TEST_CASE(postfix_like_message_gets_authentication_results_first)
{
    auto const replies = parse_replies(run(postfix_negotiate() + one_message() + frame('Q', "")));
    BOOST_REQUIRE(!replies.empty());
    BOOST_TEST(replies.front().cmd == 'O');
    // Then a reply per replying command: C H M R (T and header are reply-less or switched off),
    // N, and at E the header insertions and the final continue.
    auto const c = codes(replies);
    BOOST_TEST(c.back() == 'c');
    std::vector<std::string> inserted;
    for(auto const& r : replies)
        if(r.cmd == 'i')
            inserted.push_back(r.payload.substr(4));
    BOOST_REQUIRE_EQUAL(inserted.size(), 2u);
    // Received-SPF first, then Authentication-Results, each at index 1: the A-R ends up on top.
    // No handler reads headers, so SMFIP_HDR_LEADSPC is not asked for and the MTA adds the space.
    BOOST_TEST(inserted[0].starts_with("Received-SPF\0pass"s));
    BOOST_TEST(inserted[1].starts_with("Authentication-Results\0mx.example.org;"s));
    BOOST_TEST(inserted[1].find("iprev=pass smtp.remote-ip=192.0.2.1 (mail.example.com)") !=
               std::string::npos);
    BOOST_TEST(inserted[1].find("spf=pass smtp.mailfrom=marc@example.net smtp.helo=mail.example.com") !=
               std::string::npos);
    BOOST_TEST(!error);
}

BOOST_AUTO_TEST_CASE(same_replies_whatever_the_read_boundaries)
{
    auto const script = postfix_negotiate() + one_message() + frame('Q', "");
    auto const whole = run(script);
    for(std::size_t split : {1u, 2u, 3u, 7u, 64u})
        BOOST_TEST(run(script, split) == whole, "split " << split);
}

BOOST_AUTO_TEST_CASE(two_messages_without_abort_like_sendmail)
{
    auto const script = postfix_negotiate() + one_message() + frame('M', "<other@example.net>\0"s) +
                        frame('R', "<bob@example.org>\0"s) + frame('L', "From\0 x@example.net\0"s) +
                        frame('N', "") + frame('E', "") + frame('Q', "");
    auto const replies = parse_replies(run(script));
    int ar = 0;
    for(auto const& r : replies)
        if(r.cmd == 'i' && r.payload.find("Authentication-Results") != std::string::npos)
            ++ar;
    BOOST_TEST(ar == 2);
    BOOST_TEST(!error);
}

BOOST_AUTO_TEST_CASE(dryrun_sends_no_edits)
{
    m::driver_options o;
    o.dryrun = true;
    auto const replies = parse_replies(run(postfix_negotiate() + one_message() + frame('Q', ""), 0, o));
    for(auto const& r : replies)
        BOOST_TEST(r.cmd != 'i');
    BOOST_TEST(replies.back().cmd == 'c');
}

BOOST_AUTO_TEST_CASE(garbage_is_a_protocol_error_not_a_crash)
{
    run(postfix_negotiate() + std::string("\x7f\xff\xff\xff"
                                          "B",
                                          5));
    BOOST_TEST(!!error);
    run(frame('M', "<a@b>\0"s)); // before negotiation
    BOOST_TEST(!!error);
}

BOOST_AUTO_TEST_CASE(remap_connect_changes_the_checked_client)
{
    m::driver_options o;
    o.remap_connect = [](authmilter::core::connection_info& c) {
        c.client_ip = authmilter::core::ip_address::parse("198.51.100.9");
    };
    auto const replies = parse_replies(run(postfix_negotiate() + one_message() + frame('Q', ""), 0, o));
    bool saw_fail = false;
    for(auto const& r : replies)
        if(r.cmd == 'i' && r.payload.find("spf=fail") != std::string::npos)
            saw_fail = true;
    BOOST_TEST(saw_fail);
}

BOOST_AUTO_TEST_SUITE_END()
