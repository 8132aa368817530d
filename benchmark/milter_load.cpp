// milter_load: drives a milter the way Postfix does and reports throughput, latency and the
// milter's CPU time.
//
// Per connection: negotiation (protocol 6, every action and every no-send/no-reply flag offered,
// so the milter picks), then per message macros and connect (first message), helo, mail, rcpt,
// data, each header field in its own frame, eoh, the body in 64 KiB chunks, eom; a reply is read
// only where the milter did not set the matching no-reply flag, and nothing is sent for a stage
// it asked not to see. Output is buffered and flushed before a reply is awaited, as Postfix's
// stream does. After the last message of a connection: quit, then wait for the milter to close.
//
// A chain of milters (`--port A,B`, as Postfix's `smtpd_milters = A, B`): one connection to
// each per SMTP connection; each envelope command goes to every milter in turn; the message
// content (header, body, eom) goes to one milter after the other, each receiving the header
// fields the earlier ones added. EOM latency is then from the first milter's eom to the last
// one's final reply.
//
// Usage: milter_load --corpus DIR [--host 127.0.0.1] [--port 8893[,8894...]] [--conns C] [--threads T]
//          [--duration S] [--warmup S] [--messages N] [--per-conn K] [--pid PID[,PID2]] [--label TEXT]
//          [--rate R]   (open loop: R SMTP connections per second in all, on at most C at once)
//          [--quickack]   (TCP_QUICKACK before each read: no delayed-ACK stalls; Postfix does not do this)
//          [--show-edits]  (print the first header edits received, to stderr)
//        milter_load --idle N [--port P] [--pid PID]   (N silent connections: the milter's RSS)
// Prints one "RESULT key=value..." line (for scripts).
#include <authmilter/milter/detail/wire.hpp>
#include <authmilter/milter/protocol.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
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
#include <memory>
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
namespace wire = authmilter::milter::detail;
namespace pf = authmilter::milter::protocol_flag;

namespace {

struct message {
    std::string ip, name, helo, from, rcpt;
    std::vector<std::string> header_frames; ///< one 'L' frame per field, Postfix style
    std::string body;
};

void
frame(std::string& out, char cmd, std::string_view payload)
{
    auto const at = wire::begin_frame(out, cmd);
    out += payload;
    wire::end_frame(out, at);
}

std::string
z(std::string_view s)
{
    std::string r(s);
    r += '\0';
    return r;
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
        message m{col[1], col[2], col[3], col[4], col[5], {}, {}};
        // Split the header into fields; Postfix sends the value without the leading space it
        // strips and with LF (not CRLF) inside folded values.
        std::size_t pos = 0;
        std::string name, value;
        auto flush = [&] {
            if(name.empty())
                return;
            if(!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            std::string p = z(name) + z(value);
            std::string fr;
            frame(fr, 'L', p);
            m.header_frames.push_back(std::move(fr));
            name.clear();
            value.clear();
        };
        while(pos < text.size()) {
            auto nl = text.find("\r\n", pos);
            if(nl == std::string::npos)
                nl = text.size();
            std::string_view l(text.data() + pos, nl - pos);
            pos = nl + 2;
            if(l.empty())
                break;
            if(l.front() == ' ' || l.front() == '\t') {
                value += '\n';
                value += l;
                continue;
            }
            flush();
            auto const colon = l.find(':');
            name = std::string(l.substr(0, colon));
            value = std::string(l.substr(colon + 1));
        }
        flush();
        m.body = pos < text.size() ? text.substr(pos) : std::string();
        out.push_back(std::move(m));
    }
    return out;
}

struct stats {
    std::vector<double> txn_us, eom_us;
    std::size_t messages = 0, errors = 0, accepted = 0, rejected = 0, tempfailed = 0, other = 0, edits = 0;
    void merge(stats const& o)
    {
        txn_us.insert(txn_us.end(), o.txn_us.begin(), o.txn_us.end());
        eom_us.insert(eom_us.end(), o.eom_us.begin(), o.eom_us.end());
        messages += o.messages;
        errors += o.errors;
        accepted += o.accepted;
        rejected += o.rejected;
        tempfailed += o.tempfailed;
        other += o.other;
        edits += o.edits;
    }
};

struct settings {
    std::string host = "127.0.0.1";
    std::vector<unsigned short> ports{8893}; ///< more than one: a chain, as `smtpd_milters = a, b`
    unsigned conns = 1, threads = 1, per_conn = 1;
    double duration = 5, warmup = 0;
    std::size_t max_messages = 0;
    int pid = 0;                ///< the (first) milter's process: CPU and RSS
    std::vector<int> more_pids; ///< `--pid A,B`: the other milters of a chain (CPU is summed)
    bool quickack = false;
    bool show_edits = false;
    double rate =
        0; ///< `--rate R`: SMTP connections start at R per second in all (open loop); 0: as fast as possible
    std::string label;
};

/// What every worker shares.
struct shared_state {
    settings const& s;
    std::vector<message> const& corpus;
    clock_type::time_point measure_from, stop_at;
    std::atomic<std::size_t> next{0}, started{0}, paced{0};
    clock_type::time_point start;
    std::mutex mutex;
    stats total;
};

class protocol_error : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// One Postfix-like milter client connection.
class connection {
public:
    connection(tcp::socket sock)
        : sock_(std::move(sock))
    {}

