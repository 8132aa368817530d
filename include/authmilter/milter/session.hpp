// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_SESSION_HPP
#define AUTHMILTER_MILTER_SESSION_HPP

// The per-connection milter state machine, sans-I/O, in two layers:
//
// - `session_state` (not a template) checks the order of commands, keeps the macros, runs
//   several messages per connection and `K` connection reuse, and turns decisions and header
//   edits into reply frames. It does not call anybody: for each event it says which stage to
//   deliver and whether the MTA waits for an answer. A front-end whose handlers are coroutines
//   drives it directly and answers after its `co_await`.
// - `session<Handler>` is the thin synchronous driver: bytes in, handler callbacks, replies out.

#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/error.hpp>
#include <authmilter/milter/macros.hpp>
#include <authmilter/milter/negotiation.hpp>
#include <authmilter/milter/protocol.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace authmilter::milter {

/// What a stage callback answers.
struct decision {
    enum class action : std::uint8_t { continue_, accept, reject, tempfail, discard };

    action what = action::continue_;
    /// A custom SMTP reply for reject (5xx) or tempfail (4xx), sent as `y`; 0 = the MTA's
    /// default text (`r` / `t`). A code of the wrong class for the action is ignored.
    unsigned smtp_code = 0;
    std::string extended_code; ///< e.g. "5.7.1"; empty = "<class>.0.0"
    std::string text;

    static decision continue_processing() { return {}; }
    static decision accept() { return {action::accept, 0, {}, {}}; }
    static decision discard() { return {action::discard, 0, {}, {}}; }
    static decision reject(unsigned code = 0, std::string ext = {}, std::string text = {})
    {
        return {action::reject, code, std::move(ext), std::move(text)};
    }
    static decision tempfail(unsigned code = 0, std::string ext = {}, std::string text = {})
    {
        return {action::tempfail, code, std::move(ext), std::move(text)};
    }
};

/// One header change requested at end of message.
struct header_edit {
    enum class kind : std::uint8_t {
        prepend, ///< at the top, below the MTA's own Received field (`i` at index 1)
        append,  ///< after the last field (`h`)
        insert,  ///< at `index` among all fields (`i`; 0 = very top)
        change,  ///< replace the `index`-th (1-based) field called `name` (`m`)
        remove,  ///< delete the `index`-th (1-based) field called `name` (`m` with empty value)
    };

    kind what = kind::append;
    std::string name;
    std::string value;
    std::uint32_t index = 0;

    static header_edit prepend(std::string name, std::string value)
    {
        return {kind::prepend, std::move(name), std::move(value), 1};
    }
    static header_edit append(std::string name, std::string value)
    {
        return {kind::append, std::move(name), std::move(value), 0};
    }
    static header_edit insert(std::uint32_t index, std::string name, std::string value)
    {
        return {kind::insert, std::move(name), std::move(value), index};
    }
    static header_edit change(std::string name, std::uint32_t index, std::string value)
    {
        return {kind::change, std::move(name), std::move(value), index};
    }
    static header_edit remove(std::string name, std::uint32_t index)
    {
        return {kind::remove, std::move(name), {}, index};
    }
};

/// The answer at end of message: header edits, an optional quarantine, and the verdict.
struct eom_result {
    decision verdict;
    std::vector<header_edit> edits;
    std::string quarantine_reason; ///< non-empty: quarantine (hold) the message
};

/// Counters of things the session had to leave out, for logs and metrics.
struct session_stats {
    std::size_t messages = 0;         ///< end-of-message commands answered
    std::size_t dropped_edits = 0;    ///< edits whose action the MTA did not allow, or invalid
    std::size_t unsent_decisions = 0; ///< non-continue decisions at reply-less stages
    std::size_t implicit_aborts = 0;  ///< a MAIL (or quit) while a message was still open
};

