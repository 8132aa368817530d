// Fuzz target: the DMARC record parser, the report URI parser and the tag validator. Besides
// "no crash, no UB", it checks one property: a parsed record's canonical text parses again to
// the same tags, so nothing the parser accepts is lost or changed by to_string().
#include <authmilter/dmarc/record.hpp>
#include <authmilter/dmarc/report_uri.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace dmarc = authmilter::dmarc;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    for(bool lenient : {false, true}) {
        dmarc::parse_options opt;
        opt.version_case_insensitive = lenient;
        auto const r = dmarc::parse_record(text, opt);
        if(!r)
            continue;
        (void)dmarc::usability(*r, dmarc::spec::rfc9989);
        (void)dmarc::usability(*r, dmarc::spec::rfc7489);
        auto const again = dmarc::parse_record(r->to_string(), opt);
        if(!again || again->tags() != r->tags() || !again->errors.empty())
            __builtin_trap();
    }
    (void)dmarc::parse_report_uri_list(text);
    if(auto const eq = text.find('='); eq != std::string_view::npos)
        (void)dmarc::is_valid_tag_value(text.substr(0, eq), text.substr(eq + 1));
    return 0;
}
