// Test that header file is self-contained.
#include <authmilter/dns/zone_text.hpp>

#include <boost/test/unit_test.hpp>

#include "test_print.hpp"

using namespace authmilter::dns;
using authmilter::core::ip_address;

namespace {

zone_error
refuse(std::string_view text)
{
    zone_resolver z;
    zone_error err;
    BOOST_TEST(!load_zone_text(z, text, err));
    BOOST_TEST(z.lookup("a.example", rr_type::a).status == outcome::nxdomain); // nothing was added
    return err;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dns_zone_text)

BOOST_AUTO_TEST_CASE(every_record_type)
{
    auto z = zone_from_text(R"(
$ORIGIN example.com.
$TTL 600
@        IN  A     192.0.2.1
@        300 IN AAAA 2001:db8::1
@        IN  MX    10 mail
@        IN  MX    20 backup.example.net.
@        IN  TXT   "v=spf1 -all"
@        IN  SPF   "v=spf1 ?all"
alias    IN  CNAME www
www      IN  A     192.0.2.2
1.2.0.192.in-addr.arpa. IN PTR host.example.com.
@        IN  NS    ns1
)");
    auto a = z.lookup("example.com", rr_type::a);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_REQUIRE(a.addresses().size() == 1u);
    BOOST_TEST(a.addresses()[0] == *ip_address::parse("192.0.2.1"));
    BOOST_TEST(a.ttl == 600u);
    auto aaaa = z.lookup("EXAMPLE.COM.", rr_type::aaaa);
    BOOST_REQUIRE(aaaa.addresses().size() == 1u);
    BOOST_TEST(aaaa.addresses()[0].to_string() == "2001:db8::1");
    BOOST_TEST(aaaa.ttl == 300u);
    auto mx = z.lookup("example.com", rr_type::mx).mxs();
    BOOST_REQUIRE(mx.size() == 2u);
    BOOST_TEST(mx[0].preference == 10);
    BOOST_TEST(mx[0].exchange == "mail.example.com");
    BOOST_TEST(mx[1].exchange == "backup.example.net");
    BOOST_TEST(z.lookup("example.com", rr_type::txt).txts() == std::vector<std::string>{"v=spf1 -all"});
    BOOST_TEST(z.lookup("example.com", rr_type::spf).txts() == std::vector<std::string>{"v=spf1 ?all"});
    auto via = z.lookup("alias.example.com", rr_type::a);
    BOOST_REQUIRE(via.addresses().size() == 1u);
    BOOST_TEST(via.addresses()[0].to_string() == "192.0.2.2");
    BOOST_TEST(z.lookup("alias.example.com", rr_type::cname).names() ==
               std::vector<std::string>{"www.example.com"});
    BOOST_TEST(z.lookup("1.2.0.192.in-addr.arpa", rr_type::ptr).names() ==
               std::vector<std::string>{"host.example.com"});
    BOOST_TEST(z.lookup("example.com", rr_type::ns).names() == std::vector<std::string>{"ns1.example.com"});
    BOOST_TEST(z.lookup("www.example.com", rr_type::txt).status == outcome::nodata);
    BOOST_TEST(z.lookup("nope.example.com", rr_type::txt).status == outcome::nxdomain);
}

BOOST_AUTO_TEST_CASE(names_without_origin_are_taken_as_written)
{
    auto z = zone_from_text("example.org TXT \"hello\"\nsub.example.org. 60 A 198.51.100.7\n");
    BOOST_TEST(z.lookup("example.org", rr_type::txt).txts() == std::vector<std::string>{"hello"});
    auto a = z.lookup("sub.example.org", rr_type::a);
    BOOST_TEST(a.ttl == 60u);
    BOOST_TEST(a.addresses().at(0).to_string() == "198.51.100.7");
}

BOOST_AUTO_TEST_CASE(blank_owner_ttl_and_class_in_either_order)
{
    auto z = zone_from_text("$ORIGIN example.com.\n"
                            "host IN 120 A 192.0.2.10\n"
                            "     A 192.0.2.11\n"
                            "\tTXT x\n"
                            "other 2h TXT y\n");
    auto a = z.lookup("host.example.com", rr_type::a);
    BOOST_TEST(a.addresses().size() == 2u);
    BOOST_TEST(a.ttl == 120u); // the second record inherits the previous TTL
    BOOST_TEST(z.lookup("host.example.com", rr_type::txt).txts() == std::vector<std::string>{"x"});
    BOOST_TEST(z.lookup("other.example.com", rr_type::txt).ttl == 7200u);
}

BOOST_AUTO_TEST_CASE(multi_line_and_multi_string_txt)
{
    auto z = zone_from_text(R"(
sel._domainkey.example.com. 300 IN TXT ( "v=DKIM1; k=rsa; "   ; first part
                                         "p=MIGf"              ; second part
                                         "MA0G" )
next.example.com. TXT "one" two "three"
)");
    auto t = z.lookup("sel._domainkey.example.com", rr_type::txt);
    BOOST_REQUIRE(t.records.size() == 1u);
    auto const& strings = std::get<txt_data>(t.records[0].data).strings;
    BOOST_TEST(strings == (std::vector<std::string>{"v=DKIM1; k=rsa; ", "p=MIGf", "MA0G"}));
    BOOST_TEST(t.txts() == std::vector<std::string>{"v=DKIM1; k=rsa; p=MIGfMA0G"});
    BOOST_TEST(std::get<txt_data>(z.lookup("next.example.com", rr_type::txt).records.at(0).data).strings ==
               (std::vector<std::string>{"one", "two", "three"}));
}

BOOST_AUTO_TEST_CASE(escapes)
{
    auto z = zone_from_text(
        R"(e.example. TXT "a \"quoted\" word; not a comment" "back\\slash" "\065\066C" semi\;colon)");
    auto const ans = z.lookup("e.example", rr_type::txt);
    auto const& s = std::get<txt_data>(ans.records.at(0).data).strings;
    BOOST_REQUIRE(s.size() == 4u);
    BOOST_TEST(s[0] == "a \"quoted\" word; not a comment");
    BOOST_TEST(s[1] == "back\\slash");
    BOOST_TEST(s[2] == "ABC");
    BOOST_TEST(s[3] == "semi;colon");
    auto z2 = zone_from_text("b.example. TXT \"\\000\\255\"");
    auto const ans2 = z2.lookup("b.example", rr_type::txt);
    auto const& b = std::get<txt_data>(ans2.records.at(0).data).strings.at(0);
    BOOST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[0] == '\0');
    BOOST_TEST(static_cast<unsigned char>(b[1]) == 255u);
}

