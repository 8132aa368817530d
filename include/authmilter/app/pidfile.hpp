// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_PIDFILE_HPP
#define AUTHMILTER_APP_PIDFILE_HPP

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <system_error>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace authmilter::app {

/// Writes `pid` to `path` atomically (temp file + rename), so a reader never sees half a number.
inline std::error_code
write_pidfile(std::string const& path, pid_t pid)
{
    std::string const tmp = path + ".tmp";
    int const fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if(fd < 0)
        return {errno, std::system_category()};
    std::string const text = std::to_string(pid) + "\n";
    auto const n = ::write(fd, text.data(), text.size());
    int const err = n == static_cast<ssize_t>(text.size()) ? 0 : errno;
    ::close(fd);
    if(err != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        int const e = err != 0 ? err : errno;
        ::unlink(tmp.c_str());
        return {e, std::system_category()};
    }
    return {};
}

/// The PID in `path`, or nullopt when the file is missing or does not hold a positive number.
inline std::optional<pid_t>
read_pidfile(std::string const& path)
{
    std::ifstream in(path);
    if(!in)
        return std::nullopt;
    std::string text;
    std::getline(in, text);
    long pid = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if(ec != std::errc{} || pid <= 0 || end == text.data())
        return std::nullopt;
    return static_cast<pid_t>(pid);
}

/// The process's command line as /proc shows it (NULs replaced by spaces); empty if gone.
inline std::string
process_command_line(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    for(auto& c : text)
        if(c == '\0')
            c = ' ';
    while(!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

/** The PID of a running daemon named by `path`, validated as the Perl tool does: the process
    must exist and be ours (its title or command line names `ident`). A stale pidfile answers
    nullopt.
*/
inline std::optional<pid_t>
running_daemon(std::string const& path, std::string const& ident)
{
    auto const pid = read_pidfile(path);
    if(!pid || ::kill(*pid, 0) != 0)
        return std::nullopt;
    auto const cmd = process_command_line(*pid);
    if(cmd.find(ident) == std::string::npos && cmd.find("authentication_milter") == std::string::npos)
        return std::nullopt;
    return pid;
}

} // namespace authmilter::app

#endif
