// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_MILTER_MACROS_HPP
#define AUTHMILTER_MILTER_MACROS_HPP

#include <authmilter/milter/codec.hpp>
#include <authmilter/milter/protocol.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authmilter::milter {

/// The macros of one connection, kept per stage as libmilter keeps them.
///
/// Each `D` packet replaces the values of its stage. When a command arrives, the values of the
/// stages after it are dropped (a new MAIL forgets the previous message's RCPT, DATA and EOM
/// macros), so nothing leaks from one message to the next even when the MTA sends no ABORT in
/// between, as Sendmail does. Storage is one string per stage whose capacity is reused: after
/// the first message a connection allocates nothing here.
class macro_store {
public:
    /// Replaces the macros of `stage` (a command byte of `C H M R T L N B E U`).
    void set(command stage, macro_list values)
    {
        if(auto const i = slot(stage); i < slots_.size())
            slots_[i].assign(values.raw());
    }

    /// Drops the macros of every stage after `stage` in the order C H M R T L N B E (the
    /// unknown-command slot is kept until `clear()`).
    void clear_after(command stage) noexcept
    {
        auto const i = slot(stage);
        for(std::size_t j = i + 1; j < order_count; ++j)
            slots_[j].clear();
    }

    /// Drops everything (end of connection).
    void clear() noexcept
    {
        for(auto& s : slots_)
            s.clear();
    }

    /// The value of macro `name` from the latest stage that has it (EOM first, connect last,
    /// then the unknown-command stage); long names may be given with or without braces.
    std::optional<std::string_view> find(std::string_view name) const noexcept
    {
        for(std::size_t i = order_count; i-- > 0;)
            if(auto v = macro_list(slots_[i]).find(name))
                return v;
        return macro_list(slots_[order_count]).find(name);
    }

    /// The value of `name` as sent for one stage only.
    std::optional<std::string_view> find(command stage, std::string_view name) const noexcept
    {
        auto const i = slot(stage);
        if(i >= slots_.size())
            return std::nullopt;
        return macro_list(slots_[i]).find(name);
    }

    /// The macros of one stage.
    macro_list stage_values(command stage) const noexcept
    {
        auto const i = slot(stage);
        return i < slots_.size() ? macro_list(slots_[i]) : macro_list{};
    }

    /// The queue id, macro `i` (Sendmail sends it at MAIL, Postfix at DATA and EOM), or empty.
    std::string_view queue_id() const noexcept { return find("i").value_or(std::string_view{}); }

    /// The MTA's host name, macro `j` (connect stage), or empty.
    std::string_view host_name() const noexcept { return find("j").value_or(std::string_view{}); }

private:
    static constexpr std::size_t order_count = 9;

    static constexpr std::size_t slot(command c) noexcept
    {
        switch(c) {
        case command::connect: return 0;
        case command::helo: return 1;
        case command::mail: return 2;
        case command::rcpt: return 3;
        case command::data: return 4;
        case command::header: return 5;
        case command::eoh: return 6;
        case command::body: return 7;
        case command::eom: return 8;
        case command::unknown: return 9;
        default: return 10;
        }
    }

    // Raw "name\0value\0..." per stage, in the order above; the last slot is for `U`.
    std::array<std::string, order_count + 1> slots_;
};

} // namespace authmilter::milter

#endif
