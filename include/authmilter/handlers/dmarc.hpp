// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_DMARC_HPP
#define AUTHMILTER_HANDLERS_DMARC_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/authres/sanitize.hpp>
#include <authmilter/core/cidr.hpp>
#include <authmilter/core/ip_address.hpp>
#include <authmilter/core/mailbox.hpp>
#include <authmilter/core/smtp_path.hpp>
#include <authmilter/dkim/result.hpp>
#include <authmilter/dmarc/authres.hpp>
#include <authmilter/dmarc/evaluate.hpp>
#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/local_policy.hpp>
#include <authmilter/dmarc/public_suffix_list.hpp>
#include <authmilter/dmarc/report_record.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/types.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/pipeline/deferred.hpp>
#include <authmilter/pipeline/handler.hpp>
#include <authmilter/pipeline/stage.hpp>
#include <authmilter/pipeline/verdict.hpp>
#include <authmilter/spf/result.hpp>

#include <system_error>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace authmilter::handlers {

namespace detail {

inline dmarc::auth_result
to_dmarc(spf::code c) noexcept
{
    switch(c) {
    case spf::code::none: return dmarc::auth_result::none;
    case spf::code::neutral: return dmarc::auth_result::neutral;
    case spf::code::pass: return dmarc::auth_result::pass;
    case spf::code::fail: return dmarc::auth_result::fail;
    case spf::code::softfail: return dmarc::auth_result::softfail;
    case spf::code::temperror: return dmarc::auth_result::temperror;
    case spf::code::permerror: return dmarc::auth_result::permerror;
    }
    return dmarc::auth_result::none;
}

inline dmarc::auth_result
to_dmarc(dkim::result r) noexcept
{
    switch(r) {
    case dkim::result::pass: return dmarc::auth_result::pass;
    case dkim::result::fail: return dmarc::auth_result::fail;
    case dkim::result::neutral: return dmarc::auth_result::neutral;
    case dkim::result::policy: return dmarc::auth_result::policy;
    case dkim::result::temperror: return dmarc::auth_result::temperror;
    case dkim::result::permerror: return dmarc::auth_result::permerror;
    case dkim::result::none: return dmarc::auth_result::none;
    }
    return dmarc::auth_result::none;
}

inline std::string
ascii_lower(std::string_view s)
{
    std::string out(s);
    for(auto& c : out)
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// The domain of an envelope address (MAIL FROM or RCPT TO, without angle brackets), lower
/// case; empty for the null sender or an address without a domain.
inline std::string
envelope_domain(std::string_view address)
{
    if(address.empty())
        return {};
    if(auto p = core::parse_reverse_path(address); p && p->has_domain())
        return p->domain.str();
    // Not an RFC 5321 path (the MTA passed something odd): the text after the last '@', as the
    // Perl tool's address parser would find it.
    auto const at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : ascii_lower(address.substr(at + 1));
}

/// Every domain of every From field value, sorted and without duplicates, as the Perl tool
/// takes them.
inline std::vector<std::string>
from_domains_of(std::vector<std::string> const& from_values)
{
    std::vector<std::string> out;
    for(auto const& value : from_values)
        for(auto const& d : core::from_domains(value))
            out.push_back(d.str());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// The Perl-style `dmarc=` entry as an authres::result. A comment that follows a property is
/// that property's (authres::result keeps comments where Mail::AuthenticationResults writes
/// them); one before any property is the result's own (`dmarc=permerror (...) header.from=`).
inline authres::result
to_authres(dmarc::authres_entry const& e)
{
    authres::result r(e.method, e.result);
    for(auto const& item : e.items) {
        if(item.type == dmarc::authres_item::kind::comment) {
            auto text = authres::safe_comment(item.value);
            if(r.properties.empty())
                r.add_comment(std::move(text));
            else
                r.properties.back().comments.push_back(std::move(text));
            continue;
        }
        auto const dot = item.key.find('.');
        r.add_property(item.key.substr(0, dot),
                       dot == std::string::npos ? std::string() : item.key.substr(dot + 1),
                       authres::safe_value(item.value));
    }
    return r;
}

/// One entry of the `whitelisted` list.
struct dmarc_allow_entry {
    enum class kind : std::uint8_t { network, dkim, spf, dnswl_ip, dnswl_spf, dnswl_dkim };
    kind what = kind::network;
    std::optional<core::cidr> network; ///< for `network`
    std::string name;                  ///< the domain (dkim:, spf:) or the RBL zone (dnswl:)
};

inline std::vector<dmarc_allow_entry>
read_allow_list(boost::json::object const& o, std::string_view key)
{
    std::vector<dmarc_allow_entry> out;
    std::size_t i = 0;
    for(auto const& text : read_string_list(o, key)) {
        auto const where = std::string(key) + "[" + std::to_string(i++) + "]";
        dmarc_allow_entry e;
        std::string_view t = text;
        auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
            if(t.size() > prefix.size() && ascii_lower(t.substr(0, prefix.size())) == prefix)
                return t.substr(prefix.size());
            return std::nullopt;
        };
        if(auto v = after("dnswl:")) {
            auto const colon = v->find(':');
            auto const type = ascii_lower(v->substr(0, colon));
            if(colon == std::string_view::npos || colon + 1 >= v->size() ||
               (type != "ip" && type != "spf" && type != "dkim"))
                throw std::invalid_argument(where +
                                            ": expected dnswl:ip:<rbl>, dnswl:spf:<rbl> or "
                                            "dnswl:dkim:<rbl>, found \"" +
                                            text + "\"");
            e.what = type == "ip"    ? dmarc_allow_entry::kind::dnswl_ip
                     : type == "spf" ? dmarc_allow_entry::kind::dnswl_spf
                                     : dmarc_allow_entry::kind::dnswl_dkim;
            e.name = ascii_lower(v->substr(colon + 1));
        } else if(auto d = after("dkim:")) {
            e.what = dmarc_allow_entry::kind::dkim;
            e.name = ascii_lower(*d);
        } else if(auto s = after("spf:")) {
            e.what = dmarc_allow_entry::kind::spf;
            e.name = ascii_lower(*s);
        } else if(auto net = core::cidr::parse(t)) {
            e.network = *net;
        } else {
            throw std::invalid_argument(where +
                                        ": expected an IP address, a CIDR range, dkim:<domain>, "
                                        "spf:<domain> or dnswl:<type>:<rbl>, found \"" +
                                        text + "\"");
        }
        out.push_back(std::move(e));
    }
    return out;
}

/// A count such as `reject_on_multifrom`: a non-negative integer (or its digits as a string,
/// as Perl configurations often have them).
inline unsigned
read_count(boost::json::object const& o, std::string_view key, unsigned fallback)
{
    auto const* v = o.if_contains(key);
    if(v == nullptr || v->is_null())
        return fallback;
    if(v->is_int64() && v->as_int64() >= 0 && v->as_int64() <= 1000000)
        return static_cast<unsigned>(v->as_int64());
    if(v->is_uint64() && v->as_uint64() <= 1000000)
        return static_cast<unsigned>(v->as_uint64());
    if(v->is_string()) {
        std::string_view const s = v->as_string();
        if(!s.empty() && s.size() <= 7 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return static_cast<unsigned>(std::stoul(std::string(s)));
    }
    throw std::invalid_argument(std::string(key) + ": expected a non-negative integer, found " +
                                boost::json::serialize(*v));
}

inline dmarc::disposition
read_disposition(boost::json::object const& o, std::string_view key, dmarc::disposition fallback)
{
    auto const* v = o.if_contains(key);
    if(v == nullptr || v->is_null())
        return fallback;
    if(v->is_string())
        if(auto p = dmarc::parse_policy(v->as_string()))
            return *p;
    throw std::invalid_argument(std::string(key) +
                                ": expected \"none\", \"quarantine\" or \"reject\", found " +
                                boost::json::serialize(*v));
}

inline std::string
read_string(boost::json::object const& o, std::string_view key, std::string fallback)
{
    auto const* v = o.if_contains(key);
    if(v == nullptr || v->is_null())
        return fallback;
    if(!v->is_string())
        throw std::invalid_argument(std::string(key) + ": expected a string, found " +
                                    boost::json::serialize(*v));
    return std::string(v->as_string());
}

} // namespace detail

/** DMARC (RFC 9989, or RFC 7489 by configuration) at the end of the message, as the Perl tool's
    DMARC handler: one `dmarc=` entry per RFC5322.From domain, in the Perl tool's format, with its
    local policy (never reject by default, mailing-list and allow-list exemptions).

    @code
    dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none
        policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p
        header.from=example.com
    dmarc=fail policy.published-domain-policy=reject policy.applied-disposition=quarantine
        policy.evaluated-disposition=reject policy.override-reason=local_policy
        (p=reject,d=quarantine,d.eval=reject,override=local_policy) policy.policy-from=p
        header.from=example.com
    dmarc=permerror (no parseable from domain)
    @endcode

    Stages: envrcpt (the last recipient is kept for reports, `report_skip_to`), header (List-Id /
    List-Post mark list mail; every From field is kept), eoh (a coroutine: the policy discovery
    of each From domain starts in the background, so that its answers are in the caching
    resolver by eom), abort (forgets it), eom (a coroutine: every From domain is
    evaluated with the SPF and DKIM handlers' results, local policy applied, entries written, and
    a quarantine or reject verdict set). Local, trusted and authenticated clients are skipped.

    What later handlers and the report store read, `state`: `evaluations` (one per envelope
    domain / From domain pair: the full dmarc::result, and whether a report row is due),
    `is_list`, `allow_listed`, `envelope_to`, `checked`. Sinks get them as typed
    dmarc::report_record rows from dmarc_report_records(txn) (sinks/dmarc_report_sink.hpp).

    Configuration: every key of the Perl tool (see `default_config`), plus `dmarc_spec`
    (`rfc9989` | `rfc7489`), `shadow` (0/1: also evaluate with the other specification) and
    `psl_file` (the Public Suffix List, needed for RFC 7489 and for shadow mode),
    `report_jsonl_file` / `report_jsonl_all` (the daemon's JSON-lines report sink). The reporting
    keys, `use_arc`, `arc_before_list` and `policy_rbl_lookup` are accepted and take effect with
    the report store, ARC and RBL support (doc/handlers.md).
*/
struct dmarc_handler {
    static constexpr std::string_view name = "DMARC";
    using after = pipeline::after_list<spf_handler, dkim_handler>;

    static constexpr std::string_view help =
        "DMARC: evaluates each RFC5322.From domain (RFC 9989, or RFC 7489 with dmarc_spec) from the SPF\n"
        "and DKIM results and adds dmarc=<result> policy.published-domain-policy=.. ... "
        "header.from=<domain>.\n"
        "  hide_none               1: no dmarc=none entry\n"
        "  hard_reject             1: reject p=reject failures (550 5.7.0); 0: no_reject_disposition\n"
        "  no_reject_disposition   what a p=reject failure gets instead (quarantine)\n"
        "  no_list_reject          1: List-Id/List-Post mail gets no_list_reject_disposition (none)\n"
        "  whitelisted             [IP, CIDR, dkim:<domain>, spf:<domain>, dnswl:ip|spf|dkim:<rbl>]\n"
        "  detect_list_id          1: note has-list-id=yes in the comment\n"
        "  strict_multifrom        1: several From domains force quarantine (reject with hard_reject)\n"
        "  skip_on_multifrom / quarantine_on_multifrom / reject_on_multifrom   10 / 20 / 30 domains\n"
        "  dmarc_spec              rfc9989 (DNS tree walk) or rfc7489 (Public Suffix List)\n"
        "  shadow                  1: also evaluate with the other specification (logged, state)\n"
        "  psl_file                the Public Suffix List (/usr/share/publicsuffix/public_suffix_list.dat)\n"
        "  report_jsonl_file       append each report record to this file as one JSON line (\"\": off)\n"
        "  report_jsonl_all        0: only records an aggregate report is due for; 1: every evaluated "
        "record\n"
        "  use_arc, arc_before_list, policy_rbl_lookup, report_*, no_report, hide_report_to, config_file:\n"
        "    accepted; they take effect with ARC, RBL and the report store\n";

    static constexpr std::string_view default_config =
        R"({"hide_none":0,"use_arc":1,"hard_reject":0,"no_list_reject":1,"arc_before_list":0,)"
        R"("whitelisted":[],"policy_rbl_lookup":{},"detect_list_id":1,"report_skip_to":[],)"
        R"("report_suppression_list":"","report_suppression_email_list":"","no_report":0,)"
        R"("hide_report_to":0,"config_file":"/etc/mail-dmarc.ini","no_reject_disposition":"quarantine",)"
        R"("no_list_reject_disposition":"none","reject_on_multifrom":30,"quarantine_on_multifrom":20,)"
        R"("skip_on_multifrom":10,"strict_multifrom":0,"dmarc_spec":"rfc9989","shadow":0,)"
        R"("psl_file":"/usr/share/publicsuffix/public_suffix_list.dat","report_jsonl_file":"",)"
        R"("report_jsonl_all":0})";

    bool hide_none = false;
    bool use_arc = true;        ///< accepted; takes effect with the ARC handler
    bool detect_list_id = true; ///< `has-list-id=yes` in the comment of list mail
    bool strict_multifrom = false;
    bool no_report = false;
    bool hide_report_to = false;
    unsigned reject_on_multifrom = 30;
    unsigned quarantine_on_multifrom = 20;
    unsigned skip_on_multifrom = 10;
    /// hard_reject, no_list_reject, the two dispositions, arc_before_list.
    dmarc::local_policy local;
    std::vector<detail::dmarc_allow_entry> whitelisted;
    std::vector<std::string> report_skip_to; ///< lower case
    std::string report_suppression_list;
    std::string report_suppression_email_list;
    std::string config_file = "/etc/mail-dmarc.ini";
    boost::json::object policy_rbl_lookup; ///< accepted; takes effect with RBL support
    std::string psl_file = std::string(dmarc::default_public_suffix_list_path);
    /// Where the daemon's JSON-lines report sink appends the report records; empty: no sink.
    /// Read here so that it sits with the other DMARC keys; the daemon opens the file.
    std::string report_jsonl_file;
    /// The JSON-lines sink writes every record with a policy, not only those a report is due for.
    bool report_jsonl_all = false;
    /// The list loaded by configure() when RFC 7489 or shadow mode needs it.
    std::shared_ptr<dmarc::public_suffix_list const> psl;
    /// The evaluation options derived from `dmarc_spec` and `shadow` by configure(). Public so
    /// that a program (or a test) can set what the JSON does not carry, e.g. `random_percent`.
    dmarc::evaluation_options evaluation;
    /// Start the policy lookups at the end of the headers, so that their answers are in the
    /// caching resolver by the end of the message (DESIGN §3). Without a caching resolver they
    /// are only asked twice; a program using a plain resolver may turn this off.
    bool prefetch = true;
    static constexpr std::size_t max_prefetch = 10; ///< From domains prefetched at most

    /// One evaluation: an (envelope domain, From domain) pair.
    struct evaluation_record {
        std::string envelope_domain; ///< MAIL FROM domain; empty for the null sender
        std::string header_domain;   ///< the From domain evaluated
        std::string envelope_to;     ///< the last RCPT TO (empty with hide_report_to)
        dmarc::result result;
        bool rejected = false; ///< this evaluation made the message be rejected
        bool report = false;   ///< an aggregate report row is due (rua=, no_report off, not skipped)
    };

    struct state {
        bool is_list = false;                  ///< List-Id or List-Post present
        std::vector<std::string> from_headers; ///< every From value, unfolded, in order
        std::string envelope_to;               ///< the last RCPT TO address
        bool skip_report = false;              ///< a recipient is in report_skip_to
        bool checked = false;                  ///< eom evaluated the message
        bool allow_listed = false;             ///< the `whitelisted` list matched (checked on failure)
        std::vector<evaluation_record> evaluations;
        pipeline::deferred<bool> prefetch; ///< the policy lookups started at end of headers
    };

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        hide_none = detail::read_flag(o, "hide_none", false);
        use_arc = detail::read_flag(o, "use_arc", true);
        local.hard_reject = detail::read_flag(o, "hard_reject", false);
        local.no_list_reject = detail::read_flag(o, "no_list_reject", true);
        local.arc_before_list = detail::read_flag(o, "arc_before_list", false);
        local.no_reject_disposition =
            detail::read_disposition(o, "no_reject_disposition", dmarc::disposition::quarantine);
        local.no_list_reject_disposition =
            detail::read_disposition(o, "no_list_reject_disposition", dmarc::disposition::none);
        whitelisted = detail::read_allow_list(o, "whitelisted");
        if(auto const* p = o.if_contains("policy_rbl_lookup"); p && !p->is_null()) {
            if(!p->is_object())
                throw std::invalid_argument("policy_rbl_lookup: expected an object, found " +
                                            boost::json::serialize(*p));
            policy_rbl_lookup = p->as_object();
        }
        detect_list_id = detail::read_flag(o, "detect_list_id", true);
        report_skip_to.clear();
        for(auto const& s : detail::read_string_list(o, "report_skip_to"))
            report_skip_to.push_back(detail::ascii_lower(s));
        report_suppression_list = detail::read_string(o, "report_suppression_list", "");
        report_suppression_email_list = detail::read_string(o, "report_suppression_email_list", "");
        no_report = detail::read_flag(o, "no_report", false);
        hide_report_to = detail::read_flag(o, "hide_report_to", false);
        config_file = detail::read_string(o, "config_file", "/etc/mail-dmarc.ini");
        reject_on_multifrom = detail::read_count(o, "reject_on_multifrom", 30);
        quarantine_on_multifrom = detail::read_count(o, "quarantine_on_multifrom", 20);
        skip_on_multifrom = detail::read_count(o, "skip_on_multifrom", 10);
        strict_multifrom = detail::read_flag(o, "strict_multifrom", false);

        auto const spec_text = detail::read_string(o, "dmarc_spec", "rfc9989");
        if(spec_text == "rfc9989")
            evaluation.primary = dmarc::spec::rfc9989;
        else if(spec_text == "rfc7489")
            evaluation.primary = dmarc::spec::rfc7489;
        else
            throw std::invalid_argument("dmarc_spec: expected \"rfc9989\" or \"rfc7489\", found \"" +
                                        spec_text + "\"");
        evaluation.shadow = detail::read_flag(o, "shadow", false);
        // RFC 7489 reports several records as "no DMARC processing", which the Perl tool writes
        // permerror (multiple DMARC records); RFC 9989 4.10 discards them and walks on.
        evaluation.permerror_on_multiple_records = evaluation.primary == dmarc::spec::rfc7489;
        psl_file = detail::read_string(o, "psl_file", std::string(dmarc::default_public_suffix_list_path));
        report_jsonl_file = detail::read_string(o, "report_jsonl_file", "");
        report_jsonl_all = detail::read_flag(o, "report_jsonl_all", false);
        psl.reset();
        evaluation.psl = nullptr;
        if(evaluation.primary == dmarc::spec::rfc7489 || evaluation.shadow) {
            std::error_code ec;
            auto list = dmarc::public_suffix_list::load(psl_file, ec);
            if(ec)
                throw std::invalid_argument("psl_file: cannot read the Public Suffix List \"" + psl_file +
                                            "\": " + ec.message());
            psl = std::make_shared<dmarc::public_suffix_list const>(std::move(list));
            evaluation.psl = psl.get();
        }
    }

    void on_envrcpt(auto& ctx, pipeline::events::envrcpt const& ev) const
    {
        if(ctx.txn().trust().skip_checks())
            return;
        auto& st = ctx.state();
        st.envelope_to = std::string(ev.address);
        if(report_skip_to.empty())
            return;
        auto const address = detail::ascii_lower(ev.address);
        auto const domain = detail::envelope_domain(ev.address);
        for(auto const& skip : report_skip_to)
            if(skip == address || (!domain.empty() && skip == domain))
                st.skip_report = true;
    }

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        if(ctx.txn().trust().skip_checks())
            return;
        auto& st = ctx.state();
        if(ev.field.is("List-Id") || ev.field.is("List-Post"))
            st.is_list = true;
        else if(ev.field.is("From"))
            st.from_headers.push_back(ev.field.unfolded());
    }

