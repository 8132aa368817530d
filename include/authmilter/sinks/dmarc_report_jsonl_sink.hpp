// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SINKS_DMARC_REPORT_JSONL_SINK_HPP
#define AUTHMILTER_SINKS_DMARC_REPORT_JSONL_SINK_HPP

#include <authmilter/dmarc/report_json.hpp>
#include <authmilter/dmarc/report_record.hpp>

#include <fcntl.h>
#include <system_error>
#include <unistd.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace authmilter::sinks {

/** A DMARC report consumer (for dmarc_report_sink) that appends each record to a file as one
    line of JSON (dmarc::to_json()), a stand-in for the report store and a feed for other tools.

    - The file is opened once, `O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC`, mode 0640; the
      constructor throws std::system_error when it cannot be opened (the daemon refuses the
      configuration then). Rotate it by renaming and reloading (SIGHUP opens it again), or
      truncate it in place (O_APPEND writes at the new end).
    - Each record is one write(2) of the whole line: with O_APPEND the kernel places each write
      at the end of the file as one unit, so several threads and processes appending to the same
      file do not interleave their lines.
    - A failed or short write never fails the message: it is counted (errors()) and reported
      through `on_error` at most once per `error_interval`, with the count so far.
    - By default only records an aggregate report is due for (`report_requested`) are written,
      as Mail::DMARC's store keeps; `all_records` writes every evaluated record.

    Copies share the open file and the counters. Thread-safe.
*/
class dmarc_report_jsonl_sink {
public:
    struct options {
        std::string path{};                               ///< the file; empty: the sink is inactive
        bool all_records = false;                         ///< write records no report is due for too
        std::function<void(std::string_view)> on_error{}; ///< told about write failures (thread-safe)
        std::chrono::seconds error_interval{60};          ///< at most one on_error call per interval
    };

    /// An inactive sink: active() is false, nothing is written.
    dmarc_report_jsonl_sink() = default;

    /// Opens `o.path` (when not empty) for appending.
    /// @throws std::system_error when the file cannot be opened.
    explicit dmarc_report_jsonl_sink(options o)
    {
        if(o.path.empty())
            return;
        int const fd = ::open(o.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if(fd < 0)
            throw std::system_error(errno, std::generic_category(), "cannot open " + o.path);
        file_ = std::make_shared<shared>(fd, std::move(o));
    }

    bool active() const noexcept { return file_ != nullptr; }
    std::string const& path() const noexcept
    {
        static std::string const none;
        return file_ ? file_->opts.path : none;
    }

    /// Lines written, and records that could not be written.
    std::uint64_t written() const noexcept { return file_ ? file_->written.load() : 0; }
    std::uint64_t errors() const noexcept { return file_ ? file_->errors.load() : 0; }

    /// Appends `r` as one JSON line (when active, and when a report is due or `all_records`).
    void on_report(dmarc::report_record const& r) const
    {
        if(!file_ || (!r.report_requested && !file_->opts.all_records))
            return;
        // The JSON tree lives in a stack buffer: one record is about 1 KB of text, a few KB of tree.
        unsigned char buffer[8192];
        boost::json::monotonic_resource mr(buffer, sizeof buffer);
        std::string line = boost::json::serialize(dmarc::to_json(r, &mr));
        line += '\n';
        file_->append(line);
    }

private:
    struct shared {
        int fd;
        options opts;
        std::atomic<std::uint64_t> written{0};
        std::atomic<std::uint64_t> errors{0};
        std::atomic<std::int64_t> last_report{0}; ///< steady_clock seconds of the last on_error call

        shared(int f, options o)
            : fd(f)
            , opts(std::move(o))
        {}
        shared(shared const&) = delete;
        shared& operator=(shared const&) = delete;
        ~shared() { ::close(fd); }

        void append(std::string const& line)
        {
            ssize_t n;
            do
                n = ::write(fd, line.data(), line.size());
            while(n < 0 && errno == EINTR);
            if(n == static_cast<ssize_t>(line.size())) {
                ++written;
                return;
            }
            // A short write (disk full) is not retried: the rest would land after other writers'
            // lines. The partial line is ended, so that the next one stays whole.
            int const err = n < 0 ? errno : ENOSPC;
            if(n > 0)
                (void)!::write(fd, "\n", 1);
            auto const count = ++errors;
            if(!opts.on_error)
                return;
            auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
            auto last = last_report.load();
            if(last != 0 && now - last < opts.error_interval.count())
                return;
            if(!last_report.compare_exchange_strong(last, now))
                return; // another thread reports this interval
            opts.on_error("DMARC report file " + opts.path + ": cannot write a record (" +
                          std::error_code(err, std::generic_category()).message() + "), " +
                          std::to_string(count) + " record(s) lost so far");
        }
    };

    std::shared_ptr<shared> file_;
};

} // namespace authmilter::sinks

#endif
