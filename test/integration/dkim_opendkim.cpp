// DKIM interoperability with Debian's OpenDKIM (packages opendkim and miltertest, installed by
// scripts/install-deps.sh). OpenDKIM signs and verifies only as a milter, so the test runs
// `opendkim -f` on 127.0.0.1 (a free port, a config in a temporary directory, keys from the
// `TestPublicKeys` file instead of DNS) and drives it with `miltertest` scripts:
//  - a message from an internal client (127.0.0.1) is signed by OpenDKIM; our verifier must
//    pass it, and fail it once tampered;
//  - a message we signed arrives from an external client (192.0.2.1, only a milter macro: no
//    traffic leaves loopback); OpenDKIM's Authentication-Results must say dkim=pass, and
//    dkim=fail for the tampered copy.
// For rsa-sha256 (2048 bits) and ed25519-sha256, each with all four canonicalisation pairs
// (OpenDKIM's SignatureAlgorithm and Canonicalization are global: one instance per pair).
// OpenDKIM also verifies its own signature, and we must agree with it: its ed25519-sha256
// signatures with simple header canonicalisation verify nowhere (an OpenDKIM defect).
#define BOOST_TEST_MODULE dkim_opendkim
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace dkim = authmilter::dkim;
namespace dns = authmilter::dns;
namespace t = authmilter::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string const opendkim_bin = "/usr/sbin/opendkim";
std::string const miltertest_bin = "/usr/bin/miltertest";

std::string const message = "From: Joe SixPack <joe@example.com>\r\n"
                            "To: Suzie Q <suzie@shopping.example.net>\r\n"
                            "Subject:   Is dinner\r\n\tready?\r\n"
                            "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                            "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
                            "\r\n"
                            "Hi.\r\n"
                            "\r\n"
                            "We lost the game.  Are you hungry yet?  \r\n"
                            "\ttabbed line\r\n"
                            "\r\n"
                            "Joe.\r\n"
                            "\r\n\r\n";

std::string
tamper(std::string text)
{
    auto const at = text.find("lost");
    BOOST_REQUIRE(at != std::string::npos);
    return text.replace(at, 4, "won!");
}

