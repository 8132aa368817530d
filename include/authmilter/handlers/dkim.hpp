// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_DKIM_HPP
#define AUTHMILTER_HANDLERS_DKIM_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/authres/sanitize.hpp>
#include <authmilter/dkim/key_cache.hpp>
#include <authmilter/dkim/result.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/deferred.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::handlers {

/** DKIM: verifies every DKIM-Signature of the message (RFC 6376, RFC 8301, RFC 8463) and writes
    one Authentication-Results entry per signature, in the Perl tool's format:

    @code
    dkim=pass (1024-bit rsa key sha256) header.d=example.net header.i=@example.net
        header.b=DU/QdEi3 header.a=rsa-sha256 header.s=sel
    dkim=fail (body has been altered, 2048-bit rsa key sha256) header.d=... (same properties)
    dkim=temperror (dns timeout, rsa key sha256) header.d=... (same properties)
    dkim=none (no signatures found)
    @endcode

    Stages: envfrom (reset), header (each field goes to the verifier; the key lookups it asks for
    are remembered), eoh (`dkim=none` for an unsigned message), body (streamed, never kept), eom
    (the key lookups are awaited, the signatures evaluated, the entries written). Not skipped for
    local, trusted or authenticated clients: a signature is a fact about the message, whoever
    relays it.

    What DMARC and the other handlers read, `state`:
    - `signatures`: one `dkim::signature_result` per DKIM-Signature field, in header order, filled
      at eom: `domain` (d=), `selector` (s=), `identity` (i=), `res` (the RFC 8601 word through
      `dkim::to_string(res)`: pass, fail, neutral, policy, temperror, permerror), `passed()`,
      `reason` and the key facts. Empty for an unsigned message.
    - `best`: the best result over them (`dkim::result::none` when unsigned).
    - `done`: eom has run (the list is final).
    - `passing_domains()`: the d= of every passing signature (the Perl tool's `valid_domains`).

    Configuration (the Perl tool's keys and defaults): `hide_none` 0 (no `dkim=none` entry),
    `hide_domainkeys` 0, `check_adsp` 1, `show_default_adsp` 0, `adsp_hide_none` 0 (accepted, no
    effect: DomainKeys and ADSP are historic, see doc/handlers.md), `extra_properties` 0 (adds
    `x-bits=<key bits>`), `no_strict` 0 (1: accept rsa-sha1 and RSA keys from 512 bits, as
    Mail::DKIM does; 0: RFC 8301), `max_signatures` 10 (signatures verified per message; the
    rest are `policy`).

    Decoded keys are shared by every message of every thread through `keys` (a lock-striped
    `dkim::key_cache`, copied handlers share it): turning an RSA key record into an OpenSSL key
    costs more than verifying with it.
*/
struct dkim_handler {
    static constexpr std::string_view name = "DKIM";

    static constexpr std::string_view help =
        "DKIM: verifies DKIM-Signature fields (RFC 6376, RFC 8301, RFC 8463) and adds one\n"
        "  dkim=<result> (<detail, ><bits>-bit <type> key <hash>) header.d= header.i= header.b= header.a= "
        "header.s=\n"
        "entry per signature, or dkim=none (no signatures found).\n"
        "  hide_none          1: no entry for an unsigned message\n"
        "  extra_properties   1: add x-bits=<key size>\n"
        "  no_strict          1: accept rsa-sha1 and RSA keys under 1024 bits (RFC 8301 forbids both)\n"
        "  max_signatures     signatures verified per message (10); later ones are dkim=policy\n"
        "  hide_domainkeys, check_adsp, show_default_adsp, adsp_hide_none: accepted, no effect\n"
        "    (DomainKeys and ADSP are historic)\n";

    static constexpr std::string_view default_config =
        R"({"hide_none":0,"hide_domainkeys":0,"check_adsp":1,"show_default_adsp":0,"adsp_hide_none":0,)"
        R"("extra_properties":0,"no_strict":0,"max_signatures":10})";

