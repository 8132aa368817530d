// Tests of the DKIM handler: real signed messages from the conformance data (RFC 8463, stalwart,
// Mail::DKIM) and messages signed here with the DKIM signer, run through a pipeline.
#include <authmilter/authres/format.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/local_ip.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"
#include "signing.hpp"

namespace h = authmilter::handlers;
namespace dns = authmilter::dns;
namespace dkim = authmilter::dkim;
namespace pl = authmilter::pipeline;
namespace json = boost::json;

namespace {

using chain = pl::pipeline<h::dkim_handler>;
using google_chain = pl::pipeline<h::dkim_handler, h::xgoogle_dkim_handler>;
using local_chain = pl::pipeline<h::local_ip_handler, h::dkim_handler>;

std::string
read_file(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    if(!in)
        throw std::runtime_error("cannot read " + path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

json::object const&
corpus_case(std::string const& id)
{
    static json::value const doc =
        json::parse(read_file(std::string(AUTHMILTER_TESTDATA_DIR) + "/dkim/dkim-verify-cases.json"));
    for(auto const& c : doc.at("cases").as_array())
        if(c.at("id").as_string() == id)
            return c.as_object();
    throw std::runtime_error("no case " + id);
}

std::string
corpus_message(json::object const& c)
{
    return read_file(std::string(AUTHMILTER_TESTDATA_DIR) + "/dkim/" +
                     std::string(c.at("message_file").as_string()));
}

// The zone of a case, as test/data/README.md describes it (TXT records and faults).
void
load_zone(dns::zone_resolver& z, json::object const& c)
{
    for(auto const& item : c.at("zone").as_array()) {
        auto const& o = item.as_object();
        std::string const name(o.at("name").as_string());
        if(auto const* err = o.if_contains("error")) {
            auto const e = err->as_string();
            z.add_fault(name, dns::rr_type::txt,
                        e == "TIMEOUT"    ? dns::outcome::timeout
                        : e == "SERVFAIL" ? dns::outcome::servfail
                                          : dns::outcome::nxdomain);
            continue;
        }
        if(o.at("type").as_string() != "TXT")
            continue;
        dns::txt_data txt;
        auto const& data = o.at("data");
        if(data.is_string())
            txt.strings.emplace_back(data.as_string());
        else
            for(auto const& s : data.as_array())
                txt.strings.emplace_back(s.as_string());
        z.add(dns::record{name, dns::rr_type::txt, 300, std::move(txt)});
    }
}

template<class Chain> struct dkim_session : test_harness::session<Chain> {
    dkim_session() { this->connect("192.0.2.1"); }

    h::dkim_handler& handler() { return this->chain.template get<h::dkim_handler>(); }

    void configure(std::string const& text)
    {
        auto const v = json::parse(text);
        this->chain.configure(json::object{{"DKIM", v}});
    }

    // Runs one message with the body cut into `chunk`-octet pieces.
    void send(std::string const& text, std::size_t chunk = 65535)
    {
        pl::message_input in;
        pl::split_message(text, in.headers, in.body);
        in.envelope.mail_from = "sender@example.org";
        in.envelope.rcpt_to = {"rcpt@example.net"};
        in.body_chunk_size = chunk;
        this->run(
            [&]() -> boost::asio::awaitable<void> { co_await pl::run_message(this->chain, this->txn, in); });
    }

    // Runs a conformance case: its zone, its clock, its message.
    void send_case(std::string const& id, std::size_t chunk = 65535)
    {
        auto const& c = corpus_case(id);
        load_zone(this->zone, c);
        if(auto const* t = c.if_contains("verification_time"))
            handler().verify.now = t->to_number<std::int64_t>();
        send(corpus_message(c), chunk);
    }

    std::vector<std::string> entries() const
    {
        std::vector<std::string> out;
        for(auto const& r : this->txn.results())
            out.push_back(authmilter::authres::to_string(r));
        return out;
    }

    auto const& state()
    {
        return std::get<Chain::template index_of<h::dkim_handler>()>(this->txn.message_states());
    }
};

std::string
generate_rsa_pem(unsigned bits)
{
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
    if(!k)
        throw std::runtime_error("RSA keygen failed");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    auto const len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(k);
    return pem;
}

dkim::private_key
rsa_key(unsigned bits)
{
    auto k = dkim::private_key::from_pem(generate_rsa_pem(bits));
    if(!k)
        throw std::runtime_error("cannot load RSA key");
    return *k;
}

dkim::private_key
ed25519_key(char fill)
{
    auto k = dkim::private_key::from_ed25519_seed(std::string(32, fill));
    if(!k)
        throw std::runtime_error("cannot make Ed25519 key");
    return *k;
}

void
publish(dns::zone_resolver& z, std::string const& selector, std::string const& domain,
        dkim::private_key const& key)
{
    z.add_txt(selector + "._domainkey." + domain,
              std::string("v=DKIM1; k=") + (key.type() == dkim::key_type::ed25519 ? "ed25519" : "rsa") +
                  "; p=" + dkim::detail::base64_encode(key.public_key_data()));
}

using test_harness::sign;

std::string const plain_message = "From: Alice <alice@example.com>\r\n"
                                  "To: Bob <bob@example.net>\r\n"
                                  "Subject: lunch\r\n"
                                  "Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n"
                                  "Message-ID: <lunch.1@example.com>\r\n"
                                  "\r\n"
                                  "Shall we meet at noon?\r\n"
                                  "\r\n"
                                  "  Alice (with  some   spaces and a long line to cross chunk edges)\r\n"
                                  "\r\n"
                                  "\r\n";

std::string const rfc8463_ed25519 =
    "header.d=football.example.com header.i=@football.example.com header.b=/gCrinpc "
    "header.a=ed25519-sha256 header.s=brisbane";
std::string const rfc8463_rsa =
    "header.d=football.example.com header.i=@football.example.com header.b=F45dVWDf "
    "header.a=rsa-sha256 header.s=test";

std::string
replace(std::string text, std::string const& from, std::string const& to)
{
    auto const at = text.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// A resolver that answers from a zone after a delay, counting how many queries overlap.
struct slow_resolver {
    dns::zone_resolver zone;
    std::size_t in_flight = 0;
    std::size_t max_in_flight = 0;

    boost::asio::awaitable<dns::answer> query(std::string_view name, dns::rr_type type)
    {
        std::string const n(name);
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                        std::chrono::milliseconds(20));
        co_await timer.async_wait(boost::asio::use_awaitable);
        --in_flight;
        co_return zone.lookup(n, type);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_dkim)

BOOST_AUTO_TEST_CASE(rfc8463_both_signatures_pass)
{
    dkim_session<chain> s;
    s.send_case("rfc8463/appendix-a");
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=pass (1024-bit rsa key sha256) " + rfc8463_rsa);
    // What DMARC reads: per signature, in header order.
    auto const& st = s.state();
    BOOST_TEST(st.done);
    BOOST_REQUIRE_EQUAL(st.signatures.size(), 2u);
    BOOST_TEST(st.signatures[0].domain == "football.example.com");
    BOOST_TEST(st.signatures[0].selector == "brisbane");
    BOOST_TEST(st.signatures[1].selector == "test");
    BOOST_TEST(st.signatures[0].passed());
    BOOST_TEST(dkim::to_string(st.signatures[1].res) == "pass");
    BOOST_TEST((st.best == dkim::result::pass));
    BOOST_TEST(st.passing_domains() == std::vector<std::string>{"football.example.com"});
    // Both keys looked up once each.
    BOOST_TEST(s.zone.query_count() == 2u);
}

BOOST_AUTO_TEST_CASE(rfc8463_chunked_body_byte_by_byte)
{
    for(std::size_t chunk : {1u, 2u, 5u, 13u}) {
        dkim_session<chain> s;
        s.send_case("rfc8463/appendix-a", chunk);
        auto const e = s.entries();
        BOOST_REQUIRE_EQUAL(e.size(), 2u);
        BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) " + rfc8463_ed25519);
        BOOST_TEST(e[1] == "dkim=pass (1024-bit rsa key sha256) " + rfc8463_rsa);
    }
}

BOOST_AUTO_TEST_CASE(milter_style_lf_line_ends)
{
    // The milter protocol delivers folded values and body lines with the MTA's LF line ends.
    dkim_session<chain> s;
    auto const& k = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, k);
    pl::message_input in;
    pl::split_message(corpus_message(k), in.headers, in.body);
    auto const to_lf = [](std::string t) {
        std::string out;
        for(char c : t)
            if(c != '\r')
                out += c;
        return out;
    };
    for(auto& f : in.headers)
        f.raw_value = to_lf(f.raw_value);
    in.body = to_lf(in.body);
    BOOST_REQUIRE(in.headers[0].raw_value.find('\n') != std::string::npos);
    in.body_chunk_size = 3;
    s.run([&]() -> boost::asio::awaitable<void> { co_await pl::run_message(s.chain, s.txn, in); });
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=pass (1024-bit rsa key sha256) " + rfc8463_rsa);
}

BOOST_AUTO_TEST_CASE(altered_body_fails)
{
    dkim_session<chain> s;
    auto const& c = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, c);
    s.send(replace(corpus_message(c), "We lost the game.", "We won the game."));
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=fail (body has been altered, 256-bit ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=fail (body has been altered, 1024-bit rsa key sha256) " + rfc8463_rsa);
    BOOST_TEST(!s.state().signatures[0].passed());
    BOOST_TEST((s.state().best == dkim::result::fail));
    BOOST_TEST(s.state().passing_domains().empty());
}

BOOST_AUTO_TEST_CASE(altered_header_fails)
{
    dkim_session<chain> s;
    auto const& c = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, c);
    s.send(replace(corpus_message(c), "Subject: Is dinner ready?", "Subject: Is lunch ready?"));
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=fail (message has been altered, 256-bit ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=fail (message has been altered, 1024-bit rsa key sha256) " + rfc8463_rsa);
}

BOOST_AUTO_TEST_CASE(unsigned_message_is_none)
{
    dkim_session<chain> s;
    s.send(plain_message);
    BOOST_TEST(s.entries() == std::vector<std::string>{"dkim=none (no signatures found)"});
    BOOST_TEST(s.state().signatures.empty());
    BOOST_TEST((s.state().best == dkim::result::none));
    BOOST_TEST(s.zone.query_count() == 0u);
}

BOOST_AUTO_TEST_CASE(hide_none_hides_the_none_entry_only)
{
    dkim_session<chain> s;
    s.configure(R"({"hide_none": 1})");
    s.send(plain_message);
    BOOST_TEST(s.entries().empty());
    // A signed message still gets its entries.
    s.send_case("rfc8463/appendix-a");
    BOOST_TEST(s.entries().size() == 2u);
}

BOOST_AUTO_TEST_CASE(domainkeys_only_message_is_none)
{
    // DomainKeys (RFC 4870) is historic and not verified: a DomainKey-Signature alone is "none".
    dkim_session<chain> s;
    s.send_case("mail-dkim/good_dk_1");
    BOOST_TEST(s.entries() == std::vector<std::string>{"dkim=none (no signatures found)"});
}

BOOST_AUTO_TEST_CASE(timeout_is_temperror)
{
    dkim_session<chain> s;
    auto const& c = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, c);
    s.zone.add_fault("brisbane._domainkey.football.example.com", dns::rr_type::txt, dns::outcome::timeout);
    s.send(corpus_message(c));
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=temperror (dns timeout, ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=pass (1024-bit rsa key sha256) " + rfc8463_rsa);
    BOOST_TEST(dkim::to_string(s.state().signatures[0].res) == "temperror");
    BOOST_TEST((s.state().best == dkim::result::pass));
}

BOOST_AUTO_TEST_CASE(servfail_is_temperror)
{
    dkim_session<chain> s;
    auto const& c = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, c);
    s.zone.add_fault("test._domainkey.football.example.com", dns::rr_type::txt, dns::outcome::servfail);
    s.send(corpus_message(c));
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=temperror (dns servfail, rsa key sha256) " + rfc8463_rsa);
}

BOOST_AUTO_TEST_CASE(corpus_dns_faults_with_no_strict)
{
    // badkey_14/15 are rsa-sha1: refused without a lookup in strict mode, looked up (and failing
    // temporarily) with no_strict.
    {
        dkim_session<chain> s;
        s.send_case("mail-dkim/badkey_14");
        BOOST_REQUIRE_EQUAL(s.entries().size(), 1u);
        BOOST_TEST(s.entries()[0].starts_with("dkim=permerror (rsa-sha1 not allowed, rsa key sha1) "));
        BOOST_TEST(s.zone.query_count() == 0u);
    }
    {
        dkim_session<chain> s;
        s.configure(R"({"no_strict": 1})");
        s.send_case("mail-dkim/badkey_14");
        BOOST_REQUIRE_EQUAL(s.entries().size(), 1u);
        BOOST_TEST(s.entries()[0] ==
                   "dkim=temperror (dns timeout, rsa key sha1) header.d=blackhole.messiah.edu "
                   "header.i=@blackhole.messiah.edu header.b=" +
                       s.state().signatures[0].b.substr(0, 8) + " header.a=rsa-sha1 header.s=test3");
    }
    {
        dkim_session<chain> s;
        s.configure(R"({"no_strict": "1"})");
        s.send_case("mail-dkim/badkey_15");
        BOOST_REQUIRE_EQUAL(s.entries().size(), 1u);
        BOOST_TEST(s.entries()[0].starts_with("dkim=temperror (dns servfail, rsa key sha1) "));
    }
}

BOOST_AUTO_TEST_CASE(no_strict_accepts_sha1)
{
    {
        dkim_session<chain> s;
        s.send_case("mail-dkim/good_83176");
        BOOST_TEST((s.state().signatures.at(0).reason == dkim::error::sha1_not_allowed));
        BOOST_TEST(s.entries().at(0).starts_with("dkim=permerror (rsa-sha1 not allowed, rsa key sha1) "
                                                 "header.d=messiah.edu"));
    }
    {
        dkim_session<chain> s;
        s.configure(R"({"no_strict": 1})");
        s.send_case("mail-dkim/good_83176");
        BOOST_TEST(s.entries().at(0).starts_with("dkim=pass (1024-bit rsa key sha1) header.d=messiah.edu"));
        BOOST_TEST(s.state().signatures.at(0).passed());
    }
}

BOOST_AUTO_TEST_CASE(missing_key_is_permerror)
{
    dkim_session<chain> s;
    s.send(corpus_message(corpus_case("rfc8463/appendix-a"))); // empty zone: NXDOMAIN
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=permerror (public key: not available, ed25519 key sha256) " + rfc8463_ed25519);
    BOOST_TEST(e[1] == "dkim=permerror (public key: not available, rsa key sha256) " + rfc8463_rsa);
    BOOST_TEST((s.state().best == dkim::result::permerror));
}

BOOST_AUTO_TEST_CASE(bad_domain_is_syntax_or_domain_error)
{
    dkim_session<chain> s;
    s.send_case("dkimpy/test.baddomain");
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 1u);
    // The sender's "(" cannot open a comment in the header: it becomes a space, as in Perl.
    BOOST_TEST(e[0].starts_with(
        "dkim=permerror (syntax or domain error, rsa key sha256) "
        "header.d=\"legitimate.com .attacker.com\" header.i=\"@legitimate.com .attacker.com\" "));
    BOOST_TEST(s.state().signatures[0].domain == "legitimate.com(.attacker.com");
    BOOST_TEST(s.zone.query_count() == 0u);
}

