// Deterministic benchmark corpus: realistic messages, DKIM-signed by our signer, with envelopes
// and the DNS data (keys, SPF with includes, DMARC, PTR/A) they need. Same seed, same messages;
// the keys are generated fresh unless PEM files are given, so signatures differ between runs
// that do not share keys (their cost does not).
#ifndef AUTHMILTER_BENCHMARK_CORPUS_HPP
#define AUTHMILTER_BENCHMARK_CORPUS_HPP

#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace bench {

namespace dkim = authmilter::dkim;

/// One SMTP transaction of the corpus.
struct corpus_message {
    std::string client_ip;
    std::string client_name; ///< the PTR name ("unknown" style brackets when none)
    std::string helo;
    std::string mail_from;
    std::string rcpt;
    std::string text; ///< the message, CRLF line ends
    std::string kind; ///< what it is: "rsa2048", "ed25519+rsa2048", "broken-body", ...
};

/// The signing keys of the corpus' domains.
struct corpus_keys {
    dkim::private_key rsa2048, rsa1024, ed25519;

    static corpus_keys generate()
    {
        return {*dkim::private_key::from_pem(generate_pem("RSA", 2048)),
                *dkim::private_key::from_pem(generate_pem("RSA", 1024)),
                *dkim::private_key::from_pem(generate_pem("ED25519"))};
    }
};

/// What to generate.
struct corpus_options {
    std::uint64_t seed = 1;
    std::size_t count = 200;
    std::size_t domains = 20;
    /// Body size: every message `min_body` .. `max_body` (log-uniform), unless `fixed_body`.
    std::size_t min_body = 2 * 1024;
    std::size_t max_body = 10 * 1024 * 1024;
    std::size_t fixed_body = 0;
    /// Share of messages: MIME with a base64 attachment; two signatures; broken on purpose.
    double mime = 0.4, two_sigs = 0.1, broken = 0.1;
    /// Only one kind of signature (rsa-2048) on every message, as the issue's headline case.
    bool only_rsa2048 = false;
};

/// The domains are dN.bench.test; client IPs in 198.51.100.0/24 (TEST-NET-2: not a local range,
/// so LocalIP leaves the SPF, IPRev and PTR checks to run, unlike 198.18.0.0/15).
inline std::string
corpus_domain(std::size_t i)
{
    return "d" + std::to_string(i) + ".bench.test";
}

class corpus_generator {
public:
    corpus_generator(corpus_options o, corpus_keys keys)
        : o_(std::move(o))
        , keys_(std::move(keys))
        , rng_(o_.seed)
    {}

    std::vector<corpus_message> generate()
    {
        std::vector<corpus_message> out;
        out.reserve(o_.count);
        for(std::size_t i = 0; i < o_.count; ++i)
            out.push_back(one(i));
        return out;
    }

    /// A knotd-loadable zone file for bench.test (SOA, NS, keys, SPF, DMARC, A records).
    std::string forward_zone() const
    {
        std::string z = "$ORIGIN bench.test.\n$TTL 3600\n"
                        "@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300\n"
                        "@ IN NS ns.bench.test.\nns IN A 127.0.0.1\n";
        z += "_spf1 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.0/24 include:_spf2.bench.test ~all\"\n";
        z += "_spf2 IN TXT \"v=spf1 ip6:2001:db8::/32 include:_spf3.bench.test ~all\"\n";
        z += "_spf3 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n";
        for(std::size_t d = 0; d < o_.domains; ++d) {
            auto const n = "d" + std::to_string(d);
            z += n + " IN TXT \"v=spf1 a mx include:_spf1.bench.test -all\"\n";
            z += n + " IN A 192.0.2." + std::to_string(d + 1) + "\n";
            z += n + " IN MX 10 mx." + n + ".bench.test.\n";
            z += "mx." + n + " IN A 192.0.2." + std::to_string(d + 1) + "\n";
            z += "_dmarc." + n + " IN TXT \"v=DMARC1; p=" +
                 (d % 3 == 0   ? "reject"
                  : d % 3 == 1 ? "quarantine"
                               : "none") +
                 "; rua=mailto:dmarc@" + n + ".bench.test\"\n";
            z += key_rr("rsa2048._domainkey." + n, keys_.rsa2048);
            z += key_rr("rsa1024._domainkey." + n, keys_.rsa1024);
            z += key_rr("ed25519._domainkey." + n, keys_.ed25519);
        }
        for(std::size_t a = 0; a < 8; ++a)
            for(std::size_t b = 1; b <= 31; ++b)
                z += host_name(a, b) + " IN A " + client_ip(a, b) + "\n";
        return z;
    }

