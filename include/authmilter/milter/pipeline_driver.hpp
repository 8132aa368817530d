// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_PIPELINE_DRIVER_HPP
#define AUTHMILTER_MILTER_PIPELINE_DRIVER_HPP

// Binds the milter protocol (codec + session_state) to a handler pipeline: bytes from the MTA
// in, pipeline stages dispatched (coroutine stages awaited), replies out. Sans-I/O except for
// the co_await of the pipeline itself, so tests drive it without sockets.

#include <authmilter/authres/result.hpp>
#include <authmilter/core/envelope.hpp>
#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/session.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/pipeline/transaction.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::milter {

/// The milter stage of a pipeline stage.
constexpr stage
to_milter_stage(pipeline::stage s) noexcept
{
    switch(s) {
    case pipeline::stage::connect: return stage::connect;
    case pipeline::stage::helo: return stage::helo;
    case pipeline::stage::envfrom: return stage::envfrom;
    case pipeline::stage::envrcpt: return stage::envrcpt;
    case pipeline::stage::header: return stage::header;
    case pipeline::stage::eoh: return stage::eoh;
    case pipeline::stage::body: return stage::body;
    case pipeline::stage::eom: return stage::eom;
    case pipeline::stage::abort: return stage::abort;
    case pipeline::stage::close: return stage::close;
    }
    return stage::eom;
}

/** What a pipeline needs from the MTA, computed at compile time from the stages its handlers
    use: unused stages are switched off (the MTA does not even send them), and only stages whose
    handlers may decide something expect a reply. Header and body callbacks never need one (a
    verdict they set is answered at the next replying stage), so Postfix streams them.
    MAIL FROM is always delivered: a message starts there.
*/
template<class Pipeline>
constexpr requirements
requirements_for_pipeline() noexcept
{
    requirements r;
    stage_set stages{stage::envfrom, stage::eom, stage::abort, stage::close};
    stage_set replies{stage::eom};
    constexpr auto used = Pipeline::stages();
    constexpr pipeline::stage all[] = {
        pipeline::stage::connect, pipeline::stage::helo, pipeline::stage::envfrom, pipeline::stage::envrcpt,
        pipeline::stage::header,  pipeline::stage::eoh,  pipeline::stage::body};
    for(auto s : all) {
        if(!used.contains(s))
            continue;
        stages.insert(to_milter_stage(s));
        if(s != pipeline::stage::header && s != pipeline::stage::body)
            replies.insert(to_milter_stage(s));
    }
    r.stages = stages;
    r.replies = replies;
    return r;
}

/// Settings of a pipeline_driver, from the daemon configuration.
struct driver_options {
    decoder_options decoder;
    bool dryrun = false;            ///< `dryrun`: never alter or reject
    bool milter_quarantine = false; ///< `milter_quarantine`: send the quarantine action
    /// `ip_map`/`helo_map`: remaps the client before the connect stage and again at HELO.
    std::function<void(core::connection_info&)> remap_connect;
    std::function<void(std::string const& helo_sent, core::connection_info&)> remap_helo;
};