BOOST_AUTO_TEST_CASE(stalwart_real_world_messages_at_their_time)
{
    for(auto const* id : {"stalwart/dkim-002", "stalwart/dkim-003", "stalwart/dkim-004", "stalwart/dkim-005",
                          "stalwart/dkim-006"}) {
        BOOST_TEST_CONTEXT(id)
        {
            dkim_session<chain> s;
            s.send_case(id, 4096);
            auto const& c = corpus_case(id);
            auto const& sigs = c.at("signatures").as_array();
            BOOST_REQUIRE_EQUAL(s.state().signatures.size(), sigs.size());
            auto const e = s.entries();
            BOOST_REQUIRE_EQUAL(e.size(), sigs.size());
            for(std::size_t i = 0; i < sigs.size(); ++i) {
                auto const& got = s.state().signatures[i];
                BOOST_TEST(got.passed());
                BOOST_TEST(got.domain == sigs[i].at("d").as_string());
                BOOST_TEST(got.selector == sigs[i].at("s").as_string());
                BOOST_TEST(e[i].starts_with("dkim=pass (" +
                                            std::to_string(sigs[i].at("key_bits").to_number<int>()) +
                                            "-bit rsa key sha256) header.d=" + got.domain + " "));
            }
        }
    }
    // dkim-005's x= has passed: with today's clock its signature is expired.
    dkim_session<chain> s;
    auto const& c = corpus_case("stalwart/dkim-005");
    load_zone(s.zone, c);
    s.send(corpus_message(c));
    BOOST_REQUIRE(!s.state().signatures.empty());
    BOOST_TEST((s.state().signatures.back().reason == dkim::error::signature_expired));
    BOOST_TEST(s.entries().back().starts_with("dkim=permerror (signature is expired, "));
}