    bool hide_none = false;
    bool hide_domainkeys = false;   ///< accepted for compatibility; DomainKeys are not verified
    bool check_adsp = true;         ///< accepted for compatibility; ADSP is not checked
    bool show_default_adsp = false; ///< accepted for compatibility
    bool adsp_hide_none = false;    ///< accepted for compatibility
    bool extra_properties = false;
    bool no_strict = false;

    /// Decoded keys, shared across messages and threads (and by copies of this handler). Every
    /// message's verifier uses it (whatever `verify.keys` says); nullptr: no caching.
    std::shared_ptr<dkim::key_cache> keys = std::make_shared<dkim::key_cache>(1024);

    /// The verifier's policy, derived from `no_strict` by configure(). Public so that a program
    /// (or a test replaying an old message) can set what the JSON does not carry, e.g. `now`.
    dkim::verify_options verify;

    /// The A-R method written ("dkim"; "x-google-dkim" for xgoogle_dkim_handler).
    std::string_view method = "dkim";

    struct state {
        std::optional<dkim::verifier> verifier;            ///< made at the first header (or envfrom)
        std::vector<std::string> pending;                  ///< key lookups asked for, not yet answered
        pipeline::deferred<std::vector<dns::answer>> keys; ///< those lookups, started at end of headers
        std::vector<dkim::signature_result> signatures;    ///< per DKIM-Signature, header order (at eom)
        dkim::result best = dkim::result::none;            ///< best of `signatures`
        bool done = false;                                 ///< eom has evaluated the signatures

