// Microbenchmarks: body canonicalisation + SHA-256, DKIM verification of a 2 KB message.
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/verify.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <benchmark/benchmark.h>

#include "corpus.hpp"

namespace {

namespace dkim = authmilter::dkim;

/// About 1 MB of text lines, with the odd double space and trailing blank that relaxed
/// canonicalisation has to rewrite.
std::string const&
megabyte_body()
{
    static std::string const body = [] {
        std::string b;
        std::uint32_t x = 12345;
        while(b.size() < 1024 * 1024) {
            x = x * 1103515245 + 12345;
            auto const len = 20 + (x >> 16) % 57;
            std::string line;
            while(line.size() < len)
                line +=
                    (((x >> 8) % 31) == 0 ? "  " : " ") + std::string("word") + std::to_string((x >> 4) % 97);
            x = x * 1103515245 + 12345;
            if((x >> 16) % 50 == 0)
                line += " ";
            b += line + "\r\n";
        }
        return b;
    }();
    return body;
}

void
body_hash(benchmark::State& state, dkim::canonicalization c)
{
    auto const& body = megabyte_body();
    for(auto _ : state) {
        dkim::body_hash_set hs;
        auto const i = hs.add(c, dkim::hash_algorithm::sha256, std::nullopt);
        // In the 64 KiB pieces a milter receives.
        for(std::size_t off = 0; off < body.size(); off += 65535)
            hs.update(std::string_view(body).substr(off, 65535));
        hs.finish();
        benchmark::DoNotOptimize(hs.value(i).data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void
sha256_only(benchmark::State& state)
{
    auto const& body = megabyte_body();
    for(auto _ : state) {
        dkim::digest d(dkim::hash_algorithm::sha256);
        d.update(body);
        benchmark::DoNotOptimize(d.final());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK_CAPTURE(body_hash, relaxed_sha256_1MB, dkim::canonicalization::relaxed);
BENCHMARK_CAPTURE(body_hash, simple_sha256_1MB, dkim::canonicalization::simple);
BENCHMARK(sha256_only);

/// A 2 KB message signed with `key`, and the zone publishing the key.
struct signed_message {
    std::string text;
    authmilter::dns::zone_resolver zone;
};

signed_message
make_signed(char const* type, unsigned bits, char const* selector)
{
    bench::corpus_options o;
    o.count = 1;
    o.domains = 1;
    o.fixed_body = 2048;
    o.only_rsa2048 = true;
    auto const key = *dkim::private_key::from_pem(bench::generate_pem(type, bits));
    bench::corpus_keys keys{key, key, key};
    bench::corpus_generator g(o, keys);
    auto msgs = g.generate();
    signed_message s;
    s.text = msgs.front().text;
    // The corpus signs with selector "rsa2048": publish this key under it whatever its type.
    (void)selector;
    std::string rec = std::string("v=DKIM1; k=") +
                      (key.type() == dkim::key_type::ed25519 ? "ed25519" : "rsa") +
                      "; p=" + dkim::detail::base64_encode(key.public_key_data());
    s.zone.add_txt("rsa2048._domainkey." + bench::corpus_domain(0), rec);
    return s;
}

void
dkim_verify(benchmark::State& state, char const* type, unsigned bits)
{
    auto s = make_signed(type, bits, "rsa2048");
    boost::asio::io_context io;
    bool ok = true;
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        for(auto _ : state) {
            auto r = co_await dkim::verify_message(s.zone, s.text);
            if(r.size() != 1 || r[0].res != dkim::result::pass)
                ok = false;
        }
    });
    if(!ok)
        state.SkipWithError("signature did not verify");
    state.SetLabel(std::to_string(s.text.size()) + " byte message");
}

BENCHMARK_CAPTURE(dkim_verify, rsa2048_2KB, "RSA", 2048u);
BENCHMARK_CAPTURE(dkim_verify, ed25519_2KB, "ED25519", 0u);

} // namespace

namespace {

/// What a verifier pays per signature before any crypto: the key record parsed and its DER
/// turned into an EVP_PKEY (OpenSSL 3's decoder framework; the largest single cost here).
void
dkim_key_from_record(benchmark::State& state, char const* type, unsigned bits)
{
    auto const key = *dkim::private_key::from_pem(bench::generate_pem(type, bits));
    std::string const rec = std::string("v=DKIM1; k=") +
                            (key.type() == dkim::key_type::ed25519 ? "ed25519" : "rsa") +
                            "; p=" + dkim::detail::base64_encode(key.public_key_data());
    for(auto _ : state) {
        auto r = dkim::parse_key_record(rec);
        if(!r) {
            state.SkipWithError("bad record");
            return;
        }
        auto k = dkim::public_key::from_record(*r);
        if(!k) {
            state.SkipWithError("bad key");
            return;
        }
        benchmark::DoNotOptimize(k);
    }
}

BENCHMARK_CAPTURE(dkim_key_from_record, rsa2048, "RSA", 2048u);
BENCHMARK_CAPTURE(dkim_key_from_record, ed25519, "ED25519", 0u);

} // namespace
