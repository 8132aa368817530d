// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_ANSWER_HPP
#define AUTHMILTER_DNS_ANSWER_HPP

#include <authmilter/core/ip_address.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace authmilter::dns {

/// The record types the checks ask for. Values are the IANA RR type codes.
enum class rr_type : std::uint16_t {
    a = 1,
    ns = 2,
    cname = 5,
    ptr = 12,
    mx = 15,
    txt = 16,
    aaaa = 28,
    spf = 99,
};

/// The upper-case mnemonic of a type ("A", "TXT"...), for logs and zone text.
constexpr std::string_view
to_string(rr_type t) noexcept
{
    switch(t) {
    case rr_type::a: return "A";
    case rr_type::ns: return "NS";
    case rr_type::cname: return "CNAME";
    case rr_type::ptr: return "PTR";
    case rr_type::mx: return "MX";
    case rr_type::txt: return "TXT";
    case rr_type::aaaa: return "AAAA";
    case rr_type::spf: return "SPF";
    }
    return "TYPE?";
}

/// The outcome of one query, as a check needs to tell them apart. Never an exception.
enum class outcome : std::uint8_t {
    noerror,   ///< NOERROR with at least one record of the asked type
    nodata,    ///< NOERROR, the name exists but has no record of the asked type
    nxdomain,  ///< the name does not exist (RCODE 3)
    servfail,  ///< RCODE 2
    refused,   ///< RCODE 5
    timeout,   ///< no answer in time (also: the per-message DNS deadline passed)
    malformed, ///< an answer that could not be parsed, or any other RCODE
};

/// Short lower-case name of an outcome, for logs and A-R comments.
constexpr std::string_view
to_string(outcome o) noexcept
{
    switch(o) {
    case outcome::noerror: return "noerror";
    case outcome::nodata: return "nodata";
    case outcome::nxdomain: return "nxdomain";
    case outcome::servfail: return "servfail";
    case outcome::refused: return "refused";
    case outcome::timeout: return "timeout";
    case outcome::malformed: return "malformed";
    }
    return "unknown";
}

/// True for the outcomes SPF, DKIM and DMARC map to temperror.
constexpr bool
is_temporary(outcome o) noexcept
{
    return o == outcome::servfail || o == outcome::timeout || o == outcome::refused ||
           o == outcome::malformed;
}

/// One MX record.
struct mx_data {
    std::uint16_t preference = 0;
    std::string exchange; ///< without trailing dot
    friend bool operator==(mx_data const&, mx_data const&) = default;
};

/// One TXT record: its character-strings kept apart, since SPF and DKIM join them with nothing
/// in between while other users need them separate.
struct txt_data {
    std::vector<std::string> strings;

    std::string joined() const
    {
        std::string out;
        for(auto const& s : strings)
            out += s;
        return out;
    }
    friend bool operator==(txt_data const&, txt_data const&) = default;
};

/// One resource record. `name` is the owner name (lower case, no trailing dot); `data` holds an
/// address for A/AAAA, a domain name for PTR/CNAME/NS, mx_data for MX, txt_data for TXT/SPF.
struct record {
    std::string name;
    rr_type type = rr_type::a;
    std::uint32_t ttl = 0;
    std::variant<core::ip_address, std::string, mx_data, txt_data> data;
};

/// The answer to one query: the outcome and the records of the asked type (CNAMEs already
/// followed). `ttl` is the time the whole answer may be cached: the minimum record TTL for
/// positive answers, the SOA minimum (RFC 2308) for negative ones.
struct answer {
    outcome status = outcome::timeout;
    std::vector<record> records;
    std::uint32_t ttl = 0;

    bool ok() const noexcept { return status == outcome::noerror; }

    /// The addresses of A/AAAA records.
    std::vector<core::ip_address> addresses() const
    {
        std::vector<core::ip_address> out;
        for(auto const& r : records)
            if(auto const* a = std::get_if<core::ip_address>(&r.data))
                out.push_back(*a);
        return out;
    }
    /// The target names of PTR/CNAME/NS records.
    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        for(auto const& r : records)
            if(auto const* n = std::get_if<std::string>(&r.data))
                out.push_back(*n);
        return out;
    }
    /// The MX records.
    std::vector<mx_data> mxs() const
    {
        std::vector<mx_data> out;
        for(auto const& r : records)
            if(auto const* m = std::get_if<mx_data>(&r.data))
                out.push_back(*m);
        return out;
    }
    /// Each TXT record with its strings joined.
    std::vector<std::string> txts() const
    {
        std::vector<std::string> out;
        for(auto const& r : records)
            if(auto const* t = std::get_if<txt_data>(&r.data))
                out.push_back(t->joined());
        return out;
    }
};

} // namespace authmilter::dns

#endif