    asio::awaitable<void> negotiate()
    {
        std::string p;
        wire::put_u32(p, 6);
        wire::put_u32(p, 0x1ff);
        // Everything Postfix 3.7 offers except leading-space headers.
        wire::put_u32(p, 0x000fffff);
        frame(out_, 'O', p);
        auto r = co_await reply();
        if(r.first != 'O' || r.second.size() < 12)
            throw protocol_error("bad negotiation reply");
        flags_ = wire::get_u32(r.second.data() + 8);
    }

    bool has(std::uint32_t f) const noexcept { return (flags_ & f) != 0; }

    /// Sends `frames`; when a reply is due, flushes and reads it (skipping progress frames).
    asio::awaitable<char> step(bool want_reply)
    {
        if(!want_reply)
            co_return 'c';
        auto r = co_await reply();
        co_return r.first;
    }

    std::string out_;
    std::uint32_t flags_ = 0;

    asio::awaitable<std::pair<char, std::string>> reply()
    {
        if(!out_.empty()) {
            co_await asio::async_write(sock_, asio::buffer(out_), asio::use_awaitable);
            out_.clear();
        }
        for(;;) {
            while(in_.size() - in_pos_ >= 5) {
                auto const len = wire::get_u32(in_.data() + in_pos_);
                if(len == 0 || len > (1u << 24))
                    throw protocol_error("bad frame length");
                if(in_.size() - in_pos_ < 4 + len)
                    break;
                char const cmd = in_[in_pos_ + 4];
                std::string payload(in_.data() + in_pos_ + 5, len - 1);
                in_pos_ += 4 + len;
                if(in_pos_ == in_.size()) {
                    in_.clear();
                    in_pos_ = 0;
                }
                if(cmd == 'p')
                    continue; // progress: keep waiting
                co_return std::pair{cmd, std::move(payload)};
            }
            if(in_pos_ > 0) {
                in_.erase(0, in_pos_);
                in_pos_ = 0;
            }
            if(quickack_) {
                // Acknowledge at once: a milter that writes a reply in two segments with Nagle on
                // would otherwise wait for our delayed ACK (40 ms on Linux) before the second.
                int one = 1;
                ::setsockopt(sock_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            }
            char buf[16384];
            auto const n = co_await sock_.async_read_some(asio::buffer(buf), asio::use_awaitable);
            in_.append(buf, n);
        }
    }

    asio::awaitable<void> finish()
    {
        frame(out_, 'Q', "");
        co_await asio::async_write(sock_, asio::buffer(out_), asio::use_awaitable);
        out_.clear();
        boost::system::error_code ec;
        sock_.shutdown(tcp::socket::shutdown_send, ec);
        // Let the milter close first: the TIME_WAIT stays on its side, not on our ports.
        char buf[256];
        for(;;) {
            auto [e, n] =
                co_await sock_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            if(e)
                break;
        }
    }

    tcp::socket sock_;
    bool quickack_ = false;
    std::string in_;
    std::size_t in_pos_ = 0;
};

enum class outcome { accepted, rejected, tempfailed, other };

outcome
classify(char r)
{
    switch(r) {
    case 'a':
    case 'c': return outcome::accepted;
    case 'r':
    case 'y': return outcome::rejected;
    case 't': return outcome::tempfailed;
    default: return outcome::other;
    }
}

bool
is_final_reply(char r)
{
    return r == 'a' || r == 'c' || r == 'r' || r == 't' || r == 'd' || r == 'y' || r == 'f' || r == '4';
}

std::atomic<int> shown_edits{0};

/// The header fields milter `i` of a chain receives: the message's, with the fields the milters
/// before it added ('h': appended; 'i': inserted at its index), as Postfix's cleanup passes each
/// milter's changes on to the next.
struct added_field {
    bool insert = false;
    std::uint32_t index = 0;
    std::string frame; ///< the 'L' frame
};

std::vector<std::string>
header_frames_with(message const& m, std::vector<added_field> const& added)
{
    std::vector<std::string> out = m.header_frames;
    for(auto const& a : added) {
        if(a.insert)
            out.insert(out.begin() + std::min<std::size_t>(a.index, out.size()), a.frame);
        else
            out.push_back(a.frame);
    }
    return out;
}

asio::awaitable<void>
worker(shared_state& sh, std::vector<tcp::endpoint> eps)
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
        // Open loop (`--rate`): connection n is due at start + n / rate, whoever is free to run
        // it; its latency counts from then, so time spent waiting for a free connection counts.
        auto t_connect = clock_type::now();
        if(s.rate > 0) {
            auto const n = sh.paced.fetch_add(1);
            t_connect = sh.start + std::chrono::duration_cast<clock_type::duration>(
                                       std::chrono::duration<double>(static_cast<double>(n) / s.rate));
            asio::steady_timer pace(ex, t_connect);
            co_await pace.async_wait(asio::use_awaitable);
        }
        bool failed = false;
        try {
            // One connection per milter of the chain, opened at SMTP connect as Postfix does.
            std::vector<std::unique_ptr<connection>> cs;
            for(auto const& ep : eps) {
                tcp::socket sock(ex);
                co_await sock.async_connect(ep, asio::use_awaitable);
                sock.set_option(tcp::no_delay(true));
                cs.push_back(std::make_unique<connection>(std::move(sock)));
                cs.back()->quickack_ = s.quickack;
                co_await cs.back()->negotiate();
            }
            // A milter that answered accept for the connection is not asked again (Postfix).
            std::vector<bool> conn_accepted(cs.size(), false);
            for(unsigned k = 0; k < s.per_conn; ++k) {
                if(k > 0 && !more())
                    break;
                auto const& m = sh.corpus[sh.next.fetch_add(1) % sh.corpus.size()];
                auto const t0 = k == 0 ? t_connect : clock_type::now();
                char r = 'c';
                if(k == 0)
                    for(std::size_t i = 0; i < cs.size() && r == 'c'; ++i) {
                        auto& c = *cs[i];
                        frame(c.out_, 'D',
                              "C" + z("j") + z("mx.bench.test") + z("{daemon_name}") + z("smtpd") + z("v") +
                                  z("Postfix 3.7.11"));
                        char ri = 'c';
                        if(!c.has(pf::no_connect)) {
                            std::string p = z(m.name) + "4";
                            char port[2] = {static_cast<char>(0xc3), 0x50};
                            p.append(port, 2);
                            p += z(m.ip);
                            frame(c.out_, 'C', p);
                            ri = co_await c.step(!c.has(pf::nr_connect));
                        }
                        if(ri == 'c' && !c.has(pf::no_helo)) {
                            frame(c.out_, 'H', z(m.helo));
                            ri = co_await c.step(!c.has(pf::nr_helo));
                        }
                        if(ri == 'a')
                            conn_accepted[i] = true;
                        else
                            r = ri;
                    }
                char final_reply = r;
                clock_type::time_point t_eom{};
                auto const qid = "4Q" + std::to_string(sh.next.load());
                // Envelope: each command to every milter in turn; the first refusal ends it.
                std::vector<bool> in_txn(cs.size(), false);
                for(std::size_t i = 0; i < cs.size() && r == 'c'; ++i) {
                    if(conn_accepted[i])
                        continue;
                    auto& c = *cs[i];
                    in_txn[i] = true;
                    char ri = 'c';
                    frame(c.out_, 'D', "M" + z("i") + z(qid) + z("{mail_addr}") + z(m.from));
                    if(!c.has(pf::no_mail)) {
                        frame(c.out_, 'M',
                              z("<" + m.from + ">") + z("SIZE=" + std::to_string(m.body.size())) +
                                  z("BODY=8BITMIME"));
                        ri = co_await c.step(!c.has(pf::nr_mail));
                    }
                    if(ri == 'c' && !c.has(pf::no_rcpt)) {
                        frame(c.out_, 'D', "R" + z("{rcpt_addr}") + z(m.rcpt));
                        frame(c.out_, 'R', z("<" + m.rcpt + ">"));
                        ri = co_await c.step(!c.has(pf::nr_rcpt));
                    }
                    if(ri == 'c' && !c.has(pf::no_data)) {
                        frame(c.out_, 'D', "T" + z("i") + z(qid));
                        frame(c.out_, 'T', "");
                        ri = co_await c.step(!c.has(pf::nr_data));
                    }
                    if(ri == 'a')
                        in_txn[i] = false; // accepted this message: skipped for its content
                    else if(ri != 'c')
                        r = ri;
                }
                // Content: the whole message to each milter, one after the other, each seeing
                // the header fields the previous ones added.
                std::vector<added_field> added;
                bool any_content = false;
                for(std::size_t i = 0; i < cs.size() && (r == 'c' || r == 's'); ++i) {
                    if(!in_txn[i])
                        continue;
                    any_content = true;
                    auto& c = *cs[i];
                    char ri = 'c';
                    std::vector<std::string> const with =
                        added.empty() ? std::vector<std::string>() : header_frames_with(m, added);
                    auto const& headers = added.empty() ? m.header_frames : with;
                    if(!c.has(pf::no_headers))
                        for(auto const& h : headers) {
                            c.out_ += h;
                            ri = co_await c.step(!c.has(pf::nr_header));
                            if(ri != 'c')
                                break;
                        }
                    if(ri == 'c' && !c.has(pf::no_eoh)) {
                        frame(c.out_, 'N', "");
                        ri = co_await c.step(!c.has(pf::nr_eoh));
                    }
                    if(ri == 'c' && !c.has(pf::no_body))
                        for(std::size_t off = 0; off < m.body.size(); off += 65535) {
                            frame(c.out_, 'B', std::string_view(m.body).substr(off, 65535));
                            ri = co_await c.step(!c.has(pf::nr_body));
                            if(ri != 'c')
                                break;
                        }
                    if(ri == 'c' || ri == 's') {
                        frame(c.out_, 'D', "E" + z("i") + z(qid));
                        frame(c.out_, 'E', "");
                        if(t_eom == clock_type::time_point{})
                            t_eom = clock_type::now();
                        for(;;) {
                            auto rep = co_await c.reply();
                            if(is_final_reply(rep.first)) {
                                ri = rep.first;
                                break;
                            }
                            ++st.edits; // h, i, m, e, +, -, b, q...
                            if(rep.first == 'h' || rep.first == 'i') {
                                added_field a;
                                std::string_view p = rep.second;
                                if(rep.first == 'i' && p.size() >= 4) {
                                    a.insert = true;
                                    a.index = wire::get_u32(p.data());
                                    p.remove_prefix(4);
                                }
                                frame(a.frame, 'L', p);
                                added.push_back(std::move(a));
                            }
                            if(s.show_edits && shown_edits.fetch_add(1) < 8) {
                                std::string p = rep.second;
                                std::replace(p.begin(), p.end(), '\0', '|');
                                std::cerr << "edit '" << rep.first << "' (milter " << i + 1 << "): " << p
                                          << "\n";
                            }
                        }
                        if(ri != 'a' && ri != 'c')
                            r = ri;
                    } else {
                        r = ri;
                        frame(c.out_, 'A', ""); // Postfix aborts the milter's transaction
                    }
                }
                final_reply = r == 's' ? 'c' : r;
                if(!any_content && r == 'c')
                    final_reply = 'a';
                auto const t1 = clock_type::now();
                if(t0 >= sh.measure_from) {
                    ++st.messages;
                    st.txn_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
                    if(t_eom != clock_type::time_point{})
                        st.eom_us.push_back(std::chrono::duration<double, std::micro>(t1 - t_eom).count());
                    switch(classify(final_reply)) {
                    case outcome::accepted: ++st.accepted; break;
                    case outcome::rejected: ++st.rejected; break;
                    case outcome::tempfailed: ++st.tempfailed; break;
                    case outcome::other: ++st.other; break;
                    }
                }
                if(std::all_of(conn_accepted.begin(), conn_accepted.end(), [](bool b) { return b; }))
                    break;
            }
            for(auto& c : cs)
                co_await c->finish();
        } catch(std::exception const& e) {
            if(clock_type::now() >= sh.measure_from)
                ++st.errors;
            static std::atomic<int> shown{0};
            if(shown++ < 5)
                std::cerr << "milter_load: " << e.what() << "\n";
            failed = true;
        }
        if(failed) {
            // Do not spin on a milter that refuses connections.
            asio::steady_timer t(ex, std::chrono::milliseconds(10));
            co_await t.async_wait(asio::use_awaitable);
        }
    }
    std::lock_guard lock(sh.mutex);
    sh.total.merge(st);
}

