// Test that header file is self-contained.
#include <authmilter/dkim/verify.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "print.hpp"

using namespace dkim_test;

namespace {

template<class Awaitable>
auto
run(Awaitable a)
{
    boost::asio::io_context io;
    std::vector<dkim::signature_result> out;
    boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, std::vector<dkim::signature_result> r) {
        if(e)
            std::rethrow_exception(e);
        out = std::move(r);
    });
    io.run();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dkim_verify)

BOOST_AUTO_TEST_CASE(verify_message_with_default_options)
{
    // Regression: a defaulted class-type parameter of the coroutine was corrupted by g++ 12.
    auto const key = *dkim::private_key::from_pem(generate_pem("ED25519"));
    dns::zone_resolver zone;
    zone.add_txt("s._domainkey.example.com", key_record_for(key));
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = "s";
    auto const msg = sign(sample_message, key, o);
    auto const r = run(dkim::verify_message(zone, msg));
    BOOST_REQUIRE(r.size() == 1u);
    BOOST_TEST(r[0].res == dkim::result::pass);
    BOOST_TEST(zone.query_count() == 1u);

    dkim::verify_options strict;
    strict.max_signatures = 0;
    auto const none = run(dkim::verify_message(zone, msg, strict));
    BOOST_REQUIRE(none.size() == 1u);
    BOOST_TEST(none[0].res == dkim::result::policy);
    BOOST_TEST(zone.query_count() == 1u); // no query for a signature over the limit
}

BOOST_AUTO_TEST_CASE(fetch_keys_answers_only_open_queries)
{
    auto const key = *dkim::private_key::from_pem(generate_pem("ED25519"));
    dns::zone_resolver zone;
    zone.add_txt("a._domainkey.example.com", key_record_for(key));
    zone.add_txt("b._domainkey.example.com", key_record_for(key));
    dkim::sign_options o;
    o.domain = "example.com";
    o.selector = "a";
    auto msg = sign(sample_message, key, o);
    o.selector = "b";
    msg = sign(msg, key, o);
    dkim::verifier v;
    auto parts = dkim::split_message(msg);
    for(auto& h : parts.headers)
        v.on_header(std::move(h));
    BOOST_REQUIRE(v.queries().size() == 2u);
    // The handler already answered the first one (the top signature, selector b), writing the
    // name in another case and with a trailing dot.
    BOOST_TEST(v.queries()[0].name == "b._domainkey.example.com");
    v.on_key("B._domainkey.Example.com.", zone.lookup("b._domainkey.example.com", dns::rr_type::txt));
    BOOST_TEST(v.answered(0));
    BOOST_TEST(!v.answered(1));
    boost::asio::io_context io;
    boost::asio::co_spawn(io, dkim::fetch_keys(v, zone), boost::asio::detached);
    io.run();
    BOOST_TEST(v.answered(1));
    BOOST_TEST(zone.query_count() == 2u);
    v.on_body(parts.body);
    auto const r = v.finish();
    BOOST_REQUIRE(r.size() == 2u);
    BOOST_TEST(r[0].res == dkim::result::pass);
    BOOST_TEST(r[1].res == dkim::result::pass);
}

BOOST_AUTO_TEST_SUITE_END()
