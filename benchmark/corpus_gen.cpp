// corpus_gen: writes a benchmark corpus (see corpus.hpp) into a directory:
//   index.tsv            file, client ip, client name, helo, mail from, rcpt, kind (one line a message)
//   msgs/NNNNN.eml       the messages (CRLF)
//   bench.test.zone, 100.51.198.in-addr.arpa.zone   zone files for knotd (keys, SPF, DMARC, A, PTR)
//   keys/{rsa2048,rsa1024,ed25519}.pem          the signing keys (new ones unless --keys DIR)
// Usage: corpus_gen OUTDIR [--seed N] [--count N] [--body BYTES] [--max-body BYTES] [--only-rsa2048]
//                          [--keys DIR]   (sign with the keys of an earlier corpus: one zone for both)
#include <filesystem>
#include <fstream>
#include <iostream>

#include "corpus.hpp"

int
main(int argc, char** argv)
{
    if(argc < 2) {
        std::cerr << "usage: corpus_gen OUTDIR [--seed N] [--count N] [--body BYTES] [--max-body BYTES] "
                     "[--only-rsa2048]\n";
        return 2;
    }
    std::filesystem::path const out = argv[1];
    bench::corpus_options o;
    std::filesystem::path keys_dir;
    for(int i = 2; i < argc; ++i) {
        std::string const a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::stoull(argv[++i]) : 0ull; };
        if(a == "--seed")
            o.seed = next();
        else if(a == "--count")
            o.count = next();
        else if(a == "--body")
            o.fixed_body = next();
        else if(a == "--max-body")
            o.max_body = next();
        else if(a == "--keys" && i + 1 < argc)
            keys_dir = argv[++i];
        else if(a == "--only-rsa2048")
            o.only_rsa2048 = true;
        else {
            std::cerr << "corpus_gen: unknown option " << a << "\n";
            return 2;
        }
    }
    std::filesystem::create_directories(out / "msgs");
    std::filesystem::create_directories(out / "keys");
    char const* const key_names[] = {"rsa2048", "rsa1024", "ed25519"};
    std::string pems[3];
    for(int k = 0; k < 3; ++k) {
        if(!keys_dir.empty()) {
            std::ifstream f(keys_dir / (std::string(key_names[k]) + ".pem"));
            pems[k].assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        } else
            pems[k] = k == 0   ? bench::generate_pem("RSA", 2048)
                      : k == 1 ? bench::generate_pem("RSA", 1024)
                               : bench::generate_pem("ED25519");
        std::ofstream(out / "keys" / (std::string(key_names[k]) + ".pem")) << pems[k];
    }
    auto key = [&](int k) {
        auto r = authmilter::dkim::private_key::from_pem(pems[k]);
        if(!r)
            throw std::runtime_error(std::string("bad key ") + key_names[k]);
        return *r;
    };
    bench::corpus_generator g(o, bench::corpus_keys{key(0), key(1), key(2)});
    auto const msgs = g.generate();
    std::ofstream index(out / "index.tsv");
    std::size_t bytes = 0;
    for(std::size_t i = 0; i < msgs.size(); ++i) {
        auto const& m = msgs[i];
        char name[32];
        std::snprintf(name, sizeof name, "msgs/%05zu.eml", i);
        std::ofstream(out / name, std::ios::binary) << m.text;
        index << name << '\t' << m.client_ip << '\t' << m.client_name << '\t' << m.helo << '\t' << m.mail_from
              << '\t' << m.rcpt << '\t' << m.kind << '\n';
        bytes += m.text.size();
    }
    std::ofstream(out / "bench.test.zone") << g.forward_zone();
    std::ofstream(out / "100.51.198.in-addr.arpa.zone") << g.reverse_zone();
    std::cout << "corpus_gen: " << msgs.size() << " messages, " << bytes << " bytes in " << out.string()
              << "\n";
    return 0;
}
