// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_HANDLERS_DETAIL_CONFIG_HPP
#define AUTHMILTER_HANDLERS_DETAIL_CONFIG_HPP

#include <authmilter/config/perl_values.hpp>
#include <authmilter/core/cidr.hpp>
#include <authmilter/dmarc/public_suffix_list.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::handlers::detail {

// Readers for the handler sections of the Perl tool's JSON configuration. Errors throw
// std::invalid_argument naming the key; the pipeline prefixes "handlers.<Name>.".

inline boost::json::object const&
as_object(boost::json::value const& v)
{
    if(!v.is_object())
        throw std::invalid_argument("expected an object, found " + boost::json::serialize(v));
    return v.as_object();
}

/// The Perl tool accepts 0/1, "0"/"1", true/false and "yes"/"no" for flags.
inline bool
read_flag(boost::json::object const& o, std::string_view key, bool fallback)
{
    auto const* v = o.if_contains(key);
    if(v == nullptr || v->is_null())
        return fallback;
    if(auto const f = config::perl_flag(*v))
        return *f;
    throw std::invalid_argument(std::string(key) + ": expected 0 or 1, found " + boost::json::serialize(*v));
}

inline std::vector<std::string>
read_string_list(boost::json::object const& o, std::string_view key)
{
    std::vector<std::string> out;
    auto const* v = o.if_contains(key);
    if(v == nullptr || v->is_null())
        return out;
    if(!v->is_array())
        throw std::invalid_argument(std::string(key) + ": expected a list of strings, found " +
                                    boost::json::serialize(*v));
    std::size_t i = 0;
    for(auto const& item : v->as_array()) {
        if(!item.is_string())
            throw std::invalid_argument(std::string(key) + "[" + std::to_string(i) +
                                        "]: expected a string, found " + boost::json::serialize(item));
        out.emplace_back(item.as_string());
        ++i;
    }
    return out;
}

/// A list of addresses and CIDR ranges, as `trusted_ip_list` and `ignore_local_ip_list` hold.
inline std::vector<core::cidr>
read_network_list(boost::json::object const& o, std::string_view key)
{
    std::vector<core::cidr> out;
    std::size_t i = 0;
    for(auto const& text : read_string_list(o, key)) {
        auto const net = core::cidr::parse(text);
        if(!net)
            throw std::invalid_argument(std::string(key) + "[" + std::to_string(i) +
                                        "]: expected an IP address or CIDR range, found \"" + text + "\"");
        out.push_back(*net);
        ++i;
    }
    return out;
}

inline bool
contains(std::vector<core::cidr> const& nets, core::ip_address const& ip) noexcept
{
    for(auto const& n : nets)
        if(n.contains(ip))
            return true;
    return false;
}

/// The Public Suffix List at `path`, loaded once per path and shared by every handler that
/// asks for it; nullptr when it cannot be read.
inline std::shared_ptr<dmarc::public_suffix_list const>
shared_psl(std::string const& path)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<dmarc::public_suffix_list const>> loaded;
    std::lock_guard lock(mutex);
    if(auto it = loaded.find(path); it != loaded.end())
        return it->second;
    std::error_code ec;
    auto list = dmarc::public_suffix_list::load(path, ec);
    auto shared = ec ? nullptr : std::make_shared<dmarc::public_suffix_list const>(std::move(list));
    loaded.emplace(path, shared);
    return shared;
}

/// Debian's Public Suffix List (package `publicsuffix`).
inline constexpr char const* default_psl_file = "/usr/share/publicsuffix/public_suffix_list.dat";

} // namespace authmilter::handlers::detail

#endif
