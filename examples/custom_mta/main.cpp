// custom_mta: how a C++ mail server embeds authmilter's pipeline.
//
// It defines two handlers of its own, chains them, feeds one message read from a file through
// every SMTP stage with an envelope given on the command line, and prints the header edits and
// the verdict the MTA would apply.
//
//   custom_mta [--ip ADDR] [--helo NAME] [--from ADDR] [--rcpt ADDR]... message.eml
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/pipeline/pipeline.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace pl = authmilter::pipeline;

namespace {

// Counts header fields and body octets, and records them as an Authentication-Results-like entry.
struct size_handler {
    static constexpr std::string_view name = "Size";
    struct state {
        std::size_t headers = 0;
        std::size_t body_octets = 0;
    };
    std::size_t max_octets = 10 * 1024 * 1024;

    void on_header(auto& ctx, pl::events::header const&) { ++ctx.state().headers; }
    void on_body(auto& ctx, pl::events::body const& ev) { ctx.state().body_octets += ev.chunk.size(); }
    void on_eom(auto& ctx, pl::events::eom const&)
    {
        auto const& s = ctx.state();
        if(s.body_octets > max_octets)
            ctx.set_verdict(pl::verdict::reject(552, "5.3.4", "Message too big"));
        ctx.add_result("x-size=pass header.count=" + std::to_string(s.headers) +
                       " body.octets=" + std::to_string(s.body_octets));
    }
};

// Compares the From header's domain with the MAIL FROM domain; reads Size's result.
struct aligned_from_handler {
    static constexpr std::string_view name = "AlignedFrom";
    using after = pl::after_list<size_handler>;
    struct state {
        std::string from_domain;
    };

    void on_header(auto& ctx, pl::events::header const& ev)
    {
        if(!ev.field.is("From"))
            return;
        auto const value = ev.field.unfolded();
        auto const at = value.rfind('@');
        if(at == std::string::npos)
            return;
        auto end = value.find_first_of("> \t", at);
        ctx.state().from_domain = value.substr(at + 1, end == std::string::npos ? end : end - at - 1);
    }
    void on_eom(auto& ctx, pl::events::eom const&)
    {
        auto const& mail_from = ctx.txn().envelope().mail_from;
        auto const at = mail_from.rfind('@');
        std::string const envelope_domain = at == std::string::npos ? "" : mail_from.substr(at + 1);
        auto const& from = ctx.state().from_domain;
        char const* result = from.empty() ? "none" : (from == envelope_domain ? "pass" : "fail");
        ctx.add_result(std::string("x-aligned-from=") + result + " header.from=" + from +
                       " smtp.mailfrom=" + mail_from + " (" +
                       std::to_string(ctx.template result_of<size_handler>().headers) + " headers)");
    }
};

using chain = pl::pipeline<size_handler, aligned_from_handler>;
using transaction = pl::transaction<chain, authmilter::dns::zone_resolver, std::string>;

struct message {
    std::vector<authmilter::core::header_field> headers;
    std::string body;
};

// Splits a message file into header fields (folded lines joined) and the body, with CRLF line ends.
message
read_message(std::istream& in)
{
    message m;
    std::string line;
    bool in_body = false;
    while(std::getline(in, line)) {
        if(!line.empty() && line.back() == '\r')
            line.pop_back();
        if(in_body) {
            m.body += line + "\r\n";
        } else if(line.empty()) {
            in_body = true;
        } else if((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
            m.headers.back().raw_value += "\r\n" + line;
        } else if(auto const colon = line.find(':'); colon != std::string::npos) {
            m.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
        }
    }
    return m;
}

boost::asio::awaitable<void>
deliver(chain const& p, transaction& txn, message const& msg, authmilter::core::envelope const& envelope)
{
    auto const& conn = txn.connection();
    co_await p.dispatch(txn, pl::events::connect{conn.client_name, conn.client_ip, 25});
    co_await p.dispatch(txn, pl::events::helo{conn.helo});
    txn.begin_message();
    txn.envelope() = envelope;
    auto const& env = txn.envelope();
    co_await p.dispatch(txn, pl::events::envfrom{env.mail_from, {}});
    for(auto const& rcpt : env.rcpt_to)
        co_await p.dispatch(txn, pl::events::envrcpt{rcpt, {}});
    for(auto const& h : msg.headers) {
        txn.headers().push_back(h);
        p.dispatch_sync(txn, pl::events::header{txn.headers().back()});
    }
    co_await p.dispatch(txn, pl::events::eoh{});
    // Feed the body in 64 KiB chunks, as the milter protocol would.
    std::string_view body = msg.body;
    while(!body.empty()) {
        auto const n = std::min<std::size_t>(body.size(), 65535);
        p.dispatch_sync(txn, pl::events::body{body.substr(0, n)});
        body.remove_prefix(n);
    }
    co_await p.dispatch(txn, pl::events::eom{});
}

int
usage()
{
    std::cerr << "usage: custom_mta [--ip ADDR] [--helo NAME] [--from ADDR] [--rcpt ADDR]... message.eml\n";
    return 2;
}

} // namespace

int
main(int argc, char** argv)
{
    std::string ip = "192.0.2.10";
    std::string helo = "mail.example.org";
    std::string mail_from = "alice@example.org";
    std::vector<std::string> rcpts;
    std::string file;
    for(int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if(arg == "--ip")
            ip = value();
        else if(arg == "--helo")
            helo = value();
        else if(arg == "--from")
            mail_from = value();
        else if(arg == "--rcpt")
            rcpts.push_back(value());
        else if(arg.starts_with("--") || !file.empty())
            return usage();
        else
            file = arg;
    }
    if(file.empty())
        return usage();
    std::ifstream in(file, std::ios::binary);
    if(!in) {
        std::cerr << "custom_mta: cannot open " << file << "\n";
        return 1;
    }
    auto const msg = read_message(in);
    if(rcpts.empty())
        rcpts.push_back("bob@example.net");

    chain p;
    authmilter::dns::zone_resolver resolver;
    transaction txn(p, resolver);
    txn.connection().client_ip = authmilter::core::ip_address::parse(ip);
    txn.connection().client_name = "[" + ip + "]";
    txn.connection().helo = helo;

    // A named object, not a braced temporary in the co_await: g++ 12 destroys such temporaries
    // twice inside coroutines.
    authmilter::core::envelope const envelope{mail_from, {}, rcpts};
    boost::asio::io_context io;
    std::exception_ptr failure;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { co_await deliver(p, txn, msg, envelope); },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if(failure)
        std::rethrow_exception(failure);

    std::cout << "verdict: " << pl::to_string(txn.verdict().what) << "\n";
    std::cout << "Authentication-Results: mx.example.net";
    for(auto const& r : txn.results())
        std::cout << ";\n    " << r;
    std::cout << "\n";
    for(auto const& e : txn.edits())
        std::cout << "edit: " << pl::to_string(e.what) << " " << e.name << "\n";
    return txn.verdict().what == pl::verdict::action::reject ? 1 : 0;
}
