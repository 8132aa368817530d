// The single Boost.Test main shared by every unit suite executable.
#define BOOST_TEST_MODULE authmilter
#include <boost/test/unit_test.hpp>
