// Test that header file is self-contained.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/pipeline/pipeline.hpp>
#include <authmilter/sinks/authres_sink.hpp>

#include <boost/test/unit_test.hpp>

namespace pl = authmilter::pipeline;
namespace ar = authmilter::authres;
using authmilter::sinks::authres_sink;

namespace {

struct nothing {
    static constexpr std::string_view name = "Nothing";
};
using chain = pl::pipeline<nothing>;
using txn_type = pl::transaction<chain, authmilter::dns::zone_resolver, ar::result>;

struct fixture {
    chain p;
    authmilter::dns::zone_resolver z;
    txn_type txn{p, z};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(sinks_authres, fixture)

BOOST_AUTO_TEST_CASE(sorted_entries_in_the_perl_default_style)
{
    txn.set_macro("j", "mx.example.org");
    ar::result spf("spf", "pass");
    spf.add_property("smtp", "mailfrom", "marc@example.net").add_property("smtp", "helo", "mail.example.com");
    txn.results().push_back(spf);
    ar::result iprev("iprev", "pass");
    iprev.add_property("smtp", "remote-ip", "192.0.2.1", "mail.example.com");
    txn.connection_results().push_back(iprev);
    txn.results().push_back(ar::result("dkim", "none"));

    authres_sink sink;
    sink.on_eom(txn);
    BOOST_REQUIRE_EQUAL(txn.edits().size(), 1u);
    auto const& e = txn.edits()[0];
    BOOST_TEST((e.what == pl::header_edit::kind::insert));
    BOOST_TEST(e.index == 1u);
    BOOST_TEST(e.name == "Authentication-Results");
    BOOST_TEST(e.value == "mx.example.org;\n"
                          "    dkim=none;\n"
                          "    iprev=pass smtp.remote-ip=192.0.2.1 (mail.example.com);\n"
                          "    spf=pass smtp.mailfrom=marc@example.net smtp.helo=mail.example.com");
}

BOOST_AUTO_TEST_CASE(configured_authserv_id_wins_and_no_results_means_no_header)
{
    authres_sink sink({"auth.example.com", {}});
    txn.set_macro("j", "mx.example.org");
    sink.on_eom(txn);
    BOOST_TEST(txn.edits().empty());
    txn.results().push_back(ar::result("x-local-ip", "pass"));
    sink.on_eom(txn);
    BOOST_REQUIRE_EQUAL(txn.edits().size(), 1u);
    BOOST_TEST(txn.edits()[0].value == "auth.example.com;\n    x-local-ip=pass");
}

BOOST_AUTO_TEST_CASE(dmarc_entries_sort_by_result_then_disposition)
{
    auto dmarc = [](std::string v, std::string disp) {
        ar::result r("dmarc", std::move(v));
        r.add_property("policy", "applied-disposition", std::move(disp));
        return r;
    };
    txn.results() = {dmarc("pass", "none"), dmarc("fail", "none"), dmarc("fail", "reject"),
                     dmarc("none", "none")};
    authres_sink sink({"mx", {}});
    auto const v = sink.header_value(txn);
    auto const fr = v.find("dmarc=fail policy.applied-disposition=reject");
    auto const fn = v.find("dmarc=fail policy.applied-disposition=none");
    auto const nn = v.find("dmarc=none");
    auto const pn = v.find("dmarc=pass");
    BOOST_TEST(fr < fn);
    BOOST_TEST(fn < nn);
    BOOST_TEST(nn < pn);
}

BOOST_AUTO_TEST_CASE(quarantine_adds_disposition_header)
{
    txn.results().push_back(ar::result("dmarc", "fail"));
    txn.set_verdict(pl::verdict::quarantine("DMARC policy quarantine"));
    authres_sink sink({"mx", {}});
    sink.on_eom(txn);
    BOOST_REQUIRE_EQUAL(txn.edits().size(), 2u);
    BOOST_TEST(txn.edits()[1].name == "X-Disposition-Quarantine");
    BOOST_TEST(txn.edits()[1].value == "DMARC policy quarantine");
}

BOOST_AUTO_TEST_CASE(full_style_and_sink_set)
{
    authres_sink::options o{"mx", {}};
    o.format.style = ar::fold_style::none;
    authmilter::sinks::sink_set<authres_sink> sinks{authres_sink(o)};
    txn.results().push_back(ar::result("spf", "pass"));
    txn.results().push_back(ar::result("dkim", "pass"));
    sinks.on_eom(txn);
    BOOST_REQUIRE_EQUAL(txn.edits().size(), 1u);
    BOOST_TEST(txn.edits()[0].value == "mx; dkim=pass; spf=pass");
}

BOOST_AUTO_TEST_SUITE_END()
