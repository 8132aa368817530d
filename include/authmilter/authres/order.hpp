// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_ORDER_HPP
#define AUTHMILTER_AUTHRES_ORDER_HPP

#include <authmilter/authres/format.hpp>
#include <authmilter/authres/result.hpp>

#include <algorithm>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::authres {

/// The default tie-break of `sort_results`: no opinion, so the string order decides.
struct no_tie_break {
    std::weak_ordering operator()(result const&, result const&) const noexcept
    {
        return std::weak_ordering::equivalent;
    }
};

/** Orders results as Authentication Milter does before writing a header.

    The Perl tool sorts the entries of a header by their string form (`Entry->as_string`, see
    `to_string(result const&)`), compared octet by octet (Perl `cmp`), so that `arc` < `dkim-adsp` <
    `dkim` < `dmarc` < `iprev` < `spf` < `x-...`. Two results with the same method are first given to
    `same_method` (a callable `(result const&, result const&) -> std::weak_ordering`), the way the Perl
    tool lets the owning handler sort its own entries (only DMARC does: fail < none < pass, then by
    applied disposition); when it answers `equivalent`, the string order decides. The sort is stable.
*/
namespace detail {

/// True when `m` is written as is, so that the string form of a result starts with `m` followed
/// by `=` or `/`: lower-case letters, digits and `-`, and not `none` (which the writer quotes).
inline bool
plain_method(std::string_view m) noexcept
{
    if(m.empty() || m == "none")
        return false;
    for(char c : m)
        if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    return true;
}

} // namespace detail

template<class SameMethodCompare = no_tie_break>
void
sort_results(std::vector<result>& results, SameMethodCompare same_method = {})
{
    // The string forms are made only where the methods alone cannot decide: a typical header
    // (dkim, dmarc, iprev, spf, x-ptr) is sorted without formatting any entry twice.
    struct keyed {
        result r;
        bool plain;
        mutable std::optional<std::string> key;
        std::string const& full() const
        {
            if(!key)
                key = to_string(r);
            return *key;
        }
    };
    std::vector<keyed> items;
    items.reserve(results.size());
    for(auto& r : results) {
        bool const plain = detail::plain_method(r.method);
        items.push_back(keyed{std::move(r), plain, std::nullopt});
    }
    std::stable_sort(items.begin(), items.end(), [&](keyed const& a, keyed const& b) {
        std::string_view const ma = a.r.method, mb = b.r.method;
        if(ma == mb) {
            auto c = same_method(a.r, b.r);
            if(c != std::weak_ordering::equivalent)
                return c == std::weak_ordering::less;
        } else if(a.plain && b.plain && !ma.starts_with(mb) && !mb.starts_with(ma)) {
            return ma < mb; // both strings start with their method: the first difference is in it
        }
        return a.full() < b.full();
    });
    results.clear();
    for(auto& k : items)
        results.push_back(std::move(k.r));
}

} // namespace authmilter::authres

#endif
