// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_SMTP_MESSAGE_STORE_HPP
#define AUTHMILTER_SMTP_MESSAGE_STORE_HPP

#include <fcntl.h>
#include <unistd.h>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::smtp {

/** The body of the message being received, kept for relaying: in memory up to `memory_limit`
    bytes, then in a temporary file in `temp_dir` (when one is configured; without one the
    message stays in memory, as in the Perl tool).

    The file is created with mkstemp() and unlinked at once: it has no name while it is used and
    disappears with the descriptor, even when the process dies, so no spool file is ever left
    behind. Not copyable; one per transaction.
*/
class message_store {
public:
    message_store(std::size_t memory_limit, std::string temp_dir)
        : limit_(memory_limit)
        , dir_(std::move(temp_dir))
    {}
    message_store(message_store const&) = delete;
    message_store& operator=(message_store const&) = delete;
    ~message_store() { close_file(); }

    /// Appends bytes. Fails only when the spool file cannot be created or written.
    boost::system::error_code append(std::string_view bytes)
    {
        if(fd_ < 0 && (dir_.empty() || mem_.size() + bytes.size() <= limit_)) {
            mem_.append(bytes);
            size_ += bytes.size();
            return {};
        }
        if(fd_ < 0) {
            if(auto ec = open_file())
                return ec;
            // Move what was in memory to the file, then free it.
            if(auto ec = write_all(mem_))
                return ec;
            std::string().swap(mem_);
        }
        if(auto ec = write_all(bytes))
            return ec;
        size_ += bytes.size();
        return {};
    }

    /// Copies up to `n` bytes at `offset` into `out`; returns how many (0 at the end).
    std::size_t read(std::uint64_t offset, char* out, std::size_t n, boost::system::error_code& ec) const
    {
        ec = {};
        if(offset >= size_)
            return 0;
        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
        if(fd_ < 0) {
            std::copy_n(mem_.data() + offset, n, out);
            return n;
        }
        auto const r = ::pread(fd_, out, n, static_cast<off_t>(offset));
        if(r < 0) {
            ec = boost::system::error_code(errno, boost::system::system_category());
            return 0;
        }
        return static_cast<std::size_t>(r);
    }

    /// Everything, as one string (tests and small messages).
    std::string contents() const
    {
        std::string s(static_cast<std::size_t>(size_), '\0');
        boost::system::error_code ec;
        std::size_t got = 0;
        while(got < s.size()) {
            auto const n = read(got, s.data() + got, s.size() - got, ec);
            if(ec || n == 0)
                break;
            got += n;
        }
        s.resize(got);
        return s;
    }

    std::uint64_t size() const noexcept { return size_; }
    /// True once the body went to a temporary file.
    bool spooled() const noexcept { return fd_ >= 0; }
    /// Bytes held in memory now.
    std::size_t memory_used() const noexcept { return mem_.size(); }

    /// Drops the contents (and the file) for the next message.
    void clear()
    {
        close_file();
        std::string().swap(mem_);
        size_ = 0;
    }

private:
    boost::system::error_code open_file()
    {
        std::string tmpl = dir_;
        if(!tmpl.empty() && tmpl.back() != '/')
            tmpl += '/';
        tmpl += "authmilter-smtp-XXXXXX";
        std::vector<char> name(tmpl.begin(), tmpl.end());
        name.push_back('\0');
        int const fd = ::mkstemp(name.data());
        if(fd < 0)
            return boost::system::error_code(errno, boost::system::system_category());
        ::unlink(name.data());
        fd_ = fd;
        return {};
    }

    boost::system::error_code write_all(std::string_view bytes)
    {
        while(!bytes.empty()) {
            auto const r = ::write(fd_, bytes.data(), bytes.size());
            if(r < 0) {
                if(errno == EINTR)
                    continue;
                return boost::system::error_code(errno, boost::system::system_category());
            }
            bytes.remove_prefix(static_cast<std::size_t>(r));
        }
        return {};
    }

    void close_file() noexcept
    {
        if(fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

    std::size_t limit_;
    std::string dir_;
    std::string mem_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

} // namespace authmilter::smtp

#endif
