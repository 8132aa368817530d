// Test that header file is self-contained.
#include <authmilter/dns/caching_resolver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test_print.hpp"
#include "test_upstream.hpp"

using namespace authmilter::dns;
using authmilter::test::ask;
using authmilter::test::delayed_upstream;
using namespace std::chrono_literals;

namespace {

/// A clock the tests move by hand.
struct fake_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<fake_clock>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept { return current; }
    static inline time_point current{};
};

using cache = caching_resolver<delayed_upstream&, fake_clock>;

struct fixture {
    fixture()
    {
        fake_clock::current = fake_clock::time_point{} + 1000h;
        up.delay = 1ms;
        up.zone.add_address("a.example", "192.0.2.1", 60);
        up.zone.add_address("b.example", "192.0.2.2", 1);
        up.zone.add_address("c.example", "192.0.2.3", 1000000);
        up.zone.add_txt("t.example", "hello", 300);
        up.zone.add_fault("sf.example", rr_type::txt, outcome::servfail);
        up.zone.add_fault("to.example", rr_type::txt, outcome::timeout);
    }
    delayed_upstream up;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(dns_caching_resolver, fixture)

BOOST_AUTO_TEST_CASE(positive_answer_kept_for_its_ttl)
{
    cache c(up);
    BOOST_TEST(ask(c, "a.example", rr_type::a).addresses().at(0).to_string() == "192.0.2.1");
    fake_clock::current += 59s;
    auto hit = ask(c, "A.Example.", rr_type::a); // names compare case-insensitively
    BOOST_TEST(hit.status == outcome::noerror);
    BOOST_TEST(hit.ttl == 1u); // the remaining lifetime
    BOOST_TEST(up.calls == 1);
    fake_clock::current += 2s;
    BOOST_TEST(ask(c, "a.example", rr_type::a).ok());
    BOOST_TEST(up.calls == 2);
    auto s = c.stats();
    BOOST_TEST(s.hits == 1u);
    BOOST_TEST(s.misses == 2u);
    BOOST_TEST(s.expirations == 1u);
    BOOST_TEST(s.count(outcome::noerror) == 2u);
}

BOOST_AUTO_TEST_CASE(types_are_cached_apart)
{
    cache c(up);
    BOOST_TEST(ask(c, "t.example", rr_type::txt).ok());
    BOOST_TEST(ask(c, "t.example", rr_type::a).status == outcome::nodata);
    BOOST_TEST(up.calls == 2);
}

BOOST_AUTO_TEST_CASE(ttl_floor_and_cap)
{
    cache_options o;
    o.min_ttl = 30s;
    o.max_ttl = 3600s;
    cache c(up, o);
    ask(c, "b.example", rr_type::a); // TTL 1 raised to 30
    ask(c, "c.example", rr_type::a); // TTL 1000000 cut to 3600
    fake_clock::current += 29s;
    ask(c, "b.example", rr_type::a);
    BOOST_TEST(up.calls == 2);
    fake_clock::current += 2s;
    ask(c, "b.example", rr_type::a);
    BOOST_TEST(up.calls == 3);
    fake_clock::current += 3600s - 31s - 1s;
    BOOST_TEST(ask(c, "c.example", rr_type::a).ttl == 1u);
    BOOST_TEST(up.calls == 3);
    fake_clock::current += 2s;
    ask(c, "c.example", rr_type::a);
    BOOST_TEST(up.calls == 4);
}

BOOST_AUTO_TEST_CASE(negative_answers_per_rfc2308_with_cap)
{
    up.zone.set_negative_ttl(900);
    cache_options o;
    o.max_negative_ttl = 300s;
    cache c(up, o);
    BOOST_TEST(ask(c, "nx.example", rr_type::a).status == outcome::nxdomain);
    BOOST_TEST(ask(c, "t.example", rr_type::mx).status == outcome::nodata);
    fake_clock::current += 299s;
    BOOST_TEST(ask(c, "nx.example", rr_type::a).status == outcome::nxdomain);
    BOOST_TEST(ask(c, "t.example", rr_type::mx).status == outcome::nodata);
    BOOST_TEST(up.calls == 2);
    fake_clock::current += 2s;
    ask(c, "nx.example", rr_type::a);
    BOOST_TEST(up.calls == 3);
}

BOOST_AUTO_TEST_CASE(negative_answer_without_soa_is_not_cached)
{
    cache c(up);
    ask(c, "nx.example", rr_type::a);
    ask(c, "nx.example", rr_type::a);
    BOOST_TEST(up.calls == 2);
    BOOST_TEST(c.size() == 0u);
}

BOOST_AUTO_TEST_CASE(errors_kept_briefly)
{
    cache_options o;
    o.error_ttl = 5s;
    cache c(up, o);
    BOOST_TEST(ask(c, "sf.example", rr_type::txt).status == outcome::servfail);
    BOOST_TEST(ask(c, "to.example", rr_type::txt).status == outcome::timeout);
    fake_clock::current += 4s;
    BOOST_TEST(ask(c, "sf.example", rr_type::txt).status == outcome::servfail);
    BOOST_TEST(up.calls == 2);
    fake_clock::current += 2s;
    BOOST_TEST(ask(c, "sf.example", rr_type::txt).status == outcome::servfail);
    BOOST_TEST(up.calls == 3);
    auto s = c.stats();
    BOOST_TEST(s.timeouts == 1u);
    BOOST_TEST(s.count(outcome::servfail) == 2u);

    o.error_ttl = 0s;
    cache uncached(up, o);
    ask(uncached, "sf.example", rr_type::txt);
    ask(uncached, "sf.example", rr_type::txt);
    BOOST_TEST(up.calls == 5);
}

BOOST_AUTO_TEST_CASE(lru_eviction)
{
    cache_options o;
    o.max_entries = 2;
    cache c(up, o);
    ask(c, "a.example", rr_type::a);
    ask(c, "b.example", rr_type::a);
    ask(c, "a.example", rr_type::a); // hit: a is now the most recent
    ask(c, "c.example", rr_type::a); // evicts b
    BOOST_TEST(up.calls == 3);
    BOOST_TEST(c.size() == 2u);
    ask(c, "a.example", rr_type::a);
    BOOST_TEST(up.calls == 3);
    ask(c, "b.example", rr_type::a);
    BOOST_TEST(up.calls == 4);
    BOOST_TEST(c.stats().evictions == 2u);
}

BOOST_AUTO_TEST_CASE(thousand_concurrent_queries_one_upstream_query)
{
    up.delay = 50ms;
    cache c(up);
    boost::asio::io_context io;
    int answered = 0;
    for(int i = 0; i < 1000; ++i)
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                auto a = co_await c.query("t.example", rr_type::txt);
                if(a.ok() && a.txts() == std::vector<std::string>{"hello"})
                    ++answered;
            },
            boost::asio::detached);
    io.run();
    BOOST_TEST(answered == 1000);
    BOOST_TEST(up.calls == 1);
    auto s = c.stats();
    BOOST_TEST(s.misses == 1u);
    BOOST_TEST(s.coalesced == 999u);
    BOOST_TEST(s.in_flight == 0u);
    std::uint64_t histogram = 0;
    for(auto n : s.latency_buckets)
        histogram += n;
    BOOST_TEST(histogram == 1u);
}

BOOST_AUTO_TEST_CASE(coalescing_across_threads)
{
    up.delay = 100ms;
    cache c(up);
    std::atomic<int> answered{0};
    auto worker = [&] {
        boost::asio::io_context io;
        for(int i = 0; i < 200; ++i)
            boost::asio::co_spawn(
                io,
                [&]() -> boost::asio::awaitable<void> {
                    if((co_await c.query("a.example", rr_type::a)).ok())
                        ++answered;
                },
                boost::asio::detached);
        io.run();
    };
    std::thread t1(worker), t2(worker), t3(worker);
    t1.join();
    t2.join();
    t3.join();
    BOOST_TEST(answered == 600);
    BOOST_TEST(up.calls == 1);
    auto s = c.stats();
    BOOST_TEST(s.misses == 1u);
    BOOST_TEST(s.hits + s.coalesced == 599u);
}

BOOST_AUTO_TEST_CASE(clear_drops_answers)
{
    cache c(up);
    ask(c, "a.example", rr_type::a);
    c.clear();
    ask(c, "a.example", rr_type::a);
    BOOST_TEST(up.calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()
