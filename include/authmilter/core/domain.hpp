// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_DOMAIN_HPP
#define AUTHMILTER_CORE_DOMAIN_HPP

#include <authmilter/core/detail/ascii.hpp>
#include <authmilter/core/error.hpp>

#include <boost/system/result.hpp>

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::core {

/// ASCII case-insensitive equality: `A`-`Z` match `a`-`z`, every other byte (UTF-8 included)
/// must be equal. This is how DNS names, header field names and SMTP keywords compare.
constexpr bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i)
        if(detail::to_lower(a[i]) != detail::to_lower(b[i]))
            return false;
    return true;
}

/// A domain name in the normal form every check compares: ASCII letters lower-cased, without
/// the trailing dot.
///
/// What `parse` accepts, and why:
/// - labels of 1 to 63 octets, at most 253 octets in all (RFC 1035 2.3.4, in text form);
/// - letters, digits, hyphen and underscore. Underscore is not a host name character, but the
///   names this library looks up are not all host names: `sel._domainkey.example.com`,
///   `_dmarc.example.com`, `_spf.example.com`. A hyphen may start or end a label, as DNS allows
///   and as the Perl milter's domain check (`[a-z0-9_\-]+`) allows;
/// - A-labels (`xn--...`) are ASCII and pass unchanged (no Punycode decoding is done);
/// - UTF-8 (U-labels, from SMTPUTF8 or RFC 6532 headers) is kept byte for byte, must be
///   well-formed, and makes `is_ascii()` false. Only ASCII letters are case-folded, and label
///   lengths are counted in UTF-8 octets, not in the A-label form.
///
/// A default-constructed domain is empty (it stands for "no domain", e.g. the null path).
class domain {
public:
    /// The empty domain.
    domain() = default;

    /// Parses and normalises `text`; one trailing dot is removed.
    /// @return the domain, or `error::bad_domain`, `empty_label`, `label_too_long`,
    ///         `domain_too_long`.
    static boost::system::result<domain> parse(std::string_view text);

    /// The normalised text, e.g. `mail.example.com`.
    std::string const& str() const noexcept { return name_; }
    std::string_view view() const noexcept { return name_; }
    bool empty() const noexcept { return name_.empty(); }
    std::size_t size() const noexcept { return name_.size(); }

    /// False when the name contains UTF-8 (U-labels).
    bool is_ascii() const noexcept { return ascii_; }

    /// The labels from left to right (`mail`, `example`, `com`); views into this object.
    std::vector<std::string_view> labels() const;

    /// The number of labels; 0 for the empty domain.
    std::size_t label_count() const noexcept;

    /// The name without its leftmost label (`example.com` for `mail.example.com`); nullopt for a
    /// single-label or empty domain (the root is not a domain here).
    std::optional<domain> parent() const;

    /// True when this domain is `other` or lies below it, label-wise (RFC 1034 3.1: a domain is
    /// a subdomain of itself). `badexample.com` is not below `example.com`. Nothing is below
    /// or above the empty domain.
    bool is_subdomain_of(domain const& other) const noexcept;

    /// True when this domain lies strictly below `other`.
    bool is_proper_subdomain_of(domain const& other) const noexcept
    {
        return is_subdomain_of(other) && name_.size() != other.name_.size();
    }

    friend bool operator==(domain const& a, domain const& b) noexcept { return a.name_ == b.name_; }
    friend std::strong_ordering operator<=>(domain const& a, domain const& b) noexcept
    {
        return a.name_ <=> b.name_;
    }

    /// Boost.Hash support.
    friend std::size_t hash_value(domain const& d) noexcept { return std::hash<std::string>{}(d.name_); }

private:
    std::string name_;
    bool ascii_ = true;
};