    /// The reverse zone 100.51.198.in-addr.arpa for the client addresses.
    std::string reverse_zone() const
    {
        std::string z = "$ORIGIN 100.51.198.in-addr.arpa.\n$TTL 3600\n"
                        "@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300\n"
                        "@ IN NS ns.bench.test.\n";
        for(std::size_t a = 0; a < 8; ++a)
            for(std::size_t b = 1; b <= 31; ++b)
                z += std::to_string(a * 32 + b) + " IN PTR " + host_name(a, b) + ".bench.test.\n";
        return z;
    }

private:
    static std::string client_ip(std::size_t a, std::size_t b)
    {
        return "198.51.100." + std::to_string(a * 32 + b);
    }

    static std::string host_name(std::size_t a, std::size_t b)
    {
        return "mail-" + std::to_string(a) + "-" + std::to_string(b) + ".out";
    }

    static std::string key_rr(std::string const& name, dkim::private_key const& k)
    {
        // TXT strings are at most 255 octets: split the record.
        std::string const rec = std::string("v=DKIM1; k=") +
                                (k.type() == dkim::key_type::ed25519 ? "ed25519" : "rsa") +
                                "; p=" + dkim::detail::base64_encode(k.public_key_data());
        std::string out = name + " IN TXT (";
        for(std::size_t i = 0; i < rec.size(); i += 200)
            out += " \"" + rec.substr(i, 200) + "\"";
        return out + " )\n";
    }

    std::size_t uniform(std::size_t lo, std::size_t hi)
    {
        return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
    }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    std::string word()
    {
        static constexpr char const* words[] = {
            "the",    "meeting",  "invoice",  "report",   "quarterly", "update",  "please",
            "review", "attached", "project",  "status",   "thanks",    "regards", "schedule",
            "budget", "team",     "deadline", "customer", "server",    "release", "notes",
            "draft",  "proposal", "contract", "shipping", "order",     "account"};
        return words[uniform(0, std::size(words) - 1)];
    }

    std::string text_body(std::size_t size)
    {
        std::string b;
        b.reserve(size + 100);
        while(b.size() < size) {
            std::string line;
            auto const len = uniform(20, 76);
            while(line.size() < len)
                line += (line.empty() ? "" : chance(0.03) ? "  " : " ") + word();
            if(chance(0.02))
                line += " "; // trailing white space, as real mail has: relaxed canonicalisation works
            b += line + "\r\n";
            if(chance(0.08))
                b += "\r\n";
        }
        return b;
    }

    std::string base64_lines(std::size_t size)
    {
        std::string raw(size, '\0');
        for(auto& c : raw)
            c = static_cast<char>(rng_() & 0xff);
        auto const enc = dkim::detail::base64_encode(raw);
        std::string out;
        out.reserve(enc.size() + enc.size() / 38);
        for(std::size_t i = 0; i < enc.size(); i += 76)
            out += enc.substr(i, 76) + "\r\n";
        return out;
    }

