// `authentication_milter --control start|stop|status|restart` with the real daemon binary, in a
// temporary directory: start daemonizes (and fails visibly when it cannot bind), the pidfile
// names the daemon, status answers with LSB exit codes, start on a running daemon reloads it,
// restart gives a new process, stop ends it and removes the pidfile, and stale pidfiles (a
// process that is gone, or one that is not ours) are recognised. Listens on 127.0.0.1 only.
#define BOOST_TEST_MODULE integration_daemon_control
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace std::chrono_literals;
namespace t = authmilter::test;

namespace {

#ifdef AUTHMILTER_DAEMON_PATH
std::string const daemon_path = AUTHMILTER_DAEMON_PATH;
#else
std::string const daemon_path; // the CMake target is missing: the test fails and says so
#endif

/// A configuration prefix in a temporary directory, and the control commands run against it.
struct instance {
    t::temp_dir dir{"authmilter-control-"};
    unsigned short port = t::free_port();
    std::string ident; ///< empty: no --ident

    instance()
    {
        BOOST_REQUIRE_MESSAGE(!daemon_path.empty(), "AUTHMILTER_DAEMON_PATH is not set by CMake");
        write_config(port);
    }

    void write_config(unsigned short p)
    {
        // No DNS is needed by LocalIP and AddID; the resolver address is never asked.
        t::write_file(dir / "authentication_milter.json",
                      "{ \"connection\": \"inet:" + std::to_string(p) +
                          "@127.0.0.1\", \"logtoerr\": 1, \"error_log\": \"" + (dir / "error.log").string() +
                          "\", \"dns_resolvers\": [\"127.0.0.1:9\"],"
                          " \"handlers\": { \"LocalIP\": {}, \"AddID\": {} } }\n");
    }

    std::string pidfile() const { return (dir / "milter.pid").string(); }
    std::string log() const { return t::read_file(dir / "error.log"); }

    /// Runs `--control <what>` (plus `extra`); returns the exit status, output in `last_output`.
    int control(std::string const& what, std::vector<std::string> extra = {})
    {
        std::vector<std::string> argv{daemon_path,         "--control", what,     "--prefix",
                                      dir.path().string(), "--pidfile", pidfile()};
        if(!ident.empty()) {
            argv.push_back("--ident");
            argv.push_back(ident);
        }
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto const out = dir / "control.out";
        t::write_file(out, "");
        int const rc = t::run_program(argv, out, 60s);
        last_output = t::read_file(out);
        return rc;
    }

    std::optional<pid_t> pid() const
    {
        auto const text = t::read_file(pidfile());
        if(text.empty())
            return std::nullopt;
        return static_cast<pid_t>(std::stol(text));
    }

    bool accepts_connections() const
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket s(io);
        boost::system::error_code ec;
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        return !ec;
    }

    ~instance()
    {
        // Whatever happened, leave nothing running.
        if(auto p = pid(); p && t::process_alive(*p)) {
            ::kill(*p, SIGKILL);
            t::wait_until([&] { return !t::process_alive(*p); }, 5s);
        }
    }

    std::string last_output;
};

/// A PID that named a process which has exited (and been reaped) just now.
pid_t
dead_pid()
{
    pid_t const p = ::fork();
    if(p == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(p, &status, 0);
    return p;
}

} // namespace

