// The shared decoded-key cache: exact-text lookups, bounds, and use from several threads.
#include <authmilter/dkim/key_cache.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace dkim_test;

namespace {

// An entry as the verifier makes it: the record parsed, its key decoded.
std::shared_ptr<dkim::cached_key const>
decode_into(dkim::key_cache& cache, std::string const& record)
{
    dkim::key_record rec;
    BOOST_REQUIRE(dkim::parse_key_record(record, rec) == dkim::error{});
    auto k = dkim::public_key::from_record(rec);
    BOOST_REQUIRE(k.has_value());
    return cache.insert(record, std::move(rec), std::move(*k));
}

// Ed25519 records from distinct seeds: cheap to make many.
std::string
ed_record(int n)
{
    std::string seed(32, 'a');
    seed[0] = static_cast<char>(n & 0xff);
    seed[1] = static_cast<char>((n >> 8) & 0xff);
    return key_record_for(*dkim::private_key::from_ed25519_seed(seed));
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_shared_key_cache)

BOOST_AUTO_TEST_CASE(hit_needs_the_exact_record_text)
{
    dkim::key_cache cache;
    auto const rsa = *dkim::private_key::from_pem(generate_pem("RSA", 1024));
    auto const rec = key_record_for(rsa);
    BOOST_TEST(cache.find(rec) == nullptr);
    auto const made = decode_into(cache, rec);
    auto const hit = cache.find(rec);
    BOOST_REQUIRE(hit != nullptr);
    BOOST_TEST(hit.get() == made.get()); // the same entry, not a copy
    BOOST_TEST(hit->key.bits() == 1024u);
    BOOST_TEST(hit->rec.key_data == rsa.public_key_data());
    // A changed record (here: t=y added) is another entry.
    BOOST_TEST(cache.find(key_record_for(rsa, "t=y; ")) == nullptr);
    BOOST_TEST(cache.find(rec + " ") == nullptr);
    BOOST_TEST(cache.hits() == 1u);
    BOOST_TEST(cache.misses() == 3u);
    // Inserting the same text again keeps the first entry.
    auto const again = decode_into(cache, rec);
    BOOST_TEST(again.get() == made.get());
    BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bounded_oldest_dropped_first)
{
    // Small capacity: one shard, strict FIFO.
    dkim::key_cache small(3);
    for(int i = 0; i < 5; ++i)
        decode_into(small, ed_record(i));
    BOOST_TEST(small.size() == 3u);
    BOOST_TEST(small.find(ed_record(0)) == nullptr);
    BOOST_TEST(small.find(ed_record(1)) == nullptr);
    for(int i = 2; i < 5; ++i)
        BOOST_TEST(small.find(ed_record(i)) != nullptr);
    // Large capacity: sharded, the total still bounded.
    dkim::key_cache big(256);
    for(int i = 0; i < 1000; ++i)
        decode_into(big, ed_record(i));
    BOOST_TEST(big.size() <= 256u);
    BOOST_TEST(big.size() >= 128u); // every shard holds its share
    BOOST_TEST(big.find(ed_record(999)) != nullptr);
}

BOOST_AUTO_TEST_CASE(entries_outlive_eviction)
{
    dkim::key_cache cache(1);
    auto const first = decode_into(cache, ed_record(1));
    decode_into(cache, ed_record(2));
    BOOST_TEST(cache.find(ed_record(1)) == nullptr);
    // A verifier still holding the evicted entry can use it.
    BOOST_TEST(first->key.bits() == 256u);
    BOOST_TEST(first->text == ed_record(1));
}

BOOST_AUTO_TEST_CASE(concurrent_lookups_and_inserts)
{
    // 8 threads share 256 records in a sharded cache of 128: hits (a hot set of 16), misses,
    // inserts and evictions all race. Every entry handed out must be the one asked for.
    std::vector<std::string> records;
    std::vector<std::string> keys;
    for(int i = 0; i < 256; ++i) {
        records.push_back(ed_record(i));
        dkim::key_record rec;
        dkim::parse_key_record(records.back(), rec);
        keys.push_back(rec.key_data);
    }
    dkim::key_cache cache(128);
    std::atomic<int> wrong{0};
    std::atomic<int> found{0};
    std::vector<std::thread> threads;
    for(int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for(int n = 0; n < 4000; ++n) {
                auto const i = static_cast<std::size_t>(n % 3 == 0 ? (n * 7 + t * 13) % 256 : n % 16);
                auto e = cache.find(records[i]);
                if(!e) {
                    dkim::key_record rec;
                    dkim::parse_key_record(records[i], rec);
                    auto k = dkim::public_key::from_record(rec);
                    if(!k) {
                        ++wrong;
                        continue;
                    }
                    e = cache.insert(records[i], std::move(rec), std::move(*k));
                } else {
                    ++found;
                }
                if(e->text != records[i] || e->rec.key_data != keys[i] || e->key.bits() != 256u)
                    ++wrong;
            }
        });
    }
    for(auto& th : threads)
        th.join();
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(cache.size() <= 128u);
    BOOST_TEST(cache.hits() + cache.misses() == 8u * 4000u);
    BOOST_TEST(cache.hits() == static_cast<std::uint64_t>(found.load()));
    BOOST_TEST(found.load() > 0);
}

BOOST_AUTO_TEST_SUITE_END()
