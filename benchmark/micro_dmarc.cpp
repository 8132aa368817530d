// Microbenchmarks: what the DMARC report seam costs per message. One message (DKIM-signed,
// SPF pass for another domain, p=reject with rua=) is run through SPF + DKIM + DMARC once; the
// benchmarks then repeat the end-of-message sink work on that transaction.
#include <authmilter/authres/result.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/base64.hpp>
#include <authmilter/dkim/signer.hpp>
#include <authmilter/dmarc/report_json.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/dmarc.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/pipeline/run.hpp>
#include <authmilter/sinks/dmarc_report_jsonl_sink.hpp>
#include <authmilter/sinks/dmarc_report_sink.hpp>

#include <unistd.h>

#include <boost/json.hpp>

#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace {

namespace h = authmilter::handlers;
namespace pl = authmilter::pipeline;
namespace sk = authmilter::sinks;
namespace dmarc = authmilter::dmarc;
namespace dkim = authmilter::dkim;

using chain = pl::pipeline<h::spf_handler, h::dkim_handler, h::dmarc_handler>;
using txn_type = pl::transaction<chain, authmilter::dns::zone_resolver, authmilter::authres::result>;

std::string
signed_message(dkim::private_key const& key)
{
    std::string const text = "From: Alice <alice@example.com>\r\n"
                             "To: Bob <bob@example.net>\r\n"
                             "Subject: lunch\r\n"
                             "Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n"
                             "Message-ID: <lunch.1@example.com>\r\n"
                             "\r\n"
                             "Shall we meet at noon?\r\n";
    dkim::sign_options opts;
    opts.domain = "example.com";
    opts.selector = "sel";
    dkim::signer s(key, std::move(opts));
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    pl::split_message(text, headers, body);
    for(auto& f : headers)
        s.on_header(std::move(f));
    s.on_body(body);
    auto field = s.finish();
    if(!field)
        throw std::runtime_error("signing failed");
    return field->name + ":" + field->raw_value + "\r\n" + text;
}

/// The transaction after one evaluated message; its DMARC state stays until the next message.
struct evaluated_message {
    boost::asio::io_context io;
    chain p;
    authmilter::dns::zone_resolver zone;
    txn_type txn{p, zone};

    evaluated_message()
    {
        auto key = dkim::private_key::from_ed25519_seed(std::string(32, 'k'));
        if(!key)
            throw std::runtime_error("no key");
        zone.add_txt("other.example", "v=spf1 ip4:192.0.2.1 -all");
        zone.add_txt("sel._domainkey.example.com",
                     "v=DKIM1; k=ed25519; p=" + dkim::detail::base64_encode(key->public_key_data()));
        zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:agg@example.com");
        p.configure(boost::json::object{{"SPF", boost::json::object{}},
                                        {"DKIM", boost::json::object{}},
                                        {"DMARC", boost::json::object{}}});
        txn.set_macro("i", "4QxyzAB12");
        pl::message_input in;
        pl::split_message(signed_message(*key), in.headers, in.body);
        in.connection.client_ip = authmilter::core::ip_address::parse("192.0.2.1");
        in.connection.helo = "mail.other.example";
        in.envelope.mail_from = "bounce@other.example";
        in.envelope.rcpt_to = {"user@example.net"};
        bench::run(io, [&]() -> boost::asio::awaitable<void> {
            co_await pl::run_connection(p, txn, in.connection);
            co_await pl::run_message(p, txn, in);
        });
        if(h::dmarc_report_records(txn, std::chrono::system_clock::now()).size() != 1)
            throw std::runtime_error("expected one report record");
    }
};

evaluated_message&
message()
{
    static evaluated_message m;
    return m;
}

/// Consumer that is configured off: the cost a daemon without a report store pays.
struct off_consumer {
    bool active() const noexcept { return false; }
    void on_report(dmarc::report_record const&) const {}
};

/// Consumer that only looks at the record: the cost of building it.
struct touch_consumer {
    void on_report(dmarc::report_record const& r) const { benchmark::DoNotOptimize(r.header_from.data()); }
};

void
dmarc_report_sink_inactive(benchmark::State& state)
{
    auto& m = message();
    sk::dmarc_report_sink<off_consumer> const sink;
    for(auto _ : state)
        sink.on_eom(m.txn);
}
BENCHMARK(dmarc_report_sink_inactive);

/// The daemon's sink with no `report_jsonl_file`: a runtime check per message.
void
dmarc_report_jsonl_sink_off(benchmark::State& state)
{
    auto& m = message();
    sk::dmarc_report_sink<sk::dmarc_report_jsonl_sink> const sink;
    benchmark::DoNotOptimize(&sink);
    for(auto _ : state)
        sink.on_eom(m.txn);
}
BENCHMARK(dmarc_report_jsonl_sink_off);

void
dmarc_report_records_build(benchmark::State& state)
{
    auto& m = message();
    sk::dmarc_report_sink<touch_consumer> const sink;
    for(auto _ : state)
        sink.on_eom(m.txn);
}
BENCHMARK(dmarc_report_records_build);

void
dmarc_report_to_json_line(benchmark::State& state)
{
    auto const r = h::dmarc_report_records(message().txn, std::chrono::system_clock::now()).at(0);
    std::size_t bytes = 0;
    for(auto _ : state) {
        auto line = boost::json::serialize(dmarc::to_json(r));
        bytes += line.size() + 1;
        benchmark::DoNotOptimize(line.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(dmarc_report_to_json_line);

/// The same, the JSON tree in a stack buffer (what the JSON-lines sink does).
void
dmarc_report_to_json_line_monotonic(benchmark::State& state)
{
    auto const r = h::dmarc_report_records(message().txn, std::chrono::system_clock::now()).at(0);
    std::size_t bytes = 0;
    for(auto _ : state) {
        unsigned char buffer[8192];
        boost::json::monotonic_resource mr(buffer, sizeof buffer);
        auto line = boost::json::serialize(dmarc::to_json(r, &mr));
        bytes += line.size() + 1;
        benchmark::DoNotOptimize(line.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(dmarc_report_to_json_line_monotonic);

/// The whole seam with the JSON-lines sink: build, serialise, one O_APPEND write(2) per record
/// (to a file in /tmp, page cache only).
void
dmarc_report_jsonl_sink_eom(benchmark::State& state)
{
    char path[] = "/tmp/authmilter-bench-dmarc-XXXXXX";
    int const fd = ::mkstemp(path);
    if(fd < 0)
        throw std::runtime_error("mkstemp failed");
    ::close(fd);
    {
        sk::dmarc_report_sink<sk::dmarc_report_jsonl_sink> const sink(
            sk::dmarc_report_jsonl_sink({.path = path}));
        auto& m = message();
        for(auto _ : state)
            sink.on_eom(m.txn);
        auto const& jsonl = sink.get<sk::dmarc_report_jsonl_sink>();
        if(jsonl.errors() != 0)
            state.SkipWithError("write errors");
        state.counters["lines"] = static_cast<double>(jsonl.written());
    }
    std::remove(path);
}
BENCHMARK(dmarc_report_jsonl_sink_eom);

} // namespace

BENCHMARK_MAIN();
