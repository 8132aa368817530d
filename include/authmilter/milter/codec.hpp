// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_CODEC_HPP
#define AUTHMILTER_MILTER_CODEC_HPP

// The milter wire format, sans-I/O: a decoder that turns MTA bytes, fed in any pieces, into
// typed events, and an encoder that appends milter replies to a caller's buffer. No socket, no
// allocation per frame in the common case, no exception on hostile input.

#include <authmilter/milter/detail/wire.hpp>
#include <authmilter/milter/error.hpp>
#include <authmilter/milter/protocol.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace authmilter::milter {

/// A read-only view of NUL-terminated strings laid end to end ("a\0b\0"), as the milter protocol
/// sends MAIL and RCPT arguments. The decoder has checked that the text ends with a NUL.
class string_list {
public:
    /// Forward iterator over the strings, each without its NUL.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = std::string_view;

        iterator() = default;
        std::string_view operator*() const noexcept { return rest_.substr(0, rest_.find('\0')); }
        iterator& operator++() noexcept
        {
            auto const n = rest_.find('\0');
            rest_ = n == std::string_view::npos ? std::string_view{} : rest_.substr(n + 1);
            return *this;
        }
        iterator operator++(int) noexcept
        {
            auto copy = *this;
            ++*this;
            return copy;
        }
        friend bool operator==(iterator a, iterator b) noexcept { return a.rest_.size() == b.rest_.size(); }

    private:
        friend class string_list;
        explicit iterator(std::string_view rest) noexcept
            : rest_(rest)
        {}
        std::string_view rest_;
    };

    string_list() = default;
    /// `raw` must be empty or end with a NUL.
    explicit string_list(std::string_view raw) noexcept
        : raw_(raw)
    {}

    iterator begin() const noexcept { return iterator(raw_); }
    iterator end() const noexcept { return iterator(); }
    bool empty() const noexcept { return raw_.empty(); }
    /// Number of strings (counts NULs; linear).
    std::size_t size() const noexcept
    {
        std::size_t n = 0;
        for(char c : raw_)
            n += c == '\0';
        return n;
    }
    /// The first string, or empty.
    std::string_view front() const noexcept { return empty() ? std::string_view{} : *begin(); }
    /// Every string after the first.
    string_list tail() const noexcept
    {
        auto const n = raw_.find('\0');
        return n == std::string_view::npos ? string_list{} : string_list(raw_.substr(n + 1));
    }
    /// The bytes as received, NULs included.
    std::string_view raw() const noexcept { return raw_; }

private:
    std::string_view raw_;
};

/// A read-only view of macro name/value pairs ("name\0value\0..."), as in a `D` packet. Long
/// names keep their braces as the MTA sent them (`{daemon_name}`); see `find()`.
class macro_list {
public:
    /// Forward iterator over (name, value) pairs.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::pair<std::string_view, std::string_view>;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;

        iterator() = default;
        value_type operator*() const noexcept
        {
            auto const n = rest_.find('\0');
            auto const name = rest_.substr(0, n);
            auto const after = rest_.substr(n + 1);
            return {name, after.substr(0, after.find('\0'))};
        }
        iterator& operator++() noexcept
        {
            auto const [name, value] = **this;
            rest_.remove_prefix(std::min(rest_.size(), name.size() + value.size() + 2));
            return *this;
        }
        iterator operator++(int) noexcept
        {
            auto copy = *this;
            ++*this;
            return copy;
        }
        friend bool operator==(iterator a, iterator b) noexcept { return a.rest_.size() == b.rest_.size(); }

    private:
        friend class macro_list;
        explicit iterator(std::string_view raw) noexcept
            : rest_(raw)
        {}
        std::string_view rest_;
    };

    macro_list() = default;
    /// `raw` must hold complete pairs (an even number of NUL-terminated strings).
    explicit macro_list(std::string_view raw) noexcept
        : raw_(raw)
    {}

    iterator begin() const noexcept { return iterator(raw_); }
    iterator end() const noexcept { return iterator(); }
    bool empty() const noexcept { return raw_.empty(); }
    std::string_view raw() const noexcept { return raw_; }

    /// The value of macro `name`. A long name may be given with or without braces:
    /// `find("daemon_name")` and `find("{daemon_name}")` are the same lookup.
    std::optional<std::string_view> find(std::string_view name) const noexcept
    {
        auto const strip = [](std::string_view n) {
            return n.size() > 2 && n.front() == '{' && n.back() == '}' ? n.substr(1, n.size() - 2) : n;
        };
        name = strip(name);
        for(auto const [n, v] : *this)
            if(strip(n) == name)
                return v;
        return std::nullopt;
    }

