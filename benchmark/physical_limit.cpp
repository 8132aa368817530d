// physical_limit: the cost no DKIM verifier can avoid on a corpus, measured with OpenSSL alone:
// per message, SHA-256 over the body and over ~1 KB of header, plus one bare signature verify
// per signature (RSA PKCS#1 v1.5 or Ed25519, key already parsed). Also reports what parsing a
// key record's DER costs, since a verifier pays it per message unless keys are cached parsed.
// Times are CPU time of the measuring thread.
// Usage: physical_limit CORPUSDIR [--rounds N]
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace {

/// This thread's CPU time: the machine is shared, so wall time would measure the neighbours.
struct clock_type {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<clock_type, duration>;
    static time_point now() noexcept
    {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(duration(std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec));
    }
};

struct key_set {
    EVP_PKEY* key = nullptr;
    std::string der;
    std::string sig;
    bool ed = false;
};

unsigned char const digest32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

key_set
make(char const* type, unsigned bits)
{
    key_set k;
    k.ed = std::string(type) == "ED25519";
    k.key = k.ed ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{bits});
    unsigned char* der = nullptr;
    int const n = i2d_PUBKEY(k.key, &der);
    k.der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    std::size_t len = 0;
    if(k.ed) {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        EVP_DigestSignInit(c, nullptr, nullptr, nullptr, k.key);
        EVP_DigestSign(c, nullptr, &len, digest32, 32);
        k.sig.resize(len);
        EVP_DigestSign(c, reinterpret_cast<unsigned char*>(k.sig.data()), &len, digest32, 32);
        EVP_MD_CTX_free(c);
    } else {
        EVP_PKEY_CTX* c = EVP_PKEY_CTX_new(k.key, nullptr);
        EVP_PKEY_sign_init(c);
        EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
        EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
        EVP_PKEY_sign(c, nullptr, &len, digest32, 32);
        k.sig.resize(len);
        EVP_PKEY_sign(c, reinterpret_cast<unsigned char*>(k.sig.data()), &len, digest32, 32);
        EVP_PKEY_CTX_free(c);
    }
    return k;
}

bool
verify(key_set const& k)
{
    auto const* sig = reinterpret_cast<unsigned char const*>(k.sig.data());
    if(k.ed) {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        EVP_DigestVerifyInit(c, nullptr, nullptr, nullptr, k.key);
        int const ok = EVP_DigestVerify(c, sig, k.sig.size(), digest32, 32);
        EVP_MD_CTX_free(c);
        return ok == 1;
    }
    EVP_PKEY_CTX* c = EVP_PKEY_CTX_new(k.key, nullptr);
    EVP_PKEY_verify_init(c);
    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
    int const ok = EVP_PKEY_verify(c, sig, k.sig.size(), digest32, 32);
    EVP_PKEY_CTX_free(c);
    return ok == 1;
}

void
sha256(std::string_view data, EVP_MD_CTX* c)
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_DigestInit_ex(c, EVP_sha256(), nullptr);
    EVP_DigestUpdate(c, data.data(), data.size());
    EVP_DigestFinal_ex(c, md, &len);
}

template<class F>
double
time_us(F f, int n)
{
    auto const t0 = clock_type::now();
    for(int i = 0; i < n; ++i)
        f();
    return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
}

} // namespace

int
main(int argc, char** argv)
{
    if(argc < 2) {
        std::cerr << "usage: physical_limit CORPUSDIR [--rounds N]\n";
        return 2;
    }
    std::filesystem::path const dir = argv[1];
    int rounds = 3;
    if(argc >= 4 && std::string(argv[2]) == "--rounds")
        rounds = std::stoi(argv[3]);
    auto const rsa2048 = make("RSA", 2048), rsa1024 = make("RSA", 1024), ed = make("ED25519", 0);
    bool ok = verify(rsa2048) && verify(rsa1024) && verify(ed);
    std::printf("bare verify: rsa-2048 %.1f us, rsa-1024 %.1f us, ed25519 %.1f us\n",
                time_us([&] { ok &= verify(rsa2048); }, 2000), time_us([&] { ok &= verify(rsa1024); }, 2000),
                time_us([&] { ok &= verify(ed); }, 2000));
    std::printf("key DER parse (d2i_PUBKEY): rsa-2048 %.1f us, ed25519 %.1f us\n",
                time_us(
                    [&] {
                        auto const* p = reinterpret_cast<unsigned char const*>(rsa2048.der.data());
                        EVP_PKEY_free(d2i_PUBKEY(nullptr, &p, static_cast<long>(rsa2048.der.size())));
                    },
                    1000),
                time_us(
                    [&] {
                        auto const* p = reinterpret_cast<unsigned char const*>(ed.der.data());
                        EVP_PKEY_free(d2i_PUBKEY(nullptr, &p, static_cast<long>(ed.der.size())));
                    },
                    1000));

    // The corpus: body and header of each message, and which signatures it carries.
    struct item {
        std::string header, body;
        std::vector<key_set const*> sigs;
    };
    std::vector<item> items;
    std::ifstream index(dir / "index.tsv");
    for(std::string line; std::getline(index, line);) {
        std::vector<std::string> col;
        std::stringstream ss(line);
        for(std::string c; std::getline(ss, c, '\t');)
            col.push_back(c);
        if(col.size() < 7)
            continue;
        std::ifstream f(dir / col[0], std::ios::binary);
        std::string const text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        auto const split = text.find("\r\n\r\n");
        item it{text.substr(0, split), split == std::string::npos ? "" : text.substr(split + 4), {}};
        std::stringstream kinds(col[6]);
        for(std::string k; std::getline(kinds, k, '+');) {
            if(k == "rsa2048")
                it.sigs.push_back(&rsa2048);
            else if(k == "rsa1024")
                it.sigs.push_back(&rsa1024);
            else if(k == "ed25519")
                it.sigs.push_back(&ed);
        }
        items.push_back(std::move(it));
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::size_t bytes = 0;
    auto const t0 = clock_type::now();
    for(int r = 0; r < rounds; ++r)
        for(auto const& it : items) {
            sha256(it.body, md);
            for(auto const* k : it.sigs) {
                sha256(it.header.substr(0, std::min<std::size_t>(it.header.size(), 1024)), md);
                ok &= verify(*k);
            }
            bytes += it.body.size();
        }
    double const us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() /
                      static_cast<double>(rounds * items.size());
    EVP_MD_CTX_free(md);
    std::printf("RESULT label=physical_limit messages=%zu avg_body_bytes=%zu us_per_msg=%.1f "
                "msgs_per_s_one_core=%.0f msgs_per_s_two_cores=%.0f cpu_s_per_1000=%.3f\n",
                items.size(), items.empty() ? 0 : bytes / (rounds * items.size()), us, 1e6 / us, 2e6 / us,
                us / 1000.0);
    return ok ? 0 : 1;
}
