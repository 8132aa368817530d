// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_CHECK_HOST_HPP
#define AUTHMILTER_SPF_CHECK_HOST_HPP

#include <authmilter/core/cidr.hpp>
#include <authmilter/core/ip_address.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/resolver.hpp>
#include <authmilter/spf/detail/domain.hpp>
#include <authmilter/spf/detail/parallel.hpp>
#include <authmilter/spf/macro.hpp>
#include <authmilter/spf/record.hpp>
#include <authmilter/spf/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::spf {

/// Settings of one check_host() evaluation.
struct options {
    /// The checking host's name, for `%{r}` in explanations ("unknown" when empty).
    std::string receiver;
    /// The explanation of a fail when the record has no usable exp= (macro-expanded like an
    /// exp= text; used literally if it does not parse).
    std::string default_explanation = "Please see http://www.open-spf.org/Why?id=%{S}&ip=%{C}&r=%{R}";
    /// DNS-interactive terms (include a mx ptr exists redirect) per evaluation (RFC 7208 §4.6.4).
    unsigned max_dns_terms = 10;
    /// Lookups answering NXDOMAIN or no records (RFC 7208 §4.6.4; "SHOULD" be 2).
    unsigned max_void_lookups = 2;
    /// MX records an `mx` mechanism may return; more is a permerror.
    unsigned max_mx_names = 10;
    /// PTR names a `ptr` mechanism or `%{p}` checks; the rest are ignored.
    unsigned max_ptr_names = 10;
    /// `%{t}` in seconds since the epoch; the system clock when unset.
    std::optional<std::int64_t> now;
    /// Sender ID's PRA scope (RFC 4406 §3.4): use the `spf2.0/...` records whose scopes include
    /// `pra`, and only when there are none the `v=spf1` records. The terms are the same.
    bool pra = false;
};

/// RFC 7208 §4: evaluates the SPF policy of `domain` for a client at `client`.
///
/// `sender` is the <sender> (`local@domain`; a missing local-part becomes `postmaster`), `helo`
/// the HELO/EHLO name for `%{h}`. Never throws for DNS or record contents; every outcome is a
/// result code with its reason.
///
/// Like every Asio awaitable, the returned operation starts when it is awaited and refers to its
/// arguments until it completes: the resolver, the strings viewed and `opts` must outlive it
/// (`co_await` it in the same full-expression, or keep the arguments in the awaiting frame).
template<dns::Resolver Resolver>
boost::asio::awaitable<result> check_host(Resolver& resolver, core::ip_address client,
                                          std::string_view domain, std::string_view sender,
                                          std::string_view helo, options const& opts);

/// The MAIL FROM identity (RFC 7208 §2.4): the domain of `mail_from` (angle brackets allowed),
/// or, for the null reverse-path, the HELO identity `postmaster@<helo>`.
template<dns::Resolver Resolver>
boost::asio::awaitable<result> verify_mailfrom(Resolver& resolver, core::ip_address client,
                                               std::string_view mail_from, std::string_view helo,
                                               options const& opts);

/// The HELO identity (RFC 7208 §2.3): check_host() of `helo` with sender `postmaster@<helo>`.
/// An address literal or a name that is not a multi-label domain gives `none`.
template<dns::Resolver Resolver>
boost::asio::awaitable<result> verify_helo(Resolver& resolver, core::ip_address client, std::string_view helo,
                                           options const& opts);

