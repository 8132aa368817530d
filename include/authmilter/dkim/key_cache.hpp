// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_KEY_CACHE_HPP
#define AUTHMILTER_DKIM_KEY_CACHE_HPP

#include <authmilter/dkim/crypto.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace authmilter::dkim {

/// Decoded public keys by key record text, shared by the verifiers of one thread.
///
/// Why: OpenSSL 3 decodes a DER RSA key through its decoder framework, about 0.2 ms per key on
/// the build machine, more than the RSA verification itself. The DNS answer is cached by the
/// resolver; this caches what is made of it. Keyed by the record's text, so a changed record is
/// a different entry. Not thread-safe: one cache per thread (or per io_context), no lock on the
/// hot path. Oldest entries are dropped first beyond `capacity`.
class key_cache {
public:
    explicit key_cache(std::size_t capacity = 1024)
        : capacity_(capacity == 0 ? 1 : capacity)
    {}

    /// The key made from `record`, if cached (a copy sharing the OpenSSL key).
    std::optional<public_key> find(std::string_view record) const
    {
        auto const it = map_.find(std::string(record));
        if(it == map_.end())
            return std::nullopt;
        return it->second;
    }

    /// Remembers the key made from `record`.
    void insert(std::string_view record, public_key const& key)
    {
        std::string k(record);
        if(map_.count(k) != 0)
            return;
        while(map_.size() >= capacity_) {
            map_.erase(order_.front());
            order_.pop_front();
        }
        order_.push_back(k);
        map_.emplace(std::move(k), key);
    }

    std::size_t size() const noexcept { return map_.size(); }

private:
    std::size_t capacity_;
    std::unordered_map<std::string, public_key> map_;
    std::deque<std::string> order_;
};

} // namespace authmilter::dkim

#endif
