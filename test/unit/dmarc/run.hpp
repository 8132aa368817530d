// Helpers shared by the DMARC unit tests: run a coroutine to completion on a private
// io_context, and build zones tersely.
#ifndef AUTHMILTER_TEST_UNIT_DMARC_RUN_HPP
#define AUTHMILTER_TEST_UNIT_DMARC_RUN_HPP

#include <authmilter/dns/zone_resolver.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <string>

namespace dmarc_test {

template<class T>
T
run(boost::asio::awaitable<T> aw)
{
    boost::asio::io_context io;
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
        error = e;
        if(!e)
            out = std::move(v);
    });
    io.run();
    if(error)
        std::rethrow_exception(error);
    return std::move(*out);
}

inline void
add_mx(authmilter::dns::zone_resolver& z, std::string const& name)
{
    z.add(authmilter::dns::record{name, authmilter::dns::rr_type::mx, 300,
                                  authmilter::dns::mx_data{10, "mx." + name}});
}

} // namespace dmarc_test

#endif
