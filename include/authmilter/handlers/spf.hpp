// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_SPF_HPP
#define AUTHMILTER_HANDLERS_SPF_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/smtp_path.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/deferred.hpp>
#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/stage.hpp>
#include <authmilter/spf/check_host.hpp>
#include <authmilter/spf/received_spf.hpp>

#include <unistd.h>

#include <boost/asio/this_coro.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace authmilter::handlers {

namespace detail {

/// The checking host's name, as the Perl tool's get_my_hostname: macro `j`, else
/// `{rcpt_host}`, else the system host name.
template<class Transaction>
std::string
my_hostname(Transaction const& txn)
{
    if(auto j = txn.macro("j"); j && !j->empty())
        return std::string(*j);
    if(auto h = txn.macro("{rcpt_host}"); h && !h->empty())
        return std::string(*h);
    char name[256] = {};
    if(::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0')
        return name;
    return "localhost";
}

inline authres::result
to_authres(spf::authres_entry const& e)
{
    authres::result r(e.method, e.result);
    for(auto const& [key, value] : e.properties) {
        auto const dot = key.find('.');
        r.add_property(key.substr(0, dot), dot == std::string::npos ? std::string() : key.substr(dot + 1),
                       value);
    }
    return r;
}

} // namespace detail

/** SPF (RFC 7208) at MAIL FROM, as the Perl tool's SPF handler.

    The check starts at MAIL FROM and is awaited at the end of the headers, so the MTA's RCPT and
    DATA are not held up by DNS. It writes
    `spf=pass smtp.mailfrom=marc@example.net smtp.helo=mail.example.com` and a `Received-SPF:`
    header in Mail::SPF's words, re-wrapped as the Perl tool does. The null sender (or an
    unparsable one) is checked in the `helo` scope. Local, trusted and authenticated clients are
    skipped.

    Config (`handlers.SPF`): `hide_received-spf_header` 0, `hide_none` 0, `helo_check` 0 (adds a
    separate HELO check), `best_guess` 0 and `spfu_detection` 0 (accepted; not implemented yet:
    a warning-free no-op, see doc/handlers.md).
*/
struct spf_handler {
    static constexpr std::string_view name = "SPF";
    static constexpr std::string_view help =
        "SPF: checks the MAIL FROM (or HELO) identity with RFC 7208 and writes spf= and Received-SPF.";
    static constexpr std::string_view default_config =
        R"({ "hide_received-spf_header": 0, "hide_none": 0, "best_guess": 0, "spfu_detection": 0, "helo_check": 0 })";

    bool hide_received_spf_header = false;
    std::string authserv_id; ///< the global `authserv_id`, set by the daemon; `receiver=` uses it
    bool hide_none = false;
    bool helo_check = false;
    bool best_guess = false;
    int spfu_detection = 0;

    /// What DMARC reads: the checked domain, its scope and the result.
    struct state {
        bool checked = false;
        std::string domain;
        spf::scope scope = spf::scope::mfrom;
        spf::code result = spf::code::none;
        spf::result detail;
        std::string identity; ///< the address (mfrom) or HELO name (helo) checked
        pipeline::deferred<spf::result> pending;
        pipeline::deferred<spf::result> pending_helo;
    };

    /// Called by the daemon with the global `authserv_id`.
    void set_authserv_id(std::string id) { authserv_id = std::move(id); }

    /// `receiver=` of Received-SPF and `%{r}`: the authserv-id when one is configured, else the
    /// host name the MTA gave (the Perl tool always uses the host name; with no `authserv_id`
    /// set the two are the same).
    template<class Transaction> std::string receiver(Transaction const& txn) const
    {
        return authserv_id.empty() ? detail::my_hostname(txn) : authserv_id;
    }

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        hide_received_spf_header = detail::read_flag(o, "hide_received-spf_header", false);
        hide_none = detail::read_flag(o, "hide_none", false);
        helo_check = detail::read_flag(o, "helo_check", false);
        best_guess = detail::read_flag(o, "best_guess", false);
        if(auto const* s = o.if_contains("spfu_detection"); s && !s->is_null()) {
            if(!s->is_int64() || s->as_int64() < 0 || s->as_int64() > 2)
                throw std::invalid_argument("spfu_detection: expected 0, 1 or 2");
            spfu_detection = static_cast<int>(s->as_int64());
        }
    }

