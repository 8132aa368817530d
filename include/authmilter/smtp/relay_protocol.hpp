// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_RELAY_PROTOCOL_HPP
#define AUTHMILTER_SMTP_RELAY_PROTOCOL_HPP

// The client side of SMTP towards the next hop, sans-I/O: a reply reader, a dot-stuffer, and
// the conversation for one message. relay_client.hpp moves its bytes with Asio.

#include <authmilter/smtp/command.hpp>
#include <authmilter/smtp/message_store.hpp>
#include <authmilter/smtp/reply.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::smtp {

/// One message to relay: the envelope as received, the client facts to pass on, the header
/// section as it leaves (our Received and the handlers' edits applied) and the body.
struct relay_request {
    std::string mail_argument;               ///< the text after `MAIL FROM:`, as received
    std::vector<std::string> rcpt_arguments; ///< the text after `RCPT TO:` of each accepted RCPT
    xforward_attributes xforward;            ///< passed on when the next hop offers XFORWARD
    std::string header_text;                 ///< header fields with CRLF, without the blank line
    message_store const* body = nullptr;     ///< CRLF line ends; may be null for no body
};

/// How relaying ended.
struct relay_outcome {
    bool delivered = false; ///< the next hop answered 250 to the end of data
    /// The next hop's answer to the end of data when delivered; otherwise the reply to give the
    /// upstream: the next hop's own 4xx/5xx, or a 451 made here for a failure on the way.
    smtp::reply answer;
    std::string queue_id; ///< the next hop's queue id, from `queued as X`, when it said one
};

/** Reads SMTP replies (`250-...` continuation lines, then `250 ...`) from bytes in any split.
    A malformed line or a reply longer than 64 KiB is an error.
*/
class reply_reader {
public:
    enum class status : std::uint8_t { need_more, complete, error };

    void feed(std::string_view bytes) { buf_.append(bytes); }

