// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_MILTER_DAEMON_HPP
#define AUTHMILTER_APP_MILTER_DAEMON_HPP

#include <authmilter/app/check_mode.hpp>
#include <authmilter/app/command_line.hpp>
#include <authmilter/app/configure.hpp>
#include <authmilter/app/ip_map.hpp>
#include <authmilter/app/logger.hpp>
#include <authmilter/app/pidfile.hpp>
#include <authmilter/app/process.hpp>
#include <authmilter/config/load.hpp>
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/cares_resolver.hpp>
#include <authmilter/milter/pipeline_server.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/sinks/dmarc_report_jsonl_sink.hpp>
#include <authmilter/sinks/dmarc_report_sink.hpp>
#include <authmilter/smtp/server.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace authmilter::app {

/// The sinks the daemon writes to at end of message: the A-R header, the DMARC report records.
using daemon_sinks =
    sinks::sink_set<sinks::authres_sink, sinks::dmarc_report_sink<sinks::dmarc_report_jsonl_sink>>;

/** Builds one configuration generation of the daemon: the chain configured from the file,
    the sinks, the milter driver settings (dryrun, quarantine, ip_map). `report_error` is told
    about the DMARC report file's write errors (stderr when empty).

    @throws config::config_error naming the file and JSON path.
*/
template<class Chain>
std::shared_ptr<milter::generation<Chain, daemon_sinks> const>
make_generation(config::loaded_config const& loaded, std::function<void(std::string_view)> report_error = {})
{
    auto gen = std::make_shared<milter::generation<Chain, daemon_sinks>>();
    auto const file = loaded.files.empty() ? std::string("<embedded default>") : loaded.files.front();
    try {
        configure_pipeline(gen->pipeline, loaded.config, file);
    } catch(config::config_error const& e) {
        throw config::locate_handler_error(e, loaded); // name the .d file the section came from
    }
    gen->sinks = daemon_sinks(sinks::authres_sink(authres_options(loaded.config)),
                              sinks::dmarc_report_sink<sinks::dmarc_report_jsonl_sink>(
                                  dmarc_jsonl_sink(gen->pipeline, file, report_error)));
    gen->driver.dryrun = loaded.config.dryrun;
    gen->driver.milter_quarantine = loaded.config.milter_quarantine;
    if(!loaded.config.ip_map.empty()) {
        // At HELO the entry matched at connect is found again by the address the client really
        // came from (kept in raw_client_ip); the map is small and HELO comes once.
        auto map = std::make_shared<std::vector<config::ip_map_entry>>(loaded.config.ip_map);
        gen->driver.remap_connect = [map](core::connection_info& c) { remap_connect(*map, c); };
        gen->driver.remap_helo = [map](std::string const& helo, core::connection_info& c) {
            remap_helo_again(*map, helo, c);
        };
    }
    return gen;
}

