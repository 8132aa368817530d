// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_HEADER_EDIT_HPP
#define AUTHMILTER_PIPELINE_HEADER_EDIT_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace authmilter::pipeline {

/// One change to the message header, in the terms the milter protocol offers.
///
/// `index` is 1-based among the fields of the same name for `change` and `remove` (milter
/// SMFIR_CHGHEADER), and 1-based among all fields for `insert` (SMFIR_INSHEADER; 1 = top).
struct header_edit {
    enum class kind : std::uint8_t { add, insert, change, remove };

    kind what = kind::add;
    std::string name;
    std::string value; ///< unused for remove
    std::uint32_t index = 0;

    static header_edit add(std::string name, std::string value)
    {
        return {kind::add, std::move(name), std::move(value), 0};
    }
    static header_edit insert(std::uint32_t index, std::string name, std::string value)
    {
        return {kind::insert, std::move(name), std::move(value), index};
    }
    static header_edit change(std::string name, std::uint32_t index, std::string value)
    {
        return {kind::change, std::move(name), std::move(value), index};
    }
    static header_edit remove(std::string name, std::uint32_t index)
    {
        return {kind::remove, std::move(name), {}, index};
    }

    friend bool operator==(header_edit const&, header_edit const&) = default;
};

constexpr std::string_view
to_string(header_edit::kind k) noexcept
{
    switch(k) {
    case header_edit::kind::add: return "add";
    case header_edit::kind::insert: return "insert";
    case header_edit::kind::change: return "change";
    case header_edit::kind::remove: return "remove";
    }
    return "unknown";
}

} // namespace authmilter::pipeline

#endif
