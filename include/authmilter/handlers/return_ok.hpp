// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_RETURN_OK_HPP
#define AUTHMILTER_HANDLERS_RETURN_OK_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/mailbox.hpp>
#include <authmilter/core/smtp_path.hpp>
#include <authmilter/dmarc/public_suffix_list.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/** ReturnOK: can mail be returned to the sender? For the MAIL FROM domain (`smtp`) and the From
    header domain (`header`): MX records → `x-return-mx=pass`; else A/AAAA → `warn`; else, when
    the domain is below its organizational domain, the same for that domain → `warn`; else
    `fail`. No domain → `x-return-mx=none`. Properties `<type>.domain`, `policy.org_domain`,
    `policy.is_org`, and the lookup errors, as the Perl tool writes them.

    Config: `psl_file` (our own; default Debian's list) for the organizational domain.
*/
struct return_ok_handler {
    static constexpr std::string_view name = "ReturnOK";
    static constexpr std::string_view help =
        "ReturnOK: checks that the MAIL FROM and From domains have MX (or A/AAAA) records.";
    static constexpr std::string_view default_config = R"({})";

    std::string psl_file = detail::default_psl_file;
    std::shared_ptr<dmarc::public_suffix_list const> psl;

    return_ok_handler() { load_psl(); }

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        if(auto const* p = o.if_contains("psl_file"); p && p->is_string())
            psl_file = std::string(p->as_string());
        load_psl();
    }

    struct state {
        std::string header_domain;
    };

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const { ctx.state() = {}; }

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        if(ev.field.name != "From" || !ctx.state().header_domain.empty())
            return;
        if(auto d = core::single_from_domain(ev.field.unfolded()))
            ctx.state().header_domain = std::string(d->view());
    }

    boost::asio::awaitable<void> on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        std::string env_domain;
        if(auto const& mf = ctx.txn().envelope().mail_from; !mf.empty())
            if(auto const path = core::parse_reverse_path("<" + mf + ">"); path && path->has_domain())
                env_domain = std::string(path->domain.view());
        co_await check(ctx, "smtp", env_domain);
        if(!ctx.state().header_domain.empty() && ctx.state().header_domain != env_domain)
            co_await check(ctx, "header", ctx.state().header_domain);
    }

private:
    template<class Ctx>
    boost::asio::awaitable<void> check(Ctx& ctx, std::string const& type, std::string const& domain) const
    {
        if(domain.empty()) {
            authres::result none("x-return-mx", "none");
            ctx.add_result(std::move(none));
            co_return;
        }
        auto& resolver = ctx.resolver();
        authres::result r("x-return-mx", "fail");
        r.add_property(type, "domain", domain);
        std::string const org = psl ? psl->organizational_domain(domain).value_or(domain) : domain;
        bool const is_org = org == domain;
        r.add_property("policy", "is_org", is_org ? "yes" : "no");
        if(!is_org)
            r.add_property("policy", "org_domain", org);
        auto const found = co_await lookup(resolver, domain, r, "");
        if(!found.empty()) {
            r.value = found.front() == 'M' ? "pass" : "warn";
            r.add_comment(found);
        } else if(!is_org) {
            auto const org_found = co_await lookup(resolver, org, r, "org_");
            if(!org_found.empty()) {
                r.value = "warn";
                r.add_comment("Org Domain " + org_found);
            }
        }
        ctx.add_result(std::move(r));
    }

    // "MX Records found: a,b" / "A Records found: ..." / "" (nothing); records errors as
    // policy.<prefix>mx_error etc.
    template<class Resolver>
    static boost::asio::awaitable<std::string> lookup(Resolver& resolver, std::string const& domain,
                                                      authres::result& r, std::string const& prefix)
    {
        auto note_error = [&](dns::answer const& a, char const* what) {
            if(a.status != dns::outcome::noerror && a.status != dns::outcome::nodata)
                r.add_property("policy", prefix + what + "_error", std::string(dns::to_string(a.status)));
        };
        auto const mx = co_await resolver.query(domain, dns::rr_type::mx);
        note_error(mx, "mx");
        if(!mx.mxs().empty()) {
            std::string list;
            for(auto const& m : mx.mxs())
                list += (list.empty() ? "" : ",") + m.exchange;
            co_return "MX Records found: " + list;
        }
        std::string list;
        for(auto type : {dns::rr_type::a, dns::rr_type::aaaa}) {
            auto const a = co_await resolver.query(domain, type);
            note_error(a, type == dns::rr_type::a ? "a" : "aaaa");
            for(auto const& ip : a.addresses())
                list += (list.empty() ? "" : ",") + ip.to_string();
        }
        co_return list.empty() ? std::string() : "A Records found: " + list;
    }

    void load_psl() { psl = detail::shared_psl(psl_file); }
};

} // namespace authmilter::handlers

#endif
