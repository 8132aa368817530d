// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_CHECK_MODE_HPP
#define AUTHMILTER_APP_CHECK_MODE_HPP

#include <authmilter/app/command_line.hpp>
#include <authmilter/app/configure.hpp>
#include <authmilter/app/ip_map.hpp>
#include <authmilter/authres/result.hpp>
#include <authmilter/config/daemon_config.hpp>
#include <authmilter/pipeline/apply_edits.hpp>
#include <authmilter/pipeline/run.hpp>
#include <authmilter/pipeline/transaction.hpp>
#include <authmilter/sinks/authres_sink.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

namespace authmilter::app {

/// Exit statuses of `--check` (and of the daemon for usage and configuration errors).
enum check_status : int {
    check_accept = 0,
    check_reject = 1,
    check_tempfail = 2,
    check_quarantine = 3,
    check_discard = 4,
    exit_usage = 64,       ///< EX_USAGE: bad command line
    exit_data_error = 65,  ///< EX_DATAERR: unreadable message or zone file
    exit_config_error = 78 ///< EX_CONFIG: the configuration was refused
};

/** Runs the configured pipeline on one message without any MTA: the envelope and macros come
    from the command line, DNS from `resolver` (a zone file's, or the real one), and the message
    is printed as it would be delivered (added headers first). A reject or tempfail prints the
    SMTP reply instead. Returns a check_status.
*/
template<class Pipeline, class Resolver>
int
run_check(Pipeline const& p, Resolver& resolver, config::daemon_config const& cfg,
          command_line::check_options const& opts, std::ostream& out, std::ostream& err)
{
    std::ifstream in(opts.file, std::ios::binary);
    if(!in) {
        err << "authentication_milter: cannot read " << opts.file << "\n";
        return exit_data_error;
    }
    std::ostringstream text;
    text << in.rdbuf();

    pipeline::message_input msg;
    pipeline::split_message(text.str(), msg.headers, msg.body);
    msg.connection.client_ip = core::ip_address::parse(opts.ip);
    if(!msg.connection.client_ip) {
        err << "authentication_milter: --ip: not an IP address: " << opts.ip << "\n";
        return exit_usage;
    }
    msg.connection.client_name = "[" + msg.connection.client_ip->to_string() + "]";
    msg.connection.helo = opts.helo;
    auto const* matched = remap_connect(cfg.ip_map, msg.connection);
    remap_helo(matched, opts.helo, msg.connection);
    // Accept `<a@b>` or `a@b` as an MTA would pass it.
    auto strip = [](std::string s) {
        if(s.size() >= 2 && s.front() == '<' && s.back() == '>')
            s = s.substr(1, s.size() - 2);
        return s;
    };
    msg.envelope.mail_from = strip(opts.from);
    for(auto const& r : opts.rcpts)
        msg.envelope.rcpt_to.push_back(strip(r));

    using txn_type = pipeline::transaction<Pipeline, Resolver, authres::result>;
    txn_type txn(p, resolver);
    for(auto const& [name, value] : opts.macros)
        txn.set_macro(name, value);
    sinks::authres_sink const sink(authres_options(cfg));

    boost::asio::io_context io;
    std::exception_ptr failure;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            co_await pipeline::run_connection(p, txn, msg.connection);
            if(!txn.verdict().is_final())
                co_await pipeline::run_message(p, txn, msg);
        },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if(failure) {
        try {
            std::rethrow_exception(failure);
        } catch(std::exception const& e) {
            err << "authentication_milter: " << e.what() << "\n";
        }
        return check_tempfail;
    }
    for(auto const& e : txn.handler_errors())
        err << "authentication_milter: handler error: " << e << "\n";

    auto const& v = txn.verdict();
    using action = pipeline::verdict::action;
    if(v.what == action::reject || v.what == action::tempfail) {
        bool const reject = v.what == action::reject;
        out << (v.smtp_code != 0 ? v.smtp_code : (reject ? 550 : 451)) << " "
            << (v.extended_code.empty() ? (reject ? "5.7.0" : "4.7.0") : v.extended_code) << " "
            << (v.text.empty() ? (reject ? "Message rejected" : "Message deferred") : v.text) << "\n";
        return reject ? check_reject : check_tempfail;
    }
    if(v.what == action::discard) {
        out << "discarded\n";
        return check_discard;
    }
    if(!cfg.dryrun) {
        sink.on_eom(txn);
        pipeline::apply_edits(msg.headers, txn.edits());
    }
    out << pipeline::serialize_headers(msg.headers) << "\r\n" << msg.body;
    return v.what == action::quarantine ? check_quarantine : check_accept;
}

} // namespace authmilter::app

#endif
