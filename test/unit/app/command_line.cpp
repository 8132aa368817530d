// Test that header file is self-contained.
#include <authmilter/app/command_line.hpp>
#include <authmilter/app/pidfile.hpp>
#include <authmilter/app/process.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <initializer_list>
#include <vector>

using authmilter::app::parse_command_line;

namespace {

authmilter::app::parse_result
parse(std::initializer_list<char const*> args)
{
    std::vector<char const*> argv{"authentication_milter"};
    argv.insert(argv.end(), args.begin(), args.end());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_command_line)

BOOST_AUTO_TEST_CASE(perl_options)
{
    auto const r = parse({"-c", "restart", "--pidfile", "/tmp/x.pid", "--prefix", "/opt/etc", "-i", "two"});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.options.control == "restart");
    BOOST_TEST(r.options.daemon); // control implies daemon
    BOOST_TEST(r.options.pidfile == "/tmp/x.pid");
    BOOST_TEST(r.options.prefix == "/opt/etc");
    BOOST_TEST(r.options.ident == "authentication_milter_two");
}

BOOST_AUTO_TEST_CASE(defaults)
{
    auto const r = parse({});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r.options.daemon);
    BOOST_TEST(r.options.pidfile == "/run/authentication_milter.pid");
    BOOST_TEST(r.options.prefix == "/etc");
    BOOST_TEST(!r.options.check);
}

BOOST_AUTO_TEST_CASE(help_topics)
{
    BOOST_TEST(parse({"-h"}).options.help);
    BOOST_TEST(parse({"--help", "default_config"}).options.help_topic == "default_config");
    BOOST_TEST(parse({"-h", "SPF"}).options.help_topic == "SPF");
    BOOST_TEST(parse({"-h", "-d"}).options.help_topic.empty());
    BOOST_TEST(parse({"-h", "-d"}).options.daemon);
}

BOOST_AUTO_TEST_CASE(check_mode)
{
    auto const r = parse({"--check", "m.eml", "--ip", "192.0.2.1", "--helo", "mx.example.org", "--from",
                          "a@example.org", "--rcpt", "b@example.net", "--rcpt", "c@example.net", "--dns-zone",
                          "z.zone", "--macro", "j=mx.example.com", "--macro={auth_authen}=alice"});
    BOOST_REQUIRE(r.ok());
    auto const& c = *r.options.check;
    BOOST_TEST(c.file == "m.eml");
    BOOST_TEST(c.ip == "192.0.2.1");
    BOOST_TEST(c.rcpts.size() == 2u);
    BOOST_TEST(c.dns_zone == "z.zone");
    BOOST_REQUIRE_EQUAL(c.macros.size(), 2u);
    BOOST_TEST(c.macros[0].first == "j");
    BOOST_TEST(c.macros[1].first == "{auth_authen}");
    BOOST_TEST(c.macros[1].second == "alice");
}

BOOST_AUTO_TEST_CASE(errors_are_explained)
{
    BOOST_TEST(parse({"--control", "reload"}).error ==
               "--control expects start, restart, stop or status, not \"reload\"");
    BOOST_TEST(parse({"--pidfile"}).error == "option --pidfile needs a value");
    BOOST_TEST(parse({"--ip", "1.2.3.4"}).error == "option --ip is only valid with --check");
    BOOST_TEST(parse({"--frobnicate"}).error == "unknown option \"--frobnicate\" (see --help)");
    BOOST_TEST(parse({"--check", "a", "--macro", "novalue"}).error ==
               "--macro expects NAME=VALUE, not \"novalue\"");
    BOOST_TEST(parse({"--check", "a", "-c", "stop"}).error == "--check and --control cannot be combined");
}

BOOST_AUTO_TEST_CASE(pidfile_round_trip_and_running_check)
{
    auto const path = (std::filesystem::temp_directory_path() / "authmilter-test.pid").string();
    BOOST_TEST(!authmilter::app::write_pidfile(path, ::getpid()));
    BOOST_TEST(authmilter::app::read_pidfile(path).value_or(0) == ::getpid());
    // This test process is not an authentication_milter: a pidfile naming it is not "running".
    BOOST_TEST(!authmilter::app::running_daemon(path, "authentication_milter"));
    BOOST_TEST(!authmilter::app::write_pidfile(path, 999999));
    BOOST_TEST(!authmilter::app::running_daemon(path, "authentication_milter"));
    std::filesystem::remove(path);
    BOOST_TEST(!authmilter::app::read_pidfile(path));
}

BOOST_AUTO_TEST_CASE(pidfile_process_must_have_our_ident)
{
    using authmilter::app::is_our_daemon;
    using v = std::vector<std::string>;
    BOOST_TEST(is_our_daemon(v{"/usr/sbin/authentication_milter", "-d"}, "authentication_milter"));
    BOOST_TEST(!is_our_daemon(v{"/usr/sbin/authentication_milter", "-i", "b"}, "authentication_milter"));
    BOOST_TEST(is_our_daemon(v{"authentication_milter", "-i", "b"}, "authentication_milter_b"));
    BOOST_TEST(is_our_daemon(v{"authentication_milter", "--ident=b"}, "authentication_milter_b"));
    BOOST_TEST(!is_our_daemon(v{"authentication_milter", "--ident", "a"}, "authentication_milter_b"));
    BOOST_TEST(!is_our_daemon(v{"/usr/bin/sleep", "authentication_milter"}, "authentication_milter"));
    BOOST_TEST(!is_our_daemon(v{"/opt/authentication_milter/bin/perl"}, "authentication_milter"));
    BOOST_TEST(!is_our_daemon(v{}, "authentication_milter"));
}

BOOST_AUTO_TEST_CASE(umask_text)
{
    BOOST_TEST(authmilter::app::parse_umask("0007") == 07);
    BOOST_TEST(authmilter::app::parse_umask("022") == 022);
    BOOST_TEST(authmilter::app::parse_umask("0008") == -1);
    BOOST_TEST(authmilter::app::parse_umask("") == -1);
}

BOOST_AUTO_TEST_SUITE_END()
