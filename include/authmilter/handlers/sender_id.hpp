// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_SENDER_ID_HPP
#define AUTHMILTER_HANDLERS_SENDER_ID_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/mailbox.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/stage.hpp>
#include <authmilter/spf/check_host.hpp>
#include <authmilter/spf/received_spf.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/// The header fields the PRA algorithm looks at, in message order.
struct pra_field {
    enum class kind : std::uint8_t { resent_sender, resent_from, sender, from, trace };
    kind what;
    std::string value; ///< unfolded; empty for trace fields
};

/** The Purported Responsible Address (RFC 4407 §2) of a message's header, as `local@domain`;
    nullopt when it cannot be determined (RFC 4407 step 6). `fields` are the Resent-Sender,
    Resent-From, Sender, From, Received and Return-Path fields in message order (the last two as
    `trace`).

    The first non-empty Resent-Sender, unless a Received or Return-Path field stands between it
    and a non-empty Resent-From before it; else the first non-empty Resent-From; else the Sender
    if exactly one is non-empty; else the From if exactly one is non-empty. The chosen field must
    hold exactly one mailbox with a domain.
*/
inline std::optional<std::string>
purported_responsible_address(std::vector<pra_field> const& fields)
{
    using k = pra_field::kind;
    auto non_empty = [](pra_field const& f) { return f.value.find_first_not_of(" \t") != std::string::npos; };
    pra_field const* chosen = nullptr;
    // Step 1: Resent-Sender, unless it belongs to an older resent block than the first Resent-From.
    for(std::size_t i = 0; i < fields.size() && chosen == nullptr; ++i) {
        if(fields[i].what != k::resent_sender || !non_empty(fields[i]))
            continue;
        bool trace_after_resent_from = false;
        bool seen_resent_from = false;
        for(std::size_t j = 0; j < i; ++j) {
            if(fields[j].what == k::resent_from && non_empty(fields[j]))
                seen_resent_from = true;
            else if(fields[j].what == k::trace && seen_resent_from)
                trace_after_resent_from = true;
        }
        if(!trace_after_resent_from)
            chosen = &fields[i];
        break; // only the first non-empty Resent-Sender is considered
    }
    // Step 2: the first Resent-From.
    if(chosen == nullptr)
        for(auto const& f : fields)
            if(f.what == k::resent_from && non_empty(f)) {
                chosen = &f;
                break;
            }
    // Steps 3 and 4: exactly one Sender, else exactly one From; more than one is ill-formed.
    for(auto const what : {k::sender, k::from}) {
        if(chosen != nullptr)
            break;
        int n = 0;
        for(auto const& f : fields)
            if(f.what == what && non_empty(f)) {
                ++n;
                chosen = &f;
            }
        if(n > 1)
            return std::nullopt;
    }
    if(chosen == nullptr)
        return std::nullopt;
    // Step 5: a single, well-formed mailbox with a domain.
    auto const list = core::parse_mailbox_list(chosen->value);
    if(list.ec || list.mailboxes.size() != 1 || list.mailboxes.front().domain.empty())
        return std::nullopt;
    return list.mailboxes.front().address();
}

/** SenderID (RFC 4406, historic; off by default): checks the Purported Responsible Address of
    the header (RFC 4407) against the `spf2.0/pra` records of its domain, or its `v=spf1`
    records when it publishes none, with the SPF evaluator.

    Writes `senderid=pass` (no properties, as the Perl tool) and a one-line `Received-SPF:`
    field with `identity=pra; pra="..."`, at the end of the headers. No PRA gives
    `senderid=permerror`. Local, trusted and authenticated clients are skipped.

    Config (`handlers.SenderID`): `hide_none` 1 (no entry and no field for `none`).
*/
struct sender_id_handler {
    static constexpr std::string_view name = "SenderID";
    static constexpr std::string_view help =
        "SenderID: checks the Purported Responsible Address (RFC 4407) against spf2.0/pra or v=spf1 "
        "records and writes senderid= and Received-SPF (historic; off by default).";
    static constexpr std::string_view default_config = R"({ "hide_none": 1 })";

    bool hide_none = true;
    std::string authserv_id; ///< the global `authserv_id`: `receiver=` of Received-SPF

    void set_authserv_id(std::string id) { authserv_id = std::move(id); }

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        hide_none = detail::read_flag(o, "hide_none", true);
    }

    struct state {
        std::vector<pra_field> fields;
    };

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        auto const& f = ev.field;
        using k = pra_field::kind;
        std::optional<k> what;
        if(f.is("Resent-Sender"))
            what = k::resent_sender;
        else if(f.is("Resent-From"))
            what = k::resent_from;
        else if(f.is("Sender"))
            what = k::sender;
        else if(f.is("From"))
            what = k::from;
        else if(f.is("Received") || f.is("Return-Path"))
            what = k::trace;
        if(!what)
            return;
        ctx.state().fields.push_back({*what, *what == k::trace ? std::string() : f.unfolded()});
    }

    boost::asio::awaitable<void> on_eoh(auto& ctx, pipeline::events::eoh const&) const
    {
        auto& txn = ctx.txn();
        if(txn.trust().skip_checks() || !txn.connection().client_ip)
            co_return;
        auto const pra = purported_responsible_address(ctx.state().fields);
        if(!pra) {
            ctx.add_result(authres::result("senderid", "permerror"));
            co_return;
        }
        auto const client = *txn.connection().client_ip;
        std::string const helo = txn.connection().helo;
        std::string const receiver = authserv_id.empty() ? detail::my_hostname(txn) : authserv_id;
        std::string const domain = pra->substr(pra->rfind('@') + 1);
        spf::options opts;
        opts.receiver = receiver;
        opts.pra = true;
        spf::result r;
        try {
            r = co_await spf::check_host(txn.resolver(), client, domain, *pra, helo, opts);
        } catch(std::exception const&) {
            r = spf::result{};
            r.code = spf::code::temperror;
        }
        if(hide_none && r.code == spf::code::none)
            co_return;
        ctx.add_result(authres::result("senderid", std::string(spf::to_string(r.code))));
        spf::check_info info{spf::scope::pra, *pra, helo, client, receiver};
        ctx.add_edit(pipeline::header_edit::insert(1, "Received-SPF", spf::received_spf_field(r, info)));
    }
};

} // namespace authmilter::handlers

#endif
