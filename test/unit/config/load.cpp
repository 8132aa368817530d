// Test that header file is self-contained.
#include <authmilter/config/load.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace cfg = authmilter::config;
namespace fs = std::filesystem;

namespace {

struct temp_prefix {
    fs::path dir;
    temp_prefix()
    {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("authmilter-config-" + std::to_string(rd()));
        fs::create_directories(dir);
    }
    ~temp_prefix() { fs::remove_all(dir); }
    void write(fs::path const& rel, std::string const& text) const
    {
        fs::create_directories((dir / rel).parent_path());
        std::ofstream(dir / rel, std::ios::binary) << text;
    }
};

std::string
error_of(temp_prefix const& p)
{
    try {
        cfg::load_configuration(p.dir);
    } catch(cfg::config_error const& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_load)

BOOST_AUTO_TEST_CASE(embedded_default_when_no_file)
{
    temp_prefix p;
    auto const loaded = cfg::load_configuration(p.dir);
    BOOST_TEST(loaded.files.empty());
    BOOST_REQUIRE_EQUAL(loaded.config.listeners.size(), 1u);
    BOOST_TEST(loaded.config.listeners[0].address.to_string() == "inet:8893@localhost");
    BOOST_TEST(loaded.config.protocol == "milter");
    BOOST_TEST(loaded.config.handlers.contains("IPRev"));
    BOOST_TEST(loaded.config.handlers.contains("LocalIP"));
    BOOST_TEST(loaded.warnings.empty());
}

BOOST_AUTO_TEST_CASE(relaxed_json_and_every_global_key)
{
    temp_prefix p;
    p.write("authentication_milter.json", R"(# a comment line, as the Perl tool's test configs have
{
    "debug": "1", "dryrun": 0, "logtoerr": true,
    "connection": "inet:12345@[::1]", "umask": "0007",
    "connections": { "two": { "connection": "unix:/run/am.sock", "umask": "0000" } },
    "runas": "nobody", "rungroup": "nogroup", "listen_backlog": 50,
    "min_children": 2, "max_children": "8",
    "protocol": "smtp",
    "smtp": { "server_name": "scan.example.com", "sock_port": "2526", "timeout_in": 10,
              "inet:12346": { "sock_port": 2527 } },
    "connect_timeout": 30, "command_timeout": 30, "content_timeout": 300,
    "dns_resolvers": ["127.0.0.1", "::1"], "dns_timeout": 10, "dns_retry": 2,
    "authserv_id": "mx.example.com", "hide_none": 1,
    "header_indent_style": "full", "header_fold_at": 77, "header_indent_by": 2,
    "tempfail_on_error": "1", "tempfail_on_error_local": 1,
    "ip_map": { "10.0.0.0/8": { "ip": "192.0.2.1", "helo": "mx.test",
                 "helo_map": { "test.host": { "ip": "192.0.2.9", "helo": "mx2.test" } } } },
    "handlers": { "SPF": {}, "!DKIM": {} },
})");
    auto const loaded = cfg::load_configuration(p.dir);
    auto const& c = loaded.config;
    BOOST_TEST(c.debug);
    BOOST_TEST(!c.dryrun);
    BOOST_TEST(c.logtoerr);
    BOOST_REQUIRE_EQUAL(c.listeners.size(), 2u);
    BOOST_TEST(c.listeners[0].address.host == "::1");
    BOOST_TEST(c.listeners[0].address.port == 12345);
    BOOST_TEST(c.listeners[0].umask == "0007");
    BOOST_TEST(c.listeners[1].address.path == "/run/am.sock");
    BOOST_TEST(c.max_children == 8);
    BOOST_TEST(c.protocol == "smtp");
    BOOST_TEST(c.smtp.relay.sock_port == 2526);
    BOOST_TEST(c.smtp.per_listener.at("inet:12346").sock_port == 2527);
    BOOST_TEST(c.smtp.per_listener.at("inet:12346").server_name == "scan.example.com");
    BOOST_TEST(c.content_timeout.count() == 300);
    BOOST_TEST(c.dns_resolvers.size() == 2u);
    BOOST_TEST(c.dns_timeout.count() == 10000);
    BOOST_TEST(c.header_indent_style == "full");
    BOOST_TEST(c.tempfail_on_error_local);
    BOOST_REQUIRE_EQUAL(c.ip_map.size(), 1u);
    BOOST_TEST(c.ip_map[0].ip->to_string() == "192.0.2.1");
    BOOST_TEST(c.ip_map[0].helo_map.at(0).helo == "mx2.test");
    BOOST_TEST(c.handlers.contains("!DKIM"));
    // min_children is a prefork setting: accepted, with a warning saying what happens instead.
    BOOST_REQUIRE_EQUAL(loaded.warnings.size(), 1u);
    auto const file = (p.dir / "authentication_milter.json").string();
    BOOST_TEST(loaded.warnings[0] ==
               file + ": $.min_children: accepted for compatibility, has no effect here "
                      "(prefork setting: one process with a fixed thread pool; max_children "
                      "caps the threads)");
}

BOOST_AUTO_TEST_CASE(keys_without_effect_are_warnings_and_still_checked)
{
    temp_prefix p;
    p.write("authentication_milter.json",
            R"({"connection":"inet:1","errors_to":"a@b","metric_connection":"inet:9100@localhost",
                "patch_net_server":1,"max_requests_per_child":10,"dequeue_timeout":5,"cache_dns_timeouts":0})");
    auto const loaded = cfg::load_configuration(p.dir);
    auto const file = (p.dir / "authentication_milter.json").string();
    BOOST_REQUIRE_EQUAL(loaded.warnings.size(), 6u);
    std::string all;
    for(auto const& w : loaded.warnings)
        all += w + "\n";
    for(auto const* key : {"errors_to", "metric_connection", "patch_net_server", "max_requests_per_child",
                           "dequeue_timeout", "cache_dns_timeouts"})
        BOOST_TEST(all.find(file + ": $." + key + ": accepted for compatibility, has no effect here (") !=
                       std::string::npos,
                   key);
    BOOST_TEST(all.find("the metrics listener is not implemented yet") != std::string::npos);
    // Their values are still checked: a wrong type is refused, naming the path.
    p.write("authentication_milter.json", R"({"connection":"inet:1","max_requests_per_child":"many"})");
    BOOST_TEST(error_of(p).find(file + ": $.max_requests_per_child: ") != std::string::npos, error_of(p));
    // auth_header_name, which every Perl handler takes, is named with its handler.
    p.write("authentication_milter.json",
            R"({"connection":"inet:1","handlers":{"SPF":{"auth_header_name":"X-SPF-Results"}}})");
    auto const named = cfg::load_configuration(p.dir);
    BOOST_REQUIRE_EQUAL(named.warnings.size(), 1u);
    BOOST_TEST(
        named.warnings[0].find(file + ": $.handlers.SPF.auth_header_name: accepted for compatibility") == 0u,
        named.warnings[0]);
    // The embedded default sets none of them.
    temp_prefix empty;
    BOOST_TEST(cfg::load_configuration(empty.dir).warnings.empty());
}

BOOST_AUTO_TEST_CASE(handler_files_replace_sections)
{
    temp_prefix p;
    p.write("authentication_milter.json", R"({"connection":"inet:1@localhost","handlers":{"SPF":{"a":1}}})");
    p.write("authentication_milter.d/SPF.json", R"({"b":2})");
    p.write("authentication_milter.d/DKIM.json", R"({})");
    p.write("authentication_milter.d/.hidden.json", R"(not json)");
    p.write("authentication_milter.d/README", R"(not json)");
    auto const loaded = cfg::load_configuration(p.dir);
    BOOST_TEST(loaded.files.size() == 3u);
    BOOST_TEST(loaded.config.handlers.at("SPF").as_object().contains("b"));
    BOOST_TEST(!loaded.config.handlers.at("SPF").as_object().contains("a"));
    BOOST_TEST(loaded.config.handlers.contains("DKIM"));
}

BOOST_AUTO_TEST_CASE(errors_name_file_path_and_expectation)
{
    temp_prefix p;
    auto const file = (p.dir / "authentication_milter.json").string();
    p.write("authentication_milter.json", R"({"connection":"inet:1@localhost","dns_timeout":"soon"})");
    BOOST_TEST(error_of(p) == file + ": $.dns_timeout: expected an integer, found \"soon\"");
    p.write("authentication_milter.json", R"({"connection":"tcp:99"})");
    BOOST_TEST(error_of(p) ==
               file + ": $.connection: expected inet:PORT@HOST, inet:PORT or unix:/path, found \"tcp:99\"");
    p.write("authentication_milter.json", R"({"connection":"inet:1","smtp":{"sock_type":"pipe"}})");
    BOOST_TEST(error_of(p) == file + ": $.smtp.sock_type: expected one of inet, unix, found \"pipe\"");
    p.write("authentication_milter.json", R"({"connection":"inet:1","ip_map":{"10.0.0.0/8":{"ip":"x"}}})");
    BOOST_TEST(error_of(p) == file + ": $.ip_map.10.0.0.0/8.ip: expected an IP address, found \"x\"");
    p.write("authentication_milter.json", R"({"connection":"inet:1","hide_none":"maybe"})");
    BOOST_TEST(error_of(p) == file + ": $.hide_none: expected 0 or 1, found \"maybe\"");
    p.write("authentication_milter.json", "{\n  \"connection\": \"inet:1\",\n  \"debug\" 1\n}");
    BOOST_TEST(error_of(p).starts_with(file + ": line 3, column 11: invalid JSON"));
    p.write("authentication_milter.json", R"({"debug":1})");
    BOOST_TEST(error_of(p).find("$.connection: no connection details given") != std::string::npos);
    p.write("authentication_milter.json", R"({"connection":"inet:1","dns_resolvers":["1.1.1.1",2]})");
    BOOST_TEST(error_of(p) == file + ": $.dns_resolvers[1]: expected a string, found 2");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_warnings)
{
    temp_prefix p;
    p.write("authentication_milter.json",
            R"({"connection":"inet:1","no_such_key":1,"smtp":{"typo":2},"log_dispatchouli":{}})");
    auto const loaded = cfg::load_configuration(p.dir);
    BOOST_REQUIRE_EQUAL(loaded.warnings.size(), 3u);
    auto const all = loaded.warnings[0] + loaded.warnings[1] + loaded.warnings[2];
    BOOST_TEST(all.find("$.no_such_key: unknown key, ignored") != std::string::npos);
    BOOST_TEST(all.find("$.smtp.typo: unknown key, ignored") != std::string::npos);
    BOOST_TEST(all.find("$.log_dispatchouli: accepted for compatibility") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(handler_errors_name_the_d_file)
{
    temp_prefix p;
    p.write("authentication_milter.json", R"({"connection":"inet:1","handlers":{"DKIM":{}}})");
    p.write("authentication_milter.d/SPF.json", R"({"hide_none": 1})");
    auto const loaded = cfg::load_configuration(p.dir);
    auto const d_file = (p.dir / "authentication_milter.d" / "SPF.json").string();
    BOOST_TEST(loaded.handler_files.at("SPF") == d_file);
    auto const main_file = (p.dir / "authentication_milter.json").string();
    auto const moved = cfg::locate_handler_error(
        cfg::config_error(main_file, "$.handlers.SPF.hide_none", "expected 0 or 1"), loaded);
    BOOST_TEST(moved.what() == d_file + ": $.hide_none: expected 0 or 1");
    BOOST_TEST(
        cfg::locate_handler_error(cfg::config_error(main_file, "$.handlers.SPF", "bad"), loaded).what() ==
        d_file + ": $: bad");
    // A section of the main file, or a global key, stays where it is.
    auto const kept =
        cfg::locate_handler_error(cfg::config_error(main_file, "$.handlers.DKIM.x", "bad"), loaded);
    BOOST_TEST(kept.what() == main_file + ": $.handlers.DKIM.x: bad");
    BOOST_TEST(cfg::locate_handler_error(cfg::config_error(main_file, "$.debug", "bad"), loaded).file() ==
               main_file);
}

BOOST_AUTO_TEST_CASE(toml_is_refused_clearly)
{
    temp_prefix p;
    p.write("authentication_milter.toml", "connection = 'inet:1'");
    BOOST_TEST(error_of(p).find("TOML configuration is not supported") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(listen_address_forms)
{
    using cfg::listen_address;
    BOOST_TEST(listen_address::parse("inet:8893@localhost")->host == "localhost");
    BOOST_TEST(listen_address::parse("inet:8893")->host.empty());
    BOOST_TEST(listen_address::parse("inet6:25@[2001:db8::1]")->host == "2001:db8::1");
    BOOST_TEST(listen_address::parse("inet6:25@[2001:db8::1]")->to_string() == "inet:25@[2001:db8::1]");
    BOOST_TEST(listen_address::parse("unix:/run/x.sock")->path == "/run/x.sock");
    for(auto const* bad :
        {"inet:", "inet:0", "inet:70000", "inet:25@", "unix:relative", "tcp:25", "inet:2x5"})
        BOOST_TEST(!listen_address::parse(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
