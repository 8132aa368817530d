// Microbenchmarks: Authentication-Results formatting, SPF check_host() with an include chain,
// cached DNS lookups.
#include <authmilter/authres/format.hpp>
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/spf/check_host.hpp>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"

namespace {

namespace ar = authmilter::authres;
namespace dns = authmilter::dns;
namespace spf = authmilter::spf;

void
authres_format(benchmark::State& state)
{
    // What the daemon writes for an ordinary signed message.
    ar::header h("mx.example.net");
    h.add({"iprev", "pass"}).add_property("policy", "iprev", "198.18.0.7", "mail-0-7.out.bench.test");
    h.add({"spf", "pass"})
        .add_comment("sender SPF authorized")
        .add_property("smtp", "mailfrom", "bounce-17@d3.bench.test")
        .add_property("smtp", "helo", "mail-0-7.out.bench.test");
    h.add({"dkim", "pass"})
        .add_comment("2048-bit rsa key sha256")
        .add_property("header", "d", "d3.bench.test")
        .add_property("header", "i", "@d3.bench.test")
        .add_property("header", "b", "Xk3vQ9aB")
        .add_property("header", "a", "rsa-sha256")
        .add_property("header", "s", "rsa2048");
    h.add({"dmarc", "pass"}).add_comment("p=reject,d=pass").add_property("header", "from", "d3.bench.test");
    ar::format_options o;
    std::size_t bytes = 0;
    for(auto _ : state) {
        auto s = ar::to_string(h, o);
        bytes = s.size();
        benchmark::DoNotOptimize(s.data());
    }
    state.SetLabel(std::to_string(bytes) + " bytes");
}
BENCHMARK(authres_format);

dns::zone_resolver
spf_zone()
{
    dns::zone_resolver z;
    z.add_txt("d3.bench.test", "v=spf1 a mx include:_spf1.bench.test -all");
    z.add_address("d3.bench.test", "192.0.2.4");
    z.add(dns::record{"d3.bench.test", dns::rr_type::mx, 300, dns::mx_data{10, "mx.d3.bench.test"}});
    z.add_address("mx.d3.bench.test", "192.0.2.4");
    z.add_txt("_spf1.bench.test", "v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.0/24 include:_spf2.bench.test ~all");
    z.add_txt("_spf2.bench.test", "v=spf1 ip6:2001:db8::/32 include:_spf3.bench.test ~all");
    z.add_txt("_spf3.bench.test", "v=spf1 ip4:198.18.0.0/15 -all");
    return z;
}

void
spf_include_chain(benchmark::State& state)
{
    // The client matches in the third include: a, mx and five TXT lookups on the way.
    auto z = spf_zone();
    auto const client = *authmilter::core::ip_address::parse("198.18.0.7");
    boost::asio::io_context io;
    bool ok = true;
    // Named, not temporaries: g++ 12 mishandles temporaries bound to coroutine parameters.
    spf::options const opts;
    std::string const domain = "d3.bench.test", sender = "bounce@d3.bench.test",
                      helo = "mail-0-7.out.bench.test";
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        for(auto _ : state) {
            auto r = co_await spf::check_host(z, client, domain, sender, helo, opts);
            if(r.code != spf::code::pass)
                ok = false;
        }
    });
    if(!ok)
        state.SkipWithError("SPF did not pass");
}
BENCHMARK(spf_include_chain);

void
cached_lookup(benchmark::State& state)
{
    dns::zone_resolver z;
    for(int i = 0; i < 1000; ++i)
        z.add_txt("name" + std::to_string(i) + ".bench.test", "v=spf1 -all");
    dns::caching_resolver<dns::zone_resolver&> cache(z);
    std::vector<std::string> names;
    for(int i = 0; i < 1000; ++i)
        names.push_back("name" + std::to_string(i) + ".bench.test");
    boost::asio::io_context io;
    bool ok = true;
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        for(auto const& n : names) // warm
            co_await cache.query(n, dns::rr_type::txt);
        std::size_t i = 0;
        for(auto _ : state) {
            auto a = co_await cache.query(names[i++ % names.size()], dns::rr_type::txt);
            if(a.status != dns::outcome::noerror)
                ok = false;
            benchmark::DoNotOptimize(a);
        }
    });
    if(!ok)
        state.SkipWithError("lookup failed");
    state.counters["upstream_queries"] = static_cast<double>(z.query_count());
}
BENCHMARK(cached_lookup);

void
zone_lookup_uncached(benchmark::State& state)
{
    // The same lookups straight from the in-memory zone: the cache's own cost is the difference.
    dns::zone_resolver z;
    for(int i = 0; i < 1000; ++i)
        z.add_txt("name" + std::to_string(i) + ".bench.test", "v=spf1 -all");
    std::vector<std::string> names;
    for(int i = 0; i < 1000; ++i)
        names.push_back("name" + std::to_string(i) + ".bench.test");
    boost::asio::io_context io;
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        std::size_t i = 0;
        for(auto _ : state) {
            auto a = co_await z.query(names[i++ % names.size()], dns::rr_type::txt);
            benchmark::DoNotOptimize(a);
        }
    });
}
BENCHMARK(zone_lookup_uncached);

} // namespace
