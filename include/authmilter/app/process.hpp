// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_APP_PROCESS_HPP
#define AUTHMILTER_APP_PROCESS_HPP

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace authmilter::app {

/** Detaches from the terminal: fork, setsid, fork again (so the daemon can never reacquire a
    controlling terminal), chdir to /, stdin/stdout to /dev/null and stderr to `error_log` (or
    /dev/null). Returns in the daemon only.

    The original process does not exit at once: it waits until the daemon calls
    `report_ready()` (exit 0) or ends without doing so (exit 1, or the status the daemon passes
    to `report_ready()`), so that `--control start` fails visibly when the daemon cannot bind.

    @returns the file descriptor to pass to `report_ready()`.
    @throws std::runtime_error when a system call fails (before detaching, so the user sees it).
*/
inline int
daemonize(std::string const& error_log)
{
    auto fail = [](char const* what) {
        throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
    };
    int ready[2];
    if(::pipe2(ready, O_CLOEXEC) != 0)
        fail("pipe");
    pid_t pid = ::fork();
    if(pid < 0)
        fail("fork");
    if(pid > 0) {
        ::close(ready[1]);
        unsigned char status = 1;
        ssize_t n;
        while((n = ::read(ready[0], &status, 1)) < 0 && errno == EINTR) {
        }
        ::_exit(n == 1 ? status : 1);
    }
    ::close(ready[0]);
    if(::setsid() < 0)
        fail("setsid");
    pid = ::fork();
    if(pid < 0)
        fail("fork");
    if(pid > 0)
        ::_exit(0);
    if(::chdir("/") != 0)
        fail("chdir /");
    int const null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if(null < 0)
        fail("open /dev/null");
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    int err = null;
    if(!error_log.empty()) {
        err = ::open(error_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if(err < 0)
            err = null;
    }
    ::dup2(err, STDERR_FILENO);
    if(err != null)
        ::close(err);
    ::close(null);
    return ready[1];
}

/// Tells the process that started the daemon (see `daemonize()`) to exit with `status`, once.
/// Does nothing for `fd` < 0 (not daemonized) and sets `fd` to -1.
inline void
report_ready(int& fd, unsigned char status = 0)
{
    if(fd < 0)
        return;
    while(::write(fd, &status, 1) < 0 && errno == EINTR) {
    }
    ::close(fd);
    fd = -1;
}

/** Drops root privileges after the sockets are bound: optional chroot, then the group
    (`rungroup`, else the user's primary group) and supplementary groups, then the user.
    Does nothing when not root. Refuses to continue half-dropped.

    @throws std::runtime_error naming the user, group or directory that failed.
*/
inline void
drop_privileges(std::string const& runas, std::string const& rungroup, std::string const& chroot_dir)
{
    if(::geteuid() != 0)
        return;
    struct passwd* pw = nullptr;
    if(!runas.empty()) {
        pw = ::getpwnam(runas.c_str());
        if(pw == nullptr)
            throw std::runtime_error("runas: no such user \"" + runas + "\"");
    }
    gid_t gid = pw != nullptr ? pw->pw_gid : ::getegid();
    if(!rungroup.empty()) {
        struct group* gr = ::getgrnam(rungroup.c_str());
        if(gr == nullptr)
            throw std::runtime_error("rungroup: no such group \"" + rungroup + "\"");
        gid = gr->gr_gid;
    }
    // Copy what we need before chroot makes /etc/passwd unreadable.
    std::string const user_name = pw != nullptr ? pw->pw_name : "";
    uid_t const uid = pw != nullptr ? pw->pw_uid : ::geteuid();
    if(!chroot_dir.empty()) {
        if(::chroot(chroot_dir.c_str()) != 0 || ::chdir("/") != 0)
            throw std::runtime_error("chroot " + chroot_dir + ": " + std::strerror(errno));
    }
    if(pw == nullptr && rungroup.empty())
        return;
    if(!user_name.empty() && ::initgroups(user_name.c_str(), gid) != 0)
        throw std::runtime_error("initgroups " + user_name + ": " + std::strerror(errno));
    if(::setgid(gid) != 0)
        throw std::runtime_error("setgid: " + std::string(std::strerror(errno)));
    if(pw != nullptr && ::setuid(uid) != 0)
        throw std::runtime_error("setuid " + user_name + ": " + std::strerror(errno));
    if(pw != nullptr && uid != 0 && ::setuid(0) == 0)
        throw std::runtime_error("privileges could be regained after dropping them; refusing to run");
}

/// Parses an octal umask string ("0007"); nullopt-like -1 for bad text.
inline int
parse_umask(std::string const& text)
{
    if(text.empty() || text.size() > 4)
        return -1;
    int v = 0;
    for(char c : text) {
        if(c < '0' || c > '7')
            return -1;
        v = v * 8 + (c - '0');
    }
    return v;
}

} // namespace authmilter::app

#endif
