// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_READER_HPP
#define AUTHMILTER_CONFIG_READER_HPP

#include <authmilter/config/error.hpp>
#include <authmilter/config/perl_values.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::config {

/** Typed, path-tracking reads from one JSON object of a configuration file.

    Every getter names the file and the JSON path (`$.smtp.timeout_in`) in the config_error it
    throws. Values are read as leniently as the Perl tool reads them (JSON::XS with Perl's
    scalars): numbers may be strings ("10"), flags may be 0/1, "0"/"1", true/false, "yes"/"no".
    finish() reports every key that was never read as an "unknown key" warning.
*/
class object_reader {
public:
    object_reader(std::string file, std::string path, boost::json::object const& obj,
                  std::vector<std::string>* warnings)
        : file_(std::move(file))
        , path_(std::move(path))
        , obj_(&obj)
        , warnings_(warnings)
    {}

    std::string const& file() const noexcept { return file_; }
    std::string const& path() const noexcept { return path_; }
    boost::json::object const& object() const noexcept { return *obj_; }

    /// The JSON path of a key of this object.
    std::string path_of(std::string_view key) const { return path_ + "." + std::string(key); }

    [[noreturn]] void fail(std::string_view key, std::string problem) const
    {
        throw config_error(file_, path_of(key), std::move(problem));
    }

    bool has(std::string_view key) const
    {
        auto const* v = obj_->if_contains(key);
        return v != nullptr && !v->is_null();
    }

    /// Marks a key as known without reading it (accepted and ignored, or read elsewhere).
    void accept(std::string_view key) { seen_.insert(std::string(key)); }

    boost::json::value const* raw(std::string_view key)
    {
        accept(key);
        auto const* v = obj_->if_contains(key);
        return v == nullptr || v->is_null() ? nullptr : v;
    }

    bool flag(std::string_view key, bool fallback)
    {
        auto const* v = raw(key);
        if(v == nullptr)
            return fallback;
        if(auto const f = perl_flag(*v))
            return *f;
        fail(key, "expected 0 or 1, found " + boost::json::serialize(*v));
    }

    std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min = INT64_MIN,
                         std::int64_t max = INT64_MAX)
    {
        auto const* v = raw(key);
        if(v == nullptr)
            return fallback;
        std::int64_t n = 0;
        bool ok = false;
        if(v->is_int64()) {
            n = v->as_int64();
            ok = true;
        } else if(v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
            n = static_cast<std::int64_t>(v->as_uint64());
            ok = true;
        } else if(v->is_string()) {
            std::string_view const s = v->as_string();
            auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            ok = ec == std::errc{} && end == s.data() + s.size() && !s.empty();
        }
        if(!ok)
            fail(key, "expected an integer, found " + boost::json::serialize(*v));
        if(n < min || n > max)
            fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                          ", found " + std::to_string(n));
        return n;
    }

    std::string string(std::string_view key, std::string fallback = {})
    {
        auto const* v = raw(key);
        if(v == nullptr)
            return fallback;
        if(v->is_string())
            return std::string(v->as_string());
        if(v->is_int64() || v->is_uint64())
            return boost::json::serialize(*v);
        fail(key, "expected a string, found " + boost::json::serialize(*v));
    }

    /// A string that must be one of `choices`.
    std::string choice(std::string_view key, std::string fallback,
                       std::initializer_list<std::string_view> choices)
    {
        auto s = string(key, fallback);
        for(auto c : choices)
            if(s == c)
                return s;
        std::string list;
        for(auto c : choices)
            list += (list.empty() ? "" : ", ") + std::string(c);
        fail(key, "expected one of " + list + ", found \"" + s + "\"");
    }

    std::vector<std::string> strings(std::string_view key)
    {
        std::vector<std::string> out;
        auto const* v = raw(key);
        if(v == nullptr)
            return out;
        if(v->is_string()) { // a single value where a list is expected: the Perl tool accepts it
            out.emplace_back(v->as_string());
            return out;
        }
        if(!v->is_array())
            fail(key, "expected a list of strings, found " + boost::json::serialize(*v));
        std::size_t i = 0;
        for(auto const& item : v->as_array()) {
            if(!item.is_string())
                throw config_error(file_, path_of(key) + "[" + std::to_string(i) + "]",
                                   "expected a string, found " + boost::json::serialize(item));
            out.emplace_back(item.as_string());
            ++i;
        }
        return out;
    }

    /// A nested object, or nullopt when absent.
    std::optional<object_reader> child(std::string_view key)
    {
        auto const* v = raw(key);
        if(v == nullptr)
            return std::nullopt;
        if(!v->is_object())
            fail(key, "expected an object, found " + boost::json::serialize(*v));
        return object_reader(file_, path_of(key), v->as_object(), warnings_);
    }

    /// Warns about every key not read; returns their number.
    std::size_t finish()
    {
        std::size_t unknown = 0;
        for(auto const& kv : *obj_) {
            if(seen_.count(std::string(kv.key())) != 0)
                continue;
            ++unknown;
            if(warnings_ != nullptr)
                warnings_->push_back(file_ + ": " + path_of(kv.key()) + ": unknown key, ignored");
        }
        return unknown;
    }

private:
    std::string file_;
    std::string path_;
    boost::json::object const* obj_;
    std::vector<std::string>* warnings_;
    std::set<std::string, std::less<>> seen_;
};

} // namespace authmilter::config

#endif
