// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DMARC_PUBLIC_SUFFIX_LIST_HPP
#define AUTHMILTER_DMARC_PUBLIC_SUFFIX_LIST_HPP

#include <authmilter/dmarc/detail/text.hpp>
#include <authmilter/dmarc/punycode.hpp>

#include <system_error>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>

namespace authmilter::dmarc {

/// Debian's copy of the list (package `publicsuffix`).
inline constexpr std::string_view default_public_suffix_list_path =
    "/usr/share/publicsuffix/public_suffix_list.dat";

/// The Public Suffix List (https://publicsuffix.org/list/): rules, `*.` wildcards, `!`
/// exceptions and the ICANN/PRIVATE sections, with the list's own matching algorithm. Used for
/// the RFC 7489 3.2 organizational domain. Rules are stored as A-labels, so U-label and A-label
/// input both match and each answer is given in the form of its input.
class public_suffix_list {
public:
    /// Which part of the file a rule came from.
    enum class section : std::uint8_t { icann, private_domains };

    public_suffix_list() = default;

    /// Parses the file format: one rule per line (text up to the first whitespace), `//`
    /// comments, `// ===BEGIN PRIVATE DOMAINS===` section markers. Lines that do not convert to
    /// A-labels are skipped.
    static public_suffix_list parse(std::string_view text);

    /// Reads and parses a file; an empty list and `ec` set when it cannot be read.
    static public_suffix_list load(std::filesystem::path const& path, std::error_code& ec);

    /// Whether rules of the PRIVATE section apply (on by default, as in the list's own test
    /// suite and in Mail::DMARC).
    void include_private(bool on) noexcept { include_private_ = on; }

    std::size_t rule_count() const noexcept { return rules_.size(); }

    /// The public suffix of `domain` by the list's algorithm (unlisted TLDs match the implicit
    /// `*` rule). nullopt for empty input, empty labels (`.com`) or undecodable IDNs.
    std::optional<std::string> public_suffix(std::string_view domain) const;

    /// The registrable domain: the public suffix plus one label; nullopt when `domain` is itself
    /// a public suffix (or is invalid as for public_suffix()).
    std::optional<std::string> registrable_domain(std::string_view domain) const;

    /// RFC 7489 3.2 organizational domain: the registrable domain, or the domain itself when it
    /// is a public suffix (so a lookup at `com` is `com`). Lower-cased; nullopt for invalid input.
    std::optional<std::string> organizational_domain(std::string_view domain) const;

    /// Whether the name is listed (a rule, or covered by a wildcard, and not an exception),
    /// without the implicit `*` rule: Mail::DMARC's is_public_suffix() semantics.
    bool is_listed(std::string_view domain) const;

private:
    enum kind : std::uint8_t { exact = 1, wildcard = 2, exception = 4 };
    struct entry {
        std::uint8_t kinds = 0;
        section exact_section = section::icann;
        section wildcard_section = section::icann;
        section exception_section = section::icann;
    };

    struct prepared {
        std::string ascii;                 // lower-case A-label form
        std::vector<std::string> original; // labels as given (lower-cased ASCII), same count
    };
    static std::optional<prepared> prepare(std::string_view domain);
    std::size_t suffix_labels(std::string const& ascii) const;
    bool has(std::string_view name, kind k) const;

