// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_SIZE_HPP
#define AUTHMILTER_HANDLERS_SIZE_HPP

#include <authmilter/pipeline/stage.hpp>

#include <cstdint>
#include <string_view>

namespace authmilter::handlers {

/** Size: counts the octets of each message, as the Perl tool's metrics do: header bytes are
    `len("name: value") + 2` per field, body bytes as received. Writes no header; the counts are
    its state, read by the metrics sink.
*/
struct size_handler {
    static constexpr std::string_view name = "Size";

    struct state {
        std::uint64_t header_bytes = 0;
        std::uint64_t body_bytes = 0;
        std::uint32_t header_count = 0;
        std::uint64_t total() const noexcept { return header_bytes + body_bytes; }
    };

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        auto& s = ctx.state();
        // The milter value keeps its leading space; "name: value" counts one separator space.
        std::string_view value = ev.field.raw_value;
        if(value.starts_with(' '))
            value.remove_prefix(1);
        s.header_bytes += ev.field.name.size() + 2 + value.size() + 2;
        ++s.header_count;
    }
    void on_body(auto& ctx, pipeline::events::body const& ev) const
    {
        ctx.state().body_bytes += ev.chunk.size();
    }
};

} // namespace authmilter::handlers

#endif
