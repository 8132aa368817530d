// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_AUTH_HPP
#define AUTHMILTER_HANDLERS_AUTH_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <string>
#include <string_view>

namespace authmilter::handlers {

/** Auth: recognises SMTP AUTH from the MTA's `{auth_authen}` macro at MAIL FROM.

    For an authenticated sender it drops every result collected so far on the connection and the
    message (as the Perl tool does: an authenticated submission is not judged by SPF or iprev),
    sets `trust().authenticated`, and records `auth=pass smtp.auth=<user>` (the Perl tool writes
    `auth=pass`; the RFC 8601 `smtp.auth` property is added so the user is visible).
*/
struct auth_handler {
    static constexpr std::string_view name = "Auth";

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const
    {
        auto& txn = ctx.txn();
        auto const user = txn.macro("{auth_authen}");
        if(!user || user->empty())
            return;
        txn.results().clear();
        txn.connection_results().clear();
        txn.trust().authenticated = true;
        authres::result r("auth", "pass");
        r.add_property("smtp", "auth", std::string(*user));
        ctx.add_result(std::move(r));
    }
};

} // namespace authmilter::handlers

#endif