BOOST_AUTO_TEST_CASE(signed_here_rsa_and_ed25519_several_signatures)
{
    auto const rsa = rsa_key(2048);
    auto const ed = ed25519_key('\x07');
    // The author's domain signs first, the relay adds its own signature on top.
    auto const once = sign(plain_message, rsa, "example.com", "s2026");
    auto const twice = sign(once, ed, "relay.example", "ed");
    for(std::size_t chunk : {1u, 7u, 64u, 65535u}) {
        BOOST_TEST_CONTEXT("chunk " << chunk)
        {
            dkim_session<chain> s;
            publish(s.zone, "s2026", "example.com", rsa);
            publish(s.zone, "ed", "relay.example", ed);
            s.send(twice, chunk);
            auto const& st = s.state();
            BOOST_REQUIRE_EQUAL(st.signatures.size(), 2u);
            // Header order: the relay's signature is the topmost field.
            BOOST_TEST(st.signatures[0].domain == "relay.example");
            BOOST_TEST(st.signatures[0].selector == "ed");
            BOOST_TEST(st.signatures[1].domain == "example.com");
            BOOST_TEST(st.signatures[0].passed());
            BOOST_TEST(st.signatures[1].passed());
            auto const e = s.entries();
            BOOST_REQUIRE_EQUAL(e.size(), 2u);
            BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) header.d=relay.example "
                               "header.i=@relay.example header.b=" +
                                   st.signatures[0].b.substr(0, 8) + " header.a=ed25519-sha256 header.s=ed");
            BOOST_TEST(e[1] ==
                       "dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com "
                       "header.b=" +
                           st.signatures[1].b.substr(0, 8) + " header.a=rsa-sha256 header.s=s2026");
            BOOST_TEST(st.passing_domains() == (std::vector<std::string>{"relay.example", "example.com"}));
        }
    }
    // One key missing, one body change: each signature has its own result.
    dkim_session<chain> s;
    publish(s.zone, "ed", "relay.example", ed);
    s.send(replace(twice, "meet at noon", "meet at one"));
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0].starts_with(
        "dkim=fail (body has been altered, 256-bit ed25519 key sha256) header.d=relay.example "));
    BOOST_TEST(
        e[1].starts_with("dkim=permerror (public key: not available, rsa key sha256) header.d=example.com "));
}

