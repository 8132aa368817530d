// Test that header file is self-contained.
#include <authmilter/app/ip_map.hpp>
#include <authmilter/config/load.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace app = authmilter::app;
namespace cfg = authmilter::config;
using authmilter::core::connection_info;
using authmilter::core::ip_address;

namespace {

std::vector<cfg::ip_map_entry>
map_of(std::string const& json)
{
    std::vector<std::string> warnings;
    auto const root = boost::json::parse(R"({"connection":"inet:1","ip_map":)" + json + "}").as_object();
    auto c = cfg::parse_daemon_config("test.json", root, warnings);
    BOOST_TEST(warnings.empty());
    return c.ip_map;
}

connection_info
conn(std::string const& ip, std::string const& helo = "")
{
    connection_info c;
    c.client_ip = ip_address::parse(ip);
    c.helo = helo;
    return c;
}

std::string
ip_of(connection_info const& c)
{
    return c.client_ip ? c.client_ip->to_string() : "<none>";
}

/// What the milter front-end does: remap at connect, then at HELO with the name sent.
connection_info
milter_flow(std::vector<cfg::ip_map_entry> const& map, std::string const& ip, std::string const& helo)
{
    auto c = conn(ip);
    app::remap_connect(map, c);
    c.helo = helo; // the MTA's HELO command
    app::remap_helo_again(map, helo, c);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_ip_map)

auto const json = R"({
    "10.0.0.0/8": { "ip": "192.0.2.1", "helo": "outside.example.com",
                    "helo_map": { "Relay.Internal": { "ip": "192.0.2.9", "helo": "relay.example.com" } } },
    "10.1.2.3": { "ip": "192.0.2.3" },
    "fd00::/8": { "ip": "2001:db8::1", "helo": "v6.example.com" },
    "fd00::25": { "ip": "2001:db8::25" },
    "192.0.2.0/24": { "helo": "inside-24.example.com" }
})";

BOOST_AUTO_TEST_CASE(cidr_and_exact_v4_v6)
{
    auto const map = map_of(json);
    BOOST_REQUIRE_EQUAL(map.size(), 5u);
    auto c = conn("10.9.9.9", "sent.example");
    BOOST_REQUIRE(app::remap_connect(map, c));
    BOOST_TEST(ip_of(c) == "192.0.2.1");
    BOOST_TEST(c.helo == "outside.example.com");
    BOOST_TEST(c.raw_client_ip->to_string() == "10.9.9.9");

    c = conn("fd00::77");
    app::remap_connect(map, c);
    BOOST_TEST(ip_of(c) == "2001:db8::1");
    BOOST_TEST(c.helo == "v6.example.com");

    // Keys are tried in sorted order, as the Perl tool does: "10.0.0.0/8" < "10.1.2.3", so the
    // network wins over the exact address; "fd00::/8" < "fd00::25" likewise.
    c = conn("10.1.2.3");
    app::remap_connect(map, c);
    BOOST_TEST(ip_of(c) == "192.0.2.1");
    c = conn("fd00::25");
    app::remap_connect(map, c);
    BOOST_TEST(ip_of(c) == "2001:db8::1");

    // No match: untouched, no raw address.
    c = conn("198.51.100.7", "sent.example");
    BOOST_TEST(!app::remap_connect(map, c));
    BOOST_TEST(ip_of(c) == "198.51.100.7");
    BOOST_TEST(c.helo == "sent.example");
    BOOST_TEST(!c.raw_client_ip);
    // A v6 client never matches a v4 network.
    c = conn("2001:db8:a::1");
    BOOST_TEST(!app::remap_connect(map, c));
    BOOST_TEST(ip_of(c) == "2001:db8:a::1");
}

BOOST_AUTO_TEST_CASE(exact_entry_used_when_it_sorts_first)
{
    auto const map =
        map_of(R"({ "10.1.2.3": { "ip": "192.0.2.3" }, "10.1.2.0/24": { "ip": "192.0.2.24" } })");
    // "10.1.2.0/24" < "10.1.2.3": the network comes first.
    auto c = conn("10.1.2.3");
    app::remap_connect(map, c);
    BOOST_TEST(ip_of(c) == "192.0.2.24");
    auto const exact =
        map_of(R"({ "10.1.2.3": { "ip": "192.0.2.3" }, "10.2.0.0/16": { "ip": "192.0.2.16" } })");
    c = conn("10.1.2.3");
    app::remap_connect(exact, c);
    BOOST_TEST(ip_of(c) == "192.0.2.3");
}

BOOST_AUTO_TEST_CASE(milter_helo_stage_uses_the_entry_matched_at_connect)
{
    auto const map = map_of(json);
    // Plain HELO: the entry's helo replaces the name sent (the MTA's HELO came after connect).
    auto c = milter_flow(map, "10.9.9.9", "whatever.internal");
    BOOST_TEST(ip_of(c) == "192.0.2.1");
    BOOST_TEST(c.helo == "outside.example.com");
    // helo_map (case-insensitive) remaps address and name again.
    c = milter_flow(map, "10.9.9.9", "relay.internal");
    BOOST_TEST(ip_of(c) == "192.0.2.9");
    BOOST_TEST(c.helo == "relay.example.com");
    BOOST_TEST(c.raw_client_ip->to_string() == "10.9.9.9");
    // The remapped address 192.0.2.1 lies in another entry's network (192.0.2.0/24): its helo must
    // not be applied; the entry is found by the address the client really came from.
    BOOST_TEST(c.helo != "inside-24.example.com");
    c = milter_flow(map, "10.9.9.9", "x");
    BOOST_TEST(c.helo == "outside.example.com");
    // A client of the /24 itself gets that entry's helo, and keeps its address.
    c = milter_flow(map, "192.0.2.77", "x");
    BOOST_TEST(ip_of(c) == "192.0.2.77");
    BOOST_TEST(c.helo == "inside-24.example.com");
    // Unmatched client: the HELO sent stays.
    c = milter_flow(map, "198.51.100.7", "mail.example.net");
    BOOST_TEST(c.helo == "mail.example.net");
}

BOOST_AUTO_TEST_CASE(bad_entries_name_their_path)
{
    std::vector<std::string> warnings;
    auto parse = [&](std::string const& map) -> std::string {
        try {
            auto const root =
                boost::json::parse(R"({"connection":"inet:1","ip_map":)" + map + "}").as_object();
            cfg::parse_daemon_config("test.json", root, warnings);
        } catch(cfg::config_error const& e) {
            return e.what();
        }
        return "no error";
    };
    BOOST_TEST(parse(R"({"not-an-ip": {}})") ==
               "test.json: $.ip_map.not-an-ip: expected an IP address or CIDR range as the key");
    BOOST_TEST(parse(R"({"10.0.0.0/8": {"ip": "nope"}})") ==
               "test.json: $.ip_map.10.0.0.0/8.ip: expected an IP address, found \"nope\"");
    BOOST_TEST(parse(R"({"fd00::/8": {"helo_map": {"a": {"ip": "1.2.3"}}}})") ==
               "test.json: $.ip_map.fd00::/8.helo_map.a.ip: expected an IP address, found \"1.2.3\"");
}

BOOST_AUTO_TEST_SUITE_END()
