// DKIM interoperability with two independent implementations, Debian's python3-dkim (dkimpy)
// and libmail-dkim-perl (Mail::DKIM), both installed by scripts/install-deps.sh:
//  - what our signer produces, they verify (rsa-sha256 both; ed25519-sha256 dkimpy only, as
//    Mail::DKIM 1.20230212 has no Ed25519), for every canonicalisation pair;
//  - what they sign, our verifier verifies.
// Keys are generated per run; DNS is replaced by the key record handed to each tool directly.
#define BOOST_TEST_MODULE dkim_interop
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace dkim = authmilter::dkim;
namespace dns = authmilter::dns;
namespace fs = std::filesystem;

namespace {

std::string const message = "From: Joe SixPack <joe@football.example.com>\r\n"
                            "To: Suzie Q <suzie@shopping.example.net>\r\n"
                            "Subject:   Is dinner\r\n\tready?\r\n"
                            "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                            "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
                            "\r\n"
                            "Hi.\r\n"
                            "\r\n"
                            "We lost the game.  Are you hungry yet?  \r\n"
                            "\ttabbed line\r\n"
                            "\r\n"
                            "Joe.\r\n"
                            "\r\n\r\n";

std::string const py_verify = R"(
import sys, dkim
msg = open(sys.argv[1], 'rb').read()
record = open(sys.argv[2], 'rb').read()
try:
    ok = dkim.DKIM(msg, minkey=1024).verify(dnsfunc=lambda name, timeout=5: record)
except dkim.ValidationError as e:
    ok = False
print('pass' if ok else 'fail')
)";

std::string const py_sign = R"(
import sys, dkim
msg = open(sys.argv[1], 'rb').read()
key = open(sys.argv[2], 'rb').read()
c = sys.argv[3].encode().split(b'/')
sig = dkim.sign(msg, b'py', b'example.com', key, canonicalize=(c[0], c[1]),
                signature_algorithm=sys.argv[4].encode(),
                include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
sys.stdout.buffer.write(sig + msg)
)";

std::string const pl_verify = R"(
use strict; use warnings;
use Mail::DKIM::Verifier; use Net::DNS;
my ($file, $recfile) = @ARGV;
open my $r, '<', $recfile or die; my $rec = do { local $/; <$r> };
no warnings 'redefine';
*Mail::DKIM::DNS::query = sub {
    my ($name, $type) = @_;
    my @chunks = unpack('(A255)*', $rec);
    return Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [@chunks]);
};
my $v = Mail::DKIM::Verifier->new();
open my $f, '<', $file or die; binmode $f;
while(<$f>) { $v->PRINT($_); }
$v->CLOSE;
print $v->result, "\n";
)";

std::string const pl_sign = R"(
use strict; use warnings;
use Mail::DKIM::Signer;
my ($file, $keyfile, $canon) = @ARGV;
my $s = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => $canon, Domain => 'example.com',
    Selector => 'pl', KeyFile => $keyfile, Headers => 'from:to:subject:date:message-id');
open my $f, '<', $file or die; binmode $f;
my $msg = do { local $/; <$f> };
$s->PRINT($msg);
$s->CLOSE;
binmode STDOUT;
print 'DKIM-Signature: ', $s->signature->as_string =~ s/^DKIM-Signature:\s*//r, "\r\n", $msg;
)";

struct workdir {
    fs::path dir = fs::temp_directory_path() / ("authmilter-dkim-interop-" + std::to_string(::getpid()));
    workdir() { fs::create_directories(dir); }
    ~workdir()
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string write(std::string const& name, std::string const& content) const
    {
        auto const p = dir / name;
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }
};

