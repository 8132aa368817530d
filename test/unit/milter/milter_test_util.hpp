// Helpers shared by the milter unit tests: build frames, render events as text.
#ifndef AUTHMILTER_TEST_UNIT_MILTER_TEST_UTIL_HPP
#define AUTHMILTER_TEST_UNIT_MILTER_TEST_UTIL_HPP

#include <authmilter/milter/codec.hpp>

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>

namespace authmilter::milter {

// Boost.Test prints the operands of a failed comparison.
inline std::ostream&
operator<<(std::ostream& os, error e)
{
    return os << make_error_code(e).message();
}

inline std::ostream&
operator<<(std::ostream& os, command c)
{
    return os << to_string(c);
}

} // namespace authmilter::milter

namespace authmilter::milter::test {

inline std::string
u32(std::uint32_t v)
{
    std::string s;
    detail::put_u32(s, v);
    return s;
}

/// One frame: length, command, payload.
inline std::string
frame(char cmd, std::string_view payload)
{
    return u32(static_cast<std::uint32_t>(payload.size() + 1)) + cmd + std::string(payload);
}

template<class... F> struct overloaded : F... {
    using F::operator()...;
};
template<class... F> overloaded(F...) -> overloaded<F...>;

/// A one-line text form of an event, for comparing decodes.
inline std::string
render(event const& ev)
{
    std::ostringstream os;
    auto list = [&os](string_list l) {
        for(auto s : l)
            os << '[' << s << ']';
    };
    std::visit(overloaded{
                   [&](events::negotiate const& e) {
                       os << "negotiate " << e.version << std::hex << ' ' << e.actions << ' ' << e.protocol;
                   },
                   [&](events::macros const& e) {
                       os << "macros " << static_cast<char>(e.stage) << ' ';
                       for(auto [n, v] : e.values)
                           os << '[' << n << '=' << v << ']';
                   },
                   [&](events::connect const& e) {
                       os << "connect " << e.hostname << ' ' << static_cast<char>(e.family) << ' ' << e.port
                          << ' ' << e.address;
                   },
                   [&](events::helo const& e) { os << "helo " << e.name; },
                   [&](events::mail const& e) {
                       os << "mail ";
                       list(e.args);
                   },
                   [&](events::rcpt const& e) {
                       os << "rcpt ";
                       list(e.args);
                   },
                   [&](events::data const&) { os << "data"; },
                   [&](events::header const& e) { os << "header " << e.name << ':' << e.value; },
                   [&](events::eoh const&) { os << "eoh"; },
                   [&](events::body const& e) { os << "body " << e.bytes.size(); },
                   [&](events::eom const& e) { os << "eom " << e.bytes.size(); },
                   [&](events::abort const&) { os << "abort"; },
                   [&](events::unknown const& e) { os << "unknown " << e.command; },
                   [&](events::quit const&) { os << "quit"; },
                   [&](events::quit_nc const&) { os << "quit_nc"; },
               },
               ev);
    return os.str();
}

} // namespace authmilter::milter::test

#endif
