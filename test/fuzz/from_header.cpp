// Fuzz target: RFC 5322 address lists (From and friends) through core::parse_mailbox_list.
// Beyond "no crash, no out-of-bounds read" it checks what callers rely on: domains are
// normalised, decoded text cannot inject line breaks, addresses read back the same, and the
// DMARC helpers agree with the parse.
#include <authmilter/core/domain.hpp>
#include <authmilter/core/mailbox.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace core = authmilter::core;

namespace {

void
check(bool ok)
{
    if(!ok)
        std::abort();
}

bool
no_line_break(std::string_view s)
{
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void
check_domain(core::domain const& d)
{
    check(!d.empty());
    check(d.size() <= 253);
    check(d.str().front() != '.' && d.str().back() != '.');
    check(std::none_of(d.str().begin(), d.str().end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    for(auto label : d.labels())
        check(!label.empty() && label.size() <= 63);
    auto again = core::domain::parse(d.str());
    check(again.has_value() && *again == d && again->is_ascii() == d.is_ascii());
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    auto const r = core::parse_mailbox_list(input);

    // Deterministic.
    auto const r2 = core::parse_mailbox_list(input);
    check(r2.ec == r.ec && r2.mailboxes.size() == r.mailboxes.size());

    for(auto const& m : r.mailboxes) {
        check(no_line_break(m.display_name));
        check(no_line_break(m.local_part));
        check(m.domain.empty() || m.domain_literal.empty());
        if(!m.domain.empty())
            check_domain(m.domain);
        if(!m.domain_literal.empty())
            check(m.domain_literal.front() == '[' && m.domain_literal.back() == ']');

        // The address, written back in angle brackets, parses to the same mailbox.
        auto const back = core::parse_mailbox_list("<" + m.address() + ">");
        check(!back.ec && back.mailboxes.size() == 1);
        auto const& b = back.mailboxes.front();
        check(b.local_part == m.local_part);
        check(b.domain == m.domain);
        check(b.domain_literal == m.domain_literal);
    }

    auto const domains = core::from_domains(r);
    for(std::size_t i = 0; i < domains.size(); ++i) {
        check_domain(domains[i]);
        for(std::size_t j = 0; j < i; ++j)
            check(domains[i] != domains[j]);
        check(std::any_of(r.mailboxes.begin(), r.mailboxes.end(),
                          [&](core::mailbox const& m) { return m.domain == domains[i]; }));
    }

    auto const single = core::single_from_domain(r);
    if(single) {
        check(!r.ec);
        check(domains.size() == 1 && domains.front() == *single);
    }
    if(r.ec)
        check(!single);
    return 0;
}
