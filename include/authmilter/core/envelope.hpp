// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CORE_ENVELOPE_HPP
#define AUTHMILTER_CORE_ENVELOPE_HPP

#include <authmilter/core/ip_address.hpp>

#include <optional>
#include <string>
#include <vector>

namespace authmilter::core {

/// What the SMTP conversation told us about the client, before any message.
struct connection_info {
    std::string client_name;             ///< reverse name the MTA found (may be "unknown" or "[ip]")
    std::optional<ip_address> client_ip; ///< absent for unix-socket or unknown clients
    std::uint16_t client_port = 0;
    std::string helo; ///< HELO/EHLO argument, as sent
    /// The address the client really connected from, when `ip_map` replaced `client_ip`.
    std::optional<ip_address> raw_client_ip;
};

/// The SMTP envelope of one message.
struct envelope {
    std::string mail_from;                ///< reverse-path without angle brackets; empty = null sender
    std::vector<std::string> mail_params; ///< ESMTP parameters of MAIL FROM, e.g. "SIZE=1234"
    std::vector<std::string> rcpt_to;     ///< forward-paths without angle brackets, in order
};

} // namespace authmilter::core

#endif
