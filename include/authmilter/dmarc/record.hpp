// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_RECORD_HPP
#define AUTHMILTER_DMARC_RECORD_HPP

#include <authmilter/dmarc/detail/text.hpp>
#include <authmilter/dmarc/report_uri.hpp>
#include <authmilter/dmarc/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dmarc {

/// The fo= failure reporting options (RFC 7489 6.3, RFC 9989 4.7).
struct failure_options {
    bool all_fail = false; ///< `0`: report when every mechanism fails to give an aligned pass (default)
    bool any_fail = false; ///< `1`: report when any mechanism fails to give an aligned pass
    bool dkim = false;     ///< `d`
    bool spf = false;      ///< `s`
    std::string text;      ///< the value as written, lower-cased
    friend bool operator==(failure_options const&, failure_options const&) = default;
};

/// A tag the parser discarded (RFC 9989 4.8: syntax errors in the remainder of the record MUST
/// be discarded in favour of default values or ignored outright).
struct tag_error {
    std::string tag;     ///< the tag name as written (lower-cased), or the whole item when no `=`
    std::string value;   ///< the value as written
    std::string message; ///< what was wrong, for logs
};

/// A parsed DMARC policy record. Every tag is optional: absent and discarded tags are empty and
/// the `*_or_default()` accessors give the RFC defaults. All tags of both specifications are
/// kept; which ones an evaluation honours depends on dmarc::spec.
struct record {
    std::optional<policy> p, sp, np;
    std::optional<psd_flag> psd;
    std::optional<bool> t; ///< testing mode (RFC 9989)
    std::optional<alignment_mode> adkim, aspf;
    std::optional<failure_options> fo;
    std::optional<std::string> rua_text, ruf_text; ///< the tag values as written (trimmed)
    std::vector<report_uri> rua, ruf;
    std::optional<unsigned> pct;           ///< RFC 7489 sampling rate, 0..100
    std::optional<std::string> rf;         ///< RFC 7489 failure report formats, lower-cased
    std::optional<std::uint32_t> ri;       ///< RFC 7489 aggregate interval, seconds
    std::vector<tag_error> errors;         ///< discarded tags
    std::vector<std::string> unknown_tags; ///< ignored tag names (RFC 9989 4.7: MUST be ignored)

    /// True when a tag of that (lower-case) name was present but discarded.
    bool has_error(std::string_view tag) const noexcept
    {
        for(auto const& e : errors)
            if(e.tag == tag)
                return true;
        return false;
    }

    alignment_mode adkim_or_default() const noexcept { return adkim.value_or(alignment_mode::relaxed); }
    alignment_mode aspf_or_default() const noexcept { return aspf.value_or(alignment_mode::relaxed); }
    psd_flag psd_or_default() const noexcept { return psd.value_or(psd_flag::u); }
    bool testing() const noexcept { return t.value_or(false); }
    unsigned pct_or_default() const noexcept { return pct.value_or(100); }

    /// The valid known tags in canonical text form (`v` first, then p sp np psd t adkim aspf
    /// pct rf ri rua ruf fo): what a report's policy_published and logs show.
    std::vector<std::pair<std::string, std::string>> tags() const;

    /// tags() plus the RFC 9989 defaults of the tags that have one (adkim, aspf, fo). RFC 9989
    /// removed pct/rf/ri, so they are not defaulted.
    std::vector<std::pair<std::string, std::string>> tags_with_defaults() const;

    /// The record as `v=DMARC1; p=reject; ...` from tags().
    std::string to_string() const;
};

/// Parser leniencies, each off the strict RFC reading only where real-world records need it.
struct parse_options {
    /// `v=dmarc1`: RFC 7489 and RFC 9989 4.7 say the value is case-sensitive and the record MUST
    /// be ignored otherwise. Mail::DMARC (the Perl tool) accepts any case; set this for parity.
    bool version_case_insensitive = false;
    /// `v=DMARC1\; p=reject\;`: zone-file escaping leaked into TXT data. Removing a backslash
    /// before `;` can never turn a valid record into a different valid one, so it is on.
    bool unescape_semicolons = true;
};

