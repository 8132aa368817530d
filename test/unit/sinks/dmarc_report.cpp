// The DMARC report seam: SPF, DKIM and DMARC chained over messages, the records that reach a
// dmarc_report_sink's consumers, and the JSON-lines file consumer.
#include <authmilter/app/milter_daemon.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dmarc/report_json.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/dmarc.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/sinks/dmarc_report_jsonl_sink.hpp>
#include <authmilter/sinks/dmarc_report_sink.hpp>

#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../handlers/harness.hpp"
#include "../handlers/signing.hpp"

namespace h = authmilter::handlers;
namespace dkim = authmilter::dkim;
namespace dmarc = authmilter::dmarc;
namespace pl = authmilter::pipeline;
namespace sk = authmilter::sinks;
namespace json = boost::json;

namespace {

using chain = pl::pipeline<h::spf_handler, h::dkim_handler, h::dmarc_handler>;
using local_chain = pl::pipeline<h::local_ip_handler, h::spf_handler, h::dkim_handler, h::dmarc_handler>;
using spf_only = pl::pipeline<h::spf_handler>;

/// Keeps every record it is given (copies share the list).
struct collector {
    std::shared_ptr<std::vector<dmarc::report_record>> got =
        std::make_shared<std::vector<dmarc::report_record>>();
    void on_report(dmarc::report_record const& r) const { got->push_back(r); }
};

/// Configured off: must never be called, and alone it must keep records from being built.
struct switched_off {
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    bool active() const noexcept { return false; }
    void on_report(dmarc::report_record const&) const { ++*calls; }
};

/// Wants the message too, as a failure report will.
struct with_message {
    std::shared_ptr<std::vector<std::string>> subjects = std::make_shared<std::vector<std::string>>();
    template<class Transaction> void on_report(dmarc::report_record const&, Transaction& txn) const
    {
        for(auto const& f : txn.headers())
            if(f.is("Subject"))
                subjects->push_back(f.unfolded());
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

template<class Chain> struct report_session : test_harness::session<Chain> {
    dkim::private_key key = ed25519_key('k');

    report_session()
    {
        this->txn.set_macro("j", "mx.example.org");
        this->txn.set_macro("i", "QID1");
        this->zone.add_txt("other.example", "v=spf1 ip4:192.0.2.1 -all");
        this->zone.add_txt("sel._domainkey.example.com",
                           "v=DKIM1; k=ed25519; p=" + dkim::detail::base64_encode(key.public_key_data()));
        this->zone.add_address("sub.example.com", "192.0.2.9");
        configure("{}");
    }

    void configure(std::string const& dmarc_config)
    {
        this->chain.configure(json::object{
            {"SPF", json::object{}}, {"DKIM", json::object{}}, {"DMARC", json::parse(dmarc_config)}});
    }

    /// Sends `text` from 192.0.2.1 (SPF pass for other.example) and returns what a
    /// dmarc_report_sink<collector> gets at end of message.
    std::vector<dmarc::report_record> send(std::string const& text,
                                           std::string mail_from = "bounce@other.example",
                                           std::string ip = "192.0.2.1")
    {
        this->connect(ip, "mail.other.example");
        this->message(text, std::move(mail_from));
        collector c;
        sk::dmarc_report_sink<collector> const sink(c);
        sink.on_eom(this->txn);
        return *c.got;
    }

    h::dmarc_handler& handler() { return this->chain.template get<h::dmarc_handler>(); }

    bool state_checked()
    {
        return std::get<Chain::template index_of<h::dmarc_handler>()>(this->txn.message_states()).checked;
    }

    std::string signed_alice()
    {
        return test_harness::sign(message_from("alice@example.com"), key, "example.com", "sel");
    }
};

std::string const full_policy =
    "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=1; "
    "rua=mailto:agg@example.com!10m,gopher://x.example; ruf=mailto:fail@example.com";

std::vector<std::string>
reasons_of(dmarc::report_record const& r)
{
    std::vector<std::string> out;
    for(auto const& why : r.reasons)
        out.emplace_back(dmarc::to_string(why.type));
    return out;
}

struct temp_dir {
    std::filesystem::path path;
    temp_dir()
    {
        char tmpl[] = "/tmp/authmilter-dmarc-report-XXXXXX";
        if(::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

std::vector<std::string>
lines_of(std::filesystem::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> out;
    for(std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sinks_dmarc_report)

BOOST_AUTO_TEST_CASE(every_field_of_a_passing_message)
{
    report_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", full_policy);
    // A second signature whose key is not published: a failing DKIM result with a human reason.
    auto const text = test_harness::sign(s.signed_alice(), ed25519_key('x'), "news.example.com", "k2");
    auto const before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    auto const records = s.send(text);
    BOOST_REQUIRE_EQUAL(records.size(), 1u);
    auto const& r = records[0];

    BOOST_TEST((r.time >= before && r.time <= std::chrono::system_clock::now()));
    BOOST_TEST(r.queue_id == "QID1");
    BOOST_REQUIRE(r.source_ip);
    BOOST_TEST(r.source_ip->to_string() == "192.0.2.1");
    BOOST_TEST(r.header_from == "example.com");
    BOOST_TEST(r.envelope_from == "other.example");
    BOOST_TEST(r.envelope_to == "example.net"); // the domain, not the address
    BOOST_TEST(r.helo == "mail.other.example");

    auto const& pp = r.policy_published;
    BOOST_TEST(pp.domain == "example.com");
    BOOST_TEST((pp.p == dmarc::policy::reject));
    BOOST_TEST((pp.sp == dmarc::policy::quarantine));
    BOOST_TEST((pp.np == dmarc::policy::reject));
    BOOST_TEST((pp.adkim == dmarc::alignment_mode::strict));
    BOOST_TEST((pp.aspf == dmarc::alignment_mode::relaxed));
    BOOST_TEST((pp.psd == dmarc::psd_flag::u));
    BOOST_TEST(!pp.testing);
    BOOST_TEST((pp.discovery_method == dmarc::spec::rfc9989));
    BOOST_TEST(!pp.pct); // RFC 9989 has no pct
    BOOST_TEST(pp.fo == "1");
    BOOST_REQUIRE_EQUAL(pp.rua.size(), 2u);
    BOOST_TEST(pp.rua[0].address == "agg@example.com");
    BOOST_TEST(*pp.rua[0].max_size == 10u * 1024 * 1024);
    BOOST_TEST(pp.rua[0].supported);
    BOOST_TEST(!pp.rua[1].supported); // gopher: kept, marked unusable
    BOOST_REQUIRE_EQUAL(pp.ruf.size(), 1u);
    BOOST_TEST(pp.ruf[0].address == "fail@example.com");

    BOOST_TEST((r.dmarc == dmarc::status::pass));
    BOOST_TEST((r.applied == dmarc::disposition::none));
    BOOST_TEST((r.evaluated == dmarc::disposition::none));
    BOOST_TEST((r.requested == dmarc::policy::reject));
    BOOST_TEST((r.policy_from == dmarc::policy_source::p));
    BOOST_TEST(r.reported_disposition() == "pass"); // passed under an enforcing policy
    BOOST_TEST((r.dkim == dmarc::auth_result::pass));
    BOOST_TEST((r.spf == dmarc::auth_result::fail)); // SPF passed, for another domain
    BOOST_TEST(r.reasons.empty());
    BOOST_TEST(r.org_domain == "example.com");
    BOOST_TEST(!r.is_subdomain);
    BOOST_TEST(!r.is_list);
    BOOST_TEST(!r.allow_listed);
    BOOST_TEST(!r.rejected);
    BOOST_TEST(r.report_requested);
    BOOST_TEST(!r.shadow);

    BOOST_REQUIRE_EQUAL(r.dkim_results.size(), 2u);
    // Signatures in header order: the outer one (news.example.com) was added last, so it is first.
    auto const& news = r.dkim_results[0];
    auto const& good = r.dkim_results[1];
    BOOST_TEST(news.input.domain == "news.example.com");
    BOOST_TEST(news.input.selector == "k2");
    BOOST_TEST((news.input.result != dmarc::auth_result::pass));
    BOOST_TEST(!news.input.human_result.empty());
    BOOST_TEST((news.aligned == dmarc::alignment::none));
    BOOST_TEST(good.input.domain == "example.com");
    BOOST_TEST(good.input.selector == "sel");
    BOOST_TEST((good.input.result == dmarc::auth_result::pass));
    BOOST_TEST(good.input.human_result.empty());
    BOOST_TEST((good.aligned == dmarc::alignment::strict));
    BOOST_REQUIRE_EQUAL(r.spf_results.size(), 1u);
    BOOST_TEST(r.spf_results[0].input.domain == "other.example");
    BOOST_TEST((r.spf_results[0].input.scope == dmarc::spf_scope::mfrom));
    BOOST_TEST((r.spf_results[0].input.result == dmarc::auth_result::pass));
    BOOST_TEST((r.spf_results[0].aligned == dmarc::alignment::none));
}

BOOST_AUTO_TEST_CASE(failure_dispositions_and_override_reasons)
{
    // Default local policy: a p=reject failure is quarantined instead (local_policy).
    {
        report_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:agg@example.com");
        auto const r = s.send(message_from("alice@example.com")).at(0);
        BOOST_TEST((r.dmarc == dmarc::status::fail));
        BOOST_TEST((r.evaluated == dmarc::disposition::reject));
        BOOST_TEST((r.applied == dmarc::disposition::quarantine));
        BOOST_TEST(r.reported_disposition() == "quarantine");
        BOOST_TEST(reasons_of(r) == std::vector<std::string>{"local_policy"});
        BOOST_TEST((r.dkim == dmarc::auth_result::fail && r.spf == dmarc::auth_result::fail));
        BOOST_TEST(!r.rejected);
    }
    // List mail is exempt (mailing_list), and flagged.
    {
        report_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        auto const r = s.send(message_from("alice@example.com", "List-Id: <l.example.net>\r\n")).at(0);
        BOOST_TEST(r.is_list);
        BOOST_TEST((r.applied == dmarc::disposition::none));
        BOOST_TEST(r.reported_disposition() == "none");
        BOOST_TEST(reasons_of(r) == std::vector<std::string>{"mailing_list"});
        BOOST_TEST(!r.report_requested); // no rua=
    }
    // The allow list by client network (trusted_forwarder).
    {
        report_session<chain> s;
        s.configure(R"({"whitelisted": ["192.0.2.0/24"]})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        auto const r = s.send(message_from("alice@example.com")).at(0);
        BOOST_TEST(r.allow_listed);
        BOOST_TEST((r.applied == dmarc::disposition::none));
        BOOST_TEST(reasons_of(r) == std::vector<std::string>{"trusted_forwarder"});
    }
    // hard_reject: the record says this evaluation rejected the message.
    {
        report_session<chain> s;
        s.configure(R"({"hard_reject": 1})");
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        auto const r = s.send(message_from("alice@example.com")).at(0);
        BOOST_TEST(r.rejected);
        BOOST_TEST((r.applied == dmarc::disposition::reject));
        BOOST_TEST(r.reported_disposition() == "reject");
        BOOST_TEST(r.reasons.empty());
        BOOST_TEST((s.txn.verdict().what == pl::verdict::action::reject));
    }
    // t=y (RFC 9989): one level less strict, policy_test_mode, then local policy has nothing to do.
    {
        report_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; t=y");
        auto const r = s.send(message_from("alice@example.com")).at(0);
        BOOST_TEST(r.policy_published.testing);
        BOOST_TEST((r.evaluated == dmarc::disposition::quarantine));
        BOOST_TEST((r.applied == dmarc::disposition::quarantine));
        BOOST_TEST(reasons_of(r) == std::vector<std::string>{"policy_test_mode"});
    }
    // A subdomain that exists gets sp=, one that does not np=; both below example.com.
    {
        report_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", full_policy);
        auto const sub = s.send(message_from("alice@sub.example.com")).at(0);
        BOOST_TEST(sub.header_from == "sub.example.com");
        BOOST_TEST(sub.policy_published.domain == "example.com");
        BOOST_TEST((sub.policy_from == dmarc::policy_source::sp));
        BOOST_TEST((sub.requested == dmarc::policy::quarantine));
        BOOST_TEST(sub.is_subdomain);
        BOOST_TEST(sub.org_domain == "example.com");
        auto const nx = s.send(message_from("alice@nx.example.com")).at(0);
        BOOST_TEST((nx.policy_from == dmarc::policy_source::np));
        BOOST_TEST((nx.requested == dmarc::policy::reject));
    }
}

BOOST_AUTO_TEST_CASE(rfc7489_mode_and_shadow)
{
    report_session<chain> s;
    s.configure(R"({"dmarc_spec": "rfc7489", "shadow": 1})");   // Debian's PSL (install-deps)
    s.handler().evaluation.random_percent = [] { return 99u; }; // never sampled in
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50; rua=mailto:agg@example.com");
    auto const r = s.send(message_from("alice@example.com")).at(0);
    BOOST_TEST((r.policy_published.discovery_method == dmarc::spec::rfc7489));
    BOOST_REQUIRE(r.policy_published.pct);
    BOOST_TEST(*r.policy_published.pct == 50u);
    BOOST_TEST(reasons_of(r) == std::vector<std::string>{"sampled_out"});
    BOOST_REQUIRE(r.shadow);
    BOOST_TEST((r.shadow->evaluated_with == dmarc::spec::rfc9989));
}

BOOST_AUTO_TEST_CASE(no_record_when_dmarc_did_not_evaluate)
{
    // No policy anywhere: DMARC ran (dmarc=none) but there is nothing to report.
    {
        report_session<chain> s;
        BOOST_TEST(s.send(message_from("alice@example.com")).empty());
        BOOST_TEST(s.state_checked());
    }
    // A local client: DMARC skips the message.
    {
        report_session<local_chain> s;
        s.chain.configure(json::object{{"LocalIP", json::object{}},
                                       {"SPF", json::object{}},
                                       {"DKIM", json::object{}},
                                       {"DMARC", json::object{}}});
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        BOOST_TEST(s.send(message_from("alice@example.com"), "bounce@other.example", "127.0.0.1").empty());
    }
    // DMARC disabled in the configuration.
    {
        report_session<chain> s;
        s.chain.configure(
            json::object{{"SPF", json::object{}}, {"DKIM", json::object{}}, {"!DMARC", nullptr}});
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        BOOST_TEST(s.send(message_from("alice@example.com")).empty());
    }
    // A chain without the DMARC handler compiles and hands out nothing.
    {
        test_harness::session<spf_only> s;
        s.connect("192.0.2.1");
        s.message(message_from("alice@example.com"));
        BOOST_TEST(h::dmarc_report_records(s.txn, std::chrono::system_clock::now()).empty());
    }
    // The next message on the connection starts without the previous one's records.
    {
        report_session<chain> s;
        s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        BOOST_TEST(s.send(message_from("alice@example.com")).size() == 1u);
        BOOST_TEST(s.send(message_from("carol@nopolicy.example")).empty());
    }
}

BOOST_AUTO_TEST_CASE(consumers_active_inactive_and_with_the_message)
{
    report_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    s.connect("192.0.2.1", "mail.other.example");
    s.message(message_from("alice@example.com"), "bounce@other.example");

    switched_off off;
    sk::dmarc_report_sink<switched_off> const idle(off);
    BOOST_TEST(!idle.active());
    idle.on_eom(s.txn);
    BOOST_TEST(*off.calls == 0);

    collector c;
    with_message m;
    sk::dmarc_report_sink<switched_off, collector, with_message> const mixed(off, c, m);
    BOOST_TEST(mixed.active());
    mixed.on_eom(s.txn);
    BOOST_TEST(*off.calls == 0);
    BOOST_TEST(c.got->size() == 1u);
    BOOST_TEST(*m.subjects == std::vector<std::string>{"lunch"}); // trimmed

    // In a sink_set next to the A-R sink, as the daemon has it.
    collector c2;
    sk::sink_set<sk::authres_sink, sk::dmarc_report_sink<collector>> const set(
        sk::authres_sink{}, sk::dmarc_report_sink<collector>(c2));
    s.txn.edits().clear();
    set.on_eom(s.txn);
    BOOST_TEST(c2.got->size() == 1u);
    BOOST_TEST(!s.txn.edits().empty()); // the A-R header too
}

BOOST_AUTO_TEST_CASE(json_object_of_a_record)
{
    report_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", full_policy);
    auto const r = s.send(message_from("alice@example.com", "List-Id: <l.example.net>\r\n")).at(0);
    auto const o = dmarc::to_json(r);
    BOOST_TEST(o.at("queue_id").as_string() == "QID1");
    BOOST_TEST(o.at("source_ip").as_string() == "192.0.2.1");
    BOOST_TEST(o.at("time").as_int64() > 1700000000);
    auto const& ids = o.at("identifiers").as_object();
    BOOST_TEST(ids.at("header_from").as_string() == "example.com");
    BOOST_TEST(ids.at("envelope_from").as_string() == "other.example");
    BOOST_TEST(ids.at("envelope_to").as_string() == "example.net");
    BOOST_TEST(o.at("helo").as_string() == "mail.other.example");
    auto const& pp = o.at("policy_published").as_object();
    BOOST_TEST(pp.at("domain").as_string() == "example.com");
    BOOST_TEST(pp.at("p").as_string() == "reject");
    BOOST_TEST(pp.at("sp").as_string() == "quarantine");
    BOOST_TEST(pp.at("np").as_string() == "reject");
    BOOST_TEST(pp.at("adkim").as_string() == "s");
    BOOST_TEST(pp.at("aspf").as_string() == "r");
    BOOST_TEST(pp.at("discovery_method").as_string() == "treewalk");
    BOOST_TEST(pp.at("testing").as_string() == "n");
    BOOST_TEST(pp.at("fo").as_string() == "1");
    BOOST_TEST(!pp.contains("pct"));
    BOOST_TEST(pp.at("rua").as_array().size() == 2u);
    BOOST_TEST(pp.at("rua").as_array()[0].as_object().at("uri").as_string() == "mailto:agg@example.com");
    BOOST_TEST(pp.at("rua").as_array()[0].as_object().at("max_size").to_number<std::uint64_t>() == 10485760u);
    BOOST_TEST(pp.at("rua").as_array()[1].as_object().at("supported").as_bool() == false);
    auto const& pe = o.at("policy_evaluated").as_object();
    BOOST_TEST(pe.at("disposition").as_string() == "none");
    BOOST_TEST(pe.at("dkim").as_string() == "fail");
    BOOST_TEST(pe.at("spf").as_string() == "fail");
    BOOST_REQUIRE_EQUAL(pe.at("reason").as_array().size(), 1u);
    auto const& why = pe.at("reason").as_array()[0].as_object();
    BOOST_TEST(why.at("type").as_string() == "mailing_list");
    BOOST_TEST(!why.at("comment").as_string().empty());
    auto const& spf = o.at("auth_results").as_object().at("spf").as_array();
    BOOST_REQUIRE_EQUAL(spf.size(), 1u);
    BOOST_TEST(spf[0].as_object().at("domain").as_string() == "other.example");
    BOOST_TEST(spf[0].as_object().at("scope").as_string() == "mfrom");
    BOOST_TEST(spf[0].as_object().at("result").as_string() == "pass");
    BOOST_TEST(o.at("auth_results").as_object().at("dkim").as_array().empty());
    auto const& ev = o.at("evaluation").as_object();
    BOOST_TEST(ev.at("result").as_string() == "fail");
    BOOST_TEST(ev.at("spec").as_string() == "rfc9989");
    BOOST_TEST(ev.at("applied_disposition").as_string() == "none");
    BOOST_TEST(ev.at("evaluated_disposition").as_string() == "reject");
    BOOST_TEST(ev.at("requested_policy").as_string() == "reject");
    BOOST_TEST(ev.at("policy_from").as_string() == "p");
    BOOST_TEST(ev.at("org_domain").as_string() == "example.com");
    BOOST_TEST(ev.at("is_list").as_bool());
    BOOST_TEST(!ev.at("allow_listed").as_bool());
    BOOST_TEST(!ev.at("rejected").as_bool());
    BOOST_TEST(ev.at("report_requested").as_bool());
    BOOST_TEST(!ev.contains("shadow"));
}

BOOST_AUTO_TEST_CASE(jsonl_file_gets_one_well_formed_line_per_record)
{
    temp_dir dir;
    auto const file = dir.path / "reports.jsonl";
    report_session<chain> s;
    s.zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:agg@example.com");
    s.zone.add_txt("_dmarc.norua.example", "v=DMARC1; p=none");
    sk::dmarc_report_jsonl_sink const only_due({.path = file.string()});
    sk::dmarc_report_jsonl_sink const all({.path = (dir.path / "all.jsonl").string(), .all_records = true});
    sk::dmarc_report_sink<sk::dmarc_report_jsonl_sink, sk::dmarc_report_jsonl_sink> const sink(only_due, all);

    auto run = [&](std::string const& text) {
        s.connect("192.0.2.1", "mail.other.example");
        s.message(text, "bounce@other.example");
        sink.on_eom(s.txn);
    };
    run(s.signed_alice());
    run(message_from("dave@norua.example")); // no rua=: no report due
    run(message_from("alice@example.com, carol@norua.example"));

    auto const due = lines_of(file);
    BOOST_REQUIRE_EQUAL(due.size(), 2u); // alice twice; norua.example never
    for(auto const& line : due) {
        auto const v = json::parse(line);
        BOOST_TEST(v.at("identifiers").at("header_from").as_string() == "example.com");
        BOOST_TEST(v.at("evaluation").at("report_requested").as_bool());
    }
    BOOST_TEST(json::parse(due[0]).at("policy_evaluated").at("disposition").as_string() == "pass");
    BOOST_TEST(json::parse(due[1]).at("policy_evaluated").at("disposition").as_string() == "quarantine");
    BOOST_TEST(only_due.written() == 2u);
    BOOST_TEST(only_due.errors() == 0u);

    auto const every = lines_of(dir.path / "all.jsonl");
    BOOST_REQUIRE_EQUAL(every.size(), 4u);
    BOOST_TEST(json::parse(every[1]).at("identifiers").at("header_from").as_string() == "norua.example");
    BOOST_TEST(!json::parse(every[1]).at("evaluation").at("report_requested").as_bool());
}

BOOST_AUTO_TEST_CASE(jsonl_concurrent_writers_do_not_interleave)
{
    temp_dir dir;
    auto const file = dir.path / "reports.jsonl";
    // One record with long strings, so that a line is several kilobytes.
    dmarc::report_record r;
    r.report_requested = true;
    r.header_from = "example.com";
    r.policy_published.domain = "example.com";
    r.reasons.push_back({dmarc::override_reason::other, std::string(6000, 'x')});
    constexpr int threads = 4, per_thread = 250;
    std::vector<std::thread> pool;
    for(int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            // Separate opens of the file, as separate processes would have.
            sk::dmarc_report_jsonl_sink const sink({.path = file.string()});
            auto mine = r;
            mine.queue_id = "T" + std::to_string(t);
            for(int i = 0; i < per_thread; ++i)
                sink.on_report(mine);
        });
    for(auto& t : pool)
        t.join();
    auto const lines = lines_of(file);
    BOOST_REQUIRE_EQUAL(lines.size(), static_cast<std::size_t>(threads * per_thread));
    std::vector<int> per(threads, 0);
    for(auto const& line : lines) {
        auto const v = json::parse(line); // throws on an interleaved line
        auto const id = std::string(v.at("queue_id").as_string());
        ++per.at(static_cast<std::size_t>(id[1] - '0'));
    }
    BOOST_TEST(per == std::vector<int>(threads, per_thread));
}

BOOST_AUTO_TEST_CASE(jsonl_errors_are_counted_and_reported_never_thrown)
{
    BOOST_CHECK_THROW(sk::dmarc_report_jsonl_sink({.path = "/nonexistent-dir/reports.jsonl"}),
                      std::system_error);
    sk::dmarc_report_jsonl_sink const off;
    BOOST_TEST(!off.active());

    // /dev/full: every write fails with ENOSPC.
    std::vector<std::string> told;
    sk::dmarc_report_jsonl_sink const full({.path = "/dev/full",
                                            .on_error = [&](std::string_view l) { told.emplace_back(l); },
                                            .error_interval = std::chrono::seconds(3600)});
    dmarc::report_record r;
    r.report_requested = true;
    BOOST_CHECK_NO_THROW(full.on_report(r));
    BOOST_CHECK_NO_THROW(full.on_report(r));
    BOOST_TEST(full.errors() == 2u);
    BOOST_TEST(full.written() == 0u);
    BOOST_REQUIRE_EQUAL(told.size(), 1u); // once per interval
    BOOST_TEST(told[0].find("/dev/full") != std::string::npos);
    BOOST_TEST(told[0].find("1 record(s) lost") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(daemon_generation_wires_report_jsonl_file)
{
    temp_dir dir;
    auto const file = dir.path / "dmarc.jsonl";
    authmilter::config::loaded_config loaded;
    loaded.config.handlers =
        json::object{{"SPF", json::object{}},
                     {"DKIM", json::object{}},
                     {"DMARC", json::object{{"report_jsonl_file", file.string()}, {"report_jsonl_all", 1}}}};
    auto const gen = authmilter::app::make_generation<chain>(loaded);
    auto const& jsonl = gen->sinks.get<sk::dmarc_report_sink<sk::dmarc_report_jsonl_sink>>()
                            .get<sk::dmarc_report_jsonl_sink>();
    BOOST_TEST(jsonl.active());
    BOOST_TEST(jsonl.path() == file.string());

    // A message through the generation's chain and sinks, as the front-ends run them.
    boost::asio::io_context io;
    authmilter::dns::zone_resolver zone;
    zone.add_txt("other.example", "v=spf1 ip4:192.0.2.1 -all");
    zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
    pl::transaction<chain, authmilter::dns::zone_resolver, authmilter::authres::result> txn(gen->pipeline,
                                                                                            zone);
    pl::message_input in;
    pl::split_message(message_from("alice@example.com"), in.headers, in.body);
    in.connection.client_ip = authmilter::core::ip_address::parse("192.0.2.1");
    in.envelope.mail_from = "bounce@other.example";
    in.envelope.rcpt_to = {"rcpt@example.net"};
    std::exception_ptr error;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            co_await pl::run_connection(gen->pipeline, txn, in.connection);
            co_await pl::run_message(gen->pipeline, txn, in);
        },
        [&](std::exception_ptr e) { error = e; });
    io.run();
    BOOST_REQUIRE(!error);
    gen->sinks.on_eom(txn);
    auto const lines = lines_of(file);
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(json::parse(lines[0]).at("evaluation").at("result").as_string() == "fail");

    // No key: an inactive sink. A file that cannot be opened: the configuration is refused.
    loaded.config.handlers.at("DMARC").as_object().erase("report_jsonl_file");
    auto const quiet = authmilter::app::make_generation<chain>(loaded);
    BOOST_TEST(!quiet->sinks.get<sk::dmarc_report_sink<sk::dmarc_report_jsonl_sink>>().active());
    loaded.config.handlers.at("DMARC").as_object()["report_jsonl_file"] = "/nonexistent-dir/x.jsonl";
    try {
        (void)authmilter::app::make_generation<chain>(loaded);
        BOOST_FAIL("an unopenable report_jsonl_file was accepted");
    } catch(authmilter::config::config_error const& e) {
        BOOST_TEST(std::string(e.what()).find("report_jsonl_file") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
