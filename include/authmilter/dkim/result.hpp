// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_RESULT_HPP
#define AUTHMILTER_DKIM_RESULT_HPP

#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/signature.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dkim {

/// DKIM results in RFC 8601 2.7.1 words.
enum class result {
    pass,      ///< the signature verified
    fail,      ///< the signature or the body hash did not verify
    neutral,   ///< unusable for a reason not covered below
    policy,    ///< not evaluated by local policy (e.g. above the signature limit)
    temperror, ///< the key could not be fetched for now
    permerror, ///< unusable: syntax, algorithm, key missing/bad/revoked/small, expired...
    none,      ///< the message has no signature
};

/// The RFC 8601 word.
constexpr std::string_view
to_string(result r) noexcept
{
    switch(r) {
    case result::pass: return "pass";
    case result::fail: return "fail";
    case result::neutral: return "neutral";
    case result::policy: return "policy";
    case result::temperror: return "temperror";
    case result::permerror: return "permerror";
    case result::none: return "none";
    }
    return "none";
}

/// Order for choosing a message's best result, lower is better:
/// pass < fail < policy < temperror < permerror < neutral < none.
constexpr int
rank(result r) noexcept
{
    switch(r) {
    case result::pass: return 0;
    case result::fail: return 1;
    case result::policy: return 2;
    case result::temperror: return 3;
    case result::permerror: return 4;
    case result::neutral: return 5;
    case result::none: return 6;
    }
    return 6;
}

/// The result a failure reason maps to: body or signature mismatch is `fail`, a temporary key
/// lookup failure `temperror`, the signature limit `policy`, everything else `permerror`.
constexpr result
result_of(error e) noexcept
{
    switch(e) {
    case error::body_hash_mismatch:
    case error::signature_mismatch:
    case error::body_length_exceeds: return result::fail;
    case error::key_lookup_failed:
    case error::key_lookup_incomplete: return result::temperror;
    case error::too_many_signatures: return result::policy;
    default: return result::permerror;
    }
}

/// The outcome for one DKIM-Signature, with everything a handler needs to write the
/// Authentication-Results entry the Perl tool writes and DMARC needs to check alignment.
struct signature_result {
    std::size_t index = 0;         ///< position among the message's DKIM-Signature fields (0-based)
    result res = result::none;     ///< the verdict
    error reason{};                ///< why, when not pass (default-constructed on pass)
    std::string domain;            ///< d=
    std::string identity;          ///< i= (or "@" + d=)
    std::string selector;          ///< s=
    std::string b;                 ///< b= without whitespace
    std::optional<algorithm> algo; ///< a=, when known
    std::optional<key_type> key;   ///< type of the key that was fetched, when one was
    unsigned key_bits = 0;         ///< its size (0: no key)
    bool testing = false;          ///< key record had t=y (RFC 6376 3.6.1)
    std::string dns_detail;        ///< for lookup failures: "dns timeout", "dns servfail"...

    bool passed() const noexcept { return res == result::pass; }

    /// The first 8 characters of b=: `header.b` of RFC 6008, enough to tell signatures apart.
    std::string header_b() const { return b.substr(0, 8); }

    /// `header.a`: the a= value, or "unknown".
    std::string header_a() const { return algo ? std::string(to_string(*algo)) : std::string("unknown"); }

    /// The human reason ("body has been altered", "signature is expired"...), empty on pass.
    std::string reason_text() const
    {
        if(reason == error{})
            return {};
        if(!dns_detail.empty())
            return dns_detail;
        return make_error_code(reason).message();
    }

    /// The comment the Perl tool writes, without parentheses:
    /// `[<reason>, ][<bits>-bit ]<keytype> key[ <hash>]`, e.g. "1024-bit rsa key sha256" or
    /// "body has been altered, 2048-bit rsa key sha256". The key type comes from the fetched key,
    /// else from a=; "unknown key" when neither says.
    std::string comment() const
    {
        std::string out = reason_text();
        if(!out.empty())
            out += ", ";
        if(key_bits != 0)
            out += std::to_string(key_bits) + "-bit ";
        if(key)
            out += to_string(*key);
        else if(algo)
            out += to_string(key_type_of(*algo));
        else
            out += "unknown";
        out += " key";
        if(algo) {
            out += ' ';
            out += to_string(hash_of(*algo));
        }
        return out;
    }

    /// The A-R properties in the Perl tool's order: header.d, header.i, header.b, header.a,
    /// header.s (values unquoted; quoting is the A-R formatter's business).
    std::vector<std::pair<std::string, std::string>> properties() const
    {
        return {
            {"header.d", domain},     {"header.i", identity}, {"header.b", header_b()},
            {"header.a", header_a()}, {"header.s", selector},
        };
    }

    /// The whole entry as the Perl tool writes it, e.g.
    /// `dkim=pass (1024-bit rsa key sha256) header.d=example.net header.i=@example.net
    /// header.b=DU/QdEi3 header.a=rsa-sha256 header.s=google` (one line).
    std::string entry_text(std::string_view method = "dkim") const
    {
        std::string out(method);
        out += '=';
        out += to_string(res);
        out += " (" + comment() + ")";
        for(auto const& [k, v] : properties())
            if(!v.empty())
                out += " " + k + "=" + v;
        return out;
    }
};

/// The best result over a message's signatures (`none` when there are none).
inline result
best_result(std::vector<signature_result> const& results) noexcept
{
    result best = result::none;
    for(auto const& r : results)
        if(rank(r.res) < rank(best))
            best = r.res;
    return best;
}

} // namespace authmilter::dkim

#endif