private:
    std::string_view raw_;
};

/// The events the decoder yields, one per frame. String views point into the bytes given to
/// `decoder::next()` or into the decoder's own buffer (see there for how long they live).
namespace events {

/// `O`: the MTA's offer. The reply is built by `negotiate()` (negotiation.hpp).
struct negotiate {
    std::uint32_t version = 0;
    std::uint32_t actions = 0;  ///< SMFIF_* the MTA allows
    std::uint32_t protocol = 0; ///< SMFIP_* the MTA understands
};

/// `D`: macros for the command `stage` that follows (`C H M R T L N B E U`).
struct macros {
    command stage = command::connect;
    macro_list values;
};

/// `C`: the SMTP client. `port` and `address` are 0 and empty for family `unknown`; for `local`
/// the address is a socket path. Sendmail writes IPv6 addresses as "IPv6:2001:db8::1".
struct connect {
    std::string_view hostname;
    milter::family family = milter::family::unknown;
    std::uint16_t port = 0;
    std::string_view address;
};

/// `H`: the HELO/EHLO argument.
struct helo {
    std::string_view name;
};

/// `M`: the MAIL FROM reverse-path as the MTA shows it (usually with angle brackets), then
/// ESMTP parameters ("SIZE=1234").
struct mail {
    string_list args;
    std::string_view address() const noexcept { return args.front(); }
    string_list parameters() const noexcept { return args.tail(); }
};

/// `R`: one RCPT TO forward-path and its ESMTP parameters.
struct rcpt {
    string_list args;
    std::string_view address() const noexcept { return args.front(); }
    string_list parameters() const noexcept { return args.tail(); }
};

/// `T`: the DATA command.
struct data {};

/// `L`: one header field. With SMFIP_HDR_LEADSPC agreed the value keeps the space after the
/// colon; folded lines are joined by the MTA's line end (LF for Postfix and Sendmail).
struct header {
    std::string_view name;
    std::string_view value;
};

/// `N`: end of headers.
struct eoh {};

/// `B`: a chunk of the body (CRLF line ends, at most 65535 bytes unless MDS was agreed).
struct body {
    std::string_view bytes;
};

/// `E`: end of message; `bytes` is a last body chunk, empty from every MTA we know.
struct eom {
    std::string_view bytes;
};

/// `A`: the current message is abandoned (the connection goes on).
struct abort {};

/// `U`: an SMTP command the MTA did not recognise, as sent by the client.
struct unknown {
    std::string_view command;
};

/// `Q`: the connection is over.
struct quit {};

/// `K`: the connection is over, and the MTA will reuse this socket for a new one.
struct quit_nc {};

} // namespace events

/// One decoded frame.
using event = std::variant<events::negotiate, events::macros, events::connect, events::helo, events::mail,
                           events::rcpt, events::data, events::header, events::eoh, events::body, events::eom,
                           events::abort, events::unknown, events::quit, events::quit_nc>;

/// Limits of the decoder.
struct decoder_options {
    /// The largest accepted frame length (the 4-byte length field: command byte plus payload).
    /// A body chunk needs 65536; Postfix sends a header field of up to `header_size_limit`
    /// (102400 by default) in one frame. A frame above the cap is refused before any of it is
    /// buffered, so this also bounds the memory of one connection.
    std::size_t max_frame_size = 1024 * 1024;
};

