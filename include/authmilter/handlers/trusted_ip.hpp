// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_TRUSTED_IP_HPP
#define AUTHMILTER_HANDLERS_TRUSTED_IP_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/cidr.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/json/value.hpp>

#include <string_view>
#include <vector>

namespace authmilter::handlers {

/** TrustedIP: marks connections from configured addresses.

    Connection result `x-trusted-ip=pass`; sets `trust().trusted` (checks are skipped and Sanitize
    keeps existing Authentication-Results headers for such clients). Config: `trusted_ip_list`.
*/
struct trusted_ip_handler {
    static constexpr std::string_view name = "TrustedIP";

    std::vector<core::cidr> trusted_ip_list;

    void configure(boost::json::value const& v)
    {
        trusted_ip_list = detail::read_network_list(detail::as_object(v), "trusted_ip_list");
    }

    void on_connect(auto& ctx, pipeline::events::connect const& ev) const
    {
        if(!ev.ip || !detail::contains(trusted_ip_list, *ev.ip))
            return;
        ctx.txn().trust().trusted = true;
        ctx.add_connection_result(authres::result("x-trusted-ip", "pass"));
    }
};

} // namespace authmilter::handlers

#endif