    boost::asio::awaitable<void> on_envfrom(auto& ctx, pipeline::events::envfrom const& ev) const
    {
        auto& txn = ctx.txn();
        auto& st = ctx.state();
        if(txn.trust().skip_checks() || !txn.connection().client_ip)
            co_return;
        st.checked = true;
        auto const client = *txn.connection().client_ip;
        std::string const helo = txn.connection().helo;
        std::string const mail_from(ev.address);
        auto const path = core::parse_reverse_path(mail_from.empty() ? "<>" : "<" + mail_from + ">");
        if(!path || path->is_null || path->domain.empty()) {
            st.scope = spf::scope::helo;
            st.identity = helo;
            st.domain = helo;
        } else {
            st.scope = spf::scope::mfrom;
            st.domain = std::string(path->domain.view());
            st.identity = path->local_part + "@" + st.domain;
        }
        spf::options opts;
        opts.receiver = receiver(txn);
        auto ex = co_await boost::asio::this_coro::executor;
        auto& resolver = txn.resolver();
        bool const mfrom = st.scope == spf::scope::mfrom;
        st.pending.start(ex, check(resolver, client, mfrom ? st.identity : std::string(), helo, opts));
        if(helo_check && mfrom)
            st.pending_helo.start(ex, check(resolver, client, std::string(), helo, opts));
    }

    /// The background check. Takes its inputs by value: it may outlive the stage that started
    /// it (and, after an abort, the message).
    template<class Resolver>
    static boost::asio::awaitable<spf::result> check(Resolver& resolver, core::ip_address client,
                                                     std::string mail_from, std::string helo,
                                                     spf::options opts)
    {
        if(!mail_from.empty())
            co_return co_await spf::verify_mailfrom(resolver, client, mail_from, helo, opts);
        co_return co_await spf::verify_helo(resolver, client, helo, opts);
    }

    boost::asio::awaitable<void> on_eoh(auto& ctx, pipeline::events::eoh const&) const
    {
        auto& txn = ctx.txn();
        auto& st = ctx.state();
        if(!st.checked || !st.pending.started())
            co_return;
        std::string const helo = txn.connection().helo;
        std::string const mail_from = txn.envelope().mail_from;
        try {
            st.detail = co_await st.pending.get();
        } catch(std::exception const&) {
            st.detail = spf::result{};
            st.detail.code = spf::code::temperror;
        }
        st.result = st.detail.code;
        auto const style = helo_check ? spf::authres_style::identity_only : spf::authres_style::both;
        if(!(hide_none && st.result == spf::code::none)) {
            ctx.add_result(detail::to_authres(spf::authres_for(st.detail, st.scope, mail_from, helo, style)));
            if(!hide_received_spf_header) {
                std::string const receiver_name = receiver(txn);
                spf::check_info info{st.scope, st.identity, helo, *txn.connection().client_ip, receiver_name};
                ctx.add_edit(pipeline::header_edit::insert(
                    1, "Received-SPF", spf::wrap_received_spf(spf::received_spf_field(st.detail, info))));
            }
        }
        if(st.pending_helo.started()) {
            spf::result h;
            try {
                h = co_await st.pending_helo.get();
            } catch(std::exception const&) {
                h.code = spf::code::temperror;
            }
            if(!(hide_none && h.code == spf::code::none))
                ctx.add_result(detail::to_authres(spf::authres_for(h, spf::scope::helo, mail_from, helo,
                                                                   spf::authres_style::identity_only)));
        }
    }

    void on_abort(auto& ctx, pipeline::events::abort const&) const
    {
        ctx.state().pending.reset();
        ctx.state().pending_helo.reset();
    }
};

} // namespace authmilter::handlers

#endif
