// End-to-end test of the authentication_milter daemon behind a real Postfix: knotd serves the
// DNS, the daemon runs as a milter, a private Postfix instance (its own config and queue
// directories in /tmp) calls it for every message received by its smtpd, and the test speaks
// SMTP to that smtpd and reads what virtual(8) delivered into a Maildir. Then SIGHUP (a new
// authserv-id must be used) and SIGTERM (the daemon must exit promptly; Postfix, told to
// tempfail when the milter is unreachable, must then refuse mail). Needs root, Postfix and knotd:
// without them the test fails, saying what is missing.
#define BOOST_TEST_MODULE integration_postfix_milter
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/knot.hpp"
#include "support/postfix.hpp"
#include "support/process.hpp"
#include "support/smtp_client.hpp"

namespace t = authmilter::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

#ifdef AUTHMILTER_DAEMON_PATH
std::string const daemon_path = AUTHMILTER_DAEMON_PATH;
#else
std::string const daemon_path; // the CMake target is missing: the test fails and says so
#endif

std::string const first_id = "mx.authmilter.test";
std::string const second_id = "reloaded.authmilter.test";
std::string const rcpt = "bob@rcpt.example.test";
std::string const seed(32, 'k'); // a fixed Ed25519 seed: the key pair is the same every run

authmilter::dkim::private_key
dkim_key()
{
    auto k = authmilter::dkim::private_key::from_ed25519_seed(seed);
    if(!k)
        throw std::runtime_error("cannot make the Ed25519 test key");
    return *k;
}

std::vector<t::dns_zone>
zones()
{
    auto const p = authmilter::dkim::detail::base64_encode(dkim_key().public_key_data());
    return {
        {"example.test", "$ORIGIN example.test.\n$TTL 300\n"
                         "@ SOA ns hostmaster 1 3600 600 86400 120\n@ NS ns\nns A 127.0.0.1\n"
                         // iprev: 127.0.0.1 -> client.example.test -> 127.0.0.1
                         "client A 127.0.0.1\n"
                         "pass TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
                         "fail TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
                         // DMARC p=reject for a domain whose SPF fails: the daemon must reject.
                         "reject TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
                         "_dmarc.reject TXT \"v=DMARC1; p=reject\"\n"
                         "ed._domainkey.pass TXT \"v=DKIM1; k=ed25519; p=" +
                             p + "\"\n"},
        {"127.in-addr.arpa", "$ORIGIN 127.in-addr.arpa.\n$TTL 300\n"
                             "@ SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 120\n"
                             "@ NS ns.example.test.\n1.0.0 PTR client.example.test.\n"},
    };
}

/// The handlers this daemon build offers (`--help installed`).
std::vector<std::string>
installed_handlers(fs::path const& scratch)
{
    auto const out = scratch / "installed.txt";
    BOOST_REQUIRE_EQUAL(t::run_program({daemon_path, "--help", "installed"}, out, 10s), 0);
    std::vector<std::string> names;
    std::istringstream in(t::read_file(out));
    for(std::string line; std::getline(in, line);)
        if(!line.empty())
            names.push_back(line);
    return names;
}

