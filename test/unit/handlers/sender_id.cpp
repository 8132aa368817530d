// Test that header file is self-contained.
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/sender_id.hpp>
#include <authmilter/handlers/spf.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace h = authmilter::handlers;
using kind = h::pra_field::kind;

namespace {

using chain = authmilter::pipeline::pipeline<h::local_ip_handler, h::spf_handler, h::sender_id_handler>;

std::string
pra(std::vector<h::pra_field> const& f)
{
    return h::purported_responsible_address(f).value_or("<none>");
}

void
publish(test_harness::session<chain>& s)
{
    // example.net: both an spf2.0/pra record (only 192.0.2.1) and a v=spf1 one (the /24).
    s.zone.add_txt("example.net", "spf2.0/pra ip4:192.0.2.1 -all");
    s.zone.add_txt("example.net", "v=spf1 ip4:192.0.2.0/24 -all");
    // example.com: v=spf1 only, which Sender ID reads for the PRA too (RFC 4406 §3.4).
    s.zone.add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
    // mfrom-only spf2.0 does not apply to the PRA: the v=spf1 record does.
    s.zone.add_txt("example.org", "spf2.0/mfrom -all");
    s.zone.add_txt("example.org", "v=spf1 ip4:192.0.2.0/24 -all");
    // Two PRA records: a permerror.
    s.zone.add_txt("two.example", "spf2.0/pra +all");
    s.zone.add_txt("two.example", "spf2.0/mfrom,pra -all");
    s.txn.set_macro("j", "mx.example.org");
}

std::string
run(std::string const& headers, std::string const& ip = "192.0.2.1", std::string* received = nullptr,
    std::string const& config = "{}")
{
    test_harness::session<chain> s;
    publish(s);
    s.chain.configure(boost::json::parse(R"({"LocalIP": {}, "SenderID": )" + config + "}").as_object());
    s.connect(ip, "mail.example.com");
    s.message(headers + "\r\nbody\r\n", "bounce@elsewhere.example");
    if(received != nullptr)
        for(auto const& e : s.txn.edits())
            if(e.name == "Received-SPF")
                *received = e.value;
    auto const* r = s.find("senderid");
    if(r == nullptr)
        return "<no entry>";
    BOOST_TEST(r->properties.empty()); // the Perl tool writes the result only
    return r->value;
}

} // namespace

BOOST_AUTO_TEST_SUITE(handlers_sender_id)

BOOST_AUTO_TEST_CASE(pra_selection_rfc4407)
{
    // From alone.
    BOOST_TEST(pra({{kind::from, "Alice <alice@a.example>"}}) == "alice@a.example");
    // Sender beats From.
    BOOST_TEST(pra({{kind::from, "alice@a.example"}, {kind::sender, "sec@s.example"}}) == "sec@s.example");
    // Resent-From beats Sender.
    BOOST_TEST(
        pra({{kind::resent_from, "list@r.example"}, {kind::trace, ""}, {kind::sender, "sec@s.example"}}) ==
        "list@r.example");
    // Resent-Sender beats Resent-From in the same (newest) resent block.
    BOOST_TEST(pra({{kind::resent_sender, "rs@r.example"},
                    {kind::resent_from, "rf@r.example"},
                    {kind::from, "alice@a.example"}}) == "rs@r.example");
    BOOST_TEST(pra({{kind::resent_from, "rf@r.example"}, {kind::resent_sender, "rs@r.example"}}) ==
               "rs@r.example");
    // ...but not when a trace field separates it from an earlier Resent-From (older block).
    BOOST_TEST(pra({{kind::resent_from, "rf@new.example"},
                    {kind::trace, ""},
                    {kind::resent_sender, "rs@old.example"}}) == "rf@new.example");
    // Empty fields are skipped.
    BOOST_TEST(pra({{kind::resent_sender, "  "}, {kind::sender, ""}, {kind::from, "alice@a.example"}}) ==
               "alice@a.example");
    // Ill-formed: two Senders, two Froms, several mailboxes, no domain, nothing at all.
    BOOST_TEST(pra({{kind::sender, "a@x.example"}, {kind::sender, "b@y.example"}}) == "<none>");
    BOOST_TEST(pra({{kind::from, "a@x.example"}, {kind::from, "b@y.example"}}) == "<none>");
    BOOST_TEST(pra({{kind::from, "a@x.example, b@y.example"}}) == "<none>");
    BOOST_TEST(pra({{kind::from, "<user>"}}) == "<none>");
    BOOST_TEST(pra({}) == "<none>");
}

BOOST_AUTO_TEST_CASE(spf2_pra_record_is_preferred)
{
    std::string received;
    BOOST_TEST(run("From: alice@example.net\r\n", "192.0.2.1", &received) == "pass");
    BOOST_TEST(received ==
               "pass (example.net: 192.0.2.1 is authorized to use 'alice@example.net' in 'pra' identity "
               "(mechanism 'ip4:192.0.2.1' matched)) receiver=mx.example.org; identity=pra; "
               "pra=\"alice@example.net\"; helo=mail.example.com; client-ip=192.0.2.1");
    // 192.0.2.2 passes v=spf1 but not the spf2.0/pra record, which wins.
    BOOST_TEST(run("From: alice@example.net\r\n", "192.0.2.2", &received) == "fail");
    BOOST_TEST(received.starts_with("fail (example.net: Sender is not authorized by default to use "
                                    "'alice@example.net' in 'pra' identity"));
}

BOOST_AUTO_TEST_CASE(v_spf1_is_the_fallback)
{
    BOOST_TEST(run("From: bob@example.com\r\n", "192.0.2.9") == "pass");
    BOOST_TEST(run("From: bob@example.com\r\n", "198.51.100.1") == "fail");
    BOOST_TEST(run("From: carol@example.org\r\n", "192.0.2.9") == "pass"); // spf2.0/mfrom ignored
}

BOOST_AUTO_TEST_CASE(the_pra_is_checked_not_the_from)
{
    // Sender: names example.com, which authorizes 192.0.2.9; the From's example.net does not.
    BOOST_TEST(run("From: alice@example.net\r\nSender: bob@example.com\r\n", "192.0.2.9") == "pass");
}

BOOST_AUTO_TEST_CASE(errors_none_and_hide_none)
{
    BOOST_TEST(run("From: a@x.example, b@y.example\r\n") == "permerror"); // no PRA
    BOOST_TEST(run("Subject: no from\r\n") == "permerror");
    BOOST_TEST(run("From: dave@two.example\r\n") == "permerror"); // two spf2.0/pra records
    // No record at all: none, hidden by default (hide_none 1), shown with hide_none 0.
    std::string received;
    BOOST_TEST(run("From: eve@norecord.example\r\n", "192.0.2.1", &received) == "<no entry>");
    BOOST_TEST(received.empty());
    BOOST_TEST(run("From: eve@norecord.example\r\n", "192.0.2.1", &received, R"({"hide_none": 0})") ==
               "none");
    BOOST_TEST(received.starts_with("none "));
}

BOOST_AUTO_TEST_CASE(local_clients_are_skipped)
{
    BOOST_TEST(run("From: alice@example.net\r\n", "127.0.0.1") == "<no entry>");
}

BOOST_AUTO_TEST_CASE(off_unless_configured)
{
    test_harness::session<chain> s;
    publish(s);
    s.chain.configure(boost::json::parse(R"({"LocalIP": {}})").as_object());
    s.connect("192.0.2.1", "mail.example.com");
    s.message("From: alice@example.net\r\n\r\nbody\r\n", "bounce@elsewhere.example");
    BOOST_TEST(s.find("senderid") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
