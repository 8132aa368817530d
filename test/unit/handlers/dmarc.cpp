// Tests of the DMARC handler: SPF, DKIM and DMARC chained over messages with an in-memory zone
// (SPF records, _dmarc records, DKIM keys; messages signed here with the DKIM signer).
#include <authmilter/authres/format.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/dmarc.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/sinks/authres_sink.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"
#include "signing.hpp"

namespace h = authmilter::handlers;
namespace dns = authmilter::dns;
namespace dkim = authmilter::dkim;
namespace dmarc = authmilter::dmarc;
namespace pl = authmilter::pipeline;
namespace json = boost::json;

namespace {

using chain = pl::pipeline<h::spf_handler, h::dkim_handler, h::dmarc_handler>;
using local_chain = pl::pipeline<h::local_ip_handler, h::spf_handler, h::dkim_handler, h::dmarc_handler>;

template<class Chain> struct dmarc_session : test_harness::session<Chain> {
    dmarc_session()
    {
        this->txn.set_macro("j", "mx.example.org");
        // The sending host is authorized for other.example only; example.com publishes no SPF.
        this->zone.add_txt("other.example", "v=spf1 ip4:192.0.2.1 -all");
        this->zone.add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
    }

    h::dmarc_handler& handler() { return this->chain.template get<h::dmarc_handler>(); }

    void configure(std::string const& dmarc_config)
    {
        this->chain.configure(json::object{
            {"SPF", json::object{}}, {"DKIM", json::object{}}, {"DMARC", json::parse(dmarc_config)}});
    }

    void send(std::string const& text, std::string mail_from = "bounce@other.example",
              std::string ip = "192.0.2.1")
    {
        this->connect(ip, "mail.other.example");
        this->message(text, std::move(mail_from));
    }

    std::vector<std::string> dmarc_entries() const
    {
        std::vector<std::string> out;
        for(auto const& r : this->txn.results())
            if(r.method == "dmarc")
                out.push_back(authmilter::authres::to_string(r));
        return out;
    }

    auto const& state()
    {
        return std::get<Chain::template index_of<h::dmarc_handler>()>(this->txn.message_states());
    }
};

dkim::private_key
ed25519_key(char fill)
{
    auto k = dkim::private_key::from_ed25519_seed(std::string(32, fill));
    if(!k)
        throw std::runtime_error("cannot make Ed25519 key");
    return *k;
}

void
publish_key(dns::zone_resolver& z, std::string const& selector, std::string const& domain,
            dkim::private_key const& key)
{
    z.add_txt(selector + "._domainkey." + domain,
              "v=DKIM1; k=ed25519; p=" + dkim::detail::base64_encode(key.public_key_data()));
}

using test_harness::sign;

std::string
message_from(std::string const& from, std::string const& extra_headers = "")
{
    return "From: " + from + "\r\n" + extra_headers +
           "To: Bob <bob@example.net>\r\n"
           "Subject: lunch\r\n"
           "Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n"
           "Message-ID: <lunch.1@example.com>\r\n"
           "\r\n"
           "Shall we meet at noon?\r\n";
}

std::string const alice = message_from("Alice <alice@example.com>");

std::string const fail_quarantined =
    "dmarc=fail policy.published-domain-policy=reject policy.applied-disposition=quarantine "
    "policy.evaluated-disposition=reject policy.override-reason=local_policy "
    "(p=reject,d=quarantine,d.eval=reject,override=local_policy) policy.policy-from=p "
    "header.from=example.com";

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_dmarc)

BOOST_AUTO_TEST_CASE(pass_via_aligned_spf)
{
    dmarc_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.send(alice, "bounce@example.com");
    BOOST_TEST(s.find("spf")->value == "pass");
    auto const e = s.dmarc_entries();
    BOOST_REQUIRE_EQUAL(e.size(), 1u);
    BOOST_TEST(e[0] == "dmarc=pass policy.published-domain-policy=reject policy.applied-disposition=none "
                       "policy.evaluated-disposition=none (p=reject,d=none,d.eval=none) policy.policy-from=p "
                       "header.from=example.com");
    // The comment belongs to the property it follows, as Mail::AuthenticationResults keeps it.
    auto const* r = s.find("dmarc");
    BOOST_TEST(r->comments.empty());
    auto const* eval = r->find_property("policy", "evaluated-disposition");
    BOOST_REQUIRE(eval);
    BOOST_TEST(eval->comments == std::vector<std::string>{"p=reject,d=none,d.eval=none"});
    BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
    auto const& st = s.state();
    BOOST_TEST(st.checked);
    BOOST_REQUIRE_EQUAL(st.evaluations.size(), 1u);
    BOOST_TEST(st.evaluations[0].envelope_domain == "example.com");
    BOOST_TEST(st.evaluations[0].header_domain == "example.com");
    BOOST_TEST(st.evaluations[0].envelope_to == "rcpt@example.net");
    BOOST_TEST((st.evaluations[0].result.spf_alignment == dmarc::alignment::strict));
    BOOST_TEST(!st.evaluations[0].report); // no rua=
}

