// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_PROTOCOL_HPP
#define AUTHMILTER_MILTER_PROTOCOL_HPP

// The constants of the Sendmail milter protocol, versions 2 to 6, as the MTAs (Sendmail 8.14+,
// Postfix 2.3+) put them on the wire. The protocol has no RFC; the values are those of
// libmilter's mfdef.h and Postfix's milter8.c, which agree. Names are spelled out here; each
// constant's comment gives the libmilter name so that MTA logs and documentation can be matched.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace authmilter::milter {

/// The lowest protocol version an MTA may offer; Sendmail 8.12 and Postfix 2.3 speak 2.
inline constexpr std::uint32_t min_version = 2;

/// The highest protocol version we speak (Sendmail 8.14+, Postfix `milter_protocol = 6`). We
/// answer an MTA offer with min(offer, max_version).
inline constexpr std::uint32_t max_version = 6;

/// Every frame starts with a 4-byte big-endian length that counts the command byte and the
/// payload, but not itself (MILTER_LEN_BYTES).
inline constexpr std::size_t length_size = 4;

/// The payload of an option negotiation from the MTA: version, actions, protocol (MILTER_OPTLEN).
inline constexpr std::size_t optneg_size = 12;

/// The largest body chunk an MTA sends unless SMFIP_MDS_256K or SMFIP_MDS_1M was agreed
/// (MILTER_CHUNK_SIZE). Postfix's frame for a full chunk therefore has length 65536.
inline constexpr std::size_t body_chunk_size = 65535;

/// Commands, MTA to milter (SMFIC_*).
enum class command : char {
    abort = 'A',   ///< SMFIC_ABORT: the current message is abandoned; no reply
    body = 'B',    ///< SMFIC_BODY: a body chunk
    connect = 'C', ///< SMFIC_CONNECT: host name, family, port, address
    macro = 'D',   ///< SMFIC_MACRO: macros for the command named in the first payload byte; no reply
    eom = 'E',     ///< SMFIC_BODYEOB: end of message (may carry a last body chunk)
    helo = 'H',    ///< SMFIC_HELO: HELO/EHLO argument
    quit_nc = 'K', ///< SMFIC_QUIT_NC: connection over, a new one follows on this socket; no reply
    header = 'L',  ///< SMFIC_HEADER: one header field, name and value
    mail = 'M',    ///< SMFIC_MAIL: MAIL FROM address and ESMTP arguments
    eoh = 'N',     ///< SMFIC_EOH: end of headers
    optneg = 'O',  ///< SMFIC_OPTNEG: option negotiation
    quit = 'Q',    ///< SMFIC_QUIT: close the connection; no reply
    rcpt = 'R',    ///< SMFIC_RCPT: RCPT TO address and ESMTP arguments
    data = 'T',    ///< SMFIC_DATA: the DATA command (protocol 4+)
    unknown = 'U', ///< SMFIC_UNKNOWN: an SMTP command the MTA did not recognise (protocol 3+)
};

/// True for the fifteen command bytes an MTA may send.
constexpr bool
is_command(char c) noexcept
{
    switch(c) {
    case 'A':
    case 'B':
    case 'C':
    case 'D':
    case 'E':
    case 'H':
    case 'K':
    case 'L':
    case 'M':
    case 'N':
    case 'O':
    case 'Q':
    case 'R':
    case 'T':
    case 'U': return true;
    default: return false;
    }
}

/// Replies and actions, milter to MTA (SMFIR_*).
enum class reply : char {
    add_rcpt = '+',      ///< SMFIR_ADDRCPT: add a recipient (EOM only)
    del_rcpt = '-',      ///< SMFIR_DELRCPT: remove a recipient (EOM only)
    add_rcpt_par = '2',  ///< SMFIR_ADDRCPT_PAR: add a recipient with ESMTP arguments (EOM only)
    shutdown = '4',      ///< SMFIR_SHUTDOWN: 421, close the SMTP connection
    accept = 'a',        ///< SMFIR_ACCEPT: accept; no more events for this message (or connection)
    replace_body = 'b',  ///< SMFIR_REPLBODY: replace the body, in chunks (EOM only)
    continue_ = 'c',     ///< SMFIR_CONTINUE: go on (trailing underscore: `continue` is a keyword)
    discard = 'd',       ///< SMFIR_DISCARD: accept and silently drop the message
    change_from = 'e',   ///< SMFIR_CHGFROM: replace the envelope sender (EOM only)
    conn_fail = 'f',     ///< SMFIR_CONN_FAIL: make the SMTP connection fail
    add_header = 'h',    ///< SMFIR_ADDHEADER: append a header field (EOM only)
    insert_header = 'i', ///< SMFIR_INSHEADER: insert a header field at an index (EOM only)
    set_symlist = 'l',   ///< SMFIR_SETSYMLIST: defined, but MTAs take macro lists in the `O` reply
    change_header = 'm', ///< SMFIR_CHGHEADER: change or (empty value) delete a header (EOM only)
    progress = 'p',      ///< SMFIR_PROGRESS: still working, restart the MTA's timeout
    quarantine = 'q',    ///< SMFIR_QUARANTINE: hold the message, with a reason (EOM only)
    reject = 'r',        ///< SMFIR_REJECT: 5xx with the MTA's default text
    skip = 's',          ///< SMFIR_SKIP: send no more body chunks (needs SMFIP_SKIP)
    tempfail = 't',      ///< SMFIR_TEMPFAIL: 4xx with the MTA's default text
    replycode = 'y',     ///< SMFIR_REPLYCODE: reject or tempfail with our own SMTP reply
    optneg = 'O',        ///< the negotiation reply reuses the command byte SMFIC_OPTNEG
};

