// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_SESSION_HPP
#define AUTHMILTER_SMTP_SESSION_HPP

// One inbound SMTP connection of the after-queue filter, sans-I/O towards the upstream MTA:
// bytes in, replies out. It runs the pipeline for each transaction and hands accepted messages
// to a Relay (relay_client in the server, a fake in tests). The upstream gets its 250 only after
// the relay reported the next hop's 250.

#include <authmilter/app/ip_map.hpp>
#include <authmilter/authres/result.hpp>
#include <authmilter/config/daemon_config.hpp>
#include <authmilter/core/envelope.hpp>
#include <authmilter/core/header_field.hpp>
#include <authmilter/pipeline/apply_edits.hpp>
#include <authmilter/pipeline/run.hpp>
#include <authmilter/pipeline/stage.hpp>
#include <authmilter/pipeline/transaction.hpp>
#include <authmilter/smtp/command.hpp>
#include <authmilter/smtp/message_store.hpp>
#include <authmilter/smtp/parser.hpp>
#include <authmilter/smtp/relay_protocol.hpp>
#include <authmilter/smtp/reply.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace authmilter::smtp {

/// What a session needs to know; the server fills it from the `smtp` configuration.
struct session_options {
    std::string server_name = "server.example.com";            ///< greeting, EHLO, Received, macro `j`
    bool before_queue = false;                                 ///< `queue_type` before: no XFORWARD IDENT
    std::int64_t pipeline_limit = 0;                           ///< transactions per connection; 0 = no limit
    std::size_t chunk_limit = 1048576;                         ///< body bytes per handler call and in memory
    std::string temp_dir;                                      ///< spool directory; empty = memory only
    parser_options limits;                                     ///< line length and message size
    std::size_t max_header_bytes = 1048576;                    ///< a longer header section is taken as body
    std::vector<config::ip_map_entry> const* ip_map = nullptr; ///< `ip_map`, applied before connect
    std::function<void(std::string_view)> log;                 ///< one line per event; may be empty
    std::uint64_t queue_id_seed = 0; ///< 0 = random queue ids; tests set one to repeat them
    /// `content_timeout`: the handlers' time for one transaction, counted from MAIL and again
    /// from DATA (as the Perl tool re-arms it); 0 = none. A stage still running at the deadline
    /// is cancelled and counts as a handler error (`tempfail_on_error` decides). The server
    /// also caps its waits for the upstream with it.
    std::chrono::steady_clock::duration content_timeout{0};
};

/// The directly connected client (the MTA), as the socket reports it.
struct peer_info {
    std::optional<core::ip_address> ip; ///< absent for a unix socket
    std::uint16_t port = 0;
};

/// What a session relays with: `co_await relay.deliver(request)` gives the outcome.
template<class R>
concept Relay = requires(R& r, relay_request const& q)
{
    {
        r.deliver(q)
        } -> std::same_as<boost::asio::awaitable<relay_outcome>>;
};

/// The SMTP reply for a reject or tempfail verdict: the verdict's code and text when they fit
/// the action's class, the defaults otherwise.
inline reply
verdict_reply(pipeline::verdict const& v)
{
    bool const reject = v.what == pipeline::verdict::action::reject;
    auto const lo = reject ? 500 : 400;
    std::uint16_t code = (v.smtp_code >= lo && v.smtp_code < lo + 100) ? v.smtp_code : (reject ? 550 : 451);
    std::string ext = v.extended_code;
    if(ext.empty() || ext[0] != static_cast<char>('0' + code / 100))
        ext = reject ? "5.7.0" : "4.7.0";
    std::string text = v.text.empty() ? (reject ? "Message rejected" : "Message deferred") : v.text;
    return reply(code, std::move(ext), std::move(text));
}