BOOST_AUTO_TEST_CASE(pass_via_aligned_dkim_strict_and_relaxed)
{
    auto const key = ed25519_key('\x05');
    {
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com");
        publish_key(s.zone, "sel", "example.com", key);
        s.send(sign(alice, key, "example.com", "sel"));
        BOOST_TEST(s.find("dkim")->value == "pass");
        auto const e = s.dmarc_entries();
        BOOST_REQUIRE_EQUAL(e.size(), 1u);
        BOOST_TEST(e[0] == "dmarc=pass policy.published-domain-policy=reject "
                           "policy.published-subdomain-policy=quarantine policy.applied-disposition=none "
                           "policy.evaluated-disposition=none (p=reject,sp=quarantine,d=none,d.eval=none) "
                           "policy.policy-from=p header.from=example.com");
        auto const& ev = s.state().evaluations.at(0);
        BOOST_TEST((ev.result.dkim_alignment == dmarc::alignment::strict));
        BOOST_TEST(!ev.result.spf_aligned()); // SPF passed for other.example
        BOOST_TEST(ev.report);                // rua= given
    }
    {
        // A subdomain author, signed by the organizational domain: relaxed alignment, sp= applies.
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
        s.zone.add_address("news.example.com", "192.0.2.80");
        publish_key(s.zone, "sel", "example.com", key);
        s.send(sign(message_from("news@news.example.com"), key, "example.com", "sel"));
        auto const e = s.dmarc_entries();
        BOOST_REQUIRE_EQUAL(e.size(), 1u);
        BOOST_TEST(e[0] == "dmarc=pass policy.published-domain-policy=reject "
                           "policy.published-subdomain-policy=quarantine policy.applied-disposition=none "
                           "policy.evaluated-disposition=none (p=reject,sp=quarantine,d=none,d.eval=none) "
                           "policy.policy-from=sp header.from=news.example.com");
        BOOST_TEST((s.state().evaluations.at(0).result.dkim_alignment == dmarc::alignment::relaxed));
    }
}

BOOST_AUTO_TEST_CASE(fail_with_reject_policy_is_quarantined_by_default)
{
    dmarc_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    // Signed, but by an unaligned domain; SPF passes for an unaligned domain.
    auto const key = ed25519_key('\x06');
    publish_key(s.zone, "k", "relay.example", key);
    s.send(sign(alice, key, "relay.example", "k"));
    BOOST_TEST(s.find("dkim")->value == "pass");
    BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{fail_quarantined});
    BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
    BOOST_TEST(s.txn.verdict().text == "Quarantined due to DMARC policy");
    auto const& r = s.state().evaluations.at(0).result;
    BOOST_TEST((r.applied == dmarc::disposition::quarantine));
    BOOST_TEST((r.evaluated == dmarc::disposition::reject));
}

BOOST_AUTO_TEST_CASE(fail_with_reject_policy_and_hard_reject)
{
    dmarc_session<chain> s;
    s.configure(R"({"hard_reject": 1})");
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.send(alice);
    BOOST_TEST((s.txn.verdict().what == pl::verdict::action::reject));
    BOOST_TEST(s.txn.verdict().smtp_code == 550);
    BOOST_TEST(s.txn.verdict().extended_code == "5.7.0");
    BOOST_TEST(s.txn.verdict().text == "DMARC policy violation");
    BOOST_TEST(
        s.dmarc_entries() ==
        std::vector<std::string>{"dmarc=fail policy.published-domain-policy=reject "
                                 "policy.applied-disposition=reject policy.evaluated-disposition=reject "
                                 "(p=reject,d=reject,d.eval=reject) policy.policy-from=p "
                                 "header.from=example.com"});
    BOOST_TEST(s.state().evaluations.at(0).rejected);
}

