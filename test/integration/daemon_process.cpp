// The daemon binary as a process: command-line answers and exit statuses, log lines named by
// --ident, privileges dropped to runas/rungroup after binding, chroot, and a reload that finds
// its file gone. runas/rungroup/chroot need root: without it those cases fail and say so.
// Listens on 127.0.0.1 only.
#define BOOST_TEST_MODULE integration_daemon_process
#include <authmilter/milter/detail/wire.hpp>

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace std::chrono_literals;
namespace t = authmilter::test;
namespace wire = authmilter::milter::detail;

namespace {

#ifdef AUTHMILTER_DAEMON_PATH
std::string const daemon_path = AUTHMILTER_DAEMON_PATH;
#else
std::string const daemon_path; // the CMake target is missing: the test fails and says so
#endif

struct ran {
    int status;
    std::string output;
};

ran
run(std::vector<std::string> args)
{
    BOOST_REQUIRE_MESSAGE(!daemon_path.empty(), "AUTHMILTER_DAEMON_PATH is not set by CMake");
    t::temp_dir dir("authmilter-cli-");
    args.insert(args.begin(), daemon_path);
    int const rc = t::run_program(args, dir / "out", 20s);
    return {rc, t::read_file(dir / "out")};
}

/// A daemon in the foreground on a prefix of its own.
struct foreground {
    t::temp_dir dir{"authmilter-proc-"};
    unsigned short port = t::free_port();
    std::unique_ptr<t::child_process> process;

    std::string config(std::string const& extra) const
    {
        return "{ \"connection\": \"inet:" + std::to_string(port) +
               "@127.0.0.1\", \"logtoerr\": 1, \"dns_resolvers\": [\"127.0.0.1:9\"], " + extra +
               " \"handlers\": { \"LocalIP\": {}, \"AddID\": {} } }\n";
    }
    void write(std::string const& extra) { t::write_file(dir / "authentication_milter.json", config(extra)); }
    std::string log() const { return t::read_file(dir / "daemon.log"); }

    void start(std::vector<std::string> extra_args = {})
    {
        std::vector<std::string> argv{daemon_path, "--prefix", dir.path().string()};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        process = std::make_unique<t::child_process>(argv, dir / "daemon.log");
        BOOST_REQUIRE_MESSAGE(
            t::wait_until([&] { return log().find("listening on") != std::string::npos; }, 10s),
            "the daemon did not start: " << log());
    }

    /// The milter negotiation answers (the daemon serves).
    bool negotiates() const
    {
        namespace asio = boost::asio;
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        boost::system::error_code ec;
        s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
        if(ec)
            return false;
        std::string f;
        wire::put_u32(f, 13);
        f += 'O';
        wire::put_u32(f, 6);
        wire::put_u32(f, 0x1ff);
        wire::put_u32(f, 0);
        asio::write(s, asio::buffer(f), ec);
        char head[5];
        asio::read(s, asio::buffer(head), ec);
        return !ec && head[4] == 'O';
    }