namespace detail {

/// Length of the well-formed UTF-8 sequence starting at `s[i]` (a non-ASCII lead byte), or 0
/// when it is malformed: RFC 3629 forbids overlong forms, surrogates and values past U+10FFFF.
constexpr std::size_t
utf8_sequence_length(std::string_view s, std::size_t i) noexcept
{
    auto const byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto const lead = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf; // allowed range of the second byte
    if(lead >= 0xc2 && lead <= 0xdf) {
        n = 2;
    } else if(lead >= 0xe0 && lead <= 0xef) {
        n = 3;
        if(lead == 0xe0)
            lo = 0xa0; // overlong
        else if(lead == 0xed)
            hi = 0x9f; // surrogates
    } else if(lead >= 0xf0 && lead <= 0xf4) {
        n = 4;
        if(lead == 0xf0)
            lo = 0x90; // overlong
        else if(lead == 0xf4)
            hi = 0x8f; // past U+10FFFF
    } else {
        return 0;
    }
    if(s.size() - i < n)
        return 0;
    if(byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for(std::size_t k = 2; k < n; ++k)
        if(byte(i + k) < 0x80 || byte(i + k) > 0xbf)
            return 0;
    return n;
}

} // namespace detail

inline boost::system::result<domain>
domain::parse(std::string_view text)
{
    if(text.empty())
        return error::bad_domain;
    if(text.back() == '.')
        text.remove_suffix(1);
    if(text.empty() || text.front() == '.')
        return error::empty_label;
    if(text.size() > 253)
        return error::domain_too_long;

    domain d;
    d.name_.reserve(text.size());
    std::size_t label = 0; // octets in the current label
    for(std::size_t i = 0; i < text.size();) {
        char const c = text[i];
        if(c == '.') {
            if(label == 0)
                return error::empty_label;
            label = 0;
            d.name_ += c;
            ++i;
            continue;
        }
        std::size_t n = 1;
        if(detail::is_non_ascii(c)) {
            n = detail::utf8_sequence_length(text, i);
            if(n == 0)
                return error::bad_domain;
            d.ascii_ = false;
            d.name_.append(text.substr(i, n));
        } else if(detail::is_alnum(c) || c == '-' || c == '_') {
            d.name_ += detail::to_lower(c);
        } else {
            return error::bad_domain;
        }
        label += n;
        if(label > 63)
            return error::label_too_long;
        i += n;
    }
    if(label == 0)
        return error::empty_label; // "example..": the first dot was trailing, the second not
    return d;
}

inline std::vector<std::string_view>
domain::labels() const
{
    std::vector<std::string_view> out;
    std::string_view rest = name_;
    while(!rest.empty()) {
        auto const dot = rest.find('.');
        out.push_back(rest.substr(0, dot));
        if(dot == std::string_view::npos)
            break;
        rest.remove_prefix(dot + 1);
    }
    return out;
}

inline std::size_t
domain::label_count() const noexcept
{
    if(name_.empty())
        return 0;
    std::size_t n = 1;
    for(char c : name_)
        n += c == '.';
    return n;
}

inline std::optional<domain>
domain::parent() const
{
    auto const dot = name_.find('.');
    if(dot == std::string::npos)
        return std::nullopt;
    domain d;
    d.name_ = name_.substr(dot + 1);
    d.ascii_ = true;
    for(char c : d.name_)
        if(detail::is_non_ascii(c))
            d.ascii_ = false;
    return d;
}

inline bool
domain::is_subdomain_of(domain const& other) const noexcept
{
    if(name_.empty() || other.name_.empty() || name_.size() < other.name_.size())
        return false;
    std::string_view const self = name_;
    if(self.substr(self.size() - other.name_.size()) != other.name_)
        return false;
    return self.size() == other.name_.size() || self[self.size() - other.name_.size() - 1] == '.';
}

} // namespace authmilter::core

template<> struct std::hash<authmilter::core::domain> {
    std::size_t operator()(authmilter::core::domain const& d) const noexcept { return hash_value(d); }
};

#endif
