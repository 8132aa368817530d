// Fuzzes the DKIM key record parser and the conversion of p= into an OpenSSL key.
// Input: the TXT record text.
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/key_record.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace dkim = authmilter::dkim;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    dkim::key_record rec;
    auto const e = dkim::parse_key_record(text, rec);
    if(e == dkim::error::key_revoked && !rec.revoked)
        std::abort();
    if(e != dkim::error{})
        return 0;
    if(rec.key_data.empty() || !rec.type)
        std::abort();
    auto key = dkim::public_key::from_record(rec);
    if(!key)
        return 0;
    if(key->bits() == 0)
        std::abort();
    // A garbage signature over a garbage digest must simply not verify.
    std::string const md(32, 'x');
    std::string const sig(key->type() == dkim::key_type::ed25519 ? 64 : key->bits() / 8, 's');
    if(key->verify(dkim::hash_algorithm::sha256, md, sig))
        std::abort();
    return 0;
}
