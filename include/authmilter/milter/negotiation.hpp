// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_NEGOTIATION_HPP
#define AUTHMILTER_MILTER_NEGOTIATION_HPP

// Option negotiation: from what a pipeline needs (which stages it has callbacks for, which of
// them can answer, which actions and macros it uses) and what the MTA offers, compute the `O`
// reply. Every stage nobody uses is switched off (SMFIP_NO*) and every stage nobody answers is
// made reply-less (SMFIP_NR_*): the protocol, not the crypto, is the cost per message, and each
// avoided reply saves a round trip per command.

#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/error.hpp>
#include <authmilter/milter/protocol.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace authmilter::milter {

/// The stages of one SMTP connection as the milter sees them.
enum class stage : std::uint8_t {
    connect,
    helo,
    envfrom,
    envrcpt,
    header,
    eoh,
    body,
    eom,
    abort,
    close,
    unknown,
    data
};

/// The number of `stage` values.
inline constexpr std::size_t stage_count = 12;

/// Lower-case stage name, for logs.
constexpr std::string_view
to_string(stage s) noexcept
{
    constexpr std::string_view names[] = {"connect", "helo", "envfrom", "envrcpt", "header",  "eoh",
                                          "body",    "eom",  "abort",   "close",   "unknown", "data"};
    return names[static_cast<std::size_t>(s)];
}

/// A constexpr set of stages.
class stage_set {
public:
    constexpr stage_set() noexcept = default;
    constexpr stage_set(std::initializer_list<stage> stages) noexcept
    {
        for(auto s : stages)
            bits_ |= bit(s);
    }
    /// Every stage.
    static constexpr stage_set all() noexcept
    {
        stage_set s;
        s.bits_ = static_cast<std::uint16_t>((1u << stage_count) - 1);
        return s;
    }
    constexpr bool contains(stage s) const noexcept { return (bits_ & bit(s)) != 0; }
    constexpr stage_set& insert(stage s) noexcept
    {
        bits_ |= bit(s);
        return *this;
    }
    constexpr stage_set& erase(stage s) noexcept
    {
        bits_ &= static_cast<std::uint16_t>(~bit(s));
        return *this;
    }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr std::uint16_t bits() const noexcept { return bits_; }
    friend constexpr stage_set operator|(stage_set a, stage_set b) noexcept
    {
        a.bits_ |= b.bits_;
        return a;
    }
    friend constexpr stage_set operator&(stage_set a, stage_set b) noexcept
    {
        a.bits_ &= b.bits_;
        return a;
    }
    friend constexpr bool operator==(stage_set, stage_set) noexcept = default;

private:
    static constexpr std::uint16_t bit(stage s) noexcept
    {
        return static_cast<std::uint16_t>(1u << static_cast<unsigned>(s));
    }
    std::uint16_t bits_ = 0;
};

/// The macro lists a full authentication pipeline asks for, per SMFIM stage (indexed by
/// `macro_stage`). `j` is the MTA's host name (authserv-id), `i` the queue id (Sendmail sends
/// it at MAIL, Postfix at DATA and EOM, so both are asked for), `{auth_*}` the SMTP AUTH
/// result, the TLS macros are asked at HELO and again at MAIL because after STARTTLS they only
/// exist from the second EHLO on.
inline constexpr std::array<std::string_view, macro_stage_count> default_macros = {
    /* connect */ "j {daemon_name} {daemon_addr} {client_addr} {client_name} {client_ptr} {if_addr} "
                  "{if_name} _",
    /* helo    */ "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}",
    /* envfrom */
    "i {auth_type} {auth_authen} {auth_author} {auth_ssf} {mail_addr} {mail_host} "
    "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}",
    /* envrcpt */ "{rcpt_addr} {rcpt_host} {rcpt_mailer}",
    /* data    */ "i",
    /* eom     */ "i",
    /* eoh     */ "",
};

/// What a pipeline needs from the protocol. The pipeline computes it at compile time from its
/// handler types; a test writes it by hand.
struct requirements {
    /// Stages with at least one callback. `eom`, `abort` and `close` are always delivered.
    stage_set stages = stage_set::all();
    /// The subset of `stages` whose callbacks can answer something other than "continue"
    /// (reject a client at connect, tempfail at MAIL...). The others are negotiated reply-less.
    stage_set replies = stage_set::all();
    /// The SMFIF_* actions the pipeline may use (add headers, quarantine...).
    std::uint32_t actions = action::add_headers | action::change_headers | action::quarantine;
    /// Macro names to ask for, per SMFIM stage; an empty list keeps the MTA's default set for
    /// that stage. A stage with a list is never switched off, since a skipped command may come
    /// without its macros (Postfix sends them anyway, Sendmail does not promise it).
    std::array<std::string_view, macro_stage_count> macros = default_macros;
    /// Ask for recipients the MTA has already rejected (SMFIP_RCPT_REJ).
    bool rejected_recipients = false;
    /// Ask for header values with their leading space (SMFIP_HDR_LEADSPC) when the MTA offers
    /// it. On by default: DKIM and ARC "simple" header canonicalisation need the exact bytes
    /// after the colon, which are lost when the MTA strips the space.
    bool leading_space = true;
};

/// The outcome of a negotiation: what we answer, and so what the connection will look like.
struct negotiated {
    std::uint32_t version = 0;  ///< min(MTA's version, 6)
    std::uint32_t actions = 0;  ///< SMFIF_* in effect (what we asked for and the MTA allows)
    std::uint32_t protocol = 0; ///< SMFIP_* in effect
    std::uint32_t mta_actions = 0;
    std::uint32_t mta_protocol = 0;
    /// Actions the pipeline wanted but the MTA does not allow; edits that need them are
    /// dropped (and counted) by the session rather than sent and refused by the MTA.
    std::uint32_t missing_actions = 0;
    /// The macro lists sent with the reply, per SMFIM stage (empty: not sent).
    std::array<std::string_view, macro_stage_count> macros{};