    std::unordered_map<std::string, entry> rules_;
    bool include_private_ = true;
};

inline public_suffix_list
public_suffix_list::parse(std::string_view text)
{
    public_suffix_list out;
    section current = section::icann;
    for(auto line : detail::split(text, '\n')) {
        line = detail::trim(line);
        if(line.empty())
            continue;
        if(line.substr(0, 2) == "//") {
            if(line.find("===BEGIN PRIVATE DOMAINS===") != std::string_view::npos)
                current = section::private_domains;
            else if(line.find("===BEGIN ICANN DOMAINS===") != std::string_view::npos)
                current = section::icann;
            continue;
        }
        line = line.substr(0, line.find_first_of(" \t"));
        kind k = exact;
        if(line.substr(0, 1) == "!") {
            k = exception;
            line.remove_prefix(1);
        } else if(line.substr(0, 2) == "*.") {
            k = wildcard;
            line.remove_prefix(2);
        }
        auto ascii = punycode::to_ascii(line);
        if(!ascii || ascii->empty())
            continue;
        auto& e = out.rules_[*ascii];
        e.kinds |= k;
        if(k == exact)
            e.exact_section = current;
        else if(k == wildcard)
            e.wildcard_section = current;
        else
            e.exception_section = current;
    }
    return out;
}

inline public_suffix_list
public_suffix_list::load(std::filesystem::path const& path, std::error_code& ec)
{
    ec.clear();
    std::ifstream in(path, std::ios::binary);
    if(!in) {
        ec = std::make_error_code(std::errc::no_such_file_or_directory);
        return {};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if(in.bad()) {
        ec = std::make_error_code(std::errc::io_error);
        return {};
    }
    return parse(ss.str());
}

inline bool
public_suffix_list::has(std::string_view name, kind k) const
{
    auto const it = rules_.find(std::string(name));
    if(it == rules_.end() || !(it->second.kinds & k))
        return false;
    if(include_private_)
        return true;
    auto const sec = k == exact
                         ? it->second.exact_section
                         : (k == wildcard ? it->second.wildcard_section : it->second.exception_section);
    return sec == section::icann;
}

inline std::optional<public_suffix_list::prepared>
public_suffix_list::prepare(std::string_view domain)
{
    if(!domain.empty() && domain.back() == '.')
        domain.remove_suffix(1);
    if(domain.empty())
        return std::nullopt;
    prepared p;
    for(auto label : detail::split(domain, '.')) {
        if(label.empty())
            return std::nullopt;
        p.original.push_back(detail::to_lower(label));
    }
    auto ascii = punycode::to_ascii(domain);
    if(!ascii)
        return std::nullopt;
    p.ascii = std::move(*ascii);
    return p;
}

// Number of labels of the public suffix of a prepared A-label name.
inline std::size_t
public_suffix_list::suffix_labels(std::string const& ascii) const
{
    auto const n = detail::label_count(ascii);
    std::size_t best = 1; // the implicit "*" rule
    for(std::size_t k = 1; k <= n; ++k) {
        auto const candidate = detail::rightmost_labels(ascii, k);
        if(has(candidate, exception))
            return k - 1; // an exception rule prevails; its leftmost label is not part of the suffix
        if(has(candidate, exact))
            best = k;
        if(k < n && has(candidate, wildcard))
            best = k + 1;
    }
    return best > n ? n : best;
}

inline std::optional<std::string>
public_suffix_list::public_suffix(std::string_view domain) const
{
    auto p = prepare(domain);
    if(!p)
        return std::nullopt;
    auto const k = suffix_labels(p->ascii);
    std::string out;
    for(std::size_t i = p->original.size() - k; i < p->original.size(); ++i) {
        if(!out.empty())
            out += '.';
        out += p->original[i];
    }
    return out;
}

inline std::optional<std::string>
public_suffix_list::registrable_domain(std::string_view domain) const
{
    auto p = prepare(domain);
    if(!p)
        return std::nullopt;
    auto const k = suffix_labels(p->ascii);
    if(k >= p->original.size())
        return std::nullopt;
    std::string out;
    for(std::size_t i = p->original.size() - k - 1; i < p->original.size(); ++i) {
        if(!out.empty())
            out += '.';
        out += p->original[i];
    }
    return out;
}

inline std::optional<std::string>
public_suffix_list::organizational_domain(std::string_view domain) const
{
    if(auto r = registrable_domain(domain))
        return r;
    auto p = prepare(domain);
    if(!p)
        return std::nullopt;
    std::string out;
    for(auto const& l : p->original) {
        if(!out.empty())
            out += '.';
        out += l;
    }
    return out;
}

inline bool
public_suffix_list::is_listed(std::string_view domain) const
{
    auto p = prepare(domain);
    if(!p)
        return false;
    if(has(p->ascii, exception))
        return false;
    if(has(p->ascii, exact))
        return true;
    auto const dot = p->ascii.find('.');
    return dot != std::string::npos && has(std::string_view(p->ascii).substr(dot + 1), wildcard);
}

/// A public_suffix_list read from a file and re-read when the file's modification time
/// changes. current() is cheap and safe from any thread; refresh() re-checks the file at most
/// once per `check_interval` (the Perl tool checks every 10 minutes) and keeps the old list when
/// the new file cannot be read.
class public_suffix_list_file {
public:
    using clock = std::chrono::steady_clock;

    explicit public_suffix_list_file(
        std::filesystem::path path = std::string(default_public_suffix_list_path),
        clock::duration check_interval = std::chrono::minutes(10))
        : path_(std::move(path))
        , interval_(check_interval)
    {}

    /// Loads the file now. Returns the error when it cannot be read (the list stays as it was).
    std::error_code load()
    {
        std::lock_guard lock(mutex_);
        return load_locked();
    }

    /// Re-reads the file when its mtime changed and the interval has passed. Returns true when a
    /// new list was installed.
    bool refresh(clock::time_point now = clock::now())
    {
        std::lock_guard lock(mutex_);
        if(now - last_check_ < interval_ && current_.load())
            return false;
        last_check_ = now;
        std::error_code ec;
        auto const mtime = std::filesystem::last_write_time(path_, ec);
        if(ec || (current_.load() && mtime == mtime_))
            return false;
        return !load_locked();
    }

    /// The list in use (an empty list before the first successful load).
    std::shared_ptr<public_suffix_list const> current() const
    {
        auto p = current_.load();
        if(!p)
            return empty_list();
        return p;
    }

    std::filesystem::path const& path() const noexcept { return path_; }

private:
    static std::shared_ptr<public_suffix_list const> empty_list()
    {
        static auto const empty = std::make_shared<public_suffix_list const>();
        return empty;
    }

    std::error_code load_locked()
    {
        std::error_code ec;
        auto const mtime = std::filesystem::last_write_time(path_, ec);
        if(ec)
            return ec;
        auto list = public_suffix_list::load(path_, ec);
        if(ec)
            return ec;
        mtime_ = mtime;
        current_.store(std::make_shared<public_suffix_list const>(std::move(list)));
        return {};
    }

    std::filesystem::path path_;
    clock::duration interval_;
    mutable std::mutex mutex_;
    std::atomic<std::shared_ptr<public_suffix_list const>> current_;
    std::filesystem::file_time_type mtime_{};
    clock::time_point last_check_{};
};

} // namespace authmilter::dmarc

#endif
