// Integration test of cares_resolver (and caching_resolver) against a real authoritative server:
// Knot DNS (knotd) started on 127.0.0.1 with a free port and a zone written here.
#define BOOST_TEST_MODULE integration_dns_knot
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/cares_resolver.hpp>
#include <authmilter/dns/deadline_resolver.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace authmilter::dns;
using namespace std::chrono_literals;

namespace authmilter::dns {
inline std::ostream&
boost_test_print_type(std::ostream& os, outcome o)
{
    return os << to_string(o);
}
} // namespace authmilter::dns

namespace {

std::string const big_string(250, 'x');

std::string
zone_text()
{
    std::string z = R"($ORIGIN example.test.
$TTL 300
@       SOA   ns hostmaster 1 3600 600 86400 120
@       NS    ns
ns      A     127.0.0.1
@       A     192.0.2.1
@       AAAA  2001:db8::1
@       MX    10 mail
@       MX    20 mail2.example.net.
mail    A     192.0.2.25
txt     TXT   "v=spf1 " "ip4:192.0.2.0/24 " "-all"
txt     TXT   "second record"
alias   CNAME alias2
alias2  CNAME www
www     60 A  192.0.2.80
)";
    z += "big TXT";
    for(char c = 'a'; c < 'e'; ++c)
        z += " \"" + std::string(1, c) + big_string.substr(1) + "\"";
    z += "\n";
    return z;
}

std::string const reverse_zone = R"($ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@  SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 120
@  NS  ns.example.test.
1  PTR host.example.test.
)";

/// A port free for both UDP and TCP on 127.0.0.1 right now.
unsigned short
free_port()
{
    asio::io_context io;
    for(int i = 0; i < 50; ++i) {
        asio::ip::udp::socket u(io, {asio::ip::make_address("127.0.0.1"), 0});
        auto const port = u.local_endpoint().port();
        boost::system::error_code ec;
        asio::ip::tcp::acceptor t(io);
        t.open(asio::ip::tcp::v4(), ec);
        t.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
        if(!ec)
            return port;
    }
    throw std::runtime_error("no free port");
}

std::string
find_knotd()
{
    for(auto p : {"/usr/sbin/knotd", "/usr/local/sbin/knotd", "/usr/bin/knotd"})
        if(fs::exists(p))
            return p;
    throw std::runtime_error("knotd not found: install Debian package 'knot' (scripts/install-deps.sh)");
}

template<class R>
answer
ask(asio::io_context& io, R& r, std::string_view name, rr_type type)
{
    auto f = asio::co_spawn(io, r.query(name, type), asio::use_future);
    io.restart();
    io.run();
    return f.get();
}

/// Knot DNS serving the test zones; stopped by the destructor, whatever the test did.
struct knot_server {
    fs::path dir;
    unsigned short port = 0;
    pid_t pid = -1;

