// Our milter driven by miltertest (Debian package `miltertest`, from OpenDKIM), libmilter's
// own client: Lua scripts negotiate, send connect, HELO, MAIL, RCPT, headers, end of headers,
// body and end of message, then check with mt.eom_check what the milter asked for. The milter is
// a milter::server in this process (support/milter_verdict_server.hpp) whose handler picks the
// verdict from the recipient: accept with an inserted Authentication-Results field, a 550 with
// our text, a 451, a quarantine with our reason, a discard, and two messages on one connection.
#define BOOST_TEST_MODULE integration_milter_miltertest
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "support/milter_verdict_server.hpp"
#include "support/process.hpp"

namespace t = authmilter::test;
using namespace std::chrono_literals;

namespace {

std::string const miltertest = t::find_program({"/usr/bin/miltertest", "/usr/sbin/miltertest"});

// Shared by every script: connect and walk one message up to end of message. `rcpt` picks the
// verdict. Each step must succeed; replies to reply-less stages are not checked.
std::string const prelude = R"LUA(
-- miltertest prints nothing for a Lua error: say it, then fail (the exit status is then 1).
function fail(what)
    mt.echo("FAIL: " .. what)
    error(what)
end
function check(r, what)
    if r ~= nil then fail(what .. ": " .. tostring(r)) end
end
function open()
    local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 10, 0.2)
    if conn == nil then fail("mt.connect() failed") end
    -- libmilter's offer (every action, every protocol flag) minus SMFIP_NR_DATA (0x10000):
    -- miltertest 2.11 does not know it and would wait for an answer to DATA.
    check(mt.negotiate(conn, 6, 0x1ff, 0x1fffff - 0x10000), "negotiate")
    check(mt.macro(conn, SMFIC_CONNECT, "j", "mx.miltertest.test", "{daemon_name}", "mt"), "macro connect")
    check(mt.conninfo(conn, "client.example.test", "127.0.0.1"), "conninfo")
    check(mt.helo(conn, "client.example.test"), "helo")
    return conn
end
function message(conn, rcpt, id)
    check(mt.macro(conn, SMFIC_MAIL, "i", id), "macro mail")
    check(mt.mailfrom(conn, "<alice@example.test>", "SIZE=100"), "mailfrom")
    check(mt.rcptto(conn, "<" .. rcpt .. "@rcpt.example.test>"), "rcptto")
    check(mt.header(conn, "From", "<alice@example.test>"), "header From")
    check(mt.header(conn, "Subject", "miltertest " .. rcpt), "header Subject")
    check(mt.eoh(conn), "eoh")
    check(mt.bodystring(conn, "Hello from miltertest.\r\n"), "body")
    check(mt.eom(conn), "eom")
end
)LUA";

struct script_result {
    int status = -1;
    std::string output;
};

script_result
run_script(std::string const& body, unsigned short port)
{
    t::temp_dir dir("authmilter-miltertest-");
    t::write_file(dir / "test.lua", prelude + body);
    auto const out = dir / "out.txt";
    script_result r;
    r.status = t::run_program(
        {miltertest, "-vv", "-D", "port=" + std::to_string(port), "-s", (dir / "test.lua").string()}, out,
        30s);
    r.output = t::read_file(out);
    return r;
}

void
require_miltertest()
{
    BOOST_REQUIRE_MESSAGE(
        !miltertest.empty(),
        "miltertest is not installed: run scripts/install-deps.sh (Debian package 'miltertest')");
}

} // namespace

BOOST_AUTO_TEST_CASE(accept_inserts_our_header_at_index_1)
{
    require_miltertest();
    t::verdict_server milter;
    auto const r = run_script(R"LUA(
local conn = open()
message(conn, "bob", "QID1")
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("eom: not continue") end
local want = "verdict.authmilter.test; x-verdict=pass (queue id QID1) smtp.helo=client.example.test"
if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results", want, 1) then
    fail("no Authentication-Results at index 1: [" .. tostring(mt.getheader(conn, "Authentication-Results", 0)) .. "]")
end
if mt.eom_check(conn, MT_HDRADD) then fail("an appended header field") end
if mt.eom_check(conn, MT_QUARANTINE) then fail("quarantined") end
-- A second message on the same connection gets its own queue id.
message(conn, "carol", "QID2")
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("second eom: not continue") end
if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results",
        "verdict.authmilter.test; x-verdict=pass (queue id QID2) smtp.helo=client.example.test", 1) then
    fail("second message: wrong Authentication-Results")
end
check(mt.disconnect(conn), "disconnect")
mt.echo("accept: ok")
)LUA",
                              milter.port());
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.find("accept: ok") != std::string::npos, r.output);
    BOOST_TEST(milter.counters().messages.load() == 2);
    BOOST_TEST(milter.counters().headers.load() == 4); // From and Subject, twice
    BOOST_TEST(milter.counters().body_bytes.load() == 2 * std::string("Hello from miltertest.\r\n").size());
    BOOST_TEST(t::wait_until([&] { return milter.counters().closes.load() == 1; }, 5s));
}

BOOST_AUTO_TEST_CASE(reject_tempfail_quarantine_discard)
{
    require_miltertest();
    t::verdict_server milter;
    auto const r = run_script(R"LUA(
local conn = open()
message(conn, "reject", "QR")
if mt.getreply(conn) ~= SMFIR_REPLYCODE then fail("reject: not a reply code") end
if not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "Rejected by the authmilter verdict test") then
    fail("reject: wrong SMTP reply")
end
check(mt.disconnect(conn), "disconnect")

conn = open()
message(conn, "tempfail", "QT")
if mt.getreply(conn) ~= SMFIR_REPLYCODE then fail("tempfail: not a reply code") end
if not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", "Deferred by the authmilter verdict test") then
    fail("tempfail: wrong SMTP reply")
end
check(mt.disconnect(conn), "disconnect")

conn = open()
message(conn, "quarantine", "QQ")
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("quarantine: not continue") end
if not mt.eom_check(conn, MT_QUARANTINE, "Held by the authmilter verdict test") then
    fail("quarantine: no quarantine with our reason")
end
if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results") then fail("quarantine: no header") end

message(conn, "discard", "QD")
if mt.getreply(conn) ~= SMFIR_DISCARD then fail("discard: not discard") end
check(mt.disconnect(conn), "disconnect")
mt.echo("verdicts: ok")
)LUA",
                              milter.port());
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.find("verdicts: ok") != std::string::npos, r.output);
    BOOST_TEST(milter.counters().messages.load() == 4);
    BOOST_TEST(milter.counters().connections.load() == 3);
}

// The script's own failure must fail the test (miltertest exits non-zero): the harness can fail.
BOOST_AUTO_TEST_CASE(a_wrong_expectation_fails)
{
    require_miltertest();
    t::verdict_server milter;
    auto const r = run_script(R"LUA(
local conn = open()
message(conn, "reject", "QX")
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("expected failure: the milter rejected") end
)LUA",
                              milter.port());
    BOOST_TEST(r.status != 0, r.output);
    BOOST_TEST(r.output.find("expected failure: the milter rejected") != std::string::npos, r.output);
}
