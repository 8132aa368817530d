// Test helper: runs one awaitable to completion on a private io_context.
#ifndef AUTHMILTER_TEST_UNIT_SPF_RUN_HPP
#define AUTHMILTER_TEST_UNIT_SPF_RUN_HPP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace authmilter::spf::test {

template<class T>
T
run(boost::asio::awaitable<T> op)
{
    boost::asio::io_context ctx;
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(ctx, std::move(op), [&](std::exception_ptr e, T v) {
        error = e;
        if(!e)
            out = std::move(v);
    });
    ctx.run();
    if(error)
        std::rethrow_exception(error);
    return std::move(*out);
}

} // namespace authmilter::spf::test

#endif