bool
has(std::vector<std::string> const& v, std::string const& s)
{
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string
daemon_config(unsigned short port, std::string const& dns, std::string const& authserv_id, bool dkim,
              bool sanitize, bool dmarc)
{
    return "{\n"
           "  \"connection\": \"inet:" +
           std::to_string(port) + "@127.0.0.1\",\n  \"authserv_id\": \"" + authserv_id +
           "\",\n  \"dns_resolvers\": [\"" + dns +
           "\"],\n  \"dns_timeout\": 2,\n  \"dns_retry\": 1,\n  \"logtoerr\": 1,\n"
           "  \"handlers\": {\n"
           // LocalIP off: the client is 127.0.0.1 and must be checked like any other.
           "    \"!LocalIP\": {},\n    \"IPRev\": {},\n    \"SPF\": {},\n" +
           (dkim ? "    \"DKIM\": {},\n" : "") +
           (sanitize ? "    \"Sanitize\": {\"hosts_to_remove\": []},\n" : "") +
           (dmarc ? "    \"DMARC\": {\"hard_reject\": 1},\n" : "") + "    \"AddID\": {}\n  }\n}\n";
}

/// The daemon, started with `--prefix <dir>`; stopped (SIGTERM, then SIGKILL) by the destructor.
struct milter_daemon {
    t::temp_dir dir{"authmilter-daemon-"};
    unsigned short port = t::free_port();
    std::unique_ptr<t::child_process> process;

    void write_config(std::string const& text) { t::write_file(dir / "authentication_milter.json", text); }
    std::string log() const { return t::read_file(dir / "daemon.log"); }
    std::size_t count_in_log(std::string const& what) const
    {
        auto const l = log();
        std::size_t n = 0;
        for(auto p = l.find(what); p != std::string::npos; p = l.find(what, p + 1))
            ++n;
        return n;
    }
    void start()
    {
        process = std::make_unique<t::child_process>(
            std::vector<std::string>{daemon_path, "--prefix", dir.path().string()}, dir / "daemon.log");
        bool const up =
            t::wait_until([&] { return count_in_log("listening on") > 0 || !process->running(); }, 20s);
        BOOST_REQUIRE_MESSAGE(up && process->running(), "the daemon did not start listening: " << log());
    }
};

/// The header fields of a delivered message, unfolded, whitespace runs made one space.
std::vector<std::pair<std::string, std::string>>
header_fields(std::string const& message)
{
    std::vector<std::pair<std::string, std::string>> out;
    auto const parts = authmilter::dkim::split_message(message);
    for(auto const& f : parts.headers) {
        std::string v;
        for(char c : f.raw_value) {
            bool const space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
            if(space) {
                if(!v.empty() && v.back() != ' ')
                    v += ' ';
            } else
                v += c;
        }
        if(!v.empty() && v.back() == ' ')
            v.pop_back();
        out.emplace_back(f.name, v);
    }
    return out;
}

bool
iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

/// What the test checks in one delivered message.
struct delivered {
    std::string authres;            ///< our Authentication-Results value ("" if missing)
    std::size_t authres_pos = 0;    ///< its index among the header fields
    std::size_t first_original = 0; ///< index of the first field the test itself wrote
    std::size_t authres_count = 0;
    bool add_id = false;
    std::string received_spf;
    std::string kept_forgery; ///< X-Received-Authentication-Results (what Sanitize removed)
};

delivered
inspect(std::string const& message, std::string const& authserv_id)
{
    delivered d;
    auto const fields = header_fields(message);
    d.first_original = fields.size();
    for(std::size_t i = 0; i < fields.size(); ++i) {
        auto const& [name, value] = fields[i];
        if(iequals(name, "Authentication-Results")) {
            ++d.authres_count;
            if(d.authres.empty() && value.starts_with(authserv_id + ";")) {
                d.authres = value;
                d.authres_pos = i;
            }
        }
        if(iequals(name, "X-Authentication-Milter") && value == "Header added by Authentication Milter")
            d.add_id = true;
        if(iequals(name, "X-Received-Authentication-Results"))
            d.kept_forgery = value;
        if(iequals(name, "Received-SPF"))
            d.received_spf = value;
        if(iequals(name, "X-Test-Marker") && d.first_original == fields.size())
            d.first_original = i;
    }
    return d;
}

/// A message from `from`, with a unique marker; DKIM-signed for pass.example.test when asked.
t::smtp_message
make_message(std::string const& from, std::string const& marker, bool sign, std::string const& forged = {})
{
    std::string content = (forged.empty() ? std::string() : "Authentication-Results: " + forged + "\r\n") +
                          "X-Test-Marker: " + marker + "\r\nFrom: <" + from + ">\r\nTo: <" + rcpt +
                          ">\r\nSubject: " + marker + "\r\nDate: Tue, 01 Dec 2026 12:00:00 +0000\r\n" +
                          "Message-ID: <" + marker + "@example.test>\r\n\r\nHello from " + marker +
                          ".\r\n.leading dot\r\n";
    if(sign) {
        authmilter::dkim::sign_options o;
        o.domain = "pass.example.test";
        o.selector = "ed";
        authmilter::dkim::signer s(dkim_key(), o);
        auto parts = authmilter::dkim::split_message(content);
        for(auto& f : parts.headers)
            s.on_header(std::move(f));
        s.on_body(parts.body);
        auto const f = s.finish();
        BOOST_REQUIRE(f.has_value());
        content = f->name + ":" + f->raw_value + "\r\n" + content;
    }
    return {"client.example.test", from, {rcpt}, content};
}

void
require_accepted(t::smtp_transaction const& tr, t::postfix_instance const& pf, milter_daemon const& d)
{
    BOOST_REQUIRE_MESSAGE(tr.accepted(), "Postfix refused the message: " << tr.refusal.text << "\nmaillog:\n"
                                                                         << pf.maillog() << "\ndaemon log:\n"
                                                                         << d.log());
}

/// What the scenario started, to check afterwards that none of it is still running.
struct started {
    std::string mail_config; ///< MAIL_CONFIG=<config_directory> of the Postfix instance
    pid_t daemon = -1;
    pid_t knotd = -1;
};

void
run_scenario(started& out, std::vector<std::string> const& handlers)
{
    bool const dkim = has(handlers, "DKIM");
    bool const sanitize = has(handlers, "Sanitize");
    bool const dmarc = has(handlers, "DMARC");
    t::knot_server dns(zones());
    out.knotd = dns.pid();
    milter_daemon daemon;
    daemon.write_config(daemon_config(daemon.port, dns.address(), first_id, dkim, sanitize, dmarc));
    daemon.start();
    out.daemon = daemon.process->pid();
    t::postfix_options po;
    po.milters = "inet:127.0.0.1:" + std::to_string(daemon.port);
    t::postfix_instance postfix(po);
    out.mail_config = "MAIL_CONFIG=" + postfix.config_directory().string();

    auto send = [&](t::smtp_message const& m) {
        t::smtp_client c(postfix.smtpd_port(), 30s);
        return c.send(m);
    };
    auto deliver = [&](t::smtp_message const& m, std::string const& marker) {
        require_accepted(send(m), postfix, daemon);
        auto const msg = postfix.wait_for_message("X-Test-Marker: " + marker, 20s);
        BOOST_REQUIRE_MESSAGE(!msg.empty(), "message " << marker
                                                       << " was not delivered within 20 s; maillog:\n"
                                                       << postfix.maillog());
        BOOST_TEST_MESSAGE("delivered " << marker << ":\n" << msg);
        return msg;
    };
    auto check_common = [&](delivered const& d, std::string const& marker) {
        BOOST_TEST_CONTEXT(marker)
        {
            BOOST_TEST(!d.authres.empty());
            BOOST_TEST(d.authres_count == 1u);
            // On top of what the client sent (only Postfix's own trace fields may come first).
            BOOST_TEST(d.authres_pos < d.first_original);
            BOOST_TEST(d.add_id);
            BOOST_TEST(d.authres.find("iprev=pass smtp.remote-ip=127.0.0.1 (client.example.test)") !=
                       std::string::npos);
        }
    };

    // 1. SPF pass (and DKIM pass when the chain has DKIM).
    {
        auto const d =
            inspect(deliver(make_message("alice@pass.example.test", "pfx-pass", true), "pfx-pass"), first_id);
        check_common(d, "pfx-pass");
        BOOST_TEST(
            d.authres.find("spf=pass smtp.mailfrom=alice@pass.example.test smtp.helo=client.example.test") !=
            std::string::npos);
        BOOST_TEST(d.received_spf.starts_with("pass "));
        if(dkim)
            BOOST_TEST(d.authres.find("dkim=pass") != std::string::npos);
        BOOST_TEST_MESSAGE("A-R (pass): " << d.authres);
    }
    // 2. SPF fail: accepted (SPF alone never rejects), reported as fail. With Sanitize in the
    //    chain, the message also carries a forged header in our name, which must be replaced.
    {
        std::string const forged = first_id + "; spf=pass smtp.mailfrom=mallory@fail.example.test";
        auto const msg = deliver(
            make_message("mallory@fail.example.test", "pfx-fail", false, sanitize ? forged : std::string()),
            "pfx-fail");
        auto const d = inspect(msg, first_id);
        check_common(d, "pfx-fail");
        BOOST_TEST(d.authres.find("spf=fail smtp.mailfrom=mallory@fail.example.test") != std::string::npos);
        BOOST_TEST(d.received_spf.starts_with("fail "));
        if(dkim)
            BOOST_TEST(d.authres.find("dkim=none") != std::string::npos);
        if(sanitize)
            BOOST_TEST(d.kept_forgery.find(forged) != std::string::npos,
                       "X-Received-Authentication-Results: " << d.kept_forgery);
        else
            BOOST_TEST_MESSAGE("the daemon's chain has no Sanitize handler: forged headers are not checked");
        BOOST_TEST_MESSAGE("A-R (fail): " << d.authres);
    }
    // 2b. DMARC p=reject with hard_reject: the SMTP client gets the daemon's 550 with its text,
    //     and nothing is delivered.
    if(dmarc) {
        auto const tr = send(make_message("mallory@reject.example.test", "pfx-dmarc-reject", false));
        BOOST_TEST(!tr.accepted());
        BOOST_TEST(tr.refusal.code == 550, tr.refusal.text);
        BOOST_TEST(tr.refusal.text.find("550 5.7.0 DMARC policy violation") != std::string::npos,
                   tr.refusal.text << "\nmaillog:\n"
                                   << postfix.maillog() << "\ndaemon log:\n"
                                   << daemon.log());
        BOOST_TEST(postfix.wait_for_message("X-Test-Marker: pfx-dmarc-reject", 0ms).empty());
    } else {
        BOOST_TEST_MESSAGE(
            "the daemon's chain has no DMARC handler: the reject through Postfix is not checked");
    }
    // 3. SIGHUP with a new authserv-id: the next message carries it.
    {
        auto const reloads = daemon.count_in_log("configuration reloaded");
        daemon.write_config(daemon_config(daemon.port, dns.address(), second_id, dkim, sanitize, dmarc));
        daemon.process->signal(SIGHUP);
        BOOST_REQUIRE_MESSAGE(
            t::wait_until([&] { return daemon.count_in_log("configuration reloaded") > reloads; }, 10s),
            "no reload within 10 s: " << daemon.log());
        auto const msg = deliver(make_message("alice@pass.example.test", "pfx-reload", true), "pfx-reload");
        auto const d = inspect(msg, second_id);
        check_common(d, "pfx-reload");
        BOOST_TEST(d.authres.find("spf=pass") != std::string::npos);
        BOOST_TEST(inspect(msg, first_id).authres.empty()); // the old id is gone
    }
    // 3b. SIGHUP with a broken file: refused, the running configuration stays.
    {
        auto const refusals = daemon.count_in_log("reload refused");
        daemon.write_config(
            "{ \"connection\": \"inet:" + std::to_string(daemon.port) +
            "@127.0.0.1\", \"authserv_id\": \"broken.authmilter.test\", \"dns_timeout\": \"soon\" }\n");
        daemon.process->signal(SIGHUP);
        BOOST_REQUIRE_MESSAGE(
            t::wait_until([&] { return daemon.count_in_log("reload refused") > refusals; }, 10s),
            "a broken configuration was not refused within 10 s: " << daemon.log());
        BOOST_TEST(daemon.process->running());
        auto const msg =
            deliver(make_message("alice@pass.example.test", "pfx-badreload", false), "pfx-badreload");
        auto const d = inspect(msg, second_id);
        check_common(d, "pfx-badreload");
        BOOST_TEST(msg.find("broken.authmilter.test") == std::string::npos);
    }
    // 4. SIGTERM while Postfix holds a milter connection in the middle of a transaction: the
    //    daemon drains (the message still gets its header), then exits promptly with status 0.
    {
        auto const m = make_message("alice@pass.example.test", "pfx-drain", false);
        t::smtp_client c(postfix.smtpd_port(), 30s);
        BOOST_REQUIRE_EQUAL(c.read_reply().code, 220);
        BOOST_REQUIRE_EQUAL(c.command("EHLO " + m.helo).code, 250);
        BOOST_REQUIRE_EQUAL(c.command("MAIL FROM:<" + m.mail_from + ">").code, 250);
        BOOST_REQUIRE_EQUAL(c.command("RCPT TO:<" + rcpt + ">").code, 250);
        daemon.process->signal(SIGTERM);
        BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return daemon.count_in_log("stopping") > 0; }, 5s),
                              "SIGTERM not logged: " << daemon.log());
        std::this_thread::sleep_for(300ms);
        BOOST_TEST(daemon.process->running()); // held by the connection in flight
        BOOST_REQUIRE_EQUAL(c.command("DATA").code, 354);
        auto const end = c.data(m.content);
        BOOST_TEST(end.code == 250, "end of DATA: " << end.text);
        BOOST_TEST(c.command("QUIT").code == 221);
        auto const start = std::chrono::steady_clock::now();
        auto const rc = daemon.process->wait_for(5s);
        BOOST_REQUIRE_MESSAGE(rc.has_value(), "the daemon did not exit within 5 s of the last connection");
        BOOST_TEST(*rc == 0);
        BOOST_TEST_MESSAGE("daemon exited " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::steady_clock::now() - start)
                                                   .count()
                                            << " ms after QUIT");
        BOOST_TEST(daemon.count_in_log("stopped") >= 1u);
        auto const msg = postfix.wait_for_message("X-Test-Marker: pfx-drain", 20s);
        BOOST_REQUIRE_MESSAGE(!msg.empty(), "message pfx-drain was not delivered; maillog:\n"
                                                << postfix.maillog());
        auto const d = inspect(msg, second_id);
        check_common(d, "pfx-drain");
        BOOST_TEST(d.authres.find("spf=pass") != std::string::npos);
    }
    // 5. With the milter gone, milter_default_action = tempfail: Postfix must answer 4xx and
    //    deliver nothing.
    {
        auto const tr = send(make_message("alice@pass.example.test", "pfx-nomilter", false));
        BOOST_TEST(!tr.accepted());
        BOOST_TEST((tr.refusal.code >= 400 && tr.refusal.code < 500), "refusal: " << tr.refusal.text);
        std::this_thread::sleep_for(1s);
        BOOST_TEST(postfix.wait_for_message("X-Test-Marker: pfx-nomilter", 0ms).empty());
    }
    postfix.stop();
    BOOST_TEST(postfix.processes().empty());
}

} // namespace

