// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DNS_DETAIL_CARES_MESSAGE_HPP
#define AUTHMILTER_DNS_DETAIL_CARES_MESSAGE_HPP

#include <authmilter/core/ip_address.hpp>
#include <authmilter/dns/answer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authmilter::dns::detail {

/// A bounded reader of one DNS message (RFC 1035 section 4). Every read checks the length; name
/// compression pointers must point backwards, so a hostile message cannot loop.
class wire_reader {
public:
    wire_reader(std::uint8_t const* data, std::size_t size) noexcept
        : data_(data)
        , size_(size)
    {}

    std::size_t pos() const noexcept { return pos_; }
    void seek(std::size_t p) noexcept { pos_ = p; }
    std::size_t size() const noexcept { return size_; }

    bool u8(std::uint8_t& v) noexcept
    {
        if(pos_ + 1 > size_)
            return false;
        v = data_[pos_++];
        return true;
    }
    bool u16(std::uint16_t& v) noexcept
    {
        if(pos_ + 2 > size_)
            return false;
        v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
        pos_ += 2;
        return true;
    }
    bool u32(std::uint32_t& v) noexcept
    {
        if(pos_ + 4 > size_)
            return false;
        v = static_cast<std::uint32_t>(data_[pos_]) << 24 |
            static_cast<std::uint32_t>(data_[pos_ + 1]) << 16 |
            static_cast<std::uint32_t>(data_[pos_ + 2]) << 8 | data_[pos_ + 3];
        pos_ += 4;
        return true;
    }
    bool bytes(std::uint8_t* out, std::size_t n) noexcept
    {
        if(pos_ + n > size_)
            return false;
        for(std::size_t i = 0; i < n; ++i)
            out[i] = data_[pos_ + i];
        pos_ += n;
        return true;
    }

