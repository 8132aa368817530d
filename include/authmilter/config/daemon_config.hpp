// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_DAEMON_CONFIG_HPP
#define AUTHMILTER_CONFIG_DAEMON_CONFIG_HPP

#include <authmilter/config/listen_address.hpp>
#include <authmilter/config/reader.hpp>
#include <authmilter/core/cidr.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::config {

/// Where the SMTP front-end relays accepted mail (`smtp` section and its per-listener overrides).
struct smtp_relay_config {
    std::string server_name = "server.example.com";
    std::string sock_type = "inet"; ///< inet | unix
    std::string sock_host = "localhost";
    std::uint16_t sock_port = 2525;
    std::string sock_path;
    std::chrono::seconds timeout_in{60};
    std::chrono::seconds timeout_out{60};
};

struct smtp_config {
    smtp_relay_config relay;                               ///< the default next hop
    std::map<std::string, smtp_relay_config> per_listener; ///< keyed `inet:PORT` / `unix:PATH`
    std::int64_t pipeline_limit = 0;                       ///< 0 = unlimited
    std::string queue_type = "after";                      ///< after | before
    std::string temp_dir;                                  ///< empty = keep messages in memory
    std::int64_t chunk_limit = 1048576;
    std::vector<std::string> debug_triggers;
};

/// One `ip_map` entry: a client matching `network` is checked as if it were `ip` / `helo`;
/// `helo_map` further remaps by the HELO name the client sent.
struct ip_map_entry {
    core::cidr network;
    std::optional<core::ip_address> ip;
    std::string helo;
    struct helo_entry {
        std::string helo_in;
        std::optional<core::ip_address> ip;
        std::string helo;
    };
    std::vector<helo_entry> helo_map;
};

struct listener_config {
    std::string name; ///< the key in `connections`, or "default"
    listen_address address;
    std::string umask;
};

/** The daemon's global configuration: every key of the Perl tool's reference, with its
    meaning there (doc/configuration.md lists each, its default, and what this daemon does with
    it). Handler sections stay JSON; the pipeline reads them.
*/
struct daemon_config {
    // Logging and behaviour
    bool debug = false;
    bool dryrun = false;
    bool logtoerr = false;
    bool extended_log = false;
    bool legacy_log = false;
    std::string error_log;
    std::string errors_to, errors_from;

    // Listening
    std::vector<listener_config> listeners; ///< the `connection` first, then `connections`
    std::string protocol = "milter";        ///< milter | smtp
    bool milter_quarantine = false;
    std::int64_t listen_backlog = 20;

    // Process
    std::string runas, rungroup, chroot, lock_file;
    std::int64_t min_children = 20, max_children = 100, min_spare_children = 10, max_spare_children = 20;
    std::int64_t max_requests_per_child = 200;
    std::string cache_dir, lib_dir, spool_dir;

    // Metrics (served by the metrics issue; parsed now so configurations keep working)
    std::optional<listen_address> metric_connection;
    std::string metric_umask, metric_tempfile;
    std::chrono::seconds metric_timeout{5};
    bool metric_basic_http = false;

    // SMTP front-end
    smtp_config smtp;

    // Timeouts (zero = none, as in the Perl tool when a key is missing)
    std::chrono::seconds connect_timeout{0}, command_timeout{0}, content_timeout{0}, addheader_timeout{0};
    std::chrono::seconds dequeue_timeout{300}, check_for_dequeue{60};
    std::int64_t max_dequeue = 5;

    // DNS
    std::vector<std::string> dns_resolvers;
    std::chrono::milliseconds dns_timeout{8000};
    std::int64_t dns_retry = 2;
    bool cache_dns_timeouts = true;
    std::chrono::microseconds dns_servfail_timeout{1000000};

    // Authentication-Results
    std::string authserv_id;
    bool hide_none = false;
    std::string header_indent_style = "entry";
    std::int64_t header_indent_by = 4;
    std::int64_t header_fold_at = 0; ///< 0 = the formatter's default

    // Errors
    bool tempfail_on_error = true;
    bool tempfail_on_error_authenticated = false;
    bool tempfail_on_error_local = false;
    bool tempfail_on_error_trusted = false;

    std::vector<ip_map_entry> ip_map;

