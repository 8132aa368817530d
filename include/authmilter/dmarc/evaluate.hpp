// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_EVALUATE_HPP
#define AUTHMILTER_DMARC_EVALUATE_HPP

#include <authmilter/dmarc/detail/text.hpp>
#include <authmilter/dmarc/input.hpp>
#include <authmilter/dmarc/public_suffix_list.hpp>
#include <authmilter/dmarc/punycode.hpp>
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dmarc/result.hpp>
#include <authmilter/dmarc/tree_walk.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace authmilter::dmarc {

/// How evaluate() works.
struct evaluation_options {
    /// The specification whose discovery, organizational domain and tags decide the result.
    spec primary = spec::rfc9989;
    /// Also evaluate with the other specification and report in result::shadow whether the two
    /// differ (for sites moving from RFC 7489 to RFC 9989). Needs `psl`.
    bool shadow = false;
    /// The Public Suffix List for RFC 7489 (primary or shadow). Without one, every domain is its
    /// own organizational domain.
    public_suffix_list const* psl = nullptr;
    /// RFC 7489 pct= sampling: returns a number in [0, 100); the message is selected when it
    /// is below pct. Empty: a per-thread std::mt19937 seeded from std::random_device.
    std::function<unsigned()> random_percent;
    /// Several DMARC records at the Author Domain: RFC 7489 6.6.3 applies no DMARC processing
    /// (none) and RFC 9989 4.10 discards them and walks on. The Perl tool reports permerror
    /// ("multiple DMARC records"); set this for that behaviour.
    bool permerror_on_multiple_records = false;
    /// Compute the alignment facts even when no policy applies (RFC 9989 4.10.2 says there is
    /// no need to; diagnostics and the conformance suite want them).
    bool align_without_policy = false;
    parse_options parsing;
};

