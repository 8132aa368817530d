// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/spf/check_host.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

#include "run.hpp"

namespace spf = authmilter::spf;
namespace dns = authmilter::dns;
using authmilter::core::ip_address;
using spf::test::run;

namespace {

ip_address
ip(char const* text)
{
    return *ip_address::parse(text);
}

spf::result
check(dns::zone_resolver& z, char const* client, char const* domain, spf::options const& opts = {})
{
    std::string const sender = std::string("user@") + domain;
    return run(spf::check_host(z, ip(client), domain, sender, "mail.example.org", opts));
}

void
add_mx(dns::zone_resolver& z, std::string name, std::uint16_t pref, std::string host)
{
    z.add(dns::record{std::move(name), dns::rr_type::mx, 300, dns::mx_data{pref, std::move(host)}});
}

void
add_ptr(dns::zone_resolver& z, std::string name, std::string target)
{
    z.add(dns::record{std::move(name), dns::rr_type::ptr, 300, std::move(target)});
}

/// Answers from a zone after yielding to the executor a number of times chosen per name, so that
/// concurrent queries complete out of order. Records the peak number of queries in flight.
class slow_resolver {
public:
    explicit slow_resolver(dns::zone_resolver& zone)
        : zone_(zone)
    {}

    boost::asio::awaitable<dns::answer> query(std::string_view name, dns::rr_type type)
    {
        std::string const n(name);
        ++in_flight;
        peak = std::max(peak, in_flight);
        auto const it = delays.find(n);
        int const delay = it == delays.end() ? 0 : it->second;
        auto const ex = co_await boost::asio::this_coro::executor;
        for(int i = 0; i < delay; ++i)
            co_await boost::asio::post(ex, boost::asio::use_awaitable);
        --in_flight;
        completed.push_back(n);
        co_return zone_.lookup(n, type);
    }

