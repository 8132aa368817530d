// Microbenchmarks: the milter codec decoding a Postfix-like stream; the pipeline's header stage.
#include <authmilter/authres/result.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/auth.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/iprev.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/handlers/trusted_ip.hpp>
#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/detail/wire.hpp>
#include <authmilter/pipeline/pipeline.hpp>

#include <benchmark/benchmark.h>

#include "bench_util.hpp"

namespace {

namespace milter = authmilter::milter;
namespace pl = authmilter::pipeline;
namespace h = authmilter::handlers;
using namespace std::string_literals;

void
frame(std::string& out, char cmd, std::string_view payload)
{
    auto const at = milter::detail::begin_frame(out, cmd);
    out += payload;
    milter::detail::end_frame(out, at);
}

/// One message as Postfix sends it: macros, connect, helo, mail, rcpt, data, 12 header fields
/// one by one, eoh, a 4 KB body, eom, quit.
std::string
postfix_message_stream()
{
    std::string s;
    frame(s, 'D', "Cj\0mx.example.net\0{daemon_name}\0smtpd\0v\0Postfix 3.7.11\0"s);
    frame(s, 'C', "mail-0-7.out.bench.test\0"s + "4" + "\x30\x39"s + "198.18.0.7\0"s);
    frame(s, 'H', "mail-0-7.out.bench.test\0"s);
    frame(s, 'D',
          "Mi\0"
          "4QxyzAB12\0{mail_addr}\0bounce-17@d3.bench.test\0"s);
    frame(s, 'M', "<bounce-17@d3.bench.test>\0SIZE=4500\0BODY=8BITMIME\0"s);
    frame(s, 'D', "R{rcpt_addr}\0user9@example.net\0"s);
    frame(s, 'R', "<user9@example.net>\0"s);
    frame(s, 'T', "");
    char const* fields[][2] = {
        {"Received", " from mail-0-7.out.bench.test (mail-0-7.out.bench.test [198.18.0.7])\n\tby relay"},
        {"DKIM-Signature",
         " v=1; a=rsa-sha256; c=relaxed/relaxed; d=d3.bench.test; s=rsa2048;\n\tt=1796112000; "
         "h=from:to:subject:date:message-id;\n\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\t"
         "b=Xk3vQ9aBcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        {"From", " \"Alice\" <alice@d3.bench.test>"},
        {"To", " <user9@example.net>"},
        {"Subject", " Re: quarterly report for the team"},
        {"Date", " Tue, 1 Dec 2026 10:00:17 +0000"},
        {"Message-ID", " <1234567.17@d3.bench.test>"},
        {"MIME-Version", " 1.0"},
        {"Content-Type", " text/plain; charset=utf-8"},
        {"Content-Transfer-Encoding", " 7bit"},
        {"List-Unsubscribe", " <mailto:unsubscribe@d3.bench.test>"},
        {"X-Mailer", " bench-mailer 1.0"}};
    for(auto const& f : fields)
        frame(s, 'L', std::string(f[0]) + '\0' + f[1] + '\0');
    frame(s, 'N', "");
    std::string body;
    while(body.size() < 4096)
        body += "the quarterly report is attached, please review it before the meeting\r\n";
    frame(s, 'B', body);
    frame(s, 'D',
          "Ei\0"
          "4QxyzAB12\0"s);
    frame(s, 'E', "");
    frame(s, 'Q', "");
    return s;
}

void
codec_decode_message(benchmark::State& state)
{
    auto const stream = postfix_message_stream();
    std::size_t events = 0;
    for(auto _ : state) {
        milter::decoder d;
        boost::system::error_code ec;
        // As it arrives from a socket: in reads of at most 16 KiB.
        for(std::size_t off = 0; off < stream.size(); off += 16384) {
            std::string_view piece = std::string_view(stream).substr(off, 16384);
            while(auto ev = d.next(piece, ec)) {
                ++events;
                benchmark::DoNotOptimize(ev->index());
            }
            if(ec) {
                state.SkipWithError("decode error");
                return;
            }
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
    state.counters["events_per_msg"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(codec_decode_message);

using chain = pl::pipeline<h::auth_handler, h::local_ip_handler, h::trusted_ip_handler, h::iprev_handler,
                           h::spf_handler, h::dkim_handler>;

void
pipeline_header_stage(benchmark::State& state)
{
    // The 11 unsigned fields of a message through the header stage of the trust and check handlers
    // (no DKIM-Signature: that would start a key lookup, measured by dkim_verify).
    std::vector<authmilter::core::header_field> fields = {
        {"Received", " from mail-0-7.out.bench.test (mail-0-7.out.bench.test [198.18.0.7])\r\n\tby relay"},
        {"From", " \"Alice\" <alice@d3.bench.test>"},
        {"To", " <user9@example.net>"},
        {"Subject", " Re: quarterly report for the team"},
        {"Date", " Tue, 1 Dec 2026 10:00:17 +0000"},
        {"Message-ID", " <1234567.17@d3.bench.test>"},
        {"MIME-Version", " 1.0"},
        {"Content-Type", " text/plain; charset=utf-8"},
        {"Content-Transfer-Encoding", " 7bit"},
        {"List-Unsubscribe", " <mailto:unsubscribe@d3.bench.test>"},
        {"X-Mailer", " bench-mailer 1.0"}};
    chain p;
    authmilter::dns::zone_resolver zone;
    pl::transaction<chain, authmilter::dns::zone_resolver, authmilter::authres::result> txn(p, zone);
    boost::asio::io_context io;
    bench::run(io, [&]() -> boost::asio::awaitable<void> {
        for(auto _ : state) {
            txn.begin_message();
            for(auto const& f : fields)
                co_await p.dispatch(txn, pl::events::header{f});
        }
    });
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * fields.size()));
}
BENCHMARK(pipeline_header_stage);

} // namespace