    /// A line of /proc/<pid>/status, e.g. "Uid:".
    std::string status_line(std::string const& key) const
    {
        auto const text = t::read_file("/proc/" + std::to_string(process->pid()) + "/status");
        auto const at = text.find("\n" + key);
        if(at == std::string::npos)
            return {};
        auto const end = text.find('\n', at + 1);
        return text.substr(at + 1 + key.size(), end - at - 1 - key.size());
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(command_line_answers)
{
    auto r = run({"--version"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.output.starts_with("authentication_milter (authmilter) "));
    r = run({"--help"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.output.find("-c, --control start|restart|stop|status") != std::string::npos);
    r = run({"-h", "installed"});
    BOOST_TEST(r.status == 0);
    for(auto const* name : {"SPF\n", "DKIM\n", "DMARC\n", "SenderID\n", "IPRev\n", "AddID\n"})
        BOOST_TEST(r.output.find(name) != std::string::npos, name);
    r = run({"--help", "default_config"});
    BOOST_TEST(r.status == 0);
    auto const v = boost::json::parse(r.output);
    BOOST_TEST(v.at("connection").as_string() == "inet:8893@localhost");
    BOOST_TEST(v.at("handlers").as_object().contains("SPF"));
    r = run({"--help", "SenderID"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.output.find("\"SenderID\": { \"hide_none\": 1 }") != std::string::npos, r.output);
    // Usage errors: EX_USAGE (64), with the reason.
    r = run({"--help", "NoSuchHandler"});
    BOOST_TEST(r.status == 64);
    BOOST_TEST(r.output.find("no handler called \"NoSuchHandler\"") != std::string::npos);
    r = run({"--frobnicate"});
    BOOST_TEST(r.status == 64);
    BOOST_TEST(r.output.find("unknown option \"--frobnicate\"") != std::string::npos);
    r = run({"--control", "reboot"});
    BOOST_TEST(r.status == 64);
    r = run({"--ip", "192.0.2.1"});
    BOOST_TEST(r.status == 64);
    // --check with a message that cannot be read: EX_DATAERR (65).
    t::temp_dir empty("authmilter-cli-prefix-");
    r = run({"--prefix", empty.path().string(), "--check", "/nonexistent/message.eml"});
    BOOST_TEST(r.status == 65);
    BOOST_TEST(r.output.find("cannot read /nonexistent/message.eml") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(log_lines_carry_the_ident)
{
    foreground d;
    d.write("");
    d.start({"--ident", "edge"});
    // logtoerr: `<localtime> <ident>[<pid>] <line>`, as the Perl tool.
    std::regex const line(
        R"([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4} authentication_milter_edge\[)" +
        std::to_string(d.process->pid()) + R"(\] listening on inet:)" + std::to_string(d.port) +
        R"(@127\.0\.0\.1 \(milter\))");
    BOOST_TEST(std::regex_search(d.log(), line), d.log());
    d.process->signal(SIGTERM);
    BOOST_TEST(d.process->wait_for(10s).value_or(-1) == 0);
    BOOST_TEST(d.log().find("] stopped") != std::string::npos, d.log());
}

BOOST_AUTO_TEST_CASE(runas_rungroup_after_binding)
{
    BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "runas/rungroup need root: run this test as root");
    auto const* pw = ::getpwnam("nobody");
    auto const* gr = ::getgrnam("nogroup");
    BOOST_REQUIRE_MESSAGE(pw && gr, "needs the user nobody and the group nogroup");
    auto const uid = std::to_string(pw->pw_uid);
    auto const gid = std::to_string(gr->gr_gid);
    foreground d;
    d.write(R"("runas": "nobody", "rungroup": "nogroup", "authserv_id": "one.example",)");
    d.start();
    // Real, effective, saved and filesystem ids all dropped.
    BOOST_TEST(d.status_line("Uid:") == "\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid);
    BOOST_TEST(d.status_line("Gid:") == "\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid);
    BOOST_TEST(d.negotiates());
    // Reload still reads the (world-readable) file as nobody.
    d.write(R"("runas": "nobody", "rungroup": "nogroup", "authserv_id": "two.example",)");
    d.process->signal(SIGHUP);
    BOOST_TEST(
        t::wait_until([&] { return d.log().find("configuration reloaded") != std::string::npos; }, 10s),
        d.log());
    BOOST_TEST(d.negotiates());
    d.process->signal(SIGTERM);
    BOOST_TEST(d.process->wait_for(10s).value_or(-1) == 0);

    // An unknown user: refused after binding, nothing left running.
    foreground bad;
    bad.write(R"("runas": "no-such-user-authmilter",)");
    bad.process = std::make_unique<t::child_process>(
        std::vector<std::string>{daemon_path, "--prefix", bad.dir.path().string()}, bad.dir / "daemon.log");
    BOOST_TEST(bad.process->wait_for(10s).value_or(-1) == 78);
    BOOST_TEST(bad.log().find("runas: no such user \"no-such-user-authmilter\"") != std::string::npos,
               bad.log());
}

BOOST_AUTO_TEST_CASE(chroot_and_a_reload_that_finds_no_file)
{
    BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "chroot needs root: run this test as root");
    foreground d;
    t::temp_dir jail("authmilter-jail-");
    d.write("\"chroot\": \"" + jail.path().string() + "\", \"runas\": \"nobody\",");
    d.start();
    auto const root = t::fs::read_symlink("/proc/" + std::to_string(d.process->pid()) + "/root");
    BOOST_TEST(root == jail.path());
    BOOST_TEST(d.negotiates()); // serving from inside the jail
    // The prefix does not exist inside the jail: the reload is refused (it does not fall back
    // to the embedded default) and the running configuration stays.
    d.process->signal(SIGHUP);
    BOOST_TEST(t::wait_until([&] { return d.log().find("reload refused") != std::string::npos; }, 10s),
               d.log());
    BOOST_TEST(d.log().find("has disappeared since it was loaded") != std::string::npos, d.log());
    BOOST_TEST(d.negotiates());
    d.process->signal(SIGTERM);
    BOOST_TEST(d.process->wait_for(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(unix_sockets_get_their_umask)
{
    foreground d;
    auto const a = (d.dir / "a.sock").string();
    auto const b = (d.dir / "b.sock").string();
    d.write("\"connections\": { \"a\": { \"connection\": \"unix:" + a +
            "\", \"umask\": \"0007\" }, \"b\": { \"connection\": \"unix:" + b +
            "\", \"umask\": \"0000\" } },");
    d.start();
    BOOST_REQUIRE(t::wait_until([&] { return t::fs::exists(a) && t::fs::exists(b); }, 5s));
    auto mode = [](std::string const& p) {
        struct stat st {};
        ::stat(p.c_str(), &st);
        return st.st_mode & 0777;
    };
    BOOST_TEST(mode(a) == 0770u);
    BOOST_TEST(mode(b) == 0777u);
    BOOST_TEST(t::fs::is_socket(a));
    d.process->signal(SIGTERM);
    BOOST_TEST(d.process->wait_for(10s).value_or(-1) == 0);
}
