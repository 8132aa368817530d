// Fuzz target: the SPF macro-string checker and expander. The first byte picks the mode and the
// client address family; the rest is the macro-string. Checks that check_macro_string() and
// expand_macros() agree on validity and that a valid domain-spec always expands.
#include <authmilter/spf/macro.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace spf = authmilter::spf;
    using authmilter::core::ip_address;
    if(size == 0)
        return 0;
    auto const selector = data[0];
    std::string_view const text(reinterpret_cast<char const*>(data + 1), size - 1);
    spf::macro_mode const mode = selector % 3 == 0   ? spf::macro_mode::domain_spec
                                 : selector % 3 == 1 ? spf::macro_mode::explanation
                                                     : spf::macro_mode::modifier;
    spf::macro_context ctx;
    ctx.sender = "strong-bad@email.example.com";
    ctx.local_part = "strong-bad";
    ctx.sender_domain = "email.example.com";
    ctx.domain = "email.example.com";
    ctx.ip = *ip_address::parse((selector & 4) ? "2001:db8::cb01" : "192.0.2.3");
    ctx.helo = "mx.example.org";
    ctx.validated = (selector & 8) ? "mx.example.org" : "";
    ctx.receiver = "receiver.example";
    ctx.timestamp = 1234567890;

    auto const err = spf::check_macro_string(text, mode);
    auto const out = spf::expand_macros(text, ctx, mode);
    if(err.has_value() == out.has_value())
        __builtin_trap();
    if(!spf::check_domain_spec(text) && !spf::expand_macros(text, ctx, spf::macro_mode::domain_spec))
        __builtin_trap();
    (void)spf::uses_macro_letter(text, 'p');
    return 0;
}
