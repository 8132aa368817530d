// Microbenchmarks: body canonicalisation + SHA-256, DKIM verification of a 2 KB message, and
// issue 5's whole-message verification with cached keys next to its physical limit.
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/key_cache.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dkim/verify.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/pipeline/run.hpp>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <benchmark/benchmark.h>
#include <map>
#include <memory>

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

namespace {

/// Issue 5's benchmark: a whole message (4 KB or 100 KB) with an rsa-2048 and an ed25519
/// signature (relaxed/relaxed, the common choice), verified against keys already in the
/// key_cache, as the DKIM handler does from the second message on. What the handler gets per
/// message is modelled: fresh header fields, the (cached) DNS answers, the body in 64 KiB
/// chunks. `dkim_physical_limit` is the floor measured in the same run: SHA-256 over every
/// byte of the message, one bare RSA verify and one bare Ed25519 verify with parsed keys.
struct two_signature_case {
    std::string text;
    std::vector<authmilter::core::header_field> headers;
    std::string_view body;
    authmilter::dns::answer rsa_answer, ed_answer;
    dkim::private_key rsa, ed;
};

two_signature_case const&
two_signature_message(std::size_t size)
{
    static std::map<std::size_t, std::unique_ptr<two_signature_case>> cache;
    auto& slot = cache[size];
    if(slot)
        return *slot;
    auto c = std::make_unique<two_signature_case>();
    c->rsa = *dkim::private_key::from_pem(bench::generate_pem("RSA", 2048));
    c->ed = *dkim::private_key::from_pem(bench::generate_pem("ED25519"));
    std::string message = "From: Alice Example <alice@example.com>\r\n"
                          "To: Bob Example <bob@example.net>\r\n"
                          "Cc: carol@example.org\r\n"
                          "Subject: The quarterly figures, as promised\r\n"
                          "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
                          "Message-ID: <figures.20261202@example.com>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Received: from mail.example.com (mail.example.com [192.0.2.10])\r\n"
                          "\tby mx.example.net with ESMTPS id 4Abc123; Wed, 02 Dec 2026 10:00:01 +0000\r\n"
                          "\r\n";
    auto const& body = megabyte_body();
    // Whole lines of the text body until the message (signatures included, ~1 KB) has `size`.
    auto const want = size > message.size() + 1100 ? size - message.size() - 1100 : 0;
    auto const cut = body.find("\r\n", want);
    message += body.substr(0, cut + 2);
    auto sign_with = [](std::string const& msg, dkim::private_key const& key, char const* selector) {
        dkim::sign_options o;
        o.domain = "example.com";
        o.selector = selector;
        o.header_canon = dkim::canonicalization::relaxed;
        o.body_canon = dkim::canonicalization::relaxed;
        dkim::signer s(key, o);
        auto parts = dkim::split_message(msg);
        for(auto& f : parts.headers)
            s.on_header(std::move(f));
        s.on_body(parts.body);
        auto const f = s.finish();
        return f->name + ":" + f->raw_value + "\r\n" + msg;
    };
    c->text = sign_with(sign_with(message, c->rsa, "rsa"), c->ed, "ed");
    auto parts = dkim::split_message(c->text);
    c->headers = std::move(parts.headers);
    c->body = parts.body;
    authmilter::dns::zone_resolver zone;
    for(auto const* k : {&c->rsa, &c->ed})
        zone.add_txt(std::string(k == &c->rsa ? "rsa" : "ed") + "._domainkey.example.com",
                     std::string("v=DKIM1; k=") + (k->type() == dkim::key_type::ed25519 ? "ed25519" : "rsa") +
                         "; p=" + dkim::detail::base64_encode(k->public_key_data()));
    c->rsa_answer = zone.lookup("rsa._domainkey.example.com", authmilter::dns::rr_type::txt);
    c->ed_answer = zone.lookup("ed._domainkey.example.com", authmilter::dns::rr_type::txt);
    slot = std::move(c);
    return *slot;
}

void
dkim_verify_cached(benchmark::State& state)
{
    auto const& c = two_signature_message(static_cast<std::size_t>(state.range(0)));
    dkim::key_cache keys;
    dkim::verify_options opts;
    opts.keys = &keys;
    bool ok = true;
    for(auto _ : state) {
        dkim::verifier v(opts);
        for(auto const& h : c.headers)
            v.on_header(h); // a copy: the front-end hands over fresh fields
        for(auto const& q : v.queries())
            v.on_key(q.name, q.selector == "rsa" ? c.rsa_answer : c.ed_answer);
        for(std::size_t off = 0; off < c.body.size(); off += 65535)
            v.on_body(c.body.substr(off, 65535));
        auto const r = v.finish();
        ok = ok && r.size() == 2 && r[0].passed() && r[1].passed();
        benchmark::DoNotOptimize(r.data());
    }
    if(!ok || keys.misses() != 2)
        state.SkipWithError("did not verify from the cache");
    state.SetLabel(std::to_string(c.text.size()) + " byte message");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.text.size()));
}