/// What to do with one decoded event.
struct step {
    /// Deliver `abort` before anything else: a new MAIL (or a quit) ended an open message.
    bool abort_first = false;
    /// The stage to deliver, if any (none for macros, negotiation, a stray abort).
    std::optional<stage> deliver;
    /// The MTA waits for an answer: call `reply()` (or `reply_eom()` for `eom`) next.
    bool reply = false;
};

/// The protocol state of one MTA connection, independent of any handler type.
///
/// Command order follows libmilter's state table, read so that real MTAs pass and nonsense
/// does not: `O` first and once; `C` once per connection (again after `K`); HELO at any time
/// (inside a message it is an implicit abort: EHLO resets a transaction); within a message MAIL < RCPT < DATA
/// < header < EOH < body < EOM, moving forward only (RCPT, header and body may repeat, stages may be
/// skipped); ABORT anywhere (ignored outside a message, as Postfix sends it after EOM); a MAIL while a
/// message is open ends it with an implicit abort (libmilter does the same). Anything else is `out_of_order`,
/// after which the session refuses every event: close the connection.
class session_state {
public:
    explicit session_state(requirements req = {}) noexcept
        : req_(req)
    {}

    /// Takes one decoded event. A negotiation is answered here (into `out`); for the others the
    /// returned step says what to deliver. `ec` is set on an order error or a bad offer.
    step on_event(event const& ev, std::string& out, boost::system::error_code& ec)
    {
        ec = {};
        step st;
        if(failed_) {
            ec = error::out_of_order;
            return st;
        }
        if(closed_)
            return fail(ec);
        if(!negotiated_ && !std::holds_alternative<events::negotiate>(ev))
            return fail(ec);
        std::visit([&](auto const& e) { handle(e, st, out, ec); }, ev);
        if(ec)
            failed_ = true;
        else if(st.deliver)
            current_ = st.deliver;
        return st;
    }

    /// Answers the command of stage `s` with `d` (not for `eom`; use `reply_eom`).
    void reply(stage s, decision const& d, std::string& out)
    {
        if(!negotiation_.expects_reply(s)) {
            if(d.what != decision::action::continue_)
                ++stats_.unsent_decisions;
            return;
        }
        write_decision(d, out);
    }

    /// Answers end of message: edits, quarantine, verdict, all appended to `out` so that the
    /// caller writes them at once.
    ///
    /// Order on the wire: `change`/`remove` first (their indexes refer to the fields as
    /// received, before any insertion shifts them), then `prepend` edits in reverse, each at
    /// index 1, so that the message reads top-down in the order given (the Perl milter's
    /// Authentication-Results placement), then `insert`, then `append` in order, then the
    /// quarantine, then the verdict. Values may be given with or without the space after the
    /// colon; the message gets exactly one either way: with SMFIP_HDR_LEADSPC the MTA adds none,
    /// so one is put in front of a value that does not start with whitespace; without it the MTA
    /// adds one, so a leading space of the value is dropped. Edits the MTA did not allow, or that
    /// cannot be encoded, are dropped and counted.
    void reply_eom(eom_result const& r, std::string& out)
    {
        ++stats_.messages;
        auto emit = [&](header_edit const& e) {
            bool const changing = e.what == header_edit::kind::change || e.what == header_edit::kind::remove;
            if(!negotiation_.allows(changing ? action::change_headers : action::add_headers)) {
                ++stats_.dropped_edits;
                return;
            }
            value_.clear();
            if(e.what != header_edit::kind::remove) {
                std::string_view v = e.value;
                bool const spaced = !v.empty() && (v.front() == ' ' || v.front() == '\t');
                if(negotiation_.leading_space() && !v.empty() && !spaced)
                    value_.push_back(' ');
                else if(!negotiation_.leading_space() && spaced && v.front() == ' ')
                    v.remove_prefix(1); // the MTA adds this space itself
                value_.append(v);
            }
            boost::system::error_code ec;
            switch(e.what) {
            case header_edit::kind::prepend: ec = write_insert_header(out, 1, e.name, value_); break;
            case header_edit::kind::insert: ec = write_insert_header(out, e.index, e.name, value_); break;
            case header_edit::kind::append: ec = write_add_header(out, e.name, value_); break;
            case header_edit::kind::change:
            case header_edit::kind::remove:
                ec = write_change_header(out, e.index == 0 ? 1 : e.index, e.name, value_);
                break;
            }
            if(ec)
                ++stats_.dropped_edits;
        };
        for(auto const& e : r.edits)
            if(e.what == header_edit::kind::change || e.what == header_edit::kind::remove)
                emit(e);
        for(auto it = r.edits.rbegin(); it != r.edits.rend(); ++it)
            if(it->what == header_edit::kind::prepend)
                emit(*it);
        for(auto const& e : r.edits)
            if(e.what == header_edit::kind::insert)
                emit(e);
        for(auto const& e : r.edits)
            if(e.what == header_edit::kind::append)
                emit(e);
        if(!r.quarantine_reason.empty()) {
            if(!negotiation_.allows(action::quarantine) || write_quarantine(out, r.quarantine_reason))
                ++stats_.dropped_edits;
        }
        write_decision(r.verdict, out);
    }