/// Action flags (SMFIF_*): what the milter may do to a message. The MTA offers a set in its `O`
/// command, the milter answers with the subset it will use.
namespace action {
inline constexpr std::uint32_t add_headers = 0x001;    ///< SMFIF_ADDHDRS: `h`, `i`
inline constexpr std::uint32_t change_body = 0x002;    ///< SMFIF_CHGBODY: `b`
inline constexpr std::uint32_t add_rcpt = 0x004;       ///< SMFIF_ADDRCPT: `+`
inline constexpr std::uint32_t del_rcpt = 0x008;       ///< SMFIF_DELRCPT: `-`
inline constexpr std::uint32_t change_headers = 0x010; ///< SMFIF_CHGHDRS: `m`
inline constexpr std::uint32_t quarantine = 0x020;     ///< SMFIF_QUARANTINE: `q`
inline constexpr std::uint32_t change_from = 0x040;    ///< SMFIF_CHGFROM: `e` (protocol 6)
inline constexpr std::uint32_t add_rcpt_par = 0x080;   ///< SMFIF_ADDRCPT_PAR: `2` (protocol 6)
inline constexpr std::uint32_t set_symlist = 0x100;    ///< SMFIF_SETSYMLIST: macro lists in `O` (6)

/// The actions of a version 2 milter (SMFI_V2_ACTS).
inline constexpr std::uint32_t v2_mask = 0x03F;
/// Every action of protocol 6 (SMFI_CURR_ACTS).
inline constexpr std::uint32_t v6_mask = 0x1FF;
} // namespace action