void
dkim_physical_limit(benchmark::State& state)
{
    auto const& c = two_signature_message(static_cast<std::size_t>(state.range(0)));
    // The parsed public keys and a valid signature of each over a 32-byte digest.
    auto pub = [](dkim::private_key const& k) {
        auto const der = k.public_key_data();
        auto const* p = reinterpret_cast<unsigned char const*>(der.data());
        return k.type() == dkim::key_type::ed25519
                   ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, der.size())
                   : d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    };
    EVP_PKEY* rsa = pub(c.rsa);
    EVP_PKEY* ed = pub(c.ed);
    std::string const md(32, '\x5a');
    auto const rsa_sig = *c.rsa.sign(dkim::hash_algorithm::sha256, md);
    auto const ed_sig = *c.ed.sign(dkim::hash_algorithm::sha256, md);
    auto const* m = reinterpret_cast<unsigned char const*>(md.data());
    bool ok = true;
    for(auto _ : state) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_MD_CTX* h = EVP_MD_CTX_new();
        EVP_DigestInit_ex(h, EVP_sha256(), nullptr);
        EVP_DigestUpdate(h, c.text.data(), c.text.size());
        EVP_DigestFinal_ex(h, out, &len);
        EVP_MD_CTX_free(h);
        benchmark::DoNotOptimize(out);
        EVP_PKEY_CTX* r = EVP_PKEY_CTX_new(rsa, nullptr);
        ok = ok && EVP_PKEY_verify_init(r) == 1 && EVP_PKEY_CTX_set_rsa_padding(r, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(r, EVP_sha256()) == 1 &&
             EVP_PKEY_verify(r, reinterpret_cast<unsigned char const*>(rsa_sig.data()), rsa_sig.size(), m,
                             md.size()) == 1;
        EVP_PKEY_CTX_free(r);
        EVP_MD_CTX* e = EVP_MD_CTX_new();
        ok = ok && EVP_DigestVerifyInit(e, nullptr, nullptr, nullptr, ed) == 1 &&
             EVP_DigestVerify(e, reinterpret_cast<unsigned char const*>(ed_sig.data()), ed_sig.size(), m,
                              md.size()) == 1;
        EVP_MD_CTX_free(e);
    }
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
    if(!ok)
        state.SkipWithError("bare verify failed");
    state.SetLabel(std::to_string(c.text.size()) + " byte message");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.text.size()));
}

// Interleaved, so that both sides of each ratio see the same machine load.
BENCHMARK(dkim_physical_limit)->Arg(4096);
BENCHMARK(dkim_verify_cached)->Arg(4096);
BENCHMARK(dkim_physical_limit)->Arg(100 * 1024);
BENCHMARK(dkim_verify_cached)->Arg(100 * 1024);

} // namespace