BOOST_AUTO_TEST_CASE(start_status_reload_restart_stop)
{
    instance in;
    BOOST_REQUIRE_EQUAL(in.control("status"), 3);
    BOOST_TEST(in.last_output.find("is not running") != std::string::npos);

    // start returns once the daemon listens: no waiting needed before connecting.
    BOOST_REQUIRE_EQUAL(in.control("start"), 0);
    auto const first = in.pid();
    BOOST_REQUIRE_MESSAGE(first, "no pidfile after start: " << in.log());
    BOOST_TEST(t::process_alive(*first));
    BOOST_TEST(*first != ::getpid());
    BOOST_TEST(in.accepts_connections());
    BOOST_TEST(::getsid(*first) != ::getsid(0)); // detached: a session of its own

    BOOST_REQUIRE_EQUAL(in.control("status"), 0);
    BOOST_TEST(in.last_output.find("is running (pid " + std::to_string(*first) + ")") != std::string::npos);

    // start on a running daemon reloads it, as the Perl tool's SIGHUP.
    BOOST_REQUIRE_EQUAL(in.control("start"), 0);
    BOOST_TEST(in.pid().value_or(0) == *first);
    BOOST_TEST(
        t::wait_until([&] { return in.log().find("configuration reloaded") != std::string::npos; }, 10s),
        in.log());

    // restart: a new process, the old one gone, still serving.
    BOOST_REQUIRE_EQUAL(in.control("restart"), 0);
    auto const second = in.pid();
    BOOST_REQUIRE(second);
    BOOST_TEST(*second != *first);
    BOOST_TEST(!t::process_alive(*first));
    BOOST_TEST(t::process_alive(*second));
    BOOST_TEST(in.accepts_connections());

    BOOST_REQUIRE_EQUAL(in.control("stop"), 0);
    BOOST_TEST(in.last_output.find("stopped") != std::string::npos);
    BOOST_TEST(!t::process_alive(*second));
    BOOST_TEST(!t::fs::exists(in.pidfile()));
    BOOST_TEST(!in.accepts_connections());
    BOOST_TEST(in.control("status") == 3);
    // stop when nothing runs is not an error (init scripts call it blindly).
    BOOST_TEST(in.control("stop") == 0);
}

BOOST_AUTO_TEST_CASE(stale_pidfiles)
{
    instance in;
    // A process that is gone.
    t::write_file(in.pidfile(), std::to_string(dead_pid()) + "\n");
    BOOST_TEST(in.control("status") == 3);
    BOOST_TEST(in.control("stop") == 0);
    BOOST_TEST(!t::fs::exists(in.pidfile())); // stop removes a stale pidfile

    // A live process that is not an authentication_milter (this test): never signalled.
    t::write_file(in.pidfile(), std::to_string(::getpid()) + "\n");
    BOOST_TEST(in.control("status") == 3);

    // Garbage.
    t::write_file(in.pidfile(), "not a pid\n");
    BOOST_TEST(in.control("status") == 3);

    // start over a stale pidfile replaces it.
    t::write_file(in.pidfile(), std::to_string(dead_pid()) + "\n");
    BOOST_REQUIRE_EQUAL(in.control("start"), 0);
    auto const pid = in.pid();
    BOOST_REQUIRE(pid);
    BOOST_TEST(t::process_alive(*pid));
    BOOST_TEST(in.control("status") == 0);
    BOOST_TEST(in.control("stop") == 0);
    BOOST_TEST(!t::process_alive(*pid));
}

BOOST_AUTO_TEST_CASE(ident_distinguishes_instances)
{
    instance a;
    a.ident = "a";
    BOOST_REQUIRE_EQUAL(a.control("start"), 0);
    auto const pid = a.pid();
    BOOST_REQUIRE(pid);
    BOOST_TEST(a.control("status") == 0);
    BOOST_TEST(a.last_output.find("authentication_milter_a is running") != std::string::npos);
    // The same pidfile asked about another ident: that instance is not running, and stop must
    // not touch the daemon of ident "a".
    a.ident = "b";
    BOOST_TEST(a.control("status") == 3);
    a.ident = "";
    BOOST_TEST(a.control("status") == 3);
    a.ident = "a";
    BOOST_TEST(t::process_alive(*pid));
    BOOST_TEST(a.control("stop") == 0);
    BOOST_TEST(!t::process_alive(*pid));
}

BOOST_AUTO_TEST_CASE(start_fails_visibly)
{
    instance in;
    // A port already taken: the starting process exits with EX_UNAVAILABLE, no pidfile stays.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor taken(io, {boost::asio::ip::make_address("127.0.0.1"), in.port});
    BOOST_TEST(in.control("start") == 69);
    BOOST_TEST(!t::fs::exists(in.pidfile()));
    BOOST_TEST(in.log().find("cannot listen on inet:" + std::to_string(in.port)) != std::string::npos,
               in.log());

    // A refused configuration: refused before detaching, on the terminal, EX_CONFIG.
    t::write_file(in.dir / "authentication_milter.json",
                  "{ \"connection\": \"inet:1@127.0.0.1\", \"debug\": [] }");
    BOOST_TEST(in.control("start") == 78);
    BOOST_TEST(in.last_output.find("authentication_milter.json") != std::string::npos, in.last_output);
    BOOST_TEST(in.last_output.find("$.debug") != std::string::npos, in.last_output);
    BOOST_TEST(!t::fs::exists(in.pidfile()));
}