BOOST_AUTO_TEST_CASE(small_rsa_key_needs_no_strict)
{
    auto const small = rsa_key(768);
    auto const msg = sign(plain_message, small, "example.com", "old");
    {
        dkim_session<chain> s;
        publish(s.zone, "old", "example.com", small);
        s.send(msg);
        BOOST_TEST(s.entries().at(0).starts_with("dkim=permerror (key too small, 768-bit rsa key sha256) "));
    }
    {
        dkim_session<chain> s;
        s.configure(R"({"no_strict": true})");
        publish(s.zone, "old", "example.com", small);
        s.send(msg);
        BOOST_TEST(s.entries().at(0).starts_with("dkim=pass (768-bit rsa key sha256) "));
    }
}

BOOST_AUTO_TEST_CASE(extra_properties_add_x_bits)
{
    dkim_session<chain> s;
    s.configure(R"({"extra_properties": 1})");
    s.send_case("rfc8463/appendix-a");
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0] == "dkim=pass (256-bit ed25519 key sha256) " + rfc8463_ed25519 + " x-bits=256");
    BOOST_TEST(e[1] == "dkim=pass (1024-bit rsa key sha256) " + rfc8463_rsa + " x-bits=1024");
    auto const* p = s.txn.results()[1].find_property("", "x-bits");
    BOOST_REQUIRE(p);
    BOOST_TEST(p->value == "1024");
}