BOOST_AUTO_TEST_CASE(no_reject_disposition_and_quarantine_policy)
{
    {
        dmarc_session<chain> s;
        s.configure(R"({"no_reject_disposition": "none"})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(alice);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
        BOOST_TEST(s.dmarc_entries().at(0) ==
                   "dmarc=fail policy.published-domain-policy=reject policy.applied-disposition=none "
                   "policy.evaluated-disposition=reject policy.override-reason=local_policy "
                   "(p=reject,d=none,d.eval=reject,override=local_policy) policy.policy-from=p "
                   "header.from=example.com");
    }
    {
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine");
        s.send(alice);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
        BOOST_TEST(
            s.dmarc_entries().at(0) ==
            "dmarc=fail policy.published-domain-policy=quarantine policy.applied-disposition=quarantine "
            "policy.evaluated-disposition=quarantine (p=quarantine,d=quarantine,d.eval=quarantine) "
            "policy.policy-from=p header.from=example.com");
    }
}

BOOST_AUTO_TEST_CASE(mailing_list_override)
{
    for(std::string const header :
        {"List-Id: <lunch.example.net>\r\n", "List-Post: <mailto:l@example.net>\r\n"}) {
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(message_from("alice@example.com", header));
        BOOST_TEST(s.state().is_list);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
        BOOST_TEST(
            s.dmarc_entries() ==
            std::vector<std::string>{"dmarc=fail policy.published-domain-policy=reject "
                                     "policy.applied-disposition=none policy.evaluated-disposition=reject "
                                     "policy.override-reason=mailing_list "
                                     "(p=reject,has-list-id=yes,d=none,d.eval=reject,override=mailing_list) "
                                     "policy.policy-from=p header.from=example.com"});
    }
    {
        // detect_list_id 0: the exemption still applies, the comment does not say so.
        dmarc_session<chain> s;
        s.configure(R"({"detect_list_id": 0})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(message_from("alice@example.com", "List-Id: <l.example.net>\r\n"));
        BOOST_TEST(s.dmarc_entries().at(0).find("(p=reject,d=none,d.eval=reject,override=mailing_list)") !=
                   std::string::npos);
    }
    {
        // no_list_reject 0: list mail is treated as any other.
        dmarc_session<chain> s;
        s.configure(R"({"no_list_reject": 0})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(message_from("alice@example.com", "List-Id: <l.example.net>\r\n"));
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
        BOOST_TEST(s.dmarc_entries().at(0).find("override=local_policy") != std::string::npos);
    }
    {
        // no_list_reject_disposition quarantine.
        dmarc_session<chain> s;
        s.configure(R"({"no_list_reject_disposition": "quarantine"})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(message_from("alice@example.com", "List-Id: <l.example.net>\r\n"));
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
        BOOST_TEST(s.dmarc_entries().at(0).find("d=quarantine,d.eval=reject,override=mailing_list") !=
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(whitelist_overrides)
{
    std::string const trusted =
        "dmarc=fail policy.published-domain-policy=reject policy.applied-disposition=none "
        "policy.evaluated-disposition=reject policy.override-reason=trusted_forwarder "
        "(p=reject,d=none,d.eval=reject,override=trusted_forwarder) policy.policy-from=p "
        "header.from=example.com";
    auto const key = ed25519_key('\x09');
    auto const signed_by_relay = sign(alice, key, "relay.example", "k");
    for(std::string const entry :
        {"192.0.2.1", "192.0.2.0/24", "dkim:Relay.Example", "spf:other.example", "dnswl:ip:dnswl.example",
         "dnswl:spf:dnswl.example", "dnswl:dkim:dnswl.example"}) {
        BOOST_TEST_CONTEXT(entry)
        {
            dmarc_session<chain> s;
            s.configure(R"({"whitelisted": ["198.51.100.0/24", ")" + entry + R"("]})");
            s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
            publish_key(s.zone, "k", "relay.example", key);
            s.zone.add_address("1.2.0.192.dnswl.example", "127.0.0.2");
            s.zone.add_address("other.example.dnswl.example", "127.0.0.2");
            s.zone.add_address("relay.example.dnswl.example", "127.0.0.2");
            s.send(signed_by_relay);
            BOOST_TEST(s.state().allow_listed);
            BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{trusted});
            BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
        }
    }
    {
        // Only a failure consults the list (a dnswl: entry costs a query).
        dmarc_session<chain> s;
        s.configure(R"({"whitelisted": ["192.0.2.1"]})");
        s.zone.add_txt("_dmarc.other.example", "v=DMARC1; p=reject");
        s.send(message_from("bob@other.example"));
        BOOST_TEST(s.dmarc_entries().at(0).starts_with("dmarc=pass "));
        BOOST_TEST(!s.state().allow_listed);
    }
    // Entries that do not match leave the policy alone.
    for(std::string const entry :
        {"192.0.2.2", "dkim:other.example", "spf:relay.example", "dnswl:ip:dnswl.example"}) {
        BOOST_TEST_CONTEXT(entry)
        {
            dmarc_session<chain> s;
            s.configure(R"({"whitelisted": [")" + entry + R"("]})");
            s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
            publish_key(s.zone, "k", "relay.example", key);
            s.send(signed_by_relay);
            BOOST_TEST(!s.state().allow_listed);
            BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{fail_quarantined});
        }
    }
}

BOOST_AUTO_TEST_CASE(multiple_from_domains)
{
    {
        // Each domain is evaluated; the entries are in domain order.
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.zone.add_txt("_dmarc.other.example", "v=DMARC1; p=none");
        s.send(message_from("alice@example.com, Bob <bob@other.example>"));
        auto const e = s.dmarc_entries();
        BOOST_REQUIRE_EQUAL(e.size(), 2u);
        BOOST_TEST(e[0] == fail_quarantined);
        BOOST_TEST(e[1] ==
                   "dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none "
                   "policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p "
                   "header.from=other.example");
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
    }
    {
        // Two From fields count like one field with two mailboxes; a repeated domain once.
        dmarc_session<chain> s;
        s.zone.add_txt("_dmarc.other.example", "v=DMARC1; p=none");
        s.send("From: bob@other.example\r\nFrom: carol@Other.Example, dave@unknown.example\r\n\r\nhi\r\n");
        auto const& st = s.state();
        BOOST_REQUIRE_EQUAL(st.evaluations.size(), 2u);
        BOOST_TEST(st.evaluations[0].header_domain == "other.example");
        BOOST_TEST(st.evaluations[1].header_domain == "unknown.example");
        BOOST_TEST(s.dmarc_entries().size() == 2u);
    }
    {
        // strict_multifrom: a second domain forces quarantine even when both pass.
        dmarc_session<chain> s;
        s.configure(R"({"strict_multifrom": 1})");
        s.zone.add_txt("_dmarc.other.example", "v=DMARC1; p=none");
        s.zone.add_txt("_dmarc.sub.other.example", "v=DMARC1; p=none");
        s.send(message_from("bob@other.example, carol@sub.other.example"));
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
        auto const e = s.dmarc_entries();
        BOOST_REQUIRE_EQUAL(e.size(), 2u);
        BOOST_TEST(e[0] ==
                   "dmarc=pass policy.published-domain-policy=none policy.applied-disposition=quarantine "
                   "policy.evaluated-disposition=none policy.override-reason=local_policy "
                   "(p=none,d=quarantine,d.eval=none,override=local_policy) policy.policy-from=p "
                   "header.from=other.example");
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"strict_multifrom": 1, "hard_reject": 1})");
        s.send(message_from("bob@other.example, carol@example.com"));
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::reject));
        BOOST_TEST(s.txn.verdict().text == "DMARC policy violation");
    }
    {
        // Without strict_multifrom one From domain is not enough to quarantine.
        dmarc_session<chain> s;
        s.send(message_from("bob@other.example, carol@example.com"));
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
        BOOST_TEST(s.dmarc_entries().size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(multiple_from_thresholds)
{
    auto const from = message_from("a@a.example, b@b.example, c@c.example, d@d.example");
    {
        dmarc_session<chain> s;
        s.configure(R"({"skip_on_multifrom": 3})");
        s.send(from);
        BOOST_TEST(s.state().evaluations.size() == 2u); // a, b; c and d skipped
        BOOST_TEST(s.dmarc_entries().size() == 2u);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"skip_on_multifrom": 2, "quarantine_on_multifrom": "3"})");
        s.send(from);
        BOOST_TEST(s.state().evaluations.size() == 1u);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::quarantine));
        BOOST_TEST(s.txn.verdict().text == "Quarantined due to DMARC policy");
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"skip_on_multifrom": 2, "reject_on_multifrom": 4})");
        s.send(from);
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::reject));
        BOOST_TEST(s.txn.verdict().extended_code == "5.7.0");
    }
    {
        // The defaults (10/20/30) leave four domains alone.
        dmarc_session<chain> s;
        s.send(from);
        BOOST_TEST(s.state().evaluations.size() == 4u);
    }
}