    std::map<std::string, int> delays;
    int in_flight = 0;
    int peak = 0;
    std::vector<std::string> completed;

private:
    dns::zone_resolver& zone_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(spf_check_host)

BOOST_AUTO_TEST_CASE(results_and_mechanism_text)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 ~ip4:198.51.100.0/24 ?ip6:2001:db8::/32 -all");
    auto r = check(z, "192.0.2.7", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.mechanism == "ip4:192.0.2.0/24");
    BOOST_TEST((r.kind == spf::mechanism_kind::address));
    r = check(z, "198.51.100.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "softfail");
    BOOST_TEST(r.mechanism == "~ip4:198.51.100.0/24");
    r = check(z, "2001:db8::5", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "neutral");
    r = check(z, "203.0.113.9", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "fail");
    BOOST_TEST(r.mechanism == "-all");
    BOOST_TEST((r.kind == spf::mechanism_kind::all));
    BOOST_TEST(r.dns_terms == 0u);
    BOOST_TEST(r.dns_queries == 1u);
}

BOOST_AUTO_TEST_CASE(none_temperror_permerror)
{
    dns::zone_resolver z;
    z.add_txt("nospf.example.com", "hello");
    z.add_fault("tmp.example.com", dns::rr_type::txt, dns::outcome::servfail);
    z.add_txt("two.example.com", "v=spf1 -all");
    z.add_txt("two.example.com", "v=spf1 +all");
    z.add_txt("bad.example.com", "v=spf1 ip4:1.2.3.4/40");
    auto r = check(z, "192.0.2.1", "nospf.example.com");
    BOOST_TEST(spf::to_string(r.code) == "none");
    r = check(z, "192.0.2.1", "absent.example.com");
    BOOST_TEST(spf::to_string(r.code) == "none");
    r = check(z, "192.0.2.1", "tmp.example.com");
    BOOST_TEST(spf::to_string(r.code) == "temperror");
    BOOST_TEST(r.reason == "'SERVFAIL' error on DNS 'TXT' lookup of 'tmp.example.com'");
    r = check(z, "192.0.2.1", "two.example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
    r = check(z, "192.0.2.1", "bad.example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
    BOOST_TEST(!r.reason.empty());
}

BOOST_AUTO_TEST_CASE(invalid_domains_give_none_without_query)
{
    dns::zone_resolver z;
    std::string const long_label(64, 'a');
    for(std::string const& d :
        {long_label + ".example.com", std::string("a..example.com"), std::string("localhost"),
         std::string("[192.0.2.1]"), std::string("192.0.2.1"), std::string("")}) {
        auto const r = run(spf::check_host(z, ip("192.0.2.1"), d, "x@" + d, "h.example", spf::options{}));
        BOOST_TEST(spf::to_string(r.code) == "none", d);
    }
    BOOST_TEST(z.query_count() == 0u);
}

BOOST_AUTO_TEST_CASE(dns_term_limit)
{
    dns::zone_resolver z;
    z.add_address("example.com", "192.0.2.200");
    add_mx(z, "example.com", 10, "example.com");
    // Ten DNS-interactive terms are allowed; the eleventh is a permerror.
    z.add_txt("at.example.com",
              "v=spf1 a:example.com mx:example.com a:example.com mx:example.com a:example.com "
              "mx:example.com a:example.com mx:example.com a:example.com mx:example.com "
              "ip4:192.0.2.1 -all");
    z.add_txt("over.example.com",
              "v=spf1 a:example.com mx:example.com a:example.com mx:example.com a:example.com "
              "mx:example.com a:example.com mx:example.com a:example.com mx:example.com "
              "a:example.com ip4:192.0.2.1 -all");
    auto r = check(z, "192.0.2.1", "at.example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.dns_terms == 10u);
    r = check(z, "192.0.2.1", "over.example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
    BOOST_TEST(r.reason == "Maximum DNS-interactive terms limit (10) exceeded");
    BOOST_TEST(r.dns_terms == 11u);
    // The limit is an option.
    spf::options o;
    o.max_dns_terms = 20;
    r = check(z, "192.0.2.1", "over.example.com", o);
    BOOST_TEST(spf::to_string(r.code) == "pass");
}

BOOST_AUTO_TEST_CASE(terms_counted_across_include_and_redirect)
{
    dns::zone_resolver z;
    z.add_txt("top.example.com", "v=spf1 include:inc.example.com redirect=red.example.com");
    z.add_txt("inc.example.com", "v=spf1 a a a ?all");
    z.add_txt("red.example.com", "v=spf1 a a a a a ip4:192.0.2.1");
    z.add_address("inc.example.com", "198.51.100.1");
    z.add_address("red.example.com", "198.51.100.2");
    auto r = check(z, "192.0.2.1", "top.example.com");
    // include(1) + 3 a + redirect(1) + 5 a = 10
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.dns_terms == 10u);
    BOOST_TEST(r.decided_by == "red.example.com");
    z.add_txt("loop.example.com", "v=spf1 include:loop.example.com");
    r = check(z, "192.0.2.1", "loop.example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
}

BOOST_AUTO_TEST_CASE(void_lookup_limit)
{
    dns::zone_resolver z;
    z.add_txt("two.example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com ?all");
    z.add_txt("three.example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com ?all");
    auto r = check(z, "192.0.2.1", "two.example.com");
    BOOST_TEST(spf::to_string(r.code) == "neutral");
    BOOST_TEST(r.void_lookups == 2u);
    r = check(z, "192.0.2.1", "three.example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
    BOOST_TEST(r.reason == "Maximum void DNS look-ups limit (2) exceeded");
    spf::options o;
    o.max_void_lookups = 3;
    r = check(z, "192.0.2.1", "three.example.com", o);
    BOOST_TEST(spf::to_string(r.code) == "neutral");
}

BOOST_AUTO_TEST_CASE(mx_limit_and_concurrent_lookups)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 mx -all");
    for(int i = 0; i < 3; ++i) {
        auto const host = "mx" + std::to_string(i) + ".example.com";
        add_mx(z, "example.com", static_cast<std::uint16_t>(i), host);
        z.add_address(host, "192.0.2." + std::to_string(10 + i));
    }
    auto r = check(z, "192.0.2.12", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.dns_terms == 1u);
    BOOST_TEST(r.dns_queries == 5u); // TXT, MX, three A
    r = check(z, "192.0.2.99", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "fail");

    dns::zone_resolver many;
    many.add_txt("example.com", "v=spf1 mx -all");
    for(int i = 0; i < 11; ++i)
        add_mx(many, "example.com", static_cast<std::uint16_t>(i), "mx" + std::to_string(i) + ".example.com");
    many.add_address("mx0.example.com", "192.0.2.1");
    r = check(many, "192.0.2.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "permerror");
    BOOST_TEST(r.reason == "Maximum MX records limit (10) exceeded");
}

BOOST_AUTO_TEST_CASE(mx_host_error_before_match_is_temperror)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 mx -all");
    add_mx(z, "example.com", 1, "bad.example.com");
    add_mx(z, "example.com", 2, "good.example.com");
    z.add_fault("bad.example.com", dns::rr_type::a, dns::outcome::timeout);
    z.add_address("good.example.com", "192.0.2.1");
    auto const r = check(z, "192.0.2.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "temperror");
}

BOOST_AUTO_TEST_CASE(concurrent_mx_lookups_read_in_mx_order)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 mx -all");
    add_mx(z, "example.com", 1, "slow.example.com");
    add_mx(z, "example.com", 2, "fast.example.com");
    add_mx(z, "example.com", 3, "other.example.com");
    z.add_fault("slow.example.com", dns::rr_type::a, dns::outcome::timeout);
    z.add_address("fast.example.com", "192.0.2.1");
    z.add_address("other.example.com", "192.0.2.3");
    slow_resolver r(z);
    r.delays["slow.example.com"] = 5;
    r.delays["other.example.com"] = 2;
    auto res = run(spf::check_host(r, ip("192.0.2.1"), "example.com", "u@example.com", "h.example", {}));
    // The lookups overlapped and the fast one finished first...
    BOOST_TEST(r.peak >= 2);
    BOOST_TEST_REQUIRE(r.completed.size() == 5u);
    BOOST_TEST(r.completed[2] == "fast.example.com");
    BOOST_TEST(r.completed[4] == "slow.example.com");
    // ...but the answers are read in MX order: the first exchange's time-out comes before the
    // second's match, as in a sequential evaluation.
    BOOST_TEST(spf::to_string(res.code) == "temperror");
    BOOST_TEST(res.dns_queries == 5u);

    // Without the error the match of the second exchange wins, whatever the completion order.
    dns::zone_resolver z2;
    z2.add_txt("example.com", "v=spf1 mx -all");
    add_mx(z2, "example.com", 1, "slow.example.com");
    add_mx(z2, "example.com", 2, "fast.example.com");
    z2.add_address("slow.example.com", "198.51.100.1");
    z2.add_address("fast.example.com", "192.0.2.1");
    slow_resolver r2(z2);
    r2.delays["slow.example.com"] = 3;
    res = run(spf::check_host(r2, ip("192.0.2.1"), "example.com", "u@example.com", "h.example", {}));
    BOOST_TEST(spf::to_string(res.code) == "pass");
    BOOST_TEST(res.mechanism == "mx");
    BOOST_TEST(r2.peak == 2);
}

BOOST_AUTO_TEST_CASE(ptr_limit)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 ptr -all");
    for(int i = 0; i < 10; ++i)
        add_ptr(z, "1.2.0.192.in-addr.arpa", "h" + std::to_string(i) + ".other.example");
    add_ptr(z, "1.2.0.192.in-addr.arpa", "mail.example.com");
    z.add_address("mail.example.com", "192.0.2.1");
    // The eleventh name is not checked.
    auto r = check(z, "192.0.2.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "fail");
    spf::options o;
    o.max_ptr_names = 11;
    r = check(z, "192.0.2.1", "example.com", o);
    BOOST_TEST(spf::to_string(r.code) == "pass");
}

BOOST_AUTO_TEST_CASE(ipv4_mapped_client_is_ipv4)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 a ip6:::/0 -all");
    z.add_address("example.com", "192.0.2.1");
    auto r = check(z, "::ffff:192.0.2.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.mechanism == "a");
    r = check(z, "::ffff:192.0.2.2", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "fail");
}

BOOST_AUTO_TEST_CASE(explanations)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 -all exp=why.%{d}");
    z.add_txt("why.example.com", "%{c} is not one of %{d}'s designated mail servers; %{i} %{h}");
    z.add_txt("noexp.example.com", "v=spf1 -all exp=missing.example.com");
    z.add_txt("inc.example.com", "v=spf1 include:example.com -all exp=why2.example.com");
    z.add_txt("why2.example.com", "outer");
    spf::options o;
    o.default_explanation = "default for %{d} from %{c}";
    auto r = check(z, "192.0.2.1", "example.com", o);
    BOOST_TEST(r.explanation ==
               "192.0.2.1 is not one of example.com's designated mail servers; 192.0.2.1 mail.example.org");
    r = check(z, "192.0.2.1", "noexp.example.com", o);
    BOOST_TEST(r.explanation == "default for noexp.example.com from 192.0.2.1");
    // An included record's exp= is never used.
    r = check(z, "192.0.2.1", "inc.example.com", o);
    BOOST_TEST(spf::to_string(r.code) == "fail");
    BOOST_TEST(r.explanation == "outer");
    // Only fail carries an explanation.
    z.add_txt("soft.example.com", "v=spf1 ~all exp=why.example.com");
    r = check(z, "192.0.2.1", "soft.example.com", o);
    BOOST_TEST(r.explanation.empty());
}

BOOST_AUTO_TEST_CASE(p_macro)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 exists:%{p}.allow.example.com -all");
    add_ptr(z, "1.2.0.192.in-addr.arpa", "liar.other.example");
    add_ptr(z, "1.2.0.192.in-addr.arpa", "mx.example.com");
    z.add_address("mx.example.com", "192.0.2.1");
    z.add_address("liar.other.example", "198.51.100.1");
    z.add_address("mx.example.com.allow.example.com", "127.0.0.2");
    auto r = check(z, "192.0.2.1", "example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
    // Without a validated name %{p} is "unknown".
    z.add_address("unknown.allow.example.com", "127.0.0.2");
    z.add_txt("other.example.com", "v=spf1 exists:%{p}.allow.example.com -all");
    r = check(z, "192.0.2.77", "other.example.com");
    BOOST_TEST(spf::to_string(r.code) == "pass");
}

BOOST_AUTO_TEST_CASE(identities)
{
    dns::zone_resolver z;
    z.add_txt("example.com", "v=spf1 -exists:%{l}.local.example.com +all");
    z.add_address("postmaster.local.example.com", "127.0.0.2");
    z.add_txt("helo.example.com", "v=spf1 ip4:192.0.2.1 -all");
    spf::options const o;
    // The null reverse-path checks the HELO identity with postmaster@<helo>.
    auto r = run(spf::verify_mailfrom(z, ip("192.0.2.1"), "<>", "helo.example.com", o));
    BOOST_TEST(spf::to_string(r.code) == "pass");
    BOOST_TEST(r.domain == "helo.example.com");
    r = run(spf::verify_mailfrom(z, ip("192.0.2.1"), "", "helo.example.com", o));
    BOOST_TEST(spf::to_string(r.code) == "pass");
    // A missing local part is postmaster.
    r = run(spf::verify_mailfrom(z, ip("192.0.2.1"), "<@example.com>", "helo.example.com", o));
    BOOST_TEST(spf::to_string(r.code) == "fail");
    r = run(spf::verify_mailfrom(z, ip("192.0.2.1"), "someone@example.com", "helo.example.com", o));
    BOOST_TEST(spf::to_string(r.code) == "pass");
    r = run(spf::verify_helo(z, ip("192.0.2.2"), "helo.example.com", o));
    BOOST_TEST(spf::to_string(r.code) == "fail");
    // Address literals and single labels are not HELO identities that can be checked.
    r = run(spf::verify_helo(z, ip("192.0.2.1"), "[192.0.2.1]", o));
    BOOST_TEST(spf::to_string(r.code) == "none");
    r = run(spf::verify_helo(z, ip("192.0.2.1"), "OEMCOMPUTER", o));
    BOOST_TEST(spf::to_string(r.code) == "none");
}

BOOST_AUTO_TEST_CASE(parse_code_round_trip)
{
    for(auto c : {spf::code::none, spf::code::neutral, spf::code::pass, spf::code::fail, spf::code::softfail,
                  spf::code::temperror, spf::code::permerror})
        BOOST_TEST((spf::parse_code(spf::to_string(c)) == c));
    BOOST_TEST((spf::parse_code("PASS") == spf::code::pass));
    BOOST_TEST(!spf::parse_code("passed"));
}

BOOST_AUTO_TEST_SUITE_END()