        /// The d= of every signature that passed, in header order, without duplicates.
        std::vector<std::string> passing_domains() const
        {
            std::vector<std::string> out;
            for(auto const& s : signatures) {
                if(!s.passed())
                    continue;
                bool seen = false;
                for(auto const& d : out)
                    seen = seen || d == s.domain;
                if(!seen)
                    out.push_back(s.domain);
            }
            return out;
        }
    };

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        hide_none = detail::read_flag(o, "hide_none", false);
        hide_domainkeys = detail::read_flag(o, "hide_domainkeys", false);
        check_adsp = detail::read_flag(o, "check_adsp", true);
        show_default_adsp = detail::read_flag(o, "show_default_adsp", false);
        adsp_hide_none = detail::read_flag(o, "adsp_hide_none", false);
        extra_properties = detail::read_flag(o, "extra_properties", false);
        no_strict = detail::read_flag(o, "no_strict", false);
        verify.allow_sha1 = no_strict;
        verify.min_rsa_bits = no_strict ? 512 : 1024;
        verify.max_signatures = read_max_signatures(o);
    }

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const
    {
        auto& s = ctx.state();
        s = state{};
        start(s);
    }

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        auto& s = ctx.state();
        if(!s.verifier)
            start(s);
        if(auto q = s.verifier->on_header(ev.field))
            s.pending.push_back(std::move(q->name));
    }

    boost::asio::awaitable<void> on_eoh(auto& ctx, pipeline::events::eoh const&) const
    {
        auto& s = ctx.state();
        if(!s.verifier || s.verifier->signature_count() == 0) {
            if(!hide_none)
                ctx.add_result(no_signatures_entry("none"));
            co_return;
        }
        // DESIGN 3: the key lookups start now and are awaited at end of message, so DNS time
        // overlaps the body transfer.
        if(!s.pending.empty())
            s.keys.start(co_await boost::asio::this_coro::executor, fetch(ctx.resolver(), s.pending));
    }

    void on_body(auto& ctx, pipeline::events::body const& ev) const
    {
        auto& s = ctx.state();
        if(s.verifier && s.verifier->signature_count() != 0)
            s.verifier->on_body(ev.chunk);
    }

    boost::asio::awaitable<void> on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        auto& s = ctx.state();
        if(!s.verifier || s.verifier->signature_count() == 0)
            co_return; // eoh wrote dkim=none
        // Every key at once: a message signed by the author and by one or two relays costs one
        // round trip, not one per key (the caching resolver coalesces repeated names).
        // Plain statements: g++ 12 miscompiles co_await inside a conditional expression.
        std::vector<dns::answer> answers;
        if(s.keys.started())
            answers = co_await s.keys.get();
        else
            answers = co_await query_all(ctx.resolver(), s.pending);
        s.keys.reset();
        for(std::size_t i = 0; i < s.pending.size(); ++i)
            s.verifier->on_key(s.pending[i], std::move(answers[i]));
        s.pending.clear();
        s.signatures = s.verifier->finish();
        s.best = dkim::best_result(s.signatures);
        s.done = true;
        for(auto const& sig : s.signatures) {
            if(hide_none && sig.res == dkim::result::none)
                continue;
            ctx.add_result(entry_for(sig));
        }
    }

    /// The A-R entry of one signature, as the Perl tool writes it.
    authres::result entry_for(dkim::signature_result const& sig) const
    {
        authres::result r(std::string(method), std::string(dkim::to_string(sig.res)));
        auto comment = comment_for(sig);
        if(is_google() && sig.algo) {
            // The Perl tool's x-google-dkim entry has no hash in its comment ("2048-bit rsa
            // key") and no header.a / header.s.
            auto const hash = " " + std::string(dkim::to_string(dkim::hash_of(*sig.algo)));
            if(comment.ends_with(hash))
                comment.resize(comment.size() - hash.size());
        }
        r.add_comment(authres::safe_comment(comment));
        // d=, i= and s= are the sender's text: made safe as Mail::AuthenticationResults'
        // safe_set_value does, so that they cannot break the header postmasters parse.
        for(auto const& [key, value] : sig.properties()) {
            auto safe = authres::safe_value(value);
            if(safe.empty())
                continue;
            if(is_google() && (key == "header.a" || key == "header.s"))
                continue;
            auto const dot = key.find('.');
            r.add_property(key.substr(0, dot), key.substr(dot + 1), std::move(safe));
        }
        if(extra_properties && sig.key_bits != 0)
            r.add_property("", "x-bits", std::to_string(sig.key_bits));
        return r;
    }

    /// The comment of one signature's entry: `[<detail>, ][<bits>-bit ]<type> key[ <hash>]`.
    static std::string comment_for(dkim::signature_result const& sig)
    {
        // The Perl tool reports a name that cannot be looked up (Net::DNS "invalid name",
        // "empty domain label") as "syntax or domain error"; a d= or s= that is not a domain
        // name is that case here.
        if(sig.reason != dkim::error::bad_domain && sig.reason != dkim::error::bad_selector)
            return sig.comment();
        auto bare = sig;
        bare.reason = {};
        bare.dns_detail.clear();
        return "syntax or domain error, " + bare.comment();
    }

