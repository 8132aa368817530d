// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_REPORT_AUTHORIZATION_HPP
#define AUTHMILTER_DMARC_REPORT_AUTHORIZATION_HPP

#include <authmilter/dmarc/detail/text.hpp>
#include <authmilter/dmarc/punycode.hpp>
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dmarc/report_uri.hpp>
#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/resolver.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dmarc {

/// Whether reports for `policy_domain` sent to `uri` leave the Domain Owner's organization
/// (RFC 7489 7.1): the organizational domains of the policy domain and of the URI's destination
/// host differ. `org_domain` maps a domain to its organizational domain (a PSL lookup, a
/// memoised tree walk...). A URI without a destination host counts as external.
template<class OrgDomainFn>
bool
is_external_destination(std::string_view policy_domain, report_uri const& uri, OrgDomainFn&& org_domain)
{
    if(uri.host.empty())
        return true;
    std::string const a = org_domain(detail::normalize_domain(policy_domain));
    std::string const b = org_domain(uri.host);
    return a != b;
}

/// The answer of the RFC 7489 7.1 external destination check.
struct report_authorization {
    enum class outcome : std::uint8_t {
        authorized,     ///< a DMARC record exists at the verification name
        not_authorized, ///< none does: do not send reports there
        temperror,      ///< the lookup failed temporarily: try again later
        invalid,        ///< the URI has no destination host, or the name is unusable
    };
    outcome status = outcome::not_authorized;
    std::string query; ///< `<policy-domain>._report._dmarc.<destination-host>`
    /// rua=/ruf= of the authorization record that replace the policy record's URIs (step 8);
    /// only URIs with the same destination host are kept, to prevent loops and indirect abuse.
    std::vector<report_uri> override_rua, override_ruf;

    bool authorized() const noexcept { return status == outcome::authorized; }
};

/// The verification name of RFC 7489 7.1 steps 1-3 (RFC 9990 keeps the same check): the
/// policy domain as A-labels (step 3), `_report._dmarc`, the destination host.
inline std::string
report_authorization_name(std::string_view policy_domain, report_uri const& uri)
{
    auto const d = detail::normalize_domain(policy_domain);
    auto const ascii = punycode::to_ascii(d);
    return (ascii ? *ascii : d) + "._report._dmarc." + uri.host;
}

/// Performs the RFC 7489 7.1 check: looks up `<policy-domain>._report._dmarc.<host>` and
/// accepts when at least one TXT record there parses with `v=DMARC1` first.
template<dns::Resolver R>
boost::asio::awaitable<report_authorization>
check_report_authorization(R& resolver, std::string_view policy_domain, report_uri const& uri,
                           parse_options const& opt = {})
{
    report_authorization out;
    if(uri.host.empty()) {
        out.status = report_authorization::outcome::invalid;
        co_return out;
    }
    out.query = report_authorization_name(policy_domain, uri);
    if(!detail::is_query_domain(out.query)) {
        out.status = report_authorization::outcome::invalid;
        co_return out;
    }
    auto const ans = co_await resolver.query(out.query, dns::rr_type::txt);
    if(dns::is_temporary(ans.status)) {
        out.status = report_authorization::outcome::temperror;
        co_return out;
    }
    for(auto const& txt : ans.txts()) {
        auto rec = parse_record(txt, opt);
        if(!rec)
            continue;
        if(out.status != report_authorization::outcome::authorized) {
            out.status = report_authorization::outcome::authorized;
            for(auto const& u : rec->rua)
                if(u.supported && u.host == uri.host)
                    out.override_rua.push_back(u);
            for(auto const& u : rec->ruf)
                if(u.supported && u.host == uri.host)
                    out.override_ruf.push_back(u);
        }
    }
    co_return out;
}

} // namespace authmilter::dmarc

#endif
