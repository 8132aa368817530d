// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_ORDER_HPP
#define AUTHMILTER_AUTHRES_ORDER_HPP

#include <authmilter/authres/format.hpp>
#include <authmilter/authres/result.hpp>

#include <algorithm>
#include <compare>
#include <string>
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
template<class SameMethodCompare = no_tie_break>
void
sort_results(std::vector<result>& results, SameMethodCompare same_method = {})
{
    std::vector<std::pair<std::string, result>> keyed;
    keyed.reserve(results.size());
    for(auto& r : results) {
        std::string key = to_string(r);
        keyed.emplace_back(std::move(key), std::move(r));
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](auto const& a, auto const& b) {
        if(a.second.method == b.second.method) {
            auto c = same_method(a.second, b.second);
            if(c != std::weak_ordering::equivalent)
                return c == std::weak_ordering::less;
        }
        return a.first < b.first;
    });
    results.clear();
    for(auto& k : keyed)
        results.push_back(std::move(k.second));
}

} // namespace authmilter::authres

#endif
