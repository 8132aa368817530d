// Fuzzes streaming body canonicalisation: the input's first byte seeds the chunk sizes, the
// rest is the body. The one-piece output must equal a byte-by-byte oracle, any chunking must
// give the same output, and the
// shared body hashes must agree with hashing that output directly (with and without l=).
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/canonicalization.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

// RFC 6376 3.4.3/3.4.4 step by step on the whole body (bare LF = line end): the oracle.
std::string
reference(authmilter::dkim::canonicalization c, std::string_view in)
{
    std::string body;
    for(std::size_t i = 0; i < in.size(); ++i) {
        if(in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
            body += '\r';
        body += in[i];
    }
    std::vector<std::string> lines;
    std::size_t pos = 0;
    for(;;) {
        auto const e = body.find("\r\n", pos);
        lines.push_back(body.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
        if(e == std::string::npos)
            break;
        pos = e + 2;
    }
    if(lines.back().empty())
        lines.pop_back();
    if(c == authmilter::dkim::canonicalization::relaxed) {
        for(auto& l : lines) {
            std::string r;
            for(char ch : l) {
                if(ch == ' ' || ch == '\t') {
                    if(r.empty() || r.back() != ' ')
                        r += ' ';
                } else
                    r += ch;
            }
            while(!r.empty() && r.back() == ' ')
                r.pop_back();
            l = r;
        }
    }
    while(!lines.empty() && lines.back().empty())
        lines.pop_back();
    std::string out;
    for(auto const& l : lines)
        out += l + "\r\n";
    if(out.empty() && c == authmilter::dkim::canonicalization::simple)
        out = "\r\n";
    return out;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace dkim = authmilter::dkim;
    if(size == 0)
        return 0;
    unsigned seed = data[0];
    std::string_view const body(reinterpret_cast<char const*>(data + 1), size - 1);
    auto const next_len = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return static_cast<std::size_t>((seed >> 16) % 17);
    };
    for(auto c : {dkim::canonicalization::simple, dkim::canonicalization::relaxed}) {
        auto const whole = dkim::canonicalize_body(c, body);
        if(whole != reference(c, body))
            std::abort();
        std::string out;
        dkim::body_canonicalizer canon(c, [&out](std::string_view s) { out.append(s); });
        dkim::body_hash_set set;
        auto const full = set.add(c, dkim::hash_algorithm::sha256, std::nullopt);
        auto const limited = set.add(c, dkim::hash_algorithm::sha256, body.size() / 2);
        for(std::size_t pos = 0; pos < body.size();) {
            auto const n = next_len(); // zero-length chunks included on purpose
            auto const piece = body.substr(pos, n);
            canon.update(piece);
            set.update(piece);
            pos += piece.size();
        }
        canon.finish();
        set.finish();
        if(out != whole)
            std::abort();
        dkim::digest d(dkim::hash_algorithm::sha256);
        d.update(whole);
        if(set.value(full) != d.final())
            std::abort();
        dkim::digest dl(dkim::hash_algorithm::sha256);
        dl.update(std::string_view(whole).substr(0, body.size() / 2));
        if(set.value(limited) != dl.final() || set.canonical_length(full) != whole.size())
            std::abort();
        // relaxed output never has WSP before CRLF nor two WSP in a row
        if(c == dkim::canonicalization::relaxed &&
           (whole.find(" \r\n") != std::string::npos || whole.find("  ") != std::string::npos ||
            whole.find('\t') != std::string::npos))
            std::abort();
    }
    return 0;
}
