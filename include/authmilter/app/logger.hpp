// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_LOGGER_HPP
#define AUTHMILTER_APP_LOGGER_HPP

#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

namespace authmilter::app {

/** The daemon's log: syslog (facility mail, ident = `--ident`, with the PID) and, with
    `logtoerr`, also stderr as `<localtime> <ident>[<pid>] <line>` like the Perl tool. Debug
    lines are dropped unless `debug` is set. Thread-safe.
*/
class logger {
public:
    enum class level { debug, info, warning, error };

    logger() = default;
    logger(logger const&) = delete;
    logger& operator=(logger const&) = delete;
    ~logger()
    {
        if(syslog_open_)
            ::closelog();
    }

    void open(std::string ident, bool use_syslog, bool to_stderr, bool debug)
    {
        std::lock_guard lock(mutex_);
        ident_ = std::move(ident);
        to_stderr_ = to_stderr;
        debug_ = debug;
        if(syslog_open_)
            ::closelog();
        syslog_open_ = use_syslog;
        if(use_syslog)
            ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
    }

    void set_debug(bool on)
    {
        std::lock_guard lock(mutex_);
        debug_ = on;
    }

    void log(level l, std::string_view line)
    {
        std::lock_guard lock(mutex_);
        if(l == level::debug && !debug_)
            return;
        if(syslog_open_) {
            int const prio = l == level::debug     ? LOG_DEBUG
                             : l == level::info    ? LOG_INFO
                             : l == level::warning ? LOG_WARNING
                                                   : LOG_ERR;
            ::syslog(prio, "%.*s", static_cast<int>(line.size()), line.data());
        }
        if(to_stderr_) {
            std::time_t const now = std::time(nullptr);
            char when[32];
            std::tm tm{};
            ::localtime_r(&now, &tm);
            std::strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
            std::fprintf(stderr, "%s %s[%d] %.*s\n", when, ident_.c_str(), static_cast<int>(::getpid()),
                         static_cast<int>(line.size()), line.data());
        }
    }

    void debug(std::string_view l) { log(level::debug, l); }
    void info(std::string_view l) { log(level::info, l); }
    void warning(std::string_view l) { log(level::warning, l); }
    void error(std::string_view l) { log(level::error, l); }

private:
    std::mutex mutex_;
    std::string ident_ = "authentication_milter";
    bool syslog_open_ = false;
    bool to_stderr_ = true;
    bool debug_ = false;
};

} // namespace authmilter::app

#endif