/// Incremental decoder of MTA-to-milter frames.
///
/// Feed it bytes in pieces of any size; it returns one event per complete frame. Each frame is
/// validated as soon as its 5-byte head (length + command) is known, before its payload is
/// buffered: a length of 0 or above `max_frame_size`, an unknown command, a payload on a
/// command that takes none, or an `O` of the wrong size is an error at once. The payload is
/// checked when complete (NUL terminators, fixed fields). After an error the decoder refuses
/// all further input with the same code; the connection must be closed.
///
/// @par Object lifetimes
/// A frame that lies entirely within one `next()` input is decoded in place: the event's views
/// point into the caller's bytes. A frame split across inputs is copied into the decoder's
/// buffer. Either way an event stays valid until the next call to `next()` (or `reset()`), as
/// long as the caller's bytes are not modified; copy what must outlive that.
class decoder {
public:
    decoder() noexcept = default;

    explicit decoder(decoder_options opts) noexcept
        : opts_(opts)
    {}

    /// Decodes at most one frame from the front of `input`, removing the bytes it consumed.
    /// Returns the event if a frame was completed; otherwise `std::nullopt` with `ec` clear when
    /// all of `input` was consumed into a partial frame (feed more), or with `ec` set on error.
    std::optional<event> next(std::string_view& input, boost::system::error_code& ec)
    {
        ec = {};
        if(failed_) {
            ec = error::decoder_failed;
            return std::nullopt;
        }
        if(release_) {
            release_ = false;
            // A large split frame (a body chunk, a long header) does not stay allocated: an
            // idle connection keeps at most a small buffer.
            if(payload_.capacity() > keep_limit)
                std::string().swap(payload_);
            else
                payload_.clear();
            head_len_ = 0;
        }
        // Fast path: the whole frame is in the input, decode it in place.
        if(head_len_ == 0 && input.size() >= 5) {
            if(!check_head(input.data(), ec))
                return std::nullopt;
            if(input.size() - 5 >= need_) {
                auto const payload = input.substr(5, need_);
                input.remove_prefix(5 + need_);
                return finish(payload, ec);
            }
            head_len_ = 5;
            input.remove_prefix(5);
            payload_.reserve(std::min<std::size_t>(need_, reserve_limit));
        }
        while(head_len_ < 5) {
            if(input.empty())
                return std::nullopt;
            head_[head_len_++] = input.front();
            input.remove_prefix(1);
            if(head_len_ == 4 && !check_length(head_.data(), ec))
                return std::nullopt;
            if(head_len_ == 5) {
                if(!check_head(head_.data(), ec))
                    return std::nullopt;
                payload_.reserve(std::min<std::size_t>(need_, reserve_limit));
            }
        }
        auto const take = std::min(need_ - payload_.size(), input.size());
        payload_.append(input.data(), take);
        input.remove_prefix(take);
        if(payload_.size() < need_)
            return std::nullopt;
        return finish(payload_, ec);
    }

    /// Call when the peer closed the stream: reports `partial_frame` if a frame was begun.
    void finish_stream(boost::system::error_code& ec) const noexcept
    {
        ec = {};
        if(failed_)
            ec = error::decoder_failed;
        else if(mid_frame())
            ec = error::partial_frame;
    }

    /// True after an error; `next()` then refuses all input.
    bool failed() const noexcept { return failed_; }

    /// True when some bytes of an unfinished frame are held.
    bool mid_frame() const noexcept { return !release_ && head_len_ > 0; }

    /// Forgets any partial frame and a past error, for a new connection.
    void reset() noexcept
    {
        failed_ = false;
        release_ = false;
        head_len_ = 0;
        need_ = 0;
        payload_.clear();
    }

    decoder_options const& options() const noexcept { return opts_; }

