// Helpers for integration tests that run real programs: temporary directories, free ports,
// child processes that cannot outlive the test, bounded waits.
#ifndef AUTHMILTER_TEST_INTEGRATION_SUPPORT_PROCESS_HPP
#define AUTHMILTER_TEST_INTEGRATION_SUPPORT_PROCESS_HPP

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace authmilter::test {

namespace fs = std::filesystem;

/// A directory under /tmp made for one test, removed with everything in it by the destructor.
class temp_dir {
public:
    /// Creates `/tmp/<prefix>XXXXXX`, mode 0755 so that unprivileged daemons can enter it.
    explicit temp_dir(std::string const& prefix)
    {
        std::string tmpl = "/tmp/" + prefix + "XXXXXX";
        if(::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed for " + tmpl);
        path_ = tmpl;
        ::chmod(path_.c_str(), 0755);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }

    /// The directory.
    fs::path const& path() const noexcept { return path_; }

    /// `path() / name`.
    fs::path operator/(fs::path const& name) const { return path_ / name; }

private:
    fs::path path_;
};

/// The whole content of a file ("" when it cannot be read).
inline std::string
read_file(fs::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Writes `text` to `p`, replacing it; throws when the file cannot be written.
inline void
write_file(fs::path const& p, std::string const& text)
{
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if(!out.flush())
        throw std::runtime_error("cannot write " + p.string());
}

/// Polls `done` every 50 ms until it returns true or `timeout` passes; returns its last answer.
inline bool
wait_until(std::function<bool()> const& done, std::chrono::milliseconds timeout)
{
    auto const until = std::chrono::steady_clock::now() + timeout;
    for(;;) {
        if(done())
            return true;
        if(std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 right now (a DNS server needs both).
inline unsigned short
free_port()
{
    namespace asio = boost::asio;
    asio::io_context io;
    auto const lo = asio::ip::make_address("127.0.0.1");
    for(int i = 0; i < 50; ++i) {
        asio::ip::udp::socket u(io, {lo, 0});
        auto const port = u.local_endpoint().port();
        boost::system::error_code ec;
        asio::ip::tcp::acceptor t(io);
        t.open(asio::ip::tcp::v4(), ec);
        t.bind({lo, port}, ec);
        if(!ec)
            return port;
    }
    throw std::runtime_error("no free port on 127.0.0.1");
}

/// The first of `candidates` that exists, else "".
inline std::string
find_program(std::initializer_list<char const*> candidates)
{
    for(auto p : candidates)
        if(::access(p, X_OK) == 0)
            return p;
    return {};
}

/// True while `pid` exists and is not a zombie (kill(pid, 0) also succeeds on zombies, which
/// are gone for every purpose here).
inline bool
process_alive(pid_t pid)
{
    if(pid <= 0 || ::kill(pid, 0) != 0)
        return false;
    auto const stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto const close = stat.rfind(')');
    if(close == std::string::npos || close + 2 >= stat.size())
        return false;
    return stat[close + 2] != 'Z';
}

/// The processes whose environment holds exactly `entry` (e.g. `MAIL_CONFIG=/tmp/x/etc`, which
/// Postfix's master passes to every daemon it starts for that configuration directory).
inline std::vector<pid_t>
processes_with_environment(std::string const& entry)
{
    std::vector<pid_t> found;
    DIR* d = ::opendir("/proc");
    if(d == nullptr)
        return found;
    while(dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long const pid = std::strtol(e->d_name, &end, 10);
        if(pid <= 0 || *end != '\0' || pid == ::getpid())
            continue;
        auto const env = read_file(std::string("/proc/") + e->d_name + "/environ");
        std::size_t start = 0;
        while(start < env.size()) {
            auto stop = env.find('\0', start);
            if(stop == std::string::npos)
                stop = env.size();
            if(env.compare(start, stop - start, entry) == 0) {
                if(process_alive(static_cast<pid_t>(pid)))
                    found.push_back(static_cast<pid_t>(pid));
                break;
            }
            start = stop + 1;
        }
    }
    ::closedir(d);
    return found;
}

/** A program started with fork/exec, stdout and stderr appended to a file. It gets SIGKILL if
    the test process dies (PR_SET_PDEATHSIG), and the destructor stops it (SIGTERM, then SIGKILL
    after a grace period), so a failing test leaves nothing running.
*/
class child_process {
public:
    /// Starts `argv[0]` (a path) with `argv`; `output` receives its stdout and stderr.
    child_process(std::vector<std::string> argv, fs::path const& output)
    {
        if(argv.empty())
            throw std::invalid_argument("child_process: empty argv");
        std::vector<char*> args;
        for(auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        int const fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if(fd < 0)
            throw std::runtime_error("cannot open " + output.string());
        pid_ = ::fork();
        if(pid_ < 0) {
            ::close(fd);
            throw std::runtime_error("fork failed");
        }
        if(pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            int const null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fd);
    }
    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;
    ~child_process() { stop(std::chrono::seconds(5)); }

    /// The process id (-1 once reaped).
    pid_t pid() const noexcept { return pid_; }

    /// True until the process has exited (reaps it when it has).
    bool running()
    {
        if(pid_ <= 0)
            return false;
        int status = 0;
        if(::waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped(status);
            return false;
        }
        return true;
    }

    /// Sends `sig` to the process if it is still running.
    void signal(int sig)
    {
        if(running())
            ::kill(pid_, sig);
    }

    /// Waits up to `timeout` for the process to exit. Returns its exit status (128 + signal when
    /// killed by a signal), or nullopt when it is still running.
    std::optional<int> wait_for(std::chrono::milliseconds timeout)
    {
        wait_until([this] { return !running(); }, timeout);
        if(running())
            return std::nullopt;
        return exit_status_;
    }

    /// SIGTERM, then SIGKILL when it is still there after `grace`; always reaps it.
    void stop(std::chrono::milliseconds grace)
    {
        if(!running())
            return;
        ::kill(pid_, SIGTERM);
        if(wait_for(grace))
            return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped(status);
    }

    /// The exit status once it has exited (see wait_for()).
    std::optional<int> exit_status() const { return exit_status_; }

private:
    void reaped(int status)
    {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    pid_t pid_ = -1;
    std::optional<int> exit_status_;
};

/// Runs a program to completion (killed after `timeout`), output appended to `output`; returns
/// its exit status, or -1 when it had to be killed.
inline int
run_program(std::vector<std::string> argv, fs::path const& output, std::chrono::milliseconds timeout)
{
    child_process p(std::move(argv), output);
    if(auto rc = p.wait_for(timeout))
        return *rc;
    p.stop(std::chrono::milliseconds(0));
    return -1;
}

} // namespace authmilter::test

#endif
