// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_SIGNER_HPP
#define AUTHMILTER_DKIM_SIGNER_HPP

#include <authmilter/core/header_field.hpp>
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/detail/header_hash.hpp>
#include <authmilter/dkim/detail/tag_list.hpp>
#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/signature.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dkim {

/// What to sign and how. The algorithm follows the key: rsa-sha256 for RSA, ed25519-sha256 for
/// Ed25519 (RFC 8463); rsa-sha1 is never produced (RFC 8301).
struct sign_options {
    std::string domain;   ///< d=
    std::string selector; ///< s=
    canonicalization header_canon = canonicalization::relaxed;
    canonicalization body_canon = canonicalization::relaxed;
    /// Fields signed as many times as they occur (absent: listed zero times).
    std::vector<std::string> headers = {
        "from",     "to",          "cc",         "subject",      "date",         "message-id",
        "reply-to", "in-reply-to", "references", "mime-version", "content-type", "content-transfer-encoding"};
    /// Fields "oversigned": listed once more than they occur, so that adding another instance
    /// breaks the signature (RFC 6376 8.15). A name in both lists is oversigned. "from" is
    /// always signed, and oversigned unless listed in `headers` only.
    std::vector<std::string> oversign = {"from", "subject", "to", "cc", "date", "reply-to"};
    std::optional<std::string> identity;     ///< i= (must be within d=)
    std::optional<std::uint64_t> timestamp;  ///< t=
    std::optional<std::uint64_t> expiration; ///< x= (absolute Unix time, >= t=)
    bool body_length = false;                ///< write l= (the whole canonical body; discouraged)
};

/// Computes the b= value for a DKIM-Signature field that is complete except for its signature:
/// `prepared_value` is the field's value with an empty "b=" (as it will be hashed), `signed_names`
/// its h= list, and `headers` the message's fields (not including this one). Returns the base64
/// signature. Deterministic for both algorithms, so a known template reproduces known values.
inline boost::system::result<std::string>
sign_prepared(private_key const& key, algorithm algo, canonicalization header_canon,
              std::vector<std::string> const& signed_names, std::vector<core::header_field> const& headers,
              std::string_view field_name, std::string_view prepared_value)
{
    if(key.type() != key_type_of(algo))
        return make_error_code(error::key_type_mismatch);
    digest md(hash_of(algo));
    md.update(detail::header_hash_input(header_canon, signed_names, headers, std::nullopt, field_name,
                                        without_b_value(prepared_value)));
    auto const h = md.final();
    if(h.empty())
        return make_error_code(error::crypto_failure);
    auto sig = key.sign(hash_of(algo), h);
    if(!sig)
        return make_error_code(error::crypto_failure);
    return detail::base64_encode(*sig);
}

/// Signs one message, streamed the same way the verifier is: on_header() for each field,
/// on_body() for each chunk, finish() for the DKIM-Signature field to prepend to the message.
///
/// The returned field's raw_value starts with a space and folds with CRLF + TAB; a milter
/// front-end that needs LF folding converts it when it emits the header.
class signer {
public:
    signer(private_key key, sign_options options)
        : key_(std::move(key))
        , options_(std::move(options))
    {
        algo_ = key_.type() == key_type::ed25519 ? algorithm::ed25519_sha256 : algorithm::rsa_sha256;
        body_ = hashes_.add(options_.body_canon, hash_of(algo_), std::nullopt);
    }

    void on_header(core::header_field field) { headers_.push_back(std::move(field)); }

    void on_body(std::string_view chunk) { hashes_.update(chunk); }

