// Fuzz target: the inbound SMTP framing and command parsers. Bytes are fed in two pieces split
// at a point taken from the input, and the events must equal those of one piece; every command
// line also goes through the command, XFORWARD and MAIL/RCPT parsers.
#include <authmilter/smtp/command.hpp>
#include <authmilter/smtp/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

std::string
run(std::string_view a, std::string_view b)
{
    namespace smtp = authmilter::smtp;
    smtp::parser_options o;
    o.max_command_line = 64;
    o.max_message_size = 256;
    smtp::parser p(o);
    std::string out, data;
    for(auto piece : {a, b}) {
        p.feed(piece);
        while(true) {
            auto ev = p.next();
            using k = smtp::parser::event::kind;
            if(ev.what == k::need_more) {
                if(p.awaiting_data_decision()) {
                    // Alternate between accepting and refusing DATA.
                    if(out.size() % 2 == 0)
                        p.begin_data();
                    else
                        p.refuse_data();
                    out += "?";
                    continue;
                }
                break;
            }
            if(ev.what == k::data) {
                if(ev.data.empty())
                    std::abort();
                data += ev.data;
                continue;
            }
            out += "D" + std::to_string(data.size()) + ":" + data;
            data.clear();
            if(ev.what == k::command) {
                out += "C:" + std::string(ev.line) + "\n";
                auto c = smtp::parse_command(ev.line);
                smtp::xforward_attributes x;
                if(c.what == smtp::verb::xforward)
                    (void)smtp::apply_xforward(c.argument, x);
                if(c.what == smtp::verb::mail)
                    (void)smtp::parse_mail(c.argument, 100);
                if(c.what == smtp::verb::rcpt)
                    (void)smtp::parse_rcpt(c.argument);
            } else
                out += std::to_string(static_cast<int>(ev.what)) + "/" +
                       std::to_string(static_cast<int>(ev.error)) + "\n";
        }
    }
    out += "D" + std::to_string(data.size()) + ":" + data;
    return out;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(bytes), size);
    if(in.empty())
        return 0;
    auto const split = static_cast<std::size_t>(static_cast<unsigned char>(in[0])) % in.size();
    auto const body = in.substr(1);
    auto const s = std::min(split, body.size());
    if(run(body, {}) != run(body.substr(0, s), body.substr(s)))
        std::abort();
    return 0;
}
