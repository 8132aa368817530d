// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_ERROR_HPP
#define AUTHMILTER_CORE_ERROR_HPP

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <string>
#include <type_traits>

namespace authmilter::core {

/// Why a piece of core vocabulary (a domain, an SMTP path, an RFC 5322 address list) could not
/// be parsed. Reported through `boost::system::error_code` with the category `"authmilter.core"`.
///
/// The values are stable: they may be logged, counted in metrics and compared across versions.
/// Zero is never used, so a value-initialised `error_code` means success.
enum class error {
    // -- domain names -------------------------------------------------------------------------
    /// Empty text, a character that is not a letter, digit, hyphen or underscore, or a
    /// non-ASCII name that is not well-formed UTF-8.
    bad_domain = 1,
    /// A label of zero octets: a leading dot, two dots in a row, or a lone ".".
    empty_label,
    /// A label longer than 63 octets (RFC 1035 2.3.4).
    label_too_long,
    /// A name longer than 253 octets without its trailing dot (RFC 1035 2.3.4, in text form).
    domain_too_long,

    // -- addresses (RFC 5321 and RFC 5322) ------------------------------------------------------
    /// An address with nothing usable in it, such as `<>` in a From field or `<@>`.
    bad_address,
    /// A local part that is not a dot-string or quoted string, e.g. two words with a space.
    bad_local_part,
    /// An address literal `[...]` that is neither an IPv4 address nor `IPv6:` followed by an
    /// IPv6 address.
    bad_address_literal,
    /// A `[` that opens an address literal is never closed.
    unterminated_literal,
    /// A `"` that opens a quoted string is never closed (or a backslash ends the input).
    unterminated_quote,
    /// A `(` without its `)`, or a `)` without its `(`.
    unbalanced_comment,
    /// Comments nested deeper than the parser allows (a guard against hostile input).
    comment_too_deep,
    /// A `<` that opens an angle address is never closed.
    unterminated_angle,
    /// An address list element with no address in it: empty input, or a display name alone.
    no_address,
    /// A group inside a group (RFC 5322 3.4 does not nest groups).
    nested_group,
    /// A character that cannot stand where it was found: NUL, a stray special, text after an
    /// address that is not a separator.
    unexpected_character,

    // -- SMTP envelope (RFC 5321 4.1.2) ---------------------------------------------------------
    /// A reverse-path or forward-path that does not follow RFC 5321 even read leniently:
    /// unbalanced brackets, a broken source route, text glued to the closing bracket.
    bad_path,
    /// The null path `<>` where a forward-path (RCPT TO) is required.
    null_forward_path,
    /// An ESMTP parameter that is not `keyword[=value]` with a valid keyword and value.
    bad_parameter,
};

namespace detail {

class core_error_category final : public boost::system::error_category {
public:
    // A fixed identifier makes two copies of the category (one per shared object that inlined
    // it) compare equal, as Boost.System documents for header-only categories.
    constexpr core_error_category() noexcept
        : boost::system::error_category(0x9e3c5a7e2f1d4b61ULL)
    {}

    char const* name() const noexcept override { return "authmilter.core"; }

    std::string message(int ev) const override { return describe(ev); }

    char const* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

private:
    static char const* describe(int ev) noexcept
    {
        switch(static_cast<error>(ev)) {
        case error::bad_domain: return "invalid domain name";
        case error::empty_label: return "empty label in domain name";
        case error::label_too_long: return "domain label longer than 63 octets";
        case error::domain_too_long: return "domain name longer than 253 octets";
        case error::bad_address: return "invalid address";
        case error::bad_local_part: return "invalid local part";
        case error::bad_address_literal: return "invalid address literal";
        case error::unterminated_literal: return "unterminated address literal";
        case error::unterminated_quote: return "unterminated quoted string";
        case error::unbalanced_comment: return "unbalanced comment";
        case error::comment_too_deep: return "comments nested too deeply";
        case error::unterminated_angle: return "unterminated angle address";
        case error::no_address: return "no address";
        case error::nested_group: return "group inside a group";
        case error::unexpected_character: return "unexpected character";
        case error::bad_path: return "invalid SMTP path";
        case error::null_forward_path: return "null forward-path";
        case error::bad_parameter: return "invalid ESMTP parameter";
        }
        return "unknown authmilter.core error";
    }
};

} // namespace detail

/// The category of `core::error` values; its name is `"authmilter.core"`.
inline boost::system::error_category const&
error_category() noexcept
{
    static constexpr detail::core_error_category category;
    return category;
}

/// Makes an `error_code` of the `"authmilter.core"` category; found by argument-dependent lookup,
/// so `ec = core::error::bad_domain` works.
inline boost::system::error_code
make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace authmilter::core

namespace boost::system {

template<> struct is_error_code_enum<authmilter::core::error> : std::true_type {};

} // namespace boost::system

#endif
