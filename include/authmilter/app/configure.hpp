// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_CONFIGURE_HPP
#define AUTHMILTER_APP_CONFIGURE_HPP

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/config/error.hpp>
#include <authmilter/handlers/dmarc.hpp>
#include <authmilter/sinks/authres_sink.hpp>
#include <authmilter/sinks/dmarc_report_jsonl_sink.hpp>

#include <system_error>

#include <boost/hana/for_each.hpp>

#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace authmilter::app {

/** Applies a daemon configuration to a pipeline: the `handlers` section (enable, disable,
    configure) and the `tempfail_on_error*` policy.

    @throws config::config_error naming `file` and the handler's JSON path.
*/
template<class Pipeline>
void
configure_pipeline(Pipeline& p, config::daemon_config const& c, std::string const& file)
{
    try {
        p.configure(c.handlers);
    } catch(std::invalid_argument const& e) {
        // e.what() reads "handlers.<Name>: <problem>".
        std::string const what = e.what();
        auto const colon = what.find(": ");
        throw config::config_error(file, "$." + what.substr(0, colon),
                                   colon == std::string::npos ? what : what.substr(colon + 2));
    }
    // Handlers that need global settings say so with a member; only those get them.
    boost::hana::for_each(Pipeline::handler_types, [&](auto t) {
        using H = typename decltype(t)::type;
        if constexpr(requires(H & h) { h.set_authserv_id(std::string()); })
            p.template get<H>().set_authserv_id(c.authserv_id);
    });
    p.set_error_policy({c.tempfail_on_error, c.tempfail_on_error_authenticated, c.tempfail_on_error_local,
                        c.tempfail_on_error_trusted});
}

/// The Authentication-Results sink settings from the global keys.
inline sinks::authres_sink::options
authres_options(config::daemon_config const& c)
{
    sinks::authres_sink::options o;
    o.authserv_id = c.authserv_id;
    auto const& s = c.header_indent_style;
    o.format.style = s == "none"       ? authres::fold_style::none
                     : s == "subentry" ? authres::fold_style::subentry
                     : s == "full"     ? authres::fold_style::full
                                       : authres::fold_style::entry;
    o.format.indent_by = static_cast<std::size_t>(c.header_indent_by);
    if(c.header_fold_at > 0)
        o.format.fold_at = static_cast<std::size_t>(c.header_fold_at);
    return o;
}

/** The JSON-lines DMARC report sink the DMARC handler's `report_jsonl_file` asks for; inactive
    when the chain has no DMARC handler, it is disabled or the key is empty. Write errors go to
    `on_error`, else to stderr (the `error_log` file once daemonized).

    @throws config::config_error naming `file` and the key when the file cannot be opened.
*/
template<class Pipeline>
sinks::dmarc_report_jsonl_sink
dmarc_jsonl_sink(Pipeline const& p, std::string const& file, std::function<void(std::string_view)> on_error)
{
    if constexpr(Pipeline::template index_of<handlers::dmarc_handler>() == Pipeline::npos) {
        return {};
    } else {
        auto const& h = p.template get<handlers::dmarc_handler>();
        if(!p.template enabled<handlers::dmarc_handler>() || h.report_jsonl_file.empty())
            return {};
        sinks::dmarc_report_jsonl_sink::options o;
        o.path = h.report_jsonl_file;
        o.all_records = h.report_jsonl_all;
        o.on_error = on_error ? std::move(on_error) : [](std::string_view line) {
            std::cerr << "authentication_milter: " << line << std::endl;
        };
        try {
            return sinks::dmarc_report_jsonl_sink(std::move(o));
        } catch(std::system_error const& e) {
            throw config::config_error(file, "$.handlers.DMARC.report_jsonl_file", e.what());
        }
    }
}

} // namespace authmilter::app

#endif
