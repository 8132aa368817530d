// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_STAGE_HPP
#define AUTHMILTER_PIPELINE_STAGE_HPP

#include <authmilter/core/header_field.hpp>
#include <authmilter/core/ip_address.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace authmilter::pipeline {

/// The SMTP stages a handler can act on, in the order an MTA reaches them.
enum class stage : std::uint8_t { connect, helo, envfrom, envrcpt, header, eoh, body, eom, abort, close };

inline constexpr std::size_t stage_count = 10;

/// Lower-case stage name, as used in logs and timeouts.
constexpr std::string_view
to_string(stage s) noexcept
{
    constexpr std::string_view names[] = {"connect", "helo", "envfrom", "envrcpt", "header",
                                          "eoh",     "body", "eom",     "abort",   "close"};
    return names[static_cast<std::size_t>(s)];
}

/// A constexpr set of stages; the milter front-end turns it into protocol flags.
class stage_set {
public:
    constexpr stage_set() noexcept = default;
    constexpr stage_set(std::initializer_list<stage> stages) noexcept
    {
        for(auto s : stages)
            bits_ |= bit(s);
    }
    constexpr bool contains(stage s) const noexcept { return (bits_ & bit(s)) != 0; }
    constexpr stage_set& insert(stage s) noexcept
    {
        bits_ |= bit(s);
        return *this;
    }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr std::uint16_t bits() const noexcept { return bits_; }
    friend constexpr stage_set operator|(stage_set a, stage_set b) noexcept
    {
        a.bits_ |= b.bits_;
        return a;
    }
    friend constexpr bool operator==(stage_set, stage_set) noexcept = default;

private:
    static constexpr std::uint16_t bit(stage s) noexcept
    {
        return static_cast<std::uint16_t>(1u << static_cast<unsigned>(s));
    }
    std::uint16_t bits_ = 0;
};

/// The events passed to stage callbacks. Each names its stage in `kind`. Views point into the
/// front-end's buffers and are valid for the duration of the callback only.
namespace events {

struct connect {
    static constexpr stage kind = stage::connect;
    std::string_view hostname;          ///< the name the MTA resolved, or "[ip]"
    std::optional<core::ip_address> ip; ///< absent for unix sockets or unknown families
    std::uint16_t port = 0;
};

struct helo {
    static constexpr stage kind = stage::helo;
    std::string_view name;
};

struct envfrom {
    static constexpr stage kind = stage::envfrom;
    std::string_view address;            ///< reverse-path without brackets; empty = null sender
    std::span<std::string const> params; ///< ESMTP parameters
};

struct envrcpt {
    static constexpr stage kind = stage::envrcpt;
    std::string_view address;
    std::span<std::string const> params;
};

struct header {
    static constexpr stage kind = stage::header;
    core::header_field const& field;
};

struct eoh {
    static constexpr stage kind = stage::eoh;
};

struct body {
    static constexpr stage kind = stage::body;
    std::string_view chunk;
};

struct eom {
    static constexpr stage kind = stage::eom;
};

struct abort {
    static constexpr stage kind = stage::abort;
};

struct close {
    static constexpr stage kind = stage::close;
};

} // namespace events

} // namespace authmilter::pipeline

#endif