    /// Reads a possibly compressed name as dotted text without trailing dot (root: empty).
    /// `lower` folds ASCII upper case.
    bool name(std::string& out, bool lower)
    {
        out.clear();
        std::size_t p = pos_;
        std::size_t end = 0; // where reading continues after the first pointer
        bool jumped = false;
        std::size_t wire_length = 0;
        while(true) {
            if(p >= size_)
                return false;
            std::uint8_t const len = data_[p];
            if((len & 0xc0) == 0xc0) {
                if(p + 2 > size_)
                    return false;
                std::size_t const target = static_cast<std::size_t>(len & 0x3f) << 8 | data_[p + 1];
                if(target >= p) // only backwards: bounds the number of jumps
                    return false;
                if(!jumped) {
                    end = p + 2;
                    jumped = true;
                }
                p = target;
                continue;
            }
            if((len & 0xc0) != 0)
                return false; // extended label types are not used in answers
            ++p;
            wire_length += len + 1u;
            if(wire_length > 255)
                return false;
            if(len == 0)
                break;
            if(p + len > size_)
                return false;
            if(!out.empty())
                out.push_back('.');
            for(std::size_t i = 0; i < len; ++i) {
                char c = static_cast<char>(data_[p + i]);
                if(lower && c >= 'A' && c <= 'Z')
                    c = static_cast<char>(c - 'A' + 'a');
                out.push_back(c);
            }
            p += len;
        }
        pos_ = jumped ? end : p;
        return true;
    }

private:
    std::uint8_t const* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

/// One resource record of the answer section, decoded when its type is one we use.
struct wire_rr {
    std::string owner; ///< lower case
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::optional<record> decoded; ///< for A, AAAA, TXT, SPF, MX, PTR, CNAME, NS
};

inline std::string
lower_name(std::string_view n)
{
    std::string out(n);
    if(!out.empty() && out.back() == '.')
        out.pop_back();
    for(auto& c : out)
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// Decodes rdata of `rr` at the reader's position (rdlength bytes).
inline bool
decode_rdata(wire_reader& r, wire_rr& rr, std::uint16_t rdlength)
{
    std::size_t const start = r.pos();
    std::size_t const stop = start + rdlength;
    if(stop > r.size())
        return false;
    record rec{rr.owner, static_cast<rr_type>(rr.type), rr.ttl, {}};
    switch(static_cast<rr_type>(rr.type)) {
    case rr_type::a: {
        std::array<std::uint8_t, 4> b{};
        if(rdlength != 4 || !r.bytes(b.data(), 4))
            return false;
        rec.data = core::ip_address::from_v4(b);
        break;
    }
    case rr_type::aaaa: {
        std::array<std::uint8_t, 16> b{};
        if(rdlength != 16 || !r.bytes(b.data(), 16))
            return false;
        rec.data = core::ip_address::from_v6(b);
        break;
    }
    case rr_type::txt:
    case rr_type::spf: {
        txt_data t;
        while(r.pos() < stop) {
            std::uint8_t len = 0;
            if(!r.u8(len) || r.pos() + len > stop)
                return false;
            std::string s(len, '\0');
            if(!r.bytes(reinterpret_cast<std::uint8_t*>(s.data()), len))
                return false;
            t.strings.push_back(std::move(s));
        }
        rec.data = std::move(t);
        break;
    }
    case rr_type::mx: {
        mx_data m;
        if(!r.u16(m.preference) || !r.name(m.exchange, false))
            return false;
        rec.data = std::move(m);
        break;
    }
    case rr_type::ptr:
    case rr_type::cname:
    case rr_type::ns: {
        std::string n;
        if(!r.name(n, false))
            return false;
        rec.data = std::move(n);
        break;
    }
    default: r.seek(stop); return true; // a type we do not use: skipped
    }
    if(r.pos() != stop)
        return false;
    rr.decoded = std::move(rec);
    return true;
}

/// Turns a DNS response into an answer for `qname`/`qtype`: the RCODE decides the outcome;
/// CNAMEs in the answer section are followed from `qname` (at most 8); the TTL is the minimum
/// over the records and CNAMEs used, or for NXDOMAIN/NODATA min(SOA TTL, SOA minimum) from
/// the authority section (RFC 2308 section 5), 0 without SOA. Anything truncated or
/// inconsistent gives outcome::malformed. Never throws except std::bad_alloc.
inline answer
parse_response(std::uint8_t const* data, std::size_t size, std::string_view qname, rr_type qtype)
{
    answer const bad{outcome::malformed, {}, 0};
    wire_reader r(data, size);
    std::uint16_t id, flags, qd, an, ns, ar;
    if(!r.u16(id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar))
        return bad;
    if((flags & 0x8000) == 0)
        return bad; // not a response
    std::string scratch;
    for(std::uint16_t i = 0; i < qd; ++i) {
        std::uint32_t skip;
        if(!r.name(scratch, true) || !r.u32(skip))
            return bad;
    }
    std::vector<wire_rr> rrs;
    for(std::uint16_t i = 0; i < an; ++i) {
        wire_rr rr;
        std::uint16_t cls, rdlength;
        if(!r.name(rr.owner, true) || !r.u16(rr.type) || !r.u16(cls) || !r.u32(rr.ttl) || !r.u16(rdlength))
            return bad;
        if(rr.ttl > 0x7fffffffu)
            rr.ttl = 0; // RFC 2181 section 8
        if(cls != 1) {
            if(r.pos() + rdlength > r.size())
                return bad;
            r.seek(r.pos() + rdlength);
            continue;
        }
        if(!decode_rdata(r, rr, rdlength))
            return bad;
        rrs.push_back(std::move(rr));
    }
    std::optional<std::uint32_t> negative_ttl;
    for(std::uint16_t i = 0; i < ns; ++i) {
        std::uint16_t type, cls, rdlength;
        std::uint32_t ttl;
        if(!r.name(scratch, true) || !r.u16(type) || !r.u16(cls) || !r.u32(ttl) || !r.u16(rdlength))
            return bad;
        std::size_t const stop = r.pos() + rdlength;
        if(stop > r.size())
            return bad;
        if(type == 6 && cls == 1 && !negative_ttl) {
            std::uint32_t serial, refresh, retry, expire, minimum;
            if(!r.name(scratch, true) || !r.name(scratch, true) || !r.u32(serial) || !r.u32(refresh) ||
               !r.u32(retry) || !r.u32(expire) || !r.u32(minimum) || r.pos() != stop)
                return bad;
            if(ttl > 0x7fffffffu)
                ttl = 0;
            negative_ttl = minimum < ttl ? minimum : ttl;
        }
        r.seek(stop);
    }
    std::uint32_t const neg = negative_ttl.value_or(0);
    switch(flags & 0x000f) {
    case 0: break;
    case 2: return answer{outcome::servfail, {}, 0};
    case 3: return answer{outcome::nxdomain, {}, neg};
    case 5: return answer{outcome::refused, {}, 0};
    default: return bad;
    }
    auto const wanted = static_cast<std::uint16_t>(qtype);
    std::string current = lower_name(qname);
    std::uint32_t chain_ttl = 0xffffffffu;
    for(int depth = 0; depth < 9; ++depth) {
        answer out{outcome::noerror, {}, chain_ttl};
        std::string const* next = nullptr;
        std::uint32_t next_ttl = 0;
        for(auto& rr : rrs) {
            if(rr.owner != current || !rr.decoded)
                continue;
            if(rr.type == wanted) {
                out.records.push_back(*rr.decoded);
                out.ttl = rr.ttl < out.ttl ? rr.ttl : out.ttl;
            } else if(rr.type == static_cast<std::uint16_t>(rr_type::cname) && next == nullptr) {
                next = std::get_if<std::string>(&rr.decoded->data);
                next_ttl = rr.ttl;
            }
        }
        if(!out.records.empty())
            return out;
        if(next == nullptr)
            return answer{outcome::nodata, {}, neg};
        chain_ttl = next_ttl < chain_ttl ? next_ttl : chain_ttl;
        current = lower_name(*next);
    }
    return answer{outcome::servfail, {}, 0}; // CNAME chain too long or looping
}

} // namespace authmilter::dns::detail

#endif
