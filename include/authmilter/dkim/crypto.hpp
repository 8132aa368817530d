// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_CRYPTO_HPP
#define AUTHMILTER_DKIM_CRYPTO_HPP

#include <authmilter/dkim/detail/openssl.hpp>
#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/key_record.hpp>
#include <authmilter/dkim/signature.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::dkim {

/// The OpenSSL digest of a hash algorithm.
inline EVP_MD const*
evp_md(hash_algorithm h) noexcept
{
    return h == hash_algorithm::sha1 ? EVP_sha1() : EVP_sha256();
}

/// An incremental hash (SHA-1 or SHA-256) through OpenSSL EVP. Movable, not copyable.
class digest {
public:
    explicit digest(hash_algorithm h)
        : ctx_(EVP_MD_CTX_new())
    {
        if(ctx_)
            ok_ = EVP_DigestInit_ex(ctx_.get(), evp_md(h), nullptr) == 1;
    }

    /// Feeds bytes; large spans are passed to OpenSSL in one call.
    void update(std::string_view s) noexcept
    {
        if(ok_ && !s.empty())
            ok_ = EVP_DigestUpdate(ctx_.get(), s.data(), s.size()) == 1;
    }

    /// The digest; empty if OpenSSL failed. The object cannot be updated afterwards.
    std::string final()
    {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if(!ok_ || EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
            ok_ = false;
            return {};
        }
        ok_ = false;
        return std::string(reinterpret_cast<char const*>(md), len);
    }

private:
    detail::md_ctx_ptr ctx_;
    bool ok_ = false;
};

/// A verification key made from a key record: RSA (DER SubjectPublicKeyInfo, or a bare PKCS#1
/// RSAPublicKey as some publishers use) or Ed25519 (the raw 32-byte key of RFC 8463).
class public_key {
public:
    public_key() = default;
    public_key(public_key&&) noexcept = default;
    public_key& operator=(public_key&&) noexcept = default;

    /// Copies share the OpenSSL key (reference-counted): a key_cache hands out copies.
    public_key(public_key const& other)
        : type_(other.type_)
        , bits_(other.bits_)
    {
        if(other.key_ && EVP_PKEY_up_ref(other.key_.get()) == 1)
            key_.reset(other.key_.get());
    }

    public_key& operator=(public_key const& other)
    {
        if(this != &other)
            *this = public_key(other);
        return *this;
    }

    /// Builds the OpenSSL key from `rec.key_data`. key_bad_data when it does not decode as a key
    /// of the record's type (an SPKI holding an EC key for k=rsa, 44 bytes for k=ed25519...).
    static boost::system::result<public_key> from_record(key_record const& rec)
    {
        if(!rec.type)
            return make_error_code(error::key_unknown_type);
        public_key k;
        k.type_ = *rec.type;
        auto const* p = reinterpret_cast<unsigned char const*>(rec.key_data.data());
        auto const n = static_cast<long>(rec.key_data.size());
        if(k.type_ == key_type::ed25519) {
            if(rec.key_data.size() == 32)
                k.key_.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, 32));
        } else {
            auto const* q = p;
            k.key_.reset(d2i_PUBKEY(nullptr, &q, n));
            if(k.key_ && (q != p + n || EVP_PKEY_get_base_id(k.key_.get()) != EVP_PKEY_RSA))
                k.key_.reset();
            if(!k.key_) {
                q = p;
                k.key_.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, n));
                if(k.key_ && q != p + n)
                    k.key_.reset();
            }
        }
        detail::clear_errors();
        if(!k.key_)
            return make_error_code(error::key_bad_data);
        k.bits_ = static_cast<unsigned>(EVP_PKEY_get_bits(k.key_.get()));
        return k;
    }

    key_type type() const noexcept { return type_; }

    /// Key size in bits (256 for Ed25519).
    unsigned bits() const noexcept { return bits_; }

    /// Verifies `sig` over the message digest `md` (the RFC 6376 3.7 data-hash): RSASSA-PKCS1-v1_5
    /// for RSA, PureEdDSA over the 32-byte hash for Ed25519 (RFC 8463 3).
    bool verify(hash_algorithm h, std::string_view md, std::string_view sig) const
    {
        auto const* s = reinterpret_cast<unsigned char const*>(sig.data());
        auto const* m = reinterpret_cast<unsigned char const*>(md.data());
        bool ok = false;
        if(type_ == key_type::rsa) {
            detail::pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
            ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_signature_md(ctx.get(), evp_md(h)) == 1 &&
                 EVP_PKEY_verify(ctx.get(), s, sig.size(), m, md.size()) == 1;
        } else {
            detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
            ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
                 EVP_DigestVerify(ctx.get(), s, sig.size(), m, md.size()) == 1;
        }
        detail::clear_errors();
        return ok;
    }

