// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
#ifndef AUTHMILTER_DKIM_VERIFIER_HPP
#define AUTHMILTER_DKIM_VERIFIER_HPP

#include <authmilter/core/header_field.hpp>
#include <authmilter/dkim/body_hash.hpp>
#include <authmilter/dkim/canonicalization.hpp>
#include <authmilter/dkim/crypto.hpp>
#include <authmilter/dkim/detail/header_hash.hpp>
#include <authmilter/dkim/error.hpp>
#include <authmilter/dkim/key_cache.hpp>
#include <authmilter/dkim/key_record.hpp>
#include <authmilter/dkim/result.hpp>
#include <authmilter/dkim/signature.hpp>
#include <authmilter/dns/answer.hpp>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authmilter::dkim {

/// Verifier policy. The defaults are RFC 6376 + RFC 8301 + RFC 8463 strict.
struct verify_options {
    /// Signatures evaluated per message; later ones get `policy` (too_many_signatures) and cost
    /// no DNS query.
    std::size_t max_signatures = 10;
    /// Accept rsa-sha1 (RFC 8301 3.1 says verifiers MUST NOT); off: rsa-sha1 is permerror.
    bool allow_sha1 = false;
    /// Smallest RSA key accepted (RFC 8301 3.2: 1024). Smaller keys are permerror.
    unsigned min_rsa_bits = 1024;
    /// "Now" as Unix time for the x= and t= checks; nullopt: the system clock at finish().
    std::optional<std::int64_t> now;
    /// How far (seconds) t= may lie in the future before the signature is refused as
    /// signature_in_future (RFC 6376 3.5: verifiers MAY ignore such signatures). A day by
    /// default: signers with a wrong clock or time zone are common, and refusing them buys
    /// nothing since t= is not a security property; absurd timestamps are still refused.
    std::int64_t allowed_clock_skew = 86400;
    /// The field that carries signatures ("X-Google-DKIM-Signature" for Google's own).
    std::string signature_field = "DKIM-Signature";
    /// The name the signature's own field is hashed under; empty: its own name as received.
    /// "DKIM-Signature" for Google's X-Google-DKIM-Signature, which is made as a DKIM-Signature
    /// and renamed afterwards (Mail::DKIM verifies it renamed back).
    std::string signature_field_hashed_as;
    /// Decoded keys shared across messages (not owned; must outlive the verifier; thread-safe,
    /// one per process is enough). nullptr: every message decodes its keys.
    key_cache* keys = nullptr;
};

/// A key lookup the verifier needs: TXT at `name` = `<selector>._domainkey.<domain>`.
struct key_query {
    std::string selector;
    std::string domain;
    std::string name;
};

/// Verifies every DKIM signature of one message, driven stage by stage (sans-I/O).
///
/// 1. on_header() for each header field in order. When the field is a usable DKIM-Signature
///    whose key has not been asked for yet, it returns the key_query to start now (the DNS
///    answer is needed only at finish()).
/// 2. on_body() any number of times with chunks of any size (CRLF or LF line ends). Body
///    hashes are streamed; the body is never kept.
/// 3. on_key() with the answer of each query, whenever it arrives (before finish()).
/// 4. finish() returns one signature_result per DKIM-Signature field, in header order
///    (empty: the message is unsigned, its DKIM result is `none`).
///
/// Memory is bounded by the header block (kept: signatures cover headers chosen later) plus a
/// few KiB per distinct body canonicalisation.
class verifier {
public:
    explicit verifier(verify_options options = {})
        : options_(std::move(options))
    {}

    /// Feeds one header field. Returns the key lookup to start, if this field needs one.
    std::optional<key_query> on_header(core::header_field field)
    {
        headers_.push_back(std::move(field));
        auto const& h = headers_.back();
        if(!h.is(options_.signature_field))
            return std::nullopt;
        sig_state st;
        st.header = headers_.size() - 1;
        st.parse = parse_signature(h.raw_value, st.sig);
        if(body_started_)
            st.parse = st.parse == error{} ? error::header_after_body : st.parse;
        std::size_t const n = sigs_.size();
        sigs_.push_back(std::move(st));
        auto& s = sigs_.back();
        if(s.parse != error{} || n >= options_.max_signatures || pre_key_error(s.sig) != error{})
            return std::nullopt;
        auto const name = detail::to_lower(s.sig.key_name());
        for(std::size_t q = 0; q < queries_.size(); ++q) {
            if(queries_[q].name == name) {
                s.query = q;
                return std::nullopt;
            }
        }
        queries_.push_back(key_query{s.sig.selector, s.sig.domain, name});
        answers_.emplace_back();
        s.query = queries_.size() - 1;
        return queries_.back();
    }