/// Protocol flags (SMFIP_*). Three kinds share one word: "do not send me stage X" (NO*), "I will
/// not reply to stage X" (NR_*), and capabilities (SKIP, RCPT_REJ, HDR_LEADSPC, MDS_*). The MTA
/// offers the flags it understands; the milter answers with a subset.
namespace protocol_flag {
inline constexpr std::uint32_t no_connect = 0x00000001; ///< SMFIP_NOCONNECT
inline constexpr std::uint32_t no_helo = 0x00000002;    ///< SMFIP_NOHELO
inline constexpr std::uint32_t no_mail = 0x00000004;    ///< SMFIP_NOMAIL
inline constexpr std::uint32_t no_rcpt = 0x00000008;    ///< SMFIP_NORCPT
inline constexpr std::uint32_t no_body = 0x00000010;    ///< SMFIP_NOBODY
inline constexpr std::uint32_t no_headers = 0x00000020; ///< SMFIP_NOHDRS
inline constexpr std::uint32_t no_eoh = 0x00000040;     ///< SMFIP_NOEOH
inline constexpr std::uint32_t nr_header = 0x00000080;  ///< SMFIP_NR_HDR (= SMFIP_NOHREPL)
inline constexpr std::uint32_t no_unknown = 0x00000100; ///< SMFIP_NOUNKNOWN (protocol 3)
inline constexpr std::uint32_t no_data = 0x00000200;    ///< SMFIP_NODATA (protocol 4)
inline constexpr std::uint32_t skip = 0x00000400;       ///< SMFIP_SKIP: MTA understands `s`
inline constexpr std::uint32_t rcpt_rej = 0x00000800;   ///< SMFIP_RCPT_REJ: also send rejected RCPTs
inline constexpr std::uint32_t nr_connect = 0x00001000; ///< SMFIP_NR_CONN
inline constexpr std::uint32_t nr_helo = 0x00002000;    ///< SMFIP_NR_HELO
inline constexpr std::uint32_t nr_mail = 0x00004000;    ///< SMFIP_NR_MAIL
inline constexpr std::uint32_t nr_rcpt = 0x00008000;    ///< SMFIP_NR_RCPT
inline constexpr std::uint32_t nr_data = 0x00010000;    ///< SMFIP_NR_DATA
inline constexpr std::uint32_t nr_unknown = 0x00020000; ///< SMFIP_NR_UNKN
inline constexpr std::uint32_t nr_eoh = 0x00040000;     ///< SMFIP_NR_EOH
inline constexpr std::uint32_t nr_body = 0x00080000;    ///< SMFIP_NR_BODY
inline constexpr std::uint32_t header_leading_space = 0x00100000; ///< SMFIP_HDR_LEADSPC
inline constexpr std::uint32_t mds_256k = 0x10000000; ///< SMFIP_MDS_256K: chunks up to 256 KiB - 1
inline constexpr std::uint32_t mds_1m = 0x20000000;   ///< SMFIP_MDS_1M: chunks up to 1 MiB - 1

/// Every "do not send" flag (Postfix SMFIP_NOSEND_MASK).
inline constexpr std::uint32_t no_send_mask =
    no_connect | no_helo | no_mail | no_rcpt | no_body | no_headers | no_eoh | no_unknown | no_data;
/// Every "no reply" flag (Postfix SMFIP_NOREPLY_MASK).
inline constexpr std::uint32_t no_reply_mask =
    nr_connect | nr_helo | nr_mail | nr_rcpt | nr_data | nr_unknown | nr_header | nr_eoh | nr_body;

/// The flags each protocol version defines (Postfix MILTER8_V*_PROTO_MASK); an MTA of that
/// version offers at most these.
inline constexpr std::uint32_t v2_mask =
    no_connect | no_helo | no_mail | no_rcpt | no_body | no_headers | no_eoh;
inline constexpr std::uint32_t v3_mask = v2_mask | no_unknown;
inline constexpr std::uint32_t v4_mask = v3_mask | no_data;
inline constexpr std::uint32_t v6_mask = v4_mask | skip | rcpt_rej | no_reply_mask | header_leading_space;
} // namespace protocol_flag

/// The macro stages (SMFIM_*) that index the macro lists of the negotiation reply. Note that
/// eom (5) comes before eoh (6): the numbering is historical.
enum class macro_stage : std::uint32_t {
    connect = 0, ///< SMFIM_CONNECT
    helo = 1,    ///< SMFIM_HELO
    envfrom = 2, ///< SMFIM_ENVFROM
    envrcpt = 3, ///< SMFIM_ENVRCPT
    data = 4,    ///< SMFIM_DATA
    eom = 5,     ///< SMFIM_EOM
    eoh = 6,     ///< SMFIM_EOH
};

/// The number of macro stages (SMFIM_LAST + 1).
inline constexpr std::size_t macro_stage_count = 7;

/// The command whose `D` packet carries a macro stage's values (`C H M R T E N`).
constexpr command
command_of(macro_stage s) noexcept
{
    constexpr command map[] = {command::connect, command::helo, command::mail, command::rcpt,
                               command::data,    command::eom,  command::eoh};
    return map[static_cast<std::size_t>(s)];
}

/// Address families in a connect command (SMFIA_*).
enum class family : char {
    unknown = 'U', ///< SMFIA_UNKNOWN: no port and no address follow
    local = 'L',   ///< SMFIA_UNIX: a unix-domain socket; the address is a path, the port 0
    inet = '4',    ///< SMFIA_INET
    inet6 = '6',   ///< SMFIA_INET6; Sendmail prefixes the address with "IPv6:"
};

/// Libmilter name of a command, for logs ("SMFIC_HELO"); "unknown" for any other byte.
constexpr std::string_view
to_string(command c) noexcept
{
    switch(c) {
    case command::abort: return "SMFIC_ABORT";
    case command::body: return "SMFIC_BODY";
    case command::connect: return "SMFIC_CONNECT";
    case command::macro: return "SMFIC_MACRO";
    case command::eom: return "SMFIC_BODYEOB";
    case command::helo: return "SMFIC_HELO";
    case command::quit_nc: return "SMFIC_QUIT_NC";
    case command::header: return "SMFIC_HEADER";
    case command::mail: return "SMFIC_MAIL";
    case command::eoh: return "SMFIC_EOH";
    case command::optneg: return "SMFIC_OPTNEG";
    case command::quit: return "SMFIC_QUIT";
    case command::rcpt: return "SMFIC_RCPT";
    case command::data: return "SMFIC_DATA";
    case command::unknown: return "SMFIC_UNKNOWN";
    }
    return "unknown";
}

} // namespace authmilter::milter

#endif