/** One MTA connection running a pipeline.

    Feed it what the socket delivers with on_bytes(); it appends the replies to `out`, which the
    caller writes once per read. Call finish() when the MTA closed the connection (or on any
    error) so that handlers always see abort/close.

    @tparam Pipeline a pipeline::basic_pipeline
    @tparam Resolver the resolver handlers query
    @tparam Sinks    called at end of message with the transaction (e.g. sinks::sink_set<authres_sink>)
*/
template<class Pipeline, class Resolver, class Sinks> class pipeline_driver {
public:
    using transaction_type = pipeline::transaction<Pipeline, Resolver, authres::result>;

    pipeline_driver(Pipeline const& p, Resolver& r, Sinks const& sinks, driver_options opts = {})
        : pipeline_(p)
        , sinks_(sinks)
        , opts_(std::move(opts))
        , decoder_(opts_.decoder)
        , state_(requirements_for_pipeline<Pipeline>())
        , txn_(p, r)
    {
        txn_.set_macro_source(&state_, [](void const* ctx, std::string_view name) {
            return static_cast<session_state const*>(ctx)->macros().find(name);
        });
    }

    pipeline_driver(pipeline_driver const&) = delete;
    pipeline_driver& operator=(pipeline_driver const&) = delete;

    /// Processes `bytes` (any split) and appends the replies to `out`. Returns an error after
    /// which the connection must be closed (protocol error).
    boost::asio::awaitable<boost::system::error_code> on_bytes(std::string_view bytes, std::string& out)
    {
        boost::system::error_code ec;
        while(true) {
            auto ev = decoder_.next(bytes, ec);
            if(ec || !ev)
                co_return ec;
            auto const st = state_.on_event(*ev, out, ec);
            if(ec)
                co_return ec;
            if(st.abort_first)
                co_await run_abort();
            if(st.deliver)
                co_await deliver(*ev, *st.deliver, st.reply, out);
        }
    }

    /// The connection ended (MTA closed it, timeout, error): abort an open message and close.
    boost::asio::awaitable<void> finish()
    {
        if(closed_)
            co_return;
        if(state_.in_message())
            co_await run_abort();
        co_await run_close();
    }

    session_state const& state() const noexcept { return state_; }
    transaction_type const& transaction() const noexcept { return txn_; }
    /// True once the MTA said `Q`.
    bool quit() const noexcept { return state_.closed(); }

private:
    template<class Event> boost::asio::awaitable<void> run(Event const& ev)
    {
        if constexpr(Pipeline::stages().contains(Event::kind)) {
            if constexpr(Pipeline::async_stages().contains(Event::kind))
                co_await pipeline_.dispatch(txn_, ev);
            else
                pipeline_.dispatch_sync(txn_, ev);
        }
        co_return;
    }

    boost::asio::awaitable<void> run_abort()
    {
        co_await run(pipeline::events::abort{});
        in_message_ = false;
    }

    boost::asio::awaitable<void> run_close()
    {
        closed_ = true;
        co_await run(pipeline::events::close{});
    }

    decision current_decision() const
    {
        auto const& v = txn_.verdict();
        using a = pipeline::verdict::action;
        if(opts_.dryrun)
            return decision::continue_processing();
        switch(v.what) {
        case a::accept: return decision::accept();
        case a::discard: return decision::discard();
        case a::reject: return decision::reject(v.smtp_code, v.extended_code, v.text);
        case a::tempfail: return decision::tempfail(v.smtp_code, v.extended_code, v.text);
        default: return decision::continue_processing();
        }
    }

    void begin_message()
    {
        if(!in_message_) {
            txn_.begin_message();
            in_message_ = true;
        }
    }

    boost::asio::awaitable<void> deliver(event const& ev, stage s, bool reply, std::string& out)
    {
        switch(s) {
        case stage::connect: {
            auto const& c = std::get<events::connect>(ev);
            core::connection_info conn;
            conn.client_name = std::string(c.hostname);
            if(c.family == family::inet || c.family == family::inet6)
                conn.client_ip = core::ip_address::parse(c.address);
            conn.client_port = c.port;
            if(opts_.remap_connect)
                opts_.remap_connect(conn);
            in_message_ = false;
            txn_.begin_connection();
            txn_.connection() = std::move(conn);
            helo_seen_ = false;
            closed_ = false;
            auto const& info = txn_.connection();
            co_await run(pipeline::events::connect{info.client_name, info.client_ip, info.client_port});
            break;
        }
        case stage::helo: {
            // Only the first HELO of a connection counts, as in the Perl tool.
            if(!helo_seen_) {
                helo_seen_ = true;
                std::string const sent(std::get<events::helo>(ev).name);
                txn_.connection().helo = sent;
                if(opts_.remap_helo)
                    opts_.remap_helo(sent, txn_.connection());
                co_await run(pipeline::events::helo{txn_.connection().helo});
            }
            break;
        }
        case stage::envfrom: {
            in_message_ = false; // a MAIL always starts a new message (Sendmail sends no ABORT)
            begin_message();
            auto const& m = std::get<events::mail>(ev);
            auto& env = txn_.envelope();
            env.mail_from = strip_brackets(m.address());
            for(auto p : m.parameters())
                env.mail_params.emplace_back(p);
            std::span<std::string const> params(env.mail_params);
            co_await run(pipeline::events::envfrom{env.mail_from, params});
            break;
        }
        case stage::envrcpt: {
            begin_message();
            auto const& r = std::get<events::rcpt>(ev);
            txn_.envelope().rcpt_to.push_back(strip_brackets(r.address()));
            rcpt_params_.clear();
            for(auto p : r.parameters())
                rcpt_params_.emplace_back(p);
            std::span<std::string const> params(rcpt_params_);
            co_await run(pipeline::events::envrcpt{txn_.envelope().rcpt_to.back(), params});
            break;
        }
        case stage::header: {
            begin_message();
            auto const& h = std::get<events::header>(ev);
            auto& headers = txn_.headers();
            headers.push_back(core::header_field{std::string(h.name), leading_space_value(h.value)});
            if constexpr(Pipeline::stages().contains(pipeline::stage::header))
                pipeline_.dispatch_sync(txn_, pipeline::events::header{headers.back()});
            break;
        }
        case stage::eoh:
            begin_message();
            co_await run(pipeline::events::eoh{});
            break;
        case stage::body:
            begin_message();
            if constexpr(Pipeline::stages().contains(pipeline::stage::body))
                pipeline_.dispatch_sync(txn_, pipeline::events::body{std::get<events::body>(ev).bytes});
            break;
        case stage::eom: {
            begin_message();
            auto const& e = std::get<events::eom>(ev);
            if(!e.bytes.empty())
                if constexpr(Pipeline::stages().contains(pipeline::stage::body))
                    pipeline_.dispatch_sync(txn_, pipeline::events::body{e.bytes});
            co_await run(pipeline::events::eom{});
            sinks_.on_eom(txn_);
            state_.reply_eom(eom_reply(), out);
            in_message_ = false;
            co_return;
        }
        case stage::abort: co_await run_abort(); co_return;
        case stage::close: co_await run_close(); co_return;
        default: break;
        }
        if(reply)
            state_.reply(s, current_decision(), out);
    }

    eom_result eom_reply() const
    {
        eom_result r;
        r.verdict = current_decision();
        if(opts_.dryrun)
            return r;
        for(auto const& e : txn_.edits()) {
            using k = pipeline::header_edit::kind;
            switch(e.what) {
            case k::insert: r.edits.push_back(header_edit::insert(e.index, e.name, e.value)); break;
            case k::add: r.edits.push_back(header_edit::append(e.name, e.value)); break;
            case k::change: r.edits.push_back(header_edit::change(e.name, e.index, e.value)); break;
            case k::remove: r.edits.push_back(header_edit::remove(e.name, e.index)); break;
            }
        }
        if(txn_.verdict().what == pipeline::verdict::action::quarantine && opts_.milter_quarantine)
            r.quarantine_reason = txn_.verdict().text.empty() ? "quarantined" : txn_.verdict().text;
        return r;
    }

    /// The header value as received. With SMFIP_HDR_LEADSPC it keeps the space after the colon;
    /// without it the MTA dropped one space, which is put back so DKIM "simple" sees the usual
    /// `Name: value`.
    std::string leading_space_value(std::string_view v) const
    {
        if(state_.negotiation().leading_space())
            return std::string(v);
        return " " + std::string(v);
    }

    static std::string strip_brackets(std::string_view a)
    {
        if(a.size() >= 2 && a.front() == '<' && a.back() == '>')
            a = a.substr(1, a.size() - 2);
        return std::string(a);
    }

    Pipeline const& pipeline_;
    Sinks const& sinks_;
    driver_options opts_;
    decoder decoder_;
    session_state state_;
    transaction_type txn_;
    std::vector<std::string> rcpt_params_;
    bool in_message_ = false;
    bool helo_seen_ = false;
    bool closed_ = false;
};

} // namespace authmilter::milter

#endif