    /// Starts the policy discovery of every From domain in the background (the body is still to
    /// come); eom then finds the answers cached or in flight.
    boost::asio::awaitable<void> on_eoh(auto& ctx, pipeline::events::eoh const&) const
    {
        auto& txn = ctx.txn();
        auto& st = ctx.state();
        if(!prefetch || txn.trust().skip_checks() || st.from_headers.empty())
            co_return;
        auto domains = detail::from_domains_of(st.from_headers);
        // Only the domains eom will evaluate, and never more than a handful: the prefetch is
        // an optimisation, not a way for a hostile From list to multiply DNS traffic.
        std::size_t limit = max_prefetch;
        if(skip_on_multifrom != 0)
            limit = std::min<std::size_t>(limit, skip_on_multifrom - 1);
        if(domains.size() > limit)
            domains.resize(limit);
        if(domains.empty())
            co_return;
        auto const ex = co_await boost::asio::this_coro::executor;
        st.prefetch.start(ex, discover(txn.resolver(), std::move(domains), evaluation, psl));
    }

    void on_abort(auto& ctx, pipeline::events::abort const&) const { ctx.state().prefetch.reset(); }

    boost::asio::awaitable<void> on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        auto& txn = ctx.txn();
        auto& st = ctx.state();
        // The prefetch has done its work (its answers are cached or in flight); its slot need
        // not live on with the message's state.
        st.prefetch.reset();
        if(txn.trust().skip_checks())
            co_return;
        if(!ctx.template enabled<spf_handler>() || !ctx.template enabled<dkim_handler>()) {
            // The Perl tool's "DMARC Config Error": without both results DMARC would be wrong.
            txn.handler_errors().push_back(
                "DMARC eom: DMARC Config Error: the SPF and DKIM handlers must be enabled");
            co_return;
        }
        st.checked = true;
        auto const& spf_state = ctx.template result_of<spf_handler>();
        auto const& dkim_state = ctx.template result_of<dkim_handler>();

