// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_RESULT_HPP
#define AUTHMILTER_AUTHRES_RESULT_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::authres {

/** One `ptype.property=value` item of a result (RFC 8601 section 2.2 "propspec"), or a lenient
    `key=value` item without a `ptype.` prefix.

    Mail::AuthenticationResults accepts items without a ptype (`x-ptr-helo=...`, `action=none`,
    `bits=128/128`) and writes them back where they were, interleaved with real properties, so both
    kinds share one ordered list; an item whose `ptype` is empty is such a "non-RFC item".

    Invariants the parser guarantees and the formatter relies on for a lossless round trip:
    `property` is not empty, `ptype` contains no '.', and a non-RFC item's `property` contains no
    '.' (a dotted key is always split at its first '.').
*/
struct property {
    std::string ptype; ///< `smtp`, `header`, `body`, `policy`...; empty for a non-RFC item
    std::string name;  ///< the property after the '.', e.g. `mailfrom`; the key of a non-RFC item
    std::string value; ///< the value, unquoted; may be empty (written `key=""`)
    std::vector<std::string> comments; ///< comment texts (without the parentheses) that follow the value

    /// True when this is a real RFC 8601 property (it has a ptype).
    bool is_rfc() const noexcept { return !ptype.empty(); }

    /// The key as written: `ptype.name`, or `name` for a non-RFC item.
    std::string key() const { return ptype.empty() ? name : ptype + '.' + name; }

    friend bool operator==(property const&, property const&) = default;
};

/** One result (RFC 8601 "resinfo"): `method[/version]=result [reason=...] [properties]`, with comments.

    Comments are kept where Mail::AuthenticationResults keeps them, because its output (which postmasters
    parse) depends on it: comments that come before the first property belong to the result itself
    (`comments`); a comment after a property's value belongs to that property. A method version is written
    after `method_version_position` of the result's own comments (the Perl tool writes it after the result,
    `dkim=fail / 1`; see `format_options::rfc_method_version` for the RFC 8601 placement).
*/
struct result {
    std::string method; ///< `spf`, `dkim`, `dmarc`, `x-...`; never empty once formatted
    std::optional<std::string> method_version; ///< digits, e.g. `1` in `dkim/1=pass`
    std::size_t method_version_position = 0;   ///< how many of `comments` are written before the version
    std::string value; ///< the result: `pass`, `fail`, `none`...; may be empty (lenient input)
    std::optional<std::string> reason; ///< the `reason="..."` value, when present right after the result
    std::vector<std::string> reason_comments; ///< comments after the reason value
    std::vector<std::string> comments;        ///< comments on the result itself, in order
    std::vector<property> properties;         ///< properties and non-RFC items, in order

    result() = default;

    /// A result `method=value` with nothing else.
    result(std::string m, std::string v)
        : method(std::move(m))
        , value(std::move(v))
    {}

    /// Appends a comment (text without parentheses) to the result; returns *this for chaining.
    result& add_comment(std::string text)
    {
        comments.push_back(std::move(text));
        return *this;
    }

    /// Appends a property `ptype.name=value`; returns *this for chaining.
    result& add_property(std::string ptype, std::string name, std::string v)
    {
        properties.push_back(property{std::move(ptype), std::move(name), std::move(v), {}});
        return *this;
    }

    /// Appends a property followed by one comment, e.g. `policy.iprev=192.0.2.1 (mail.example.com)`.
    result& add_property(std::string ptype, std::string name, std::string v, std::string comment)
    {
        properties.push_back(property{std::move(ptype), std::move(name), std::move(v), {std::move(comment)}});
        return *this;
    }

    /// The real RFC 8601 properties (those with a ptype), in order.
    std::vector<property> rfc_properties() const
    {
        std::vector<property> out;
        for(auto const& p : properties)
            if(p.is_rfc())
                out.push_back(p);
        return out;
    }

    /// The lenient `key=value` items without a ptype, in order.
    std::vector<property> non_rfc_items() const
    {
        std::vector<property> out;
        for(auto const& p : properties)
            if(!p.is_rfc())
                out.push_back(p);
        return out;
    }

    /// The first property whose ptype and name match (ASCII case-insensitive), or nullptr.
    property const* find_property(std::string_view ptype, std::string_view name) const noexcept
    {
        for(auto const& p : properties)
            if(iequals(p.ptype, ptype) && iequals(p.name, name))
                return &p;
        return nullptr;
    }

    friend bool operator==(result const&, result const&) = default;

private:
    static bool iequals(std::string_view a, std::string_view b) noexcept
    {
        if(a.size() != b.size())
            return false;
        for(std::size_t i = 0; i < a.size(); ++i) {
            char x = a[i], y = b[i];
            if(x >= 'A' && x <= 'Z')
                x = static_cast<char>(x - 'A' + 'a');
            if(y >= 'A' && y <= 'Z')
                y = static_cast<char>(y - 'A' + 'a');
            if(x != y)
                return false;
        }
        return true;
    }
};

/** A whole Authentication-Results field body (RFC 8601 section 2.2 "authres-payload").

    `results` empty means `none` (written `authserv-id; none`).
*/
struct header {
    std::string authserv_id;                     ///< who produced the results; must not be empty
    std::optional<std::string> authserv_version; ///< digits, e.g. `1` in `example.com 1; none`
    std::vector<std::string> authserv_comments;  ///< comments in the authserv-id part
    std::vector<property> authserv_properties; ///< lenient `key=value` items in the authserv-id part (Yahoo!)
    std::vector<std::string> header_comments;  ///< comments in `none` segments (`example.com; (text) none`)
    std::vector<result> results;               ///< the results, in order; empty means `none`

    header() = default;

    /// A header for `authserv_id` with no results yet.
    explicit header(std::string id)
        : authserv_id(std::move(id))
    {}

    /// Appends a result and returns a reference to it, to add comments and properties.
    result& add(result r)
    {
        results.push_back(std::move(r));
        return results.back();
    }

    /// True when the header reports no result (`none`).
    bool is_none() const noexcept { return results.empty(); }

    friend bool operator==(header const&, header const&) = default;
};

} // namespace authmilter::authres

#endif