namespace {

/// A key_cache hit: hash the record text, lock one shard, compare the text, copy a shared_ptr.
/// The cache holds 1,000 Ed25519 keys and an RSA-2048 record (~410 bytes) is looked up; with
/// several threads, each looks up its own record (different shards, as in a daemon with many
/// sender domains) or, with range(0) == 1, all the same one (one hot shard).
void
dkim_key_cache_hit(benchmark::State& state)
{
    struct fixture {
        dkim::key_cache* cache = new dkim::key_cache(4096); // never freed: shared by the threads
        std::vector<std::string> records;
    };
    // A function-local static: made once, by whichever thread comes first, before any uses it.
    static fixture const f = [] {
        fixture x;
        auto* cache = x.cache;
        auto& records = x.records;
        for(int i = 0; i < 1000; ++i) {
            std::string seed(32, 'k');
            seed[0] = static_cast<char>(i & 0xff);
            seed[1] = static_cast<char>(i >> 8);
            auto const k = *dkim::private_key::from_ed25519_seed(seed);
            std::string const rec =
                "v=DKIM1; k=ed25519; p=" + dkim::detail::base64_encode(k.public_key_data());
            dkim::key_record r;
            dkim::parse_key_record(rec, r);
            cache->insert(rec, r, *dkim::public_key::from_record(r));
        }
        for(int t = 0; t < 8; ++t) {
            auto const k = *dkim::private_key::from_pem(bench::generate_pem("RSA", 2048));
            std::string const rec = "v=DKIM1; k=rsa; p=" + dkim::detail::base64_encode(k.public_key_data());
            dkim::key_record r;
            dkim::parse_key_record(rec, r);
            cache->insert(rec, r, *dkim::public_key::from_record(r));
            records.push_back(rec);
        }
        return x;
    }();
    auto* cache = f.cache;
    auto const& records = f.records;
    auto const& rec =
        records.at(state.range(0) == 1 ? 0 : static_cast<std::size_t>(state.thread_index()) % 8);
    for(auto _ : state) {
        auto e = cache->find(rec);
        benchmark::DoNotOptimize(e.get());
    }
    state.SetLabel(std::to_string(rec.size()) + " byte record");
}

BENCHMARK(dkim_key_cache_hit)->Arg(0)->Threads(1)->Threads(2)->Threads(4);
BENCHMARK(dkim_key_cache_hit)->Arg(1)->Threads(2)->Threads(4);

} // namespace

namespace {

/// The DKIM handler alone in a pipeline, one 4 KB message with an rsa-2048 and an ed25519
/// signature per iteration (the resolver answers from memory): range(0) == 1 with the shared
/// key cache (the default), 0 with `keys = nullptr` (every message decodes its keys, as
/// before the cache).
void
dkim_handler_message(benchmark::State& state)
{
    namespace pl = authmilter::pipeline;
    using chain = pl::pipeline<authmilter::handlers::dkim_handler>;
    auto const& c = two_signature_message(4096);
    chain p;
    if(state.range(0) == 0)
        p.get<authmilter::handlers::dkim_handler>().keys = nullptr;
    authmilter::dns::zone_resolver zone;
    zone.add(authmilter::dns::record{c.rsa_answer.records.at(0)});
    zone.add(authmilter::dns::record{c.ed_answer.records.at(0)});
    pl::transaction<chain, authmilter::dns::zone_resolver, authmilter::authres::result> txn(p, zone);
    pl::message_input in;
    pl::split_message(c.text, in.headers, in.body);
    in.envelope.mail_from = "alice@example.com";
    in.envelope.rcpt_to = {"bob@example.net"};
    boost::asio::io_context io;
    bool ok = true;
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        for(auto _ : state) {
            co_await pl::run_message(p, txn, in);
            ok = ok && txn.results().size() == 2 && txn.results()[0].value == "pass" &&
                 txn.results()[1].value == "pass";
        }
    });
    if(!ok)
        state.SkipWithError("did not pass");
}

BENCHMARK(dkim_handler_message)->Arg(0)->Arg(1);

} // namespace
