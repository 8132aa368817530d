// A private Postfix instance for integration tests: its own config_directory, queue_directory
// and data_directory in a temporary directory, an smtpd on 127.0.0.1 with a free port, and a
// virtual(8) transport delivering every recipient of one domain into a Maildir there. It never
// touches /etc/postfix or a system instance (another queue directory means another master lock).
#ifndef AUTHMILTER_TEST_INTEGRATION_SUPPORT_POSTFIX_HPP
#define AUTHMILTER_TEST_INTEGRATION_SUPPORT_POSTFIX_HPP

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace authmilter::test {

/// What postfix_instance is configured with.
struct postfix_options {
    /// `smtpd_milters` (e.g. `inet:127.0.0.1:8893`); empty for none.
    std::string milters;
    /// The domain whose every recipient is delivered into the Maildir.
    std::string mailbox_domain = "rcpt.example.test";
    std::string myhostname = "mx.example.test";
    /// More main.cf lines (`name = value`), written last so that they win.
    std::vector<std::string> extra_main_cf;
};

/** Postfix started with `postfix -c <dir> start` (requires root and the Debian package
    `postfix`); the destructor runs `postfix -c <dir> stop`, then kills what is left of the
    instance (its master and every process whose environment names this config_directory).
*/
class postfix_instance {
public:
    explicit postfix_instance(postfix_options options)
        : dir_("authmilter-postfix-")
        , options_(std::move(options))
    {
        if(::geteuid() != 0)
            throw std::runtime_error(
                "a private Postfix instance needs root (postfix start refuses otherwise)");
        postfix_ = find_program({"/usr/sbin/postfix", "/usr/local/sbin/postfix"});
        if(postfix_.empty())
            throw std::runtime_error(
                "postfix not found: install Debian package 'postfix' (scripts/install-deps.sh)");
        passwd const* pw = ::getpwnam("postfix");
        if(pw == nullptr || ::getgrnam("postdrop") == nullptr)
            throw std::runtime_error(
                "user 'postfix' or group 'postdrop' missing: is the postfix package installed?");
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        for(auto const* d : {"etc", "spool", "data", "vmail"})
            fs::create_directories(dir_ / d);
        // The daemons run as the postfix user: they own their data and the mail they deliver.
        for(auto const* d : {"data", "vmail"})
            if(::chown((dir_ / d).c_str(), uid_, gid_) != 0)
                throw std::runtime_error("chown failed");
        smtpd_port_ = free_port();
        write_file(dir_ / "etc" / "main.cf", main_cf());
        write_file(dir_ / "etc" / "master.cf", master_cf());
        int const rc = command("start");
        if(rc != 0)
            throw std::runtime_error("postfix -c " + config_directory().string() + " start failed (" +
                                     std::to_string(rc) + "): " + read_file(dir_ / "postfix.out") +
                                     maillog());
        started_ = true;
        if(!wait_until([this] { return master_pid() > 0; }, std::chrono::seconds(20)))
            throw std::runtime_error("postfix master did not write its pid file: " + maillog());
    }
    postfix_instance(postfix_instance const&) = delete;
    postfix_instance& operator=(postfix_instance const&) = delete;
    ~postfix_instance() { stop(); }

    /// The smtpd's port on 127.0.0.1.
    unsigned short smtpd_port() const noexcept { return smtpd_port_; }

    /// The instance's config_directory (what `postfix -c` and `postconf -c` take).
    fs::path config_directory() const { return dir_ / "etc"; }

    /// The Maildir receiving `mailbox_domain`.
    fs::path maildir() const { return dir_ / "vmail" / "inbox"; }

    /// The instance's queue_directory.
    fs::path queue_directory() const { return dir_ / "spool"; }

    /// Queue ids of the messages in the hold queue (quarantined by a milter), sorted.
    std::vector<std::string> held_queue_ids() const
    {
        std::vector<std::string> ids;
        std::error_code ec;
        for(auto const& e : fs::recursive_directory_iterator(queue_directory() / "hold", ec))
            if(e.is_regular_file())
                ids.push_back(e.path().filename().string());
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    /// `postcat -c <config_directory> -hb -q <id>`: the headers and body of a queued message.
    std::string postcat(std::string const& queue_id) const
    {
        auto const out = dir_ / ("postcat-" + queue_id + ".txt");
        std::error_code ec;
        fs::remove(out, ec);
        auto const postcat = find_program({"/usr/sbin/postcat", "/usr/local/sbin/postcat"});
        if(postcat.empty())
            return "(postcat not found)";
        run_program({postcat, "-c", config_directory().string(), "-hb", "-q", queue_id}, out,
                    std::chrono::seconds(10));
        return read_file(out);
    }

    /// Postfix's log (maillog_file), for failure messages.
    std::string maillog() const { return read_file(dir_ / "maillog"); }

    /// The master's pid from `<queue_directory>/pid/master.pid`, or -1.
    pid_t master_pid() const
    {
        auto const text = read_file(dir_ / "spool" / "pid" / "master.pid");
        long const pid = std::strtol(text.c_str(), nullptr, 10);
        return pid > 0 && process_alive(static_cast<pid_t>(pid)) ? static_cast<pid_t>(pid) : -1;
    }

    /// The processes of this instance still alive (master and daemons).
    std::vector<pid_t> processes() const
    {
        auto found = processes_with_environment("MAIL_CONFIG=" + config_directory().string());
        if(auto m = master_pid(); m > 0 && std::find(found.begin(), found.end(), m) == found.end())
            found.push_back(m);
        return found;
    }

    /// The delivered messages, oldest first (Maildir file names start with the delivery time).
    std::vector<std::string> messages() const
    {
        std::vector<fs::path> files;
        std::error_code ec;
        for(auto const& e : fs::directory_iterator(maildir() / "new", ec))
            if(e.is_regular_file())
                files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for(auto const& f : files)
            out.push_back(read_file(f));
        return out;
    }

    /// Waits up to `timeout` for a delivered message containing `marker`; returns it or "".
    std::string wait_for_message(std::string const& marker, std::chrono::milliseconds timeout) const
    {
        std::string found;
        wait_until(
            [&] {
                for(auto const& m : messages())
                    if(m.find(marker) != std::string::npos) {
                        found = m;
                        return true;
                    }
                return false;
            },
            timeout);
        return found;
    }

    /// `postfix -c <dir> stop`, then SIGKILL for anything of the instance still alive after 10 s.
    /// Idempotent.
    void stop()
    {
        if(!started_)
            return;
        started_ = false;
        command("stop");
        if(!wait_until([this] { return processes().empty(); }, std::chrono::seconds(10)))
            for(auto pid : processes())
                ::kill(pid, SIGKILL);
        wait_until([this] { return processes().empty(); }, std::chrono::seconds(5));
    }

private:
    int command(std::string const& what)
    {
        return run_program({postfix_, "-c", config_directory().string(), what}, dir_ / "postfix.out",
                           std::chrono::seconds(30));
    }

    std::string main_cf() const
    {
        auto const d = dir_.path().string();
        std::string s = "compatibility_level = 3.6\n"
                        "config_directory = " +
                        d + "/etc\nqueue_directory = " + d + "/spool\ndata_directory = " + d +
                        "/data\n"
                        "mail_owner = postfix\nsetgid_group = postdrop\n"
                        "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
                        "myhostname = " +
                        options_.myhostname + "\nmydomain = " + options_.mailbox_domain +
                        "\nmyorigin = $myhostname\n"
                        // Nothing is delivered by local(8): the test domain goes to virtual(8).
                        "mydestination =\nlocal_recipient_maps =\nalias_maps =\nalias_database =\n"
                        "mynetworks = 127.0.0.0/8\nrelayhost =\nbiff = no\nsmtputf8_enable = no\n"
                        "default_transport = error:no relaying in this test instance\n"
                        "virtual_mailbox_domains = " +
                        options_.mailbox_domain + "\nvirtual_mailbox_base = " + d +
                        "/vmail\nvirtual_mailbox_maps = static:inbox/\n"
                        "virtual_minimum_uid = 1\nvirtual_uid_maps = static:" +
                        std::to_string(uid_) + "\nvirtual_gid_maps = static:" + std::to_string(gid_) +
                        "\n"
                        "maillog_file = " +
                        d + "/maillog\nmaillog_file_prefixes = " + d +
                        "\n"
                        "smtpd_milters = " +
                        options_.milters +
                        "\nmilter_protocol = 6\nmilter_default_action = tempfail\n"
                        "milter_connect_timeout = 10s\nmilter_command_timeout = 20s\n"
                        "milter_content_timeout = 30s\n";
        for(auto const& line : options_.extra_main_cf)
            s += line + "\n";
        return s;
    }

    std::string master_cf() const
    {
        // Only the services this instance needs; no chroot (it would need a copy of /etc files).
        return "127.0.0.1:" + std::to_string(smtpd_port_) +
               " inet n - n - - smtpd\n"
               "pickup    unix n - n 60 1 pickup\n"
               "cleanup   unix n - n - 0 cleanup\n"
               "qmgr      unix n - n 300 1 qmgr\n"
               "rewrite   unix - - n - - trivial-rewrite\n"
               "bounce    unix - - n - 0 bounce\n"
               "defer     unix - - n - 0 bounce\n"
               "trace     unix - - n - 0 bounce\n"
               "verify    unix - - n - 1 verify\n"
               "flush     unix n - n 1000? 0 flush\n"
               "proxymap  unix - - n - - proxymap\n"
               "smtp      unix - - n - - smtp\n"
               "showq     unix n - n - - showq\n"
               "error     unix - - n - - error\n"
               "retry     unix - - n - - error\n"
               "discard   unix - - n - - discard\n"
               "virtual   unix - n n - - virtual\n"
               "anvil     unix - - n - 1 anvil\n"
               "scache    unix - - n - 1 scache\n"
               "postlog   unix-dgram n - n - 1 postlogd\n";
    }

    temp_dir dir_;
    postfix_options options_;
    std::string postfix_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    unsigned short smtpd_port_ = 0;
    bool started_ = false;
};

} // namespace authmilter::test

#endif
