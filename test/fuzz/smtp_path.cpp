// Fuzz target: MAIL FROM / RCPT TO arguments through core::parse_reverse_path and
// core::parse_forward_path, both as one string and in the milter form (path and parameters as
// separate strings, here split at NUL bytes). Checks normalised domains, the absence of line
// breaks in decoded parts, that addresses read back the same, and that the two path kinds
// differ only on the null path.
#include <authmilter/core/domain.hpp>
#include <authmilter/core/smtp_path.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace core = authmilter::core;

namespace {

void
check(bool ok)
{
    if(!ok)
        std::abort();
}

void
check_path(core::smtp_path const& p)
{
    check(p.local_part.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    if(p.is_null) {
        check(p.local_part.empty() && p.domain.empty() && !p.address_literal);
        check(p.address().empty());
    }
    check(p.domain.empty() || !p.address_literal);
    if(!p.domain.empty()) {
        auto const& d = p.domain.str();
        check(d.size() <= 253 && d.front() != '.' && d.back() != '.');
        check(std::none_of(d.begin(), d.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
        for(auto label : p.domain.labels())
            check(!label.empty() && label.size() <= 63);
    }
    for(auto const& param : p.params) {
        check(core::parse_esmtp_param(param.value.empty() ? param.keyword : param.keyword + "=" + param.value)
                  .has_value());
        check(p.find_param(param.keyword) != nullptr);
    }
    if(!p.is_null) {
        auto const back = core::parse_reverse_path("<" + p.address() + ">");
        check(back.has_value());
        check(back->local_part == p.local_part);
        check(back->domain == p.domain);
        check(back->address_literal == p.address_literal);
        check(!back->is_null);
        check(back->params.empty());
    }
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const input(reinterpret_cast<char const*>(data), size);

    auto const mail = core::parse_reverse_path(input);
    auto const rcpt = core::parse_forward_path(input);
    if(mail)
        check_path(*mail);
    if(rcpt) {
        check_path(*rcpt);
        check(!rcpt->is_null);
        check(mail && mail->address() == rcpt->address() && mail->params == rcpt->params);
    } else if(mail && !mail->is_null) {
        std::abort(); // only the null path separates the two kinds
    }

    // Milter form: "path\0param\0param".
    std::vector<std::string_view> parts;
    for(std::string_view rest = input;;) {
        auto const nul = rest.find('\0');
        parts.push_back(rest.substr(0, nul));
        if(nul == std::string_view::npos)
            break;
        rest.remove_prefix(nul + 1);
    }
    std::vector<std::string_view> const params(parts.begin() + 1, parts.end());
    auto const split = core::parse_reverse_path(parts.front(), params);
    if(split) {
        check_path(*split);
        auto const alone = core::parse_reverse_path(parts.front());
        check(alone.has_value() && alone->address() == split->address());
        check(split->params.size() >= alone->params.size());
    }
    return 0;
}