namespace detail {

inline std::string
dns_error_text(dns::outcome o, std::string_view type, std::string_view name)
{
    if(o == dns::outcome::timeout)
        return "Time-out on DNS '" + std::string(type) + "' lookup of '" + std::string(name) + "'";
    std::string word(dns::to_string(o));
    for(auto& c : word)
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return "'" + word + "' error on DNS '" + std::string(type) + "' lookup of '" + std::string(name) + "'";
}

/// An `spf2.0/<scopes>` record (RFC 4406 §3.1) whose scopes include `pra`, rewritten with the
/// `v=spf1` tag (the terms that follow are the same); nullopt for anything else.
inline std::optional<std::string>
spf2_pra_as_spf1(std::string_view txt)
{
    if(txt.size() < 7 || !iequals(txt.substr(0, 7), "spf2.0/"))
        return std::nullopt;
    auto const end = txt.find(' ');
    auto scopes = txt.substr(7, end == std::string_view::npos ? std::string_view::npos : end - 7);
    bool pra = false;
    while(!scopes.empty()) {
        auto const comma = scopes.find(',');
        auto const one = scopes.substr(0, comma);
        if(iequals(one, "pra"))
            pra = true;
        else if(!iequals(one, "mfrom"))
            return std::nullopt;
        scopes = comma == std::string_view::npos ? std::string_view() : scopes.substr(comma + 1);
    }
    if(!pra)
        return std::nullopt;
    return "v=spf1" + std::string(end == std::string_view::npos ? std::string_view() : txt.substr(end));
}

constexpr mechanism_kind
kind_of(mechanism_type t) noexcept
{
    switch(t) {
    case mechanism_type::all: return mechanism_kind::all;
    case mechanism_type::include:
    case mechanism_type::exists: return mechanism_kind::other;
    default: return mechanism_kind::address;
    }
}

/// The state of one check_host() call, shared by its include/redirect recursion: the limits
/// count over the whole evaluation.
template<class Resolver> class evaluator {
public:
    evaluator(Resolver& r, core::ip_address ip, std::string sender, std::string local,
              std::string sender_domain, std::string helo, options const& opts)
        : resolver_(r)
        , ip_(ip)
        , sender_(std::move(sender))
        , local_(std::move(local))
        , sender_domain_(std::move(sender_domain))
        , helo_(std::move(helo))
        , opts_(opts)
    {
        if(opts.now)
            timestamp_ = *opts.now;
        else
            timestamp_ = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    }

    unsigned terms = 0;
    unsigned voids = 0;
    unsigned queries = 0;

    /// check_host() of `domain`; `want_exp` is false inside include (RFC 7208 §6.2: an
    /// included record's exp= is never used).
    boost::asio::awaitable<result> evaluate(std::string domain, bool want_exp, unsigned depth);

    /// The default explanation expanded in the context of `domain`.
    boost::asio::awaitable<std::string> default_explanation(std::string const& domain);

private:
    macro_context context(std::string_view domain, std::string_view validated) const
    {
        macro_context c;
        c.sender = sender_;
        c.local_part = local_;
        c.sender_domain = sender_domain_;
        c.domain = domain;
        c.ip = ip_;
        c.helo = helo_;
        c.validated = validated;
        c.receiver = opts_.receiver;
        c.timestamp = timestamp_;
        return c;
    }

    boost::asio::awaitable<dns::answer> query(std::string const& name, dns::rr_type type)
    {
        ++queries;
        co_return co_await resolver_.query(name, type);
    }

    boost::asio::awaitable<std::vector<dns::answer>> query_all(std::vector<std::string> const& names,
                                                               dns::rr_type type)
    {
        queries += static_cast<unsigned>(names.size());
        co_return co_await detail::query_all(resolver_, names, type);
    }

    dns::rr_type address_type() const noexcept { return ip_.is_v4() ? dns::rr_type::a : dns::rr_type::aaaa; }

    static bool contains(dns::answer const& a, core::ip_address const& ip, unsigned len)
    {
        for(auto const& addr : a.addresses())
            if(core::in_network(ip, addr, len))
                return true;
        return false;
    }

    /// The names of the client's PTR records whose forward lookup gives the client address back
    /// (RFC 7208 §5.5), at most max_ptr_names of them checked. `ok` is false on a PTR DNS error.
    struct validated_names {
        dns::outcome status = dns::outcome::noerror;
        std::vector<std::string> names;
    };
    boost::asio::awaitable<validated_names> validate_ptr()
    {
        validated_names out;
        // A named string, not a temporary: g++ 12 mishandles temporaries with destructors
        // inside co_await expressions.
        std::string const reverse = ip_.reverse_name();
        auto const ptr = co_await query(reverse, dns::rr_type::ptr);
        out.status = ptr.status;
        if(!ptr.ok())
            co_return out;
        std::vector<std::string> names;
        for(auto const& n : ptr.names()) {
            if(names.size() >= opts_.max_ptr_names)
                break;
            auto const name = std::string(strip_trailing_dot(n));
            if(queryable_name(name))
                names.push_back(name);
        }
        auto const answers = co_await query_all(names, address_type());
        unsigned const width = ip_.is_v4() ? 32 : 128;
        for(std::size_t i = 0; i < names.size(); ++i)
            if(answers[i].ok() && contains(answers[i], ip_, width))
                out.names.push_back(names[i]);
        co_return out;
    }

    /// `%{p}` (RFC 7208 §7.3): a validated name equal to `domain`, else one under it, else any.
    boost::asio::awaitable<std::string> p_value(std::string_view domain)
    {
        auto const v = co_await validate_ptr();
        for(auto const& n : v.names)
            if(iequals(n, domain))
                co_return n;
        for(auto const& n : v.names)
            if(is_same_or_subdomain(n, domain))
                co_return n;
        if(!v.names.empty())
            co_return v.names.front();
        co_return std::string("unknown");
    }

    /// Expands a domain-spec into a target name (truncated to 253 octets). nullopt if the
    /// expansion fails (cannot happen after parse_record() accepted it, kept for safety).
    boost::asio::awaitable<std::optional<std::string>> target(std::string_view spec, std::string_view domain)
    {
        std::string p;
        if(uses_macro_letter(spec, 'p'))
            p = co_await p_value(domain);
        auto e = expand_macros(spec, context(domain, p), macro_mode::domain_spec);
        if(!e)
            co_return std::nullopt;
        co_return truncate_name(std::move(*e));
    }

    boost::asio::awaitable<std::optional<std::string>> explain(std::string_view spec, std::string_view domain)
    {
        auto const name = co_await target(spec, domain);
        if(!name || !queryable_name(*name))
            co_return std::nullopt;
        auto const ans = co_await query(*name, dns::rr_type::txt);
        if(!ans.ok())
            co_return std::nullopt;
        auto const txts = ans.txts();
        if(txts.size() != 1)
            co_return std::nullopt;
        if(check_macro_string(txts[0], macro_mode::explanation))
            co_return std::nullopt;
        std::string p;
        if(uses_macro_letter(txts[0], 'p'))
            p = co_await p_value(domain);
        co_return expand_macros(txts[0], context(domain, p), macro_mode::explanation);
    }

    result error(code c, std::string reason, std::string const& domain) const
    {
        result r;
        r.code = c;
        r.reason = std::move(reason);
        r.decided_by = domain;
        return r;
    }

    bool count_term() { return ++terms <= opts_.max_dns_terms; }
    bool count_void() { return ++voids <= opts_.max_void_lookups; }

    std::string term_limit_text() const
    {
        return "Maximum DNS-interactive terms limit (" + std::to_string(opts_.max_dns_terms) + ") exceeded";
    }
    std::string void_limit_text() const
    {
        return "Maximum void DNS look-ups limit (" + std::to_string(opts_.max_void_lookups) + ") exceeded";
    }

    /// The outcome of one mechanism: matched, not matched, or a result that ends evaluation.
    struct step {
        bool matched = false;
        std::optional<result> stop;
    };
    boost::asio::awaitable<step> match(mechanism const& m, std::string const& domain, unsigned depth);

    Resolver& resolver_;
    core::ip_address ip_;
    std::string sender_;
    std::string local_;
    std::string sender_domain_;
    std::string helo_;
    options const& opts_;
    std::int64_t timestamp_ = 0;
};

template<class Resolver>
boost::asio::awaitable<result>
evaluator<Resolver>::evaluate(std::string domain, bool want_exp, unsigned depth)
{
    domain = std::string(strip_trailing_dot(domain));
    if(!valid_check_domain(domain))
        co_return error(code::none, "Invalid domain name '" + domain + "'", domain);
    if(depth > 64) // unreachable with sane limits; bounds the recursion if limits are disabled
        co_return error(code::permerror, "Include/redirect nesting too deep", domain);

    auto const ans = co_await query(domain, dns::rr_type::txt);
    if(dns::is_temporary(ans.status))
        co_return error(code::temperror, dns_error_text(ans.status, "TXT", domain), domain);
    std::vector<std::string> spf;
    auto txts = ans.txts();
    if(opts_.pra)
        for(auto const& t : txts)
            if(auto v1 = spf2_pra_as_spf1(t))
                spf.push_back(std::move(*v1));
    bool const v2 = !spf.empty();
    if(!v2)
        for(auto& t : txts)
            if(is_spf1_record(t))
                spf.push_back(std::move(t));
    if(spf.empty())
        co_return error(code::none, "No applicable sender policy available", domain);
    if(spf.size() > 1)
        co_return error(code::permerror,
                        v2 ? "Redundant applicable 'spf2.0/pra' sender policies found"
                           : "Redundant applicable 'v=spf1' sender policies found",
                        domain);

    auto const parsed = parse_record(spf.front());
    if(!parsed)
        co_return error(code::permerror, parsed.error, domain);
    auto const& rec = *parsed.value;

    for(auto const& m : rec.mechanisms) {
        auto s = co_await match(m, domain, depth);
        if(s.stop)
            co_return std::move(*s.stop);
        if(!s.matched)
            continue;
        result r;
        r.code = to_code(m.qualifier);
        r.mechanism = m.text;
        r.kind = kind_of(m.type);
        r.decided_by = domain;
        if(r.code == code::fail && want_exp && rec.exp) {
            if(auto e = co_await explain(*rec.exp, domain))
                r.explanation = std::move(*e);
        }
        co_return r;
    }

    // RFC 7208 §6.1: redirect= applies when nothing matched and the record has no "all".
    if(rec.redirect && !rec.has_all()) {
        if(!count_term())
            co_return error(code::permerror, term_limit_text(), domain);
        auto t = co_await target(*rec.redirect, domain);
        if(!t)
            co_return error(code::permerror, "Invalid redirect target", domain);
        auto sub = co_await evaluate(*t, want_exp, depth + 1);
        if(sub.code == code::none)
            co_return error(code::permerror, "Redirect domain '" + *t + "' has no applicable sender policy",
                            domain);
        co_return sub;
    }

    result r;
    r.code = code::neutral;
    r.reason = "Default neutral result due to no mechanism matches";
    r.decided_by = domain;
    co_return r;
}

template<class Resolver>
boost::asio::awaitable<typename evaluator<Resolver>::step>
evaluator<Resolver>::match(mechanism const& m, std::string const& domain, unsigned depth)
{
    step s;
    if(counts_dns_term(m.type) && !count_term()) {
        s.stop = error(code::permerror, term_limit_text(), domain);
        co_return s;
    }
    std::string name = domain;
    if(!m.domain_spec.empty()) {
        auto t = co_await target(m.domain_spec, domain);
        if(!t) {
            s.stop = error(code::permerror, "Invalid macro in '" + m.text + "'", domain);
            co_return s;
        }
        name = std::move(*t);
    }

    switch(m.type) {
    case mechanism_type::all: s.matched = true; co_return s;

    case mechanism_type::ip4:
    case mechanism_type::ip6:
        // ip4 speaks about IPv4 clients only, ip6 about IPv6 ones (RFC 7208 §5.6). An ip6 network
        // written as ::ffff:a.b.c.d is stored as IPv4 and so can never match.
        if(m.type == mechanism_type::ip4)
            s.matched = ip_.is_v4() && core::in_network(ip_, m.network, m.cidr4);
        else
            s.matched = ip_.is_v6() && m.network.is_v6() && core::in_network(ip_, m.network, m.cidr6);
        co_return s;

    case mechanism_type::include: {
        auto sub = co_await evaluate(name, false, depth + 1);
        switch(sub.code) {
        case code::pass: s.matched = true; break;
        case code::fail:
        case code::softfail:
        case code::neutral: break;
        case code::temperror:
        case code::permerror: s.stop = std::move(sub); break;
        case code::none:
            s.stop = error(code::permerror, "Included domain '" + name + "' has no applicable sender policy",
                           domain);
            break;
        }
        co_return s;
    }

    case mechanism_type::a: {
        if(!queryable_name(name))
            co_return s; // RFC 7208 §4.3/§8: a nonsensical target name cannot match
        auto const ans = co_await query(name, address_type());
        if(dns::is_temporary(ans.status)) {
            s.stop =
                error(code::temperror, dns_error_text(ans.status, ip_.is_v4() ? "A" : "AAAA", name), domain);
            co_return s;
        }
        if(!ans.ok()) {
            if(!count_void())
                s.stop = error(code::permerror, void_limit_text(), domain);
            co_return s;
        }
        s.matched = contains(ans, ip_, ip_.is_v4() ? m.cidr4 : m.cidr6);
        co_return s;
    }

    case mechanism_type::mx: {
        if(!queryable_name(name))
            co_return s;
        auto const ans = co_await query(name, dns::rr_type::mx);
        if(dns::is_temporary(ans.status)) {
            s.stop = error(code::temperror, dns_error_text(ans.status, "MX", name), domain);
            co_return s;
        }
        if(!ans.ok()) {
            if(!count_void())
                s.stop = error(code::permerror, void_limit_text(), domain);
            co_return s;
        }
        auto const mxs = ans.mxs();
        if(mxs.size() > opts_.max_mx_names) {
            s.stop = error(code::permerror,
                           "Maximum MX records limit (" + std::to_string(opts_.max_mx_names) + ") exceeded",
                           domain);
            co_return s;
        }
        std::vector<std::string> hosts;
        for(auto const& mx : mxs) {
            auto const host = std::string(strip_trailing_dot(mx.exchange));
            if(queryable_name(host)) // skips the null MX "." of RFC 7505
                hosts.push_back(host);
        }
        // The address lookups run concurrently; the answers are then read in MX order, so the
        // outcome is the one a sequential evaluation would give.
        auto const answers = co_await query_all(hosts, address_type());
        for(std::size_t i = 0; i < hosts.size(); ++i) {
            if(dns::is_temporary(answers[i].status)) {
                s.stop =
                    error(code::temperror,
                          dns_error_text(answers[i].status, ip_.is_v4() ? "A" : "AAAA", hosts[i]), domain);
                co_return s;
            }
            if(answers[i].ok() && contains(answers[i], ip_, ip_.is_v4() ? m.cidr4 : m.cidr6)) {
                s.matched = true;
                co_return s;
            }
        }
        co_return s;
    }

    case mechanism_type::ptr: {
        auto const v = co_await validate_ptr();
        // RFC 7208 §5.5: a DNS error on the PTR lookup is simply no match.
        if(v.status == dns::outcome::nxdomain || v.status == dns::outcome::nodata) {
            if(!count_void())
                s.stop = error(code::permerror, void_limit_text(), domain);
            co_return s;
        }
        for(auto const& n : v.names) {
            if(is_same_or_subdomain(n, name)) {
                s.matched = true;
                break;
            }
        }
        co_return s;
    }

    case mechanism_type::exists: {
        if(!queryable_name(name))
            co_return s;
        // RFC 7208 §5.7: always an A query, whatever the client's address family.
        auto const ans = co_await query(name, dns::rr_type::a);
        if(dns::is_temporary(ans.status)) {
            s.stop = error(code::temperror, dns_error_text(ans.status, "A", name), domain);
            co_return s;
        }
        if(!ans.ok()) {
            if(!count_void())
                s.stop = error(code::permerror, void_limit_text(), domain);
            co_return s;
        }
        s.matched = true;
        co_return s;
    }
    }
    co_return s;
}

template<class Resolver>
boost::asio::awaitable<std::string>
evaluator<Resolver>::default_explanation(std::string const& domain)
{
    auto const& text = opts_.default_explanation;
    if(check_macro_string(text, macro_mode::explanation))
        co_return text;
    std::string p;
    if(uses_macro_letter(text, 'p'))
        p = co_await p_value(domain);
    auto e = expand_macros(text, context(domain, p), macro_mode::explanation);
    co_return e ? std::move(*e) : text;
}

} // namespace detail