    /// Decodes the payload of one frame whose command byte is `cmd`: the second half of
    /// `next()`, public for tests and fuzzing. Never throws; returns nullopt with `ec` set when
    /// the payload is malformed.
    static std::optional<event> parse(char cmd, std::string_view p, boost::system::error_code& ec) noexcept
    {
        ec = {};
        auto fail = [&ec](error e) -> std::optional<event> {
            ec = e;
            return std::nullopt;
        };
        // Exactly one NUL-terminated string and nothing else.
        auto single = [&](std::string_view& s) -> bool {
            if(p.empty() || p.back() != '\0') {
                ec = error::missing_nul;
                return false;
            }
            if(p.find('\0') != p.size() - 1) {
                ec = error::malformed_payload;
                return false;
            }
            s = p.substr(0, p.size() - 1);
            return true;
        };
        switch(static_cast<command>(cmd)) {
        case command::optneg: {
            if(p.size() < optneg_size)
                return fail(error::truncated_payload);
            if(p.size() > optneg_size)
                return fail(error::malformed_payload);
            return events::negotiate{detail::get_u32(p.data()), detail::get_u32(p.data() + 4),
                                     detail::get_u32(p.data() + 8)};
        }
        case command::macro: {
            if(p.empty())
                return fail(error::truncated_payload);
            auto const stage = p.front();
            switch(stage) {
            case 'C':
            case 'H':
            case 'M':
            case 'R':
            case 'T':
            case 'L':
            case 'N':
            case 'B':
            case 'E':
            case 'U': break;
            default: return fail(error::malformed_payload);
            }
            auto const pairs = p.substr(1);
            if(!pairs.empty() && pairs.back() != '\0')
                return fail(error::missing_nul);
            std::size_t nuls = 0;
            for(char c : pairs)
                nuls += c == '\0';
            if(nuls % 2 != 0)
                return fail(error::malformed_payload);
            return events::macros{static_cast<command>(stage), macro_list(pairs)};
        }
        case command::connect: {
            auto const nul = p.find('\0');
            if(nul == std::string_view::npos)
                return fail(error::missing_nul);
            events::connect c;
            c.hostname = p.substr(0, nul);
            auto rest = p.substr(nul + 1);
            if(rest.empty())
                return fail(error::truncated_payload);
            switch(rest.front()) {
            case 'U':
                if(rest.size() != 1)
                    return fail(error::malformed_payload);
                c.family = family::unknown;
                return c;
            case 'L': c.family = family::local; break;
            case '4': c.family = family::inet; break;
            case '6': c.family = family::inet6; break;
            default: return fail(error::malformed_payload);
            }
            rest.remove_prefix(1);
            if(rest.size() < 2)
                return fail(error::truncated_payload);
            c.port = detail::get_u16(rest.data());
            rest.remove_prefix(2);
            if(rest.empty() || rest.back() != '\0')
                return fail(error::missing_nul);
            if(rest.find('\0') != rest.size() - 1)
                return fail(error::malformed_payload);
            c.address = rest.substr(0, rest.size() - 1);
            return c;
        }
        case command::helo: {
            events::helo h;
            if(!single(h.name))
                return std::nullopt;
            return h;
        }
        case command::mail:
        case command::rcpt: {
            if(p.empty() || p.back() != '\0')
                return fail(error::missing_nul);
            if(cmd == 'M')
                return events::mail{string_list(p)};
            return events::rcpt{string_list(p)};
        }
        case command::header: {
            if(p.empty() || p.back() != '\0')
                return fail(error::missing_nul);
            auto const nul = p.find('\0');
            if(nul == p.size() - 1)
                return fail(error::malformed_payload); // a name without its value
            if(nul == 0)
                return fail(error::malformed_payload); // an empty name
            auto const value = p.substr(nul + 1, p.size() - nul - 2);
            if(value.find('\0') != std::string_view::npos)
                return fail(error::malformed_payload);
            return events::header{p.substr(0, nul), value};
        }
        case command::unknown: {
            events::unknown u;
            if(!single(u.command))
                return std::nullopt;
            return u;
        }
        case command::body: return events::body{p};
        case command::eom: return events::eom{p};
        // Commands without payload; the frame head check has already refused any payload.
        case command::data:
            if(!p.empty())
                return fail(error::unexpected_payload);
            return events::data{};
        case command::eoh:
            if(!p.empty())
                return fail(error::unexpected_payload);
            return events::eoh{};
        case command::abort:
            if(!p.empty())
                return fail(error::unexpected_payload);
            return events::abort{};
        case command::quit:
            if(!p.empty())
                return fail(error::unexpected_payload);
            return events::quit{};
        case command::quit_nc:
            if(!p.empty())
                return fail(error::unexpected_payload);
            return events::quit_nc{};
        }
        return fail(error::unknown_command);
    }

private:
    bool fail(error e, boost::system::error_code& ec) noexcept
    {
        failed_ = true;
        ec = e;
        return false;
    }

