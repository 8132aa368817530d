// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_COMMAND_LINE_HPP
#define AUTHMILTER_APP_COMMAND_LINE_HPP

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::app {

/** The daemon's command line: the Perl tool's options, plus `--version` and `--check`.

    ```
    authentication_milter [-c|--control start|restart|stop|status] [-d|--daemon] [--pidfile FILE]
                          [-h|--help [default_config|installed|HANDLER]] [--prefix DIR] [-i|--ident IDENT]
                          [--version]
                          [--check FILE.eml [--ip IP] [--helo NAME] [--from ADDR] [--rcpt ADDR]...
                                            [--dns-zone ZONEFILE] [--macro NAME=VALUE]...]
    ```
*/
struct command_line {
    std::string control; ///< start | restart | stop | status; empty = run in the foreground
    bool daemon = false;
    std::string pidfile = "/run/authentication_milter.pid";
    bool help = false;
    std::string help_topic; ///< empty, "default_config", "installed" or a handler name
    std::string prefix = "/etc";
    std::string ident = "authentication_milter";
    bool version = false;

    struct check_options {
        std::string file;
        std::string ip = "127.0.0.1";
        std::string helo = "localhost";
        std::string from;
        std::vector<std::string> rcpts;
        std::string dns_zone;
        std::vector<std::pair<std::string, std::string>> macros;
    };
    std::optional<check_options> check;
};

/// The result of parsing: the options, or a message for the user (exit status 2).
struct parse_result {
    command_line options;
    std::string error;
    bool ok() const noexcept { return error.empty(); }
};

/** Parses argv as the Perl tool does (`--opt value`; `--opt=value` is accepted too).
    `--ident X` makes the ident `authentication_milter_X`, as the Perl tool names its processes.
*/
inline parse_result
parse_command_line(int argc, char const* const* argv)
{
    parse_result r;
    auto& o = r.options;
    std::vector<std::string> args(argv + 1, argv + argc);
    // Split --opt=value into two words.
    for(std::size_t i = 0; i < args.size(); ++i) {
        if(args[i].starts_with("--") && args[i].find('=') != std::string::npos) {
            auto const eq = args[i].find('=');
            args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args[i].substr(eq + 1));
            args[i].resize(eq);
            ++i;
        }
    }
    auto value = [&](std::size_t& i, std::string_view opt) -> std::optional<std::string> {
        if(i + 1 >= args.size()) {
            r.error = "option " + std::string(opt) + " needs a value";
            return std::nullopt;
        }
        return args[++i];
    };
    auto need_check = [&](std::string_view opt) {
        if(!o.check) {
            r.error = "option " + std::string(opt) + " is only valid with --check";
            return false;
        }
        return true;
    };
    for(std::size_t i = 0; i < args.size() && r.ok(); ++i) {
        std::string_view const a = args[i];
        if(a == "-c" || a == "--control") {
            auto v = value(i, a);
            if(!v)
                break;
            if(*v != "start" && *v != "restart" && *v != "stop" && *v != "status") {
                r.error = "--control expects start, restart, stop or status, not \"" + *v + "\"";
                break;
            }
            o.control = *v;
            o.daemon = true; // control implies --daemon
        } else if(a == "-d" || a == "--daemon") {
            o.daemon = true;
        } else if(a == "--pidfile") {
            if(auto v = value(i, a))
                o.pidfile = *v;
        } else if(a == "-h" || a == "--help") {
            o.help = true;
            if(i + 1 < args.size() && !args[i + 1].starts_with("-"))
                o.help_topic = args[++i];
        } else if(a == "--prefix") {
            if(auto v = value(i, a))
                o.prefix = *v;
        } else if(a == "-i" || a == "--ident") {
            if(auto v = value(i, a))
                o.ident = "authentication_milter_" + *v;
        } else if(a == "--version" || a == "-V") {
            o.version = true;
        } else if(a == "--check") {
            if(auto v = value(i, a)) {
                o.check.emplace();
                o.check->file = *v;
            }
        } else if(a == "--ip" || a == "--helo" || a == "--from" || a == "--rcpt" || a == "--dns-zone" ||
                  a == "--macro") {
            if(!need_check(a))
                break;
            auto v = value(i, a);
            if(!v)
                break;
            auto& c = *o.check;
            if(a == "--ip")
                c.ip = *v;
            else if(a == "--helo")
                c.helo = *v;
            else if(a == "--from")
                c.from = *v;
            else if(a == "--rcpt")
                c.rcpts.push_back(*v);
            else if(a == "--dns-zone")
                c.dns_zone = *v;
            else {
                auto const eq = v->find('=');
                if(eq == std::string::npos || eq == 0) {
                    r.error = "--macro expects NAME=VALUE, not \"" + *v + "\"";
                    break;
                }
                c.macros.emplace_back(v->substr(0, eq), v->substr(eq + 1));
            }
        } else {
            r.error = "unknown option \"" + std::string(a) + "\" (see --help)";
        }
    }
    if(r.ok() && o.check && !o.control.empty())
        r.error = "--check and --control cannot be combined";
    return r;
}

/// The usage text printed by `--help`.
inline constexpr std::string_view usage_text = R"(Usage: authentication_milter [options]

  -c, --control start|restart|stop|status
                          control a running daemon (implies --daemon; uses --pidfile and --ident)
  -d, --daemon            detach from the shell and run in the background
      --pidfile FILE      where the daemon writes its PID (default /run/authentication_milter.pid)
  -h, --help [TOPIC]      this help; TOPIC: default_config, installed, or a handler name
      --prefix DIR        read DIR/authentication_milter.json and DIR/authentication_milter.d/ (default /etc)
  -i, --ident IDENT       name this instance (process title, syslog ident, pidfile checks)
      --version           print the version
      --check FILE.eml    run the configured handlers on one message and print it as delivered
          --ip IP --helo NAME --from ADDR --rcpt ADDR...   the SMTP envelope to assume
          --dns-zone ZONEFILE                              answer all DNS from this zone file
          --macro NAME=VALUE...                            milter macros, e.g. j=mx.example.com
        exit status: 0 accept, 1 reject, 2 tempfail, 3 quarantine
)";

} // namespace authmilter::app

#endif