private:
    // The message's verifier, with the cache this handler shares (never a stale pointer: the
    // shared_ptr is read per message).
    void start(state& s) const
    {
        s.verifier.emplace(verify);
        s.verifier->set_key_cache(keys.get());
    }

    bool is_google() const noexcept { return method != "dkim"; }

    // A positive count, as a JSON number or a string of digits (Perl configurations have both).
    static std::size_t read_max_signatures(boost::json::object const& o)
    {
        auto const* v = o.if_contains("max_signatures");
        if(v == nullptr || v->is_null())
            return 10;
        std::int64_t n = -1;
        if(v->is_int64())
            n = v->as_int64();
        else if(v->is_uint64())
            n = v->as_uint64() > 1000 ? -1 : static_cast<std::int64_t>(v->as_uint64());
        else if(v->is_string() && !v->as_string().empty() && v->as_string().size() <= 4 &&
                v->as_string().find_first_not_of("0123456789") == boost::json::string::npos)
            n = std::stoll(std::string(v->as_string()));
        if(n < 1 || n > 1000)
            throw std::invalid_argument("max_signatures: expected a number from 1 to 1000, found " +
                                        boost::json::serialize(*v));
        return static_cast<std::size_t>(n);
    }

    // TXT answers for `names`, in their order. A resolver that throws (it should not) counts as
    // a timeout for that name: temperror, never a lost message.
    template<class Resolver>
    static boost::asio::awaitable<std::vector<dns::answer>> fetch(Resolver& resolver,
                                                                  std::vector<std::string> names)
    {
        // Owns its copy of the names: it may outlive the stage that started it.
        co_return co_await query_all(resolver, names);
    }

    template<class Resolver>
    static boost::asio::awaitable<std::vector<dns::answer>> query_all(Resolver& resolver,
                                                                      std::vector<std::string> const& names)
    {
        std::vector<dns::answer> out(names.size());
        if(names.size() == 1) {
            out[0] = co_await resolver.query(names[0], dns::rr_type::txt);
            co_return out;
        }
        if(names.empty())
            co_return out;
        auto const ex = co_await boost::asio::this_coro::executor;
        using op_type = decltype(boost::asio::co_spawn(ex, resolver.query(names[0], dns::rr_type::txt),
                                                       boost::asio::deferred));
        std::vector<op_type> ops;
        ops.reserve(names.size());
        for(auto const& n : names)
            ops.push_back(
                boost::asio::co_spawn(ex, resolver.query(n, dns::rr_type::txt), boost::asio::deferred));
        auto [order, errors, answers] =
            co_await boost::asio::experimental::make_parallel_group(std::move(ops))
                .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
        (void)order;
        for(std::size_t i = 0; i < names.size(); ++i) {
            if(errors[i])
                out[i].status = dns::outcome::timeout;
            else
                out[i] = std::move(answers[i]);
        }
        co_return out;
    }

    authres::result no_signatures_entry(std::string word) const
    {
        authres::result r(std::string(method), std::move(word));
        r.add_comment("no signatures found");
        return r;
    }
};

/** XGoogleDKIM (the Perl tool's handler of that name): verifies Google's own
    `X-Google-DKIM-Signature` fields, exactly as the DKIM handler verifies DKIM-Signature, and
    writes them as a separate method:

    @code
    x-google-dkim=pass (2048-bit rsa key) header.d=1e100.net header.i=@1e100.net header.b=aIL04w54
    x-google-dkim=none (no signatures found)
    @endcode

    Off unless `XGoogleDKIM` is listed in `handlers`. As in the Perl tool the field is verified
    as the DKIM-Signature it was made as (its own name hashed as `DKIM-Signature`), with the
    non-strict policy (rsa-sha1 and RSA keys from 512 bits accepted: Google's internal
    signatures are not RFC 8301 material), and its entry has no hash in the comment and no
    header.a / header.s. Configuration: `hide_none` 0. Permanent errors are `permerror` (the
    Perl tool writes a misspelt `perlerror`). Its results do not count for DMARC.
*/
struct xgoogle_dkim_handler : dkim_handler {
    static constexpr std::string_view name = "XGoogleDKIM";

    static constexpr std::string_view help =
        "XGoogleDKIM: verifies X-Google-DKIM-Signature fields (Google's internal DKIM) and adds one\n"
        "  x-google-dkim=<result> (<detail, ><bits>-bit <type> key) header.d= header.i= header.b=\n"
        "entry per signature, or x-google-dkim=none (no signatures found).\n"
        "  hide_none          1: no entry for a message without such a field\n";

    static constexpr std::string_view default_config = R"({"hide_none":0})";

    xgoogle_dkim_handler()
    {
        method = "x-google-dkim";
        no_strict = true;
        verify.signature_field = "X-Google-DKIM-Signature";
        verify.signature_field_hashed_as = "DKIM-Signature";
        verify.allow_sha1 = true;
        verify.min_rsa_bits = 512;
    }

    void configure(boost::json::value const& v)
    {
        hide_none = detail::read_flag(detail::as_object(v), "hide_none", false);
    }
};

} // namespace authmilter::handlers

#endif