BOOST_AUTO_TEST_CASE(same_key_is_looked_up_once)
{
    dkim_session<chain> s;
    s.send_case("stalwart/dkim-003"); // two signatures with ietf1._domainkey.ietf.org
    BOOST_TEST(s.state().signatures.size() == 2u);
    BOOST_TEST(s.zone.query_count() == 1u);
}

BOOST_AUTO_TEST_CASE(local_clients_are_checked_too)
{
    test_harness::session<local_chain> s;
    s.connect("127.0.0.1");
    auto const& c = corpus_case("rfc8463/appendix-a");
    load_zone(s.zone, c);
    s.message(corpus_message(c));
    BOOST_TEST(s.txn.trust().local);
    BOOST_TEST(s.summary() == (std::vector<std::string>{"x-local-ip=pass", "dkim=pass", "dkim=pass"}));
}

BOOST_AUTO_TEST_CASE(state_is_reset_between_messages)
{
    dkim_session<chain> s;
    s.send_case("rfc8463/appendix-a");
    BOOST_TEST(s.state().signatures.size() == 2u);
    s.send(plain_message);
    BOOST_TEST(s.state().signatures.empty());
    BOOST_TEST(!s.state().done);
    BOOST_TEST(s.entries() == std::vector<std::string>{"dkim=none (no signatures found)"});
}

