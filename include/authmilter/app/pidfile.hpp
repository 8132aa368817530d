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
#include <vector>

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

/// The process's arguments as /proc shows them (argv[0] first); empty if it is gone.
inline std::vector<std::string>
process_arguments(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::vector<std::string> args;
    std::string a;
    while(std::getline(in, a, '\0'))
        args.push_back(a);
    return args;
}

/** Is a process with these arguments an authentication_milter started with this `ident`?
    (`ident` as command_line holds it: `authentication_milter` or `authentication_milter_<X>`.)
*/
inline bool
is_our_daemon(std::vector<std::string> const& args, std::string const& ident)
{
    if(args.empty())
        return false;
    auto const slash = args[0].rfind('/');
    if(args[0].find("authentication_milter", slash == std::string::npos ? 0 : slash) == std::string::npos)
        return false;
    std::string theirs = "authentication_milter";
    for(std::size_t i = 1; i < args.size(); ++i) {
        if((args[i] == "-i" || args[i] == "--ident") && i + 1 < args.size())
            theirs = "authentication_milter_" + args[i + 1];
        else if(args[i].starts_with("--ident="))
            theirs = "authentication_milter_" + args[i].substr(8);
    }
    return theirs == ident;
}

/** The PID of a running daemon named by `path`, validated as the Perl tool does: the process
    must exist and be ours (an authentication_milter started with the same `--ident`). A stale
    pidfile (the process is gone, or the PID was reused by another program) answers nullopt.
*/
inline std::optional<pid_t>
running_daemon(std::string const& path, std::string const& ident)
{
    auto const pid = read_pidfile(path);
    if(!pid || ::kill(*pid, 0) != 0)
        return std::nullopt;
    if(!is_our_daemon(process_arguments(*pid), ident))
        return std::nullopt;
    return pid;
}

} // namespace authmilter::app

#endif
