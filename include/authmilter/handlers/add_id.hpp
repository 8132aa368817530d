// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_ADD_ID_HPP
#define AUTHMILTER_HANDLERS_ADD_ID_HPP

#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <string_view>

namespace authmilter::handlers {

/// AddID: appends `X-Authentication-Milter: Header added by Authentication Milter`, as the Perl
/// tool's example handler does; useful to see that mail went through the filter.
struct add_id_handler {
    static constexpr std::string_view name = "AddID";

    void on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        ctx.add_edit(
            pipeline::header_edit::add("X-Authentication-Milter", "Header added by Authentication Milter"));
    }
};

} // namespace authmilter::handlers

#endif