    /// Whether the MTA will send the command of stage `s` (not switched off by SMFIP_NO*).
    bool sends(stage s) const noexcept
    {
        auto const f = no_flag(s);
        return f == 0 || (protocol & f) == 0;
    }

    /// Whether the MTA waits for a reply to the command of stage `s`. False for abort and close
    /// (`A`, `Q`, `K` are never answered) and for stages negotiated with SMFIP_NR_*.
    bool expects_reply(stage s) const noexcept
    {
        if(s == stage::abort || s == stage::close)
            return false;
        auto const f = nr_flag(s);
        return f == 0 || (protocol & f) == 0;
    }

    /// Whether header values arrive, and must be sent, with the space after the colon.
    bool leading_space() const noexcept { return (protocol & protocol_flag::header_leading_space) != 0; }

    /// Whether every action in `mask` is in effect.
    bool allows(std::uint32_t mask) const noexcept { return (actions & mask) == mask; }

    /// The SMFIP_NO* flag that switches stage `s` off, or 0.
    static constexpr std::uint32_t no_flag(stage s) noexcept
    {
        using namespace protocol_flag;
        switch(s) {
        case stage::connect: return no_connect;
        case stage::helo: return no_helo;
        case stage::envfrom: return no_mail;
        case stage::envrcpt: return no_rcpt;
        case stage::header: return no_headers;
        case stage::eoh: return no_eoh;
        case stage::body: return no_body;
        case stage::unknown: return no_unknown;
        case stage::data: return no_data;
        default: return 0;
        }
    }

    /// The SMFIP_NR_* flag that makes stage `s` reply-less, or 0.
    static constexpr std::uint32_t nr_flag(stage s) noexcept
    {
        using namespace protocol_flag;
        switch(s) {
        case stage::connect: return nr_connect;
        case stage::helo: return nr_helo;
        case stage::envfrom: return nr_mail;
        case stage::envrcpt: return nr_rcpt;
        case stage::header: return nr_header;
        case stage::eoh: return nr_eoh;
        case stage::body: return nr_body;
        case stage::unknown: return nr_unknown;
        case stage::data: return nr_data;
        default: return 0;
        }
    }
};

/// The stage whose command carries the macros of SMFIM stage `m`.
constexpr stage
stage_of(macro_stage m) noexcept
{
    constexpr stage map[] = {stage::connect, stage::helo, stage::envfrom, stage::envrcpt,
                             stage::data,    stage::eom,  stage::eoh};
    return map[static_cast<std::size_t>(m)];
}

/// Computes our answer to the MTA's offer.
///
/// Flags are only ever a subset of what the MTA offered (libmilter and Postfix both refuse
/// anything else). A stage is switched off when no callback uses it and no macros are asked
/// for it; a stage is reply-less when its callbacks cannot answer (or it has none). SMFIP_SKIP
/// is taken when body callbacks can answer; SMFIP_RCPT_REJ only when asked for; SMFIP_MDS_*
/// never, so body chunks stay within 65535 bytes. Macro lists go out only with protocol 6 and
/// an MTA that offers SMFIF_SETSYMLIST.
///
/// @return `unsupported_version` for an MTA below protocol 2; otherwise success.
inline boost::system::error_code
negotiate(requirements const& req, events::negotiate const& offer, negotiated& out) noexcept
{
    out = {};
    if(offer.version < min_version)
        return error::unsupported_version;
    out.version = std::min(offer.version, max_version);
    out.mta_actions = offer.actions;
    out.mta_protocol = offer.protocol;

    stage_set needed = req.stages;
    for(std::size_t m = 0; m < macro_stage_count; ++m)
        if(!req.macros[m].empty())
            needed.insert(stage_of(static_cast<macro_stage>(m)));

    std::uint32_t p = 0;
    for(std::size_t i = 0; i < stage_count; ++i) {
        auto const s = static_cast<stage>(i);
        if(!needed.contains(s))
            p |= negotiated::no_flag(s);
        if(!req.stages.contains(s) || !req.replies.contains(s))
            p |= negotiated::nr_flag(s);
    }
    if(req.stages.contains(stage::body) && req.replies.contains(stage::body))
        p |= protocol_flag::skip;
    if(req.rejected_recipients)
        p |= protocol_flag::rcpt_rej;
    if(req.leading_space && needed.contains(stage::header))
        p |= protocol_flag::header_leading_space;
    out.protocol = p & offer.protocol;

    out.actions = req.actions & offer.actions & ~action::set_symlist;
    out.missing_actions = req.actions & ~offer.actions & ~action::set_symlist;
    bool const any_macros =
        std::any_of(req.macros.begin(), req.macros.end(), [](std::string_view l) { return !l.empty(); });
    if(any_macros && out.version >= 6 && (offer.actions & action::set_symlist) != 0) {
        out.actions |= action::set_symlist;
        out.macros = req.macros;
    }
    return {};
}

/// Appends the `O` reply for a negotiation result.
inline boost::system::error_code
write_negotiate(std::string& out, negotiated const& n)
{
    std::array<symlist, macro_stage_count> lists;
    std::size_t count = 0;
    for(std::size_t m = 0; m < macro_stage_count; ++m)
        if(!n.macros[m].empty())
            lists[count++] = symlist{static_cast<macro_stage>(m), n.macros[m]};
    return write_negotiate(out, n.version, n.actions, n.protocol,
                           std::span<symlist const>(lists.data(), count));
}

} // namespace authmilter::milter

#endif