BOOST_AUTO_TEST_CASE(keys_are_looked_up_concurrently)
{
    chain c;
    slow_resolver r;
    auto const& k = corpus_case("rfc8463/appendix-a");
    load_zone(r.zone, k);
    pl::transaction<chain, slow_resolver, authmilter::authres::result> txn{c, r};
    pl::message_input in;
    pl::split_message(corpus_message(k), in.headers, in.body);
    boost::asio::io_context io;
    std::exception_ptr error;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { co_await pl::run_message(c, txn, in); },
        [&](std::exception_ptr e) { error = e; });
    io.run();
    BOOST_REQUIRE(!error);
    BOOST_TEST(r.max_in_flight == 2u);
    BOOST_REQUIRE_EQUAL(txn.results().size(), 2u);
    BOOST_TEST(txn.results()[0].value == "pass");
    BOOST_TEST(txn.results()[1].value == "pass");
}

BOOST_AUTO_TEST_CASE(whole_corpus_through_the_pipeline)
{
    // Every conformance message, body in 1000-octet chunks: one entry per signature with an
    // expected result, or the one none entry.
    static json::value const doc =
        json::parse(read_file(std::string(AUTHMILTER_TESTDATA_DIR) + "/dkim/dkim-verify-cases.json"));
    std::size_t signatures = 0;
    for(auto const& item : doc.at("cases").as_array()) {
        std::string const id(item.at("id").as_string());
        BOOST_TEST_CONTEXT(id)
        {
            dkim_session<chain> s;
            s.send_case(id, 1000);
            auto const& sigs = item.at("signatures").as_array();
            auto const e = s.entries();
            if(sigs.empty()) {
                BOOST_TEST(e == std::vector<std::string>{"dkim=none (no signatures found)"});
                continue;
            }
            BOOST_REQUIRE_EQUAL(s.state().signatures.size(), sigs.size());
            BOOST_REQUIRE_EQUAL(e.size(), sigs.size());
            for(std::size_t i = 0; i < sigs.size(); ++i) {
                auto const word = std::string(dkim::to_string(s.state().signatures[i].res));
                bool ok = false;
                for(auto const& w : sigs[i].at("expected").as_array())
                    ok = ok || w.as_string() == word;
                BOOST_TEST(ok, "signature " << i << ": " << e[i]);
                BOOST_TEST(e[i].starts_with("dkim=" + word + " ("));
                ++signatures;
            }
            BOOST_TEST(dkim::to_string(s.state().best) == item.at("expected").as_string());
        }
    }
    BOOST_TEST(signatures == doc.at("signature_count").to_number<std::size_t>());
}

BOOST_AUTO_TEST_CASE(decoded_keys_are_reused_by_later_messages)
{
    auto const rsa = rsa_key(2048);
    auto const ed = ed25519_key('\x09');
    auto const msg = sign(sign(plain_message, rsa, "example.com", "s2026"), ed, "relay.example", "ed");
    dkim_session<chain> s;
    publish(s.zone, "s2026", "example.com", rsa);
    publish(s.zone, "ed", "relay.example", ed);
    auto const& cache = *s.handler().keys;
    s.send(msg);
    BOOST_TEST((s.state().best == dkim::result::pass));
    BOOST_TEST(cache.misses() == 2u); // both keys decoded once
    BOOST_TEST(cache.hits() == 0u);
    for(int i = 0; i < 3; ++i) {
        s.send(msg);
        BOOST_REQUIRE_EQUAL(s.state().signatures.size(), 2u);
        BOOST_TEST(s.state().signatures[0].passed());
        BOOST_TEST(s.state().signatures[1].passed());
    }
    BOOST_TEST(cache.misses() == 2u); // no message after the first decoded a key
    BOOST_TEST(cache.hits() == 6u);
    BOOST_TEST(cache.size() == 2u);
    BOOST_TEST(s.zone.query_count() == 8u); // DNS is still asked: the resolver caches answers
    // Copies of the handler (one per generation or thread) share the cache.
    h::dkim_handler copy = s.handler();
    BOOST_TEST(copy.keys.get() == s.handler().keys.get());
    // Without a cache every message decodes its keys again.
    s.handler().keys = nullptr;
    s.send(msg);
    BOOST_TEST(s.state().signatures.at(1).passed());
    BOOST_TEST(copy.keys->misses() == 2u);
    BOOST_TEST(copy.keys->hits() == 6u);
}

