// Helpers shared by the handler tests: run a chain over one message with an in-memory zone.
#ifndef AUTHMILTER_TEST_HANDLERS_HARNESS_HPP
#define AUTHMILTER_TEST_HANDLERS_HARNESS_HPP

#include <authmilter/authres/result.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/pipeline/run.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace test_harness {

template<class Chain> struct session {
    using txn_type =
        authmilter::pipeline::transaction<Chain, authmilter::dns::zone_resolver, authmilter::authres::result>;

    // Declared first, destroyed last: handler states (pipeline::deferred slots hold timers)
    // must not outlive the context their I/O objects belong to, as in a real front-end.
    boost::asio::io_context io;
    Chain chain;
    authmilter::dns::zone_resolver zone;
    txn_type txn{chain, zone};

    template<class F> void run(F f)
    {
        io.restart();
        std::exception_ptr error;
        boost::asio::co_spawn(io, f(), [&](std::exception_ptr e) { error = e; });
        io.run();
        if(error)
            std::rethrow_exception(error);
    }

    void connect(std::string ip, std::string helo = "mail.example.org")
    {
        authmilter::core::connection_info conn;
        conn.client_ip = authmilter::core::ip_address::parse(ip);
        conn.client_name = "[" + ip + "]";
        conn.helo = std::move(helo);
        run([&]() -> boost::asio::awaitable<void> {
            co_await authmilter::pipeline::run_connection(chain, txn, conn);
        });
    }

    void message(std::string const& text, std::string mail_from = "sender@example.org",
                 std::vector<std::string> rcpts = {"rcpt@example.net"})
    {
        authmilter::pipeline::message_input in;
        authmilter::pipeline::split_message(text, in.headers, in.body);
        in.envelope.mail_from = std::move(mail_from);
        in.envelope.rcpt_to = std::move(rcpts);
        run([&]() -> boost::asio::awaitable<void> {
            co_await authmilter::pipeline::run_message(chain, txn, in);
        });
    }

    /// Method=value of every recorded result, connection ones first.
    std::vector<std::string> summary() const
    {
        std::vector<std::string> out;
        for(auto const* list : {&txn.connection_results(), &txn.results()})
            for(auto const& r : *list)
                out.push_back(r.method + "=" + r.value);
        return out;
    }

    authmilter::authres::result const* find(std::string_view method) const
    {
        for(auto const* list : {&txn.connection_results(), &txn.results()})
            for(auto const& r : *list)
                if(r.method == method)
                    return &r;
        return nullptr;
    }
};

} // namespace test_harness

#endif