    /// Appends a progress frame: call while a slow stage is still working, to restart the
    /// MTA's timeout.
    static void progress(std::string& out) { write_progress(out); }

    /// The macros received so far.
    macro_store const& macros() const noexcept { return macros_; }
    /// The negotiation in effect (all zero before `O`).
    milter::negotiated const& negotiation() const noexcept { return negotiation_; }
    requirements const& wanted() const noexcept { return req_; }
    session_stats const& stats() const noexcept { return stats_; }
    /// True between MAIL (or the first message command) and EOM/ABORT.
    bool in_message() const noexcept { return phase_ != 0; }
    /// True between the connect command (or, when it is switched off, the first command after
    /// negotiation) and `Q`/`K`.
    bool connected() const noexcept { return connected_; }
    /// The stage of the last command delivered (the one a handler may still be working on):
    /// what the server's stage timeouts go by. Empty before the first.
    std::optional<stage> current_stage() const noexcept { return current_; }
    /// True once `Q` arrived: the MTA will close.
    bool closed() const noexcept { return closed_; }
    /// True after an order error.
    bool failed() const noexcept { return failed_; }

private:
    // Position within a message; 0 = none.
    enum : std::uint8_t { p_none, p_mail, p_rcpt, p_data, p_header, p_eoh, p_body };

    step fail(boost::system::error_code& ec) noexcept
    {
        failed_ = true;
        ec = error::out_of_order;
        return {};
    }

    // The first connection-level command after O or K opens the connection; without C (when
    // switched off) any command may.
    bool open_connection() noexcept
    {
        if(connected_)
            return true;
        if(negotiation_.sends(stage::connect))
            return false;
        connected_ = true;
        return true;
    }

    void deliver(step& st, stage s) const noexcept
    {
        st.deliver = s;
        st.reply = negotiation_.expects_reply(s);
    }

    void handle(events::negotiate const& e, step&, std::string& out, boost::system::error_code& ec)
    {
        if(negotiated_) {
            ec = error::out_of_order;
            return;
        }
        if((ec = negotiate(req_, e, negotiation_)))
            return;
        negotiated_ = true;
        ec = write_negotiate(out, negotiation_);
    }

    void handle(events::macros const& e, step&, std::string&, boost::system::error_code&)
    {
        // Allowed anywhere: Postfix sends the macros of a stage even when the stage itself is
        // switched off.
        macros_.set(e.stage, e.values);
    }

    void handle(events::connect const&, step& st, std::string&, boost::system::error_code& ec)
    {
        if(connected_) {
            ec = error::out_of_order;
            return;
        }
        connected_ = true;
        macros_.clear_after(command::connect);
        deliver(st, stage::connect);
    }