namespace detail {

inline unsigned
default_random_percent()
{
    thread_local std::mt19937 gen{std::random_device{}()};
    return std::uniform_int_distribution<unsigned>(0, 99)(gen);
}

/// Counts queries and memoises organizational domains for one evaluation.
template<dns::Resolver R> class eval_context {
public:
    eval_context(R& resolver, evaluation_options const& opt, spec s)
        : resolver_(resolver)
        , opt_(opt)
        , spec_(s)
    {}

    boost::asio::awaitable<walk_result> walk(std::string const& domain)
    {
        counting c{resolver_, queries_};
        auto w = co_await tree_walk(c, domain, opt_.parsing);
        if(!w.temporary_failure)
            walks_[domain] = w.org_domain_or_start();
        co_return w;
    }

    boost::asio::awaitable<record_lookup> lookup(std::string const& domain)
    {
        counting c{resolver_, queries_};
        std::string const name = "_dmarc." + domain; // named: g++ 12 mishandles temporaries in co_await
        co_return co_await lookup_record(c, name, opt_.parsing);
    }

    boost::asio::awaitable<dns::answer> query(std::string const& name, dns::rr_type t)
    {
        ++queries_;
        co_return co_await resolver_.query(name, t);
    }

    /// The organizational domain of `domain`, nullopt on a temporary DNS failure.
    boost::asio::awaitable<std::optional<std::string>> org_domain(std::string const& domain)
    {
        if(spec_ == spec::rfc7489) {
            if(opt_.psl)
                if(auto o = opt_.psl->organizational_domain(domain))
                    co_return *o;
            co_return domain;
        }
        if(auto it = walks_.find(domain); it != walks_.end())
            co_return it->second;
        auto w = co_await walk(domain);
        if(w.temporary_failure)
            co_return std::nullopt;
        co_return w.org_domain_or_start();
    }

    unsigned queries() const noexcept { return queries_; }
    void remember(std::string const& domain, std::string org) { walks_[domain] = std::move(org); }

private:
    struct counting {
        R& upstream;
        unsigned& n;
        boost::asio::awaitable<dns::answer> query(std::string_view name, dns::rr_type t)
        {
            ++n;
            co_return co_await upstream.query(name, t);
        }
    };

    R& resolver_;
    evaluation_options const& opt_;
    spec spec_;
    unsigned queries_ = 0;
    std::map<std::string, std::string, std::less<>> walks_;
};

struct aligned_check {
    alignment value = alignment::none;
    bool unknown = false; // a DNS failure kept relaxed alignment from being decided
};

template<dns::Resolver R>
boost::asio::awaitable<aligned_check>
check_alignment(eval_context<R>& ctx, std::string const& author, std::string_view identifier,
                alignment_mode mode)
{
    auto const id = normalize_domain(identifier);
    if(id.empty())
        co_return aligned_check{};
    if(id == author)
        co_return aligned_check{alignment::strict, false};
    if(mode == alignment_mode::strict)
        co_return aligned_check{};
    // Cheap rejection before any DNS: both organizational domains are ancestors-or-self of
    // their names, so names without a common top-level label can never align.
    auto const tld = [](std::string_view d) { return d.substr(d.rfind('.') + 1); };
    if(tld(id) != tld(author))
        co_return aligned_check{};
    auto const a = co_await ctx.org_domain(author);
    if(!a)
        co_return aligned_check{alignment::none, true};
    if(!is_at_or_below(id, *a)) // relaxed alignment needs id below org(author)
        co_return aligned_check{};
    auto const b = co_await ctx.org_domain(id);
    if(!b)
        co_return aligned_check{alignment::none, true};
    co_return aligned_check{*a == *b ? alignment::relaxed : alignment::none, false};
}

inline alignment
better(alignment a, alignment b) noexcept
{
    if(a == alignment::strict || b == alignment::strict)
        return alignment::strict;
    if(a == alignment::relaxed || b == alignment::relaxed)
        return alignment::relaxed;
    return alignment::none;
}

template<dns::Resolver R>
boost::asio::awaitable<bool>
align_all(eval_context<R>& ctx, message_input const& in, result& r)
{
    bool unknown_temp = false; // an aligned-or-undecided identifier with a temporary failure
    bool any_mfrom = false;
    for(auto const& s : in.spf)
        any_mfrom = any_mfrom || s.scope == spf_scope::mfrom;
    r.spf.clear();
    r.dkim.clear();
    for(auto const& s : in.spf) {
        if(any_mfrom && s.scope != spf_scope::mfrom)
            continue;
        spf_evaluation e{s, alignment::none};
        if(s.result == auth_result::pass || s.result == auth_result::temperror) {
            auto const c = co_await check_alignment(ctx, r.from_domain, s.domain, r.aspf);
            e.aligned = c.value;
            if(s.result == auth_result::pass) {
                r.spf_alignment = better(r.spf_alignment, c.value);
                unknown_temp = unknown_temp || c.unknown;
            } else {
                e.aligned = alignment::none;
                unknown_temp = unknown_temp || c.value != alignment::none || c.unknown;
            }
        }
        r.spf.push_back(std::move(e));
    }
    for(auto const& d : in.dkim) {
        dkim_evaluation e{d, alignment::none};
        if(d.result == auth_result::pass || d.result == auth_result::temperror) {
            auto const c = co_await check_alignment(ctx, r.from_domain, d.domain, r.adkim);
            if(d.result == auth_result::pass) {
                e.aligned = c.value;
                r.dkim_alignment = better(r.dkim_alignment, c.value);
                unknown_temp = unknown_temp || c.unknown;
            } else {
                unknown_temp = unknown_temp || c.value != alignment::none || c.unknown;
            }
        }
        r.dkim.push_back(std::move(e));
    }
    co_return unknown_temp;
}

template<dns::Resolver R>
boost::asio::awaitable<result>
evaluate_with(R& resolver, message_input const& in, evaluation_options const& opt, spec s)
{
    result r;
    r.evaluated_with = s;
    eval_context<R> ctx(resolver, opt, s);

    auto ascii = punycode::to_ascii(normalize_domain(in.from_domain));
    if(!ascii || !is_query_domain(*ascii)) {
        r.from_domain = normalize_domain(in.from_domain);
        r.value = status::permerror;
        r.problem = discovery_problem::invalid_domain;
        co_return r;
    }
    r.from_domain = *ascii;

    // Policy discovery.
    std::optional<found_record> policy_rec;
    bool temporary = false, multiple = false;
    if(s == spec::rfc9989) {
        auto const w = co_await ctx.walk(r.from_domain);
        // A failure above the Author Domain's own record leaves the policy known; only relaxed
        // alignment needs the organizational domain, and check_alignment() reports that as
        // undecided (temperror unless something else aligns).
        temporary = w.temporary_failure && !w.at(r.from_domain);
        multiple = !w.multiple_at.empty() && w.multiple_at.front() == r.from_domain;
        r.org_domain = w.org_domain_or_start();
        if(auto const* f = w.at(r.from_domain))
            policy_rec = *f;
        else if(auto const* o = w.at(r.org_domain))
            policy_rec = *o;
        else if(auto const* p = w.psd_record())
            policy_rec = *p;
    } else {
        auto const org = co_await ctx.org_domain(r.from_domain);
        r.org_domain = org ? *org : r.from_domain;
        auto look = co_await ctx.lookup(r.from_domain);
        if(look.status == record_lookup::outcome::found) {
            policy_rec = found_record{r.from_domain, *look.rec};
        } else if(look.status == record_lookup::outcome::none && r.org_domain != r.from_domain) {
            look = co_await ctx.lookup(r.org_domain);
            if(look.status == record_lookup::outcome::found)
                policy_rec = found_record{r.org_domain, *look.rec};
        }
        temporary = look.status == record_lookup::outcome::temporary;
        multiple = look.status == record_lookup::outcome::multiple;
    }

    r.is_subdomain = r.org_domain != r.from_domain;

    auto finish_without_policy = [&](status st, discovery_problem why) -> boost::asio::awaitable<result> {
        r.value = st;
        r.problem = why;
        if(opt.align_without_policy && st == status::none)
            (void)co_await align_all(ctx, in, r);
        r.dns_queries = ctx.queries();
        co_return r;
    };

    if(temporary)
        co_return co_await finish_without_policy(status::temperror, discovery_problem::dns_error);
    if(!policy_rec) {
        if(multiple)
            co_return co_await finish_without_policy(opt.permerror_on_multiple_records ? status::permerror
                                                                                       : status::none,
                                                     discovery_problem::multiple_records);
        co_return co_await finish_without_policy(status::none, discovery_problem::no_record);
    }
    if(multiple && opt.permerror_on_multiple_records)
        co_return co_await finish_without_policy(status::permerror, discovery_problem::multiple_records);

    auto const use = usability(policy_rec->rec, s);
    r.policy_domain = policy_rec->domain;
    r.published = policy_rec->rec;
    r.inherited = r.policy_domain != r.from_domain;
    if(use == record_usability::unusable)
        co_return co_await finish_without_policy(status::none, discovery_problem::unusable_record);
    auto const& rec = policy_rec->rec;
    r.treated_as_none = use == record_usability::usable_as_none;
    if(!r.treated_as_none) {
        r.published_p = rec.p.value_or(policy::none);
        r.published_sp = rec.sp;
        r.published_np = rec.np;
    }
    r.adkim = rec.adkim_or_default();
    r.aspf = rec.aspf_or_default();

    // Which tag applies (RFC 9989 4.10.1; RFC 7489 6.6.3 with RFC 9091's np=).
    r.source = policy_source::p;
    r.requested = r.published_p;
    if(r.inherited) {
        bool nonexistent = false;
        if(r.published_np) {
            // Only worth a query when np= could change the answer.
            auto const ans = co_await ctx.query(r.from_domain, dns::rr_type::a);
            if(ans.status == dns::outcome::nxdomain) {
                r.author_domain_exists = false;
                nonexistent = true;
            } else if(!dns::is_temporary(ans.status)) {
                r.author_domain_exists = true;
            }
        }
        if(nonexistent && r.published_np) {
            r.source = policy_source::np;
            r.requested = *r.published_np;
        } else if(r.published_sp) {
            r.source = policy_source::sp;
            r.requested = *r.published_sp;
        }
    }

    bool const unknown_temp = co_await align_all(ctx, in, r);
    if(r.spf_aligned() || r.dkim_aligned())
        r.value = status::pass;
    else if(unknown_temp)
        r.value = status::temperror;
    else
        r.value = status::fail;

    r.evaluated = disposition::none;
    if(r.value == status::fail) {
        r.evaluated = r.requested;
        if(s == spec::rfc9989 && rec.testing() && !r.treated_as_none) {
            r.testing = true;
            if(r.requested != policy::none) {
                r.evaluated = one_level_below(r.requested);
                r.reasons.push_back({override_reason::policy_test_mode, "t=y"});
            }
        }
        if(s == spec::rfc7489 && rec.pct && !r.treated_as_none) {
            r.pct = rec.pct;
            auto const roll = opt.random_percent ? opt.random_percent() : default_random_percent();
            if(roll >= *rec.pct && r.requested != policy::none) {
                r.sampled_out = true;
                r.evaluated = one_level_below(r.requested);
                r.reasons.push_back({override_reason::sampled_out, "pct=" + std::to_string(*rec.pct)});
            }
        }
    }
    r.applied = r.evaluated;
    r.dns_queries = ctx.queries();
    co_return r;
}

} // namespace detail