BOOST_AUTO_TEST_CASE(fault_lines)
{
    auto z = zone_from_text(";ERROR,timeout.example.com,TXT,TIMEOUT\n"
                            "  ;error, sf.example.com , a , servfail\n"
                            ";ERROR,nx.example.com,MX,NXDOMAIN\n"
                            ";ERROR,ref.example.com,AAAA,REFUSED\n"
                            "; an ordinary comment, ERROR,x,y\n"
                            "timeout.example.com A 192.0.2.1\n");
    BOOST_TEST(z.lookup("timeout.example.com", rr_type::txt).status == outcome::timeout);
    BOOST_TEST(z.lookup("timeout.example.com", rr_type::a).status == outcome::noerror);
    BOOST_TEST(z.lookup("sf.example.com", rr_type::a).status == outcome::servfail);
    BOOST_TEST(z.lookup("nx.example.com", rr_type::mx).status == outcome::nxdomain);
    BOOST_TEST(z.lookup("ref.example.com", rr_type::aaaa).status == outcome::refused);
    BOOST_TEST(z.lookup("sf.example.com", rr_type::txt).status == outcome::nodata);
}

BOOST_AUTO_TEST_CASE(fault_names_follow_origin)
{
    auto z = zone_from_text("$ORIGIN example.net.\n;ERROR,slow,TXT,TIMEOUT\n;ERROR,@,MX,SERVFAIL\n");
    BOOST_TEST(z.lookup("slow.example.net", rr_type::txt).status == outcome::timeout);
    BOOST_TEST(z.lookup("example.net", rr_type::mx).status == outcome::servfail);
}

BOOST_AUTO_TEST_CASE(soa_sets_negative_ttl)
{
    auto z = zone_from_text(R"(
$ORIGIN example.com.
@ 3600 IN SOA ns1 hostmaster (
        2026120101 ; serial
        1h 15m 1w
        900 )      ; minimum
www A 192.0.2.1
)");
    BOOST_TEST(z.negative_ttl() == 900u);
    BOOST_TEST(z.lookup("nx.example.com", rr_type::a).ttl == 900u);
    BOOST_TEST(z.lookup("www.example.com", rr_type::txt).ttl == 900u);
    auto capped = zone_from_text("x. 60 SOA a. b. 1 2 3 4 86400\n");
    BOOST_TEST(capped.negative_ttl() == 60u); // RFC 2308 section 5: min(SOA TTL, minimum)
}

