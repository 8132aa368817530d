// Fuzz target: the DMARC record parser, the report URI parser and the tag validator. Besides
// "no crash, no UB", it checks one property: a parsed record's canonical text parses again to
// the same tags, so nothing the parser accepts is lost or changed by to_string(). The same
// bytes also go through punycode (decode(encode(x)) == x) and a Public Suffix List lookup (the
// registrable domain is a suffix of the input), the other parsers of hostile text in dmarc/.
#include <authmilter/dmarc/public_suffix_list.hpp>
#include <authmilter/dmarc/punycode.hpp>
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
    namespace puny = dmarc::punycode;
    if(auto const cps = puny::utf8_decode(text)) {
        if(auto const enc = puny::encode(*cps)) {
            auto const dec = puny::decode(*enc);
            if(!dec || *dec != *cps)
                __builtin_trap();
        }
    }
    (void)puny::to_unicode(text);
    static auto const psl = dmarc::public_suffix_list::parse("com\nuk\nco.uk\n*.ck\n!www.ck\n"
                                                             "xn--55qx5d.cn\ncn\n");
    if(auto const reg = psl.registrable_domain(text)) {
        auto lower = dmarc::detail::to_lower(text);
        if(!lower.empty() && lower.back() == '.')
            lower.pop_back();
        if(reg->size() > lower.size() || lower.compare(lower.size() - reg->size(), reg->size(), *reg) != 0)
            __builtin_trap();
    }
    // the input as a list file, queried with a few names
    auto const own = dmarc::public_suffix_list::parse(text);
    for(auto const* name : {"a.b.example.com", "www.ck", "xn--85x722f.xn--55qx5d.cn"})
        (void)own.organizational_domain(name), (void)own.is_listed(name);
    return 0;
}