BOOST_AUTO_TEST_CASE(postfix_calls_the_daemon_as_a_milter)
{
    BOOST_REQUIRE_MESSAGE(::geteuid() == 0,
                          "this test starts a private Postfix instance and must run as root");
    BOOST_REQUIRE_MESSAGE(!t::find_program({"/usr/sbin/postfix"}).empty(),
                          "postfix is not installed: run scripts/install-deps.sh (Debian package 'postfix')");
    BOOST_REQUIRE_MESSAGE(!daemon_path.empty() && fs::exists(daemon_path),
                          "the authentication_milter binary is missing (AUTHMILTER_DAEMON_PATH): '"
                              << daemon_path << "'");
    t::temp_dir scratch("authmilter-pfx-");
    auto const handlers = installed_handlers(scratch.path());
    for(auto const* needed : {"IPRev", "SPF", "AddID", "LocalIP"})
        BOOST_REQUIRE_MESSAGE(has(handlers, needed), "the daemon's chain has no " << needed << " handler");
    if(!has(handlers, "DKIM"))
        BOOST_TEST_MESSAGE("the daemon's chain has no DKIM handler: dkim= is not checked");

    started s;
    auto nothing_left = [&] {
        if(!s.mail_config.empty())
            BOOST_TEST(t::processes_with_environment(s.mail_config).empty(), "Postfix processes left behind");
        BOOST_TEST(!t::process_alive(s.daemon));
        BOOST_TEST(!t::process_alive(s.knotd));
    };
    auto const start = std::chrono::steady_clock::now();
    try {
        run_scenario(s, handlers);
    } catch(...) {
        nothing_left(); // the fixtures stopped everything on the way out
        throw;
    }
    BOOST_TEST(!s.mail_config.empty());
    nothing_left();
    auto const took = std::chrono::steady_clock::now() - start;
    BOOST_TEST((took < 100s));
}
