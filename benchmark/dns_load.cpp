// dns_load: 10,000 concurrent queries for 1,000 distinct names through caching_resolver over
// cares_resolver, against a real DNS server (knotd in run.sh): a cold pass, then a warm one.
// Usage: dns_load SERVER:PORT [--queries N] [--names N]
// The names are sel<i>._domainkey.d<i % 20>.bench.test style TXT names of the corpus zone;
// those that do not exist are answered NXDOMAIN, which the cache keeps too (RFC 2308).
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/cares_resolver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

namespace dns = authmilter::dns;
namespace asio = boost::asio;

int
main(int argc, char** argv)
{
    if(argc < 2) {
        std::cerr << "usage: dns_load SERVER:PORT [--queries N] [--names N]\n";
        return 2;
    }
    std::size_t queries = 10000, names = 1000;
    for(int i = 2; i + 1 < argc; i += 2) {
        std::string const a = argv[i];
        if(a == "--queries")
            queries = std::stoull(argv[i + 1]);
        else if(a == "--names")
            names = std::stoull(argv[i + 1]);
    }
    asio::io_context io(1);
    dns::cares_options o;
    o.servers = {argv[1]};
    o.timeout = std::chrono::seconds(2);
    o.retry = 1;
    dns::cares_resolver upstream(io.get_executor(), o);
    dns::caching_resolver<dns::cares_resolver&> cache(upstream);
    std::vector<std::string> list;
    for(std::size_t i = 0; i < names; ++i)
        list.push_back(i % 3 == 0 ? "d" + std::to_string(i % 20) + ".bench.test"
                                  : "n" + std::to_string(i) + ".d" + std::to_string(i % 20) + ".bench.test");
    int failures = 0;
    for(char const* pass : {"cold", "warm"}) {
        std::size_t done = 0;
        auto const t0 = std::chrono::steady_clock::now();
        std::clock_t const c0 = std::clock();
        for(std::size_t q = 0; q < queries; ++q)
            asio::co_spawn(
                io,
                [&, q]() -> asio::awaitable<void> {
                    auto const& name = list[q % list.size()];
                    auto a = co_await cache.query(name, dns::rr_type::txt);
                    if(a.status != dns::outcome::noerror && a.status != dns::outcome::nxdomain &&
                       a.status != dns::outcome::nodata)
                        ++failures;
                    ++done;
                },
                asio::detached);
        io.restart();
        io.run();
        double const secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double const cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        auto const st = cache.stats();
        std::printf(
            "RESULT label=dns_%s queries=%zu names=%zu seconds=%.3f queries_per_s=%.0f cpu_ns_per_query=%.0f "
            "hits=%llu misses=%llu coalesced=%llu failures=%d\n",
            pass, done, names, secs, static_cast<double>(done) / secs, cpu * 1e9 / static_cast<double>(done),
            static_cast<unsigned long long>(st.hits), static_cast<unsigned long long>(st.misses),
            static_cast<unsigned long long>(st.coalesced), failures);
    }
    return failures == 0 ? 0 : 1;
}
