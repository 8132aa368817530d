// Precompiled for every unit suite: the test framework and the standard library parts most
// tests use. Project headers are left out so each test still proves its includes.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>
