// smtp_load: drives the SMTP after-queue filter the way Postfix's smtp client does towards a
// content filter, and reports throughput, latency, errors and the filter's CPU and memory.
//
// Per connection: greeting, EHLO, then per message XFORWARD (NAME ADDR HELO) + MAIL FROM (SIZE,
// BODY=8BITMIME) + RCPT TO + DATA pipelined in one write, the message dot-stuffed and ended by
// CRLF.CRLF, the end-of-data reply; after the last message QUIT. The corpus is corpus_gen's
// (index.tsv: file, client IP, client name, helo, mail from, rcpt). A message counts as
// accepted on a 250 to its end of data, rejected on 5xx, deferred on 4xx (the filter relays the
// next hop's answer, so a deferral usually means the next hop failed); errors are broken
// conversations (connect, reset, malformed reply, a reply the sequence does not allow).
//
// Usage: smtp_load --corpus DIR [--host 127.0.0.1] [--port 10025] [--conns C] [--threads T]
//          [--duration S] [--warmup S] [--messages N] [--per-conn K] [--pid PID] [--label TEXT]
// Prints one "RESULT key=value..." line (for scripts); exit status 1 when any error occurred.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proc_stats.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using bench::cpu_seconds;
using bench::percentile;
using bench::rss_kib;
using clock_type = std::chrono::steady_clock;

namespace {

struct message {
    std::string ip, name, helo, from, rcpt;
    std::string stuffed; ///< the message dot-stuffed, with the final CRLF.CRLF
    std::size_t size = 0;
};

// RFC 5321 4.5.2: a line starting with "." gets one more.
std::string
dot_stuff(std::string const& text)
{
    std::string out;
    out.reserve(text.size() + text.size() / 64 + 8);
    bool at_line_start = true;
    for(char c : text) {
        if(at_line_start && c == '.')
            out += '.';
        out += c;
        at_line_start = c == '\n';
    }
    if(!out.ends_with("\r\n"))
        out += "\r\n";
    out += ".\r\n";
    return out;
}

std::vector<message>
load_corpus(std::filesystem::path const& dir)
{
    std::vector<message> out;
    std::ifstream index(dir / "index.tsv");
    std::string line;
    while(std::getline(index, line)) {
        std::vector<std::string> col;
        std::stringstream ss(line);
        for(std::string c; std::getline(ss, c, '\t');)
            col.push_back(c);
        if(col.size() < 6)
            continue;
        std::ifstream f(dir / col[0], std::ios::binary);
        std::string const text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        message m{col[1], col[2], col[3], col[4], col[5], dot_stuff(text), text.size()};
        out.push_back(std::move(m));
    }
    return out;
}

struct stats {
    std::vector<double> txn_us;
    std::size_t messages = 0, errors = 0, accepted = 0, rejected = 0, deferred = 0;
    void merge(stats const& o)
    {
        txn_us.insert(txn_us.end(), o.txn_us.begin(), o.txn_us.end());
        messages += o.messages;
        errors += o.errors;
        accepted += o.accepted;
        rejected += o.rejected;
        deferred += o.deferred;
    }
};

struct settings {
    std::string host = "127.0.0.1";
    unsigned short port = 10025;
    unsigned conns = 1, threads = 1, per_conn = 10;
    double duration = 5, warmup = 0;
    std::size_t max_messages = 0;
    int pid = 0;
    std::string label;
};

struct shared_state {
    settings const& s;
    std::vector<message> const& corpus;
    clock_type::time_point measure_from, stop_at;
    std::atomic<std::size_t> next{0}, started{0};
    std::mutex mutex;
    stats total;
};

class protocol_error : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// One SMTP client connection: writes commands, reads replies (multi-line aware).
class connection {
public:
    explicit connection(tcp::socket sock)
        : sock_(std::move(sock))
    {}

    asio::awaitable<void> send(std::string_view bytes)
    {
        co_await asio::async_write(sock_, asio::buffer(bytes.data(), bytes.size()), asio::use_awaitable);
    }

    /// The code of the next complete reply.
    asio::awaitable<int> reply()
    {
        for(;;) {
            // A reply ends with a line whose fourth character is a space (or that is 3 digits).
            while(true) {
                auto const nl = in_.find("\r\n", pos_);
                if(nl == std::string::npos)
                    break;
                std::string_view const l(in_.data() + pos_, nl - pos_);
                pos_ = nl + 2;
                if(l.size() < 3 || l[0] < '2' || l[0] > '5')
                    throw protocol_error("malformed reply: " + std::string(l.substr(0, 80)));
                if(l.size() == 3 || l[3] == ' ') {
                    int const code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
                    last_ = std::string(l);
                    if(pos_ == in_.size()) {
                        in_.clear();
                        pos_ = 0;
                    }
                    co_return code;
                }
            }
            if(pos_ > 0) {
                in_.erase(0, pos_);
                pos_ = 0;
            }
            char buf[8192];
            auto const n = co_await sock_.async_read_some(asio::buffer(buf), asio::use_awaitable);
            in_.append(buf, n);
        }
    }

