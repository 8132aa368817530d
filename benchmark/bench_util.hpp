// Helpers shared by the benchmark programs: key generation and running a coroutine to completion.
#ifndef AUTHMILTER_BENCHMARK_BENCH_UTIL_HPP
#define AUTHMILTER_BENCHMARK_BENCH_UTIL_HPP

#include <authmilter/dkim/crypto.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace bench {

/// A fresh private key as PEM: "RSA" with `bits`, or "ED25519".
inline std::string
generate_pem(char const* type, unsigned bits = 2048)
{
    EVP_PKEY* k = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{bits})
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    if(!k)
        throw std::runtime_error("keygen failed");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    auto const len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(k);
    return pem;
}

/// Runs `op` on a private io_context and rethrows what it threw.
template<class F>
void
run(boost::asio::io_context& io, F f)
{
    std::exception_ptr error;
    boost::asio::co_spawn(io, f(), [&](std::exception_ptr e) { error = e; });
    io.restart();
    io.run();
    if(error)
        std::rethrow_exception(error);
}

} // namespace bench

#endif