    /// Feeds one chunk of the body.
    void on_body(std::string_view chunk)
    {
        start_body();
        hashes_->update(chunk);
    }

    /// Supplies the DNS answer for the query named `name` (case-insensitive, one trailing dot
    /// ignored). Unknown names are
    /// ignored; a second answer replaces the first.
    void on_key(std::string_view name, dns::answer answer)
    {
        auto n = detail::to_lower(name);
        if(!n.empty() && n.back() == '.')
            n.pop_back();
        for(std::size_t q = 0; q < queries_.size(); ++q)
            if(queries_[q].name == n)
                answers_[q] = std::move(answer);
    }

    /// All distinct key lookups so far, in the order on_header() returned them.
    std::vector<key_query> const& queries() const noexcept { return queries_; }

    /// True when query `i` has its answer.
    bool answered(std::size_t i) const noexcept { return answers_[i].has_value(); }

    /// Replaces `verify_options::keys` (before finish(); not owned, nullptr: no cache).
    void set_key_cache(key_cache* keys) noexcept { options_.keys = keys; }

    /// Number of signature fields seen.
    std::size_t signature_count() const noexcept { return sigs_.size(); }

    /// Ends the message and evaluates every signature.
    std::vector<signature_result> finish();

private:
    struct sig_state {
        signature sig;
        error parse{};
        std::size_t header = 0;
        std::optional<std::size_t> query;
        std::size_t body = 0;
    };

    struct loaded_key {
        error err{};
        key_record rec; // when there is no entry: as far as parsed (t=y is reported)
        std::shared_ptr<cached_key const> entry;
        std::string dns_detail;

        key_record const& record() const noexcept { return entry ? entry->rec : rec; }
        public_key const* key() const noexcept { return entry ? &entry->key : nullptr; }
    };

    std::int64_t now() const
    {
        return options_.now ? *options_.now : static_cast<std::int64_t>(std::time(nullptr));
    }

    // Checks that need no key; done at on_header() so that such signatures cost no DNS query.
    error pre_key_error(signature const& sig) const
    {
        if(sig.algo == algorithm::rsa_sha1 && !options_.allow_sha1)
            return error::sha1_not_allowed;
        auto const t = now();
        if(sig.expiration && static_cast<std::int64_t>(*sig.expiration) < t)
            return error::signature_expired;
        if(sig.timestamp && static_cast<std::int64_t>(*sig.timestamp) > t + options_.allowed_clock_skew)
            return error::signature_in_future;
        return error{};
    }

    void start_body()
    {
        if(body_started_)
            return;
        body_started_ = true;
        hashes_ = std::make_unique<body_hash_set>();
        for(auto& s : sigs_)
            if(s.parse == error{})
                s.body = hashes_->add(s.sig.body_canon, hash_of(*s.sig.algo), s.sig.body_length);
    }

    loaded_key load_key(std::size_t q) const;

    verify_options options_;
    std::vector<core::header_field> headers_;
    std::vector<sig_state> sigs_;
    std::vector<key_query> queries_;
    std::vector<std::optional<dns::answer>> answers_;
    std::unique_ptr<body_hash_set> hashes_;
    bool body_started_ = false;
};

