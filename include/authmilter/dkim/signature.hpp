// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_SIGNATURE_HPP
#define AUTHMILTER_DKIM_SIGNATURE_HPP

#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/detail/tag_list.hpp>
#include <authmilter/dkim/error.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dkim {

/// Signing algorithms (a= tag). rsa-sha1 is parsed so that it can be reported; RFC 8301 forbids
/// accepting it, which the verifier does unless told otherwise.
enum class algorithm { rsa_sha1, rsa_sha256, ed25519_sha256 };

/// Key types (k= of the key record).
enum class key_type { rsa, ed25519 };

/// Hash algorithms.
enum class hash_algorithm { sha1, sha256 };

/// Canonicalisation algorithms (c= tag), RFC 6376 3.4.
enum class canonicalization { simple, relaxed };

/// The a= spelling.
constexpr std::string_view
to_string(algorithm a) noexcept
{
    switch(a) {
    case algorithm::rsa_sha1: return "rsa-sha1";
    case algorithm::rsa_sha256: return "rsa-sha256";
    case algorithm::ed25519_sha256: return "ed25519-sha256";
    }
    return "unknown";
}

/// "rsa" or "ed25519".
constexpr std::string_view
to_string(key_type k) noexcept
{
    return k == key_type::rsa ? "rsa" : "ed25519";
}

/// "sha1" or "sha256".
constexpr std::string_view
to_string(hash_algorithm h) noexcept
{
    return h == hash_algorithm::sha1 ? "sha1" : "sha256";
}

/// "simple" or "relaxed".
constexpr std::string_view
to_string(canonicalization c) noexcept
{
    return c == canonicalization::simple ? "simple" : "relaxed";
}

/// The key type an algorithm needs.
constexpr key_type
key_type_of(algorithm a) noexcept
{
    return a == algorithm::ed25519_sha256 ? key_type::ed25519 : key_type::rsa;
}

/// The hash an algorithm uses.
constexpr hash_algorithm
hash_of(algorithm a) noexcept
{
    return a == algorithm::rsa_sha1 ? hash_algorithm::sha1 : hash_algorithm::sha256;
}

/// A parsed DKIM-Signature header field (RFC 6376 3.5). Strings are as written except where
/// noted; parse_signature() fills every field it could read even when it reports an error, so a
/// failed signature can still be reported with its d=, s= and b=.
struct signature {
    std::string version;                                      ///< v=
    std::optional<algorithm> algo;                            ///< a= (nullopt: missing or unknown)
    std::string algorithm_text;                               ///< a= as written
    std::string b;                                            ///< b= with whitespace removed (base64 text)
    std::string signature_data;                               ///< b= decoded
    std::string body_hash;                                    ///< bh= decoded
    canonicalization header_canon = canonicalization::simple; ///< c= header part
    canonicalization body_canon = canonicalization::simple;   ///< c= body part
    std::string domain;                                       ///< d=
    std::vector<std::string> signed_headers;                  ///< h=, in order, as written
    std::string identity;                                     ///< i= (quoted-printable decoded), or "@" + d=
    bool identity_given = false;                              ///< i= was present
    std::optional<std::uint64_t> body_length;                 ///< l=
    std::string selector;                                     ///< s=
    std::optional<std::uint64_t> timestamp;                   ///< t=
    std::optional<std::uint64_t> expiration;                  ///< x=

    /// The domain part of identity (after the last "@").
    std::string_view identity_domain() const noexcept
    {
        auto const at = identity.rfind('@');
        return at == std::string::npos ? std::string_view{} : std::string_view(identity).substr(at + 1);
    }

    /// The DNS name of the key record: `<s>._domainkey.<d>`.
    std::string key_name() const { return selector + "._domainkey." + domain; }
};

namespace detail {

inline bool
is_field_name(std::string_view n) noexcept
{
    if(n.empty())
        return false;
    for(char ch : n) {
        auto const c = static_cast<unsigned char>(ch);
        if(c < 0x21 || c > 0x7E || c == ':')
            return false;
    }
    return true;
}

/// True when `sub` is `parent` or a subdomain of it (ASCII case-insensitive).
inline bool
is_within(std::string_view sub, std::string_view parent) noexcept
{
    if(sub.size() == parent.size())
        return iequals(sub, parent);
    if(sub.size() > parent.size() && sub[sub.size() - parent.size() - 1] == '.')
        return iequals(sub.substr(sub.size() - parent.size()), parent);
    return false;
}

inline std::string
strip_fws(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for(char c : s)
        if(!is_fws(c))
            out += c;
    return out;
}

} // namespace detail

