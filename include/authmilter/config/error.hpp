// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_ERROR_HPP
#define AUTHMILTER_CONFIG_ERROR_HPP

#include <stdexcept>
#include <string>

namespace authmilter::config {

/** A configuration the daemon refuses, at start-up or on reload.

    what() reads `<file>: <json path>: <problem>`, e.g.
    `/etc/authentication_milter.json: $.handlers.SPF.hide_none: expected 0 or 1, found "maybe"`,
    so a postmaster can go straight to the offending key.
*/
class config_error : public std::runtime_error {
public:
    config_error(std::string file, std::string path, std::string problem)
        : std::runtime_error(file + ": " + path + ": " + problem)
        , file_(std::move(file))
        , path_(std::move(path))
        , problem_(std::move(problem))
    {}

    std::string const& file() const noexcept { return file_; }
    std::string const& path() const noexcept { return path_; }
    std::string const& problem() const noexcept { return problem_; }

private:
    std::string file_;
    std::string path_;
    std::string problem_;
};

} // namespace authmilter::config

#endif