private:
    detail::pkey_ptr key_;
    key_type type_ = key_type::rsa;
    unsigned bits_ = 0;
};

/// A signing key: RSA or Ed25519 from PEM (PKCS#8, PKCS#1 "RSA PRIVATE KEY"), or Ed25519 from its
/// raw 32-byte seed (RFC 8032).
class private_key {
public:
    private_key() = default;
    private_key(private_key&&) noexcept = default;
    private_key& operator=(private_key&&) noexcept = default;

    /// Copies share the OpenSSL key (reference-counted), so one loaded key can serve every
    /// message's signer.
    private_key(private_key const& other)
        : type_(other.type_)
        , bits_(other.bits_)
    {
        if(other.key_ && EVP_PKEY_up_ref(other.key_.get()) == 1)
            key_.reset(other.key_.get());
    }

    private_key& operator=(private_key const& other)
    {
        if(this != &other)
            *this = private_key(other);
        return *this;
    }

    /// Reads a PEM private key with PEM_read_bio_PrivateKey.
    static boost::system::result<private_key> from_pem(std::string_view pem)
    {
        detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        private_key k;
        if(bio)
            k.key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
        detail::clear_errors();
        return k.finish();
    }

    /// An Ed25519 key from its 32-byte seed.
    static boost::system::result<private_key> from_ed25519_seed(std::string_view seed)
    {
        private_key k;
        if(seed.size() == 32)
            k.key_.reset(EVP_PKEY_new_raw_private_key(
                EVP_PKEY_ED25519, nullptr, reinterpret_cast<unsigned char const*>(seed.data()), 32));
        detail::clear_errors();
        return k.finish();
    }

    key_type type() const noexcept { return type_; }
    unsigned bits() const noexcept { return bits_; }

    /// The public half as a key record's p= bytes (DER SPKI for RSA, 32 raw bytes for Ed25519).
    std::string public_key_data() const
    {
        std::string out;
        if(type_ == key_type::ed25519) {
            unsigned char raw[32];
            std::size_t len = sizeof raw;
            if(EVP_PKEY_get_raw_public_key(key_.get(), raw, &len) == 1)
                out.assign(reinterpret_cast<char const*>(raw), len);
        } else {
            unsigned char* der = nullptr;
            int const len = i2d_PUBKEY(key_.get(), &der);
            if(len > 0)
                out.assign(reinterpret_cast<char const*>(der), static_cast<std::size_t>(len));
            OPENSSL_free(der);
        }
        detail::clear_errors();
        return out;
    }

    /// Signs the message digest `md`; nullopt if OpenSSL refuses. Both algorithms are
    /// deterministic, so the same input always gives the same signature.
    std::optional<std::string> sign(hash_algorithm h, std::string_view md) const
    {
        auto const* m = reinterpret_cast<unsigned char const*>(md.data());
        std::string out;
        bool ok = false;
        if(type_ == key_type::rsa) {
            detail::pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
            std::size_t len = 0;
            ok = ctx && EVP_PKEY_sign_init(ctx.get()) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_signature_md(ctx.get(), evp_md(h)) == 1 &&
                 EVP_PKEY_sign(ctx.get(), nullptr, &len, m, md.size()) == 1;
            if(ok) {
                out.resize(len);
                ok = EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, m,
                                   md.size()) == 1;
                out.resize(len);
            }
        } else {
            detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
            std::size_t len = 0;
            ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
                 EVP_DigestSign(ctx.get(), nullptr, &len, m, md.size()) == 1;
            if(ok) {
                out.resize(len);
                ok = EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, m,
                                    md.size()) == 1;
                out.resize(len);
            }
        }
        detail::clear_errors();
        if(!ok)
            return std::nullopt;
        return out;
    }

private:
    boost::system::result<private_key> finish()
    {
        if(!key_)
            return make_error_code(error::key_bad_data);
        auto const id = EVP_PKEY_get_base_id(key_.get());
        if(id == EVP_PKEY_RSA)
            type_ = key_type::rsa;
        else if(id == EVP_PKEY_ED25519)
            type_ = key_type::ed25519;
        else
            return make_error_code(error::key_unknown_type);
        bits_ = static_cast<unsigned>(EVP_PKEY_get_bits(key_.get()));
        return std::move(*this);
    }

    detail::pkey_ptr key_;
    key_type type_ = key_type::rsa;
    unsigned bits_ = 0;
};

} // namespace authmilter::dkim

#endif
