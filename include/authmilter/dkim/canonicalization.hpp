// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_CANONICALIZATION_HPP
#define AUTHMILTER_DKIM_CANONICALIZATION_HPP

#include <authmilter/dkim/signature.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace authmilter::dkim {

/// Appends one canonicalised header field, with its CRLF, to `out` (RFC 6376 3.4.1, 3.4.2).
///
/// `name` is the field name as received, `raw_value` everything after the colon (folding
/// included, no final line end). Line ends inside `raw_value` may be CRLF or bare LF (the milter
/// protocol delivers LF); "simple" turns bare LFs into CRLF and keeps everything else byte for
/// byte. "relaxed" lower-cases the name, unfolds, reduces whitespace runs to one SP and trims
/// whitespace around the value.
inline void
canonicalize_header(canonicalization c, std::string_view name, std::string_view raw_value, std::string& out)
{
    if(c == canonicalization::simple) {
        out.append(name);
        out += ':';
        for(std::size_t i = 0; i < raw_value.size(); ++i) {
            char const ch = raw_value[i];
            if(ch == '\n' && (i == 0 || raw_value[i - 1] != '\r'))
                out += '\r';
            out += ch;
        }
        out += "\r\n";
        return;
    }
    while(!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    for(char ch : name)
        out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    out += ':';
    bool space = false;
    bool started = false;
    for(char ch : raw_value) {
        if(ch == '\r' || ch == '\n')
            continue;
        if(ch == ' ' || ch == '\t') {
            space = true;
            continue;
        }
        if(space && started)
            out += ' ';
        space = false;
        started = true;
        out += ch;
    }
    out += "\r\n";
}

namespace detail {

// Word-at-a-time helpers: 0x80 in every byte of the result where the byte of `x` is zero, and
// nothing elsewhere (exact, unlike the cheaper variant that may flag bytes above a zero).
constexpr std::uint64_t
zero_bytes(std::uint64_t x) noexcept
{
    constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((x & low7) + low7) | x | low7);
}

constexpr std::uint64_t
repeat_byte(unsigned char b) noexcept
{
    return 0x0101010101010101ULL * b;
}

inline std::uint64_t
load64(char const* p) noexcept
{
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if constexpr(std::endian::native == std::endian::big)
        w = __builtin_bswap64(w);
    return w;
}

/// The first position in [p, end) where relaxed body canonicalisation must rewrite something:
/// a TAB, or an SP followed by SP, TAB or the end of the range. Everything before it is content
/// separated by single spaces, which relaxed leaves unchanged. Scans 8 bytes at a time.
inline char const*
find_relaxed_rewrite(char const* p, char const* end) noexcept
{
    constexpr std::uint64_t tabs = repeat_byte('\t');
    constexpr std::uint64_t spaces = repeat_byte(' ');
    while(end - p >= 9) {
        auto const w = load64(p);
        auto const w1 = load64(p + 1);
        auto const hit = zero_bytes(w ^ tabs) |
                         (zero_bytes(w ^ spaces) & (zero_bytes(w1 ^ spaces) | zero_bytes(w1 ^ tabs)));
        if(hit != 0)
            return p + std::countr_zero(hit) / 8;
        p += 8;
    }
    for(; p < end; ++p) {
        if(*p == '\t')
            return p;
        if(*p == ' ' && (p + 1 == end || p[1] == ' ' || p[1] == '\t'))
            return p;
    }
    return end;
}

/// The first position in [p, end) where canonicalisation may output something other than the
/// input: a bare LF (not preceded by CR; an LF at `begin` counts, its CR may be in the previous
/// chunk; not when `bare_lf` is false), and for relaxed also a TAB or an SP followed by SP, TAB,
/// CR, LF or the end. Lines before it are copied unchanged. 16 bytes at a time with SSE2, else
/// one byte at a time.
inline char const*
find_attention(char const* p, char const* end, char const* begin, bool relaxed, bool bare_lf = true) noexcept
{
    auto const at = [&](char const* q) {
        char const c = *q;
        if(c == '\n')
            return bare_lf && (q == begin || q[-1] != '\r');
        if(!relaxed)
            return false;
        if(c == '\t')
            return true;
        if(c != ' ')
            return false;
        if(q + 1 == end)
            return true;
        char const n = q[1];
        return n == ' ' || n == '\t' || n == '\r' || n == '\n';
    };
    char const* q = p;
    if(q < end && q == begin) {
        if(at(q))
            return q;
        ++q;
    }
#if defined(__SSE2__)
    // q > begin here, so q[-1] is readable; q[16] must be too.
    auto const lf = _mm_set1_epi8('\n');
    auto const cr = _mm_set1_epi8('\r');
    auto const sp = _mm_set1_epi8(' ');
    auto const tab = _mm_set1_epi8('\t');
    while(end - q >= 17) {
        auto const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(q));
        auto const vp = _mm_loadu_si128(reinterpret_cast<__m128i const*>(q - 1));
        auto m =
            bare_lf ? _mm_andnot_si128(_mm_cmpeq_epi8(vp, cr), _mm_cmpeq_epi8(v, lf)) : _mm_setzero_si128();
        if(relaxed) {
            auto const vn = _mm_loadu_si128(reinterpret_cast<__m128i const*>(q + 1));
            auto const next_ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(vn, sp), _mm_cmpeq_epi8(vn, tab)),
                                              _mm_or_si128(_mm_cmpeq_epi8(vn, cr), _mm_cmpeq_epi8(vn, lf)));
            m = _mm_or_si128(
                m, _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_and_si128(_mm_cmpeq_epi8(v, sp), next_ws)));
        }
        if(auto const bits = static_cast<unsigned>(_mm_movemask_epi8(m)); bits != 0)
            return q + std::countr_zero(bits);
        q += 16;
    }
