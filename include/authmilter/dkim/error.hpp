// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_ERROR_HPP
#define AUTHMILTER_DKIM_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace authmilter::dkim {

/// Why a DKIM-Signature, a key record or a verification failed. Every enumerator is one precise
/// reason; `message()` of the error_code gives the human text used in A-R comments and logs.
enum class error {
    // tag-list (RFC 6376 3.2), signatures and key records alike
    tag_list_syntax = 1, ///< the value is not a valid tag-list
    duplicate_tag,       ///< a tag name occurs twice

    // DKIM-Signature (RFC 6376 3.5)
    missing_version,             ///< no v= tag
    bad_version,                 ///< v= is not "1"
    missing_algorithm,           ///< no a= tag
    unknown_algorithm,           ///< a= is not rsa-sha256, rsa-sha1 or ed25519-sha256
    missing_signature_data,      ///< no b= tag, or it is empty
    bad_signature_base64,        ///< b= is not base64
    missing_body_hash,           ///< no bh= tag
    bad_body_hash_base64,        ///< bh= is not base64
    bad_canonicalization,        ///< c= names an unknown algorithm
    missing_domain,              ///< no d= tag
    bad_domain,                  ///< d= is not a domain name
    missing_signed_headers,      ///< no h= tag
    from_not_signed,             ///< h= does not list From
    bad_signed_headers,          ///< h= holds an invalid field name
    bad_identity,                ///< i= has no "@" or a bad domain part
    identity_not_in_domain,      ///< i= domain is neither d= nor a subdomain of it
    bad_body_length,             ///< l= is not a decimal number
    bad_query_method,            ///< q= does not offer dns/txt
    missing_selector,            ///< no s= tag
    bad_selector,                ///< s= is not a selector
    bad_timestamp,               ///< t= is not a decimal number
    bad_expiration,              ///< x= is not a decimal number
    expiration_before_timestamp, ///< x= is earlier than t=

    // key record (RFC 6376 3.6.1)
    key_syntax,              ///< the key record is not a valid tag-list
    key_bad_version,         ///< v= present but not "DKIM1" (or not first)
    key_missing_public_key,  ///< no p= tag
    key_revoked,             ///< p= is empty
    key_bad_base64,          ///< p= is not base64
    key_bad_data,            ///< p= does not decode to a key of the stated type
    key_unknown_type,        ///< k= names a key type we do not know
    key_type_mismatch,       ///< k= does not match the signature's a=
    key_hash_not_allowed,    ///< h= of the key does not list the signature's hash
    key_service_not_allowed, ///< s= of the key does not list "email" or "*"
    key_strict_identity,     ///< t=s and i= is a subdomain of d=

    // verification (RFC 6376 6, RFC 8301, RFC 8463)
    no_key,                ///< the key record does not exist (NXDOMAIN or no TXT record)
    key_lookup_failed,     ///< the key lookup failed temporarily (timeout, SERVFAIL)
    key_lookup_incomplete, ///< finish() came before the key's answer was supplied
    key_too_small,         ///< RSA key shorter than the configured minimum (RFC 8301 3.2)
    sha1_not_allowed,      ///< rsa-sha1 refused (RFC 8301 3.1)
    signature_expired,     ///< x= is in the past
    signature_in_future,   ///< t= is in the future
    body_length_exceeds,   ///< l= is longer than the canonicalised body
    body_hash_mismatch,    ///< bh= does not match the body
    signature_mismatch,    ///< b= does not verify over the headers
    too_many_signatures,   ///< above the configured maximum; not evaluated
    header_after_body,     ///< a DKIM-Signature arrived after the body started (caller error)
    crypto_failure,        ///< OpenSSL refused an operation it should have accepted
};

namespace detail {

class error_category_impl : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "authmilter.dkim"; }

    std::string message(int ev) const override { return text(static_cast<error>(ev)); }

    static char const* text(error e) noexcept
    {
        switch(e) {
        case error::tag_list_syntax: return "tag-list syntax error";
        case error::duplicate_tag: return "duplicate tag";
        case error::missing_version: return "missing v= tag";
        case error::bad_version: return "unsupported version";
        case error::missing_algorithm: return "missing a= tag";
        case error::unknown_algorithm: return "unsupported algorithm";
        case error::missing_signature_data: return "missing b= tag";
        case error::bad_signature_base64: return "b= is not base64";
        case error::missing_body_hash: return "missing bh= tag";
        case error::bad_body_hash_base64: return "bh= is not base64";
        case error::bad_canonicalization: return "unsupported canonicalization";
        case error::missing_domain: return "missing d= tag";
        case error::bad_domain: return "invalid domain in d= tag";
        case error::missing_signed_headers: return "missing h= tag";
        case error::from_not_signed: return "From header not signed";
        case error::bad_signed_headers: return "invalid header name in h= tag";
        case error::bad_identity: return "invalid i= tag";
        case error::identity_not_in_domain: return "i= domain is not within d= domain";
        case error::bad_body_length: return "invalid l= tag";
        case error::bad_query_method: return "unsupported query method";
        case error::missing_selector: return "missing s= tag";
        case error::bad_selector: return "invalid selector";
        case error::bad_timestamp: return "invalid t= tag";
        case error::bad_expiration: return "invalid x= tag";
        case error::expiration_before_timestamp: return "x= is before t=";
        case error::key_syntax: return "public key: syntax error";
        case error::key_bad_version: return "public key: unsupported version";
        case error::key_missing_public_key: return "public key: missing p= tag";
        case error::key_revoked: return "public key: revoked";
        case error::key_bad_base64: return "public key: p= is not base64";
        case error::key_bad_data: return "public key: invalid key data";
        case error::key_unknown_type: return "public key: unsupported key type";
        case error::key_type_mismatch: return "public key: key type does not match algorithm";
        case error::key_hash_not_allowed: return "public key: hash algorithm not allowed";
        case error::key_service_not_allowed: return "public key: service type not allowed";
        case error::key_strict_identity: return "public key: i= must equal d= (t=s)";
        case error::no_key: return "public key: not available";
        case error::key_lookup_failed: return "public key: DNS lookup failed";
        case error::key_lookup_incomplete: return "public key: lookup not finished";
        case error::key_too_small: return "key too small";
        case error::sha1_not_allowed: return "rsa-sha1 not allowed";
        case error::signature_expired: return "signature is expired";
        case error::signature_in_future: return "signature timestamp in the future";
        case error::body_length_exceeds: return "l= exceeds body length";
        case error::body_hash_mismatch: return "body has been altered";
        case error::signature_mismatch: return "message has been altered";
        case error::too_many_signatures: return "too many signatures";
        case error::header_after_body: return "signature header after body";
        case error::crypto_failure: return "cryptographic library error";
        }
        return "unknown DKIM error";
    }
};

} // namespace detail

/// The category of dkim::error codes (name "authmilter.dkim").
inline boost::system::error_category const&
error_category() noexcept
{
    static detail::error_category_impl const cat;
    return cat;
}

/// Makes dkim::error usable as a boost::system::error_code.
inline boost::system::error_code
make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace authmilter::dkim

template<> struct boost::system::is_error_code_enum<authmilter::dkim::error> : std::true_type {};

#endif
