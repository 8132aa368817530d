// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_BODY_HASH_HPP
#define AUTHMILTER_DKIM_BODY_HASH_HPP

#include <authmilter/dkim/canonicalization.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/signature.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim {

/// The body hashes a message needs, computed in one streaming pass.
///
/// Each distinct (canonicalisation, hash, l=) among the signatures gets one hash; hashes that
/// share a canonicalisation share one canonicaliser, so a message with three relaxed/sha256
/// signatures canonicalises and hashes its body once. Register every hash with add() before the
/// first update().
class body_hash_set {
public:
    body_hash_set() = default;
    // The canonicalisers' sinks point back at this object.
    body_hash_set(body_hash_set const&) = delete;
    body_hash_set& operator=(body_hash_set const&) = delete;

    /// Registers a body hash and returns its handle (the same handle for the same triple).
    std::size_t add(canonicalization c, hash_algorithm h, std::optional<std::uint64_t> limit)
    {
        for(std::size_t i = 0; i < entries_.size(); ++i)
            if(entries_[i].canon == c && entries_[i].hash == h && entries_[i].limit == limit)
                return i;
        auto& group = group_for(c);
        entries_.push_back(entry{c, h, limit, digest(h), 0, {}});
        group.members.push_back(entries_.size() - 1);
        return entries_.size() - 1;
    }

    /// Feeds one chunk of the body (any size, CRLF or LF line ends).
    void update(std::string_view chunk)
    {
        for(auto& g : groups_)
            g->canon.update(chunk);
    }

    /// Ends the body; the hashes are then available.
    void finish()
    {
        if(finished_)
            return;
        finished_ = true;
        for(auto& g : groups_)
            g->canon.finish();
        for(auto& e : entries_)
            e.value = e.md.final();
    }

    /// The body hash of handle `i` (after finish()).
    std::string const& value(std::size_t i) const noexcept { return entries_[i].value; }

    /// How many canonical octets handle `i` hashed (at most its l=).
    std::uint64_t hashed(std::size_t i) const noexcept { return entries_[i].fed; }

    /// The canonical body length of the canonicalisation of handle `i`.
    std::uint64_t canonical_length(std::size_t i) const noexcept
    {
        for(auto const& g : groups_)
            if(g->c == entries_[i].canon)
                return g->total;
        return 0;
    }

private:
    struct entry {
        canonicalization canon;
        hash_algorithm hash;
        std::optional<std::uint64_t> limit;
        digest md;
        std::uint64_t fed;
        std::string value;
    };

    struct group;
    struct fan_out {
        body_hash_set* self;
        group* owner;
        void operator()(std::string_view s) const;
    };

    struct group {
        group(canonicalization cc, body_hash_set* self)
            : c(cc)
            , canon(cc, fan_out{self, this})
        {}
        canonicalization c;
        std::vector<std::size_t> members;
        std::uint64_t total = 0;
        body_canonicalizer<fan_out> canon;
    };

    group& group_for(canonicalization c)
    {
        for(auto& g : groups_)
            if(g->c == c)
                return *g;
        groups_.push_back(std::make_unique<group>(c, this));
        return *groups_.back();
    }

    void feed(group& g, std::string_view s)
    {
        g.total += s.size();
        for(auto const i : g.members) {
            auto& e = entries_[i];
            auto part = s;
            if(e.limit) {
                if(e.fed >= *e.limit)
                    continue;
                if(part.size() > *e.limit - e.fed)
                    part = part.substr(0, static_cast<std::size_t>(*e.limit - e.fed));
            }
            e.md.update(part);
            e.fed += part.size();
        }
    }

    // Groups are heap-allocated: the canonicaliser's sink points back at its group.
    std::vector<std::unique_ptr<group>> groups_;
    std::vector<entry> entries_;
    bool finished_ = false;
};

inline void
body_hash_set::fan_out::operator()(std::string_view s) const
{
    self->feed(*owner, s);
}

} // namespace authmilter::dkim

#endif
