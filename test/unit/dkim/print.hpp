// Printers so that BOOST_TEST can show DKIM enums in failure messages (found by ADL).
#ifndef AUTHMILTER_TEST_UNIT_DKIM_PRINT_HPP
#define AUTHMILTER_TEST_UNIT_DKIM_PRINT_HPP

#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/result.hpp>

#include <ostream>

namespace authmilter::dkim {

inline std::ostream&
boost_test_print_type(std::ostream& os, error e)
{
    return os << static_cast<int>(e) << " (" << make_error_code(e).message() << ")";
}

inline std::ostream&
boost_test_print_type(std::ostream& os, result r)
{
    return os << to_string(r);
}

} // namespace authmilter::dkim

#endif
