// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_TRANSACTION_HPP
#define AUTHMILTER_PIPELINE_TRANSACTION_HPP

#include <authmilter/core/envelope.hpp>
#include <authmilter/core/header_field.hpp>
#include <authmilter/pipeline/header_edit.hpp>
#include <authmilter/pipeline/verdict.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace authmilter::pipeline {

/** How much the connection is trusted, as the trust handlers (LocalIP, TrustedIP, Auth, TLS)
    found it. Other handlers read it to skip checks for local, trusted or authenticated clients,
    as the Perl tool does, without depending on those handlers being in the chain.
*/
struct trust_flags {
    bool local = false;            ///< client address is private, loopback, link-local...
    bool trusted = false;          ///< client address is in the trusted list
    bool authenticated = false;    ///< SMTP AUTH succeeded for this message's sender
    std::optional<bool> encrypted; ///< TLS in use; nullopt when the front-end cannot tell

    /// True when SPF, DKIM-style checks are skipped: local, trusted or authenticated.
    bool skip_checks() const noexcept { return local || trusted || authenticated; }
};

/** The state of one SMTP connection and of the message in progress on it.

    Owned by the front-end's session, one per connection. Handlers reach it through their
    handler_context. Per-message data (envelope, headers, handler states, results, edits, verdict)
    is reset by begin_message(); per-connection data (client, HELO, connection states) lives until
    the connection closes.

    @tparam Pipeline the pipeline<...> type; it provides the state tuples.
    @tparam Resolver the DNS resolver handlers query (a dns::Resolver).
    @tparam Result   the type of one Authentication-Results entry handlers record.
*/
template<class Pipeline, class Resolver, class Result> class transaction {
public:
    using pipeline_type = Pipeline;
    using resolver_type = Resolver;
    using result_type = Result;

    transaction(Pipeline const& p, Resolver& r) noexcept
        : pipeline_(&p)
        , resolver_(&r)
    {}

    Pipeline const& pipeline() const noexcept { return *pipeline_; }
    Resolver& resolver() const noexcept { return *resolver_; }

    /// The client as the MTA described it (after ip_map/helo_map).
    core::connection_info& connection() noexcept { return connection_; }
    core::connection_info const& connection() const noexcept { return connection_; }

    core::envelope& envelope() noexcept { return envelope_; }
    core::envelope const& envelope() const noexcept { return envelope_; }

    /// Header fields of the message so far, in arrival order.
    std::vector<core::header_field>& headers() noexcept { return headers_; }
    std::vector<core::header_field> const& headers() const noexcept { return headers_; }

    /// Macros (milter) or equivalent facts (SMTP: "j" = server name, "i" = queue id).
    void set_macro(std::string_view name, std::string_view value)
    {
        for(auto& [n, v] : macros_)
            if(n == name) {
                v = value;
                return;
            }
        macros_.emplace_back(name, value);
    }
    std::optional<std::string_view> macro(std::string_view name) const noexcept
    {
        for(auto const& [n, v] : macros_)
            if(n == name)
                return std::string_view(v);
        if(macro_source_ != nullptr)
            return macro_source_(macro_context_, name);
        return std::nullopt;
    }

    /// A lookup consulted after the macros set with set_macro(): the milter front-end points it at
    /// the macros the MTA sent, so they are not copied for every stage.
    using macro_lookup = std::optional<std::string_view> (*)(void const* context, std::string_view name);
    void set_macro_source(void const* context, macro_lookup lookup) noexcept
    {
        macro_context_ = context;
        macro_source_ = lookup;
    }

    /// Authentication-Results entries recorded for this message, in the order handlers added them.
    std::vector<Result>& results() noexcept { return results_; }
    std::vector<Result> const& results() const noexcept { return results_; }
    /// Entries kept for every message of the connection (iprev, local/trusted IP...).
    std::vector<Result>& connection_results() noexcept { return connection_results_; }
    std::vector<Result> const& connection_results() const noexcept { return connection_results_; }

    /// Trust facts about the connection; `authenticated` is reset for each message.
    trust_flags& trust() noexcept { return trust_; }
    trust_flags const& trust() const noexcept { return trust_; }

    std::vector<header_edit>& edits() noexcept { return edits_; }
    std::vector<header_edit> const& edits() const noexcept { return edits_; }

    /// The verdict so far. A final one stops the chain.
    pipeline::verdict const& verdict() const noexcept { return verdict_; }
    /// Records a verdict. A final verdict already set wins over any later one; the first
    /// quarantine reason wins over later quarantines.
    void set_verdict(pipeline::verdict v)
    {
        if(verdict_.is_final())
            return;
        if(v.what == verdict::action::quarantine && verdict_.what == verdict::action::quarantine)
            return;
        verdict_ = std::move(v);
    }

    /// Per-message states of every handler of the chain (empty structs for stateless ones).
    typename Pipeline::message_states& message_states() noexcept { return message_states_; }
    typename Pipeline::connection_states& connection_states() noexcept { return connection_states_; }

    /// Handler failures of this message, as "<handler> <stage>: <what>", for the log.
    std::vector<std::string>& handler_errors() noexcept { return handler_errors_; }
    std::vector<std::string> const& handler_errors() const noexcept { return handler_errors_; }

    /// Starts a new message on this connection: per-message data is reset, per-connection
    /// data (client, HELO, connection states and results) is kept.
    void begin_message()
    {
        envelope_ = {};
        headers_.clear();
        results_.clear();
        edits_.clear();
        handler_errors_.clear();
        verdict_ = {};
        message_states_ = {};
        trust_.authenticated = false;
        ++message_count_;
    }

    /// Starts a new connection on this transaction object (the milter `K` command reuses a
    /// socket for the next SMTP connection): everything is reset except the set_macro() values
    /// and the macro source.
    void begin_connection()
    {
        begin_message();
        connection_ = {};
        connection_results_.clear();
        connection_states_ = {};
        trust_ = {};
        message_count_ = 0;
    }

    /// Messages begun on this connection.
    std::size_t message_count() const noexcept { return message_count_; }

private:
    Pipeline const* pipeline_;
    Resolver* resolver_;
    core::connection_info connection_;
    core::envelope envelope_;
    std::vector<core::header_field> headers_;
    std::vector<std::pair<std::string, std::string>> macros_;
    void const* macro_context_ = nullptr;
    macro_lookup macro_source_ = nullptr;
    std::vector<Result> results_;
    std::vector<Result> connection_results_;
    std::vector<header_edit> edits_;
    std::vector<std::string> handler_errors_;
    pipeline::verdict verdict_;
    trust_flags trust_;
    typename Pipeline::message_states message_states_{};
    typename Pipeline::connection_states connection_states_{};
    std::size_t message_count_ = 0;
};

