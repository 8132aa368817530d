// Reload under load, with the real daemon binary: milter clients send messages continuously on
// several connections while the daemon gets SIGHUP several times (a broken file, which must be
// refused and logged while the old configuration keeps serving; changed files, whose new
// authserv-id must show on every connection opened after the reload; several SIGHUPs in a row),
// then SIGTERM with a message in flight. Every message must get its final reply. The client
// speaks milter v6 itself (wire helpers of the library's codec), offering no "no reply" flags so
// that every command is answered. Listens on 127.0.0.1 only.
#define BOOST_TEST_MODULE integration_daemon_reload
#include <authmilter/milter/detail/wire.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
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

std::string
config(unsigned short port, std::string const& authserv_id)
{
    // LocalIP answers for 127.0.0.1 without DNS (x-local-ip=pass): the A-R header shows the
    // authserv-id of the configuration the connection runs on.
    return "{ \"connection\": \"inet:" + std::to_string(port) + "@127.0.0.1\", \"authserv_id\": \"" +
           authserv_id +
           "\", \"logtoerr\": 1, \"dns_resolvers\": [\"127.0.0.1:9\"],"
           " \"handlers\": { \"LocalIP\": {}, \"AddID\": {} } }\n";
}

std::string
z(std::string_view s)
{
    std::string r(s);
    r += '\0';
    return r;
}

/// A blocking milter client connection (what an MTA does), with 20 s socket timeouts.
class milter_client {
public:
    explicit milter_client(unsigned short port)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if(fd_ < 0)
            throw std::runtime_error("socket");
        timeval tv{20, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error("connect refused");
        }
    }
    milter_client(milter_client const&) = delete;
    milter_client& operator=(milter_client const&) = delete;
    ~milter_client()
    {
        if(fd_ >= 0)
            ::close(fd_);
    }

    void send(char cmd, std::string const& payload)
    {
        std::string f;
        wire::put_u32(f, static_cast<std::uint32_t>(payload.size() + 1));
        f += cmd;
        f += payload;
        for(std::size_t off = 0; off < f.size();) {
            auto const n = ::send(fd_, f.data() + off, f.size() - off, MSG_NOSIGNAL);
            if(n <= 0)
                throw std::runtime_error("send failed");
            off += static_cast<std::size_t>(n);
        }
    }

    /// The next reply frame (progress frames skipped).
    std::pair<char, std::string> reply()
    {
        for(;;) {
            char len[4];
            read_exact(len, 4);
            auto const n = wire::get_u32(len);
            if(n == 0 || n > (1u << 20))
                throw std::runtime_error("bad frame length");
            std::string body(n, '\0');
            read_exact(body.data(), n);
            if(body[0] == 'p')
                continue;
            return {body[0], body.substr(1)};
        }
    }

    /// Sends a command that is answered by one reply; returns the reply's code.
    char command(char cmd, std::string const& payload)
    {
        send(cmd, payload);
        return reply().first;
    }

    void negotiate()
    {
        std::string p;
        wire::put_u32(p, 6);
        wire::put_u32(p, 0x1ff);
        wire::put_u32(p, 0); // no skip, no "no reply": every command is answered
        send('O', p);
        if(reply().first != 'O')
            throw std::runtime_error("bad negotiation reply");
        send('D', "C" + z("j") + z("mx.reload.test"));
        std::string c = z("localhost") + "4";
        c += '\x30';
        c += '\x39';
        c += z("127.0.0.1");
        if(command('C', c) != 'c')
            throw std::runtime_error("connect not continued");
        if(command('H', z("client.reload.test")) != 'c')
            throw std::runtime_error("helo not continued");
    }

    /// The message up to RCPT.
    void begin_message(int n)
    {
        if(command('M', z("<sender" + std::to_string(n) + "@reload.test>")) != 'c')
            throw std::runtime_error("MAIL not continued");
        if(command('R', z("<rcpt@reload.test>")) != 'c')
            throw std::runtime_error("RCPT not continued");
    }

    struct outcome {
        char final_reply = 0;
        std::string authserv_id; ///< of the Authentication-Results header the milter added
    };

    /// DATA to end of message; returns the final reply and the authserv-id of our A-R.
    outcome finish_message(int n)
    {
        if(command('T', "") != 'c')
            throw std::runtime_error("DATA not continued");
        for(auto const& [name, value] : {std::pair<std::string, std::string>{"From", "<sender@reload.test>"},
                                         {"Subject", "message " + std::to_string(n)}}) {
            if(command('L', z(name) + z(value)) != 'c')
                throw std::runtime_error("header not continued");
        }
        if(command('N', "") != 'c')
            throw std::runtime_error("EOH not continued");
        if(command('B', "Hello.\r\n") != 'c')
            throw std::runtime_error("body not continued");
        send('E', "");
        outcome o;
        for(;;) {
            auto [code, payload] = reply();
            if(code == 'h' || code == 'i') {
                auto p = code == 'i' ? payload.substr(4) : payload; // 'i' starts with an index
                auto const nul = p.find('\0');
                if(p.substr(0, nul) == "Authentication-Results") {
                    auto v = p.substr(nul + 1);
                    auto const semi = v.find(';');
                    auto id = v.substr(0, semi);
                    id.erase(0, id.find_first_not_of(" \t"));
                    o.authserv_id = id;
                }
                continue;
            }
            if(code == 'm' || code == 'e' || code == '+' || code == '-' || code == 'b' || code == 'q' ||
               code == 'f' || code == '2' || code == '3')
                continue; // other modifications
            o.final_reply = code;
            return o;
        }
    }

    void quit() { send('Q', ""); }

