// Test that header file is self-contained.
#include <authmilter/app/check_mode.hpp>
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/handlers/add_id.hpp>
#include <authmilter/handlers/auth.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/trusted_ip.hpp>
#include <authmilter/pipeline/pipeline.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace app = authmilter::app;
namespace h = authmilter::handlers;
namespace pl = authmilter::pipeline;

namespace {

/// A handler that fails (throws) or decides at end of message, as its config says.
struct decider_handler {
    static constexpr std::string_view name = "Decider";
    std::string what = "throw";
    void configure(boost::json::value const& v)
    {
        if(auto const* w = v.as_object().if_contains("what"))
            what = std::string(w->as_string());
    }
    void on_eom(auto& ctx, pl::events::eom const&) const
    {
        if(what == "throw")
            throw std::runtime_error("broken on purpose");
        if(what == "reject")
            ctx.set_verdict(pl::verdict::reject(550, "5.7.1", "Go away"));
        else if(what == "quarantine")
            ctx.set_verdict(pl::verdict::quarantine("Suspicious"));
        else if(what == "discard")
            ctx.set_verdict(pl::verdict::discard());
    }
};

using chain = pl::pipeline<h::auth_handler, h::local_ip_handler, h::trusted_ip_handler, decider_handler,
                           h::add_id_handler>;

struct result {
    int status;
    std::string out, err;
};

/// `--check` of a small message with the given global keys and Decider section.
result
check(std::string const& globals, std::string const& decider, std::string const& ip,
      std::vector<std::pair<std::string, std::string>> macros = {})
{
    auto const dir = std::filesystem::temp_directory_path() /
                     ("authmilter-check-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    auto const file = dir / "m.eml";
    std::ofstream(file, std::ios::binary) << "From: a@example.org\r\nSubject: t\r\n\r\nbody\r\n";
    std::vector<std::string> warnings;
    auto const root = boost::json::parse(R"({"connection":"inet:1",)" + globals +
                                         R"("handlers":{"Auth":{},"LocalIP":{},"AddID":{},)"
                                         R"("TrustedIP":{"trusted_ip_list":["203.0.113.0/24"]},"Decider":)" +
                                         decider + "}}")
                          .as_object();
    auto const cfg = authmilter::config::parse_daemon_config("test.json", root, warnings);
    chain p;
    app::configure_pipeline(p, cfg, "test.json");
    authmilter::dns::zone_resolver zone;
    app::command_line::check_options o;
    o.file = file.string();
    o.ip = ip;
    o.from = "a@example.org";
    o.rcpts = {"b@example.net"};
    o.macros = std::move(macros);
    o.macros.emplace_back("j", "mx.example.net");
    std::ostringstream out, err;
    int const status = app::run_check(p, zone, cfg, o, out, err);
    std::filesystem::remove_all(dir);
    return {status, out.str(), err.str()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_check_mode)

BOOST_AUTO_TEST_CASE(exit_status_per_verdict)
{
    auto r = check("", R"({"what":"none"})", "198.51.100.1");
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.find("X-Authentication-Milter: Header added by Authentication Milter") !=
               std::string::npos);
    BOOST_TEST(r.out.find("body") != std::string::npos);

    r = check("", R"({"what":"reject"})", "198.51.100.1");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out == "550 5.7.1 Go away\n"); // the SMTP reply instead of the message

    r = check("", R"({"what":"quarantine"})", "198.51.100.1");
    BOOST_TEST(r.status == 3);
    BOOST_TEST(r.out.find("X-Disposition-Quarantine: Suspicious") != std::string::npos);

    r = check("", R"({"what":"discard"})", "198.51.100.1");
    BOOST_TEST(r.status == 4);
    BOOST_TEST(r.out == "discarded\n");

    // A failing handler tempfails (tempfail_on_error defaults to 1) and is reported.
    r = check("", R"({"what":"throw"})", "198.51.100.1");
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.out == "451 4.7.1 Temporary error while checking the message\n");
    BOOST_TEST(r.err.find("Decider eom: broken on purpose") != std::string::npos, r.err);

    // dryrun: the message is printed as received, nothing added.
    r = check(R"("dryrun":1,)", R"({"what":"none"})", "198.51.100.1");
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.find("X-Authentication-Milter") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tempfail_on_error_variants)
{
    std::string const fail = R"({"what":"throw"})";
    // Plain connections: tempfail_on_error.
    BOOST_TEST(check(R"("tempfail_on_error":0,)", fail, "198.51.100.1").status == 0);
    BOOST_TEST(check(R"("tempfail_on_error":1,)", fail, "198.51.100.1").status == 2);
    // Local (LocalIP): tempfail_on_error_local, default 0, whatever tempfail_on_error says.
    BOOST_TEST(check(R"("tempfail_on_error":1,)", fail, "127.0.0.1").status == 0);
    BOOST_TEST(check(R"("tempfail_on_error":0,"tempfail_on_error_local":1,)", fail, "127.0.0.1").status == 2);
    // Trusted (TrustedIP): tempfail_on_error_trusted.
    BOOST_TEST(check(R"("tempfail_on_error":1,)", fail, "203.0.113.5").status == 0);
    BOOST_TEST(check(R"("tempfail_on_error":0,"tempfail_on_error_trusted":1,)", fail, "203.0.113.5").status ==
               2);
    // Authenticated (Auth, from the {auth_authen} macro): tempfail_on_error_authenticated...
    std::vector<std::pair<std::string, std::string>> const auth{{"{auth_authen}", "alice"}};
    BOOST_TEST(check(R"("tempfail_on_error":1,)", fail, "198.51.100.1", auth).status == 0);
    BOOST_TEST(check(R"("tempfail_on_error_authenticated":1,)", fail, "198.51.100.1", auth).status == 2);
    // ...which decides first, even for a local client.
    BOOST_TEST(check(R"("tempfail_on_error_local":1,)", fail, "127.0.0.1", auth).status == 0);
    BOOST_TEST(check(R"("tempfail_on_error_authenticated":1,)", fail, "127.0.0.1", auth).status == 2);
}

BOOST_AUTO_TEST_CASE(ip_map_applies_in_check_mode)
{
    // 10.0.0.0/8 is local, but mapped to an outside address it is checked like one.
    auto const r =
        check(R"("ip_map":{"10.0.0.0/8":{"ip":"198.51.100.1"}},)", R"({"what":"throw"})", "10.1.1.1");
    BOOST_TEST(r.status == 2);
    BOOST_TEST(check("", R"({"what":"throw"})", "10.1.1.1").status == 0);
}

BOOST_AUTO_TEST_SUITE_END()