#endif
    for(; q < end; ++q)
        if(at(q))
            return q;
    return end;
}

} // namespace detail

/// Streaming body canonicaliser (RFC 6376 3.4.3 simple, 3.4.4 relaxed).
///
/// Feed the body with update() in chunks of any size, then call finish() once. The canonical
/// output goes to `sink(std::string_view)` in as few, as large spans as it can: where the output
/// equals the input (the usual case with CRLF input) whole runs of the chunk are passed
/// straight through; rewritten pieces are collected in a small internal buffer. State carried
/// across chunks: the count of pending empty lines (dropped if they turn out to be trailing), a
/// pending whitespace run (relaxed), and a CR at the end of a chunk whose LF may come next.
///
/// Line ends: CRLF, and a bare LF is treated as CRLF (mail stored with LF line ends, as the
/// milter and files on disk deliver it). A CR not followed by LF is content.
///
/// Memory: a fixed 4 KiB buffer; nothing grows with the body.
///
/// @tparam Sink callable as `sink(std::string_view)`.
template<class Sink> class body_canonicalizer {
public:
    body_canonicalizer(canonicalization c, Sink sink)
        : sink_(std::move(sink))
        , buffer_(new char[buffer_size])
        , relaxed_(c == canonicalization::relaxed)
    {}

    /// Processes one chunk of the body.
    void update(std::string_view chunk)
    {
        char const* const begin = chunk.data();
        char const* p = begin;
        char const* const end = p + chunk.size();
        while(p < end) {
            if(!pending_cr_ && !pending_wsp_) {
                // Fast path: complete lines before the first byte that needs rewriting are
                // output as they are, as one span.
                char const* const a = detail::find_attention(p, end, begin, relaxed_);
                char const* l = a;
                while(l > p && l[-1] != '\n')
                    --l;
                if(l > p) {
                    clean_lines(p, l);
                    p = l;
                    if(p == end)
                        break;
                } else if(a < end && *a == '\n') {
                    // LF line ends (mail stored with LF): lines that need nothing but CRLF for
                    // their LF are output line by line, still without looking at each byte.
                    char const* const b = detail::find_attention(p, end, begin, relaxed_, false);
                    l = b;
                    while(l > p && l[-1] != '\n')
                        --l;
                    if(l > p) {
                        lf_lines(p, l);
                        p = l;
                        continue;
                    }
                }
            }
            // Slow path: the one line holding that byte (or the partial line at the end).
            auto const* nl =
                static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if(nl == nullptr) {
                segment(p, end, false);
                break;
            }
            segment(p, nl, true);
            p = nl + 1;
        }
        flush_span();
        // The input is gone after this call: pending output can no longer point into it.
        crlf_src_ = nullptr;
        wsp_src_ = nullptr;
    }

    /// Ends the body: drops trailing empty lines, adds the final CRLF as the RFC says, and
    /// flushes everything to the sink.
    void finish()
    {
        if(pending_cr_) {
            pending_cr_ = false;
            content_literal("\r");
        }
        // simple: a missing final CRLF is added, and an empty body is one CRLF.
        // relaxed: a non-empty body ends with CRLF; an empty body stays empty.
        if(!relaxed_ || emitted_)
            literal("\r\n");
        flush_span();
        flush_buffer();
    }

    Sink& sink() noexcept { return sink_; }

private:
    static constexpr std::size_t buffer_size = 4096;

    // [p, l): whole lines that end in CRLF and need no rewriting (see find_attention). Line
    // ends after the last content are held back, as segment() would: they may be trailing.
    void clean_lines(char const* p, char const* l)
    {
        char const* q = l;
        while(q - p >= 2 && q[-1] == '\n' && q[-2] == '\r')
            q -= 2;
        auto const k = static_cast<std::uint64_t>(l - q) / 2;
        if(q > p) {
            flush_pending();
            emit(p, q);
            pending_crlf_ = k;
            crlf_src_ = k != 0 ? q : nullptr;
            crlf_count_at_src_ = 1;
        } else {
            pending_crlf_ += k;
            crlf_src_ = nullptr;
        }
    }

    // [p, l): whole lines ending in LF or CRLF, nothing to rewrite in them but bare LFs.
    void lf_lines(char const* p, char const* l)
    {
        while(p < l) {
            auto const* nl = static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(l - p)));
            char const* e = nl;
            bool const crlf = e > p && e[-1] == '\r';
            if(crlf)
                --e;
            if(e > p) {
                flush_pending();
                emit(p, e);
            }
            ++pending_crlf_;
            crlf_src_ = crlf ? e : nullptr;
            crlf_count_at_src_ = pending_crlf_;
            p = nl + 1;
        }
    }

    // One line's bytes [p, end) without its LF; `eol` when an LF followed.
    void segment(char const* p, char const* end, bool eol)
    {
        if(pending_cr_) {
            pending_cr_ = false;
            if(!(eol && p == end))
                content_literal("\r"); // the CR of the previous chunk was not a line end
            // else: CR + LF across the chunk boundary, a line end handled below
        }
        char const* line_end = end; // where the line end bytes start (for CRLF pass-through)
        if(eol) {
            if(p < end && end[-1] == '\r')
                --end;
        } else if(p < end && end[-1] == '\r') {
            --end;
            pending_cr_ = true;
        }
        if(relaxed_)
            relaxed_content(p, end);
        else if(p < end) {
            flush_pending();
            emit(p, end);
        }
        if(eol) {
            pending_wsp_ = false;
            wsp_src_ = nullptr;
            ++pending_crlf_;
            // A CRLF in the input can be passed through when it is the only pending line end.
            crlf_src_ = (line_end != end) ? end : nullptr;
            crlf_count_at_src_ = pending_crlf_;
        }
    }

    void relaxed_content(char const* p, char const* end)
    {
        while(p < end) {
            if(*p == ' ' || *p == '\t') {
                char const* q = p;
                while(q < end && (*q == ' ' || *q == '\t'))
                    ++q;
                pending_wsp_ = true;
                wsp_src_ = (q - p == 1 && *p == ' ') ? p : nullptr;
                p = q;
                continue;
            }
            char const* stop = detail::find_relaxed_rewrite(p, end);
            flush_pending();
            emit(p, stop);
            p = stop;
        }
    }

    // Emits what is owed before new content: pending empty lines, then a pending space.
    void flush_pending()
    {
        if(pending_crlf_ != 0) {
            if(pending_crlf_ == 1 && crlf_src_ != nullptr && crlf_count_at_src_ == 1)
                emit(crlf_src_, crlf_src_ + 2);
            else
                for(; pending_crlf_ != 0; --pending_crlf_)
                    literal("\r\n");
            pending_crlf_ = 0;
            crlf_src_ = nullptr;
        }
        if(pending_wsp_) {
            if(wsp_src_ != nullptr)
                emit(wsp_src_, wsp_src_ + 1);
            else
                literal(" ");
            pending_wsp_ = false;
            wsp_src_ = nullptr;
        }
        emitted_ = true;
    }

    void content_literal(std::string_view s)
    {
        flush_pending();
        literal(s);
    }

    // Output that is a piece of the current chunk: extend the pass-through span if contiguous.
    void emit(char const* p, char const* end)
    {
        if(p == end)
            return;
        if(span_end_ == p && span_begin_ != nullptr) {
            span_end_ = end;
            return;
        }
        flush_span();
        span_begin_ = p;
        span_end_ = end;
    }

    void literal(std::string_view s)
    {
        flush_span();
        append(s);
    }

    void flush_span()
    {
        if(span_begin_ == nullptr)
            return;
        std::string_view const s(span_begin_, static_cast<std::size_t>(span_end_ - span_begin_));
        span_begin_ = span_end_ = nullptr;
        if(s.size() >= buffer_size / 4) {
            flush_buffer();
            sink_(s);
        } else
            append(s);
    }

    void append(std::string_view s)
    {
        if(used_ + s.size() > buffer_size)
            flush_buffer();
        if(s.size() > buffer_size) {
            sink_(s);
            return;
        }
        std::memcpy(buffer_.get() + used_, s.data(), s.size());
        used_ += s.size();
    }

    void flush_buffer()
    {
        if(used_ != 0)
            sink_(std::string_view(buffer_.get(), used_));
        used_ = 0;
    }

    Sink sink_;
    std::unique_ptr<char[]> buffer_;
    std::size_t used_ = 0;
    char const* span_begin_ = nullptr;
    char const* span_end_ = nullptr;
    char const* crlf_src_ = nullptr;
    char const* wsp_src_ = nullptr;
    std::uint64_t pending_crlf_ = 0;
    std::uint64_t crlf_count_at_src_ = 0;
    bool relaxed_;
    bool pending_wsp_ = false;
    bool pending_cr_ = false;
    bool emitted_ = false;
};

/// Canonicalises a whole body at once (tests, signing a message held in memory).
inline std::string
canonicalize_body(canonicalization c, std::string_view body)
{
    std::string out;
    body_canonicalizer canon(c, [&out](std::string_view s) { out.append(s); });
    canon.update(body);
    canon.finish();
    return out;
}

} // namespace authmilter::dkim

#endif