private:
    void read_exact(char* p, std::size_t n)
    {
        while(n > 0) {
            auto const r = ::recv(fd_, p, n, 0);
            if(r <= 0)
                throw std::runtime_error(r == 0 ? "connection closed by the milter"
                                                : "recv failed/timed out");
            p += r;
            n -= static_cast<std::size_t>(r);
        }
    }

    int fd_ = -1;
};

using clock_type = std::chrono::steady_clock;

struct record {
    clock_type::time_point connected; ///< when the connection was established
    char final_reply = 0;
    std::string authserv_id;
};

/// The load: `n` threads, each opening connections of 4 messages until told to stop.
struct load {
    unsigned short port = 0;
    std::atomic<bool> stop{false};
    std::atomic<bool> terminating{false}; ///< SIGTERM sent: new connections may be refused
    std::atomic<int> started{0}, answered{0};
    std::mutex mutex;
    std::vector<record> records;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;

    void run(int n)
    {
        for(int i = 0; i < n; ++i)
            threads.emplace_back([this] { worker(); });
    }

    void worker()
    {
        while(!stop) {
            std::optional<milter_client> c;
            clock_type::time_point connected;
            try {
                c.emplace(port);
                connected = clock_type::now();
                c->negotiate();
            } catch(std::exception const& e) {
                if(!stop && !terminating) {
                    std::lock_guard lock(mutex);
                    errors.push_back(std::string("connection: ") + e.what());
                }
                return;
            }
            for(int k = 0; k < 4 && !stop; ++k) {
                int const n = started.fetch_add(1);
                try {
                    c->begin_message(n);
                    auto const o = c->finish_message(n);
                    ++answered;
                    std::lock_guard lock(mutex);
                    records.push_back({connected, o.final_reply, o.authserv_id});
                } catch(std::exception const& e) {
                    std::lock_guard lock(mutex);
                    errors.push_back("message " + std::to_string(n) + ": " + e.what());
                    return;
                }
            }
            try {
                c->quit();
            } catch(std::exception const&) {
            }
        }
    }

    void join()
    {
        stop = true;
        for(auto& th : threads)
            th.join();
        threads.clear();
    }

    ~load()
    {
        if(!threads.empty())
            join();
    }

    /// Waits until `more` further messages were answered (or 30 s).
    bool wait_answered(int more)
    {
        int const target = answered.load() + more;
        return t::wait_until([&] { return answered.load() >= target; }, 30s);
    }
};