    corpus_message one(std::size_t i)
    {
        corpus_message m;
        auto const d = uniform(0, o_.domains - 1);
        auto const domain = corpus_domain(d);
        auto const a = uniform(0, 7), b = uniform(1, 31);
        m.client_ip = client_ip(a, b);
        m.client_name = host_name(a, b) + ".bench.test";
        m.helo = m.client_name;
        auto const user = word() + "." + word();
        m.mail_from = "bounce-" + std::to_string(i) + "@" + domain;
        m.rcpt = "user" + std::to_string(uniform(1, 500)) + "@example.net";

        std::size_t size = o_.fixed_body;
        if(size == 0) {
            std::lognormal_distribution<double> ln(std::log(12000.0), 1.6);
            auto const s = static_cast<std::size_t>(ln(rng_));
            size = std::clamp(s, o_.min_body, o_.max_body);
        }
        bool const mime = !o_.only_rsa2048 && chance(o_.mime) && size > 4096;
        std::string const boundary = "=_bench_" + std::to_string(rng_());
        std::vector<core_field> h;
        h.push_back({"Received", " from " + m.helo + " (" + m.client_name + " [" + m.client_ip +
                                     "])\r\n\tby relay.bench.test (Postfix) with ESMTPS id 4Q" +
                                     std::to_string(rng_() % 100000000) + "\r\n\tfor <" + m.rcpt +
                                     ">; Tue, 1 Dec 2026 10:00:00 +0000"});
        h.push_back({"From", " \"" + user + "\" <" + user + "@" + domain + ">"});
        h.push_back({"To", " <" + m.rcpt + ">"});
        h.push_back({"Subject", " Re: " + word() + " " + word() + " " + word() + " for " + word()});
        h.push_back({"Date", " Tue, 1 Dec 2026 10:00:" + std::to_string(10 + i % 50) + " +0000"});
        h.push_back(
            {"Message-ID", " <" + std::to_string(rng_()) + "." + std::to_string(i) + "@" + domain + ">"});
        h.push_back({"MIME-Version", " 1.0"});
        if(mime)
            h.push_back({"Content-Type", " multipart/mixed;\r\n\tboundary=\"" + boundary + "\""});
        else {
            h.push_back({"Content-Type", " text/plain; charset=utf-8"});
            h.push_back({"Content-Transfer-Encoding", " 7bit"});
        }
        h.push_back({"List-Unsubscribe", " <mailto:unsubscribe@" + domain + ">"});
        h.push_back({"X-Mailer", " bench-mailer 1.0"});

        std::string body;
        if(mime) {
            auto const text = std::min<std::size_t>(size / 5 + 500, 20000);
            body = "This is a multi-part message in MIME format.\r\n\r\n--" + boundary +
                   "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text_body(text) + "--" + boundary +
                   "\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: "
                   "base64\r\n"
                   "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n" +
                   base64_lines((size > text ? size - text : 1024) * 3 / 4) + "--" + boundary + "--\r\n";
        } else
            body = text_body(size);

        // Signatures.
        std::vector<std::pair<dkim::private_key const*, std::string>> sigs;
        if(o_.only_rsa2048) {
            sigs.push_back({&keys_.rsa2048, "rsa2048"});
        } else {
            auto const pick = uniform(0, 9);
            if(pick < 6)
                sigs.push_back({&keys_.rsa2048, "rsa2048"});
            else if(pick < 8)
                sigs.push_back({&keys_.ed25519, "ed25519"});
            else
                sigs.push_back({&keys_.rsa1024, "rsa1024"});
            if(chance(o_.two_sigs))
                sigs.insert(sigs.begin(), {&keys_.ed25519, "ed25519"});
        }
        std::vector<std::string> sig_fields;
        for(auto const& [key, sel] : sigs) {
            dkim::sign_options so;
            so.domain = domain;
            so.selector = sel;
            so.timestamp = 1796112000;
            dkim::signer s(*key, so);
            for(auto const& f : h)
                s.on_header({f.name, f.value});
            s.on_body(body);
            auto f = s.finish();
            if(!f)
                throw std::runtime_error("signing failed");
            sig_fields.insert(sig_fields.begin(), "DKIM-Signature:" + f->raw_value + "\r\n");
            m.kind += (m.kind.empty() ? "" : "+") + sel;
        }
        if(!o_.only_rsa2048 && chance(o_.broken)) {
            // Broken on purpose: a mailing list footer after signing (body hash mismatch).
            body += "-- \r\nTo unsubscribe, write to list@lists.bench.test\r\n";
            m.kind += "+broken";
        }
        if(mime)
            m.kind += "+mime";
        m.text.reserve(body.size() + 4096);
        // The trace field on top, as the receiving MTA put it there after the signer.
        m.text += h[0].name + ":" + h[0].value + "\r\n";
        for(auto const& s : sig_fields)
            m.text += s;
        for(std::size_t k = 1; k < h.size(); ++k)
            m.text += h[k].name + ":" + h[k].value + "\r\n";
        m.text += "\r\n";
        m.text += body;
        return m;
    }

    struct core_field {
        std::string name, value;
    };

    corpus_options o_;
    corpus_keys keys_;
    std::mt19937_64 rng_;
};

} // namespace bench

#endif