BOOST_AUTO_TEST_CASE(no_from_domain_is_permerror)
{
    for(std::string const& text :
        {std::string("Subject: no from\r\n\r\nhi\r\n"), std::string("From: undisclosed\r\n\r\nhi\r\n"),
         std::string("From: Alice <alice@[192.0.2.7]>\r\n\r\nhi\r\n")}) {
        BOOST_TEST_CONTEXT(text)
        {
            dmarc_session<chain> s;
            s.send(text);
            BOOST_TEST(s.dmarc_entries() ==
                       std::vector<std::string>{"dmarc=permerror (no parseable from domain)"});
            BOOST_TEST(s.find("dmarc")->comments == std::vector<std::string>{"no parseable from domain"});
            BOOST_TEST(s.state().evaluations.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(internationalized_from_domain_is_looked_up_as_a_labels)
{
    dmarc_session<chain> s;
    s.zone.add_txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=quarantine");
    s.send(message_from("Bücher <info@bücher.example>"));
    BOOST_TEST(s.dmarc_entries() ==
               std::vector<std::string>{"dmarc=fail policy.published-domain-policy=quarantine "
                                        "policy.applied-disposition=quarantine "
                                        "policy.evaluated-disposition=quarantine "
                                        "(p=quarantine,d=quarantine,d.eval=quarantine) policy.policy-from=p "
                                        "header.from=xn--bcher-kva.example"});
    BOOST_TEST(s.state().evaluations.at(0).header_domain == "bücher.example");
}

BOOST_AUTO_TEST_CASE(dns_failure_is_temperror)
{
    for(auto const fault : {dns::outcome::servfail, dns::outcome::timeout}) {
        dmarc_session<chain> s;
        s.zone.add_fault("_dmarc.example.com", dns::rr_type::txt, fault);
        s.send(alice);
        BOOST_TEST(s.dmarc_entries() ==
                   std::vector<std::string>{
                       "dmarc=temperror (DNS error during policy discovery) header.from=example.com"});
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
        BOOST_TEST((s.state().evaluations.at(0).result.value == dmarc::status::temperror));
    }
}

BOOST_AUTO_TEST_CASE(hide_none)
{
    std::string const none = "dmarc=none policy.published-domain-policy=none (p=none) policy.policy-from=p "
                             "header.from=example.com";
    {
        dmarc_session<chain> s;
        s.send(alice);
        BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{none});
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"hide_none": 1})");
        s.send(alice);
        BOOST_TEST(s.dmarc_entries().empty());
        // Still evaluated, for the report store and the log.
        BOOST_TEST((s.state().evaluations.at(0).result.value == dmarc::status::none));
    }
    {
        // hide_none hides none only.
        dmarc_session<chain> s;
        s.configure(R"({"hide_none": 1})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(alice);
        BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{fail_quarantined});
    }
}

BOOST_AUTO_TEST_CASE(skips_local_clients)
{
    dmarc_session<local_chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.send(alice, "bounce@other.example", "127.0.0.1");
    BOOST_TEST(s.find("x-local-ip")->value == "pass");
    BOOST_TEST(s.dmarc_entries().empty());
    BOOST_TEST(!s.state().checked);
    BOOST_TEST((s.txn.verdict().what == pl::verdict::action::continue_));
}

BOOST_AUTO_TEST_CASE(needs_spf_and_dkim_enabled)
{
    dmarc_session<chain> s;
    s.chain.configure(json::object{{"DKIM", json::object{}}, {"DMARC", json::object{}}});
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.send(alice);
    BOOST_TEST(s.dmarc_entries().empty());
    BOOST_REQUIRE_EQUAL(s.txn.handler_errors().size(), 1u);
    BOOST_TEST(s.txn.handler_errors()[0].find("DMARC Config Error") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_and_envelope_to)
{
    {
        dmarc_session<chain> s;
        s.configure(R"({"report_skip_to": ["RCPT@example.net"]})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com");
        s.send(alice);
        BOOST_TEST(s.state().skip_report);
        BOOST_TEST(!s.state().evaluations.at(0).report);
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"report_skip_to": ["example.net"], "hide_report_to": 1})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com");
        s.send(alice);
        BOOST_TEST(s.state().skip_report);
        BOOST_TEST(s.state().envelope_to == "rcpt@example.net");
        BOOST_TEST(s.state().evaluations.at(0).envelope_to.empty());
    }
    {
        dmarc_session<chain> s;
        s.configure(R"({"no_report": 1})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com");
        s.send(alice, "");
        auto const& ev = s.state().evaluations.at(0);
        BOOST_TEST(!ev.report);
        BOOST_TEST(ev.envelope_domain.empty()); // null sender
    }
}

