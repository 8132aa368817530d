// Fuzz target: the SPF record parser and the check_host() evaluator. The input is published as
// the TXT record of example.com (and of a few names it may include or redirect to) in an
// in-memory zone, then evaluated for an IPv4 and an IPv6 client. Besides "no crash, no UB" it
// checks that every accepted record re-parses from its mechanisms' printed text to the same
// mechanisms, and that the evaluator's counters respect the limits.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/spf/check_host.hpp>
#include <authmilter/spf/record.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// A named coroutine, not a lambda: g++ 12 emits clashing symbols for coroutine lambdas inside an
// extern "C" function.
boost::asio::awaitable<void>
evaluate(authmilter::dns::zone_resolver& zone, authmilter::core::ip_address client,
         authmilter::spf::options const& opts, authmilter::spf::result& out)
{
    out = co_await authmilter::spf::check_host(zone, client, "example.com", "user@example.com",
                                               "helo.example.com", opts);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace spf = authmilter::spf;
    namespace dns = authmilter::dns;
    using authmilter::core::ip_address;
    std::string_view const text(reinterpret_cast<char const*>(data), size);

    auto const parsed = spf::parse_record(text);
    if(parsed) {
        std::string again = "v=spf1";
        for(auto const& m : parsed.value->mechanisms)
            again += " " + m.text;
        auto const re = spf::parse_record(again);
        if(!re || re.value->mechanisms.size() != parsed.value->mechanisms.size())
            __builtin_trap();
        for(std::size_t i = 0; i < re.value->mechanisms.size(); ++i) {
            auto const& a = re.value->mechanisms[i];
            auto const& b = parsed.value->mechanisms[i];
            if(a.type != b.type || a.qualifier != b.qualifier || a.domain_spec != b.domain_spec ||
               a.cidr4 != b.cidr4 || a.cidr6 != b.cidr6 || a.text != b.text)
                __builtin_trap();
        }
    } else if(parsed.error.empty()) {
        __builtin_trap();
    }

    if(!spf::is_spf1_record(text))
        return 0;
    dns::zone_resolver zone;
    zone.add_txt("example.com", std::string(text));
    zone.add_txt("inc.example.com", std::string(text));
    zone.add_txt("explain.example.com", "%{c} %{r} %{t} %{p} %{i} %{d2r}");
    zone.add_address("example.com", "192.0.2.1");
    zone.add_address("example.com", "2001:db8::1");
    zone.add(dns::record{"example.com", dns::rr_type::mx, 300, dns::mx_data{10, "example.com"}});
    zone.add(dns::record{"1.2.0.192.in-addr.arpa", dns::rr_type::ptr, 300, std::string("example.com")});
    spf::options opts;
    opts.now = 0;
    opts.receiver = "mx.example.net";
    for(char const* client : {"192.0.2.1", "2001:db8::2"}) {
        spf::result res;
        boost::asio::io_context ctx;
        boost::asio::co_spawn(ctx, evaluate(zone, *ip_address::parse(client), opts, res),
                              boost::asio::detached);
        ctx.run();
        if(res.dns_terms > opts.max_dns_terms + 1 || res.void_lookups > opts.max_void_lookups + 1)
            __builtin_trap();
        if(res.code != spf::code::fail && !res.explanation.empty())
            __builtin_trap();
    }
    return 0;
}
