// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_DETAIL_WIRE_HPP
#define AUTHMILTER_MILTER_DETAIL_WIRE_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace authmilter::milter::detail {

inline std::uint32_t
get_u32(char const* p) noexcept
{
    auto const b = [p](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
    return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

inline std::uint16_t
get_u16(char const* p) noexcept
{
    return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                                      static_cast<unsigned char>(p[1]));
}

inline void
put_u32(std::string& out, std::uint32_t v)
{
    out.push_back(static_cast<char>((v >> 24) & 0xff));
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
}

inline void
put_u32_at(std::string& out, std::size_t at, std::uint32_t v)
{
    out[at] = static_cast<char>((v >> 24) & 0xff);
    out[at + 1] = static_cast<char>((v >> 16) & 0xff);
    out[at + 2] = static_cast<char>((v >> 8) & 0xff);
    out[at + 3] = static_cast<char>(v & 0xff);
}

/// Appends a NUL-terminated string.
inline void
put_cstr(std::string& out, std::string_view s)
{
    out.append(s);
    out.push_back('\0');
}

/// Opens a frame: reserves the length, writes the command byte, returns where the length goes.
inline std::size_t
begin_frame(std::string& out, char cmd)
{
    auto const at = out.size();
    out.append(4, '\0');
    out.push_back(cmd);
    return at;
}

/// Closes a frame opened at `at`; false (and the frame removed) if it exceeds the 32-bit length.
inline bool
end_frame(std::string& out, std::size_t at)
{
    auto const len = out.size() - at - 4;
    if(len > 0xffffffffu) {
        out.resize(at);
        return false;
    }
    put_u32_at(out, at, static_cast<std::uint32_t>(len));
    return true;
}

} // namespace authmilter::milter::detail

#endif
