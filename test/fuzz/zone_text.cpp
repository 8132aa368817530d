// Fuzz target: zone text must be accepted or refused with a line number, never crash or throw.
#include <authmilter/dns/zone_text.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    using namespace authmilter::dns;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    zone_resolver zone;
    zone_error err;
    if(load_zone_text(zone, text, err)) {
        // Whatever was accepted must be answerable.
        (void)zone.lookup("example.com", rr_type::txt);
        (void)zone.lookup("a.example.com", rr_type::a);
    } else if(err.line == 0 || err.message.empty()) {
        std::abort(); // every refusal names a line and a reason
    }
    return 0;
}
