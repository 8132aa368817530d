// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_APPLY_EDITS_HPP
#define AUTHMILTER_PIPELINE_APPLY_EDITS_HPP

#include <authmilter/core/header_field.hpp>
#include <authmilter/pipeline/header_edit.hpp>

#include <string>
#include <vector>

namespace authmilter::pipeline {

/** Applies header edits to a header list the way a milter MTA does, in order:
    `insert` at a 1-based position among all fields (1 = top; past the end = append), `add` at the
    bottom, `change`/`remove` on the index-th field of that name (1-based, case-insensitive), a
    change to an empty value removing it. Edits naming a missing field are ignored, as MTAs do.

    Edit values are stored without the leading space; here one space is put back after the colon.
    Used by the SMTP front-end on the relayed copy and by the offline check mode.
*/
inline void
apply_edits(std::vector<core::header_field>& headers, std::vector<header_edit> const& edits)
{
    for(auto const& e : edits) {
        switch(e.what) {
        case header_edit::kind::insert: {
            auto const pos = e.index == 0 ? 0 : e.index - 1;
            auto const at =
                pos >= headers.size() ? headers.end() : headers.begin() + static_cast<std::ptrdiff_t>(pos);
            headers.insert(at, core::header_field{e.name, " " + e.value});
            break;
        }
        case header_edit::kind::add: headers.push_back(core::header_field{e.name, " " + e.value}); break;
        case header_edit::kind::change:
        case header_edit::kind::remove: {
            std::uint32_t seen = 0;
            for(auto it = headers.begin(); it != headers.end(); ++it) {
                if(!it->is(e.name) || ++seen != (e.index == 0 ? 1 : e.index))
                    continue;
                if(e.what == header_edit::kind::remove || e.value.empty())
                    headers.erase(it);
                else
                    it->raw_value = " " + e.value;
                break;
            }
            break;
        }
        }
    }
}

/// Writes header fields back as message text, each `name:raw_value` with CRLF; line ends inside
/// values (folding) become CRLF too.
inline std::string
serialize_headers(std::vector<core::header_field> const& headers)
{
    std::string out;
    for(auto const& h : headers) {
        out += h.name;
        out += ':';
        for(std::size_t i = 0; i < h.raw_value.size(); ++i) {
            char const c = h.raw_value[i];
            if(c == '\r')
                continue;
            if(c == '\n')
                out += "\r\n";
            else
                out += c;
        }
        out += "\r\n";
    }
    return out;
}

} // namespace authmilter::pipeline

#endif