        auto const header_domains = detail::from_domains_of(st.from_headers);
        if(header_domains.empty()) {
            authres::result r("dmarc", "permerror");
            r.add_comment("no parseable from domain");
            ctx.add_result(std::move(r));
            co_return;
        }

        dmarc::message_input input;
        if(spf_state.checked)
            input.spf.push_back(
                {spf_state.domain,
                 spf_state.scope == spf::scope::helo ? dmarc::spf_scope::helo : dmarc::spf_scope::mfrom,
                 detail::to_dmarc(spf_state.result),
                 !spf_state.detail.explanation.empty() ? spf_state.detail.explanation
                                                       : spf_state.detail.reason});
        for(auto const& sig : dkim_state.signatures)
            input.dkim.push_back({sig.domain, sig.selector, detail::to_dmarc(sig.res), sig.reason_text()});

        std::string const env_domain = detail::envelope_domain(txn.envelope().mail_from);
        bool const multiple = header_domains.size() > 1;
        dmarc::local_facts facts;
        facts.is_list = st.is_list;
        bool allow_list_checked = false;
        dmarc::authres_options ar_options;
        ar_options.is_list = st.is_list;
        ar_options.detect_list_id = detect_list_id;

        std::vector<std::string> written; // the Perl tool drops duplicate entries
        unsigned count = 0;
        for(auto const& header_domain : header_domains) {
            if(txn.verdict().is_final())
                break;
            ++count;
            // Many From domains cost a DNS walk each: past the thresholds the message is
            // skipped, quarantined or rejected, as the Perl tool does.
            if(reject_on_multifrom != 0 && count == reject_on_multifrom) {
                ctx.set_verdict(pipeline::verdict::reject(550, "5.7.0", "DMARC policy violation"));
                break;
            }
            if(quarantine_on_multifrom != 0 && count == quarantine_on_multifrom)
                ctx.set_verdict(pipeline::verdict::quarantine("Quarantined due to DMARC policy"));
            if(skip_on_multifrom != 0 && count >= skip_on_multifrom)
                continue;

            evaluation_record rec;
            rec.envelope_domain = env_domain;
            rec.header_domain = header_domain;
            if(!hide_report_to)
                rec.envelope_to = st.envelope_to;
            input.from_domain = header_domain;
            try {
                rec.result = co_await dmarc::evaluate(ctx.resolver(), input, evaluation);
            } catch(std::exception const& e) {
                // evaluate() reports DNS trouble as temperror itself; this is a resolver that
                // broke its contract. The Perl tool's words for an exception.
                txn.handler_errors().push_back(std::string("DMARC eom: ") + e.what());
                authres::result r("dmarc", "temperror");
                r.add_property("header", "from", authres::safe_value(header_domain));
                ctx.add_result(std::move(r));
                continue;
            }
            auto& r = rec.result;
            if(r.value == dmarc::status::fail && !allow_list_checked && !whitelisted.empty()) {
                // Only a failure can be overridden, so only a failure pays for dnswl: lookups.
                // Named, not temporaries in the co_await argument list (doc/pipeline.md, g++ 12).
                allow_list_checked = true;
                auto dkim_passing = dkim_state.passing_domains();
                bool const spf_pass = spf_state.checked && spf_state.result == spf::code::pass;
                st.allow_listed = co_await allow_listed(ctx.resolver(), txn.connection().client_ip, spf_pass,
                                                        spf_state.domain, std::move(dkim_passing));
                facts.allow_listed = st.allow_listed;
            }
            rec.rejected = dmarc::apply_local_policy(r, local, facts);
            if(multiple && strict_multifrom && !rec.rejected) {
                if(local.hard_reject)
                    rec.rejected = true;
                else if(r.applied == dmarc::disposition::none)
                    dmarc::override_disposition(r, dmarc::disposition::quarantine,
                                                dmarc::override_reason::local_policy,
                                                "Multiple From domains");
            }
            if(rec.rejected)
                ctx.set_verdict(pipeline::verdict::reject(550, "5.7.0", "DMARC policy violation"));
            else if(r.applied == dmarc::disposition::quarantine)
                ctx.set_verdict(pipeline::verdict::quarantine("Quarantined due to DMARC policy"));
            rec.report = !no_report && !st.skip_report && r.published && !r.published->rua.empty();

            if(!(hide_none && r.value == dmarc::status::none)) {
                auto const entry = dmarc::to_authres(r, ar_options);
                auto text = entry.to_string();
                if(std::find(written.begin(), written.end(), text) == written.end()) {
                    written.push_back(std::move(text));
                    ctx.add_result(detail::to_authres(entry));
                }
            }
            st.evaluations.push_back(std::move(rec));
        }
    }