std::size_t
count(std::string const& text, std::string const& what)
{
    std::size_t n = 0;
    for(auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(reload_under_load_and_drain)
{
    BOOST_REQUIRE_MESSAGE(!daemon_path.empty(), "AUTHMILTER_DAEMON_PATH is not set by CMake");
    t::temp_dir dir("authmilter-reload-");
    auto const port = t::free_port();
    auto const cfg = dir / "authentication_milter.json";
    t::write_file(cfg, config(port, "one.reload.test"));
    t::child_process daemon({daemon_path, "--prefix", dir.path().string()}, dir / "daemon.log");
    auto log = [&] { return t::read_file(dir / "daemon.log"); };
    BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return log().find("listening on") != std::string::npos; }, 10s),
                          "the daemon did not start: " << log());

    load l;
    l.port = port;
    l.run(4);
    BOOST_REQUIRE_MESSAGE(l.wait_answered(40), "no load: " << log());

    // 1. A broken file: refused, logged, the old configuration keeps serving.
    t::write_file(cfg, "{ \"connection\": \"inet:" + std::to_string(port) +
                           "@127.0.0.1\", \"dns_timeout\": \"soon\" }");
    daemon.signal(SIGHUP);
    BOOST_REQUIRE_MESSAGE(
        t::wait_until([&] { return log().find("reload refused") != std::string::npos; }, 10s),
        "a broken file was not refused: " << log());
    BOOST_TEST(log().find("$.dns_timeout") != std::string::npos, log());
    BOOST_TEST(log().find(cfg.string()) != std::string::npos, log());
    BOOST_REQUIRE(daemon.running());
    BOOST_REQUIRE_MESSAGE(l.wait_answered(40), "the load stopped after a refused reload: " << log());

    // 2. A changed file: connections opened after the reload use it.
    t::write_file(cfg, config(port, "two.reload.test"));
    daemon.signal(SIGHUP);
    BOOST_REQUIRE_MESSAGE(
        t::wait_until([&] { return log().find("configuration reloaded") != std::string::npos; }, 10s),
        "no reload: " << log());
    auto const reloaded_two = clock_type::now();
    BOOST_REQUIRE(l.wait_answered(40));

    // 3. Several SIGHUPs in a row, the last file naming "three".
    t::write_file(cfg, config(port, "three.reload.test"));
    for(int i = 0; i < 3; ++i) {
        daemon.signal(SIGHUP);
        std::this_thread::sleep_for(20ms);
    }
    // Signals that arrive together may be merged into one: at least one more reload.
    BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return count(log(), "configuration reloaded") >= 2; }, 10s),
                          "the SIGHUPs were not taken: " << log());
    auto const reloaded_three = clock_type::now();
    BOOST_REQUIRE(l.wait_answered(40));

    // 4. SIGTERM with a message in flight (held at RCPT by this client) while the load goes on.
    milter_client held(port);
    held.negotiate();
    held.begin_message(-1);
    l.terminating = true;
    daemon.signal(SIGTERM);
    BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return log().find("stopping") != std::string::npos; }, 10s),
                          "SIGTERM not seen: " << log());
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(daemon.running()); // draining, not gone
    l.join();                     // each client finishes the message it is in, then quits
    auto const last = held.finish_message(-1);
    held.quit();
    BOOST_TEST(last.final_reply == 'c');
    BOOST_TEST(last.authserv_id == "three.reload.test");
    auto const status = daemon.wait_for(20s);
    BOOST_TEST(status.has_value(), "the daemon did not exit after the last connection: " << log());
    BOOST_TEST(status.value_or(-1) == 0);
    BOOST_TEST(log().find("stopped") != std::string::npos);

    // Every message got its final reply, and the right authserv-id.
    BOOST_TEST(l.errors.empty(), [&] {
        std::string s;
        for(auto const& e : l.errors)
            s += e + "\n";
        return s + log();
    }());
    BOOST_TEST(l.answered.load() == l.started.load());
    BOOST_TEST(l.records.size() >= 160u);
    std::map<std::string, int> seen;
    int wrong = 0;
    for(auto const& r : l.records) {
        if(r.final_reply != 'c' && r.final_reply != 'a')
            ++wrong;
        ++seen[r.authserv_id];
        if(r.connected > reloaded_three && r.authserv_id != "three.reload.test")
            ++wrong;
        else if(r.connected > reloaded_two && r.connected <= reloaded_three &&
                r.authserv_id != "two.reload.test" && r.authserv_id != "three.reload.test")
            ++wrong;
    }
    BOOST_TEST(wrong == 0);
    BOOST_TEST(seen["one.reload.test"] > 0);
    BOOST_TEST(seen["two.reload.test"] > 0);
    BOOST_TEST(seen["three.reload.test"] > 0);
    BOOST_TEST(seen.size() == 3u); // nothing else (e.g. no message without our header)
    BOOST_TEST_MESSAGE("messages: " << l.records.size() << " (one " << seen["one.reload.test"] << ", two "
                                    << seen["two.reload.test"] << ", three " << seen["three.reload.test"]
                                    << ")");
}