BOOST_AUTO_TEST_CASE(rfc7489_with_the_public_suffix_list_and_shadow)
{
    std::string const psl(dmarc::default_public_suffix_list_path);
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(psl), "the publicsuffix package provides " + psl);
    auto const text = message_from("news@news.example.co.uk");
    {
        // RFC 7489: the organizational domain from the PSL; the policy of example.co.uk applies with sp=.
        dmarc_session<chain> s;
        s.configure(R"({"dmarc_spec": "rfc7489"})");
        s.zone.add_txt("_dmarc.example.co.uk", "v=DMARC1; p=reject; sp=none; pct=100");
        s.zone.add_txt("bounces.example.co.uk", "v=spf1 ip4:192.0.2.1 -all");
        s.send(text, "x@bounces.example.co.uk");
        auto const& r = s.state().evaluations.at(0).result;
        BOOST_TEST((r.evaluated_with == dmarc::spec::rfc7489));
        BOOST_TEST(r.org_domain == "example.co.uk");
        BOOST_TEST((r.spf_alignment == dmarc::alignment::relaxed));
        BOOST_TEST(s.dmarc_entries().at(0).starts_with("dmarc=pass "));
    }
    {
        // Shadow mode: the other specification's answer is kept in the state.
        dmarc_session<chain> s;
        s.configure(R"({"shadow": 1})");
        s.zone.add_txt("_dmarc.example.co.uk", "v=DMARC1; p=reject");
        s.send(text);
        auto const& r = s.state().evaluations.at(0).result;
        BOOST_TEST((r.evaluated_with == dmarc::spec::rfc9989));
        BOOST_REQUIRE(r.shadow.has_value());
        BOOST_TEST((r.shadow->evaluated_with == dmarc::spec::rfc7489));
        BOOST_TEST((r.shadow->value == dmarc::status::fail));
    }
    {
        // RFC 7489 reports several records at the author domain as the Perl tool does.
        dmarc_session<chain> s;
        s.configure(R"({"dmarc_spec": "rfc7489"})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
        s.send(alice);
        BOOST_TEST(
            s.dmarc_entries() ==
            std::vector<std::string>{"dmarc=permerror (multiple DMARC records) header.from=example.com"});
    }
}