std::string
generate_pem(char const* type)
{
    EVP_PKEY* k = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    BOOST_REQUIRE(k != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    auto const len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(k);
    return pem;
}

std::string
record_for(dkim::private_key const& key)
{
    return std::string("v=DKIM1; k=") + (key.type() == dkim::key_type::rsa ? "rsa" : "ed25519") +
           "; p=" + dkim::detail::base64_encode(key.public_key_data());
}

// A Lua string literal holding exactly `s` (CR, LF and TAB escaped: Lua long brackets would
// turn CRLF into LF).
std::string
lua_string(std::string_view s)
{
    std::string out = "\"";
    for(char c : s) {
        switch(c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if(static_cast<unsigned char>(c) < 0x20)
                out += "\\" + std::to_string(static_cast<unsigned char>(c));
            else
                out += c;
        }
    }
    return out + "\"";
}

// A miltertest script sending `text` as a client at `ip` would, then printing every
// DKIM-Signature and Authentication-Results field OpenDKIM added, each as NAME[value].
// Header values go as an MTA without SMFIP_HDR_LEADSPC sends them: the one space after the
// colon removed, folding kept.
std::string
lua_script(unsigned short port, std::string const& ip, std::string const& text)
{
    auto parts = dkim::split_message(text);
    std::string s;
    s += "local conn = mt.connect(\"inet:" + std::to_string(port) + "@127.0.0.1\", 40, 0.25)\n";
    s += "if conn == nil then error(\"cannot connect\") end\n";
    s += "mt.set_timeout(20)\n";
    s += "mt.macro(conn, SMFIC_CONNECT, \"j\", \"mta.example.net\")\n";
    s += "if mt.conninfo(conn, \"client.example.org\", " + lua_string(ip) +
         ") ~= nil then error(\"conninfo\") end\n";
    s += "mt.macro(conn, SMFIC_MAIL, \"i\", \"QUEUEID1\")\n";
    s += "if mt.mailfrom(conn, \"joe@example.com\") ~= nil then error(\"mailfrom\") end\n";
    s += "if mt.rcptto(conn, \"suzie@shopping.example.net\") ~= nil then error(\"rcptto\") end\n";
    for(auto const& h : parts.headers) {
        std::string value = h.raw_value;
        if(!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        s += "if mt.header(conn, " + lua_string(h.name) + ", " + lua_string(value) +
             ") ~= nil then error(\"header\") end\n";
    }
    s += "if mt.eoh(conn) ~= nil then error(\"eoh\") end\n";
    s += "if mt.bodystring(conn, " + lua_string(parts.body) + ") ~= nil then error(\"body\") end\n";
    s += "if mt.eom(conn) ~= nil then error(\"eom\") end\n";
    s += "for _, name in ipairs({\"DKIM-Signature\", \"Authentication-Results\"}) do\n"
         "  for i = 0, 3 do\n"
         "    local v = mt.getheader(conn, name, i)\n"
         "    if v ~= nil then print(name .. \"[\" .. v .. \"]\") end\n"
         "  end\n"
         "end\n"
         "mt.disconnect(conn)\n";
    return s;
}

// The values of every `name[...]` line miltertest printed.
std::vector<std::string>
printed(std::string const& out, std::string const& name)
{
    std::vector<std::string> values;
    std::size_t at = 0;
    auto const open = name + "[";
    while((at = out.find(open, at)) != std::string::npos) {
        if(at != 0 && out[at - 1] != '\n') {
            at += open.size();
            continue;
        }
        auto const start = at + open.size();
        auto const end = out.find("]\n", start);
        BOOST_REQUIRE(end != std::string::npos);
        values.push_back(out.substr(start, end - start));
        at = end;
    }
    return values;
}

std::string
crlf(std::string_view s)
{
    std::string out;
    for(std::size_t i = 0; i < s.size(); ++i) {
        if(s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            out += '\r';
        out += s[i];
    }
    return out;
}

bool
accepts_connections(unsigned short port)
{
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if(fd < 0)
        return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool const ok = ::connect(fd, reinterpret_cast<sockaddr const*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

struct key_set {
    dkim::private_key rsa;
    dkim::private_key ed;
};

/// One running OpenDKIM, configured for one algorithm and one canonicalisation pair, signing
/// for example.com with the key `selector`, looking keys up in `keys.txt`.
class opendkim {
public:
    opendkim(t::temp_dir const& dir, std::string const& name, std::string const& algorithm,
             std::string const& canon, std::string const& selector)
        : dir_(dir)
        , name_(name)
        , port_(t::free_port())
    {
        t::write_file(dir / (name + ".signingtable"),
                      "*@example.com " + selector + "._domainkey.example.com\n");
        t::write_file(dir / (name + ".conf"), "Syslog no\n"
                                              "Background no\n"
                                              "Mode sv\n"
                                              "SignatureAlgorithm " +
                                                  algorithm +
                                                  "\n"
                                                  "Canonicalization " +
                                                  canon +
                                                  "\n"
                                                  "KeyTable file:" +
                                                  (dir / "keytable").string() +
                                                  "\n"
                                                  "SigningTable refile:" +
                                                  (dir / (name + ".signingtable")).string() +
                                                  "\n"
                                                  "TestPublicKeys " +
                                                  (dir / "keys.txt").string() +
                                                  "\n"
                                                  "InternalHosts 127.0.0.1\n"
                                                  "AlwaysAddARHeader yes\n"
                                                  "AuthservID opendkim.test\n"
                                                  "RequireSafeKeys no\n"
                                                  "PidFile " +
                                                  (dir / (name + ".pid")).string() + "\n");
        process_.emplace(std::vector<std::string>{opendkim_bin, "-f", "-x", (dir / (name + ".conf")).string(),
                                                  "-p", "inet:" + std::to_string(port_) + "@127.0.0.1"},
                         log());
        bool const up =
            t::wait_until([&] { return !process_->running() || accepts_connections(port_); }, 15s);
        BOOST_REQUIRE_MESSAGE(up && process_->running(), "opendkim did not start: " << t::read_file(log()));
    }

    ~opendkim()
    {
        // libmilter takes over 5 s to exit on SIGTERM; nothing of it needs to survive.
        if(process_)
            process_->stop(200ms);
    }

    /// Runs `text` through OpenDKIM as sent by a client at `ip`; miltertest's output.
    std::string send(std::string const& ip, std::string const& text, std::string const& tag)
    {
        auto const script = dir_ / (name_ + "." + tag + ".lua");
        auto const out = dir_ / (name_ + "." + tag + ".out");
        t::write_file(script, lua_script(port_, ip, text));
        int const rc = t::run_program({miltertest_bin, "-s", script.string()}, out, 30s);
        auto const output = t::read_file(out);
        BOOST_REQUIRE_MESSAGE(rc == 0, "miltertest exited with " << rc << ": " << output
                                                                 << "\nopendkim: " << t::read_file(log()));
        return output;
    }

private:
    fs::path log() const { return dir_ / (name_ + ".log"); }

    t::temp_dir const& dir_;
    std::string name_;
    unsigned short port_;
    std::optional<t::child_process> process_;
};

std::string
our_sign(dkim::private_key const& key, std::string const& selector, dkim::canonicalization h,
         dkim::canonicalization b)
{
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = selector;
    o.header_canon = h;
    o.body_canon = b;
    dkim::signer s(key, o);
    auto parts = dkim::split_message(message);
    for(auto& f : parts.headers)
        s.on_header(std::move(f));
    s.on_body(parts.body);
    auto const f = s.finish();
    BOOST_REQUIRE(f.has_value());
    return f->name + ":" + f->raw_value + "\r\n" + message;
}

std::vector<dkim::signature_result>
our_verify(std::string const& signed_message, key_set const& keys)
{
    dns::zone_resolver zone;
    zone.add_txt("rsa._domainkey.example.com", record_for(keys.rsa));
    zone.add_txt("ed._domainkey.example.com", record_for(keys.ed));
    dkim::verifier v;
    auto parts = dkim::split_message(signed_message);
    for(auto& f : parts.headers)
        if(auto q = v.on_header(std::move(f)))
            v.on_key(q->name, zone.lookup(q->name, dns::rr_type::txt));
    for(std::size_t i = 0; i < parts.body.size(); i += 5)
        v.on_body(parts.body.substr(i, 5));
    return v.finish();
}

} // namespace

BOOST_AUTO_TEST_CASE(opendkim_and_we_verify_each_other)
{
    BOOST_REQUIRE_MESSAGE(
        ::access(opendkim_bin.c_str(), X_OK) == 0,
        "opendkim is not installed: run scripts/install-deps.sh (Debian package 'opendkim')");
    BOOST_REQUIRE_MESSAGE(
        ::access(miltertest_bin.c_str(), X_OK) == 0,
        "miltertest is not installed: run scripts/install-deps.sh (Debian package 'miltertest')");
    t::temp_dir dir("authmilter-opendkim-");
    auto const rsa_pem = generate_pem("RSA");
    auto const ed_pem = generate_pem("ED25519");
    key_set const keys{*dkim::private_key::from_pem(rsa_pem), *dkim::private_key::from_pem(ed_pem)};
    t::write_file(dir / "rsa.pem", rsa_pem);
    t::write_file(dir / "ed.pem", ed_pem);
    fs::permissions(dir / "rsa.pem", fs::perms::owner_read | fs::perms::owner_write);
    fs::permissions(dir / "ed.pem", fs::perms::owner_read | fs::perms::owner_write);
    t::write_file(dir / "keytable",
                  "rsa._domainkey.example.com example.com:rsa:" + (dir / "rsa.pem").string() +
                      "\n"
                      "ed._domainkey.example.com example.com:ed:" +
                      (dir / "ed.pem").string() + "\n");
    t::write_file(dir / "keys.txt", "rsa._domainkey.example.com " + record_for(keys.rsa) +
                                        "\n"
                                        "ed._domainkey.example.com " +
                                        record_for(keys.ed) + "\n");

    struct algo {
        char const* name;
        char const* selector;
        dkim::private_key const* key;
        std::string bits;
    };
    std::vector<algo> const algos = {{"rsa-sha256", "rsa", &keys.rsa, "2048-bit"},
                                     {"ed25519-sha256", "ed", &keys.ed, "256-bit"}};
    using dkim::canonicalization;
    std::vector<std::pair<canonicalization, canonicalization>> const modes = {
        {canonicalization::simple, canonicalization::simple},
        {canonicalization::simple, canonicalization::relaxed},
        {canonicalization::relaxed, canonicalization::simple},
        {canonicalization::relaxed, canonicalization::relaxed},
    };
    int instance = 0;
    for(auto const& a : algos) {
        for(auto const& m : modes) {
            std::string const canon =
                std::string(dkim::to_string(m.first)) + "/" + std::string(dkim::to_string(m.second));
            BOOST_TEST_CONTEXT(a.name << " " << canon)
            {
                opendkim od(dir, "od" + std::to_string(instance++), a.name, canon, a.selector);

                // OpenDKIM signs, we verify.
                auto const out = od.send("127.0.0.1", message, "sign");
                auto const sigs = printed(out, "DKIM-Signature");
                BOOST_REQUIRE_MESSAGE(sigs.size() == 1u, "no signature from opendkim: " << out);
                BOOST_TEST(sigs[0].find(std::string("a=") + a.name) != std::string::npos);
                BOOST_TEST(sigs[0].find("c=" + canon) != std::string::npos);
                // The MTA inserts the field as "DKIM-Signature:" + value, LF line ends made CRLF.
                auto const theirs = "DKIM-Signature:" + crlf(sigs[0]) + "\r\n" + message;
                auto const r = our_verify(theirs, keys);
                BOOST_REQUIRE_EQUAL(r.size(), 1u);
                BOOST_TEST(r[0].key_bits == a.key->bits());
                // OpenDKIM 2.11.0~beta2's ed25519-sha256 signatures with simple header
                // canonicalisation do not verify, not even by OpenDKIM itself (nor by dkimpy):
                // we must agree with it on its own signatures, whatever they are.
                bool const defect =
                    std::string(a.name) == "ed25519-sha256" && m.first == canonicalization::simple;
                auto const self = printed(od.send("192.0.2.1", theirs, "self"), "Authentication-Results");
                BOOST_REQUIRE_EQUAL(self.size(), 1u);
                BOOST_TEST((self[0].find("dkim=pass") != std::string::npos) == !defect,
                           "opendkim on its own signature: " << self[0]);
                if(defect)
                    BOOST_TEST((r[0].reason == dkim::error::signature_mismatch), r[0].entry_text());
                else
                    BOOST_TEST(r[0].passed(), "ours on opendkim's: " << r[0].entry_text());
                auto const bad = our_verify(tamper(theirs), keys);
                BOOST_REQUIRE_EQUAL(bad.size(), 1u);
                BOOST_TEST((bad[0].reason == dkim::error::body_hash_mismatch), bad[0].entry_text());

                // We sign, OpenDKIM verifies (from an external client: it verifies, not signs).
                auto const ours = our_sign(*a.key, a.selector, m.first, m.second);
                auto const verdict = od.send("192.0.2.1", ours, "verify");
                BOOST_TEST(printed(verdict, "DKIM-Signature").empty());
                auto const ar = printed(verdict, "Authentication-Results");
                BOOST_REQUIRE_MESSAGE(ar.size() == 1u, "no A-R from opendkim: " << verdict);
                BOOST_TEST(ar[0].find("opendkim.test;") != std::string::npos, ar[0]);
                BOOST_TEST(ar[0].find("dkim=pass") != std::string::npos, ar[0]);
                BOOST_TEST(ar[0].find("header.d=example.com") != std::string::npos, ar[0]);
                auto const refused = od.send("192.0.2.1", tamper(ours), "tampered");
                auto const ar2 = printed(refused, "Authentication-Results");
                BOOST_REQUIRE_EQUAL(ar2.size(), 1u);
                BOOST_TEST(ar2[0].find("dkim=fail") != std::string::npos, ar2[0]);
            }
        }
    }
}