    void handle(events::helo const&, step& st, std::string&, boost::system::error_code& ec)
    {
        if(!open_connection()) {
            ec = error::out_of_order;
            return;
        }
        // EHLO inside a transaction resets it (RFC 5321 4.1.4); libmilter treats it as an
        // implicit abort, and so do we.
        if(phase_ != p_none) {
            st.abort_first = true;
            ++stats_.implicit_aborts;
            phase_ = p_none;
        }
        macros_.clear_after(command::helo);
        deliver(st, stage::helo);
    }

    void handle(events::mail const&, step& st, std::string&, boost::system::error_code& ec)
    {
        if(!open_connection()) {
            ec = error::out_of_order;
            return;
        }
        if(phase_ != p_none) {
            st.abort_first = true;
            ++stats_.implicit_aborts;
        }
        phase_ = p_mail;
        macros_.clear_after(command::mail);
        deliver(st, stage::envfrom);
    }

    // RCPT, DATA, header, EOH, body, EOM: forward only, repeats where SMTP repeats.
    void message_command(std::uint8_t phase, bool repeatable, command c, stage s, step& st,
                         boost::system::error_code& ec)
    {
        if(!open_connection()) {
            ec = error::out_of_order;
            return;
        }
        if(phase_ == p_none) {
            // Only when the MTA does not send MAIL can a message begin with a later command.
            if(negotiation_.sends(stage::envfrom)) {
                ec = error::out_of_order;
                return;
            }
        } else if(phase_ > phase || (phase_ == phase && !repeatable)) {
            ec = error::out_of_order;
            return;
        }
        phase_ = phase;
        macros_.clear_after(c);
        deliver(st, s);
    }

    void handle(events::rcpt const&, step& st, std::string&, boost::system::error_code& ec)
    {
        message_command(p_rcpt, true, command::rcpt, stage::envrcpt, st, ec);
    }

    void handle(events::data const&, step& st, std::string&, boost::system::error_code& ec)
    {
        message_command(p_data, false, command::data, stage::data, st, ec);
    }

    void handle(events::header const&, step& st, std::string&, boost::system::error_code& ec)
    {
        message_command(p_header, true, command::header, stage::header, st, ec);
    }

    void handle(events::eoh const&, step& st, std::string&, boost::system::error_code& ec)
    {
        message_command(p_eoh, false, command::eoh, stage::eoh, st, ec);
    }

    void handle(events::body const&, step& st, std::string&, boost::system::error_code& ec)
    {
        message_command(p_body, true, command::body, stage::body, st, ec);
    }

    void handle(events::eom const&, step& st, std::string&, boost::system::error_code& ec)
    {
        // p_body + 1: EOM may follow any message position, once.
        message_command(p_body + 1, false, command::eom, stage::eom, st, ec);
        if(!ec)
            phase_ = p_none;
    }

    void handle(events::abort const&, step& st, std::string&, boost::system::error_code&)
    {
        if(phase_ == p_none)
            return; // Postfix aborts after EOM and on RSET: nothing is open
        phase_ = p_none;
        macros_.clear_after(command::helo);
        st.deliver = stage::abort;
    }

    void handle(events::unknown const&, step& st, std::string&, boost::system::error_code& ec)
    {
        // An SMTP command: never inside DATA.
        if(phase_ >= p_data) {
            ec = error::out_of_order;
            return;
        }
        deliver(st, stage::unknown);
    }

    void end_connection(step& st) noexcept
    {
        if(phase_ != p_none) {
            st.abort_first = true;
            ++stats_.implicit_aborts;
        }
        st.deliver = stage::close;
        phase_ = p_none;
        connected_ = false;
        macros_.clear();
    }

    void handle(events::quit const&, step& st, std::string&, boost::system::error_code&)
    {
        end_connection(st);
        closed_ = true;
    }

    void handle(events::quit_nc const&, step& st, std::string&, boost::system::error_code&)
    {
        // The negotiation stays; the next command is the new connection's C.
        end_connection(st);
    }