BOOST_AUTO_TEST_CASE(policy_prefetched_at_end_of_headers)
{
    // With a plain (non-caching) resolver the prefetch shows as the discovery asked twice.
    std::size_t counts[2] = {0, 0};
    for(bool const on : {false, true}) {
        dmarc_session<chain> s;
        s.handler().prefetch = on;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        s.send(alice);
        BOOST_TEST(s.dmarc_entries() == std::vector<std::string>{fail_quarantined});
        counts[on ? 1 : 0] = s.zone.query_count();
    }
    BOOST_TEST(counts[1] == counts[0] + 2); // _dmarc.example.com and _dmarc.com
}

BOOST_AUTO_TEST_CASE(whole_header_through_the_authres_sink)
{
    dmarc_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.zone.add_txt("_dmarc.other.example", "v=DMARC1; p=none");
    s.send(message_from("alice@example.com, bob@other.example"));
    authmilter::sinks::authres_sink sink;
    sink.on_eom(s.txn);
    std::string ar, quarantine;
    for(auto const& e : s.txn.edits()) {
        if(e.name == "Authentication-Results")
            ar = e.value;
        if(e.name == "X-Disposition-Quarantine")
            quarantine = e.value;
    }
    // The Perl layout: one entry per line, DMARC failures before passes.
    BOOST_TEST(ar.find("    " + fail_quarantined +
                       ";\n    dmarc=pass policy.published-domain-policy=none ") != std::string::npos,
               ar);
    BOOST_TEST(ar.find("\n    dkim=none (no signatures found);\n") != std::string::npos, ar);
    BOOST_TEST(quarantine == "Quarantined due to DMARC policy");
}