BOOST_AUTO_TEST_CASE(a_changed_key_record_is_decoded_afresh)
{
    auto const old_key = rsa_key(1024);
    auto const new_key = rsa_key(1024);
    auto const msg_old = sign(plain_message, old_key, "example.com", "sel");
    auto const msg_new = sign(plain_message, new_key, "example.com", "sel");
    dkim_session<chain> s;
    publish(s.zone, "sel", "example.com", old_key);
    s.send(msg_old);
    BOOST_TEST((s.state().best == dkim::result::pass));
    // The record is replaced: the cached key for the old text must not answer for it.
    s.zone = dns::zone_resolver{};
    publish(s.zone, "sel", "example.com", new_key);
    s.send(msg_old);
    BOOST_TEST((s.state().signatures.at(0).reason == dkim::error::signature_mismatch));
    s.send(msg_new);
    BOOST_TEST((s.state().best == dkim::result::pass));
    BOOST_TEST(s.handler().keys->misses() == 2u);
    BOOST_TEST(s.handler().keys->hits() == 1u);
    // Revoked: no key, whatever is cached.
    s.zone = dns::zone_resolver{};
    s.zone.add_txt("sel._domainkey.example.com", "v=DKIM1; k=rsa; p=");
    s.send(msg_new);
    BOOST_TEST((s.state().signatures.at(0).reason == dkim::error::key_revoked));
}

BOOST_AUTO_TEST_CASE(max_signatures_is_configurable)
{
    auto const ed = ed25519_key('\x0b');
    auto const msg =
        sign(sign(sign(plain_message, ed, "a.example", "ed"), ed, "b.example", "ed"), ed, "c.example", "ed");
    dkim_session<chain> s;
    for(auto const* d : {"a.example", "b.example", "c.example"})
        publish(s.zone, "ed", d, ed);
    s.configure(R"({"max_signatures": 2})");
    s.send(msg);
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 3u);
    BOOST_TEST(e[0].starts_with("dkim=pass "));
    BOOST_TEST(e[1].starts_with("dkim=pass "));
    BOOST_TEST(e[2].starts_with("dkim=policy "));
    BOOST_TEST(s.zone.query_count() == 2u); // the third costs no DNS query
    s.configure(R"({"max_signatures": "3"})");
    s.send(msg);
    BOOST_TEST(s.entries().at(2).starts_with("dkim=pass "));
    BOOST_CHECK_THROW(s.configure(R"({"max_signatures": 0})"), std::invalid_argument);
    BOOST_CHECK_THROW(s.configure(R"({"max_signatures": "ten"})"), std::invalid_argument);
}

namespace {

// Google's internal signature: made as a DKIM-Signature, then renamed.
std::string
google_signed(std::string const& message, dkim::private_key const& key)
{
    auto const signed_msg = sign(message, key, "1e100.net", "20230601");
    BOOST_REQUIRE(signed_msg.starts_with("DKIM-Signature:"));
    return "X-Google-" + signed_msg;
}

struct google_session : dkim_session<google_chain> {
    void enable(std::string const& google_config = "{}")
    {
        chain.configure(json::object{{"DKIM", json::object{}}, {"XGoogleDKIM", json::parse(google_config)}});
    }

