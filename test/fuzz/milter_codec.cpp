// Fuzz target for the milter frame decoder: any bytes, fed whole and in pieces whose size the
// first input byte chooses. The decoder must never crash, throw, read out of bounds or buffer
// more than its cap, and both feeds must give the same events and the same error.
#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/session.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

namespace milter = authmilter::milter;

// Folds every byte an event exposes into a checksum, so that each view is read.
std::uint64_t
digest(milter::event const& ev)
{
    std::uint64_t h = ev.index() + 1;
    auto mix = [&h](std::string_view s) {
        for(unsigned char c : s)
            h = h * 1099511628211ull + c;
        h = h * 31 + s.size();
    };
    std::visit(
        [&](auto const& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr(std::is_same_v<T, milter::events::negotiate>) {
                h += e.version ^ e.actions ^ e.protocol;
            } else if constexpr(std::is_same_v<T, milter::events::macros>) {
                h += static_cast<char>(e.stage);
                for(auto [n, v] : e.values) {
                    mix(n);
                    mix(v);
                }
                auto const found = e.values.find("i");
                h += found ? found->size() : 7;
            } else if constexpr(std::is_same_v<T, milter::events::connect>) {
                mix(e.hostname);
                mix(e.address);
                h += e.port + static_cast<char>(e.family);
            } else if constexpr(std::is_same_v<T, milter::events::helo>) {
                mix(e.name);
            } else if constexpr(std::is_same_v<T, milter::events::mail> ||
                                std::is_same_v<T, milter::events::rcpt>) {
                mix(e.address());
                for(auto s : e.parameters())
                    mix(s);
            } else if constexpr(std::is_same_v<T, milter::events::header>) {
                mix(e.name);
                mix(e.value);
            } else if constexpr(std::is_same_v<T, milter::events::body> ||
                                std::is_same_v<T, milter::events::eom>) {
                mix(e.bytes);
            } else if constexpr(std::is_same_v<T, milter::events::unknown>) {
                mix(e.command);
            }
        },
        ev);
    return h;
}

struct outcome {
    std::uint64_t digest = 0;
    std::size_t events = 0;
    boost::system::error_code ec;
};

outcome
run(std::string_view input, std::size_t piece)
{
    // A small cap so that the fuzzer reaches the limit check often.
    milter::decoder d(milter::decoder_options{4096});
    outcome out;
    while(!input.empty() && !out.ec) {
        auto chunk = input.substr(0, piece);
        input.remove_prefix(chunk.size());
        while(!out.ec) {
            auto ev = d.next(chunk, out.ec);
            if(!ev)
                break;
            ++out.events;
            out.digest = out.digest * 7 + digest(*ev);
        }
    }
    if(!out.ec)
        d.finish_stream(out.ec);
    return out;
}

// A handler that answers with every kind of decision and edit, driven by the input itself, so
// that the session's reply paths see hostile values too.
struct chaos_handler {
    std::size_t n = 0;
    milter::decision on_connect(milter::session_state const& ctx, milter::events::connect const& c)
    {
        n += c.hostname.size() + ctx.macros().host_name().size();
        return pick(c.hostname);
    }
    milter::decision on_envrcpt(milter::session_state const&, milter::events::rcpt const& r)
    {
        return pick(r.address());
    }
    void on_header(milter::session_state const&, std::string_view name, std::string_view value)
    {
        n += name.size() + value.size();
        last_name.assign(name);
        last_value.assign(value);
    }
    void on_body(milter::session_state const&, std::string_view chunk) { n += chunk.size(); }
    milter::eom_result on_eom(milter::session_state const& ctx)
    {
        milter::eom_result r;
        r.verdict = pick(ctx.macros().queue_id());
        r.edits.push_back(milter::header_edit::prepend(last_name, last_value));
        r.edits.push_back(milter::header_edit::change(last_name, static_cast<std::uint32_t>(n), last_value));
        r.edits.push_back(milter::header_edit::append("X-Fuzz", last_value));
        r.quarantine_reason = last_value;
        return r;
    }
    void on_abort(milter::session_state const&) { ++n; }
    void on_close(milter::session_state const&) { ++n; }

    milter::decision pick(std::string_view s)
    {
        auto const k = s.empty() ? 0u : static_cast<unsigned char>(s.front());
        switch(k % 5) {
        case 0: return {};
        case 1: return milter::decision::reject(500 + k % 100, std::string(s.substr(0, 5)), std::string(s));
        case 2: return milter::decision::tempfail(400 + k, {}, std::string(s));
        case 3: return milter::decision::accept();
        default: return milter::decision::discard();
        }
    }
    std::string last_name = "X";
    std::string last_value;
};

void
run_session(std::string_view input, std::size_t piece)
{
    chaos_handler h;
    milter::session<chaos_handler> s(h, milter::session_options{milter::decoder_options{4096}});
    std::string out;
    while(!input.empty()) {
        auto chunk = input.substr(0, piece);
        input.remove_prefix(chunk.size());
        if(s.feed(chunk, out))
            break;
        // Every reply the session writes must be a well-formed frame.
        std::string_view o(out);
        while(!o.empty()) {
            if(o.size() < 5)
                std::abort();
            auto const len = milter::detail::get_u32(o.data());
            if(len == 0 || o.size() - 4 < len)
                std::abort();
            o.remove_prefix(4 + len);
        }
        out.clear();
    }
    (void)s.finish();
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;
    std::size_t const piece = 1 + data[0] % 17;
    std::string_view const input(reinterpret_cast<char const*>(data) + 1, size - 1);
    auto const whole = run(input, input.size() + 1);
    auto const split = run(input, piece);
    if(whole.events != split.events || whole.digest != split.digest || whole.ec != split.ec)
        std::abort();
    run_session(input, piece);
    return 0;
}
