// authentication_milter: the drop-in daemon. Same command line and JSON configuration as the
// Perl tool (see doc/configuration.md), plus --version and --check.
#include <authmilter/app/check_mode.hpp>
#include <authmilter/app/command_line.hpp>
#include <authmilter/app/milter_daemon.hpp>
#include <authmilter/config/load.hpp>
#include <authmilter/dns/caching_resolver.hpp>
#include <authmilter/dns/cares_resolver.hpp>
#include <authmilter/dns/zone_text.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "chain.hpp"

namespace {

constexpr char const* version_text = "authentication_milter (authmilter) 0.1.0";

int
print_help(std::string const& topic, authmilter_daemon::chain const& chain)
{
    if(topic.empty()) {
        std::cout << authmilter::app::usage_text;
        return 0;
    }
    if(topic == "installed") {
        for(auto name : authmilter_daemon::chain::names())
            std::cout << name << "\n";
        return 0;
    }
    if(topic == "default_config") {
        std::cout << authmilter::config::embedded_default_config << "\n";
        return 0;
    }
    // A handler: its help text and default section, as the Perl tool prints its POD.
    bool found = false;
    boost::hana::for_each(authmilter_daemon::chain::handler_types, [&](auto t) {
        using H = typename decltype(t)::type;
        if(found || H::name != topic)
            return;
        found = true;
        if constexpr(requires { H::help; })
            std::cout << H::help << "\n\n";
        std::string_view section = "{}";
        if constexpr(requires { H::default_config; })
            section = H::default_config;
        std::cout << "Enabled by a \"" << H::name << "\" key in the handlers section; \"!" << H::name
                  << "\" disables it. Default section:\n\n    \"" << H::name << "\": " << section
                  << "\n\nSee doc/handlers.md for what it checks and writes.\n";
    });
    if(found)
        return 0;
    (void)chain;
    std::cerr << "authentication_milter: no handler called \"" << topic << "\" (try --help installed)\n";
    return authmilter::app::exit_usage;
}

std::string
read_text(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    if(!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int
check(authmilter::app::command_line const& cl)
{
    auto loaded = authmilter::config::load_configuration(cl.prefix);
    for(auto const& w : loaded.warnings)
        std::cerr << "authentication_milter: warning: " << w << "\n";
    authmilter_daemon::chain chain;
    try {
        authmilter::app::configure_pipeline(chain, loaded.config,
                                            loaded.files.empty() ? std::string("<embedded default>")
                                                                 : loaded.files.front());
    } catch(authmilter::config::config_error const& e) {
        throw authmilter::config::locate_handler_error(e, loaded);
    }
    auto const& opts = *cl.check;
    if(!opts.dns_zone.empty()) {
        authmilter::dns::zone_resolver zone;
        authmilter::dns::zone_error zerr;
        if(!authmilter::dns::load_zone_text(zone, read_text(opts.dns_zone), zerr)) {
            std::cerr << "authentication_milter: " << opts.dns_zone << ": line " << zerr.line << ": "
                      << zerr.message << "\n";
            return authmilter::app::exit_data_error;
        }
        return authmilter::app::run_check(chain, zone, loaded.config, opts, std::cout, std::cerr);
    }
    boost::asio::io_context io;
    authmilter::dns::cares_options copts;
    copts.servers = loaded.config.dns_resolvers;
    copts.timeout = loaded.config.dns_timeout;
    copts.retry = static_cast<unsigned>(loaded.config.dns_retry);
    authmilter::dns::cares_resolver cares(io.get_executor(), copts);
    return authmilter::app::run_check(chain, cares, loaded.config, opts, std::cout, std::cerr);
}

} // namespace

int
main(int argc, char** argv)
{
    auto const parsed = authmilter::app::parse_command_line(argc, argv);
    if(!parsed.ok()) {
        std::cerr << "authentication_milter: " << parsed.error << "\n";
        return authmilter::app::exit_usage;
    }
    auto cl = parsed.options;
    try {
        // A daemon works in / (and a reload re-reads the prefix): make the paths absolute now.
        cl.prefix = std::filesystem::absolute(cl.prefix).lexically_normal().string();
        cl.pidfile = std::filesystem::absolute(cl.pidfile).lexically_normal().string();
        if(cl.version) {
            std::cout << version_text << "\n";
            return 0;
        }
        if(cl.help) {
            authmilter_daemon::chain chain;
            return print_help(cl.help_topic, chain);
        }
        if(cl.check)
            return check(cl);
        if(!cl.control.empty())
            if(int const rc = authmilter::app::control_daemon(cl); rc >= 0)
                return rc;
        authmilter::app::logger log;
        return authmilter::app::run_daemon<authmilter_daemon::chain>(cl, log);
    } catch(authmilter::config::config_error const& e) {
        std::cerr << "authentication_milter: configuration refused: " << e.what() << "\n";
        return authmilter::app::exit_config_error;
    } catch(std::exception const& e) {
        std::cerr << "authentication_milter: " << e.what() << "\n";
        return authmilter::app::exit_data_error;
    }
}
