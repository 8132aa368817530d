// The "use it alone" program of doc/spf.md, kept compiling and checked here.
#include <authmilter/dns/zone_resolver.hpp>
#include <authmilter/spf/check_host.hpp>
#include <authmilter/spf/received_spf.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace spf = authmilter::spf;

namespace {

boost::asio::awaitable<void>
doc_example(authmilter::dns::zone_resolver& zone, std::string& header)
{
    auto const client = *authmilter::core::ip_address::parse("192.0.2.1");
    // A named options object: g++ 12 destroys a braced temporary inside a co_await expression twice.
    spf::options const opts;
    auto r = co_await spf::verify_mailfrom(zone, client, "marc@example.net", "mail.example.com", opts);
    spf::check_info info{spf::scope::mfrom, "marc@example.net", "mail.example.com", client, "mx.example.org"};
    header = "Received-SPF: " + spf::wrap_received_spf(spf::received_spf_field(r, info));
}

} // namespace

BOOST_AUTO_TEST_SUITE(spf_example)

BOOST_AUTO_TEST_CASE(doc_program)
{
    authmilter::dns::zone_resolver zone;
    zone.add_txt("example.net", "v=spf1 ip4:192.0.2.0/24 -all");
    std::string header;
    boost::asio::io_context ctx;
    boost::asio::co_spawn(ctx, doc_example(zone, header), boost::asio::detached);
    ctx.run();
    BOOST_TEST(header ==
               "Received-SPF: pass\n"
               "    (example.net: 192.0.2.1 is authorized to use 'marc@example.net' in 'mfrom' identity "
               "(mechanism 'ip4:192.0.2.0/24' matched))\n"
               "    receiver=mx.example.org;\n"
               "    identity=mailfrom;\n"
               "    envelope-from=\"marc@example.net\";\n"
               "    helo=mail.example.com;\n"
               "    client-ip=192.0.2.1");
}

BOOST_AUTO_TEST_SUITE_END()
