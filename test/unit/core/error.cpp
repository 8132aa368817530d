// Test that header file is self-contained.
#include <authmilter/core/error.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

namespace core = authmilter::core;
using core::error;

namespace {

constexpr error all_errors[] = {
    error::bad_domain,           error::empty_label,
    error::label_too_long,       error::domain_too_long,
    error::bad_address,          error::bad_local_part,
    error::bad_address_literal,  error::unterminated_literal,
    error::unterminated_quote,   error::unbalanced_comment,
    error::comment_too_deep,     error::unterminated_angle,
    error::no_address,           error::nested_group,
    error::unexpected_character, error::bad_path,
    error::null_forward_path,    error::bad_parameter,
};

} // namespace

BOOST_AUTO_TEST_SUITE(core_error)

BOOST_AUTO_TEST_CASE(category_name_is_stable)
{
    BOOST_TEST(std::string(core::error_category().name()) == "authmilter.core");
    // One category object, whichever TU asks.
    BOOST_TEST(&core::error_category() == &core::make_error_code(error::bad_path).category());
}

BOOST_AUTO_TEST_CASE(enum_converts_to_error_code)
{
    boost::system::error_code ec = error::bad_domain;
    BOOST_TEST(ec.failed());
    BOOST_TEST(ec.value() == static_cast<int>(error::bad_domain));
    BOOST_TEST((ec.category() == core::error_category()));
    BOOST_TEST((ec == error::bad_domain));
    BOOST_TEST((ec != error::bad_path));
    // A value-initialised code is success: no enumerator is zero.
    boost::system::error_code const ok;
    BOOST_TEST(!ok.failed());
    for(auto e : all_errors)
        BOOST_TEST(static_cast<int>(e) != 0);
}

BOOST_AUTO_TEST_CASE(every_enumerator_has_its_own_message)
{
    std::set<std::string> seen;
    for(auto e : all_errors) {
        auto const ec = core::make_error_code(e);
        auto const text = ec.message();
        BOOST_TEST(!text.empty());
        BOOST_TEST(text.find("unknown") == std::string::npos, text);
        BOOST_TEST(seen.insert(text).second, "duplicate message: " << text);
        char buf[8];
        BOOST_TEST(std::string(core::error_category().message(ec.value(), buf, sizeof buf)) == text);
    }
    BOOST_TEST(core::error_category().message(9999) == "unknown authmilter.core error");
}

BOOST_AUTO_TEST_CASE(distinct_from_other_categories)
{
    boost::system::error_code const mine = error::bad_path;
    boost::system::error_code const generic(mine.value(), boost::system::generic_category());
    BOOST_TEST((mine != generic));
    BOOST_TEST(mine.to_string().find("authmilter.core") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
