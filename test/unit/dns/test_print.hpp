// Boost.Test printers for the DNS vocabulary types, so failed checks show values.
#ifndef AUTHMILTER_TEST_UNIT_DNS_TEST_PRINT_HPP
#define AUTHMILTER_TEST_UNIT_DNS_TEST_PRINT_HPP

#include <authmilter/dns/answer.hpp>

#include <optional>
#include <ostream>

namespace authmilter::dns {
inline std::ostream&
boost_test_print_type(std::ostream& os, outcome o)
{
    return os << to_string(o);
}
inline std::ostream&
boost_test_print_type(std::ostream& os, rr_type t)
{
    return os << to_string(t);
}
} // namespace authmilter::dns

namespace authmilter::core {
inline std::ostream&
boost_test_print_type(std::ostream& os, ip_address const& a)
{
    return os << a.to_string();
}
} // namespace authmilter::core

#endif
