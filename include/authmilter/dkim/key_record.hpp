// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_KEY_RECORD_HPP
#define AUTHMILTER_DKIM_KEY_RECORD_HPP

#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/detail/tag_list.hpp>
#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/signature.hpp>

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim {

/// A parsed DKIM key record (RFC 6376 3.6.1), the TXT record at `<s>._domainkey.<d>`.
/// The key bytes are decoded but not yet turned into an OpenSSL key (see public_key.hpp).
struct key_record {
    std::optional<key_type> type = key_type::rsa; ///< k= (default rsa); nullopt: unknown type
    std::string type_text = "rsa";                ///< k= as written
    std::string key_data;                         ///< p= decoded (DER SubjectPublicKeyInfo or
                                                  ///< RSAPublicKey for rsa, 32 raw bytes for ed25519)
    bool revoked = false;                         ///< p= present and empty
    bool allows_sha1 = true;                      ///< h= absent or lists sha1
    bool allows_sha256 = true;                    ///< h= absent or lists sha256
    bool testing = false;                         ///< t=y
    bool strict = false;                          ///< t=s: i= domain must equal d=
    bool email_service = true;                    ///< s= absent, "*" or lists "email"

    /// True when the record's h= allows `h`.
    bool allows(hash_algorithm h) const noexcept
    {
        return h == hash_algorithm::sha1 ? allows_sha1 : allows_sha256;
    }
};

/// Parses a key record's text (the TXT strings already joined). Fills `out` as far as it
/// could and returns the first problem: key_syntax / duplicate_tag, key_bad_version (v= present
/// but not DKIM1, or not the first tag), key_missing_public_key, key_revoked (empty p=; the other
/// fields are still filled), key_bad_base64, key_unknown_type. Unknown tags and unknown values in
/// h=, s=, t= are ignored as RFC 6376 3.6.1 says.
inline error
parse_key_record(std::string_view text, key_record& out)
{
    out = key_record{};
    std::vector<detail::tag> tags;
    if(auto const e = detail::parse_tag_list(text, tags); e != error{})
        return e == error::duplicate_tag ? e : error::key_syntax;
    auto const get = [&](std::string_view n) { return detail::find_tag(tags, n); };
    if(auto const* v = get("v")) {
        if(v->value != "DKIM1" || &tags.front() != v)
            return error::key_bad_version;
    }
    if(auto const* h = get("h")) {
        out.allows_sha1 = out.allows_sha256 = false;
        for(auto alg : detail::split_list(h->value, ':')) {
            out.allows_sha1 = out.allows_sha1 || detail::iequals(alg, "sha1");
            out.allows_sha256 = out.allows_sha256 || detail::iequals(alg, "sha256");
        }
    }
    if(auto const* s = get("s")) {
        out.email_service = false;
        for(auto svc : detail::split_list(s->value, ':'))
            out.email_service = out.email_service || svc == "*" || detail::iequals(svc, "email");
    }
    if(auto const* t = get("t")) {
        for(auto flag : detail::split_list(t->value, ':')) {
            out.testing = out.testing || detail::iequals(flag, "y");
            out.strict = out.strict || detail::iequals(flag, "s");
        }
    }
    if(auto const* k = get("k")) {
        out.type_text = std::string(k->value);
        if(detail::iequals(k->value, "rsa"))
            out.type = key_type::rsa;
        else if(detail::iequals(k->value, "ed25519"))
            out.type = key_type::ed25519;
        else
            out.type.reset();
    }
    auto const* p = get("p");
    if(!p)
        return error::key_missing_public_key;
    if(detail::trim_fws(p->value).empty()) {
        out.revoked = true;
        return error::key_revoked;
    }
    auto raw = detail::base64_decode(p->value);
    if(!raw || raw->empty())
        return error::key_bad_base64;
    out.key_data = std::move(*raw);
    if(!out.type)
        return error::key_unknown_type;
    return error{};
}

/// parse_key_record() as a result.
inline boost::system::result<key_record>
parse_key_record(std::string_view text)
{
    key_record k;
    if(auto const e = parse_key_record(text, k); e != error{})
        return make_error_code(e);
    return k;
}

} // namespace authmilter::dkim

#endif
