// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_AUTHRES_ERROR_HPP
#define AUTHMILTER_AUTHRES_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace authmilter::authres {

/// Why an Authentication-Results field body was rejected by `authres::parse`.
enum class error {
    empty_input = 1,            ///< nothing but whitespace (and the optional field name)
    missing_authserv_id,        ///< the body does not start with an authserv-id (e.g. `;none`)
    unexpected_assignment,      ///< a `=`, `.` or `/` where a key or value was expected (`foo = = bar`)
    unexpected_token,           ///< a `.` or `/` in the authserv-id part, where only `key=value` is allowed
    unexpected_string,          ///< a word where none may follow (`none dkim=pass`, `foo bar = test`)
    empty_string,               ///< a `.` or `/` where a name was expected (`foo . . bar`)
    bad_version,                ///< a method version that is not all digits, or a second one
    property_version,           ///< a version on a property (`header.d/1=x`), which RFC 8601 has no place for
    bad_key,                    ///< an empty key or key part (`""=pass`, `"header."`)
    invalid_character,          ///< a `"` inside an unquoted value (`a=b"c`)
    unterminated_comment,       ///< a `(` without its `)`
    unterminated_quoted_string, ///< a `"` without its closing `"`
    comment_too_deep,           ///< comments nested deeper than `parse_options::max_comment_depth`
};

namespace detail {

class error_category_impl : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "authmilter.authres"; }

    std::string message(int ev) const override
    {
        switch(static_cast<error>(ev)) {
        case error::empty_input: return "nothing to parse";
        case error::missing_authserv_id: return "missing authserv-id";
        case error::unexpected_assignment: return "not expecting an assignment";
        case error::unexpected_token: return "unexpected token";
        case error::unexpected_string: return "not expecting a string";
        case error::empty_string: return "expected a name";
        case error::bad_version: return "bad version token";
        case error::property_version: return "version on a property";
        case error::bad_key: return "empty key";
        case error::invalid_character: return "invalid character in value";
        case error::unterminated_comment: return "mismatched parens in comment";
        case error::unterminated_quoted_string: return "quoted string not closed";
        case error::comment_too_deep: return "comments nested too deeply";
        }
        return "unknown Authentication-Results error";
    }
};

} // namespace detail

/// The category of authres::error codes (name "authmilter.authres").
inline boost::system::error_category const&
error_category() noexcept
{
    static detail::error_category_impl const cat;
    return cat;
}

/// Makes authres::error usable as a boost::system::error_code.
inline boost::system::error_code
make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace authmilter::authres

template<> struct boost::system::is_error_code_enum<authmilter::authres::error> : std::true_type {};

#endif
