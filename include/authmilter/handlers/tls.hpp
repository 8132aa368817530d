// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_TLS_HPP
#define AUTHMILTER_HANDLERS_TLS_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <string>
#include <string_view>

namespace authmilter::handlers {

/** TLS: reports the TLS parameters the MTA passes as macros (`{tls_version}`, `{cipher}`,
    `{cipher_bits}`, `{cert_issuer}`) at MAIL FROM: `x-tls=pass smtp.version=TLSv1.3
    smtp.cipher=TLS_AES_256_GCM_SHA384 smtp.bits=256`. Sets `trust().encrypted`.

    Without `{tls_version}` the connection is recorded as not encrypted and nothing is written.
*/
struct tls_handler {
    static constexpr std::string_view name = "TLS";

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const
    {
        auto& txn = ctx.txn();
        auto const version = txn.macro("{tls_version}");
        if(!version || version->empty()) {
            txn.trust().encrypted = false;
            return;
        }
        txn.trust().encrypted = true;
        authres::result r("x-tls", "pass");
        r.add_property("smtp", "version", std::string(*version));
        if(auto const cipher = txn.macro("{cipher}"); cipher && !cipher->empty())
            r.add_property("smtp", "cipher", std::string(*cipher));
        if(auto const bits = txn.macro("{cipher_bits}"); bits && !bits->empty())
            r.add_property("smtp", "bits", std::string(*bits));
        ctx.add_result(std::move(r));
    }
};

} // namespace authmilter::handlers

#endif