    bool check_length(char const* head, boost::system::error_code& ec) noexcept
    {
        auto const len = detail::get_u32(head);
        if(len == 0)
            return fail(error::empty_frame, ec);
        if(len > opts_.max_frame_size)
            return fail(error::frame_too_large, ec);
        need_ = len - 1;
        return true;
    }

    // Everything that can be known from the length and the command byte.
    bool check_head(char const* head, boost::system::error_code& ec) noexcept
    {
        if(!check_length(head, ec))
            return false;
        auto const cmd = head[4];
        if(!is_command(cmd))
            return fail(error::unknown_command, ec);
        switch(static_cast<command>(cmd)) {
        case command::abort:
        case command::eoh:
        case command::data:
        case command::quit:
        case command::quit_nc:
            if(need_ != 0)
                return fail(error::unexpected_payload, ec);
            break;
        case command::optneg:
            if(need_ < optneg_size)
                return fail(error::truncated_payload, ec);
            if(need_ > optneg_size)
                return fail(error::malformed_payload, ec);
            break;
        default: break;
        }
        cmd_ = cmd;
        return true;
    }

    std::optional<event> finish(std::string_view payload, boost::system::error_code& ec) noexcept
    {
        release_ = true;
        auto ev = parse(cmd_, payload, ec);
        if(!ev)
            failed_ = true;
        return ev;
    }

    // Memory grows with the bytes actually received, not with the length a peer announces: a
    // thousand connections each announcing a 1 MiB frame and sending nothing cost little.
    static constexpr std::size_t reserve_limit = 65536;
    static constexpr std::size_t keep_limit = 4096;

    decoder_options opts_;
    std::array<char, 5> head_{};
    std::size_t head_len_ = 0;
    std::size_t need_ = 0;
    char cmd_ = 0;
    bool failed_ = false;
    bool release_ = false; // the last event may point into payload_: clear it on the next call
    std::string payload_;
};

// ------------------------------------------------------------------------------------------------
// Encoder: each function appends one complete frame to `out`. Functions that take strings check
// them and, on a bad argument, leave `out` unchanged and return `bad_reply_argument`. Appending
// every reply of a stage to one buffer and writing it once is what keeps the MTA from waiting
// on delayed ACKs.

/// One macro list of the negotiation reply: the stage and space-separated macro names, long
/// names in braces ("j {daemon_name} {if_addr}").
struct symlist {
    macro_stage stage = macro_stage::connect;
    std::string_view names;
};