inline verifier::loaded_key
verifier::load_key(std::size_t q) const
{
    loaded_key out;
    auto const& a = answers_[q];
    if(!a) {
        out.err = error::key_lookup_incomplete;
        return out;
    }
    if(dns::is_temporary(a->status)) {
        out.err = error::key_lookup_failed;
        out.dns_detail = "dns " + std::string(dns::to_string(a->status));
        return out;
    }
    auto const txts = a->txts();
    if(a->status != dns::outcome::noerror || txts.empty()) {
        out.err = error::no_key;
        return out;
    }
    // RFC 6376 3.6.2.2: several records are undefined; use the first that is a valid key and
    // report the first record's problem if none is.
    error first{};
    for(auto const& txt : txts) {
        if(options_.keys != nullptr) {
            if(auto hit = options_.keys->find(txt)) {
                out.entry = std::move(hit);
                return out;
            }
        }
        key_record rec;
        auto e = parse_key_record(txt, rec);
        if(e == error{}) {
            auto k = public_key::from_record(rec);
            if(k) {
                if(options_.keys != nullptr)
                    out.entry = options_.keys->insert(txt, std::move(rec), std::move(*k));
                else
                    out.entry =
                        std::make_shared<cached_key const>(cached_key{{}, std::move(rec), std::move(*k)});
                return out;
            }
            e = error::key_bad_data;
        }
        if(first == error{}) {
            first = e;
            out.rec = std::move(rec);
        }
    }
    out.err = first;
    return out;
}

inline std::vector<signature_result>
verifier::finish()
{
    start_body();
    hashes_->finish();
    std::vector<signature_result> out;
    std::vector<std::optional<loaded_key>> keys(queries_.size());
    for(std::size_t i = 0; i < sigs_.size(); ++i) {
        auto const& s = sigs_[i];
        signature_result r;
        r.index = i;
        r.domain = s.sig.domain;
        r.identity = s.sig.identity;
        r.selector = s.sig.selector;
        r.b = s.sig.b;
        r.algo = s.sig.algo;
        auto const done = [&](error e) {
            r.reason = e;
            r.res = e == error{} ? result::pass : result_of(e);
            out.push_back(std::move(r));
        };
        if(s.parse != error{}) {
            done(s.parse);
            continue;
        }
        if(i >= options_.max_signatures) {
            done(error::too_many_signatures);
            continue;
        }
        if(auto const e = pre_key_error(s.sig); e != error{}) {
            done(e);
            continue;
        }
        if(!s.query) {
            done(error::key_lookup_incomplete);
            continue;
        }
        auto& slot = keys[*s.query];
        if(!slot)
            slot = load_key(*s.query);
        auto const& k = *slot;
        auto const* key = k.key();
        auto const& rec = k.record();
        if(key) {
            r.key = key->type();
            r.key_bits = key->bits();
        }
        r.testing = rec.testing;
        r.dns_detail = k.dns_detail;
        if(k.err != error{}) {
            done(k.err);
            continue;
        }
        auto const algo = *s.sig.algo;
        if(key->type() != key_type_of(algo)) {
            done(error::key_type_mismatch);
            continue;
        }
        if(!rec.allows(hash_of(algo))) {
            done(error::key_hash_not_allowed);
            continue;
        }
        if(!rec.email_service) {
            done(error::key_service_not_allowed);
            continue;
        }
        if(rec.strict && !detail::iequals(s.sig.identity_domain(), s.sig.domain)) {
            done(error::key_strict_identity);
            continue;
        }
        if(key->type() == key_type::rsa && key->bits() < options_.min_rsa_bits) {
            done(error::key_too_small);
            continue;
        }
        if(s.sig.body_length && *s.sig.body_length > hashes_->canonical_length(s.body)) {
            done(error::body_length_exceeds);
            continue;
        }
        if(hashes_->value(s.body) != s.sig.body_hash) {
            done(error::body_hash_mismatch);
            continue;
        }
        digest md(hash_of(algo));
        auto const& self = headers_[s.header];
        md.update(detail::header_hash_input(s.sig.header_canon, s.sig.signed_headers, headers_, s.header,
                                            options_.signature_field_hashed_as.empty()
                                                ? std::string_view(self.name)
                                                : std::string_view(options_.signature_field_hashed_as),
                                            without_b_value(self.raw_value)));
        auto const h = md.final();
        if(h.empty()) {
            done(error::crypto_failure);
            continue;
        }
        done(key->verify(hash_of(algo), h, s.sig.signature_data) ? error{} : error::signature_mismatch);
    }
    return out;
}

} // namespace authmilter::dkim

#endif
