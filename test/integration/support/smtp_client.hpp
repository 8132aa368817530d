// A minimal blocking SMTP client for integration tests: plain sockets, every read and write
// bounded by a timeout, replies returned whole so that tests can assert on codes and text.
#ifndef AUTHMILTER_TEST_INTEGRATION_SUPPORT_SMTP_CLIENT_HPP
#define AUTHMILTER_TEST_INTEGRATION_SUPPORT_SMTP_CLIENT_HPP

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace authmilter::test {

/// One SMTP reply: the code of its last line (0 when the connection broke) and all its lines.
struct smtp_reply {
    int code = 0;
    std::string text;

    bool positive() const noexcept { return code >= 200 && code < 400; }
};

/// One message's envelope and content (content with CRLF line ends, without the final dot).
struct smtp_message {
    std::string helo = "client.example.test";
    std::string mail_from;
    std::vector<std::string> rcpt_to;
    std::string content;
};

/// Every reply of one transaction, and the first that was not positive (code 0: none).
struct smtp_transaction {
    std::vector<smtp_reply> replies;
    smtp_reply refusal;

    /// True when every command was accepted, including the end of DATA.
    bool accepted() const noexcept { return refusal.code == 0 && !replies.empty(); }
};

/// A client connection to 127.0.0.1:`port`; the destructor closes it.
class smtp_client {
public:
    smtp_client(unsigned short port, std::chrono::seconds timeout)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if(fd_ < 0)
            throw std::runtime_error("socket failed");
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count());
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
        }
    }
    smtp_client(smtp_client const&) = delete;
    smtp_client& operator=(smtp_client const&) = delete;
    ~smtp_client() { ::close(fd_); }

    /// Reads one (possibly multi-line) reply.
    smtp_reply read_reply()
    {
        smtp_reply r;
        for(;;) {
            std::string line;
            if(!read_line(line))
                return {0, r.text + "(connection closed or timed out)"};
            r.text += line + "\n";
            if(line.size() < 3)
                return {0, r.text};
            if(line.size() == 3 || line[3] == ' ') {
                r.code = std::atoi(line.substr(0, 3).c_str());
                return r;
            }
        }
    }

    /// Sends `line` + CRLF and reads the reply.
    smtp_reply command(std::string const& line)
    {
        if(!write_all(line + "\r\n"))
            return {0, "(write failed)"};
        return read_reply();
    }

    /// Greeting, EHLO, MAIL, RCPT..., DATA, content, QUIT; stops at the first refusal.
    smtp_transaction send(smtp_message const& m)
    {
        smtp_transaction t;
        auto step = [&](smtp_reply r) {
            t.replies.push_back(r);
            if(!r.positive())
                t.refusal = r;
            return r.positive();
        };
        if(!step(read_reply()) || !step(command("EHLO " + m.helo)) ||
           !step(command("MAIL FROM:<" + m.mail_from + ">")))
            return t;
        for(auto const& r : m.rcpt_to)
            if(!step(command("RCPT TO:<" + r + ">")))
                return t;
        if(!step(command("DATA")))
            return t;
        if(!step(data(m.content)))
            return t;
        command("QUIT");
        return t;
    }

    /// Sends `content` (after a 354 reply to DATA) dot-stuffed, then the final dot; reads the
    /// reply.
    smtp_reply data(std::string const& content)
    {
        std::string out;
        std::size_t pos = 0;
        while(pos < content.size()) { // dot-stuffing, RFC 5321 4.5.2
            auto end = content.find("\r\n", pos);
            end = end == std::string::npos ? content.size() : end + 2;
            if(content[pos] == '.')
                out += '.';
            out.append(content, pos, end - pos);
            pos = end;
        }
        if(!out.empty() && !out.ends_with("\r\n"))
            out += "\r\n";
        out += ".\r\n";
        if(!write_all(out))
            return {0, "(write failed)"};
        return read_reply();
    }

private:
    bool write_all(std::string const& s)
    {
        std::size_t done = 0;
        while(done < s.size()) {
            auto const n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
            if(n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    bool read_line(std::string& line)
    {
        for(;;) {
            if(auto const eol = buffer_.find("\r\n"); eol != std::string::npos) {
                line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                return true;
            }
            char chunk[1024];
            auto const n = ::recv(fd_, chunk, sizeof chunk, 0);
            if(n <= 0)
                return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    int fd_ = -1;
    std::string buffer_;
};

} // namespace authmilter::test

#endif