    void write_decision(decision const& d, std::string& out)
    {
        switch(d.what) {
        case decision::action::continue_: write_continue(out); return;
        case decision::action::accept: write_accept(out); return;
        case decision::action::discard: write_discard(out); return;
        case decision::action::reject:
            if(d.smtp_code / 100 == 5 && !write_replycode(out, d.smtp_code, d.extended_code, d.text))
                return;
            write_reject(out);
            return;
        case decision::action::tempfail:
            if(d.smtp_code / 100 == 4 && !write_replycode(out, d.smtp_code, d.extended_code, d.text))
                return;
            write_tempfail(out);
            return;
        }
        write_continue(out);
    }

    requirements req_;
    milter::negotiated negotiation_;
    macro_store macros_;
    session_stats stats_;
    std::string value_; // scratch for header values with their leading space
    std::uint8_t phase_ = p_none;
    bool negotiated_ = false;
    bool connected_ = false;
    bool closed_ = false;
    std::optional<stage> current_;
    bool failed_ = false;
};

// ------------------------------------------------------------------------------------------------
// The synchronous driver.

namespace detail {

template<class R>
decision
as_decision(R&& r)
{
    if constexpr(std::is_same_v<std::decay_t<R>, decision>)
        return std::forward<R>(r);
    else
        return decision{};
}

} // namespace detail

/// The callbacks `session<Handler>` looks for. Each is optional; a callback returning `void`
/// never answers (its stage is negotiated reply-less), one returning `decision` may.
/// `on_eom` may return `eom_result`, `decision` or `void`. `ctx` gives the macros and the
/// negotiation.
///
/// @code
/// struct my_handler {
///     milter::decision on_connect(milter::session_state const& ctx, milter::events::connect const& c);
///     void on_helo(milter::session_state const& ctx, std::string_view name);
///     void on_envfrom(milter::session_state const& ctx, milter::events::mail const& m);
///     void on_envrcpt(milter::session_state const& ctx, milter::events::rcpt const& r);
///     void on_data(milter::session_state const& ctx);
///     void on_header(milter::session_state const& ctx, std::string_view name, std::string_view value);
///     void on_eoh(milter::session_state const& ctx);
///     void on_body(milter::session_state const& ctx, std::string_view chunk);
///     milter::eom_result on_eom(milter::session_state const& ctx);
///     void on_abort(milter::session_state const& ctx);
///     void on_close(milter::session_state const& ctx);
///     void on_unknown(milter::session_state const& ctx, std::string_view command);
/// };
/// @endcode
namespace callbacks {

using ctx_t = session_state const&;

template<class H>
concept has_connect = requires(H& h, events::connect const& e)
{
    h.on_connect(std::declval<ctx_t>(), e);
};
template<class H>
concept has_helo = requires(H& h)
{
    h.on_helo(std::declval<ctx_t>(), std::string_view{});
};
template<class H>
concept has_envfrom = requires(H& h, events::mail const& e)
{
    h.on_envfrom(std::declval<ctx_t>(), e);
};
template<class H>
concept has_envrcpt = requires(H& h, events::rcpt const& e)
{
    h.on_envrcpt(std::declval<ctx_t>(), e);
};
template<class H>
concept has_data = requires(H& h)
{
    h.on_data(std::declval<ctx_t>());
};
template<class H>
concept has_header = requires(H& h)
{
    h.on_header(std::declval<ctx_t>(), std::string_view{}, std::string_view{});
};
template<class H>
concept has_eoh = requires(H& h)
{
    h.on_eoh(std::declval<ctx_t>());
};
template<class H>
concept has_body = requires(H& h)
{
    h.on_body(std::declval<ctx_t>(), std::string_view{});
};
template<class H>
concept has_eom = requires(H& h)
{
    h.on_eom(std::declval<ctx_t>());
};
template<class H>
concept has_abort = requires(H& h)
{
    h.on_abort(std::declval<ctx_t>());
};
template<class H>
concept has_close = requires(H& h)
{
    h.on_close(std::declval<ctx_t>());
};
template<class H>
concept has_unknown = requires(H& h)
{
    h.on_unknown(std::declval<ctx_t>(), std::string_view{});
};

} // namespace callbacks