    asio::awaitable<void> expect(int lo, int hi, char const* what)
    {
        auto const c = co_await reply();
        if(c < lo || c > hi)
            throw protocol_error(std::string(what) + ": " + last_);
    }

    /// QUIT, then wait for the server to close (the TIME_WAIT stays on its side).
    asio::awaitable<void> quit()
    {
        co_await send("QUIT\r\n");
        char buf[256];
        for(;;) {
            auto [e, n] =
                co_await sock_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            if(e)
                break;
        }
    }

    std::string const& last() const noexcept { return last_; }

private:
    tcp::socket sock_;
    std::string in_;
    std::size_t pos_ = 0;
    std::string last_;
};

asio::awaitable<void>
worker(shared_state& sh, tcp::endpoint ep)
{
    auto ex = co_await asio::this_coro::executor;
    stats st;
    auto const& s = sh.s;
    auto more = [&] {
        if(clock_type::now() >= sh.stop_at)
            return false;
        if(s.max_messages != 0 && sh.started.fetch_add(1) >= s.max_messages)
            return false;
        return true;
    };
    while(more()) {
        bool failed = false;
        try {
            auto const t_connect = clock_type::now();
            tcp::socket sock(ex);
            co_await sock.async_connect(ep, asio::use_awaitable);
            sock.set_option(tcp::no_delay(true));
            connection c(std::move(sock));
            co_await c.expect(220, 220, "greeting");
            co_await c.send("EHLO loadgen.bench.test\r\n");
            co_await c.expect(250, 250, "EHLO");
            for(unsigned k = 0; k < s.per_conn; ++k) {
                if(k > 0 && !more())
                    break;
                auto const& m = sh.corpus[sh.next.fetch_add(1) % sh.corpus.size()];
                auto const t0 = k == 0 ? t_connect : clock_type::now();
                std::string const envelope = "XFORWARD NAME=" + m.name + " ADDR=" + m.ip + " HELO=" + m.helo +
                                             "\r\nMAIL FROM:<" + m.from + "> SIZE=" + std::to_string(m.size) +
                                             " BODY=8BITMIME\r\nRCPT TO:<" + m.rcpt + ">\r\nDATA\r\n";
                co_await c.send(envelope);
                co_await c.expect(250, 250, "XFORWARD");
                int const mail = co_await c.reply();
                int const rcpt = co_await c.reply();
                int const data = co_await c.reply();
                int final_code = 0;
                if(mail == 250 && rcpt == 250 && data == 354) {
                    co_await c.send(m.stuffed);
                    final_code = co_await c.reply();
                } else if(data == 354) {
                    throw protocol_error("354 after a refused MAIL or RCPT");
                } else {
                    final_code = mail != 250 ? mail : rcpt != 250 ? rcpt : data;
                    co_await c.send("RSET\r\n");
                    co_await c.expect(250, 250, "RSET");
                }
                auto const t1 = clock_type::now();
                if(t0 >= sh.measure_from) {
                    ++st.messages;
                    st.txn_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
                    if(final_code / 100 == 2)
                        ++st.accepted;
                    else if(final_code / 100 == 5)
                        ++st.rejected;
                    else
                        ++st.deferred;
                }
                if(final_code / 100 == 4) {
                    static std::atomic<int> shown{0};
                    if(shown++ < 3)
                        std::cerr << "smtp_load: deferred: " << c.last() << "\n";
                }
            }
            co_await c.quit();
        } catch(std::exception const& e) {
            if(clock_type::now() >= sh.measure_from)
                ++st.errors;
            static std::atomic<int> shown{0};
            if(shown++ < 5)
                std::cerr << "smtp_load: " << e.what() << "\n";
            failed = true;
        }
        if(failed) {
            // Do not spin on a filter that refuses connections.
            asio::steady_timer t(ex, std::chrono::milliseconds(10));
            co_await t.async_wait(asio::use_awaitable);
        }
    }
    std::lock_guard lock(sh.mutex);
    sh.total.merge(st);
}

} // namespace