/// Idle mode: `n` connections that negotiate and then stay silent until `release_at`.
asio::awaitable<void>
idle_worker(tcp::endpoint ep, clock_type::time_point release_at, std::atomic<std::size_t>& established,
            std::atomic<std::size_t>& failed)
{
    auto ex = co_await asio::this_coro::executor;
    try {
        tcp::socket sock(ex);
        co_await sock.async_connect(ep, asio::use_awaitable);
        connection c(std::move(sock));
        co_await c.negotiate();
        ++established;
        asio::steady_timer t(ex, release_at);
        co_await t.async_wait(asio::use_awaitable);
        co_await c.finish();
    } catch(std::exception const&) {
        ++failed;
    }
}

int
run_idle(settings const& s, std::size_t n)
{
    asio::io_context io(1);
    tcp::endpoint const ep(asio::ip::make_address(s.host), s.ports.front());
    long const rss0 = rss_kib(s.pid);
    std::atomic<std::size_t> established{0}, failed{0};
    auto const release_at = clock_type::now() + std::chrono::seconds(60);
    std::thread runner([&] {
        // In batches, so that the listen backlog is not what is measured.
        for(std::size_t i = 0; i < n; ++i) {
            asio::co_spawn(io, idle_worker(ep, release_at, established, failed), asio::detached);
            if(i % 200 == 199)
                io.run_for(std::chrono::milliseconds(50));
        }
        io.run();
    });
    auto const deadline = clock_type::now() + std::chrono::seconds(50);
    while(established + failed < n && clock_type::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    long const rss1 = rss_kib(s.pid);
    std::printf(
        "RESULT label=%s idle_connections=%zu failed=%zu milter_rss_before_kib=%ld milter_rss_idle_kib=%ld "
        "kib_per_connection=%.1f\n",
        s.label.empty() ? "idle" : s.label.c_str(), established.load(), failed.load(), rss0, rss1,
        established ? static_cast<double>(rss1 - rss0) / static_cast<double>(established.load()) : 0.0);
    std::fflush(stdout);
    io.stop();
    runner.join();
    return failed == 0 ? 0 : 1;
}

} // namespace

