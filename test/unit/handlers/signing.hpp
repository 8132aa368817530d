// Signs test messages with our DKIM signer, for the DKIM and DMARC handler tests.
#ifndef AUTHMILTER_TEST_HANDLERS_SIGNING_HPP
#define AUTHMILTER_TEST_HANDLERS_SIGNING_HPP

#include <authmilter/dkim/signer.hpp>
#include <authmilter/pipeline/run.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace test_harness {

/// `message` (CRLF) with a DKIM-Signature for d=domain, s=selector prepended.
inline std::string
sign(std::string const& message, authmilter::dkim::private_key const& key, std::string domain,
     std::string selector)
{
    authmilter::dkim::sign_options opts;
    opts.domain = std::move(domain);
    opts.selector = std::move(selector);
    authmilter::dkim::signer s(key, std::move(opts));
    std::vector<authmilter::core::header_field> headers;
    std::string body;
    authmilter::pipeline::split_message(message, headers, body);
    for(auto& f : headers)
        s.on_header(std::move(f));
    s.on_body(body);
    auto field = s.finish();
    if(!field)
        throw std::runtime_error("signing failed: " + field.error().message());
    return field->name + ":" + field->raw_value + "\r\n" + message;
}

} // namespace test_harness

#endif