namespace detail {

inline void
write_bare(std::string& out, reply r)
{
    detail::put_u32(out, 1);
    out.push_back(static_cast<char>(r));
}

inline bool
no_nul(std::string_view s) noexcept
{
    return s.find('\0') == std::string_view::npos;
}

// A header field name: printable US-ASCII except colon (RFC 5322 2.2).
inline bool
valid_field_name(std::string_view s) noexcept
{
    if(s.empty())
        return false;
    for(char c : s)
        if(c < 33 || c > 126 || c == ':')
            return false;
    return true;
}

// Header values go to the MTA with LF line ends (libmilter's convention for folded values):
// a CR before an LF is dropped. A lone CR is kept; it is the caller's to avoid.
inline void
put_header_value(std::string& out, std::string_view v)
{
    for(std::size_t i = 0; i < v.size(); ++i) {
        if(v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n')
            continue;
        out.push_back(v[i]);
    }
    out.push_back('\0');
}

inline bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

// RFC 3463 class.subject.detail: a class digit, then one to three digits twice.
inline bool
valid_extended_code(std::string_view s, char cls) noexcept
{
    if(s.size() < 5 || s[0] != cls || s[1] != '.')
        return false;
    std::size_t i = 2;
    for(int part = 0; part < 2; ++part) {
        std::size_t n = 0;
        while(i < s.size() && is_digit(s[i])) {
            ++i;
            ++n;
        }
        if(n == 0 || n > 3)
            return false;
        if(part == 0) {
            if(i >= s.size() || s[i] != '.')
                return false;
            ++i;
        }
    }
    return i == s.size();
}

} // namespace detail

/// `c`: continue.
inline void
write_continue(std::string& out)
{
    detail::write_bare(out, reply::continue_);
}

/// `a`: accept the message (or, at connect/helo, the connection) without further checks.
inline void
write_accept(std::string& out)
{
    detail::write_bare(out, reply::accept);
}

/// `r`: reject with the MTA's default 5xx text.
inline void
write_reject(std::string& out)
{
    detail::write_bare(out, reply::reject);
}

/// `t`: temporary failure with the MTA's default 4xx text.
inline void
write_tempfail(std::string& out)
{
    detail::write_bare(out, reply::tempfail);
}

/// `d`: accept and silently discard the message (not valid at connect or helo).
inline void
write_discard(std::string& out)
{
    detail::write_bare(out, reply::discard);
}

/// `p`: still working; restarts the MTA's command timeout. May be sent any number of times
/// before the real reply.
inline void
write_progress(std::string& out)
{
    detail::write_bare(out, reply::progress);
}

/// `s`: send no more body chunks (only when SMFIP_SKIP was agreed, only in reply to a chunk).
inline void
write_skip(std::string& out)
{
    detail::write_bare(out, reply::skip);
}

/// `y`: reject (5xx) or tempfail (4xx) with our own SMTP reply.
///
/// `code` must be 400..599. `extended` is an RFC 3463 code of the same class ("5.7.1"); when
/// empty, "<class>.0.0" is used, because Postfix refuses a reply without one. `text` may hold
/// several lines separated by LF or CRLF (at most 32); they become a multi-line reply
/// ("550-5.7.1 first\r\n550 5.7.1 last"). A `%` is doubled: Sendmail uses the reply as a format
/// string and Postfix undoes the doubling. NUL is refused.
inline boost::system::error_code
write_replycode(std::string& out, unsigned code, std::string_view extended, std::string_view text)
{
    if(code < 400 || code > 599 || !detail::no_nul(extended) || !detail::no_nul(text))
        return error::bad_reply_argument;
    char const cls = static_cast<char>('0' + code / 100);
    std::string ext_default;
    if(extended.empty()) {
        ext_default = {cls, '.', '0', '.', '0'};
        extended = ext_default;
    } else if(!detail::valid_extended_code(extended, cls)) {
        return error::bad_reply_argument;
    }
    // Split into lines first, to know which is the last.
    std::array<std::string_view, 32> lines;
    std::size_t count = 0;
    for(std::string_view rest = text;;) {
        auto const lf = rest.find('\n');
        auto line = rest.substr(0, lf);
        if(!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if(line.find('\r') != std::string_view::npos)
            return error::bad_reply_argument;
        if(count == lines.size())
            return error::bad_reply_argument;
        lines[count++] = line;
        if(lf == std::string_view::npos)
            break;
        rest.remove_prefix(lf + 1);
    }
    char const digits[3] = {cls, static_cast<char>('0' + code / 10 % 10), static_cast<char>('0' + code % 10)};
    auto const start = out.size();
    auto const at = detail::begin_frame(out, static_cast<char>(reply::replycode));
    for(std::size_t i = 0; i < count; ++i) {
        if(i > 0)
            out.append("\r\n");
        out.append(digits, 3);
        out.push_back(i + 1 < count ? '-' : ' ');
        out.append(extended);
        if(!lines[i].empty())
            out.push_back(' ');
        for(char c : lines[i]) {
            out.push_back(c);
            if(c == '%')
                out.push_back('%');
        }
    }
    out.push_back('\0');
    if(!detail::end_frame(out, at)) {
        out.resize(start);
        return error::bad_reply_argument;
    }
    return {};
}

/// `q`: quarantine (hold) the message with a non-empty reason. Not final: a verdict follows.
inline boost::system::error_code
write_quarantine(std::string& out, std::string_view reason)
{
    if(reason.empty() || !detail::no_nul(reason))
        return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::quarantine));
    detail::put_cstr(out, reason);
    if(!detail::end_frame(out, at))
        return error::bad_reply_argument;
    return {};
}

namespace detail {

inline boost::system::error_code
write_header_edit(std::string& out, reply r, std::optional<std::uint32_t> index, std::string_view name,
                  std::string_view value)
{
    if(!valid_field_name(name) || !no_nul(value))
        return error::bad_reply_argument;
    auto const at = begin_frame(out, static_cast<char>(r));
    if(index)
        put_u32(out, *index);
    put_cstr(out, name);
    put_header_value(out, value);
    if(!end_frame(out, at))
        return error::bad_reply_argument;
    return {};
}

} // namespace detail