namespace detail {

inline std::optional<failure_options>
parse_fo(std::string_view v)
{
    failure_options fo;
    for(auto part : split(v, ':')) {
        part = trim(part);
        if(part.size() != 1)
            return std::nullopt;
        switch(lower(part[0])) {
        case '0': fo.all_fail = true; break;
        case '1': fo.any_fail = true; break;
        case 'd': fo.dkim = true; break;
        case 's': fo.spf = true; break;
        default: return std::nullopt;
        }
    }
    fo.text = to_lower(v);
    return fo;
}

inline std::optional<std::uint64_t>
parse_decimal(std::string_view v, std::uint64_t max) noexcept
{
    if(v.empty() || v.size() > 10)
        return std::nullopt;
    std::uint64_t n = 0;
    for(char c : v) {
        if(c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if(n > max)
        return std::nullopt;
    return n;
}

inline bool
is_dmarc_value(std::string_view v) noexcept
{
    // dmarc-value = %x20-3A / %x3C-7E (printing characters but semicolon), at least one
    if(v.empty())
        return false;
    for(char c : v) {
        auto const u = static_cast<unsigned char>(c);
        if(u < 0x20 || u > 0x7e || c == ';')
            return false;
    }
    return true;
}

inline bool
is_tag_name(std::string_view n) noexcept
{
    if(n.empty())
        return false;
    for(char c : n)
        if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    return true;
}

/// Applies one tag to `r`. Returns an error message, or empty when the tag was accepted or is
/// unknown (and so ignored).
inline std::string
apply_tag(record& r, std::string const& name, std::string_view value)
{
    if(!is_dmarc_value(value))
        return "empty value or a character outside %x20-7E";
    auto set_policy = [&](std::optional<policy>& slot) -> std::string {
        auto p = parse_policy(value);
        if(!p)
            return "not none, quarantine or reject";
        slot = *p;
        return {};
    };
    auto set_mode = [&](std::optional<alignment_mode>& slot) -> std::string {
        if(iequals(value, "r"))
            slot = alignment_mode::relaxed;
        else if(iequals(value, "s"))
            slot = alignment_mode::strict;
        else
            return "not r or s";
        return {};
    };
    auto set_uris = [&](std::optional<std::string>& text, std::vector<report_uri>& list) -> std::string {
        auto uris = parse_report_uri_list(value);
        if(!has_supported_uri(uris))
            return "no usable mailto: or http(s): URI";
        text = std::string(value);
        list = std::move(uris);
        return {};
    };
    if(name == "p")
        return set_policy(r.p);
    if(name == "sp")
        return set_policy(r.sp);
    if(name == "np")
        return set_policy(r.np);
    if(name == "adkim")
        return set_mode(r.adkim);
    if(name == "aspf")
        return set_mode(r.aspf);
    if(name == "rua")
        return set_uris(r.rua_text, r.rua);
    if(name == "ruf")
        return set_uris(r.ruf_text, r.ruf);
    if(name == "psd") {
        if(iequals(value, "y"))
            r.psd = psd_flag::y;
        else if(iequals(value, "n"))
            r.psd = psd_flag::n;
        else if(iequals(value, "u"))
            r.psd = psd_flag::u;
        else
            return "not y, n or u";
        return {};
    }
    if(name == "t") {
        if(iequals(value, "y"))
            r.t = true;
        else if(iequals(value, "n"))
            r.t = false;
        else
            return "not y or n";
        return {};
    }
    if(name == "fo") {
        auto fo = parse_fo(value);
        if(!fo)
            return "not a colon-separated list of 0, 1, d, s";
        r.fo = std::move(*fo);
        return {};
    }
    if(name == "pct") {
        auto n = parse_decimal(value, 100);
        if(!n)
            return "not an integer 0..100";
        r.pct = static_cast<unsigned>(*n);
        return {};
    }
    if(name == "ri") {
        auto n = parse_decimal(value, 4294967295ull);
        if(!n)
            return "not an integer 0..4294967295";
        r.ri = static_cast<std::uint32_t>(*n);
        return {};
    }
    if(name == "rf") {
        for(auto f : split(value, ':')) {
            f = trim(f);
            if(!iequals(f, "afrf") && !iequals(f, "iodef"))
                return "not a list of afrf, iodef";
        }
        r.rf = to_lower(value);
        return {};
    }
    r.unknown_tags.push_back(name);
    return {};
}

inline bool
is_version_item(std::string_view item, parse_options const& opt) noexcept
{
    item = trim(item);
    if(item.empty() || (item[0] != 'v' && item[0] != 'V'))
        return false;
    item.remove_prefix(1);
    item = trim(item);
    if(item.empty() || item[0] != '=')
        return false;
    item.remove_prefix(1);
    item = trim(item);
    return opt.version_case_insensitive ? iequals(item, "DMARC1") : item == "DMARC1";
}

} // namespace detail

/// Parses TXT record text (character-strings already joined). Returns nullopt when it is not a
/// DMARC record: `v=DMARC1` missing or not the first tag (RFC 9989 4.7: the entire record MUST
/// be ignored). Any other syntax error discards only that tag (listed in record::errors).
/// Never throws on hostile input beyond std::bad_alloc.
inline std::optional<record>
parse_record(std::string_view text, parse_options const& opt = {})
{
    std::string buffer;
    if(opt.unescape_semicolons && text.find("\\;") != std::string_view::npos) {
        buffer.reserve(text.size());
        for(std::size_t i = 0; i < text.size(); ++i) {
            if(text[i] == '\\' && i + 1 < text.size() && text[i + 1] == ';')
                continue;
            buffer += text[i];
        }
        text = buffer;
    }
    auto items = detail::split(text, ';');
    if(!detail::is_version_item(items.front(), opt))
        return std::nullopt;
    record r;
    std::vector<std::string> seen;
    for(std::size_t i = 1; i < items.size(); ++i) {
        auto const item = detail::trim(items[i]);
        if(item.empty())
            continue; // ";;" and the optional trailing separator
        auto const eq = item.find('=');
        if(eq == std::string_view::npos) {
            r.errors.push_back({detail::to_lower(item), {}, "no '=' in tag"});
            continue;
        }
        auto const raw_name = detail::trim(item.substr(0, eq));
        auto const value = detail::trim(item.substr(eq + 1));
        std::string name = detail::to_lower(raw_name);
        if(!detail::is_tag_name(raw_name)) {
            r.errors.push_back({std::move(name), std::string(value), "tag name is not 1*ALPHA"});
            continue;
        }
        bool duplicate = false;
        for(auto const& s : seen)
            duplicate = duplicate || s == name;
        if(duplicate) {
            // RFC 6376 3.2 (whose tag-list syntax DMARC borrows) forbids repeats; keeping the
            // first and discarding the rest is the "discard in favour of" reading of 4.8.
            r.errors.push_back({std::move(name), std::string(value), "duplicate tag"});
            continue;
        }
        seen.push_back(name);
        if(name == "v") {
            r.errors.push_back({std::move(name), std::string(value), "v= must be the first tag only"});
            continue;
        }
        if(auto msg = detail::apply_tag(r, name, value); !msg.empty())
            r.errors.push_back({std::move(name), std::string(value), std::move(msg)});
    }
    return r;
}

/// Checks one tag value on its own, with the rules parse_record() applies (`v` included).
/// Unknown tags are reported invalid here, since a validator is asked about a known tag.
inline bool
is_valid_tag_value(std::string_view tag, std::string_view value, parse_options const& opt = {})
{
    auto const name = detail::to_lower(tag);
    if(name == "v")
        return detail::is_version_item("v=" + std::string(value), opt);
    record r;
    auto const msg = detail::apply_tag(r, name, detail::trim(value));
    return msg.empty() && r.unknown_tags.empty();
}

/// How policy discovery may use a record (RFC 7489 6.6.3 step 6, RFC 9989 4.10.1 and 4.7 p=).
enum class record_usability : std::uint8_t {
    usable,         ///< apply as published
    usable_as_none, ///< act as if the record were `v=DMARC1; p=none` (broken policy, valid rua)
    unusable,       ///< apply no DMARC processing
};

/// Decides record_usability. A p=, sp= or np= that was present but invalid leaves the record
/// usable only as p=none, and only when rua= has a usable URI. A missing p= is p=none for a
/// PSD record (psd=y, RFC 9989 4.7 "treated as if it included p=none"; PSO records often carry
/// only psd=y) and is otherwise handled like an invalid one (4.10.1 "does not contain a valid p
/// tag"): a bare `v=DMARC1` expresses nothing and gets no DMARC processing.
inline record_usability
usability(record const& r, spec s) noexcept
{
    bool const rua_ok = has_supported_uri(r.rua);
    bool const broken = r.has_error("p") || r.has_error("sp") || r.has_error("np");
    if(broken)
        return rua_ok ? record_usability::usable_as_none : record_usability::unusable;
    if(!r.p) {
        if(s == spec::rfc9989 && r.psd == psd_flag::y)
            return record_usability::usable;
        return rua_ok ? record_usability::usable_as_none : record_usability::unusable;
    }
    return record_usability::usable;
}

inline std::vector<std::pair<std::string, std::string>>
record::tags() const
{
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("v", "DMARC1");
    if(p)
        out.emplace_back("p", std::string(dmarc::to_string(*p)));
    if(sp)
        out.emplace_back("sp", std::string(dmarc::to_string(*sp)));
    if(np)
        out.emplace_back("np", std::string(dmarc::to_string(*np)));
    if(psd)
        out.emplace_back("psd", std::string(dmarc::to_string(*psd)));
    if(t)
        out.emplace_back("t", *t ? "y" : "n");
    if(adkim)
        out.emplace_back("adkim", std::string(dmarc::to_string(*adkim)));
    if(aspf)
        out.emplace_back("aspf", std::string(dmarc::to_string(*aspf)));
    if(pct)
        out.emplace_back("pct", std::to_string(*pct));
    if(rf)
        out.emplace_back("rf", *rf);
    if(ri)
        out.emplace_back("ri", std::to_string(*ri));
    if(rua_text)
        out.emplace_back("rua", *rua_text);
    if(ruf_text)
        out.emplace_back("ruf", *ruf_text);
    if(fo)
        out.emplace_back("fo", fo->text);
    return out;
}

inline std::vector<std::pair<std::string, std::string>>
record::tags_with_defaults() const
{
    auto out = tags();
    if(!adkim)
        out.emplace_back("adkim", "r");
    if(!aspf)
        out.emplace_back("aspf", "r");
    if(!fo)
        out.emplace_back("fo", "0");
    return out;
}

inline std::string
record::to_string() const
{
    std::string out;
    for(auto const& [k, v] : tags()) {
        if(!out.empty())
            out += "; ";
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

} // namespace authmilter::dmarc

#endif