/// The requirements a handler type implies: its callbacks give the stages, the callbacks that
/// return something other than `void` give the replying stages. A handler may declare
/// `static constexpr std::uint32_t milter_actions` (SMFIF_*) and `static constexpr
/// std::array<std::string_view, 7> milter_macros`; otherwise the defaults of `requirements`.
template<class Handler>
constexpr requirements
requirements_for() noexcept
{
    using namespace callbacks;
    using H = Handler;
    requirements r;
    stage_set s{stage::eom, stage::abort, stage::close};
    stage_set rep{stage::eom};
    auto add = [&](bool has, bool replies, stage st) {
        if(has)
            s.insert(st);
        if(has && replies)
            rep.insert(st);
    };
    if constexpr(has_connect<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_connect(std::declval<ctx_t>(),
                                                                   std::declval<events::connect const&>()))>,
            stage::connect);
    if constexpr(has_helo<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_helo(std::declval<ctx_t>(), std::string_view{}))>,
            stage::helo);
    if constexpr(has_envfrom<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_envfrom(std::declval<ctx_t>(),
                                                                   std::declval<events::mail const&>()))>,
            stage::envfrom);
    if constexpr(has_envrcpt<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_envrcpt(std::declval<ctx_t>(),
                                                                   std::declval<events::rcpt const&>()))>,
            stage::envrcpt);
    if constexpr(has_data<H>)
        add(true, !std::is_void_v<decltype(std::declval<H&>().on_data(std::declval<ctx_t>()))>, stage::data);
    if constexpr(has_header<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_header(std::declval<ctx_t>(), std::string_view{},
                                                                  std::string_view{}))>,
            stage::header);
    if constexpr(has_eoh<H>)
        add(true, !std::is_void_v<decltype(std::declval<H&>().on_eoh(std::declval<ctx_t>()))>, stage::eoh);
    if constexpr(has_body<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_body(std::declval<ctx_t>(), std::string_view{}))>,
            stage::body);
    if constexpr(has_unknown<H>)
        add(true,
            !std::is_void_v<decltype(std::declval<H&>().on_unknown(std::declval<ctx_t>(),
                                                                   std::string_view{}))>,
            stage::unknown);
    r.stages = s;
    r.replies = rep;
    if constexpr(requires { H::milter_actions; })
        r.actions = H::milter_actions;
    if constexpr(requires { H::milter_macros; })
        r.macros = H::milter_macros;
    return r;
}

/// Options of `session`.
struct session_options {
    decoder_options decoder;
};