/// Parses the value of a DKIM-Signature header field (everything after the colon, folding
/// included) into `out`. Returns the first problem found, checked in tag order (v a b bh c d h
/// i l q s t x), or a default (success) error. Unknown tags are ignored (RFC 6376 3.2); FWS inside
/// b=, bh= and h= is ignored. Never throws on hostile input (only std::bad_alloc).
inline error
parse_signature(std::string_view value, signature& out)
{
    out = signature{};
    std::vector<detail::tag> tags;
    if(auto const e = detail::parse_tag_list(value, tags); e != error{})
        return e;
    auto const get = [&](std::string_view n) { return detail::find_tag(tags, n); };

    // Fill everything first so that the report has d=, s=, a= and b= even for broken signatures.
    auto const* v = get("v");
    auto const* a = get("a");
    auto const* b = get("b");
    auto const* bh = get("bh");
    auto const* c = get("c");
    auto const* d = get("d");
    auto const* h = get("h");
    auto const* i = get("i");
    auto const* l = get("l");
    auto const* q = get("q");
    auto const* s = get("s");
    auto const* t = get("t");
    auto const* x = get("x");
    if(v)
        out.version = std::string(v->value);
    if(a) {
        out.algorithm_text = std::string(a->value);
        if(detail::iequals(a->value, "rsa-sha256"))
            out.algo = algorithm::rsa_sha256;
        else if(detail::iequals(a->value, "rsa-sha1"))
            out.algo = algorithm::rsa_sha1;
        else if(detail::iequals(a->value, "ed25519-sha256"))
            out.algo = algorithm::ed25519_sha256;
    }
    if(b)
        out.b = detail::strip_fws(b->value);
    if(d)
        out.domain = std::string(d->value);
    if(s)
        out.selector = std::string(s->value);
    std::optional<std::string> decoded_identity;
    if(i) {
        decoded_identity = detail::qp_decode(i->value);
        out.identity = decoded_identity ? *decoded_identity : std::string(i->value);
        out.identity_given = true;
    } else if(d)
        out.identity = "@" + out.domain;

    if(!v)
        return error::missing_version;
    if(v->value != "1")
        return error::bad_version;
    if(!a)
        return error::missing_algorithm;
    if(!out.algo)
        return error::unknown_algorithm;
    if(!b || out.b.empty())
        return error::missing_signature_data;
    if(auto raw = detail::base64_decode(out.b); raw && !raw->empty())
        out.signature_data = std::move(*raw);
    else
        return error::bad_signature_base64;
    if(!bh)
        return error::missing_body_hash;
    if(auto raw = detail::base64_decode(bh->value); raw && !raw->empty())
        out.body_hash = std::move(*raw);
    else
        return error::bad_body_hash_base64;
    if(c) {
        auto const slash = c->value.find('/');
        auto const head = c->value.substr(0, slash);
        auto const body =
            slash == std::string_view::npos ? std::string_view("simple") : c->value.substr(slash + 1);
        auto const canon = [](std::string_view w, canonicalization& into) {
            if(detail::iequals(w, "simple"))
                into = canonicalization::simple;
            else if(detail::iequals(w, "relaxed"))
                into = canonicalization::relaxed;
            else
                return false;
            return true;
        };
        if(!canon(head, out.header_canon) || !canon(body, out.body_canon))
            return error::bad_canonicalization;
    }
    if(!d || d->value.empty())
        return error::missing_domain;
    if(!detail::is_domain_name(d->value))
        return error::bad_domain;
    if(!h || detail::trim_fws(h->value).empty())
        return error::missing_signed_headers;
    bool from = false;
    for(auto name : detail::split_list(h->value, ':')) {
        if(!detail::is_field_name(name))
            return error::bad_signed_headers;
        from = from || detail::iequals(name, "from");
        out.signed_headers.emplace_back(name);
    }
    if(!from)
        return error::from_not_signed;
    if(i) {
        if(!decoded_identity)
            return error::bad_identity;
        std::string_view const ival = *decoded_identity;
        auto const at = ival.rfind('@');
        if(at == std::string_view::npos)
            return error::bad_identity;
        auto const idom = ival.substr(at + 1);
        if(!detail::is_domain_name(idom))
            return error::bad_identity;
        if(!detail::is_within(idom, d->value))
            return error::identity_not_in_domain;
    }
    if(l) {
        std::uint64_t n = 0;
        // RFC 6376 allows 76 digits; anything past 2^63 is longer than any message anyway.
        if(!detail::parse_decimal(l->value, n, 18))
            return error::bad_body_length;
        out.body_length = n;
    }
    if(q) {
        bool dns_txt = false;
        for(auto m : detail::split_list(q->value, ':'))
            dns_txt = dns_txt || detail::iequals(m, "dns/txt") || detail::iequals(m, "dns");
        if(!dns_txt)
            return error::bad_query_method;
    }
    if(!s || s->value.empty())
        return error::missing_selector;
    if(!detail::is_domain_name(s->value))
        return error::bad_selector;
    if(t) {
        std::uint64_t n = 0;
        if(!detail::parse_decimal(t->value, n, 12))
            return error::bad_timestamp;
        out.timestamp = n;
    }
    if(x) {
        std::uint64_t n = 0;
        if(!detail::parse_decimal(x->value, n, 12))
            return error::bad_expiration;
        out.expiration = n;
    }
    if(out.timestamp && out.expiration && *out.expiration < *out.timestamp)
        return error::expiration_before_timestamp;
    return error{};
}

/// parse_signature() as a result: the signature, or the reason it is unusable.
inline boost::system::result<signature>
parse_signature(std::string_view value)
{
    signature sig;
    if(auto const e = parse_signature(value, sig); e != error{})
        return make_error_code(e);
    return sig;
}

/// Returns a copy of the DKIM-Signature value with the b= tag's value and the whitespace around
/// it removed and everything else left byte for byte, as RFC 6376 3.7 hashes it. If the value has
/// no parsable b= tag it is returned unchanged.
inline std::string
without_b_value(std::string_view value)
{
    std::vector<detail::tag> tags;
    if(detail::parse_tag_list(value, tags) != error{})
        return std::string(value);
    for(auto const& t : tags) {
        if(t.name == "b") {
            std::string out(value.substr(0, t.raw_offset));
            out.append(value.substr(t.raw_offset + t.raw_size));
            return out;
        }
    }
    return std::string(value);
}

} // namespace authmilter::dkim

#endif
