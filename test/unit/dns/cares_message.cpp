// Test that header file is self-contained.
#include <authmilter/dns/detail/cares_message.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "test_print.hpp"

using namespace authmilter::dns;
using authmilter::dns::detail::parse_response;

namespace {

/// Builds DNS responses by hand.
struct packet {
    std::vector<std::uint8_t> b;

    packet(std::uint16_t rcode, std::uint16_t an, std::uint16_t ns, std::string_view qname,
           std::uint16_t qtype)
    {
        u16(0x1234);
        u16(static_cast<std::uint16_t>(0x8400 | rcode)); // QR, AA
        u16(1);
        u16(an);
        u16(ns);
        u16(0);
        name(qname);
        u16(qtype);
        u16(1);
    }
    void u16(std::uint16_t v)
    {
        b.push_back(static_cast<std::uint8_t>(v >> 8));
        b.push_back(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v)
    {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void name(std::string_view n)
    {
        while(!n.empty()) {
            auto const dot = n.find('.');
            auto const label = n.substr(0, dot);
            b.push_back(static_cast<std::uint8_t>(label.size()));
            b.insert(b.end(), label.begin(), label.end());
            n = dot == std::string_view::npos ? std::string_view{} : n.substr(dot + 1);
        }
        b.push_back(0);
    }
    void pointer(std::uint16_t offset) { u16(static_cast<std::uint16_t>(0xc000 | offset)); }
    /// Owner as a pointer to the question name (offset 12).
    void rr_header(std::uint16_t type, std::uint32_t ttl, std::uint16_t rdlength, bool owner_is_qname = true)
    {
        if(owner_is_qname)
            pointer(12);
        u16(type);
        u16(1);
        u32(ttl);
        u16(rdlength);
    }
    answer parse(std::string_view qname, rr_type t) const
    {
        return parse_response(b.data(), b.size(), qname, t);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(dns_cares_message)

BOOST_AUTO_TEST_CASE(a_and_aaaa)
{
    packet p(0, 2, 0, "Example.COM", 1);
    p.rr_header(1, 300, 4);
    p.b.insert(p.b.end(), {192, 0, 2, 1});
    p.rr_header(1, 200, 4);
    p.b.insert(p.b.end(), {192, 0, 2, 2});
    auto a = p.parse("example.com.", rr_type::a);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_REQUIRE(a.records.size() == 2u);
    BOOST_TEST(a.records[0].name == "example.com");
    BOOST_TEST(a.addresses()[1].to_string() == "192.0.2.2");
    BOOST_TEST(a.ttl == 200u);

    packet q(0, 1, 0, "example.com", 28);
    q.rr_header(28, 60, 16);
    std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    q.b.insert(q.b.end(), v6, v6 + 16);
    BOOST_TEST(q.parse("example.com", rr_type::aaaa).addresses().at(0).to_string() == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(txt_strings_kept_apart)
{
    packet p(0, 1, 0, "t.example", 16);
    p.rr_header(16, 120, 3 + 4 + 1 + 3);
    p.b.insert(p.b.end(), {2, 'a', 'b', 3, 'c', 'd', 'e'});
    p.b.insert(p.b.end(), {0});
    p.b.insert(p.b.end(), {2, 'f', 'g'});
    auto a = p.parse("t.example", rr_type::txt);
    BOOST_REQUIRE(a.records.size() == 1u);
    BOOST_TEST(std::get<txt_data>(a.records[0].data).strings ==
               (std::vector<std::string>{"ab", "cde", "", "fg"}));
    BOOST_TEST(a.txts() == std::vector<std::string>{"abcdefg"});
}

BOOST_AUTO_TEST_CASE(mx_with_compressed_exchange_and_cname_chain)
{
    packet p(0, 3, 0, "alias.example", 15);
    // alias.example CNAME mid.example (mid + pointer to "example" at offset 12+6)
    p.rr_header(5, 50, 6);
    std::size_t const mid_at = p.b.size();
    p.b.insert(p.b.end(), {3, 'm', 'i', 'd'});
    p.pointer(12 + 6);
    // mid.example CNAME mail.example
    p.pointer(static_cast<std::uint16_t>(mid_at));
    p.u16(5);
    p.u16(1);
    p.u32(40);
    p.u16(7);
    std::size_t const mail_at = p.b.size();
    p.b.insert(p.b.end(), {4, 'M', 'a', 'i', 'l'});
    p.pointer(12 + 6);
    // mail.example MX 10 mx.example
    p.pointer(static_cast<std::uint16_t>(mail_at));
    p.u16(15);
    p.u16(1);
    p.u32(300);
    p.u16(2 + 5);
    p.u16(10);
    p.b.insert(p.b.end(), {2, 'm', 'x'});
    p.pointer(12 + 6);
    auto a = p.parse("alias.example", rr_type::mx);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_REQUIRE(a.mxs().size() == 1u);
    BOOST_TEST(a.mxs()[0].preference == 10);
    BOOST_TEST(a.mxs()[0].exchange == "mx.example");
    BOOST_TEST(a.records[0].name == "mail.example");
    BOOST_TEST(a.ttl == 40u); // the smallest TTL on the chain
    auto c = p.parse("alias.example", rr_type::cname);
    BOOST_TEST(c.names() == std::vector<std::string>{"mid.example"});
}

BOOST_AUTO_TEST_CASE(negative_answers_take_the_soa_minimum)
{
    auto with_soa = [](std::uint16_t rcode, std::uint16_t an) {
        packet p(rcode, an, 1, "nx.example", 16);
        p.name("example");
        p.u16(6);
        p.u16(1);
        p.u32(600); // SOA TTL
        p.u16(4 + 4 + 20);
        p.b.insert(p.b.end(), {2, 'n', 's', 0});
        p.b.insert(p.b.end(), {2, 'h', 'm', 0});
        p.u32(1);
        p.u32(2);
        p.u32(3);
        p.u32(4);
        p.u32(900); // minimum
        return p;
    };
    auto nx = with_soa(3, 0).parse("nx.example", rr_type::txt);
    BOOST_TEST(nx.status == outcome::nxdomain);
    BOOST_TEST(nx.ttl == 600u);
    auto nodata = with_soa(0, 0).parse("nx.example", rr_type::txt);
    BOOST_TEST(nodata.status == outcome::nodata);
    BOOST_TEST(nodata.ttl == 600u);
    BOOST_TEST(packet(3, 0, 0, "nx.example", 16).parse("nx.example", rr_type::txt).ttl == 0u);
}

BOOST_AUTO_TEST_CASE(rcodes)
{
    BOOST_TEST(packet(2, 0, 0, "x.example", 1).parse("x.example", rr_type::a).status == outcome::servfail);
    BOOST_TEST(packet(5, 0, 0, "x.example", 1).parse("x.example", rr_type::a).status == outcome::refused);
    BOOST_TEST(packet(4, 0, 0, "x.example", 1).parse("x.example", rr_type::a).status == outcome::malformed);
}

BOOST_AUTO_TEST_CASE(other_records_are_not_the_answer)
{
    packet p(0, 1, 0, "x.example", 1);
    p.name("y.example");
    p.u16(1);
    p.u16(1);
    p.u32(60);
    p.u16(4);
    p.b.insert(p.b.end(), {192, 0, 2, 9});
    BOOST_TEST(p.parse("x.example", rr_type::a).status == outcome::nodata);
}

BOOST_AUTO_TEST_CASE(hostile_messages_are_malformed)
{
    // truncated everywhere
    packet p(0, 1, 0, "t.example", 16);
    p.rr_header(16, 60, 4);
    p.b.insert(p.b.end(), {3, 'a', 'b', 'c'});
    for(std::size_t n = 0; n < p.b.size(); ++n)
        BOOST_TEST(parse_response(p.b.data(), n, "t.example", rr_type::txt).status == outcome::malformed);
    BOOST_TEST(p.parse("t.example", rr_type::txt).ok());

    // a compression loop: a pointer to itself
    packet loop(0, 1, 0, "t.example", 1);
    loop.pointer(static_cast<std::uint16_t>(loop.b.size()));
    loop.u16(1);
    BOOST_TEST(loop.parse("t.example", rr_type::a).status == outcome::malformed);

    // a TXT string longer than its rdata
    packet txt(0, 1, 0, "t.example", 16);
    txt.rr_header(16, 60, 2);
    txt.b.insert(txt.b.end(), {5, 'a'});
    BOOST_TEST(txt.parse("t.example", rr_type::txt).status == outcome::malformed);

    // an A record of 3 bytes
    packet a(0, 1, 0, "t.example", 1);
    a.rr_header(1, 60, 3);
    a.b.insert(a.b.end(), {1, 2, 3});
    BOOST_TEST(a.parse("t.example", rr_type::a).status == outcome::malformed);

    // a query, not a response
    packet q(0, 0, 0, "t.example", 1);
    q.b[2] = 0;
    BOOST_TEST(q.parse("t.example", rr_type::a).status == outcome::malformed);
}

BOOST_AUTO_TEST_CASE(cname_loop_is_servfail)
{
    packet p(0, 1, 0, "l.example", 1);
    p.rr_header(5, 60, 2);
    p.pointer(12);
    BOOST_TEST(p.parse("l.example", rr_type::a).status == outcome::servfail);
}

BOOST_AUTO_TEST_SUITE_END()