/// One MTA connection driven synchronously: bytes in, `Handler` callbacks, reply bytes out.
///
/// The handler is held by reference and must outlive the session. Replies of all the commands
/// in one `feed()` are appended to the caller's buffer, so one read from the socket leads to
/// at most one write. After an error the caller must close the connection; the MTA then
/// applies its default action (`milter_default_action`) to the message.
template<class Handler> class session {
public:
    explicit session(Handler& h, session_options opts = {}, requirements req = requirements_for<Handler>())
        : handler_(h)
        , decoder_(opts.decoder)
        , state_(req)
    {}

    /// Processes `bytes` (any amount, any split) and appends the replies to `out`.
    boost::system::error_code feed(std::string_view bytes, std::string& out)
    {
        boost::system::error_code ec;
        while(true) {
            auto ev = decoder_.next(bytes, ec);
            if(ec)
                return ec;
            if(!ev)
                return {};
            auto const st = state_.on_event(*ev, out, ec);
            if(ec)
                return ec;
            dispatch(*ev, st, out);
        }
    }

    /// Call when the MTA closed the stream, or after an error before closing. An end inside a
    /// frame is `partial_frame`. Unless `Q` or `K` already ended the connection, `on_abort` (if
    /// a message was open) and `on_close` run, so that handlers always see their connection end.
    boost::system::error_code finish()
    {
        using namespace callbacks;
        boost::system::error_code ec;
        decoder_.finish_stream(ec);
        if(pending_close_) {
            pending_close_ = false;
            if constexpr(has_abort<Handler>)
                if(state_.in_message())
                    handler_.on_abort(state_);
            if constexpr(has_close<Handler>)
                handler_.on_close(state_);
        }
        return ec;
    }

    session_state const& state() const noexcept { return state_; }

private:
    void dispatch(event const& ev, step const& st, std::string& out)
    {
        using namespace callbacks;
        if(st.abort_first) {
            if constexpr(has_abort<Handler>)
                handler_.on_abort(state_);
        }
        if(!st.deliver)
            return;
        auto const s = *st.deliver;
        if(s != stage::close)
            pending_close_ = true;
        // reply() writes nothing at a reply-less stage (and counts a lost non-continue).
        auto answer = [&](auto&& call) {
            decision d;
            if constexpr(std::is_void_v<decltype(call())>)
                call();
            else
                d = detail::as_decision(call());
            state_.reply(s, d, out);
        };
        auto cont = [&] { state_.reply(s, decision{}, out); };
        switch(s) {
        case stage::connect:
            if constexpr(has_connect<Handler>)
                answer([&] { return handler_.on_connect(state_, std::get<events::connect>(ev)); });
            else
                cont();
            break;
        case stage::helo:
            if constexpr(has_helo<Handler>)
                answer([&] { return handler_.on_helo(state_, std::get<events::helo>(ev).name); });
            else
                cont();
            break;
        case stage::envfrom:
            if constexpr(has_envfrom<Handler>)
                answer([&] { return handler_.on_envfrom(state_, std::get<events::mail>(ev)); });
            else
                cont();
            break;
        case stage::envrcpt:
            if constexpr(has_envrcpt<Handler>)
                answer([&] { return handler_.on_envrcpt(state_, std::get<events::rcpt>(ev)); });
            else
                cont();
            break;
        case stage::data:
            if constexpr(has_data<Handler>)
                answer([&] { return handler_.on_data(state_); });
            else
                cont();
            break;
        case stage::header:
            if constexpr(has_header<Handler>) {
                auto const& h = std::get<events::header>(ev);
                answer([&] { return handler_.on_header(state_, h.name, h.value); });
            } else {
                cont();
            }
            break;
        case stage::eoh:
            if constexpr(has_eoh<Handler>)
                answer([&] { return handler_.on_eoh(state_); });
            else
                cont();
            break;
        case stage::body:
            if constexpr(has_body<Handler>)
                answer([&] { return handler_.on_body(state_, std::get<events::body>(ev).bytes); });
            else
                cont();
            break;
        case stage::unknown:
            if constexpr(has_unknown<Handler>)
                answer([&] { return handler_.on_unknown(state_, std::get<events::unknown>(ev).command); });
            else
                cont();
            break;
        case stage::eom: {
            eom_result r;
            // A last body chunk inside EOM (no MTA we know sends one) goes to the body callback.
            if constexpr(has_body<Handler>) {
                auto const& e = std::get<events::eom>(ev);
                if(!e.bytes.empty())
                    handler_.on_body(state_, e.bytes);
            }
            if constexpr(has_eom<Handler>) {
                using R = decltype(handler_.on_eom(state_));
                if constexpr(std::is_void_v<R>)
                    handler_.on_eom(state_);
                else if constexpr(std::is_same_v<std::decay_t<R>, eom_result>)
                    r = handler_.on_eom(state_);
                else
                    r.verdict = detail::as_decision(handler_.on_eom(state_));
            }
            state_.reply_eom(r, out);
            break;
        }
        case stage::abort:
            if constexpr(has_abort<Handler>)
                handler_.on_abort(state_);
            break;
        case stage::close:
            pending_close_ = false;
            if constexpr(has_close<Handler>)
                handler_.on_close(state_);
            break;
        }
    }

    Handler& handler_;
    decoder decoder_;
    session_state state_;
    bool pending_close_ = false; // stages were delivered and on_close has not run yet
};

} // namespace authmilter::milter

#endif