/// `h`: append a header field after the last one. The value is sent as given (CRLF becomes
/// LF); when SMFIP_HDR_LEADSPC was agreed the MTA adds no space after the colon, so start the
/// value with one (the session does this for its edits).
inline boost::system::error_code
write_add_header(std::string& out, std::string_view name, std::string_view value)
{
    return detail::write_header_edit(out, reply::add_header, std::nullopt, name, value);
}

/// `i`: insert a header field at `index` among all fields. Sendmail inserts before the field of
/// that 0-based position; Postfix after the first `index` fields: either way 0 is the very top
/// and 1 is just below the MTA's own Received field, where the Perl milter puts its headers.
inline boost::system::error_code
write_insert_header(std::string& out, std::uint32_t index, std::string_view name, std::string_view value)
{
    return detail::write_header_edit(out, reply::insert_header, index, name, value);
}

/// `m`: change the `index`-th (1-based) field called `name`; an empty value deletes it.
inline boost::system::error_code
write_change_header(std::string& out, std::uint32_t index, std::string_view name, std::string_view value)
{
    return detail::write_header_edit(out, reply::change_header, index, name, value);
}

/// `+`: add a recipient (SMFIF_ADDRCPT).
inline boost::system::error_code
write_add_rcpt(std::string& out, std::string_view rcpt)
{
    if(rcpt.empty() || !detail::no_nul(rcpt))
        return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::add_rcpt));
    detail::put_cstr(out, rcpt);
    detail::end_frame(out, at);
    return {};
}

/// `-`: remove a recipient (SMFIF_DELRCPT).
inline boost::system::error_code
write_del_rcpt(std::string& out, std::string_view rcpt)
{
    if(rcpt.empty() || !detail::no_nul(rcpt))
        return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::del_rcpt));
    detail::put_cstr(out, rcpt);
    detail::end_frame(out, at);
    return {};
}

/// `e`: replace the envelope sender, optionally with ESMTP arguments (SMFIF_CHGFROM).
inline boost::system::error_code
write_change_from(std::string& out, std::string_view from, std::string_view esmtp_args = {})
{
    if(from.empty() || !detail::no_nul(from) || !detail::no_nul(esmtp_args))
        return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::change_from));
    detail::put_cstr(out, from);
    if(!esmtp_args.empty())
        detail::put_cstr(out, esmtp_args);
    detail::end_frame(out, at);
    return {};
}

/// `l`: a macro list for one stage. libmilter defines the code but no MTA reads it; the lists
/// that work go in the negotiation reply (`write_negotiate`). Provided for completeness.
inline boost::system::error_code
write_setsymlist(std::string& out, macro_stage stage, std::string_view names)
{
    if(!detail::no_nul(names))
        return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::set_symlist));
    detail::put_u32(out, static_cast<std::uint32_t>(stage));
    detail::put_cstr(out, names);
    detail::end_frame(out, at);
    return {};
}

/// `O`: the negotiation reply: version, actions, protocol flags, then (protocol 6, with
/// SMFIF_SETSYMLIST in `actions`) one macro list per stage that has one. A stage with a list
/// gets only the macros named; a stage without keeps the MTA's default set.
inline boost::system::error_code
write_negotiate(std::string& out, std::uint32_t version, std::uint32_t actions, std::uint32_t protocol,
                std::span<symlist const> lists = {})
{
    for(auto const& l : lists)
        if(!detail::no_nul(l.names) || static_cast<std::size_t>(l.stage) >= macro_stage_count)
            return error::bad_reply_argument;
    auto const at = detail::begin_frame(out, static_cast<char>(reply::optneg));
    detail::put_u32(out, version);
    detail::put_u32(out, actions);
    detail::put_u32(out, protocol);
    for(auto const& l : lists) {
        detail::put_u32(out, static_cast<std::uint32_t>(l.stage));
        detail::put_cstr(out, l.names);
    }
    detail::end_frame(out, at);
    return {};
}

} // namespace authmilter::milter

#endif