private:
    /// Policy discovery only (no SPF or DKIM input): the same DNS questions evaluate() asks.
    /// Takes everything by value, as it may outlive the message; `keep` holds the list `opts`
    /// points to.
    template<class Resolver>
    static boost::asio::awaitable<bool> discover(Resolver& resolver, std::vector<std::string> domains,
                                                 dmarc::evaluation_options opts,
                                                 std::shared_ptr<dmarc::public_suffix_list const> keep)
    {
        (void)keep;
        // Sampling is not the point here: keep pct= from consuming the real random source.
        opts.random_percent = [] { return 0u; };
        for(auto& d : domains) {
            dmarc::message_input in;
            in.from_domain = std::move(d);
            (void)co_await dmarc::evaluate(resolver, in, opts);
        }
        co_return true;
    }

    /// The `whitelisted` list against the client address and the passing SPF and DKIM domains;
    /// `dnswl:` entries are A lookups in the named zone, as the Perl tool's rbl_check_*.
    template<class Resolver>
    boost::asio::awaitable<bool> allow_listed(Resolver& resolver, std::optional<core::ip_address> ip,
                                              bool spf_pass, std::string spf_domain,
                                              std::vector<std::string> dkim_domains) const
    {
        spf_domain = detail::ascii_lower(spf_domain);
        for(auto& d : dkim_domains)
            d = detail::ascii_lower(d);
        using kind = detail::dmarc_allow_entry::kind;
        for(auto const& e : whitelisted) {
            switch(e.what) {
            case kind::network:
                if(ip && e.network->contains(*ip))
                    co_return true;
                break;
            case kind::dkim:
                if(std::find(dkim_domains.begin(), dkim_domains.end(), e.name) != dkim_domains.end())
                    co_return true;
                break;
            case kind::spf:
                if(spf_pass && spf_domain == e.name)
                    co_return true;
                break;
            case kind::dnswl_ip:
                if(ip) {
                    // The reverse name without its in-addr.arpa / ip6.arpa suffix.
                    auto name = ip->reverse_name();
                    auto const suffix = name.rfind(ip->is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
                    if(suffix != std::string::npos)
                        name.resize(suffix);
                    name += "." + e.name;
                    if(co_await listed(resolver, name))
                        co_return true;
                }
                break;
            case kind::dnswl_spf:
                if(spf_pass && !spf_domain.empty()) {
                    auto const name = spf_domain + "." + e.name;
                    if(co_await listed(resolver, name))
                        co_return true;
                }
                break;
            case kind::dnswl_dkim:
                for(auto const& d : dkim_domains) {
                    auto const name = d + "." + e.name;
                    if(co_await listed(resolver, name))
                        co_return true;
                }
                break;
            }
        }
        co_return false;
    }

    template<class Resolver> static boost::asio::awaitable<bool> listed(Resolver& resolver, std::string name)
    {
        auto const answer = co_await resolver.query(name, dns::rr_type::a);
        co_return answer.status == dns::outcome::noerror && !answer.addresses().empty();
    }
};

