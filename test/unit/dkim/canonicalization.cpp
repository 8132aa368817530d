// Test that header file is self-contained.
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/canonicalization.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace dkim = authmilter::dkim;
using dkim::canonicalization;

namespace {

// Straight from RFC 6376 3.4.3/3.4.4, one step at a time, no streaming: the oracle the
// streaming canonicaliser is checked against. Bare LF is a line end (see canonicalization.hpp).
std::string
reference(canonicalization c, std::string const& in)
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
        if(e == std::string::npos) {
            lines.push_back(body.substr(pos));
            break;
        }
        lines.push_back(body.substr(pos, e - pos));
        pos = e + 2;
    }
    if(lines.back().empty())
        lines.pop_back(); // the body ended with CRLF (or was empty)
    if(c == canonicalization::relaxed) {
        for(auto& l : lines) {
            std::string r;
            for(char ch : l) {
                bool const ws = ch == ' ' || ch == '\t';
                if(ws) {
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
    if(out.empty() && c == canonicalization::simple)
        out = "\r\n";
    return out;
}

std::string
chunked(canonicalization c, std::string const& in, std::vector<std::size_t> const& cuts)
{
    std::string out;
    dkim::body_canonicalizer canon(c, [&out](std::string_view s) { out.append(s); });
    std::size_t prev = 0;
    for(auto cut : cuts) {
        canon.update(std::string_view(in).substr(prev, cut - prev));
        prev = cut;
    }
    canon.update(std::string_view(in).substr(prev));
    canon.finish();
    return out;
}

std::string
sha256_b64(std::string const& s)
{
    dkim::digest d(dkim::hash_algorithm::sha256);
    d.update(s);
    return dkim::detail::base64_encode(d.final());
}

std::vector<std::string>
test_bodies()
{
    std::vector<std::string> out = {
        "",
        "\r\n",
        "\r\n\r\n\r\n",
        "abc",
        "abc\r\n",
        "abc\r\n\r\n\r\n",
        " C \r\nD \t E\r\n\r\n\r\n",
        "a\nb\n\n\n",
        "a\rb\r\n\r",
        "\r",
        "x\r\r\n\r\r\n",
        "  lead\r\n\t\ttabs \t here\t\r\n \r\n\t\r\n",
        "end with space ",
        "end with cr\r",
        "many  spaces   between    words and a\ttab\tor\t two\t\t",
        "line\r\n\r\n\r\nmore after empty lines\r\n   \r\n",
    };
    // Every conformance message's body, as stored (CRLF and LF files).
    auto const dir = std::filesystem::path(AUTHMILTER_TESTDATA_DIR) / "dkim" / "messages";
    for(auto const& e : std::filesystem::recursive_directory_iterator(dir)) {
        if(!e.is_regular_file())
            continue;
        std::ifstream f(e.path(), std::ios::binary);
        std::string const msg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        out.emplace_back(dkim::split_message(msg).body);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_canonicalization)

BOOST_AUTO_TEST_CASE(rfc6376_example)
{
    // RFC 6376 3.4.5
    std::string h;
    dkim::canonicalize_header(canonicalization::relaxed, "A", " X", h);
    dkim::canonicalize_header(canonicalization::relaxed, "B ", " Y\t\r\n\tZ  ", h);
    BOOST_TEST(h == "a:X\r\nb:Y Z\r\n");
    h.clear();
    dkim::canonicalize_header(canonicalization::simple, "A", " X", h);
    dkim::canonicalize_header(canonicalization::simple, "B ", " Y\t\r\n\tZ  ", h);
    BOOST_TEST(h == "A: X\r\nB : Y\t\r\n\tZ  \r\n");
    std::string const body = " C \r\nD \t E\r\n\r\n\r\n";
    BOOST_TEST(dkim::canonicalize_body(canonicalization::relaxed, body) == " C\r\nD E\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, body) == " C \r\nD \t E\r\n");
}

BOOST_AUTO_TEST_CASE(header_line_ends)
{
    // Folding delivered with bare LF (milter) hashes as CRLF in simple, unfolds in relaxed.
    std::string h;
    dkim::canonicalize_header(canonicalization::simple, "Subject", " a\n b", h);
    BOOST_TEST(h == "Subject: a\r\n b\r\n");
    h.clear();
    dkim::canonicalize_header(canonicalization::relaxed, "SUBJECT", "  a\n\t b  ", h);
    BOOST_TEST(h == "subject:a b\r\n");
    h.clear();
    dkim::canonicalize_header(canonicalization::relaxed, "X", "", h);
    BOOST_TEST(h == "x:\r\n");
}

BOOST_AUTO_TEST_CASE(empty_and_unterminated_bodies)
{
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "") == "\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::relaxed, "") == "");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::relaxed, "\r\n \r\n\t\r\n") == "");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "\r\n\r\n") == "\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "abc") == "abc\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::relaxed, "abc  ") == "abc\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "a\nb\n\n") == "a\r\nb\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "a\rb\r\n") == "a\rb\r\n");
    BOOST_TEST(dkim::canonicalize_body(canonicalization::simple, "a\r") == "a\r\r\n");
    // Well-known hashes of the empty body (RFC 6376 3.4.3, 3.4.4).
    BOOST_TEST(sha256_b64(dkim::canonicalize_body(canonicalization::simple, "")) ==
               "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    BOOST_TEST(sha256_b64(dkim::canonicalize_body(canonicalization::relaxed, "")) ==
               "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

BOOST_AUTO_TEST_CASE(matches_reference_on_fixed_bodies)
{
    for(auto const& body : test_bodies())
        for(auto c : {canonicalization::simple, canonicalization::relaxed})
            BOOST_TEST(dkim::canonicalize_body(c, body) == reference(c, body),
                       "body: " << body.substr(0, 40));
}

BOOST_AUTO_TEST_CASE(grind_every_split_point)
{
    // Small bodies: every single split point and every pair of split points give the same
    // output. Larger ones: every single split point (bounded), then random chunkings.
    std::mt19937 rng(6376);
    for(auto const& body : test_bodies()) {
        for(auto c : {canonicalization::simple, canonicalization::relaxed}) {
            auto const want = reference(c, body);
            std::size_t failures = 0;
            if(body.size() <= 64) {
                for(std::size_t i = 0; i <= body.size(); ++i)
                    for(std::size_t j = i; j <= body.size(); ++j)
                        failures += chunked(c, body, {i, j}) != want;
            } else {
                auto const step = body.size() > 4000 ? body.size() / 997 + 1 : 1;
                for(std::size_t i = 0; i <= body.size(); i += step)
                    failures += chunked(c, body, {i}) != want;
                for(int round = 0; round < 50; ++round) {
                    std::vector<std::size_t> cuts;
                    std::uniform_int_distribution<std::size_t> len(1, round % 2 ? 3 : 200);
                    for(std::size_t p = len(rng); p < body.size(); p += len(rng))
                        cuts.push_back(p);
                    failures += chunked(c, body, cuts) != want;
                }
            }
            BOOST_TEST(failures == 0u, to_string(c) << " body of " << body.size() << " bytes");
        }
    }
}

BOOST_AUTO_TEST_CASE(random_differential)
{
    // Random bodies over the bytes that matter (WSP, CR, LF, a word char) against the oracle,
    // in random chunks.
    std::mt19937 rng(8463);
    char const alphabet[] = {'a', 'b', ' ', ' ', '\t', '\r', '\n', '\n'};
    std::uniform_int_distribution<int> pick(0, sizeof alphabet - 1);
    std::size_t failures = 0;
    for(int n = 0; n < 3000; ++n) {
        std::string body(static_cast<std::size_t>(n % 97), ' ');
        for(auto& ch : body)
            ch = alphabet[pick(rng)];
        std::vector<std::size_t> cuts;
        std::uniform_int_distribution<std::size_t> len(1, 9);
        for(std::size_t p = len(rng); p < body.size(); p += len(rng))
            cuts.push_back(p);
        for(auto c : {canonicalization::simple, canonicalization::relaxed})
            failures += chunked(c, body, cuts) != reference(c, body);
    }
    BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(random_differential_mostly_clean)
{
    // Long clean lines (the SIMD fast path) with the odd byte that needs rewriting, CRLF and LF
    // line ends mixed, empty and whitespace-only lines, in random chunks.
    std::mt19937 rng(6376);
    std::size_t failures = 0;
    for(int n = 0; n < 400; ++n) {
        std::string body;
        auto const lines = rng() % 40;
        for(unsigned i = 0; i < lines; ++i) {
            auto const kind = rng() % 10;
            std::string line;
            if(kind == 0)
                line = "";
            else if(kind == 1)
                line = std::string(rng() % 4, " \t"[rng() % 2]);
            else
                for(unsigned w = rng() % 12; w-- > 0;)
                    line += std::string(1 + rng() % 9, static_cast<char>('a' + rng() % 26)) + " ";
            if(!line.empty() && kind > 1 && rng() % 3 != 0)
                line.pop_back(); // usually no trailing space
            if(kind == 2 && !line.empty())
                line[rng() % line.size()] = "\t\r "[rng() % 3];
            body += line + (rng() % 4 == 0 ? "\n" : "\r\n");
        }
        if(rng() % 3 == 0)
            body += "tail without line end";
        std::vector<std::size_t> cuts;
        std::uniform_int_distribution<std::size_t> len(1, n % 2 ? 40 : 400);
        for(std::size_t p = len(rng); p < body.size(); p += len(rng))
            cuts.push_back(p);
        for(auto c : {canonicalization::simple, canonicalization::relaxed}) {
            auto const want = reference(c, body);
            failures += chunked(c, body, {}) != want;
            failures += chunked(c, body, cuts) != want;
        }
    }
    BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(large_spans_pass_through)
{
    // With CRLF input and nothing to rewrite, the sink receives few, large spans.
    std::string body;
    for(int i = 0; i < 2000; ++i)
        body += "The quick brown fox jumps over the lazy dog, line " + std::to_string(i) + "\r\n";
    std::size_t calls = 0, bytes = 0;
    dkim::body_canonicalizer canon(canonicalization::relaxed, [&](std::string_view s) {
        ++calls;
        bytes += s.size();
    });
    canon.update(body);
    canon.finish();
    BOOST_TEST(bytes == body.size());
    BOOST_TEST(calls <= 3u);
}

BOOST_AUTO_TEST_CASE(body_hash_set_shares_and_limits)
{
    dkim::body_hash_set set;
    auto const a = set.add(canonicalization::relaxed, dkim::hash_algorithm::sha256, std::nullopt);
    auto const b = set.add(canonicalization::relaxed, dkim::hash_algorithm::sha256, std::nullopt);
    auto const l5 = set.add(canonicalization::relaxed, dkim::hash_algorithm::sha256, 5);
    auto const s1 = set.add(canonicalization::simple, dkim::hash_algorithm::sha1, std::nullopt);
    auto const l0 = set.add(canonicalization::simple, dkim::hash_algorithm::sha256, 0);
    BOOST_TEST(a == b);
    BOOST_TEST(a != l5);
    std::string const body = "Hello  world \r\nsecond\r\n\r\n";
    set.update(body.substr(0, 7));
    set.update(body.substr(7));
    set.finish();
    auto const relaxed = dkim::canonicalize_body(canonicalization::relaxed, body);
    BOOST_TEST(set.value(a) == [&] {
        dkim::digest d(dkim::hash_algorithm::sha256);
        d.update(relaxed);
        return d.final();
    }());
    BOOST_TEST(set.hashed(l5) == 5u);
    BOOST_TEST(set.value(l5) == [&] {
        dkim::digest d(dkim::hash_algorithm::sha256);
        d.update(relaxed.substr(0, 5));
        return d.final();
    }());
    BOOST_TEST(set.canonical_length(a) == relaxed.size());
    BOOST_TEST(set.value(s1).size() == 20u);
    BOOST_TEST(set.hashed(l0) == 0u);
    BOOST_TEST(sha256_b64("") == dkim::detail::base64_encode(set.value(l0)));
}

BOOST_AUTO_TEST_CASE(base64_round_trip)
{
    std::mt19937 rng(42);
    for(std::size_t n = 0; n < 70; ++n) {
        std::string raw(n, '\0');
        for(auto& c : raw)
            c = static_cast<char>(rng());
        auto const enc = dkim::detail::base64_encode(raw);
        auto folded = enc;
        if(folded.size() > 4)
            folded.insert(3, "\r\n\t ");
        auto const dec = dkim::detail::base64_decode(folded);
        BOOST_REQUIRE(dec.has_value());
        BOOST_TEST(*dec == raw);
    }
    BOOST_TEST(!dkim::detail::base64_decode("QU=JD").has_value());
    BOOST_TEST(!dkim::detail::base64_decode("QUJDR").has_value());
    BOOST_TEST(!dkim::detail::base64_decode("QUJ*").has_value());
    BOOST_TEST(*dkim::detail::base64_decode("QUI") == "AB"); // unpadded
    BOOST_TEST(*dkim::detail::base64_decode("QUI=") == "AB");
}

BOOST_AUTO_TEST_SUITE_END()