    /// The `handlers` object after `authentication_milter.d/*.json` were merged in.
    boost::json::object handlers;
};

/** The Perl tool's global keys this daemon reads but does not act on, with the reason the
    warning gives (doc/migrating.md lists them too). A key in this list is still type-checked.
*/
inline constexpr std::pair<std::string_view, std::string_view> ignored_keys[] = {
    {"errors_to", "no error report mails are sent; errors go to the log"},
    {"errors_from", "no error report mails are sent; errors go to the log"},
    {"errors_headers", "no error report mails are sent; errors go to the log"},
    {"log_dispatchouli", "logging is syslog, facility mail, plus stderr with logtoerr"},
    {"patch_net_server", "there is no Net::Server: one threaded process accepts on every listener"},
    {"external_callback_processor", "Perl modules cannot be loaded"},
    {"extended_log", "no per-message A-R log lines are written yet"},
    {"legacy_log", "no per-message A-R log lines are written yet"},
    {"lock_file", "there is no prefork accept lock"},
    {"min_children", "prefork setting: one process with a fixed thread pool; max_children caps the threads"},
    {"min_spare_children", "prefork setting: one process with a fixed thread pool"},
    {"max_spare_children", "prefork setting: one process with a fixed thread pool"},
    {"max_requests_per_child", "prefork setting: threads are never recycled"},
    {"cache_dir", "nothing is kept on disk"},
    {"lib_dir", "nothing is kept on disk"},
    {"spool_dir", "nothing is kept on disk"},
    {"metric_connection", "the metrics listener is not implemented yet"},
    {"metric_port", "the metrics listener is not implemented yet"},
    {"metric_host", "the metrics listener is not implemented yet"},
    {"metric_umask", "the metrics listener is not implemented yet"},
    {"metric_tempfile", "the metrics listener is not implemented yet"},
    {"metric_timeout", "the metrics listener is not implemented yet"},
    {"metric_basic_http", "the metrics listener is not implemented yet"},
    {"addheader_timeout", "header edits go with the end-of-message reply, under content_timeout"},
    {"dequeue_timeout", "there are no dequeue processes"},
    {"check_for_dequeue", "there are no dequeue processes"},
    {"max_dequeue", "there are no dequeue processes"},
    {"cache_dns_timeouts", "the shared DNS cache keeps every timeout and SERVFAIL for 5 s, per name"},
    {"dns_servfail_timeout", "the shared DNS cache keeps every timeout and SERVFAIL for 5 s, per name"},
};

namespace detail {

inline std::chrono::seconds
seconds(object_reader& r, std::string_view key, std::chrono::seconds fallback)
{
    return std::chrono::seconds(r.integer(key, fallback.count(), 0, 86400 * 7));
}

inline smtp_relay_config
read_relay(object_reader& r, smtp_relay_config base)
{
    base.server_name = r.string("server_name", base.server_name);
    base.sock_type = r.choice("sock_type", base.sock_type, {"inet", "unix"});
    base.sock_host = r.string("sock_host", base.sock_host);
    base.sock_port = static_cast<std::uint16_t>(r.integer("sock_port", base.sock_port, 1, 65535));
    base.sock_path = r.string("sock_path", base.sock_path);
    base.timeout_in = seconds(r, "timeout_in", base.timeout_in);
    base.timeout_out = seconds(r, "timeout_out", base.timeout_out);
    return base;
}

inline listen_address
read_address(object_reader& r, std::string_view key)
{
    auto const text = r.string(key);
    auto const a = listen_address::parse(text);
    if(!a)
        r.fail(key, "expected inet:PORT@HOST, inet:PORT or unix:/path, found \"" + text + "\"");
    return *a;
}

inline std::optional<core::ip_address>
read_ip(object_reader& r, std::string_view key)
{
    if(!r.has(key)) {
        r.accept(key);
        return std::nullopt;
    }
    auto const text = r.string(key);
    auto const ip = core::ip_address::parse(text);
    if(!ip)
        r.fail(key, "expected an IP address, found \"" + text + "\"");
    return ip;
}

} // namespace detail

