// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_TREE_WALK_HPP
#define AUTHMILTER_DMARC_TREE_WALK_HPP

#include <authmilter/dmarc/detail/text.hpp>
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc {

/// The DMARC records published at one name.
struct record_lookup {
    enum class outcome : std::uint8_t {
        none,      ///< no DMARC record (NXDOMAIN, NODATA, or only non-DMARC TXT records)
        found,     ///< exactly one DMARC record
        multiple,  ///< several DMARC records: all discarded (RFC 9989 4.10 step 2)
        temporary, ///< the TXT query failed temporarily (SERVFAIL, timeout...)
    };
    outcome status = outcome::none;
    std::optional<record> rec; ///< set when status == found
};

/// Queries `_dmarc.<domain>` (or any other name with `prefixed == false`) and keeps the TXT
/// records that parse as DMARC records.
template<dns::Resolver R>
boost::asio::awaitable<record_lookup>
lookup_record(R& resolver, std::string_view name, parse_options const& opt = {})
{
    record_lookup out;
    // A name over 253 octets cannot exist; asking would only earn a resolver error that reads
    // as a temporary failure.
    if(name.size() > 253 || name.empty())
        co_return out;
    auto const ans = co_await resolver.query(name, dns::rr_type::txt);
    if(dns::is_temporary(ans.status)) {
        out.status = record_lookup::outcome::temporary;
        co_return out;
    }
    if(!ans.ok())
        co_return out;
    std::size_t n = 0;
    for(auto const& txt : ans.txts()) {
        if(auto r = parse_record(txt, opt)) {
            ++n;
            if(n == 1)
                out.rec = std::move(r);
        }
    }
    if(n == 1)
        out.status = record_lookup::outcome::found;
    else if(n > 1) {
        out.status = record_lookup::outcome::multiple;
        out.rec.reset();
    }
    co_return out;
}

/// One record found during a tree walk.
struct found_record {
    std::string domain; ///< the name below `_dmarc`
    record rec;
};

/// What an RFC 9989 4.10 DNS Tree Walk saw.
struct walk_result {
    std::string start;                    ///< the domain the walk started at (normalised)
    std::vector<found_record> records;    ///< in query order: longest name first
    std::vector<std::string> multiple_at; ///< names with several DMARC records (discarded)
    std::vector<std::string> queried;     ///< the names queried (without `_dmarc.`), in order
    bool temporary_failure = false;       ///< a query failed temporarily; the walk stopped there

    /// The record found at exactly `domain`, if any.
    found_record const* at(std::string_view domain) const noexcept
    {
        for(auto const& f : records)
            if(f.domain == domain)
                return &f;
        return nullptr;
    }

    /// The record with psd=y that ended the walk, if any.
    found_record const* psd_record() const noexcept
    {
        for(auto const& f : records)
            if(f.rec.psd == psd_flag::y)
                return &f;
        return nullptr;
    }

    /// The organizational domain by RFC 9989 4.10.2, or nullopt when the walk found no record
    /// ("If this process does not determine the Organizational Domain, then the initial target
    /// domain is the Organizational Domain": see org_domain_or_start()).
    std::optional<std::string> org_domain() const
    {
        if(records.empty())
            return std::nullopt;
        for(auto const& f : records) {
            if(f.rec.psd == psd_flag::n)
                return f.domain;
            if(f.rec.psd == psd_flag::y && f.domain != start) {
                // one label below the PSD, on the path to the start domain
                return std::string(detail::rightmost_labels(start, detail::label_count(f.domain) + 1));
            }
        }
        found_record const* shortest = &records.front();
        for(auto const& f : records)
            if(detail::label_count(f.domain) < detail::label_count(shortest->domain))
                shortest = &f;
        return shortest->domain;
    }

    std::string org_domain_or_start() const
    {
        auto o = org_domain();
        return o ? *o : start;
    }
};

/// The names a tree walk from `domain` queries, in order (RFC 9989 4.10 steps 1-7): the domain
/// itself, then, for 8 or more labels, the 7 right-most labels, then one label less each time
/// down to the top-level label. Never more than 8 names.
inline std::vector<std::string>
tree_walk_targets(std::string_view domain)
{
    std::vector<std::string> out;
    auto const n = detail::label_count(domain);
    if(n == 0)
        return out;
    out.emplace_back(domain);
    std::size_t next = n >= 8 ? 7 : n - 1;
    for(; next >= 1; --next)
        out.emplace_back(detail::rightmost_labels(domain, next));
    return out;
}

/// Performs the RFC 9989 4.10 DNS Tree Walk from `domain` (normalised, A-labels): queries
/// `_dmarc.<name>` for each of tree_walk_targets() and stops at a single record with psd=y or
/// psd=n, at a temporary DNS failure, or after the top-level label. At most 8 queries.
template<dns::Resolver R>
boost::asio::awaitable<walk_result>
tree_walk(R& resolver, std::string_view domain, parse_options const& opt = {})
{
    walk_result out;
    out.start = std::string(domain);
    for(auto const& target : tree_walk_targets(domain)) {
        out.queried.push_back(target);
        std::string const name = "_dmarc." + target; // named: g++ 12 mishandles temporaries in co_await
        auto const look = co_await lookup_record(resolver, name, opt);
        if(look.status == record_lookup::outcome::temporary) {
            out.temporary_failure = true;
            break;
        }
        if(look.status == record_lookup::outcome::multiple) {
            out.multiple_at.push_back(target);
            continue;
        }
        if(look.status != record_lookup::outcome::found)
            continue;
        out.records.push_back({target, *look.rec});
        auto const psd = look.rec->psd_or_default();
        if(psd == psd_flag::y || psd == psd_flag::n)
            break;
    }
    co_return out;
}

} // namespace authmilter::dmarc

#endif