    knot_server()
    {
        char tmpl[] = "/tmp/authmilter-knot-XXXXXX";
        if(::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
        port = free_port();
        std::ofstream(dir / "example.test.zone") << zone_text();
        std::ofstream(dir / "reverse.zone") << reverse_zone;
        std::ofstream(dir / "knot.conf")
            << "server:\n"
            << "    rundir: \"" << dir.string() << "\"\n"
            << "    listen: 127.0.0.1@" << port << "\n"
            << "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
            << "database:\n    storage: \"" << dir.string() << "\"\n"
            << "log:\n  - target: stderr\n    any: warning\n"
            << "template:\n  - id: default\n    storage: \"" << dir.string() << "\"\n"
            << "zone:\n  - domain: example.test\n    file: example.test.zone\n"
            << "  - domain: 2.0.192.in-addr.arpa\n    file: reverse.zone\n";
        auto const knotd = find_knotd();
        auto const conf = (dir / "knot.conf").string();
        pid = ::fork();
        if(pid < 0)
            throw std::runtime_error("fork failed");
        if(pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive a crashed test
            ::execl(knotd.c_str(), "knotd", "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        wait_until_answering();
    }

    ~knot_server()
    {
        if(pid > 0) {
            ::kill(pid, SIGTERM);
            int status = 0;
            for(int i = 0; i < 50; ++i) {
                if(::waitpid(pid, &status, WNOHANG) == pid) {
                    pid = -1;
                    break;
                }
                std::this_thread::sleep_for(100ms);
            }
            if(pid > 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
            }
        }
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    cares_options options(std::chrono::milliseconds timeout = 1s, unsigned retry = 1) const
    {
        cares_options o;
        o.servers = {"127.0.0.1:" + std::to_string(port)};
        o.timeout = timeout;
        o.retry = retry;
        return o;
    }

    void wait_until_answering()
    {
        asio::io_context io;
        cares_resolver r(io.get_executor(), options(200ms, 0));
        auto const until = std::chrono::steady_clock::now() + 20s;
        while(std::chrono::steady_clock::now() < until) {
            int status = 0;
            if(::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                throw std::runtime_error("knotd exited during start-up");
            }
            if(ask(io, r, "ns.example.test", rr_type::a).ok())
                return;
            std::this_thread::sleep_for(100ms);
        }
        throw std::runtime_error("knotd did not answer within 20 s");
    }
};

struct fixture {
    static knot_server& server()
    {
        static knot_server s; // started once for the module, stopped at exit
        return s;
    }
    fixture()
        : resolver(io.get_executor(), server().options())
    {}
    asio::io_context io;
    cares_resolver resolver;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(integration_dns_knot, fixture)

BOOST_AUTO_TEST_CASE(a_and_aaaa)
{
    auto a = ask(io, resolver, "Example.Test", rr_type::a);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_REQUIRE(a.addresses().size() == 1u);
    BOOST_TEST(a.addresses()[0].to_string() == "192.0.2.1");
    BOOST_TEST(a.ttl == 300u);
    BOOST_TEST(a.records[0].name == "example.test");
    auto aaaa = ask(io, resolver, "example.test.", rr_type::aaaa);
    BOOST_REQUIRE(aaaa.addresses().size() == 1u);
    BOOST_TEST(aaaa.addresses()[0].to_string() == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(txt_records_keep_their_strings_apart)
{
    auto t = ask(io, resolver, "txt.example.test", rr_type::txt);
    BOOST_TEST(t.status == outcome::noerror);
    BOOST_REQUIRE(t.records.size() == 2u);
    auto txts = t.txts();
    std::sort(txts.begin(), txts.end());
    BOOST_TEST(txts == (std::vector<std::string>{"second record", "v=spf1 ip4:192.0.2.0/24 -all"}));
    bool found = false;
    for(auto const& r : t.records)
        if(std::get<txt_data>(r.data).strings ==
           std::vector<std::string>{"v=spf1 ", "ip4:192.0.2.0/24 ", "-all"})
            found = true;
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(mx)
{
    auto mx = ask(io, resolver, "example.test", rr_type::mx).mxs();
    BOOST_REQUIRE(mx.size() == 2u);
    std::sort(mx.begin(), mx.end(), [](auto const& x, auto const& y) { return x.preference < y.preference; });
    BOOST_TEST(mx[0].preference == 10);
    BOOST_TEST(mx[0].exchange == "mail.example.test");
    BOOST_TEST(mx[1].exchange == "mail2.example.net");
}

BOOST_AUTO_TEST_CASE(ptr)
{
    auto p = ask(io, resolver, "1.2.0.192.in-addr.arpa", rr_type::ptr);
    BOOST_TEST(p.status == outcome::noerror);
    BOOST_TEST(p.names() == std::vector<std::string>{"host.example.test"});
}

BOOST_AUTO_TEST_CASE(cname_chain)
{
    auto a = ask(io, resolver, "alias.example.test", rr_type::a);
    BOOST_TEST(a.status == outcome::noerror);
    BOOST_REQUIRE(a.addresses().size() == 1u);
    BOOST_TEST(a.addresses()[0].to_string() == "192.0.2.80");
    BOOST_TEST(a.records[0].name == "www.example.test");
    BOOST_TEST(a.ttl == 60u); // the smallest TTL along the chain
    auto c = ask(io, resolver, "alias.example.test", rr_type::cname);
    BOOST_TEST(c.names() == std::vector<std::string>{"alias2.example.test"});
}

BOOST_AUTO_TEST_CASE(nxdomain_and_nodata_with_negative_ttl)
{
    auto nx = ask(io, resolver, "nope.example.test", rr_type::a);
    BOOST_TEST(nx.status == outcome::nxdomain);
    BOOST_TEST(nx.ttl == 120u); // min(SOA TTL 300, minimum 120)
    auto nodata = ask(io, resolver, "www.example.test", rr_type::txt);
    BOOST_TEST(nodata.status == outcome::nodata);
    BOOST_TEST(nodata.ttl == 120u);
}

BOOST_AUTO_TEST_CASE(large_txt_needs_tcp)
{
    // 4 x 250 bytes: more than the 512 bytes of a UDP answer without EDNS, so the server sets TC
    // and c-ares asks again over TCP.
    auto t = ask(io, resolver, "big.example.test", rr_type::txt);
    BOOST_TEST(t.status == outcome::noerror);
    BOOST_REQUIRE(t.records.size() == 1u);
    auto const& strings = std::get<txt_data>(t.records[0].data).strings;
    BOOST_REQUIRE(strings.size() == 4u);
    BOOST_TEST(strings[0] == "a" + big_string.substr(1));
    BOOST_TEST(strings[3] == "d" + big_string.substr(1));
    BOOST_TEST(t.txts()[0].size() == 1000u);
}

BOOST_AUTO_TEST_CASE(timeout_against_a_silent_port)
{
    asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
    o.timeout = 300ms;
    o.retry = 1;
    cares_resolver r(io.get_executor(), o);
    auto const start = std::chrono::steady_clock::now();
    auto a = ask(io, r, "example.test", rr_type::a);
    auto const took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(a.status == outcome::timeout);
    BOOST_TEST((took >= 2 * 300ms - 20ms));
    BOOST_TEST((took <= 2 * 300ms + 500ms)); // dns_timeout x (dns_retry + 1) + margin
}

BOOST_AUTO_TEST_CASE(cache_coalesces_concurrent_queries_to_the_server)
{
    caching_resolver<cares_resolver&> cache(resolver);
    int answered = 0;
    for(int i = 0; i < 200; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                if((co_await cache.query("mail.example.test", rr_type::a)).ok())
                    ++answered;
            },
            asio::detached);
    io.restart();
    io.run();
    BOOST_TEST(answered == 200);
    auto s = cache.stats();
    BOOST_TEST(s.misses == 1u);
    BOOST_TEST(s.coalesced == 199u);
    BOOST_TEST(ask(io, cache, "mail.example.test", rr_type::a).ok());
    BOOST_TEST(cache.stats().hits == 1u);
}

BOOST_AUTO_TEST_CASE(many_distinct_queries_in_parallel)
{
    int ok = 0, nx = 0;
    for(int i = 0; i < 100; ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                auto const name =
                    i % 2 ? std::string("www.example.test") : "n" + std::to_string(i) + ".example.test";
                auto a = co_await resolver.query(name, rr_type::a);
                if(a.ok())
                    ++ok;
                else if(a.status == outcome::nxdomain)
                    ++nx;
            },
            asio::detached);
    io.restart();
    io.run();
    BOOST_TEST(ok == 50);
    BOOST_TEST(nx == 50);
}

BOOST_AUTO_TEST_CASE(queries_from_another_thread)
{
    // The resolver's channel runs on io_thread; the coroutines asking run on io (this thread).
    asio::io_context io_thread;
    auto guard = asio::make_work_guard(io_thread);
    std::thread t([&] { io_thread.run(); });
    int ok = 0;
    auto remote = std::make_unique<cares_resolver>(io_thread.get_executor(), server().options());
    for(int i = 0; i < 20; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                auto a = co_await remote->query("www.example.test", rr_type::a);
                if(a.ok() && a.addresses().at(0).to_string() == "192.0.2.80")
                    ++ok;
            },
            asio::detached);
    io.restart();
    io.run();
    // Destroyed on its own thread, as documented.
    std::packaged_task<void()> destroy([&] { remote.reset(); });
    auto done = destroy.get_future();
    asio::post(io_thread, [&] { destroy(); });
    done.get();
    guard.reset();
    t.join();
    BOOST_TEST(ok == 20);
}

BOOST_AUTO_TEST_CASE(deadline_cuts_a_slow_server_short)
{
    asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
    o.timeout = 2s;
    o.retry = 0;
    cares_resolver r(io.get_executor(), o);
    deadline_resolver<cares_resolver> message(r, 150ms);
    auto const start = std::chrono::steady_clock::now();
    answer a;
    std::chrono::steady_clock::duration took{};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            a = co_await message.query("example.test", rr_type::txt);
            took = std::chrono::steady_clock::now() - start;
        },
        asio::detached);
    io.restart();
    io.run_for(1s); // the abandoned c-ares query would take 2 s; the answer must come long before
    BOOST_TEST(a.status == outcome::timeout);
    BOOST_TEST((took >= 140ms));
    BOOST_TEST((took < 600ms));
}

BOOST_AUTO_TEST_SUITE_END()