/** Reads the global keys from the root object of a configuration file.

    @param file     the file name, for messages
    @param root     the parsed (and merged) configuration
    @param warnings receives one line per unknown or ignored key
    @throws config_error naming the file and the JSON path of the first bad value
*/
inline daemon_config
parse_daemon_config(std::string const& file, boost::json::object const& root,
                    std::vector<std::string>& warnings)
{
    object_reader r(file, "$", root, &warnings);
    daemon_config c;
    c.debug = r.flag("debug", false);
    c.dryrun = r.flag("dryrun", false);
    c.logtoerr = r.flag("logtoerr", false);
    c.extended_log = r.flag("extended_log", false);
    c.legacy_log = r.flag("legacy_log", false);
    c.error_log = r.string("error_log");
    c.errors_to = r.string("errors_to");
    c.errors_from = r.string("errors_from");
    for(auto const& [key, why] : ignored_keys) {
        r.accept(key); // read below when it has a type to check
        if(r.has(key))
            warnings.push_back(file + ": " + r.path_of(key) +
                               ": accepted for compatibility, has no effect here (" + std::string(why) + ")");
    }

    if(!r.has("connection"))
        r.fail("connection", "no connection details given (expected e.g. \"inet:8893@localhost\")");
    c.listeners.push_back({"default", detail::read_address(r, "connection"), r.string("umask")});
    if(auto conns = r.child("connections")) {
        for(auto const& kv : conns->object()) {
            auto one = conns->child(kv.key());
            if(!one)
                continue;
            c.listeners.push_back(
                {std::string(kv.key()), detail::read_address(*one, "connection"), one->string("umask")});
            one->finish();
        }
    }
    c.protocol = r.choice("protocol", "milter", {"milter", "smtp"});
    c.milter_quarantine = r.flag("milter_quarantine", false);
    c.listen_backlog = r.integer("listen_backlog", 20, 1, 65535);

    c.runas = r.string("runas");
    c.rungroup = r.string("rungroup");
    c.chroot = r.string("chroot");
    c.lock_file = r.string("lock_file");
    c.min_children = r.integer("min_children", 20, 0, 100000);
    c.max_children = r.integer("max_children", 100, 1, 100000);
    c.min_spare_children = r.integer("min_spare_children", 10, 0, 100000);
    c.max_spare_children = r.integer("max_spare_children", 20, 0, 100000);
    c.max_requests_per_child = r.integer("max_requests_per_child", 200, 0, INT64_MAX);
    if(c.min_children > c.max_children)
        r.fail("min_children", "is larger than max_children (" + std::to_string(c.max_children) + ")");
    c.cache_dir = r.string("cache_dir");
    c.lib_dir = r.string("lib_dir");
    c.spool_dir = r.string("spool_dir");

    if(r.has("metric_connection"))
        c.metric_connection = detail::read_address(r, "metric_connection");
    else
        r.accept("metric_connection");
    if(r.has("metric_port") && !c.metric_connection) {
        auto const port = r.integer("metric_port", 0, 1, 65535);
        c.metric_connection = listen_address{listen_address::kind::inet,
                                             r.string("metric_host", "127.0.0.1"),
                                             static_cast<std::uint16_t>(port),
                                             {}};
    }
    r.accept("metric_port");
    r.accept("metric_host");
    c.metric_umask = r.string("metric_umask");
    c.metric_tempfile = r.string("metric_tempfile");
    c.metric_timeout = detail::seconds(r, "metric_timeout", std::chrono::seconds(5));
    c.metric_basic_http = r.flag("metric_basic_http", false);

    if(auto smtp = r.child("smtp")) {
        c.smtp.relay = detail::read_relay(*smtp, c.smtp.relay);
        c.smtp.pipeline_limit = smtp->integer("pipeline_limit", 0, 0, 100000);
        auto const qt = smtp->string("queue_type", "after");
        c.smtp.queue_type = qt == "before" ? "before" : "after";
        c.smtp.temp_dir = smtp->string("temp_dir");
        c.smtp.chunk_limit = smtp->integer("chunk_limit", 1048576, 1024, INT64_MAX);
        c.smtp.debug_triggers = smtp->strings("debug_triggers");
        for(auto const& kv : smtp->object()) {
            std::string_view const key = kv.key();
            if(!key.starts_with("inet:") && !key.starts_with("unix:") && !key.starts_with("tcp:"))
                continue;
            auto over = smtp->child(key);
            if(!over)
                continue;
            // The reference documents `tcp:PORT` in one example; treat it as `inet:PORT`.
            std::string norm(key);
            if(norm.starts_with("tcp:"))
                norm = "inet:" + norm.substr(4);
            c.smtp.per_listener[norm] = detail::read_relay(*over, c.smtp.relay);
            over->finish();
        }
        smtp->finish();
    }

    c.connect_timeout = detail::seconds(r, "connect_timeout", {});
    c.command_timeout = detail::seconds(r, "command_timeout", {});
    c.content_timeout = detail::seconds(r, "content_timeout", {});
    c.addheader_timeout = detail::seconds(r, "addheader_timeout", {});
    c.dequeue_timeout = detail::seconds(r, "dequeue_timeout", std::chrono::seconds(300));
    c.check_for_dequeue = detail::seconds(r, "check_for_dequeue", std::chrono::seconds(60));
    c.max_dequeue = r.integer("max_dequeue", 5, 0, 1000);

    c.dns_resolvers = r.strings("dns_resolvers");
    c.dns_timeout = std::chrono::seconds(r.integer("dns_timeout", 8, 1, 300));
    c.dns_retry = r.integer("dns_retry", 2, 0, 10);
    c.cache_dns_timeouts = r.flag("cache_dns_timeouts", true);
    c.dns_servfail_timeout =
        std::chrono::microseconds(r.integer("dns_servfail_timeout", 1000000, 0, INT64_MAX));

    c.authserv_id = r.string("authserv_id");
    c.hide_none = r.flag("hide_none", false);
    c.header_indent_style = r.choice("header_indent_style", "entry", {"none", "entry", "subentry", "full"});
    c.header_indent_by = r.integer("header_indent_by", 4, 0, 40);
    c.header_fold_at = r.integer("header_fold_at", 0, 0, 998);

    c.tempfail_on_error = r.flag("tempfail_on_error", true);
    c.tempfail_on_error_authenticated = r.flag("tempfail_on_error_authenticated", false);
    c.tempfail_on_error_local = r.flag("tempfail_on_error_local", false);
    c.tempfail_on_error_trusted = r.flag("tempfail_on_error_trusted", false);

    if(auto map = r.child("ip_map")) {
        // The Perl tool tries the keys in sorted (string) order; the first match wins.
        std::vector<std::string> keys;
        for(auto const& kv : map->object())
            keys.emplace_back(kv.key());
        std::sort(keys.begin(), keys.end());
        for(auto const& key : keys) {
            auto const net = core::cidr::parse(key);
            if(!net)
                map->fail(key, "expected an IP address or CIDR range as the key");
            auto entry = map->child(key);
            if(!entry)
                continue;
            ip_map_entry e{*net, detail::read_ip(*entry, "ip"), entry->string("helo"), {}};
            if(auto hm = entry->child("helo_map")) {
                for(auto const& hkv : hm->object()) {
                    auto he = hm->child(hkv.key());
                    if(!he)
                        continue;
                    e.helo_map.push_back(
                        {std::string(hkv.key()), detail::read_ip(*he, "ip"), he->string("helo")});
                    he->finish();
                }
                hm->finish();
            }
            entry->finish();
            c.ip_map.push_back(std::move(e));
        }
        map->finish();
    }

    if(auto const* h = r.raw("handlers")) {
        if(!h->is_object())
            r.fail("handlers", "expected an object, found " + boost::json::serialize(*h));
        c.handlers = h->as_object();
        // Every handler takes `auth_header_name` in the Perl tool; here all entries share one field.
        for(auto const& kv : c.handlers) {
            auto const* o = kv.value().if_object();
            auto const* name = o != nullptr ? o->if_contains("auth_header_name") : nullptr;
            if(name != nullptr && !(name->is_string() && name->as_string() == "Authentication-Results"))
                warnings.push_back(file + ": $.handlers." + std::string(kv.key()) +
                                   ".auth_header_name: accepted for compatibility, has no effect here (every "
                                   "entry goes into one Authentication-Results field)");
        }
    }
    r.finish();
    return c;
}

} // namespace authmilter::config

#endif