template<dns::Resolver Resolver>
boost::asio::awaitable<result>
check_host(Resolver& resolver, core::ip_address client, std::string_view domain, std::string_view sender,
           std::string_view helo, options const& opts)
{
    // RFC 7208 §4.3: a sender without local-part is postmaster@domain.
    std::string local;
    std::string sender_domain;
    auto const at = sender.rfind('@');
    if(at == std::string_view::npos) {
        sender_domain = std::string(sender);
    } else {
        local = std::string(sender.substr(0, at));
        sender_domain = std::string(sender.substr(at + 1));
    }
    if(local.empty())
        local = "postmaster";
    std::string full_sender = local + "@" + sender_domain;

    detail::evaluator<Resolver> ev(resolver, client, std::move(full_sender), std::move(local),
                                   std::move(sender_domain), std::string(helo), opts);
    auto const dom = std::string(detail::strip_trailing_dot(domain));
    auto r = co_await ev.evaluate(dom, true, 0);
    if(r.code == code::fail && r.explanation.empty())
        r.explanation = co_await ev.default_explanation(r.decided_by.empty() ? dom : r.decided_by);
    r.domain = dom;
    if(detail::iequals(r.decided_by, dom))
        r.decided_by.clear();
    r.dns_terms = ev.terms;
    r.void_lookups = ev.voids;
    r.dns_queries = ev.queries;
    co_return r;
}

template<dns::Resolver Resolver>
boost::asio::awaitable<result>
verify_helo(Resolver& resolver, core::ip_address client, std::string_view helo, options const& opts)
{
    std::string const sender = "postmaster@" + std::string(helo);
    co_return co_await check_host(resolver, client, helo, sender, helo, opts);
}

template<dns::Resolver Resolver>
boost::asio::awaitable<result>
verify_mailfrom(Resolver& resolver, core::ip_address client, std::string_view mail_from,
                std::string_view helo, options const& opts)
{
    if(mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>')
        mail_from = mail_from.substr(1, mail_from.size() - 2);
    if(mail_from.empty())
        co_return co_await verify_helo(resolver, client, helo, opts);
    auto const at = mail_from.rfind('@');
    auto const domain = at == std::string_view::npos ? mail_from : mail_from.substr(at + 1);
    std::string const sender(mail_from);
    co_return co_await check_host(resolver, client, domain, sender, helo, opts);
}

} // namespace authmilter::spf

#endif