/** What a handler's stage callback receives: its own state, the states of the handlers it
    declared in `after`, and the transaction.

    Reading another handler's state that is not listed in `after` fails to compile.
*/
template<class Handler, class Transaction> class handler_context {
public:
    using pipeline_type = typename Transaction::pipeline_type;
    static constexpr std::size_t index = pipeline_type::template index_of<Handler>();

    explicit handler_context(Transaction& txn) noexcept
        : txn_(txn)
    {}

    Transaction& txn() const noexcept { return txn_; }
    auto& resolver() const noexcept { return txn_.resolver(); }

    /// This handler's per-message state.
    auto& state() const noexcept { return std::get<index>(txn_.message_states()); }
    /// This handler's per-connection state.
    auto& connection_state() const noexcept { return std::get<index>(txn_.connection_states()); }

    /// The per-message state of an earlier handler this one depends on.
    template<class Other> auto const& result_of() const noexcept
    {
        static_assert(pipeline_type::template depends_on<Handler, Other>(),
                      "authmilter: a handler reads the result of a handler it does not list in `after`");
        return std::get<pipeline_type::template index_of<Other>()>(txn_.message_states());
    }

    /// The per-connection state of an earlier handler this one depends on.
    template<class Other> auto const& connection_result_of() const noexcept
    {
        static_assert(pipeline_type::template depends_on<Handler, Other>(),
                      "authmilter: a handler reads the result of a handler it does not list in `after`");
        return std::get<pipeline_type::template index_of<Other>()>(txn_.connection_states());
    }

    /// Is Other enabled by the runtime configuration? (Its state is default when it is not.)
    template<class Other> bool enabled() const noexcept { return txn_.pipeline().template enabled<Other>(); }

    /// Records an Authentication-Results entry for this message.
    void add_result(typename Transaction::result_type r) const { txn_.results().push_back(std::move(r)); }
    /// Records an entry kept for every message of the connection.
    void add_connection_result(typename Transaction::result_type r) const
    {
        txn_.connection_results().push_back(std::move(r));
    }
    void add_edit(header_edit e) const { txn_.edits().push_back(std::move(e)); }
    void set_verdict(verdict v) const { txn_.set_verdict(std::move(v)); }

private:
    Transaction& txn_;
};

} // namespace authmilter::pipeline

#endif
