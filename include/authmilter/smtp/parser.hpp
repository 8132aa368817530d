// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_PARSER_HPP
#define AUTHMILTER_SMTP_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace authmilter::smtp {

/// Limits the inbound parser enforces.
struct parser_options {
    /// Longest command line, CRLF included. RFC 5321 4.5.3.1.4 says 512, but XFORWARD lines
    /// and ESMTP parameters from Postfix can be longer; anything past this is answered 500.
    std::size_t max_command_line = 2048;
    /// Largest message (DATA bytes after dot-unstuffing); 0 = no limit. Past it the rest of the
    /// data is read and thrown away, and the end of data is answered 552.
    std::uint64_t max_message_size = 0;
};

/// Why a command line or a message was refused by the framing layer.
enum class fault : std::uint8_t {
    none,
    line_too_long,   ///< command line longer than max_command_line (500)
    bare_lf,         ///< command line ended by LF without CR (500)
    message_too_big, ///< data past max_message_size (552)
    bare_newline,    ///< CR or LF alone inside message data (554)
};

/** The framing of the server side of SMTP, sans-I/O: bytes in (any split), command lines and
    message data out.

    Commands are lines ended by CRLF. After the session accepted a DATA command it calls
    begin_data(); the parser then hands out the message data dot-unstuffed, with CRLF line ends
    kept, until the line holding a single dot. Only CRLF.CRLF ends the data: a bare LF never
    starts a line, so `\n.\n` and `\r\n.\n` are data (the SMTP smuggling defence), and any bare
    CR or LF in the data marks the message as faulty, answered 554 at its end.

    Several commands in one read (PIPELINING) come out one next() call at a time. After a DATA
    command the parser waits (next() returns need_more) until the session calls begin_data()
    or refuse_data(), because the bytes that follow are data only when DATA was accepted.

    Views in an event stay valid until the next call of feed() or next().
*/
class parser {
public:
    struct event {
        enum class kind : std::uint8_t {
            need_more,   ///< nothing complete is buffered: feed more bytes
            command,     ///< `line` is one command line without its CRLF
            data,        ///< `data` is the next piece of message data (unstuffed)
            end_of_data, ///< the terminating dot line was read; `error` tells a message fault
            error,       ///< a command line was refused; `error` says why (the line is dropped)
        };
        kind what = kind::need_more;
        std::string_view line;
        std::string_view data;
        smtp::fault error = fault::none;
    };

    explicit parser(parser_options opts = {}) noexcept
        : opts_(opts)
    {}

    parser_options const& options() const noexcept { return opts_; }

    /// Adds received bytes.
    void feed(std::string_view bytes)
    {
        // Keep the buffer from growing without bound: drop what was consumed before appending.
        if(pos_ > 0 && (pos_ == in_.size() || pos_ > 4096)) {
            in_.erase(0, pos_);
            pos_ = 0;
        }
        in_.append(bytes);
    }

    /// The next complete item, or need_more.
    event next()
    {
        switch(mode_) {
        case mode::command: return next_command();
        case mode::data_wait: return {};
        case mode::data: return next_data();
        }
        return {};
    }

    /// The session accepted the DATA command (answered 354): what follows is message data.
    void begin_data() noexcept
    {
        mode_ = mode::data;
        data_state_ = dstate::line_start;
        data_size_ = 0;
        data_fault_ = fault::none;
    }

    /// The session refused the DATA command: what follows are commands again.
    void refuse_data() noexcept { mode_ = mode::command; }

    /// True between begin_data() and the end of data.
    bool in_data() const noexcept { return mode_ == mode::data; }
    /// True after a DATA command was returned and before begin_data()/refuse_data().
    bool awaiting_data_decision() const noexcept { return mode_ == mode::data_wait; }

    /// Message bytes delivered so far in the current data (after unstuffing).
    std::uint64_t data_size() const noexcept { return data_size_; }

    /// Bytes received and not yet handed out.
    std::size_t buffered() const noexcept { return in_.size() - pos_; }

private:
    enum class mode : std::uint8_t { command, data_wait, data };
    // Data states: at the start of a line, after a dot there, after ".\r" there, inside a line,
    // after a CR inside a line.
    enum class dstate : std::uint8_t { line_start, dot, dot_cr, text, cr };