/// Evaluates DMARC for one message: discovers the policy of `in.from_domain`, checks SPF and
/// DKIM identifier alignment and arrives at the result and the evaluated disposition. DNS
/// failures give temperror, never an exception. Local overrides (mailing lists, allow lists,
/// "never reject") are the caller's: see override_disposition().
template<dns::Resolver R>
boost::asio::awaitable<result>
evaluate(R& resolver, message_input const& in, evaluation_options const& opt = {})
{
    auto r = co_await detail::evaluate_with(resolver, in, opt, opt.primary);
    if(opt.shadow && opt.psl) {
        auto const other = opt.primary == spec::rfc9989 ? spec::rfc7489 : spec::rfc9989;
        auto const o = co_await detail::evaluate_with(resolver, in, opt, other);
        shadow_result sh;
        sh.evaluated_with = other;
        sh.value = o.value;
        sh.policy_domain = o.policy_domain;
        sh.org_domain = o.org_domain;
        sh.evaluated = o.evaluated;
        sh.differs = o.value != r.value || o.policy_domain != r.policy_domain ||
                     o.org_domain != r.org_domain || o.evaluated != r.evaluated;
        r.dns_queries += o.dns_queries;
        r.shadow = std::move(sh);
    }
    co_return r;
}

} // namespace authmilter::dmarc

#endif
