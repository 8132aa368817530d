// A milter::server running in the test process with a handler whose verdict is chosen by the
// recipient's local part, so that integration tests (Postfix, miltertest) can ask for every
// verdict: reject@ (550 5.7.1 with our text), multiline@ (a two-line 550), tempfail@ (451 4.7.1),
// discard@, quarantine@; anyone else is accepted. Every message gets an Authentication-Results
// field in the name of `verdict_authserv_id` (also on rejected ones: the MTA drops it then).
#ifndef AUTHMILTER_TEST_INTEGRATION_SUPPORT_MILTER_VERDICT_SERVER_HPP
#define AUTHMILTER_TEST_INTEGRATION_SUPPORT_MILTER_VERDICT_SERVER_HPP

#include <authmilter/milter/server.hpp>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace authmilter::test {

inline std::string const verdict_authserv_id = "verdict.authmilter.test";
inline std::string const verdict_reject_text = "Rejected by the authmilter verdict test";
inline std::string const verdict_tempfail_text = "Deferred by the authmilter verdict test";
inline std::string const verdict_quarantine_reason = "Held by the authmilter verdict test";

/// What the handlers of all connections saw, for assertions.
struct verdict_counters {
    std::atomic<int> connections{0};
    std::atomic<int> messages{0};
    std::atomic<int> closes{0};
    std::atomic<int> headers{0};
    std::atomic<std::size_t> body_bytes{0};
};

/// The handler: recipients collected at RCPT, the verdict at end of message.
struct verdict_handler {
    verdict_counters* counters;
    std::string recipients;
    std::string helo;

    void on_connect(milter::session_state const&, milter::events::connect const&) { ++counters->connections; }
    void on_helo(milter::session_state const&, std::string_view name) { helo = name; }
    void on_envfrom(milter::session_state const&, milter::events::mail const&) { recipients.clear(); }
    void on_envrcpt(milter::session_state const&, milter::events::rcpt const& r)
    {
        recipients.append(r.address()).append(" ");
    }
    // Header, end-of-header and body callbacks keep those stages on (reply-less), as a real
    // handler's would; miltertest refuses to send a stage the milter switched off.
    void on_eoh(milter::session_state const&) {}
    void on_header(milter::session_state const&, std::string_view, std::string_view) { ++counters->headers; }
    void on_body(milter::session_state const&, std::string_view chunk)
    {
        counters->body_bytes += chunk.size();
    }
    milter::eom_result on_eom(milter::session_state const& ctx)
    {
        ++counters->messages;
        milter::eom_result r;
        std::string value = verdict_authserv_id + "; x-verdict=pass";
        if(auto q = ctx.macros().queue_id(); !q.empty())
            value += " (queue id " + std::string(q) + ")";
        if(!helo.empty())
            value += " smtp.helo=" + helo;
        r.edits.push_back(milter::header_edit::prepend("Authentication-Results", value));
        auto has = [&](char const* local) {
            return recipients.find(std::string("<") + local + "@") != std::string::npos;
        };
        if(has("reject"))
            r.verdict = milter::decision::reject(550, "5.7.1", verdict_reject_text);
        else if(has("multiline"))
            r.verdict =
                milter::decision::reject(550, "5.7.1", "First line of the refusal\nSecond line, 100% ours");
        else if(has("tempfail"))
            r.verdict = milter::decision::tempfail(451, "4.7.1", verdict_tempfail_text);
        else if(has("discard"))
            r.verdict = milter::decision::discard();
        else if(has("quarantine"))
            r.quarantine_reason = verdict_quarantine_reason;
        return r;
    }
    void on_close(milter::session_state const&) { ++counters->closes; }
};

struct verdict_factory {
    verdict_counters* counters;
    verdict_handler operator()() const { return verdict_handler{counters, {}, {}}; }
};

/// The server on 127.0.0.1 (a free port) or a unix socket, run on its own thread until destroyed.
class verdict_server {
public:
    explicit verdict_server(std::string const& where = "inet:0@127.0.0.1", milter::server_options opts = {})
        : server_(ioc_.get_executor(), verdict_factory{&counters_}, opts)
    {
        auto const addr = milter::listen_address::parse(where);
        if(!addr)
            throw std::runtime_error("bad listen address " + where);
        if(auto ec = server_.listen(*addr))
            throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
        thread_ = std::thread([this] { ioc_.run(); });
    }
    verdict_server(verdict_server const&) = delete;
    verdict_server& operator=(verdict_server const&) = delete;
    ~verdict_server()
    {
        server_.stop();
        // Let the connections end (handlers see on_close), then stop the loop.
        for(int i = 0; i < 200 && server_.active_connections() != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ioc_.stop();
        thread_.join();
    }

    /// The TCP port (when listening on inet).
    unsigned short port() const { return server_.tcp_endpoints().at(0).port(); }
    verdict_counters const& counters() const noexcept { return counters_; }
    std::size_t active_connections() const noexcept { return server_.active_connections(); }

private:
    boost::asio::io_context ioc_;
    verdict_counters counters_;
    milter::server<verdict_factory> server_;
    std::thread thread_;
};

} // namespace authmilter::test

#endif