int
main(int argc, char** argv)
{
    settings s;
    std::string corpus_dir;
    try {
        for(int i = 1; i < argc; ++i) {
            std::string const a = argv[i];
            auto val = [&]() -> std::string {
                if(i + 1 >= argc)
                    throw std::runtime_error("missing value for " + a);
                return argv[++i];
            };
            if(a == "--corpus")
                corpus_dir = val();
            else if(a == "--host")
                s.host = val();
            else if(a == "--port")
                s.port = static_cast<unsigned short>(std::stoul(val()));
            else if(a == "--conns")
                s.conns = static_cast<unsigned>(std::stoul(val()));
            else if(a == "--threads")
                s.threads = static_cast<unsigned>(std::stoul(val()));
            else if(a == "--per-conn")
                s.per_conn = std::max(1u, static_cast<unsigned>(std::stoul(val())));
            else if(a == "--duration")
                s.duration = std::stod(val());
            else if(a == "--warmup")
                s.warmup = std::stod(val());
            else if(a == "--messages")
                s.max_messages = std::stoull(val());
            else if(a == "--pid")
                s.pid = std::stoi(val());
            else if(a == "--label")
                s.label = val();
            else {
                std::cerr << "smtp_load: unknown option " << a << "\n";
                return 2;
            }
        }
    } catch(std::exception const& e) {
        std::cerr << "smtp_load: " << e.what() << "\n";
        return 2;
    }
    if(corpus_dir.empty()) {
        std::cerr
            << "usage: smtp_load --corpus DIR [--port P] [--conns C] [--duration S] [--messages N] ...\n";
        return 2;
    }
    auto const corpus = load_corpus(corpus_dir);
    if(corpus.empty()) {
        std::cerr << "smtp_load: empty corpus in " << corpus_dir << "\n";
        return 2;
    }
    std::size_t bytes = 0;
    for(auto const& m : corpus)
        bytes += m.size;
    asio::io_context io(static_cast<int>(s.threads));
    tcp::endpoint const ep(asio::ip::make_address(s.host), s.port);
    shared_state sh{s, corpus, {}, {}, {}, {}, {}, {}};
    auto const start = clock_type::now();
    sh.measure_from =
        start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.warmup));
    sh.stop_at = sh.measure_from +
                 std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration));
    if(s.max_messages != 0)
        sh.stop_at = clock_type::time_point::max();
    for(unsigned i = 0; i < s.conns; ++i)
        asio::co_spawn(asio::make_strand(io), worker(sh, ep), asio::detached);
    double cpu0 = cpu_seconds(s.pid);
    std::thread sampler;
    if(s.warmup > 0)
        sampler = std::thread([&] {
            std::this_thread::sleep_until(sh.measure_from);
            cpu0 = cpu_seconds(s.pid);
        });
    std::vector<std::thread> pool;
    for(unsigned i = 1; i < s.threads; ++i)
        pool.emplace_back([&] { io.run(); });
    io.run();
    for(auto& t : pool)
        t.join();
    if(sampler.joinable())
        sampler.join();
    auto const end = clock_type::now();
    double const cpu = cpu_seconds(s.pid) - cpu0;
    auto& t = sh.total;
    double const secs = std::chrono::duration<double>(end - std::max(start, sh.measure_from)).count();
    double const rate = static_cast<double>(t.messages) / secs;
    double const cpu_per_k = t.messages ? cpu / static_cast<double>(t.messages) * 1000.0 : 0;
    char line[1024];
    std::snprintf(
        line, sizeof line,
        "RESULT label=%s conns=%u threads=%u per_conn=%u avg_msg_bytes=%zu messages=%zu seconds=%.2f "
        "msgs_per_s=%.1f txn_p50_us=%.0f txn_p99_us=%.0f txn_p999_us=%.0f errors=%zu accepted=%zu "
        "rejected=%zu deferred=%zu filter_cpu_s=%.2f cpu_s_per_1000=%.3f filter_rss_kib=%ld "
        "filter_peak_rss_kib=%ld",
        s.label.empty() ? "-" : s.label.c_str(), s.conns, s.threads, s.per_conn, bytes / corpus.size(),
        t.messages, secs, rate, percentile(t.txn_us, 0.5), percentile(t.txn_us, 0.99),
        percentile(t.txn_us, 0.999), t.errors, t.accepted, t.rejected, t.deferred, cpu, cpu_per_k,
        rss_kib(s.pid), rss_kib(s.pid, "VmHWM:"));
    std::cout << line << std::endl;
    return t.errors == 0 ? 0 : 1;
}
