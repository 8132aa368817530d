// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_PTR_HPP
#define AUTHMILTER_HANDLERS_PTR_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/domain.hpp>
#include <authmilter/handlers/iprev.hpp>
#include <authmilter/pipeline/handler.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <string>
#include <string_view>

namespace authmilter::handlers {

/** PTR: does the HELO name match a verified reverse name of the client (from IPRev)?
    Connection result `x-ptr=pass smtp.helo=<helo> policy.ptr=<verified names>` or `x-ptr=fail`.
    Only the first HELO of a connection counts; skips local, trusted and authenticated clients.
*/
struct ptr_handler {
    static constexpr std::string_view name = "PTR";
    using after = pipeline::after_list<iprev_handler>;

    struct connection_state {
        bool done = false;
    };

    void on_helo(auto& ctx, pipeline::events::helo const& ev) const
    {
        auto& txn = ctx.txn();
        auto& state = ctx.connection_state();
        if(state.done || txn.trust().skip_checks() || !ctx.template enabled<iprev_handler>())
            return;
        state.done = true;
        auto const& verified = ctx.template connection_result_of<iprev_handler>().outcome.verified_names;
        bool pass = false;
        std::string names;
        for(auto const& n : verified) {
            pass = pass || core::iequals(n, ev.name);
            names += (names.empty() ? "" : ",") + n;
        }
        authres::result r("x-ptr", pass ? "pass" : "fail");
        r.add_property("smtp", "helo", std::string(ev.name));
        r.add_property("policy", "ptr", names);
        ctx.add_connection_result(std::move(r));
    }
};

} // namespace authmilter::handlers

#endif