    std::vector<std::string> google_entries() const
    {
        std::vector<std::string> out;
        for(auto const& e : entries())
            if(e.starts_with("x-google-dkim="))
                out.push_back(e);
        return out;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(x_google_dkim_is_a_separate_method)
{
    auto const google = rsa_key(1024);
    auto const author = ed25519_key('\x0c');
    auto const msg = sign(google_signed(plain_message, google), author, "example.com", "ed");
    google_session s;
    s.enable();
    publish(s.zone, "20230601", "1e100.net", google);
    publish(s.zone, "ed", "example.com", author);
    s.send(msg, 5);
    auto const e = s.entries();
    BOOST_REQUIRE_EQUAL(e.size(), 2u);
    BOOST_TEST(e[0].starts_with("dkim=pass (256-bit ed25519 key sha256) header.d=example.com "));
    auto const& g = std::get<google_chain::index_of<h::xgoogle_dkim_handler>()>(s.txn.message_states());
    BOOST_REQUIRE_EQUAL(g.signatures.size(), 1u);
    BOOST_TEST(e[1] ==
               "x-google-dkim=pass (1024-bit rsa key) header.d=1e100.net header.i=@1e100.net header.b=" +
                   g.signatures[0].b.substr(0, 8));
    // DMARC reads the DKIM handler's state: the Google signature is not in it.
    BOOST_TEST(s.state().passing_domains() == std::vector<std::string>{"example.com"});
    // Tampering breaks both.
    s.send(replace(msg, "meet at noon", "meet at two"));
    BOOST_TEST(s.entries().at(0).starts_with("dkim=fail (body has been altered, "));
    BOOST_TEST(s.google_entries().at(0).starts_with(
        "x-google-dkim=fail (body has been altered, 1024-bit rsa key) "));
}

BOOST_AUTO_TEST_CASE(x_google_dkim_none_hide_none_and_off_by_default)
{
    auto const google = rsa_key(1024);
    {
        google_session s;
        s.enable();
        s.send(plain_message);
        BOOST_TEST(s.entries() == (std::vector<std::string>{"dkim=none (no signatures found)",
                                                            "x-google-dkim=none (no signatures found)"}));
        // Only Google's field: the DKIM handler does not read it.
        publish(s.zone, "20230601", "1e100.net", google);
        s.send(google_signed(plain_message, google));
        BOOST_TEST(s.entries().at(0) == "dkim=none (no signatures found)");
        BOOST_TEST(s.google_entries().at(0).starts_with("x-google-dkim=pass (1024-bit rsa key) "));
    }
    {
        google_session s;
        s.enable(R"({"hide_none": 1})");
        s.send(plain_message);
        BOOST_TEST(s.entries() == std::vector<std::string>{"dkim=none (no signatures found)"});
    }
    {
        // Not listed in handlers: off.
        google_session s;
        s.configure("{}");
        publish(s.zone, "20230601", "1e100.net", google);
        s.send(google_signed(plain_message, google));
        BOOST_TEST(s.entries() == std::vector<std::string>{"dkim=none (no signatures found)"});
    }
    BOOST_TEST(h::xgoogle_dkim_handler::name == "XGoogleDKIM");
    BOOST_TEST(json::parse(h::xgoogle_dkim_handler::default_config).at("hide_none").to_number<int>() == 0);
}

BOOST_AUTO_TEST_CASE(configuration)
{
    h::dkim_handler d;
    BOOST_TEST(!d.verify.allow_sha1);
    BOOST_TEST(d.verify.min_rsa_bits == 1024u);
    d.configure(json::parse(h::dkim_handler::default_config));
    BOOST_TEST(!d.hide_none);
    BOOST_TEST(d.check_adsp);
    BOOST_TEST(!d.no_strict);
    BOOST_TEST(!d.verify.allow_sha1);
    d.configure(json::parse(R"({"no_strict": "yes", "hide_none": 1, "check_adsp": 0, "hide_domainkeys": 1,
                                "show_default_adsp": 1, "adsp_hide_none": 1, "extra_properties": true})"));
    BOOST_TEST(d.no_strict);
    BOOST_TEST(d.verify.allow_sha1);
    BOOST_TEST(d.verify.min_rsa_bits == 512u);
    BOOST_TEST(d.hide_none);
    BOOST_TEST(!d.check_adsp);
    BOOST_TEST(d.hide_domainkeys);
    BOOST_TEST(d.show_default_adsp);
    BOOST_TEST(d.adsp_hide_none);
    BOOST_TEST(d.extra_properties);
    // A configured clock survives reconfiguration.
    d.verify.now = 1667843664;
    d.configure(json::parse("{}"));
    BOOST_TEST(d.verify.now.value() == 1667843664);
    BOOST_TEST(!d.no_strict);

    auto const refuses = [&](char const* text, char const* key) {
        try {
            d.configure(json::parse(text));
        } catch(std::invalid_argument const& e) {
            return std::string(e.what()).find(key) != std::string::npos;
        }
        return false;
    };
    BOOST_TEST(refuses(R"({"no_strict": "maybe"})", "no_strict"));
    BOOST_TEST(refuses(R"({"hide_none": [1]})", "hide_none"));
    BOOST_TEST(refuses(R"([1])", "object"));
    BOOST_TEST(!h::dkim_handler::help.empty());
}

BOOST_AUTO_TEST_SUITE_END()
