// Test that header file is self-contained.
#include <authmilter/milter/macros.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace milter = authmilter::milter;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(milter_macros)

BOOST_AUTO_TEST_CASE(macro_store_clears_later_stages)
{
    milter::macro_store m;
    std::string const conn = "j\0mx\0"s, mail = "i\0Q1\0{auth_authen}\0u\0"s, rcpt = "{rcpt_host}\0h\0"s;
    m.set(milter::command::connect, milter::macro_list(conn));
    m.set(milter::command::mail, milter::macro_list(mail));
    m.set(milter::command::rcpt, milter::macro_list(rcpt));
    BOOST_TEST(m.queue_id() == "Q1");
    BOOST_TEST(m.find(milter::command::rcpt, "rcpt_host").value_or("-") == "h");
    m.clear_after(milter::command::mail);
    BOOST_TEST(!m.find("rcpt_host"));
    BOOST_TEST(m.find("auth_authen").value_or("-") == "u");
    m.clear_after(milter::command::connect);
    BOOST_TEST(m.queue_id().empty());
    BOOST_TEST(m.host_name() == "mx");
    m.clear();
    BOOST_TEST(m.host_name().empty());
}

BOOST_AUTO_TEST_CASE(latest_stage_wins_and_braces_are_optional)
{
    milter::macro_store m;
    std::string const conn = "{daemon_name}\0smtpd\0i\0early\0"s, eom = "i\0late\0"s;
    m.set(milter::command::connect, milter::macro_list(conn));
    BOOST_TEST(m.queue_id() == "early");
    m.set(milter::command::eom, milter::macro_list(eom));
    BOOST_TEST(m.queue_id() == "late");
    BOOST_TEST(m.find(milter::command::connect, "i").value_or("-") == "early");
    BOOST_TEST(m.find("{daemon_name}").value_or("-") == "smtpd");
    BOOST_TEST(m.find("daemon_name").value_or("-") == "smtpd");
    BOOST_TEST(!m.find("{daemon}"));
    // A later D for the same stage replaces the earlier one entirely.
    std::string const conn2 = "j\0mx\0"s;
    m.set(milter::command::connect, milter::macro_list(conn2));
    BOOST_TEST(!m.find("daemon_name"));
    BOOST_TEST(m.stage_values(milter::command::connect).raw() == conn2);
    // Values are copied: the store does not depend on the frame buffer.
    std::string transient = "k\0v\0"s;
    m.set(milter::command::helo, milter::macro_list(transient));
    transient.assign(transient.size(), 'x');
    BOOST_TEST(m.find("k").value_or("-") == "v");
}

BOOST_AUTO_TEST_SUITE_END()
