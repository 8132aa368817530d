// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_ZONE_TEXT_HPP
#define AUTHMILTER_DNS_ZONE_TEXT_HPP

#include <authmilter/dns/answer.hpp>
#include <authmilter/dns/detail/zone_lexer.hpp>
#include <authmilter/dns/zone_resolver.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace authmilter::dns {

/// Where and why zone text was refused.
struct zone_error {
    std::size_t line = 0; ///< 1-based line of the offending token
    std::string message;  ///< what was wrong, e.g. "bad IPv4 address '1.2.3'"

    /// "line N: message".
    std::string to_string() const { return "line " + std::to_string(line) + ": " + message; }
};

/// Thrown by the throwing overloads of load_zone_text() (start-up use: refusing a bad zone file).
class zone_text_error : public std::runtime_error {
public:
    explicit zone_text_error(zone_error e)
        : std::runtime_error("zone text " + e.to_string())
        , error_(std::move(e))
    {}
    std::size_t line() const noexcept { return error_.line; }
    zone_error const& error() const noexcept { return error_; }

private:
    zone_error error_;
};

/// Parses BIND-style zone text and adds its records and faults to `zone`.
///
/// Accepted: `name [ttl] [class] type rdata` in either order of ttl and class (class IN only),
/// `$ORIGIN`, `$TTL`, `@`, names relative to the origin (taken as written when no `$ORIGIN` was
/// given), a blank owner meaning the previous one, TTLs with units (`1h30m`), parenthesised
/// multi-line records, quoted strings with `\"`, `\\` and `\DDD` escapes, several strings per
/// TXT record, `;` comments, and fault lines `;ERROR,<name>,<type>,<RCODE>` with RCODE NXDOMAIN,
/// SERVFAIL, REFUSED or TIMEOUT. Types: A, AAAA, TXT, SPF, MX, PTR, CNAME, NS and SOA (whose
/// minimum, capped by its TTL, becomes the zone's negative TTL per RFC 2308). Records without a
/// TTL take `$TTL`, else the previous record's TTL, else 3600.
///
/// All or nothing: on error nothing is added, `err` names the line and the problem, and the
/// result is false. Never throws except std::bad_alloc.
inline bool load_zone_text(zone_resolver& zone, std::string_view text, zone_error& err);

/// As above, throwing zone_text_error on bad text.
inline void load_zone_text(zone_resolver& zone, std::string_view text);

/// A new zone_resolver holding the zone text; throws zone_text_error on bad text.
inline zone_resolver zone_from_text(std::string_view text);

/// Parses a type mnemonic (any case) among those zone text and the resolvers support.
inline std::optional<rr_type> parse_rr_type(std::string_view text) noexcept;

namespace detail {

inline bool
zone_iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if(x >= 'a' && x <= 'z')
            x = static_cast<char>(x - 'a' + 'A');
        if(y >= 'a' && y <= 'z')
            y = static_cast<char>(y - 'a' + 'A');
        if(x != y)
            return false;
    }
    return true;
}

/// TTL as digits with optional BIND units (s m h d w), at most 2^31-1 (RFC 2181 section 8).
inline std::optional<std::uint32_t>
parse_zone_ttl(std::string_view s) noexcept
{
    if(s.empty() || s[0] < '0' || s[0] > '9')
        return std::nullopt;
    std::uint64_t total = 0, current = 0;
    bool digits = false, units = false;
    for(char c : s) {
        if(c >= '0' && c <= '9') {
            current = current * 10 + static_cast<std::uint64_t>(c - '0');
            if(current > 0x7fffffffu)
                return std::nullopt;
            digits = true;
            continue;
        }
        std::uint64_t mult = 0;
        switch(c) {
        case 's':
        case 'S': mult = 1; break;
        case 'm':
        case 'M': mult = 60; break;
        case 'h':
        case 'H': mult = 3600; break;
        case 'd':
        case 'D': mult = 86400; break;
        case 'w':
        case 'W': mult = 604800; break;
        default: return std::nullopt;
        }
        if(!digits)
            return std::nullopt;
        total += current * mult;
        if(total > 0x7fffffffu)
            return std::nullopt;
        current = 0;
        digits = false;
        units = true;
    }
    if(digits && units)
        return std::nullopt; // "1h30" is ambiguous; BIND refuses it too
    total += current;
    if(total > 0x7fffffffu)
        return std::nullopt;
    return static_cast<std::uint32_t>(total);
}

