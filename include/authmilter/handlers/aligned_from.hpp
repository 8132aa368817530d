// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_ALIGNED_FROM_HPP
#define AUTHMILTER_HANDLERS_ALIGNED_FROM_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/core/mailbox.hpp>
#include <authmilter/core/smtp_path.hpp>
#include <authmilter/dmarc/public_suffix_list.hpp>
#include <authmilter/handlers/detail/config.hpp>
#include <authmilter/pipeline/stage.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers {

/** AlignedFrom: does the From header agree with the envelope sender?

    `x-aligned-from=pass (Address match)`, `domain_pass (Domain match)`, `orgdomain_pass (Domain
    org match)` (same organizational domain by the Public Suffix List), `fail`, or `permerror` with
    the reason (no, or several, header or envelope domains), as the Perl tool writes it. Not
    skipped for local, trusted or authenticated clients.

    Config: `psl_file` (our own; default Debian's list; when it cannot be read, orgdomain_pass is
    never given).
*/
struct aligned_from_handler {
    static constexpr std::string_view name = "AlignedFrom";
    static constexpr std::string_view help =
        "AlignedFrom: compares the From header address and domain with the MAIL FROM address.";
    static constexpr std::string_view default_config = R"({})";

    std::string psl_file = detail::default_psl_file;
    std::shared_ptr<dmarc::public_suffix_list const> psl;

    aligned_from_handler() { load_psl(); }

    void configure(boost::json::value const& v)
    {
        auto const& o = detail::as_object(v);
        if(auto const* p = o.if_contains("psl_file"); p && p->is_string())
            psl_file = std::string(p->as_string());
        load_psl();
    }

    struct state {
        std::vector<std::string> from_values;
    };

    void on_envfrom(auto& ctx, pipeline::events::envfrom const&) const { ctx.state() = {}; }

    void on_header(auto& ctx, pipeline::events::header const& ev) const
    {
        if(ev.field.is("From"))
            ctx.state().from_values.push_back(ev.field.unfolded());
    }

    void on_eom(auto& ctx, pipeline::events::eom const&) const
    {
        // Header side: every mailbox of every From field.
        std::vector<std::string> header_addresses, header_domains;
        bool header_bad = false;
        for(auto const& v : ctx.state().from_values) {
            auto const list = core::parse_mailbox_list(v);
            if(list.ec || list.mailboxes.empty())
                header_bad = true;
            for(auto const& m : list.mailboxes) {
                if(m.domain.empty()) {
                    header_bad = true;
                    continue;
                }
                add_unique(header_addresses, lower(m.local_part) + "@" + std::string(m.domain.view()));
                add_unique(header_domains, std::string(m.domain.view()));
            }
        }
        // Envelope side.
        std::string env_address, env_domain;
        auto const& mail_from = ctx.txn().envelope().mail_from;
        if(!mail_from.empty()) {
            auto const path = core::parse_reverse_path("<" + mail_from + ">");
            if(path && path->has_domain()) {
                env_domain = std::string(path->domain.view());
                env_address = lower(path->local_part) + "@" + env_domain;
            }
        }
        bool const header_ok = header_domains.size() == 1 && !header_bad;
        bool const env_ok = !env_domain.empty();
        std::string result, comment;
        if(header_domains.size() > 1) {
            result = "permerror", comment = "No valid header domain";
        } else if(!header_ok && !env_ok) {
            result = "permerror", comment = "No valid domains found";
        } else if(!header_ok) {
            result = "permerror", comment = "No valid header domain";
        } else if(!env_ok) {
            result = "permerror", comment = "No valid envelope domain";
        } else if(header_addresses.size() == 1 && header_addresses[0] == env_address) {
            result = "pass", comment = "Address match";
        } else if(header_domains[0] == env_domain) {
            result = "domain_pass", comment = "Domain match";
        } else if(psl &&
                  psl->organizational_domain(header_domains[0]) == psl->organizational_domain(env_domain)) {
            result = "orgdomain_pass", comment = "Domain org match";
        } else {
            result = "fail";
        }
        authres::result r("x-aligned-from", result);
        if(!comment.empty())
            r.add_comment(comment);
        ctx.add_result(std::move(r));
    }

private:
    void load_psl() { psl = detail::shared_psl(psl_file); }

    static std::string lower(std::string s)
    {
        for(auto& c : s)
            if(c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        return s;
    }

    static void add_unique(std::vector<std::string>& v, std::string s)
    {
        for(auto const& x : v)
            if(x == s)
                return;
        v.push_back(std::move(s));
    }
};

} // namespace authmilter::handlers

#endif
