// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_PIPELINE_VERDICT_HPP
#define AUTHMILTER_PIPELINE_VERDICT_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace authmilter::pipeline {

/// What the MTA should do with the message.
///
/// `accept`, `reject`, `tempfail` and `discard` are final: once a handler sets one, no later
/// handler and no later stage runs for that message. `quarantine` is not final: the checks go on
/// and the message is held with the first quarantine reason given.
struct verdict {
    enum class action : std::uint8_t { continue_, accept, reject, tempfail, discard, quarantine };

    action what = action::continue_;
    std::uint16_t smtp_code = 0; ///< e.g. 550; 0 = the front-end's default for the action
    std::string extended_code;   ///< e.g. "5.7.1"; may be empty
    std::string text;            ///< reply text or quarantine reason

    bool is_final() const noexcept
    {
        return what == action::accept || what == action::reject || what == action::tempfail ||
               what == action::discard;
    }

    static verdict accept() { return {action::accept, 0, {}, {}}; }
    static verdict discard() { return {action::discard, 0, {}, {}}; }
    static verdict reject(std::uint16_t code = 550, std::string ext = "5.7.1", std::string text = "Rejected")
    {
        return {action::reject, code, std::move(ext), std::move(text)};
    }
    static verdict tempfail(std::uint16_t code = 451, std::string ext = "4.7.1",
                            std::string text = "Try again later")
    {
        return {action::tempfail, code, std::move(ext), std::move(text)};
    }
    static verdict quarantine(std::string reason) { return {action::quarantine, 0, {}, std::move(reason)}; }
};

constexpr std::string_view
to_string(verdict::action a) noexcept
{
    switch(a) {
    case verdict::action::continue_: return "continue";
    case verdict::action::accept: return "accept";
    case verdict::action::reject: return "reject";
    case verdict::action::tempfail: return "tempfail";
    case verdict::action::discard: return "discard";
    case verdict::action::quarantine: return "quarantine";
    }
    return "unknown";
}

} // namespace authmilter::pipeline

#endif