inline std::optional<std::uint16_t>
parse_zone_u16(std::string_view s) noexcept
{
    if(s.empty() || s.size() > 5)
        return std::nullopt;
    std::uint32_t v = 0;
    for(char c : s) {
        if(c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if(v > 0xffff)
        return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

inline std::optional<std::uint32_t>
parse_zone_u32(std::string_view s) noexcept
{
    if(s.empty() || s.size() > 10)
        return std::nullopt;
    std::uint64_t v = 0;
    for(char c : s) {
        if(c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if(v > 0xffffffffu)
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

/// Checks the length rules of RFC 1035 section 2.3.4 on a name without trailing dot; the empty
/// string is the root.
inline bool
valid_zone_name(std::string_view n) noexcept
{
    if(n.empty())
        return true;
    if(n.size() > 253)
        return false;
    std::size_t label = 0;
    for(char c : n) {
        if(c == '.') {
            if(label == 0)
                return false;
            label = 0;
        } else if(++label > 63) {
            return false;
        }
    }
    return label != 0;
}

/// The state of one parse: records are collected first so that bad text adds nothing.
class zone_parser {
public:
    bool parse(std::string_view text, zone_error& err)
    {
        zone_lexer lex(text);
        zone_entry e;
        while(lex.next(e)) {
            bool const ok = e.fault ? fault(e) : entry(e);
            if(!ok) {
                err = std::move(error_);
                return false;
            }
        }
        if(lex.failed()) {
            err = zone_error{lex.error_line(), lex.error_message()};
            return false;
        }
        return true;
    }

    void commit(zone_resolver& zone)
    {
        for(auto& r : records_)
            zone.add(std::move(r));
        for(auto& [n, t, o] : faults_)
            zone.add_fault(n, t, o);
        if(negative_ttl_)
            zone.set_negative_ttl(*negative_ttl_);
    }

private:
    bool fail(std::size_t line, std::string msg)
    {
        error_ = zone_error{line, std::move(msg)};
        return false;
    }

    /// Resolves `@`, relative and absolute names; nullopt (with error_ set) when invalid.
    std::optional<std::string> name(zone_token const& t)
    {
        if(t.quoted) {
            fail(t.line, "unexpected quoted string where a domain name belongs");
            return std::nullopt;
        }
        std::string out;
        if(t.text == "@") {
            if(!origin_) {
                fail(t.line, "'@' used before $ORIGIN");
                return std::nullopt;
            }
            out = *origin_;
        } else if(t.text == ".") {
            out.clear();
        } else if(!t.text.empty() && t.text.back() == '.') {
            out = t.text.substr(0, t.text.size() - 1);
        } else if(origin_ && !origin_->empty()) {
            out = t.text + "." + *origin_;
        } else {
            out = t.text;
        }
        if(!valid_zone_name(out)) {
            fail(t.line, "bad domain name '" + t.text + "'");
            return std::nullopt;
        }
        return out;
    }

    bool directive(zone_entry const& e)
    {
        auto const& d = e.tokens[0];
        if(zone_iequals(d.text, "$ORIGIN")) {
            if(e.tokens.size() != 2)
                return fail(d.line, "$ORIGIN takes one domain name");
            auto n = name(e.tokens[1]);
            if(!n)
                return false;
            origin_ = std::move(*n);
            return true;
        }
        if(zone_iequals(d.text, "$TTL")) {
            if(e.tokens.size() != 2)
                return fail(d.line, "$TTL takes one TTL");
            auto ttl = parse_zone_ttl(e.tokens[1].text);
            if(!ttl || e.tokens[1].quoted)
                return fail(e.tokens[1].line, "bad TTL '" + e.tokens[1].text + "'");
            default_ttl_ = *ttl;
            return true;
        }
        return fail(d.line, "unsupported directive '" + d.text + "'");
    }

    bool entry(zone_entry const& e)
    {
        if(!e.owner_blank && !e.tokens[0].quoted && e.tokens[0].text.starts_with('$'))
            return directive(e);
        std::size_t i = 0;
        std::string owner;
        if(e.owner_blank) {
            if(!last_owner_)
                return fail(e.tokens[0].line, "record without owner name and no previous owner");
            owner = *last_owner_;
        } else {
            auto n = name(e.tokens[i++]);
            if(!n)
                return false;
            owner = std::move(*n);
        }
        std::optional<std::uint32_t> ttl;
        bool seen_class = false;
        for(int k = 0; k < 2 && i < e.tokens.size() && !e.tokens[i].quoted; ++k) {
            auto const& t = e.tokens[i];
            if(!ttl && !t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9') {
                ttl = parse_zone_ttl(t.text);
                if(!ttl)
                    return fail(t.line, "bad TTL '" + t.text + "'");
                ++i;
            } else if(!seen_class && zone_iequals(t.text, "IN")) {
                seen_class = true;
                ++i;
            } else if(!seen_class && (zone_iequals(t.text, "CH") || zone_iequals(t.text, "HS") ||
                                      zone_iequals(t.text, "CS") || zone_iequals(t.text, "ANY"))) {
                return fail(t.line, "unsupported class '" + t.text + "' (only IN)");
            } else {
                break;
            }
        }
        if(i >= e.tokens.size())
            return fail(e.tokens.back().line, "record without type");
        auto const& type_tok = e.tokens[i++];
        if(type_tok.quoted)
            return fail(type_tok.line, "unexpected quoted string where the type belongs");
        last_owner_ = owner;
        std::uint32_t const record_ttl = ttl ? *ttl : default_ttl_ ? *default_ttl_ : last_ttl_;
        if(ttl)
            last_ttl_ = *ttl;
        std::vector<zone_token> const rdata(e.tokens.begin() + static_cast<std::ptrdiff_t>(i),
                                            e.tokens.end());
        std::size_t const line = type_tok.line;
        if(zone_iequals(type_tok.text, "SOA"))
            return soa(line, record_ttl, rdata);
        auto const type = parse_rr_type(type_tok.text);
        if(!type)
            return fail(line, "unsupported record type '" + type_tok.text + "'");
        record r{owner, *type, record_ttl, {}};
        switch(*type) {
        case rr_type::a:
        case rr_type::aaaa: {
            if(rdata.size() != 1 || rdata[0].quoted)
                return fail(line, std::string(to_string(*type)) + " record needs one address");
            auto const& t = rdata[0].text;
            auto a = core::ip_address::parse(t);
            // Only the plain text forms: no brackets, no "IPv6:" prefix, IPv4 without colons.
            bool const colon = t.find(':') != std::string::npos;
            bool const plain =
                !t.empty() && t.front() != '[' && !zone_iequals(t.substr(0, t.size() < 5 ? 0 : 5), "IPv6:");
            if(!a || !plain || (*type == rr_type::a) == colon)
                return fail(rdata[0].line, std::string("bad ") + (*type == rr_type::a ? "IPv4" : "IPv6") +
                                               " address '" + t + "'");
            r.data = *a;
            break;
        }
        case rr_type::txt:
        case rr_type::spf: {
            if(rdata.empty())
                return fail(line, std::string(to_string(*type)) + " record needs at least one string");
            txt_data txt;
            for(auto const& t : rdata) {
                if(t.text.size() > 255)
                    return fail(t.line,
                                "character-string longer than 255 bytes (split it into several strings)");
                txt.strings.push_back(t.text);
            }
            r.data = std::move(txt);
            break;
        }
        case rr_type::mx: {
            if(rdata.size() != 2)
                return fail(line, "MX record needs a preference and an exchange");
            auto pref = parse_zone_u16(rdata[0].text);
            if(!pref || rdata[0].quoted)
                return fail(rdata[0].line, "bad MX preference '" + rdata[0].text + "'");
            auto ex = name(rdata[1]);
            if(!ex)
                return false;
            r.data = mx_data{*pref, std::move(*ex)};
            break;
        }
        case rr_type::ptr:
        case rr_type::cname:
        case rr_type::ns: {
            if(rdata.size() != 1)
                return fail(line, std::string(to_string(*type)) + " record needs one domain name");
            auto target = name(rdata[0]);
            if(!target)
                return false;
            r.data = std::move(*target);
            break;
        }
        }
        records_.push_back(std::move(r));
        return true;
    }

    bool soa(std::size_t line, std::uint32_t ttl, std::vector<zone_token> const& rdata)
    {
        if(rdata.size() != 7)
            return fail(line, "SOA record needs mname rname serial refresh retry expire minimum");
        if(!name(rdata[0]) || !name(rdata[1]))
            return false;
        if(rdata[2].quoted || !parse_zone_u32(rdata[2].text))
            return fail(rdata[2].line, "bad SOA serial '" + rdata[2].text + "'");
        std::uint32_t minimum = 0;
        for(std::size_t k = 3; k < 7; ++k) {
            auto v = parse_zone_ttl(rdata[k].text);
            if(!v || rdata[k].quoted)
                return fail(rdata[k].line, "bad SOA timer '" + rdata[k].text + "'");
            minimum = *v;
        }
        negative_ttl_ = minimum < ttl ? minimum : ttl;
        return true;
    }

    bool fault(zone_entry const& e)
    {
        // tokens: name, type, rcode (split on commas by the lexer)
        std::size_t const line = e.tokens.empty() ? 0 : e.tokens[0].line;
        if(e.tokens.size() != 3)
            return fail(line, "fault line must be ;ERROR,<name>,<type>,<RCODE>");
        auto n = name(e.tokens[0]);
        if(!n)
            return false;
        auto type = parse_rr_type(e.tokens[1].text);
        if(!type)
            return fail(line, "unsupported record type '" + e.tokens[1].text + "' in fault line");
        auto const& rc = e.tokens[2].text;
        outcome o;
        if(zone_iequals(rc, "NXDOMAIN"))
            o = outcome::nxdomain;
        else if(zone_iequals(rc, "SERVFAIL"))
            o = outcome::servfail;
        else if(zone_iequals(rc, "REFUSED"))
            o = outcome::refused;
        else if(zone_iequals(rc, "TIMEOUT"))
            o = outcome::timeout;
        else
            return fail(line,
                        "unknown RCODE '" + rc + "' in fault line (NXDOMAIN, SERVFAIL, REFUSED or TIMEOUT)");
        faults_.emplace_back(std::move(*n), *type, o);
        return true;
    }

    std::vector<record> records_;
    std::vector<std::tuple<std::string, rr_type, outcome>> faults_;
    std::optional<std::string> origin_;
    std::optional<std::string> last_owner_;
    std::optional<std::uint32_t> default_ttl_;
    std::optional<std::uint32_t> negative_ttl_;
    std::uint32_t last_ttl_ = 3600;
    zone_error error_;
};

} // namespace detail

inline std::optional<rr_type>
parse_rr_type(std::string_view text) noexcept
{
    for(auto t : {rr_type::a, rr_type::ns, rr_type::cname, rr_type::ptr, rr_type::mx, rr_type::txt,
                  rr_type::aaaa, rr_type::spf})
        if(detail::zone_iequals(text, to_string(t)))
            return t;
    return std::nullopt;
}

inline bool
load_zone_text(zone_resolver& zone, std::string_view text, zone_error& err)
{
    detail::zone_parser p;
    if(!p.parse(text, err))
        return false;
    p.commit(zone);
    return true;
}

inline void
load_zone_text(zone_resolver& zone, std::string_view text)
{
    zone_error err;
    if(!load_zone_text(zone, text, err))
        throw zone_text_error(std::move(err));
}

inline zone_resolver
zone_from_text(std::string_view text)
{
    zone_resolver zone;
    load_zone_text(zone, text);
    return zone;
}

} // namespace authmilter::dns

#endif