/** The report records of the message in `txn`: one per evaluated From domain that has a
    usable policy record, with the envelope and connection facts (source IP, MAIL FROM, HELO and
    last RCPT TO domains, queue id, `time` = `when`), the list and allow-list flags and whether a
    report is due. Empty when the chain has no DMARC handler, it is disabled, or it did not
    evaluate the message (local, trusted or authenticated client; rejected earlier).

    Built on demand from the handler's state, so a message costs nothing here unless a sink asks.
*/
template<class Transaction>
std::vector<dmarc::report_record>
dmarc_report_records(Transaction& txn, std::chrono::system_clock::time_point when)
{
    using pipeline_type = typename Transaction::pipeline_type;
    constexpr std::size_t index = pipeline_type::template index_of<dmarc_handler>();
    std::vector<dmarc::report_record> out;
    if constexpr(index != pipeline_type::npos) {
        if(!txn.pipeline().template enabled<dmarc_handler>())
            return out;
        auto const& st = std::get<index>(txn.message_states());
        if(!st.checked)
            return out;
        auto const queue_id = txn.macro("i");
        for(auto const& ev : st.evaluations) {
            auto rec = dmarc::make_report_record(ev.result, txn.connection().client_ip, ev.envelope_domain,
                                                 detail::envelope_domain(ev.envelope_to));
            if(!rec)
                continue;
            rec->time = when;
            if(queue_id)
                rec->queue_id = std::string(*queue_id);
            rec->helo = txn.connection().helo;
            rec->is_list = st.is_list;
            rec->allow_listed = st.allow_listed;
            rec->rejected = ev.rejected;
            rec->report_requested = ev.report;
            out.push_back(std::move(*rec));
        }
    }
    return out;
}

} // namespace authmilter::handlers

#endif
