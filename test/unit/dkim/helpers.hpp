// Shared by the DKIM unit tests: key generation, synchronous verification against a zone.
#ifndef AUTHMILTER_TEST_UNIT_DKIM_HELPERS_HPP
#define AUTHMILTER_TEST_UNIT_DKIM_HELPERS_HPP

#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/message.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/dkim/verifier.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace dkim_test {

namespace dkim = authmilter::dkim;
namespace dns = authmilter::dns;

/// A fresh key as PEM (PKCS#8): "RSA" with `bits`, or "ED25519".
inline std::string
generate_pem(char const* type, std::size_t bits = 2048)
{
    EVP_PKEY* k = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    if(!k)
        throw std::runtime_error("keygen failed");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    auto const len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(k);
    return pem;
}

/// The key record publishing `key`, with extra tags in front.
inline std::string
key_record_for(dkim::private_key const& key, std::string const& extra = "")
{
    return "v=DKIM1; " + extra + (key.type() == dkim::key_type::ed25519 ? "k=ed25519; " : "k=rsa; ") +
           "p=" + dkim::detail::base64_encode(key.public_key_data());
}

/// Runs the verifier as a milter handler would: each key answered as soon as its query shows
/// up, the body fed in chunks of `chunk` bytes.
inline std::vector<dkim::signature_result>
verify(std::string const& message, dns::zone_resolver& zone, dkim::verify_options opts = {},
       std::size_t chunk = 65536, std::vector<std::string>* queried = nullptr)
{
    dkim::verifier v(opts);
    auto parts = dkim::split_message(message);
    for(auto& h : parts.headers) {
        if(auto q = v.on_header(std::move(h))) {
            if(queried)
                queried->push_back(q->name);
            v.on_key(q->name, zone.lookup(q->name, dns::rr_type::txt));
        }
    }
    for(std::size_t i = 0; i < parts.body.size(); i += chunk)
        v.on_body(parts.body.substr(i, chunk));
    return v.finish();
}

/// Signs `message` (CRLF text) and returns it with the DKIM-Signature field prepended.
inline std::string
sign(std::string const& message, dkim::private_key const& key, dkim::sign_options opts,
     std::size_t chunk = 65536)
{
    dkim::signer s(key, std::move(opts));
    auto parts = dkim::split_message(message);
    for(auto& h : parts.headers)
        s.on_header(std::move(h));
    for(std::size_t i = 0; i < parts.body.size(); i += chunk)
        s.on_body(parts.body.substr(i, chunk));
    auto field = s.finish();
    if(!field)
        throw std::runtime_error("signing failed: " + field.error().message());
    return field->name + ":" + field->raw_value + "\r\n" + message;
}

inline std::string const sample_message = "From: Joe SixPack <joe@football.example.com>\r\n"
                                          "To: Suzie Q <suzie@shopping.example.net>\r\n"
                                          "Subject: Is dinner ready?\r\n"
                                          "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                                          "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
                                          "\r\n"
                                          "Hi.\r\n"
                                          "\r\n"
                                          "We lost the game.  Are you hungry yet?\r\n"
                                          "\r\n"
                                          "Joe.\r\n";

} // namespace dkim_test

#endif