    /// Takes the next complete reply into `out`.
    status next(reply& out)
    {
        while(true) {
            auto const nl = buf_.find('\n', pos_);
            if(nl == std::string::npos) {
                if(buf_.size() - pos_ > 65536)
                    return status::error;
                return status::need_more;
            }
            std::string_view line(buf_.data() + pos_, nl - pos_);
            pos_ = nl + 1;
            if(!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if(line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) ||
               (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
                return status::error;
            auto const code =
                static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
            if(!current_.lines.empty() && code != current_.code)
                return status::error;
            current_.code = code;
            std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
            current_.lines.emplace_back(text);
            if(++lines_ > 1000)
                return status::error;
            if(line.size() > 3 && line[3] == '-')
                continue;
            out = std::move(current_);
            current_ = {};
            lines_ = 0;
            split_enhanced(out);
            buf_.erase(0, pos_);
            pos_ = 0;
            return status::complete;
        }
    }

private:
    static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

    // "2.0.0 Ok" -> enhanced "2.0.0", text "Ok", when the code's class matches.
    static void split_enhanced(reply& r)
    {
        auto& first = r.lines.front();
        auto const sp = first.find(' ');
        std::string_view const word = std::string_view(first).substr(0, sp);
        int dots = 0;
        bool ok = word.size() >= 5 && word[0] == static_cast<char>('0' + r.code / 100) && word[1] == '.';
        for(char c : word) {
            if(c == '.')
                ++dots;
            else if(!digit(c))
                ok = false;
        }
        if(!ok || dots != 2)
            return;
        r.enhanced = std::string(word);
        for(auto& l : r.lines) {
            if(l.starts_with(r.enhanced + " "))
                l.erase(0, r.enhanced.size() + 1);
            else if(l == r.enhanced)
                l.clear();
        }
    }

    std::string buf_;
    std::size_t pos_ = 0;
    reply current_;
    std::size_t lines_ = 0;
};

/** Dot-stuffing for the way out (RFC 5321 4.5.2): a line that starts with `.` gets another.
    Input in any split; finish() ends the data with CRLF.CRLF (adding a CRLF when the message
    did not end with one).
*/
class dot_stuffer {
public:
    void stuff(std::string_view in, std::string& out)
    {
        empty_ = empty_ && in.empty();
        // Line by line (memchr), not byte by byte: this copy is on the path of every relayed byte.
        while(!in.empty()) {
            if(line_start_ && in.front() == '.')
                out += '.';
            auto const nl = in.find('\n');
            if(nl == std::string_view::npos) {
                out.append(in);
                line_start_ = false;
                return;
            }
            out.append(in.substr(0, nl + 1));
            line_start_ = true;
            in.remove_prefix(nl + 1);
        }
    }
    void finish(std::string& out)
    {
        if(!line_start_ && !empty_)
            out += "\r\n";
        out += ".\r\n";
    }

private:
    bool line_start_ = true;
    bool empty_ = true;
};

/** The conversation with the next hop for one message, sans-I/O.

    Greeting 220, `EHLO <server_name>` (HELO when EHLO is refused), XFORWARD with the attributes
    the next hop offers, MAIL, every RCPT, DATA, the message, and QUIT. Every step waits for its
    reply: the next hop's 250 to the end of data is the only way to `delivered`. A refusal stops
    the conversation with the next hop's reply as the answer to pass upstream; when only some
    recipients are refused the whole message is deferred (451), because one SMTP reply to the
    end of data cannot accept some recipients and refuse others, and a deferral loses nothing.

    Drive it: `next()` says what to do; after writing a command or the message call `sent()`,
    after reading a reply call `on_reply()`; `failed()` for an I/O error or a timeout.
*/
class relay_protocol {
public:
    enum class action : std::uint8_t {
        read_reply,    ///< read one reply, then on_reply()
        write_command, ///< write command(), then sent()
        write_message, ///< write the dot-stuffed message, then sent()
        write_quit,    ///< write command() (QUIT) without waiting for its reply; then done
        done,          ///< outcome() is final
    };

    relay_protocol(std::string server_name, relay_request const& req)
        : name_(std::move(server_name))
        , req_(req)
    {}

    action next() const noexcept { return action_; }
    /// The command line to write (with CRLF) for write_command / write_quit.
    std::string const& command() const noexcept { return command_; }
    relay_outcome const& outcome() const noexcept { return outcome_; }
    /// What the next hop offered in its EHLO reply.
    bool offers_xforward() const noexcept { return !xforward_offer_.empty(); }
    bool offers_pipelining() const noexcept { return pipelining_; }

    /// The command or message was written.
    void sent()
    {
        if(action_ == action::write_quit) {
            action_ = action::done;
            return;
        }
        action_ = action::read_reply;
    }

    /// An I/O error, a timeout or a malformed reply: nothing was delivered.
    void failed(std::string_view what)
    {
        if(action_ == action::done)
            return;
        if(step_ == step::quit) {
            action_ = action::done;
            return;
        }
        outcome_.delivered = false;
        outcome_.answer = reply(451, "4.4.2", "Next hop failed: " + std::string(what));
        action_ = action::done;
    }

    void on_reply(reply const& r)
    {
        switch(step_) {
        case step::greeting:
            if(r.code != 220)
                return refuse(r, "greeting");
            return send(step::ehlo, "EHLO " + name_);
        case step::ehlo:
            if(r.code != 250) {
                if(r.permanent())
                    return send(step::helo, "HELO " + name_);
                return refuse(r, "EHLO");
            }
            read_capabilities(r);
            return after_helo();
        case step::helo:
            if(r.code != 250)
                return refuse(r, "HELO");
            return after_helo();
        case step::xforward:
            if(r.code != 250)
                return refuse(r, "XFORWARD");
            return next_xforward();
        case step::mail:
            if(r.code != 250)
                return refuse(r, "MAIL");
            rcpt_index_ = 0;
            return next_rcpt();
        case step::rcpt:
            if(r.code != 250 && r.code != 251) {
                if(!first_refusal_)
                    first_refusal_ = r;
                all_refusals_permanent_ = all_refusals_permanent_ && r.permanent();
            } else
                ++accepted_;
            ++rcpt_index_;
            return next_rcpt();
        case step::data:
            if(r.code != 354)
                return refuse(r, "DATA");
            step_ = step::message;
            action_ = action::write_message;
            return;
        case step::message:
            if(r.code != 250)
                return refuse(r, "end of data");
            outcome_.delivered = true;
            outcome_.answer = r;
            outcome_.queue_id = queue_id_of(r);
            return quit();
        case step::quit: action_ = action::done; return;
        }
    }

    /// The queue id in a reply text like `Ok: queued as 4ZxY1r2Abc` (Postfix), or empty.
    static std::string queue_id_of(reply const& r)
    {
        for(auto const& l : r.lines) {
            std::string lower(l);
            for(auto& c : lower)
                c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            auto const at = lower.find("queued as ");
            if(at == std::string::npos)
                continue;
            auto id = std::string_view(l).substr(at + 10);
            auto const end = id.find_first_of(" ;,()\t");
            return std::string(id.substr(0, end));
        }
        return {};
    }

private:
    enum class step : std::uint8_t { greeting, ehlo, helo, xforward, mail, rcpt, data, message, quit };

    void send(step s, std::string line)
    {
        step_ = s;
        command_ = std::move(line);
        command_ += "\r\n";
        action_ = action::write_command;
    }

    // A next hop's 421 means *it* closes; we do not, so the upstream gets 451 with its text.
    static reply upstream_form(reply r)
    {
        if(r.code == 421)
            r.code = 451;
        return r;
    }

    void refuse(reply const& r, std::string_view where)
    {
        outcome_.delivered = false;
        if(r.transient() || r.permanent())
            outcome_.answer = upstream_form(r);
        else
            outcome_.answer = reply(
                451, "4.4.2", "Next hop answered " + std::string(where) + " with " + std::to_string(r.code));
        quit();
    }

    void quit()
    {
        step_ = step::quit;
        command_ = "QUIT\r\n";
        action_ = action::write_quit;
    }

    void read_capabilities(reply const& r)
    {
        for(std::size_t i = 1; i < r.lines.size(); ++i) {
            std::string_view l = r.lines[i];
            if(detail::iequal_prefix(l, "PIPELINING") && l.size() == 10)
                pipelining_ = true;
            if(detail::iequal_prefix(l, "XFORWARD") && (l.size() == 8 || l[8] == ' ')) {
                std::string up(l.size() > 9 ? l.substr(9) : std::string_view());
                for(auto& c : up)
                    c = detail::ascii_upper(c);
                xforward_offer_ = " " + up + " ";
                if(xforward_offer_ == "  ")
                    xforward_offer_ = " ";
            }
        }
    }

    void after_helo()
    {
        // One XFORWARD per attribute keeps every line short, whatever the values.
        auto add = [&](std::string_view key, std::optional<std::string> const& v) {
            if(!v || xforward_offer_.find(" " + std::string(key) + " ") == std::string::npos)
                return;
            xforward_lines_.push_back("XFORWARD " + std::string(key) + "=" + encode_xtext(*v));
        };
        auto const& x = req_.xforward;
        add("NAME", x.name);
        add("ADDR", x.addr);
        add("PORT", x.port);
        add("PROTO", x.proto);
        add("HELO", x.helo);
        add("IDENT", x.ident);
        add("SOURCE", x.source);
        next_xforward();
    }

    void next_xforward()
    {
        if(xforward_index_ < xforward_lines_.size())
            return send(step::xforward, xforward_lines_[xforward_index_++]);
        send(step::mail, "MAIL FROM:" + req_.mail_argument);
    }

    void next_rcpt()
    {
        if(rcpt_index_ < req_.rcpt_arguments.size())
            return send(step::rcpt, "RCPT TO:" + req_.rcpt_arguments[rcpt_index_]);
        if(first_refusal_) {
            outcome_.delivered = false;
            if(accepted_ == 0 && all_refusals_permanent_)
                outcome_.answer = *first_refusal_;
            else if(accepted_ == 0)
                outcome_.answer =
                    first_refusal_->transient()
                        ? upstream_form(*first_refusal_)
                        : reply(451, "4.4.0", "Next hop refused RCPT: " + first_refusal_->text());
            else
                outcome_.answer =
                    reply(451, "4.4.0",
                          "Next hop refused some recipients: " + std::to_string(first_refusal_->code) + " " +
                              first_refusal_->text());
            return quit();
        }
        send(step::data, "DATA");
    }

    std::string name_;
    relay_request const& req_;
    action action_ = action::read_reply;
    step step_ = step::greeting;
    std::string command_;
    relay_outcome outcome_;
    std::string xforward_offer_;
    bool pipelining_ = false;
    std::vector<std::string> xforward_lines_;
    std::size_t xforward_index_ = 0;
    std::size_t rcpt_index_ = 0;
    std::size_t accepted_ = 0;
    std::optional<reply> first_refusal_;
    bool all_refusals_permanent_ = true;
};

} // namespace authmilter::smtp

#endif