/// `--control start|restart|stop|status`: acts on a running daemon through its pidfile.
/// Returns an exit status, or -1 when the caller should go on and start a daemon.
inline int
control_daemon(command_line const& cl)
{
    auto const running = running_daemon(cl.pidfile, cl.ident);
    if(cl.control == "status") {
        if(running) {
            std::cout << cl.ident << " is running (pid " << *running << ")\n";
            return 0;
        }
        std::cout << cl.ident << " is not running\n";
        return 3; // as LSB init scripts report "not running"
    }
    if(cl.control == "stop" || (cl.control == "restart" && running)) {
        if(!running) {
            // A pidfile naming a process that is gone (or not ours) is stale: remove it.
            if(read_pidfile(cl.pidfile))
                ::unlink(cl.pidfile.c_str());
            std::cout << cl.ident << " is not running\n";
            return 0;
        }
        // SIGTERM drains (connections in flight get up to 30 s); wait a little longer.
        ::kill(*running, SIGTERM);
        auto gone = [&] { return !running_daemon(cl.pidfile, cl.ident) || ::kill(*running, 0) != 0; };
        for(int i = 0; i < 350 && !gone(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if(!gone()) {
            std::cerr << cl.ident << " (pid " << *running << ") did not stop within 35 s\n";
            return 1;
        }
        std::cout << cl.ident << " stopped\n";
        if(cl.control == "stop")
            return 0;
        return -1; // restart: a fresh daemon (new listeners, new process)
    }
    // start: a running daemon reloads its configuration (as the Perl tool's HUP).
    if(running) {
        ::kill(*running, SIGHUP);
        std::cout << cl.ident << " (pid " << *running << ") is reloading its configuration\n";
        return 0;
    }
    return -1;
}

/** Runs the daemon (milter, or SMTP after-queue filter with `"protocol": "smtp"`) until
   SIGTERM/SIGINT/SIGQUIT: binds the listeners, drops privileges, reloads the configuration on SIGHUP (a bad
   new file leaves the old one running, and says why), and on stop lets the connections in flight finish (up
   to 30 s).
*/
template<class Chain>
int
run_daemon(command_line const& cl, logger& log)
{
    using generation_type = milter::generation<Chain, daemon_sinks>;
    config::loaded_config loaded;
    std::shared_ptr<generation_type const> gen;
    // The DMARC report file's write errors go to the log (called once messages flow).
    auto const report_error = [&log](std::string_view line) { log.error(line); };
    try {
        loaded = config::load_configuration(cl.prefix);
        gen = make_generation<Chain>(loaded, report_error);
    } catch(config::config_error const& e) {
        std::cerr << "authentication_milter: configuration refused: " << e.what() << "\n";
        return exit_config_error;
    }
    for(auto const& w : loaded.warnings)
        std::cerr << "authentication_milter: warning: " << w << "\n";
    auto const& cfg = loaded.config;
    // In daemon mode the process that started us exits with the status given here (0 once we
    // listen), so an init script sees a failure to bind.
    int ready = -1;
    if(cl.daemon)
        ready = daemonize(cfg.error_log);
    auto fail = [&ready](int status) {
        report_ready(ready, static_cast<unsigned char>(status));
        return status;
    };
    log.open(cl.ident, cl.daemon, cfg.logtoerr || !cl.daemon, cfg.debug);

    boost::asio::io_context io;
    dns::cares_options copts;
    copts.servers = cfg.dns_resolvers;
    copts.timeout = cfg.dns_timeout;
    copts.retry = static_cast<unsigned>(cfg.dns_retry);
    std::unique_ptr<dns::cares_resolver> cares;
    try {
        cares = std::make_unique<dns::cares_resolver>(io.get_executor(), copts);
    } catch(std::exception const& e) {
        log.error(std::string("cannot start the DNS resolver: ") + e.what());
        return fail(exit_config_error);
    }
    dns::caching_resolver<dns::cares_resolver&> resolver(*cares);

    milter::server_options sopts;
    auto ms = [](std::chrono::seconds s, std::chrono::seconds fallback) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(s.count() > 0 ? s : fallback);
    };
    sopts.connect_timeout = ms(cfg.connect_timeout, std::chrono::seconds(30));
    sopts.command_timeout = ms(cfg.command_timeout, std::chrono::seconds(30));
    sopts.content_timeout = ms(cfg.content_timeout, std::chrono::seconds(300));
    sopts.listen_backlog = static_cast<int>(cfg.listen_backlog);
    using resolver_type = dns::caching_resolver<dns::cares_resolver&>;
    using server_type = milter::pipeline_server<Chain, resolver_type, daemon_sinks>;
    using smtp_server_type = smtp::server<Chain, resolver_type, daemon_sinks>;
    bool const smtp_mode = cfg.protocol == "smtp";
    std::unique_ptr<server_type> milter_server;
    std::unique_ptr<smtp_server_type> smtp_server;
    // SMTP mode: a generation's pipeline and sinks are aliasing pointers into it.
    auto smtp_options = [&log, &ms](config::daemon_config const& c) {
        smtp::server_options o;
        o.smtp = c.smtp;
        o.ip_map = c.ip_map;
        o.listen_backlog = static_cast<int>(c.listen_backlog);
        o.content_timeout = ms(c.content_timeout, std::chrono::seconds(300));
        o.log = [&log](std::string_view line) { log.info(std::string(line)); };
        return o;
    };
    if(smtp_mode) {
        smtp_server = std::make_unique<smtp_server_type>(
            io.get_executor(), std::shared_ptr<Chain const>(gen, &gen->pipeline), resolver,
            std::shared_ptr<daemon_sinks const>(gen, &gen->sinks), smtp_options(cfg));
    } else {
        milter_server = std::make_unique<server_type>(io.get_executor(), gen, resolver, sopts);
    }
    auto active = [&]() -> std::size_t {
        return smtp_mode ? smtp_server->active_connections() : milter_server->active_connections();
    };
    for(auto const& l : cfg.listeners) {
        auto const old_umask =
            l.umask.empty() ? -1 : static_cast<int>(::umask(static_cast<mode_t>(parse_umask(l.umask))));
        auto const ec = smtp_mode ? smtp_server->listen(l.address) : milter_server->listen(l.address);
        if(old_umask >= 0)
            ::umask(static_cast<mode_t>(old_umask));
        if(ec) {
            log.error("cannot listen on " + l.address.to_string() + ": " + ec.message());
            return fail(69); // EX_UNAVAILABLE
        }
        log.info("listening on " + l.address.to_string() + (smtp_mode ? " (smtp)" : " (milter)"));
    }
    bool const use_pidfile = cl.daemon || cl.pidfile != command_line{}.pidfile;
    if(use_pidfile) {
        if(auto ec = write_pidfile(cl.pidfile, ::getpid()))
            log.warning("cannot write pidfile " + cl.pidfile + ": " + ec.message());
    }
    try {
        drop_privileges(cfg.runas, cfg.rungroup, cfg.chroot);
    } catch(std::exception const& e) {
        log.error(e.what());
        if(use_pidfile)
            ::unlink(cl.pidfile.c_str());
        return fail(exit_config_error);
    }
    report_ready(ready);

    boost::asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
    signals.add(SIGQUIT);
    std::function<void()> wait_signal;
    // Stop: no new connections; those in flight get 30 s to finish, then the MTA's
    // milter_default_action applies to what is left. The loop ends when the last one is gone.
    boost::asio::steady_timer drain(io);
    std::function<void(int)> drain_step = [&](int left) {
        if(active() == 0 || left <= 0) {
            io.stop();
            return;
        }
        drain.expires_after(std::chrono::milliseconds(100));
        drain.async_wait([&, left](boost::system::error_code) { drain_step(left - 1); });
    };
    wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if(ec)
                return;
            if(sig == SIGHUP) {
                try {
                    auto fresh = config::reload_configuration(cl.prefix, loaded);
                    auto next = make_generation<Chain>(fresh, report_error); // validates it in both modes
                    if(smtp_mode)
                        smtp_server->reload(std::shared_ptr<Chain const>(next, &next->pipeline),
                                            std::shared_ptr<daemon_sinks const>(next, &next->sinks),
                                            smtp_options(fresh.config));
                    else
                        milter_server->reload(std::move(next));
                    log.set_debug(fresh.config.debug);
                    log.info("configuration reloaded");
                } catch(std::exception const& e) {
                    log.error(std::string("reload refused, the previous configuration stays: ") + e.what());
                }
                wait_signal();
                return;
            }
            log.info("stopping: waiting for " + std::to_string(active()) + " connection(s)");
            if(smtp_mode)
                smtp_server->stop(std::chrono::seconds(30));
            else
                milter_server->stop(std::chrono::seconds(30));
            drain_step(310);
        });
    };
    wait_signal();

    // The SMTP server runs its connections without strands: one thread.
    unsigned threads = smtp_mode ? 1u : std::max(1u, std::thread::hardware_concurrency());
    if(cfg.max_children > 0)
        threads = std::min<unsigned>(threads, static_cast<unsigned>(cfg.max_children));
    std::vector<std::thread> pool;
    for(unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&io] { io.run(); });
    io.run();
    for(auto& t : pool)
        t.join();
    // Remove the pidfile only while it still names us (another instance may have taken it over).
    if(use_pidfile && read_pidfile(cl.pidfile) == ::getpid())
        ::unlink(cl.pidfile.c_str());
    log.info("stopped");
    return 0;
}

} // namespace authmilter::app

#endif
