// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SPF_RESULT_HPP
#define AUTHMILTER_SPF_RESULT_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::spf {

/// The seven results of check_host() (RFC 7208 §2.6).
enum class code : std::uint8_t {
    none,      ///< no syntactically valid domain, or no SPF record published
    neutral,   ///< the record says nothing about the client (`?` or no mechanism matched)
    pass,      ///< the client is authorized
    fail,      ///< the client is explicitly not authorized (`-`)
    softfail,  ///< probably not authorized (`~`)
    temperror, ///< a transient DNS error
    permerror, ///< the published records could not be interpreted (syntax, limits)
};

/// The lower-case result word used in Authentication-Results and Received-SPF.
constexpr std::string_view
to_string(code c) noexcept
{
    switch(c) {
    case code::none: return "none";
    case code::neutral: return "neutral";
    case code::pass: return "pass";
    case code::fail: return "fail";
    case code::softfail: return "softfail";
    case code::temperror: return "temperror";
    case code::permerror: return "permerror";
    }
    return "none";
}

/// Parses a result word (case-insensitive). Returns nullopt for anything else.
constexpr std::optional<code>
parse_code(std::string_view word) noexcept
{
    constexpr code all[] = {code::none,     code::neutral,   code::pass,     code::fail,
                            code::softfail, code::temperror, code::permerror};
    for(auto c : all) {
        auto const name = to_string(c);
        if(name.size() != word.size())
            continue;
        bool same = true;
        for(std::size_t i = 0; i < name.size() && same; ++i) {
            char ch = word[i];
            if(ch >= 'A' && ch <= 'Z')
                ch = static_cast<char>(ch - 'A' + 'a');
            same = ch == name[i];
        }
        if(same)
            return c;
    }
    return std::nullopt;
}

/// Which kind of mechanism decided a result. Mail::SPF words its local explanation per kind, and
/// the Received-SPF text reproduces that.
enum class mechanism_kind : std::uint8_t {
    none,    ///< no mechanism decided (none, errors, neutral by default)
    all,     ///< the `all` mechanism
    address, ///< `ip4`, `ip6`, `a`, `mx`, `ptr`: they speak about the client address
    other,   ///< `include`, `exists`
};

/// The outcome of check_host(), with enough detail for a human to see why.
struct result {
    spf::code code = spf::code::none;

    /// The mechanism that matched, as Mail::SPF prints it: qualifier (omitted when `+`), lower-case
    /// name, then the arguments as written (`include:_spf.example.com`, `-all`, `ip4:192.0.2.0/24`).
    /// Empty when no mechanism matched.
    std::string mechanism;
    mechanism_kind kind = mechanism_kind::none;

    /// Why there is no mechanism: the reason for none, neutral-by-default, temperror and
    /// permerror (e.g. `Maximum DNS-interactive terms limit (10) exceeded`).
    std::string reason;

    /// For fail only: the explanation (the exp= text, macro-expanded, or the default explanation).
    std::string explanation;

    /// The domain check_host() was asked about.
    std::string domain;
    /// The domain whose record produced the result when `redirect=` moved evaluation elsewhere;
    /// empty otherwise.
    std::string decided_by;

    /// DNS-interactive terms counted against the 10-term limit (RFC 7208 §4.6.4).
    unsigned dns_terms = 0;
    /// Void lookups (NXDOMAIN or no answer) counted against the void limit.
    unsigned void_lookups = 0;
    /// DNS queries actually sent, including the record lookups and the exp= lookup.
    unsigned dns_queries = 0;

    bool is(spf::code c) const noexcept { return code == c; }
};

} // namespace authmilter::spf

#endif
