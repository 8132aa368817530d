// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_ZONE_RESOLVER_HPP
#define AUTHMILTER_DNS_ZONE_RESOLVER_HPP

#include <authmilter/dns/answer.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dns {

/// A Resolver answering from an in-memory zone: for unit and conformance tests and offline checks.
///
/// A name present with no record of the asked type answers NODATA; an absent name NXDOMAIN.
/// CNAMEs are followed (at most 8 deep; a loop answers servfail). A fault registered with
/// add_fault() answers that outcome for that name and type. Not thread-safe for writes; queries
/// only read.
class zone_resolver {
public:
    zone_resolver() = default;

    /// Adds one record. The owner name is lower-cased and loses a trailing dot.
    void add(record r)
    {
        r.name = normalize(r.name);
        auto& node = nodes_[r.name];
        node.push_back(std::move(r));
    }

    /// Makes queries for `name`/`type` answer `o` (servfail, timeout, nxdomain, refused...).
    void add_fault(std::string_view name, rr_type type, outcome o)
    {
        auto const n = normalize(name);
        faults_[{n, type}] = o;
        nodes_[n]; // the name exists for other types
    }

    /// Convenience for tests: add an A/AAAA record from text, a TXT from one string.
    void add_address(std::string_view name, std::string_view ip, std::uint32_t ttl = 300);
    void add_txt(std::string_view name, std::string txt, std::uint32_t ttl = 300);

    /// The TTL of NXDOMAIN and NODATA answers (RFC 2308: the SOA's minimum, capped by the SOA's
    /// own TTL). Zero, the default, means negative answers are not to be cached.
    void set_negative_ttl(std::uint32_t ttl) noexcept { negative_ttl_ = ttl; }
    std::uint32_t negative_ttl() const noexcept { return negative_ttl_; }

    /// Number of queries answered so far (tests count lookups with it).
    std::size_t query_count() const noexcept { return queries_; }

    /// Answers immediately (never suspends).
    boost::asio::awaitable<answer> query(std::string_view name, rr_type type)
    {
        co_return lookup(name, type);
    }

    /// The synchronous core of query().
    answer lookup(std::string_view name, rr_type type);

    /// Lower-case ASCII and strip one trailing dot.
    static std::string normalize(std::string_view name)
    {
        std::string out(name);
        if(!out.empty() && out.back() == '.')
            out.pop_back();
        for(auto& c : out)
            if(c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        return out;
    }

private:
    static bool is_negative(outcome o) noexcept { return o == outcome::nxdomain || o == outcome::nodata; }

    std::map<std::string, std::vector<record>, std::less<>> nodes_;
    std::map<std::pair<std::string, rr_type>, outcome> faults_;
    std::size_t queries_ = 0;
    std::uint32_t negative_ttl_ = 0;
};

inline void
zone_resolver::add_address(std::string_view name, std::string_view ip, std::uint32_t ttl)
{
    auto const a = core::ip_address::parse(ip);
    if(!a)
        return;
    add(record{std::string(name), a->is_v4() ? rr_type::a : rr_type::aaaa, ttl, *a});
}

inline void
zone_resolver::add_txt(std::string_view name, std::string txt, std::uint32_t ttl)
{
    add(record{std::string(name), rr_type::txt, ttl, txt_data{{std::move(txt)}}});
}

inline answer
zone_resolver::lookup(std::string_view name, rr_type type)
{
    ++queries_;
    std::string current = normalize(name);
    for(int depth = 0; depth < 9; ++depth) {
        if(auto f = faults_.find({current, type}); f != faults_.end())
            return answer{f->second, {}, is_negative(f->second) ? negative_ttl_ : 0};
        auto const node = nodes_.find(current);
        if(node == nodes_.end())
            return answer{outcome::nxdomain, {}, negative_ttl_};
        answer out{outcome::nodata, {}, negative_ttl_};
        std::string const* cname = nullptr;
        for(auto const& r : node->second) {
            if(r.type == type)
                out.records.push_back(r);
            else if(r.type == rr_type::cname && type != rr_type::cname)
                cname = std::get_if<std::string>(&r.data);
        }
        if(!out.records.empty()) {
            out.status = outcome::noerror;
            out.ttl = out.records.front().ttl;
            for(auto const& r : out.records)
                out.ttl = r.ttl < out.ttl ? r.ttl : out.ttl;
            return out;
        }
        if(cname == nullptr)
            return out;
        current = normalize(*cname);
    }
    return answer{outcome::servfail, {}, 0}; // CNAME chain too long or looping
}

} // namespace authmilter::dns

#endif