int
main(int argc, char** argv)
{
    settings s;
    std::string corpus_dir;
    std::size_t idle = 0;
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
        else if(a == "--port") {
            s.ports.clear();
            std::stringstream list(val());
            for(std::string p; std::getline(list, p, ',');)
                s.ports.push_back(static_cast<unsigned short>(std::stoul(p)));
        } else if(a == "--conns")
            s.conns = static_cast<unsigned>(std::stoul(val()));
        else if(a == "--threads")
            s.threads = static_cast<unsigned>(std::stoul(val()));
        else if(a == "--per-conn")
            s.per_conn = static_cast<unsigned>(std::stoul(val()));
        else if(a == "--duration")
            s.duration = std::stod(val());
        else if(a == "--warmup")
            s.warmup = std::stod(val());
        else if(a == "--messages")
            s.max_messages = std::stoull(val());
        else if(a == "--pid") {
            std::stringstream list(val());
            std::string p;
            std::getline(list, p, ',');
            s.pid = std::stoi(p);
            while(std::getline(list, p, ','))
                s.more_pids.push_back(std::stoi(p));
        } else if(a == "--idle")
            idle = std::stoull(val());
        else if(a == "--show-edits")
            s.show_edits = true;
        else if(a == "--rate")
            s.rate = std::stod(val());
        else if(a == "--quickack")
            s.quickack = true;
        else if(a == "--label")
            s.label = val();
        else {
            std::cerr << "milter_load: unknown option " << a << "\n";
            return 2;
        }
    }
    if(idle != 0)
        return run_idle(s, idle);
    if(corpus_dir.empty()) {
        std::cerr
            << "usage: milter_load --corpus DIR [--port P] [--conns C] [--threads T] [--duration S] ...\n";
        return 2;
    }
    auto const corpus = load_corpus(corpus_dir);
    if(corpus.empty()) {
        std::cerr << "milter_load: empty corpus in " << corpus_dir << "\n";
        return 2;
    }
    asio::io_context io(static_cast<int>(s.threads));
    std::vector<tcp::endpoint> eps;
    for(auto p : s.ports)
        eps.emplace_back(asio::ip::make_address(s.host), p);
    shared_state sh{s, corpus, {}, {}, {}, {}, {}, {}};
    auto const start = clock_type::now();
    sh.start = start;
    sh.measure_from =
        start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.warmup));
    sh.stop_at = sh.measure_from +
                 std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration));
    if(s.max_messages != 0)
        sh.stop_at = clock_type::time_point::max();
    for(unsigned i = 0; i < s.conns; ++i)
        asio::co_spawn(asio::make_strand(io), worker(sh, eps), asio::detached);
    // CPU of the milter from the end of the warm-up.
    auto chain_cpu = [&] {
        double c = cpu_seconds(s.pid);
        for(int p : s.more_pids)
            c += cpu_seconds(p);
        return c;
    };
    double cpu0 = chain_cpu();
    std::thread sampler;
    if(s.warmup > 0)
        sampler = std::thread([&] {
            std::this_thread::sleep_until(sh.measure_from);
            cpu0 = chain_cpu();
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
    double const cpu = chain_cpu() - cpu0;
    auto& t = sh.total;
    double const secs = std::chrono::duration<double>(end - std::max(start, sh.measure_from)).count();
    double const rate = static_cast<double>(t.messages) / secs;
    double const cpu_per_k = t.messages ? cpu / static_cast<double>(t.messages) * 1000.0 : 0;
    auto p = [](std::vector<double>& v, double q) { return percentile(v, q); };
    char line[1024];
    std::snprintf(line, sizeof line,
                  "RESULT label=%s conns=%u threads=%u messages=%zu seconds=%.2f msgs_per_s=%.0f "
                  "txn_p50_us=%.0f txn_p99_us=%.0f txn_p999_us=%.0f eom_p50_us=%.0f eom_p99_us=%.0f "
                  "eom_p999_us=%.0f errors=%zu accepted=%zu rejected=%zu tempfailed=%zu other=%zu edits=%zu "
                  "milter_cpu_s=%.2f cpu_s_per_1000=%.3f milter_rss_kib=%ld milter_peak_rss_kib=%ld",
                  s.label.empty() ? "-" : s.label.c_str(), s.conns, s.threads, t.messages, secs, rate,
                  p(t.txn_us, 0.5), p(t.txn_us, 0.99), p(t.txn_us, 0.999), p(t.eom_us, 0.5),
                  p(t.eom_us, 0.99), p(t.eom_us, 0.999), t.errors, t.accepted, t.rejected, t.tempfailed,
                  t.other, t.edits, cpu, cpu_per_k, s.pid > 0 ? rss_kib(s.pid) : 0L,
                  s.pid > 0 ? rss_kib(s.pid, "VmHWM:") : 0L);
    std::cout << line << std::endl;
    return t.errors == 0 ? 0 : 1;
}
