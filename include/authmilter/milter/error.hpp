// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_ERROR_HPP
#define AUTHMILTER_MILTER_ERROR_HPP

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <string>
#include <type_traits>

namespace authmilter::milter {

/// Why the milter protocol layer gave up on a connection, or refused to encode a reply. Reported
/// through `boost::system::error_code` with the category `"authmilter.milter"`.
///
/// Every decoding error is final for its connection: the decoder refuses further input and the
/// server closes the socket, so that the MTA applies its `milter_default_action` instead of
/// the milter crashing or guessing. The values are stable (logged, counted in metrics).
enum class error {
    // -- framing (the decoder) -------------------------------------------------------------------
    /// A frame whose 4-byte length is 0: there is not even a command byte.
    empty_frame = 1,
    /// A frame length above the decoder's `max_frame_size`; nothing of it was buffered.
    frame_too_large,
    /// The command byte is none of `A B C D E H K L M N O Q R T U`.
    unknown_command,
    /// The payload is shorter than its command's fixed fields (an `O` of fewer than 12 bytes, a
    /// connect without its port, a macro packet without its stage byte).
    truncated_payload,
    /// A string field of the payload is not NUL-terminated.
    missing_nul,
    /// The payload has the wrong shape: a macro name without a value, an unknown address
    /// family, bytes after the last field, a header without a value.
    malformed_payload,
    /// A command that carries no payload (`A N T Q K`) came with one.
    unexpected_payload,
    /// The stream ended inside a frame.
    partial_frame,
    /// Input was offered after an earlier error; the decoder stays failed.
    decoder_failed,

    // -- the session ------------------------------------------------------------------------------
    /// A command that cannot follow the previous ones (a header before MAIL, a second `O`, a
    /// body chunk after end of message, anything after `Q`).
    out_of_order,
    /// The MTA offered a protocol version below 2.
    unsupported_version,

    // -- the encoder ------------------------------------------------------------------------------
    /// A reply argument that the protocol cannot carry: a NUL inside a string, an SMTP code that
    /// is not 4xx/5xx, an extended code whose class differs from the code's, an empty or
    /// malformed header name, a frame that would not fit the 32-bit length.
    bad_reply_argument,
};

namespace detail {

class milter_error_category final : public boost::system::error_category {
public:
    // A fixed identifier makes the copies of a header-only category in several shared objects
    // compare equal (Boost.System's advice for header-only categories).
    constexpr milter_error_category() noexcept
        : boost::system::error_category(0x6d696c7465720001ULL)
    {}

    char const* name() const noexcept override { return "authmilter.milter"; }

    std::string message(int ev) const override { return describe(ev); }

    char const* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

private:
    static char const* describe(int ev) noexcept
    {
        switch(static_cast<error>(ev)) {
        case error::empty_frame: return "milter frame of length 0";
        case error::frame_too_large: return "milter frame longer than the configured limit";
        case error::unknown_command: return "unknown milter command";
        case error::truncated_payload: return "milter payload shorter than its fixed fields";
        case error::missing_nul: return "milter string not NUL-terminated";
        case error::malformed_payload: return "malformed milter payload";
        case error::unexpected_payload: return "payload on a milter command that takes none";
        case error::partial_frame: return "stream ended inside a milter frame";
        case error::decoder_failed: return "milter decoder already failed";
        case error::out_of_order: return "milter command out of order";
        case error::unsupported_version: return "unsupported milter protocol version";
        case error::bad_reply_argument: return "invalid milter reply argument";
        }
        return "unknown authmilter.milter error";
    }
};

} // namespace detail

/// The category of `milter::error` values; its name is `"authmilter.milter"`.
inline boost::system::error_category const&
error_category() noexcept
{
    static constexpr detail::milter_error_category category;
    return category;
}

/// Makes an `error_code` of the `"authmilter.milter"` category (found by argument-dependent
/// lookup, so `ec = milter::error::out_of_order` works).
inline boost::system::error_code
make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace authmilter::milter

namespace boost::system {

template<> struct is_error_code_enum<authmilter::milter::error> : std::true_type {};

} // namespace boost::system

#endif