    static bool is_data_verb(std::string_view line) noexcept
    {
        if(line.size() < 4)
            return false;
        auto up = [](char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); };
        if(up(line[0]) != 'D' || up(line[1]) != 'A' || up(line[2]) != 'T' || up(line[3]) != 'A')
            return false;
        return line.size() == 4 || line[4] == ' ';
    }

    event next_command()
    {
        event ev;
        std::string_view const avail(in_.data() + pos_, in_.size() - pos_);
        auto const nl = avail.find('\n');
        if(skipping_) {
            if(nl == std::string_view::npos) {
                pos_ = in_.size();
                return ev;
            }
            pos_ += nl + 1;
            skipping_ = false;
            ev.what = event::kind::error;
            ev.error = fault::line_too_long;
            return ev;
        }
        if(nl == std::string_view::npos) {
            if(avail.size() >= opts_.max_command_line) {
                // Too long already; read on to its end, then answer once.
                skipping_ = true;
                pos_ = in_.size();
            }
            return ev;
        }
        pos_ += nl + 1;
        if(nl + 1 > opts_.max_command_line) {
            ev.what = event::kind::error;
            ev.error = fault::line_too_long;
            return ev;
        }
        if(nl == 0 || avail[nl - 1] != '\r') {
            ev.what = event::kind::error;
            ev.error = fault::bare_lf;
            return ev;
        }
        ev.what = event::kind::command;
        ev.line = avail.substr(0, nl - 1);
        if(is_data_verb(ev.line))
            mode_ = mode::data_wait;
        return ev;
    }

    void emit(char c)
    {
        ++data_size_;
        if(opts_.max_message_size != 0 && data_size_ > opts_.max_message_size) {
            if(data_fault_ == fault::none)
                data_fault_ = fault::message_too_big;
            return;
        }
        out_ += c;
    }

    // emit() for in_[from, from + n): the same size accounting, one append.
    void emit_run(std::size_t from, std::size_t n)
    {
        auto const before = data_size_;
        data_size_ += n;
        auto const max = opts_.max_message_size;
        if(max != 0 && data_size_ > max) {
            if(data_fault_ == fault::none)
                data_fault_ = fault::message_too_big;
            n = before >= max ? 0 : static_cast<std::size_t>(max - before);
        }
        out_.append(in_, from, n);
    }

    void mark_bare() noexcept
    {
        if(data_fault_ == fault::none)
            data_fault_ = fault::bare_newline;
    }

    event next_data()
    {
        out_.clear();
        event ev;
        if(pending_end_) {
            pending_end_ = false;
            mode_ = mode::command;
            ev.what = event::kind::end_of_data;
            ev.error = data_fault_;
            return ev;
        }
        std::size_t i = pos_;
        std::size_t const end = in_.size();
        bool done = false;
        while(i < end && !done) {
            char const c = in_[i];
            switch(data_state_) {
            case dstate::line_start:
                if(c == '.') {
                    data_state_ = dstate::dot;
                    ++i;
                    continue;
                }
                data_state_ = dstate::text;
                continue; // the same byte, as text
            case dstate::dot:
                if(c == '\r') {
                    data_state_ = dstate::dot_cr;
                    ++i;
                    continue;
                }
                data_state_ = dstate::text; // the leading dot is dropped (RFC 5321 4.5.2)
                continue;
            case dstate::dot_cr:
                if(c == '\n') {
                    ++i;
                    done = true;
                    continue;
                }
                // ".\r" then something else: the dot is dropped, the CR stays, and is bare.
                mark_bare();
                emit('\r');
                data_state_ = dstate::text;
                continue;
            case dstate::text: {
                // Fast path: the run of ordinary bytes up to the next CR or LF, found with memchr
                // and copied at once.
                char const* const p = in_.data() + i;
                std::size_t run = end - i;
                if(auto const* cr = static_cast<char const*>(std::memchr(p, '\r', run)))
                    run = static_cast<std::size_t>(cr - p);
                if(auto const* lf = static_cast<char const*>(std::memchr(p, '\n', run)))
                    run = static_cast<std::size_t>(lf - p);
                if(run > 0) {
                    emit_run(i, run);
                    i += run;
                    continue;
                }
                if(c == '\r') {
                    data_state_ = dstate::cr;
                } else {
                    if(c == '\n')
                        mark_bare(); // a bare LF does not start a line
                    emit(c);
                }
                ++i;
                continue;
            }
            case dstate::cr:
                if(c == '\n') {
                    emit('\r');
                    emit('\n');
                    data_state_ = dstate::line_start;
                    ++i;
                    continue;
                }
                mark_bare();
                emit('\r');
                data_state_ = dstate::text;
                continue;
            }
        }
        pos_ = i;
        if(!out_.empty()) {
            // Hand out the data first; the end comes with the next call.
            if(done)
                pending_end_ = true;
            ev.what = event::kind::data;
            ev.data = out_;
            return ev;
        }
        if(done) {
            mode_ = mode::command;
            ev.what = event::kind::end_of_data;
            ev.error = data_fault_;
            return ev;
        }
        return ev;
    }

    parser_options opts_;
    std::string in_;
    std::size_t pos_ = 0;
    std::string out_;
    mode mode_ = mode::command;
    dstate data_state_ = dstate::line_start;
    bool skipping_ = false;
    bool pending_end_ = false;
    std::uint64_t data_size_ = 0;
    fault data_fault_ = fault::none;
};

} // namespace authmilter::smtp

#endif
