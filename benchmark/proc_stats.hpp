// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
// What the load clients read off the process under test (from /proc) and how they summarise latencies.
#ifndef AUTHMILTER_BENCHMARK_PROC_STATS_HPP
#define AUTHMILTER_BENCHMARK_PROC_STATS_HPP

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

/// The `p` quantile (0..1) of `v` (reorders `v`); 0 for an empty sample.
inline double
percentile(std::vector<double>& v, double p)
{
    if(v.empty())
        return 0;
    auto const i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
}

/// utime + stime of `pid`, in seconds; 0 when `pid` is not positive or unreadable.
inline double
cpu_seconds(int pid)
{
    if(pid <= 0)
        return 0;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto const close = s.rfind(')');
    if(close == std::string::npos)
        return 0;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    double ut = 0, st = 0;
    // Fields after the command: state is field 3; utime 14, stime 15.
    for(int i = 3; i <= 15 && in >> field; ++i) {
        if(i == 14)
            ut = std::stod(field);
        if(i == 15)
            st = std::stod(field);
    }
    return (ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// A field of /proc/<pid>/status in KiB: "VmRSS:" (default) or "VmHWM:" (the peak); 0 when
/// `pid` is not positive or the field is missing.
inline long
rss_kib(int pid, char const* field = "VmRSS:")
{
    if(pid <= 0)
        return 0;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for(std::string l; std::getline(f, l);)
        if(l.rfind(field, 0) == 0)
            return std::stol(l.substr(std::strlen(field)));
    return 0;
}

} // namespace bench

#endif
