// A Knot DNS server (knotd) for integration tests: authoritative for the zones given, on
// 127.0.0.1 with a free port, in its own temporary directory; stopped by the destructor.
#ifndef AUTHMILTER_TEST_INTEGRATION_SUPPORT_KNOT_HPP
#define AUTHMILTER_TEST_INTEGRATION_SUPPORT_KNOT_HPP

#include <authmilter/dns/cares_resolver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace authmilter::test {

/// One zone served by knot_server: its origin (no trailing dot) and its text in zone-file syntax.
struct dns_zone {
    std::string origin;
    std::string text;
};

/** knotd serving `zones`. The constructor returns once the server answers for the first zone's
    NS (bounded: 20 s), and throws with a clear message when knotd is missing or fails.
*/
class knot_server {
public:
    explicit knot_server(std::vector<dns_zone> zones)
        : dir_("authmilter-knot-")
        , zones_(std::move(zones))
    {
        if(zones_.empty())
            throw std::invalid_argument("knot_server: no zone");
        auto const knotd = find_program({"/usr/sbin/knotd", "/usr/local/sbin/knotd", "/usr/bin/knotd"});
        if(knotd.empty())
            throw std::runtime_error(
                "knotd not found: install Debian package 'knot' (scripts/install-deps.sh)");
        port_ = free_port();
        std::string conf = "server:\n    rundir: \"" + dir_.path().string() + "\"\n    listen: 127.0.0.1@" +
                           std::to_string(port_) +
                           "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                           "database:\n    storage: \"" +
                           dir_.path().string() +
                           "\"\nlog:\n  - target: stderr\n    any: warning\n"
                           "template:\n  - id: default\n    storage: \"" +
                           dir_.path().string() + "\"\nzone:\n";
        for(std::size_t i = 0; i < zones_.size(); ++i) {
            auto const file = "zone" + std::to_string(i) + ".zone";
            write_file(dir_ / file, zones_[i].text);
            conf += "  - domain: " + zones_[i].origin + "\n    file: " + file + "\n";
        }
        write_file(dir_ / "knot.conf", conf);
        process_ = std::make_unique<child_process>(
            std::vector<std::string>{knotd, "-c", (dir_ / "knot.conf").string()}, dir_ / "knotd.log");
        wait_until_answering();
    }

    /// The server's port on 127.0.0.1.
    unsigned short port() const noexcept { return port_; }

    /// `127.0.0.1:<port>`, as `dns_resolvers` and cares_options::servers spell it.
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    /// What knotd wrote to stdout/stderr (for failure messages).
    std::string log() const { return read_file(dir_ / "knotd.log"); }

    /// knotd's process id (-1 once stopped).
    pid_t pid() const noexcept { return process_ ? process_->pid() : -1; }

    /// True while knotd runs.
    bool running() { return process_ && process_->running(); }

    /// Stops knotd now (the destructor does it too).
    void stop() { process_.reset(); }

    ~knot_server() { process_.reset(); } // before the directory goes

private:
    void wait_until_answering()
    {
        boost::asio::io_context io;
        dns::cares_options o;
        o.servers = {address()};
        o.timeout = std::chrono::milliseconds(200);
        o.retry = 0;
        dns::cares_resolver r(io.get_executor(), o);
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while(std::chrono::steady_clock::now() < until) {
            if(!process_->running())
                throw std::runtime_error("knotd exited during start-up: " + log());
            auto f = boost::asio::co_spawn(io, r.query(zones_.front().origin, dns::rr_type::ns),
                                           boost::asio::use_future);
            io.restart();
            io.run();
            if(f.get().ok())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("knotd did not answer within 20 s: " + log());
    }

    temp_dir dir_;
    std::vector<dns_zone> zones_;
    unsigned short port_ = 0;
    std::unique_ptr<child_process> process_;
};

} // namespace authmilter::test

#endif