    /// The DKIM-Signature field, or why it could not be made (bad d=/s=/i=, x= before t=,
    /// OpenSSL failure).
    boost::system::result<core::header_field> finish()
    {
        if(!detail::is_domain_name(options_.domain))
            return make_error_code(error::bad_domain);
        if(!detail::is_domain_name(options_.selector))
            return make_error_code(error::bad_selector);
        if(options_.identity) {
            auto const at = options_.identity->rfind('@');
            if(at == std::string::npos)
                return make_error_code(error::bad_identity);
            if(!detail::is_within(std::string_view(*options_.identity).substr(at + 1), options_.domain))
                return make_error_code(error::identity_not_in_domain);
        }
        if(options_.timestamp && options_.expiration && *options_.expiration < *options_.timestamp)
            return make_error_code(error::expiration_before_timestamp);
        hashes_.finish();

        auto const names = signed_names();
        std::string v = " v=1; a=" + std::string(to_string(algo_)) +
                        "; c=" + std::string(to_string(options_.header_canon)) + "/" +
                        std::string(to_string(options_.body_canon)) + "; d=" + options_.domain + ";";
        fold(v, "s=" + options_.selector + ";");
        if(options_.identity)
            fold(v, "i=" + qp_encode(*options_.identity) + ";");
        if(options_.timestamp)
            fold(v, "t=" + std::to_string(*options_.timestamp) + ";");
        if(options_.expiration)
            fold(v, "x=" + std::to_string(*options_.expiration) + ";");
        if(options_.body_length)
            fold(v, "l=" + std::to_string(hashes_.canonical_length(body_)) + ";");
        std::string h = "h=";
        for(std::size_t i = 0; i < names.size(); ++i) {
            if(i != 0) {
                h += ':';
                if(h.size() > 60) {
                    fold(v, h);
                    h.clear();
                }
            }
            h += names[i];
        }
        fold(v, h + ";");
        fold(v, "bh=" + detail::base64_encode(hashes_.value(body_)) + ";");
        fold(v, "b=");
        auto b = sign_prepared(key_, algo_, options_.header_canon, names, headers_, "DKIM-Signature", v);
        if(!b)
            return b.error();
        // Fold the signature itself; FWS inside b= is ignored by verifiers (RFC 6376 3.5).
        for(std::size_t i = 0; i < b->size(); i += 64) {
            if(i != 0)
                v += "\r\n\t";
            v += b->substr(i, 64);
        }
        return core::header_field{"DKIM-Signature", std::move(v)};
    }

private:
    // h=: every `headers` name once per occurrence, every oversigned name once more.
    std::vector<std::string> signed_names() const
    {
        auto const count = [&](std::string_view n) {
            std::size_t c = 0;
            for(auto const& f : headers_)
                c += detail::iequals(detail::bare_name(f.name), n);
            return c;
        };
        auto const listed = [](std::vector<std::string> const& l, std::string_view n) {
            for(auto const& x : l)
                if(detail::iequals(x, n))
                    return true;
            return false;
        };
        std::vector<std::string> out;
        std::vector<std::string> seen;
        auto const add = [&](std::string const& n, bool over) {
            if(listed(seen, n))
                return;
            seen.push_back(n);
            auto const k = count(n) + (over ? 1 : 0);
            for(std::size_t i = 0; i < k; ++i)
                out.push_back(detail::to_lower(n));
        };
        bool const from_listed = listed(options_.headers, "from") || listed(options_.oversign, "from");
        if(!from_listed)
            add("from", true);
        for(auto const& n : options_.headers)
            add(n, listed(options_.oversign, n));
        for(auto const& n : options_.oversign)
            add(n, true);
        if(out.empty() || !listed(out, "from"))
            out.push_back("from"); // h= must name From even when the message has none
        return out;
    }

    // Appends " tag" or, past ~76 columns, "\r\n\ttag".
    static void fold(std::string& v, std::string const& piece)
    {
        auto const last = v.rfind('\n');
        auto const col = last == std::string::npos ? v.size() + 16 : v.size() - last;
        if(col + piece.size() + 1 > 76)
            v += "\r\n\t";
        else
            v += ' ';
        v += piece;
    }

    // dkim-quoted-printable for i= (RFC 6376 2.11): ";", "=", WSP and non-ASCII as =XX.
    static std::string qp_encode(std::string_view s)
    {
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string out;
        for(char ch : s) {
            auto const c = static_cast<unsigned char>(ch);
            if(c <= 0x20 || c >= 0x7F || c == ';' || c == '=') {
                out += '=';
                out += hex[c >> 4];
                out += hex[c & 15];
            } else
                out += ch;
        }
        return out;
    }

    private_key key_;
    sign_options options_;
    algorithm algo_;
    std::vector<core::header_field> headers_;
    body_hash_set hashes_;
    std::size_t body_ = 0;
};

} // namespace authmilter::dkim

#endif