BOOST_AUTO_TEST_CASE(bad_lines_name_the_line)
{
    auto e = refuse("ok.example. A 192.0.2.1\n\nbad.example. A 192.0.2\n");
    BOOST_TEST(e.line == 3u);
    BOOST_TEST(e.message.find("IPv4") != std::string::npos);
    BOOST_TEST(e.to_string().starts_with("line 3: "));

    BOOST_TEST(refuse("a.example. AAAA 192.0.2.1\n").message.find("IPv6") != std::string::npos);
    BOOST_TEST(refuse("a.example. A ::1\n").line == 1u);
    BOOST_TEST(refuse("a.example. MX mail.example.\n").message.find("MX") != std::string::npos);
    BOOST_TEST(refuse("a.example. MX 70000 mail.example.\n").message.find("preference") != std::string::npos);
    BOOST_TEST(refuse("a.example. HINFO x y\n").message.find("HINFO") != std::string::npos);
    BOOST_TEST(refuse("a.example. CH TXT x\n").message.find("class") != std::string::npos);
    BOOST_TEST(refuse("a.example.\n").message.find("type") != std::string::npos);
    BOOST_TEST(refuse("a.example. 1x A 192.0.2.1\n").message.find("TTL") != std::string::npos);
    BOOST_TEST(refuse("a..example. A 192.0.2.1\n").message.find("domain name") != std::string::npos);
    BOOST_TEST(refuse("@ A 192.0.2.1\n").message.find("$ORIGIN") != std::string::npos);
    BOOST_TEST(refuse("  A 192.0.2.1\n").message.find("owner") != std::string::npos);
    BOOST_TEST(refuse("$INCLUDE other.zone\n").message.find("directive") != std::string::npos);
    BOOST_TEST(refuse("$TTL soon\n").message.find("TTL") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT\n").message.find("string") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT \"" + std::string(256, 'x') + "\"\n").message.find("255") !=
               std::string::npos);
    BOOST_TEST(refuse(";ERROR,a.example,TXT,BROKEN\n").message.find("RCODE") != std::string::npos);
    BOOST_TEST(refuse(";ERROR,a.example,TXT\n").message.find("fault line") != std::string::npos);
    BOOST_TEST(refuse(";ERROR,a.example,WKS,TIMEOUT\n").message.find("WKS") != std::string::npos);
    BOOST_TEST(refuse("a.example. SOA a. b. 1 2 3 4\n").message.find("SOA") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_syntax_names_the_line)
{
    auto unterminated = refuse("a.example. TXT \"ok\"\na.example. TXT \"open\n");
    BOOST_TEST(unterminated.line == 2u);
    BOOST_TEST(unterminated.message.find("unterminated") != std::string::npos);
    auto paren = refuse("\na.example. TXT ( \"one\"\n\"two\"\n");
    BOOST_TEST(paren.line == 2u);
    BOOST_TEST(paren.message.find("'('") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT x )\n").message.find("')'") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT ( ( x ) )\n").message.find("nested") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT \"\\25\"\n").message.find("three digits") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT \"\\256\"\n").message.find("255") != std::string::npos);
    BOOST_TEST(refuse("a.example. TXT x\\").message.find("backslash") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(throwing_overload)
{
    zone_resolver z;
    try {
        load_zone_text(z, "ok.example. A 192.0.2.1\nbad.example. MX x y\n");
        BOOST_FAIL("no exception");
    } catch(zone_text_error const& e) {
        BOOST_TEST(e.line() == 2u);
        BOOST_TEST(std::string(e.what()).find("line 2") != std::string::npos);
    }
    BOOST_TEST(z.lookup("ok.example", rr_type::a).status == outcome::nxdomain);
    BOOST_CHECK_THROW(zone_from_text("x TXT \"a"), zone_text_error);
}

BOOST_AUTO_TEST_CASE(type_names)
{
    BOOST_TEST(*parse_rr_type("txt") == rr_type::txt);
    BOOST_TEST(*parse_rr_type("Aaaa") == rr_type::aaaa);
    BOOST_TEST(!parse_rr_type("SOA"));
    BOOST_TEST(to_string(rr_type::mx) == "MX");
}

BOOST_AUTO_TEST_SUITE_END()
