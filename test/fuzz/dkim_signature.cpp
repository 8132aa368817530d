// Fuzzes the DKIM-Signature parser and, through a verifier without keys, header selection and
// header canonicalisation over hostile signature values. Input: a DKIM-Signature value.
#include <authmilter/dkim/signature.hpp>
#include <authmilter/dkim/verifier.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace dkim = authmilter::dkim;
    std::string_view const value(reinterpret_cast<char const*>(data), size);
    dkim::signature sig;
    auto const e = dkim::parse_signature(value, sig);
    auto const stripped = dkim::without_b_value(value);
    if(stripped.size() > value.size())
        std::abort();
    if(e == dkim::error{}) {
        // Invariants of an accepted signature.
        if(!sig.algo || sig.signature_data.empty() || sig.body_hash.empty() || sig.signed_headers.empty())
            std::abort();
        if(!dkim::detail::is_within(sig.identity_domain(), sig.domain))
            std::abort();
        if(sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp)
            std::abort();
    }
    // The whole verifier path without DNS: must end in a result, never crash.
    dkim::verify_options opts;
    opts.now = 1700000000;
    dkim::verifier v(opts);
    v.on_header({"From", " a@example.com"});
    auto const q = v.on_header({"DKIM-Signature", std::string(value)});
    if(q)
        v.on_key(q->name, authmilter::dns::answer{authmilter::dns::outcome::nxdomain, {}, 0});
    v.on_header({"Subject", value.size() > 20 ? std::string(value.substr(0, 20)) : std::string(value)});
    v.on_body("body\r\n");
    auto const r = v.finish();
    if(r.size() != 1 || r[0].res == dkim::result::pass)
        std::abort();
    (void)r[0].entry_text();
    return 0;
}
