// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_CONFIG_LOAD_HPP
#define AUTHMILTER_CONFIG_LOAD_HPP

#include <authmilter/config/daemon_config.hpp>
#include <authmilter/config/error.hpp>

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::config {

/// The configuration the daemon runs with when no file exists: a milter on
/// inet:8893@localhost with the standard handlers.
inline constexpr std::string_view embedded_default_config = R"json({
    "connection": "inet:8893@localhost",
    "protocol": "milter",
    "tempfail_on_error": 1,
    "tempfail_on_error_authenticated": 0,
    "tempfail_on_error_local": 0,
    "tempfail_on_error_trusted": 0,
    "dns_timeout": 8,
    "dns_retry": 2,
    "header_indent_style": "entry",
    "header_indent_by": 4,
    "handlers": {
        "Auth": {},
        "LocalIP": {},
        "TrustedIP": { "trusted_ip_list": [] },
        "IPRev": {},
        "PTR": {},
        "TLS": {},
        "SPF": { "hide_received-spf_header": 0, "hide_none": 0 },
        "DKIM": { "hide_none": 0 },
        "DMARC": { "hide_none": 0, "detect_list_id": 1, "no_list_reject": 1, "hard_reject": 0 },
        "Sanitize": { "hosts_to_remove": [], "remove_headers": "yes" }
    }
})json";

/** Parses configuration text the way the Perl tool's JSON::XS "relaxed" mode does: lines whose
    first non-blank character is `#` are comments, trailing commas are allowed; C-style comments
    are allowed too. A syntax error names the file, line and column.
*/
inline boost::json::value
parse_relaxed_json(std::string const& file, std::string_view text)
{
    // Blank out '#' comment lines (keeping line numbers for error messages).
    std::string cleaned(text);
    std::size_t line_start = 0;
    while(line_start < cleaned.size()) {
        auto const end = cleaned.find('\n', line_start);
        auto const stop = end == std::string::npos ? cleaned.size() : end;
        auto const first = cleaned.find_first_not_of(" \t\r", line_start);
        if(first != std::string::npos && first < stop && cleaned[first] == '#')
            std::fill(cleaned.begin() + static_cast<std::ptrdiff_t>(first),
                      cleaned.begin() + static_cast<std::ptrdiff_t>(stop), ' ');
        line_start = stop + 1;
    }
    boost::json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    opts.max_depth = 64;
    boost::json::stream_parser p({}, opts);
    boost::system::error_code ec;
    std::size_t const used = p.write_some(cleaned.data(), cleaned.size(), ec);
    if(!ec)
        p.finish(ec);
    if(ec || !p.done()) {
        std::size_t line = 1, column = 1;
        for(std::size_t i = 0; i < used && i < cleaned.size(); ++i) {
            if(cleaned[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw config_error(file, "line " + std::to_string(line) + ", column " + std::to_string(column),
                           "invalid JSON: " + (ec ? ec.message() : std::string("incomplete document")));
    }
    return p.release();
}

/// The configuration after loading, with where it came from.
struct loaded_config {
    daemon_config config;
    std::vector<std::string> warnings;
    std::vector<std::string> files; ///< files read, in order; empty = the embedded default
    /// Handler name -> the `authentication_milter.d/<Name>.json` file its section came from.
    std::map<std::string, std::string, std::less<>> handler_files;
};

/** Makes a handler's configuration error name the file the section was read from: an error
    at `$.handlers.SPF.x` of the main file becomes `$.x` of `authentication_milter.d/SPF.json`
    when that file supplied the SPF section. Other errors are returned unchanged.
*/
inline config_error
locate_handler_error(config_error const& e, loaded_config const& loaded)
{
    std::string_view path = e.path();
    if(!path.starts_with("$.handlers."))
        return e;
    path.remove_prefix(11);
    auto const end = path.find_first_of(".[");
    auto const name = path.substr(0, end);
    auto const it = loaded.handler_files.find(name);
    if(it == loaded.handler_files.end())
        return e;
    return config_error(it->second, "$" + std::string(end == std::string_view::npos ? "" : path.substr(end)),
                        e.problem());
}

namespace detail {

inline std::string
read_file(std::filesystem::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    if(!in)
        throw config_error(p.string(), "$", "cannot be read");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace detail

/** Loads `<prefix>/authentication_milter.json`, then every JSON file in `<prefix>/authentication_milter.d/`
    (sorted, dotfiles skipped), each replacing `handlers.<file stem>`, as the Perl tool does. With
    no main file the embedded default is used (and the .d files still apply).

    @throws config_error for unreadable files, bad JSON and bad values, naming file and path.
*/
inline loaded_config
load_configuration(std::filesystem::path const& prefix)
{
    loaded_config out;
    auto const main_file = prefix / "authentication_milter.json";
    boost::json::value root;
    std::string root_name;
    std::error_code fec;
    if(std::filesystem::exists(main_file, fec)) {
        root_name = main_file.string();
        root = parse_relaxed_json(root_name, detail::read_file(main_file));
        out.files.push_back(root_name);
    } else {
        if(std::filesystem::exists(prefix / "authentication_milter.toml", fec))
            throw config_error(
                (prefix / "authentication_milter.toml").string(), "$",
                "TOML configuration is not supported; convert it to authentication_milter.json");
        root_name = "<embedded default>";
        root = parse_relaxed_json(root_name, embedded_default_config);
    }
    if(!root.is_object())
        throw config_error(root_name, "$", "expected an object at the top level");
    auto& obj = root.as_object();

    auto const dir = prefix / "authentication_milter.d";
    if(std::filesystem::is_directory(dir, fec)) {
        std::vector<std::filesystem::path> parts;
        for(auto const& e : std::filesystem::directory_iterator(dir, fec)) {
            auto const name = e.path().filename().string();
            if(name.starts_with('.') || e.path().extension() != ".json" || !e.is_regular_file())
                continue;
            parts.push_back(e.path());
        }
        std::sort(parts.begin(), parts.end());
        for(auto const& part : parts) {
            auto v = parse_relaxed_json(part.string(), detail::read_file(part));
            auto* handlers = obj.if_contains("handlers");
            if(handlers == nullptr || !handlers->is_object())
                handlers = &(obj["handlers"] = boost::json::object());
            handlers->as_object()[part.stem().string()] = std::move(v);
            out.files.push_back(part.string());
            out.handler_files[part.stem().string()] = part.string();
        }
    }
    out.config = parse_daemon_config(root_name, obj, out.warnings);
    return out;
}

/** load_configuration() for a reload (SIGHUP): as at start, except that a main file that was
    read before and is now missing is an error instead of a silent switch to the embedded
    default (a file deleted by mistake, or a daemon in a `chroot` without its configuration).

    @throws config_error as load_configuration(), or naming the missing file.
*/
inline loaded_config
reload_configuration(std::filesystem::path const& prefix, loaded_config const& previous)
{
    auto const main_file = prefix / "authentication_milter.json";
    std::error_code ec;
    if(!previous.files.empty() && previous.files.front() == main_file.string() &&
       !std::filesystem::exists(main_file, ec))
        throw config_error(main_file.string(), "$",
                           "has disappeared since it was loaded (with chroot, the configuration must also "
                           "exist inside the chroot directory)");
    return load_configuration(prefix);
}

} // namespace authmilter::config

#endif
