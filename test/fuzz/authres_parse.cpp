// Fuzz target: any input is parsed or refused without crashing or throwing. What parses must format
// in every style (with and without strict quotes), with no line over the 998-octet cap, and parse back
// to the same model (unless a value too long for a line had to be cut, which changes it by design).
#include <authmilter/authres/format.hpp>
#include <authmilter/authres/order.hpp>
#include <authmilter/authres/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void
check_lines(std::string const& text, authmilter::authres::format_options const& o)
{
    std::size_t start = 0;
    bool first = true;
    for(;;) {
        std::size_t const end = text.find(o.eol, start);
        std::size_t const len = (end == std::string::npos ? text.size() : end) - start;
        if(len + (first ? o.first_line_offset : 0) > o.max_line_length)
            std::abort(); // a line over the cap
        if(!first) {
            // A continuation line starts with whitespace and is not whitespace only.
            std::string_view const line(text.data() + start, len);
            if(line.empty() || (line[0] != ' ' && line[0] != '\t'))
                std::abort();
            if(line.find_first_not_of(" \t") == std::string_view::npos)
                std::abort();
        }
        if(end == std::string::npos)
            break;
        start = end + o.eol.size();
        first = false;
    }
    // Line breaks only as the chosen EOL: no bare CR or LF inside.
    std::size_t bare = 0;
    for(char c : text)
        if(c == '\n' || c == '\r' || c == '\0')
            ++bare;
    std::size_t eols = 0;
    for(std::size_t p = text.find(o.eol); p != std::string::npos; p = text.find(o.eol, p + o.eol.size()))
        ++eols;
    if(bare != eols * o.eol.size())
        std::abort();
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace ar = authmilter::authres;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto parsed = ar::parse(text);
    if(!parsed) {
        if(parsed.error().message().empty())
            std::abort(); // every refusal has a reason
        return 0;
    }
    if(parsed->authserv_id.empty())
        std::abort(); // an accepted header always names its authserv-id

    static constexpr ar::fold_style styles[] = {ar::fold_style::none, ar::fold_style::entry,
                                                ar::fold_style::subentry, ar::fold_style::full};
    for(auto style : styles) {
        for(bool strict : {false, true}) {
            ar::format_options o;
            o.style = style;
            o.strict_quotes = strict;
            if(strict)
                o.eol = "\r\n";
            if(size % 3 == 0)
                o.fold_at = 20 + size % 60;
            auto out = ar::format(*parsed, o);
            check_lines(out.text, o);
            auto again = ar::parse(out.text);
            if(!again)
                std::abort(); // what we write must parse
            if(!out.hard_wrapped && !(*again == *parsed))
                std::abort(); // and give back the same model
        }
    }
    auto results = parsed->results;
    ar::sort_results(results);
    if(results.size() != parsed->results.size())
        std::abort();
    return 0;
}