/** The SMTP server side of one connection, bound to a pipeline.

    @tparam Pipeline a pipeline::pipeline<...>
    @tparam Resolver the handlers' DNS resolver
    @tparam Sinks    called at end of message (`sinks.on_eom(txn)`), e.g. sink_set<authres_sink>
    @tparam RelayT   a Relay

    Each SMTP transaction (MAIL to end of data, or to RSET) is one pipeline connection, as in
    the Perl tool: connect and helo run at MAIL with the XFORWARD client data (after
    `ip_map`/`helo_map`), then envfrom, envrcpt per recipient, each header, eoh, the body in
    chunks of at most `chunk_limit`, eom; then the sinks; then the verdict decides: reject and
    tempfail are answered with their reply, discard with 250 and no relay, anything else is
    relayed with the header edits applied (A-R first) under our own Received field.
*/
template<class Pipeline, class Resolver, class Sinks, Relay RelayT> class session {
public:
    using transaction_type = pipeline::transaction<Pipeline, Resolver, authres::result>;

    session(Pipeline const& p, Resolver& r, Sinks const& sinks, RelayT& relay, session_options const& opts,
            peer_info peer)
        : pipeline_(p)
        , resolver_(r)
        , sinks_(sinks)
        , relay_(relay)
        , opts_(opts)
        , peer_(std::move(peer))
        , parser_(opts.limits)
        , store_(opts.chunk_limit, opts.temp_dir)
        , rng_(opts.queue_id_seed != 0 ? opts.queue_id_seed : std::random_device{}())
    {}

    /// The 220 greeting to send first.
    std::string greeting() const
    {
        return reply(220, "", opts_.server_name + " ESMTP AuthenticationMilter").to_string();
    }

    /// Takes bytes from the upstream MTA; replies are appended to `out`. Handlers and the relay
    /// are awaited inside, so the replies to pipelined commands come out in order.
    boost::asio::awaitable<void> on_input(std::string_view bytes, std::string& out)
    {
        if(closed_)
            co_return;
        parser_.feed(bytes);
        while(!closed_) {
            auto ev = parser_.next();
            using kind = parser::event::kind;
            if(ev.what == kind::need_more)
                break;
            switch(ev.what) {
            case kind::command: co_await on_command(std::string(ev.line), out); break;
            case kind::error:
                if(ev.error == fault::line_too_long)
                    write(out, reply(500, "5.5.2", "Line too long"));
                else
                    write(out, reply(500, "5.5.2", "Bare LF in command line not allowed"));
                break;
            case kind::data: on_data(ev.data); break;
            case kind::end_of_data: co_await on_end_of_data(ev.error, out); break;
            case kind::need_more: break;
            }
            if(!eoh_pending_)
                continue;
            eoh_pending_ = false;
            co_await stage(pipeline::events::eoh{});
            feed_body(pending_body_);
            pending_body_.clear();
        }
    }

    /// The upstream closed the connection (or timed out): an open transaction is abandoned;
    /// nothing of it was acknowledged, so nothing is lost.
    boost::asio::awaitable<void> on_close()
    {
        if(txn_)
            co_await end_transaction(true);
        closed_ = true;
    }

    /// True after QUIT, a 421, or on_close().
    bool closed() const noexcept { return closed_; }
    /// True while message data is being received.
    bool in_data() const noexcept { return parser_.in_data(); }
    /// Transactions begun on this connection.
    std::size_t transactions() const noexcept { return transactions_; }
    /// The current (or last) queue id.
    std::string const& queue_id() const noexcept { return queue_id_; }
    /// The body store of the message being received.
    message_store const& store() const noexcept { return store_; }
    /// While a transaction is open and `content_timeout` is set: when its time is up.
    std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept
    {
        if(!txn_ || opts_.content_timeout.count() <= 0)
            return std::nullopt;
        return deadline_;
    }

private:
    void write(std::string& out, reply const& r) const { r.write(out); }

    // One pipeline stage, bounded by content_timeout.
    template<class Event> boost::asio::awaitable<void> stage(Event const& ev)
    {
        if(opts_.content_timeout.count() <= 0)
            co_await pipeline_.dispatch(*txn_, ev);
        else
            co_await timed(pipeline_.dispatch(*txn_, ev), pipeline::to_string(Event::kind));
    }

    // Runs `work` until the transaction's deadline. At the deadline the work is cancelled (the
    // handler waiting sees operation_aborted, which the pipeline records as its error) and the
    // timeout is one more handler error: tempfail_on_error and its variants decide, as in the
    // Perl tool. Abort and close are not bounded: they must run for the handlers to clean up.
    boost::asio::awaitable<void> timed(boost::asio::awaitable<void> work, std::string_view what)
    {
        using namespace boost::asio::experimental::awaitable_operators;
        if(opts_.content_timeout.count() <= 0) {
            co_await std::move(work);
            co_return;
        }
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline_);
        auto const r =
            co_await (std::move(work) || timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
        if(r.index() == 0)
            co_return;
        log(queue_id_ + ": content_timeout at " + std::string(what));
        txn_->handler_errors().push_back("content_timeout " + std::string(what));
        auto const& p = pipeline_.get_error_policy();
        auto const& t = txn_->trust();
        bool const tempfail = t.authenticated ? p.tempfail_on_error_authenticated
                              : t.local       ? p.tempfail_on_error_local
                              : t.trusted     ? p.tempfail_on_error_trusted
                                              : p.tempfail_on_error;
        if(tempfail)
            txn_->set_verdict(
                pipeline::verdict::tempfail(451, "4.4.3", "Timed out while checking the message"));
    }

    void log(std::string_view line) const
    {
        if(opts_.log)
            opts_.log(line);
    }

    void new_queue_id()
    {
        static constexpr char digits[] = "0123456789ABCDEF";
        queue_id_.clear();
        std::uniform_int_distribution<int> d(0, 15);
        for(int i = 0; i < 11; ++i)
            queue_id_ += digits[d(rng_)];
    }

    reply ehlo_reply() const
    {
        reply r;
        r.code = 250;
        r.lines.push_back(opts_.server_name);
        r.lines.push_back("PIPELINING");
        r.lines.push_back(opts_.limits.max_message_size != 0
                              ? "SIZE " + std::to_string(opts_.limits.max_message_size)
                              : std::string("SIZE"));
        r.lines.push_back("8BITMIME");
        r.lines.push_back("SMTPUTF8");
        r.lines.push_back("ENHANCEDSTATUSCODES");
        r.lines.push_back(opts_.before_queue ? "XFORWARD NAME ADDR PORT PROTO HELO SOURCE"
                                             : "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
        return r;
    }

    boost::asio::awaitable<void> on_command(std::string line, std::string& out)
    {
        auto const c = parse_command(line);
        if(c.what == verb::data) {
            // The parser waits for our decision about what follows.
            if(auto refusal = data_refusal()) {
                parser_.refuse_data();
                write(out, *refusal);
                co_return;
            }
            parser_.begin_data();
            in_headers_ = true;
            deadline_ = std::chrono::steady_clock::now() + opts_.content_timeout;
            write(out, reply(354, "", "End data with <CR><LF>.<CR><LF>"));
            co_return;
        }
        if(c.syntax_error) {
            write(out, reply(501, "5.5.4", "Syntax error in parameters or arguments"));
            co_return;
        }
        switch(c.what) {
        case verb::ehlo:
        case verb::helo:
            if(c.argument.empty()) {
                write(out, reply(501, "5.5.4", "Syntax: EHLO hostname"));
                co_return;
            }
            if(txn_)
                co_await end_transaction(true); // RFC 5321 4.1.4: EHLO resets the transaction
            xforward_ = {};
            helo_ = std::string(c.argument);
            if(c.what == verb::ehlo)
                write(out, ehlo_reply());
            else
                write(out, reply(250, "", opts_.server_name + " Hi " + helo_));
            co_return;
        case verb::xforward:
            if(txn_) {
                write(out, reply(503, "5.5.1", "XFORWARD not allowed in a mail transaction"));
                co_return;
            }
            if(auto bad = apply_xforward(c.argument, xforward_))
                write(out, *bad);
            else
                write(out, reply(250, "2.0.0", "Ok"));
            co_return;
        case verb::mail: co_await on_mail(c.argument, out); co_return;
        case verb::rcpt: co_await on_rcpt(c.argument, out); co_return;
        case verb::rset:
            if(txn_)
                co_await end_transaction(true);
            xforward_ = {};
            write(out, reply(250, "2.0.0", "Ok"));
            co_return;
        case verb::noop: write(out, reply(250, "2.0.0", "Ok")); co_return;
        case verb::quit:
            if(txn_)
                co_await end_transaction(true);
            write(out, reply(221, "2.0.0", "Bye"));
            closed_ = true;
            co_return;
        default: write(out, reply(502, "5.5.2", "I don't understand")); co_return;
        }
    }

    boost::asio::awaitable<void> on_mail(std::string_view argument, std::string& out)
    {
        if(helo_.empty()) {
            write(out, reply(503, "5.5.1", "Send HELO/EHLO first"));
            co_return;
        }
        if(txn_) {
            write(out, reply(503, "5.5.1", "Nested MAIL Command"));
            co_return;
        }
        if(opts_.pipeline_limit > 0 && transactions_ >= static_cast<std::size_t>(opts_.pipeline_limit)) {
            write(out, reply(421, "4.3.2", "Pipeline limit reached"));
            closed_ = true;
            co_return;
        }
        auto parsed = parse_mail(argument, opts_.limits.max_message_size);
        if(auto* r = std::get_if<reply>(&parsed)) {
            write(out, *r);
            co_return;
        }
        auto& mail = std::get<mail_command>(parsed);

        ++transactions_;
        new_queue_id();
        if(!opts_.before_queue && xforward_.ident) {
            queue_id_ += "." + *xforward_.ident;
            log(queue_id_ + ": Upstream ID: " + *xforward_.ident);
        }
        txn_.emplace(pipeline_, resolver_);
        txn_->set_macro("j", opts_.server_name);
        txn_->set_macro("{rcpt_host}", opts_.server_name);
        txn_->set_macro("i", queue_id_);
        mail_argument_ = std::string(argument);
        rcpt_arguments_.clear();
        failure_.reset();

        // The client the checks see: XFORWARD data, else the direct peer.
        core::connection_info conn;
        if(xforward_.addr)
            conn.client_ip = core::ip_address::parse(*xforward_.addr);
        else if(peer_.ip)
            conn.client_ip = peer_.ip;
        else
            conn.client_ip = core::ip_address::parse("127.0.0.1");
        if(xforward_.name)
            conn.client_name = *xforward_.name;
        else if(!xforward_.addr && !peer_.ip)
            conn.client_name = "localhost";
        else if(conn.client_ip)
            conn.client_name = "[" + conn.client_ip->to_string() + "]";
        if(xforward_.port) {
            unsigned port = 0;
            for(char ch : *xforward_.port)
                port = (ch >= '0' && ch <= '9' && port < 65536) ? port * 10 + static_cast<unsigned>(ch - '0')
                                                                : 65536;
            conn.client_port = port < 65536 ? static_cast<std::uint16_t>(port) : 0;
        } else if(!xforward_.addr)
            conn.client_port = peer_.port;
        conn.helo = xforward_.helo ? *xforward_.helo : helo_;
        if(opts_.ip_map != nullptr) {
            std::string const helo_sent = conn.helo;
            auto const* matched = app::remap_connect(*opts_.ip_map, conn);
            app::remap_helo(matched, helo_sent, conn);
        }
        deadline_ = std::chrono::steady_clock::now() + opts_.content_timeout;
        co_await timed(pipeline::run_connection(pipeline_, *txn_, conn), "connect");
        txn_->begin_message();
        auto& env = txn_->envelope();
        env.mail_from = mail.path.address();
        for(auto const& prm : mail.path.params)
            env.mail_params.push_back(prm.value.empty() ? prm.keyword : prm.keyword + "=" + prm.value);
        std::span<std::string const> const params(env.mail_params);
        if(!txn_->verdict().is_final())
            co_await stage(pipeline::events::envfrom{env.mail_from, params});
        auto const& v = txn_->verdict();
        using action = pipeline::verdict::action;
        if(v.what == action::reject || v.what == action::tempfail) {
            auto const r = verdict_reply(v);
            log(queue_id_ + ": MAIL refused: " + r.text());
            write(out, r);
            co_await end_transaction(false);
            co_return;
        }
        write(out, reply(250, "2.0.0", "Ok"));
    }

    boost::asio::awaitable<void> on_rcpt(std::string_view argument, std::string& out)
    {
        if(!txn_) {
            write(out, reply(503, "5.5.1", "Need MAIL command"));
            co_return;
        }
        auto parsed = parse_rcpt(argument);
        if(auto* r = std::get_if<reply>(&parsed)) {
            write(out, *r);
            co_return;
        }
        if(failure_) {
            write(out, *failure_);
            co_return;
        }
        auto const& path = std::get<core::smtp_path>(parsed);
        auto& env = txn_->envelope();
        env.rcpt_to.push_back(path.address());
        std::span<std::string const> const no_params;
        if(!txn_->verdict().is_final())
            co_await stage(pipeline::events::envrcpt{env.rcpt_to.back(), no_params});
        auto const& v = txn_->verdict();
        using action = pipeline::verdict::action;
        if(v.what == action::reject || v.what == action::tempfail) {
            // A final verdict ends the checks of the whole message: refuse the rest alike.
            failure_ = verdict_reply(v);
            env.rcpt_to.pop_back();
            write(out, *failure_);
            co_return;
        }
        rcpt_arguments_.push_back(std::string(argument));
        write(out, reply(250, "2.0.0", "Ok"));
    }

    std::optional<reply> data_refusal() const
    {
        if(!txn_)
            return reply(503, "5.5.1", "Need MAIL command");
        if(failure_)
            return *failure_;
        if(rcpt_arguments_.empty())
            return reply(554, "5.5.1", "No valid recipients");
        return std::nullopt;
    }

    // Message data: the header section is collected line by line and each field dispatched
    // when the next line shows it complete; the rest goes to the body.
    void on_data(std::string_view data)
    {
        if(!in_headers_) {
            if(eoh_pending_)
                pending_body_.append(data);
            else
                feed_body(data);
            return;
        }
        header_buf_.append(data);
        parse_header_lines(false);
    }

    void parse_header_lines(bool at_end)
    {
        while(in_headers_) {
            auto const crlf = header_buf_.find("\r\n", header_pos_);
            if(crlf == std::string::npos) {
                if(at_end || header_buf_.size() - header_pos_ > opts_.max_header_bytes) {
                    // No line end (only at the very end) or an endless line: the rest is body.
                    finish_headers(header_pos_);
                }
                return;
            }
            std::string_view const line(header_buf_.data() + header_pos_, crlf - header_pos_);
            if(line.empty()) {
                finish_headers(crlf + 2);
                return;
            }
            if((line.front() == ' ' || line.front() == '\t') && pending_header_) {
                pending_header_->raw_value.append("\r\n").append(line);
                header_pos_ = crlf + 2;
                header_bytes_ += line.size() + 2;
            } else {
                auto const colon = line.find(':');
                if(colon == std::string_view::npos || colon == 0 || header_bytes_ > opts_.max_header_bytes) {
                    // Not a header field: the body starts here, without the blank line.
                    finish_headers(header_pos_);
                    return;
                }
                flush_header();
                pending_header_ = core::header_field{std::string(line.substr(0, colon)),
                                                     std::string(line.substr(colon + 1))};
                header_pos_ = crlf + 2;
                header_bytes_ += line.size() + 2;
            }
            if(header_pos_ > 65536) {
                header_buf_.erase(0, header_pos_);
                header_pos_ = 0;
            }
        }
    }

    void flush_header()
    {
        if(!pending_header_)
            return;
        txn_->headers().push_back(std::move(*pending_header_));
        pending_header_.reset();
        if(!txn_->verdict().is_final())
            pipeline_.dispatch_sync(*txn_, pipeline::events::header{txn_->headers().back()});
    }

    // Ends the header section; the bytes of header_buf_ from `body_from` on are body. The eoh
    // stage is awaited by on_input() right after the current event.
    void finish_headers(std::size_t body_from)
    {
        flush_header();
        in_headers_ = false;
        pending_body_.assign(header_buf_, body_from);
        std::string().swap(header_buf_);
        header_pos_ = 0;
        eoh_pending_ = true;
    }

    void feed_body(std::string_view data)
    {
        if(data.empty())
            return;
        auto const& v = txn_->verdict();
        using action = pipeline::verdict::action;
        if(v.what == action::reject || v.what == action::tempfail || v.what == action::discard)
            return; // nothing of it will be relayed
        if(!store_error_)
            store_error_ = store_.append(data);
        auto const chunk = std::max<std::size_t>(opts_.chunk_limit, 1);
        while(!data.empty() && !txn_->verdict().is_final()) {
            auto const n = std::min(data.size(), chunk);
            pipeline_.dispatch_sync(*txn_, pipeline::events::body{data.substr(0, n)});
            data.remove_prefix(n);
        }
    }

    boost::asio::awaitable<void> on_end_of_data(fault f, std::string& out)
    {
        if(in_headers_)
            parse_header_lines(true);
        if(eoh_pending_) {
            eoh_pending_ = false;
            co_await stage(pipeline::events::eoh{});
            feed_body(pending_body_);
            pending_body_.clear();
        }
        if(f != fault::none) {
            auto const r = f == fault::message_too_big
                               ? reply(552, "5.3.4", "Message size exceeds fixed limit")
                               : reply(554, "5.6.0", "Bare CR or LF in message data not allowed");
            log(queue_id_ + ": message refused: " + r.text());
            write(out, r);
            co_await end_transaction(true);
            co_return;
        }
        if(!txn_->verdict().is_final())
            co_await stage(pipeline::events::eom{});
        using action = pipeline::verdict::action;
        auto const what = txn_->verdict().what;
        if(what == action::reject || what == action::tempfail) {
            auto const r = verdict_reply(txn_->verdict());
            log(queue_id_ + ": " + std::string(pipeline::to_string(what)) + ": " + r.text());
            write(out, r);
            co_await end_transaction(false);
            co_return;
        }
        if(what == action::discard) {
            log(queue_id_ + ": discarded");
            write(out, reply(250, "2.0.0", "Ok: queued as " + queue_id_ + " (discarded)"));
            co_await end_transaction(false);
            co_return;
        }
        if(store_error_) {
            log(queue_id_ + ": cannot spool message: " + store_error_.message());
            write(out, reply(451, "4.3.0", "Cannot spool message"));
            co_await end_transaction(false);
            co_return;
        }
        sinks_.on_eom(*txn_);

        relay_request req;
        req.mail_argument = mail_argument_;
        req.rcpt_arguments = rcpt_arguments_;
        req.xforward = xforward_;
        auto headers = txn_->headers();
        pipeline::apply_edits(headers, txn_->edits());
        headers.insert(headers.begin(), received_field());
        req.header_text = pipeline::serialize_headers(headers);
        req.body = &store_;
        auto const outcome = co_await relay_.deliver(req);
        if(outcome.delivered) {
            std::string text = "Ok: queued as " + queue_id_;
            if(!outcome.queue_id.empty())
                text += " (next hop queued as " + outcome.queue_id + ")";
            log(queue_id_ + ": relayed, next hop said: " + std::to_string(outcome.answer.code) + " " +
                outcome.answer.text());
            write(out, reply(250, "2.0.0", text));
        } else {
            log(queue_id_ + ": not relayed: " + std::to_string(outcome.answer.code) + " " +
                outcome.answer.text());
            write(out, outcome.answer);
        }
        co_await end_transaction(false);
    }

    core::header_field received_field() const
    {
        std::string ip = peer_.ip ? peer_.ip->to_string() : std::string("127.0.0.1");
        std::string host = (!peer_.ip || ip == "127.0.0.1") ? std::string("localhost") : ip;
        char date[64] = {};
        std::time_t const now = std::time(nullptr);
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        static constexpr char const* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr char const* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
                      tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
        return core::header_field{"Received", " from " + helo_ + " (" + host + " [" + ip + "])\r\n    by " +
                                                  opts_.server_name +
                                                  " (Authentication Milter) with ESMTP\r\n" + "    id " +
                                                  queue_id_ + ";\r\n    " + date};
    }

    // Ends the transaction: abort (when the message did not complete) and close for the
    // handlers, then forget its state. XFORWARD data belongs to one transaction.
    boost::asio::awaitable<void> end_transaction(bool aborted)
    {
        if(txn_) {
            if(aborted)
                co_await pipeline_.dispatch(*txn_, pipeline::events::abort{});
            co_await pipeline_.dispatch(*txn_, pipeline::events::close{});
        }
        txn_.reset();
        mail_argument_.clear();
        rcpt_arguments_.clear();
        failure_.reset();
        xforward_ = {};
        in_headers_ = false;
        eoh_pending_ = false;
        header_buf_.clear();
        header_pos_ = 0;
        header_bytes_ = 0;
        pending_header_.reset();
        pending_body_.clear();
        store_.clear();
        store_error_ = {};
    }

    Pipeline const& pipeline_;
    Resolver& resolver_;
    Sinks const& sinks_;
    RelayT& relay_;
    session_options const& opts_;
    peer_info peer_;
    parser parser_;
    message_store store_;
    std::mt19937_64 rng_;

    bool closed_ = false;
    std::string helo_;
    xforward_attributes xforward_;
    std::optional<transaction_type> txn_;
    std::string queue_id_;
    std::size_t transactions_ = 0;
    std::string mail_argument_;
    std::vector<std::string> rcpt_arguments_;
    std::optional<reply> failure_;
    std::chrono::steady_clock::time_point deadline_{};

    bool in_headers_ = false;
    bool eoh_pending_ = false;
    std::string header_buf_;
    std::size_t header_pos_ = 0;
    std::size_t header_bytes_ = 0;
    std::optional<core::header_field> pending_header_;
    std::string pending_body_;
    boost::system::error_code store_error_;
};

} // namespace authmilter::smtp

#endif