std::string
run(std::string const& command)
{
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    BOOST_REQUIRE_MESSAGE(p != nullptr, "cannot run " << command);
    char buf[4096];
    std::size_t n;
    while((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    auto const status = ::pclose(p);
    BOOST_TEST_REQUIRE(status == 0, command << " exited with " << status << ": " << out);
    return out;
}

std::string
trim(std::string s)
{
    while(!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

std::string
generate_pem(char const* type, bool traditional = false)
{
    EVP_PKEY* k = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    BOOST_REQUIRE(k != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    if(traditional)
        PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    else
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

std::string
our_verify(std::string const& signed_message, std::string const& name, std::string const& record)
{
    dns::zone_resolver zone;
    zone.add_txt(name, record);
    dkim::verifier v;
    auto parts = dkim::split_message(signed_message);
    for(auto& f : parts.headers)
        if(auto q = v.on_header(std::move(f)))
            v.on_key(q->name, zone.lookup(q->name, dns::rr_type::txt));
    for(std::size_t i = 0; i < parts.body.size(); i += 7)
        v.on_body(parts.body.substr(i, 7));
    auto const r = v.finish();
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST_MESSAGE(r[0].entry_text());
    return std::string(dkim::to_string(r[0].res));
}

std::vector<std::pair<dkim::canonicalization, dkim::canonicalization>> const modes = {
    {dkim::canonicalization::simple, dkim::canonicalization::simple},
    {dkim::canonicalization::simple, dkim::canonicalization::relaxed},
    {dkim::canonicalization::relaxed, dkim::canonicalization::simple},
    {dkim::canonicalization::relaxed, dkim::canonicalization::relaxed},
};

std::string
mode_name(std::pair<dkim::canonicalization, dkim::canonicalization> m)
{
    return std::string(dkim::to_string(m.first)) + "/" + std::string(dkim::to_string(m.second));
}

} // namespace

BOOST_AUTO_TEST_CASE(dkimpy_and_mail_dkim_verify_our_signatures)
{
    workdir w;
    auto const py = w.write("verify.py", py_verify);
    auto const pl = w.write("verify.pl", pl_verify);
    auto const rsa = *dkim::private_key::from_pem(generate_pem("RSA"));
    auto const ed = *dkim::private_key::from_pem(generate_pem("ED25519"));
    auto const rsa_rec = w.write("rsa.txt", record_for(rsa));
    auto const ed_rec = w.write("ed.txt", record_for(ed));
    for(auto const& m : modes) {
        auto const rsa_msg = w.write("rsa.eml", our_sign(rsa, "rsa", m.first, m.second));
        BOOST_TEST(trim(run("/usr/bin/python3 " + py + " " + rsa_msg + " " + rsa_rec)) == "pass",
                   "dkimpy rsa " << mode_name(m));
        BOOST_TEST(trim(run("perl " + pl + " " + rsa_msg + " " + rsa_rec)) == "pass",
                   "Mail::DKIM rsa " << mode_name(m));
        auto const ed_msg = w.write("ed.eml", our_sign(ed, "ed", m.first, m.second));
        BOOST_TEST(trim(run("/usr/bin/python3 " + py + " " + ed_msg + " " + ed_rec)) == "pass",
                   "dkimpy ed25519 " << mode_name(m));
    }
    // And a tampered message fails there too, so "pass" above means something.
    auto tampered = our_sign(rsa, "rsa", dkim::canonicalization::relaxed, dkim::canonicalization::relaxed);
    tampered.replace(tampered.find("lost"), 4, "won!");
    auto const bad = w.write("bad.eml", tampered);
    BOOST_TEST(trim(run("/usr/bin/python3 " + py + " " + bad + " " + rsa_rec)) == "fail");
    BOOST_TEST(trim(run("perl " + pl + " " + bad + " " + rsa_rec)) == "fail");
}

BOOST_AUTO_TEST_CASE(we_verify_dkimpy_and_mail_dkim_signatures)
{
    workdir w;
    auto const py = w.write("sign.py", py_sign);
    auto const pl = w.write("sign.pl", pl_sign);
    auto const msg = w.write("msg.eml", message);
    // dkimpy and Mail::DKIM want a traditional PKCS#1 RSA PEM; dkimpy takes the raw Ed25519
    // seed, base64.
    auto const rsa_pem = generate_pem("RSA", true);
    auto const rsa = *dkim::private_key::from_pem(rsa_pem);
    auto const rsa_key = w.write("rsa.pem", rsa_pem);
    std::string seed(32, '\0');
    for(std::size_t i = 0; i < seed.size(); ++i)
        seed[i] = static_cast<char>(i * 7 + 1);
    auto const ed = *dkim::private_key::from_ed25519_seed(seed);
    auto const ed_key = w.write("ed.key", dkim::detail::base64_encode(seed));
    for(auto const& m : modes) {
        auto const name = mode_name(m);
        auto const by_py =
            run("/usr/bin/python3 " + py + " " + msg + " " + rsa_key + " " + name + " rsa-sha256");
        BOOST_TEST(our_verify(by_py, "py._domainkey.example.com", record_for(rsa)) == "pass",
                   "dkimpy rsa " << name);
        auto const by_py_ed =
            run("/usr/bin/python3 " + py + " " + msg + " " + ed_key + " " + name + " ed25519-sha256");
        BOOST_TEST(our_verify(by_py_ed, "py._domainkey.example.com", record_for(ed)) == "pass",
                   "dkimpy ed25519 " << name);
        auto const by_pl = run("perl " + pl + " " + msg + " " + rsa_key + " " + name);
        BOOST_TEST(our_verify(by_pl, "pl._domainkey.example.com", record_for(rsa)) == "pass",
                   "Mail::DKIM rsa " << name);
    }
}
