// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_DETAIL_HEADER_HASH_HPP
#define AUTHMILTER_DKIM_DETAIL_HEADER_HASH_HPP

#include <authmilter/core/header_field.hpp>
#include <authmilter/dkim/canonicalization.hpp>
#include <authmilter/dkim/detail/tag_list.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim::detail {

/// The field name without trailing whitespace ("Subject " in "Subject : x").
inline std::string_view
bare_name(std::string_view name) noexcept
{
    while(!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    return name;
}

/// The data RFC 6376 3.7 hashes for the headers, signer and verifier alike: each name of
/// `signed_names` picks the bottom-most not yet used field of that name (RFC 6376 5.4.2; a
/// name listed more often than it occurs contributes nothing), canonicalised, then the
/// signature field itself (`sig_name`, `sig_value` with b= already emptied) without its CRLF.
/// `skip` is the index of the signature field among `headers` when it is one of them.
inline std::string
header_hash_input(canonicalization c, std::vector<std::string> const& signed_names,
                  std::vector<core::header_field> const& headers, std::optional<std::size_t> skip,
                  std::string_view sig_name, std::string_view sig_value)
{
    std::string data;
    std::vector<bool> used(headers.size(), false);
    if(skip)
        used[*skip] = true;
    for(auto const& listed : signed_names) {
        for(std::size_t j = headers.size(); j-- > 0;) {
            if(!used[j] && iequals(bare_name(headers[j].name), listed)) {
                used[j] = true;
                canonicalize_header(c, headers[j].name, headers[j].raw_value, data);
                break;
            }
        }
    }
    canonicalize_header(c, sig_name, sig_value, data);
    data.resize(data.size() - 2);
    return data;
}

} // namespace authmilter::dkim::detail

#endif
