// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_KEY_CACHE_HPP
#define AUTHMILTER_DKIM_KEY_CACHE_HPP

#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/key_record.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace authmilter::dkim {

/// A key record as the verifier uses it: the parsed record and the OpenSSL key made from it.
struct cached_key {
    std::string text; ///< the record text it was made from (compared on every hit)
    key_record rec;
    public_key key;
};

/// Decoded public keys by key record text, shared by every verifier of a process.
///
/// Why: OpenSSL 3 decodes a DER RSA key through its decoder framework, about 0.25 ms per
/// RSA-2048 key on the build machine, more than the RSA verification itself. The resolver
/// caches the DNS answer; this caches what is made of it (the parsed record too, so a hit skips
/// the tag-list parse and the base64 decoding of `p=`).
///
/// Thread-safe: the map is split in lock-striped shards chosen by the hash of the record text,
/// so verifiers running on several threads (Asio strands hop threads) rarely wait for each
/// other. A lookup hashes the text, takes one shard's mutex, compares the stored text and
/// copies a `shared_ptr`; no string is copied. Keyed by the whole text: a changed or revoked
/// record is a different entry and never answered from an old one. Bounded: beyond its share
/// of `capacity` a shard drops its oldest entry.
class key_cache {
public:
    /// Holds at most `capacity` keys (at least 1).
    explicit key_cache(std::size_t capacity = 1024)
        : shard_count_(capacity >= 8 * max_shards ? max_shards : 1)
        , per_shard_(std::max<std::size_t>(1, capacity / shard_count_))
    {}

    key_cache(key_cache const&) = delete;
    key_cache& operator=(key_cache const&) = delete;

    /// The entry made from exactly `record`, or nullptr. Counts a hit or a miss.
    std::shared_ptr<cached_key const> find(std::string_view record) const
    {
        auto const h = hash(record);
        auto& s = shard_of(h);
        std::lock_guard lock(s.mutex);
        auto const it = s.map.find(h);
        if(it == s.map.end() || it->second->text != record) {
            ++s.misses;
            return nullptr;
        }
        ++s.hits;
        return it->second;
    }

    /// Remembers `rec` and `key`, made from `record`; returns the entry now cached for it (an
    /// existing entry for the same text wins, so concurrent decoders agree on one key).
    std::shared_ptr<cached_key const> insert(std::string_view record, key_record rec, public_key key)
    {
        auto const h = hash(record);
        auto& s = shard_of(h);
        auto entry = std::make_shared<cached_key const>(
            cached_key{std::string(record), std::move(rec), std::move(key)});
        std::lock_guard lock(s.mutex);
        auto const it = s.map.find(h);
        if(it != s.map.end()) {
            // Same hash: the same record (keep the first), or a collision (the newer wins; the
            // FIFO position stays, an entry is dropped at most once).
            if(it->second->text == record)
                return it->second;
            it->second = entry;
            return entry;
        }
        while(s.map.size() >= per_shard_) {
            s.map.erase(s.order.front());
            s.order.pop_front();
        }
        s.order.push_back(h);
        s.map.emplace(h, entry);
        return entry;
    }

    /// Number of cached keys.
    std::size_t size() const
    {
        std::size_t n = 0;
        for(std::size_t i = 0; i < shard_count_; ++i) {
            std::lock_guard lock(shards_[i].mutex);
            n += shards_[i].map.size();
        }
        return n;
    }

    /// Lookups answered from the cache since construction.
    std::uint64_t hits() const { return sum(&shard::hits); }

    /// Lookups not answered (each one led to a key decoding, unless the record was bad).
    std::uint64_t misses() const { return sum(&shard::misses); }

private:
    static constexpr std::size_t max_shards = 16;

    struct alignas(64) shard { // own cache lines: no false sharing between shards' mutexes
        mutable std::mutex mutex;
        std::unordered_map<std::uint64_t, std::shared_ptr<cached_key const>> map;
        std::deque<std::uint64_t> order; // insertion order, oldest first
        mutable std::uint64_t hits = 0;
        mutable std::uint64_t misses = 0;
    };

    static std::uint64_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

    shard& shard_of(std::uint64_t h) const noexcept { return shards_[(h >> 59) % shard_count_]; }

    std::uint64_t sum(std::uint64_t shard::*field) const
    {
        std::uint64_t n = 0;
        for(std::size_t i = 0; i < shard_count_; ++i) {
            std::lock_guard lock(shards_[i].mutex);
            n += shards_[i].*field;
        }
        return n;
    }

    std::size_t shard_count_;
    std::size_t per_shard_;
    mutable std::array<shard, max_shards> shards_;
};

} // namespace authmilter::dkim

#endif