BOOST_AUTO_TEST_CASE(configuration)
{
    h::dmarc_handler d;
    // The defaults are the Perl tool's.
    BOOST_TEST(!d.local.hard_reject);
    BOOST_TEST(d.local.no_list_reject);
    BOOST_TEST((d.local.no_reject_disposition == dmarc::disposition::quarantine));
    BOOST_TEST((d.local.no_list_reject_disposition == dmarc::disposition::none));
    BOOST_TEST(d.reject_on_multifrom == 30u);
    BOOST_TEST(d.quarantine_on_multifrom == 20u);
    BOOST_TEST(d.skip_on_multifrom == 10u);
    BOOST_TEST(d.detect_list_id);
    BOOST_TEST(d.config_file == "/etc/mail-dmarc.ini");

    // default_config is valid and configure() accepts it (the PSL is not needed for RFC 9989).
    d.configure(json::parse(h::dmarc_handler::default_config));
    BOOST_TEST(!d.psl);
    // Every key of the Perl tool is accepted.
    d.configure(
        json::parse(R"({"use_arc": 0, "arc_before_list": 1, "policy_rbl_lookup": {"x": {"rbl": "r.example"}},
        "report_suppression_list": "rbl.example.com", "report_suppression_email_list": "rbl.example.com",
        "config_file": "/nonexistent/mail-dmarc.ini", "whitelisted": ["2001:db8::/32", "dnswl:ip:wl.example"],
        "psl_file": "/nonexistent/psl.dat"})"));
    BOOST_TEST(d.local.arc_before_list);
    BOOST_TEST(d.whitelisted.size() == 2u);
    // The report sink keys: off by default, a path and the all-records flag.
    BOOST_TEST(d.report_jsonl_file.empty());
    BOOST_TEST(!d.report_jsonl_all);
    d.configure(json::parse(R"({"report_jsonl_file": "/var/log/dmarc.jsonl", "report_jsonl_all": 1})"));
    BOOST_TEST(d.report_jsonl_file == "/var/log/dmarc.jsonl");
    BOOST_TEST(d.report_jsonl_all);

    auto refuses = [](std::string const& text, std::string const& key) {
        h::dmarc_handler x;
        try {
            x.configure(json::parse(text));
        } catch(std::invalid_argument const& e) {
            return std::string(e.what()).find(key) != std::string::npos;
        }
        return false;
    };
    BOOST_TEST(refuses(R"({"hard_reject": "maybe"})", "hard_reject"));
    BOOST_TEST(refuses(R"({"no_reject_disposition": "bounce"})", "no_reject_disposition"));
    BOOST_TEST(refuses(R"({"no_list_reject_disposition": 1})", "no_list_reject_disposition"));
    BOOST_TEST(refuses(R"({"reject_on_multifrom": -1})", "reject_on_multifrom"));
    BOOST_TEST(refuses(R"({"skip_on_multifrom": "ten"})", "skip_on_multifrom"));
    BOOST_TEST(refuses(R"({"whitelisted": ["not an address"]})", "whitelisted[0]"));
    BOOST_TEST(refuses(R"({"whitelisted": ["dnswl:mx:rbl.example"]})", "whitelisted[0]"));
    BOOST_TEST(refuses(R"({"whitelisted": "192.0.2.1"})", "whitelisted"));
    BOOST_TEST(refuses(R"({"policy_rbl_lookup": []})", "policy_rbl_lookup"));
    BOOST_TEST(refuses(R"({"dmarc_spec": "rfc7960"})", "dmarc_spec"));
    BOOST_TEST(refuses(R"({"report_jsonl_file": 1})", "report_jsonl_file"));
    BOOST_TEST(refuses(R"({"report_jsonl_all": "sometimes"})", "report_jsonl_all"));
    // The PSL is needed for RFC 7489 and for shadow mode; a missing file is named.
    BOOST_TEST(
        refuses(R"({"dmarc_spec": "rfc7489", "psl_file": "/nonexistent/psl.dat"})", "/nonexistent/psl.dat"));
    BOOST_TEST(refuses(R"({"shadow": 1, "psl_file": "/nonexistent/psl.dat"})", "/nonexistent/psl.dat"));
    BOOST_TEST(refuses(R"([])", "object"));
}

BOOST_AUTO_TEST_SUITE_END()
