// Copyright (c) 2026 The authmilter authors. Distributed under the Boost Software License, Version 1.0.
//
// Conformance runner for authres/authres-cases.json (format: test/data/README.md, "Authentication-Results").
//
// Counts each checked expectation, not each case:
//   parse case, valid=false:  1 (parse must fail)
//   parse case, valid=true:   1 (parse succeeds) + 1 (model: authserv_id, authserv_version,
//                             header_comments, every result's method, version, result, reason,
//                             comments, properties and non_rfc_items) + 1 per expected_as_string style
//   format case:              1 (parse then format, byte for byte)
// Prints "N passed, N failed", lists each failure with its case id, exits non-zero on any failure.

#include <authmilter/authres/format.hpp>
#include <authmilter/authres/parse.hpp>

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
namespace ar = authmilter::authres;

namespace {

/// Expected deviations: a check that cannot pass for a principled reason, also listed with its reason in
/// doc/authres.md. Each entry is (case id, check name). Keep it as short as possible; it is empty.
struct deviation {
    std::string_view id;
    std::string_view check;
};
constexpr std::array<deviation, 0> expected_deviations{};

bool
is_expected_deviation(std::string_view id, std::string_view check)
{
    for(auto const& d : expected_deviations)
        if(d.id == id && d.check == check)
            return true;
    return false;
}

struct tally {
    int passed = 0;
    int failed = 0;
    int deviations = 0;
    std::vector<std::string> failures;

    void check(bool ok, std::string_view id, std::string_view what, std::string const& detail = {})
    {
        if(ok) {
            ++passed;
            return;
        }
        if(is_expected_deviation(id, what)) {
            ++deviations;
            return;
        }
        ++failed;
        std::string f = std::string(id) + ": " + std::string(what);
        if(!detail.empty())
            f += "\n" + detail;
        failures.push_back(std::move(f));
    }
};

std::string
str(json::value const& v)
{
    return std::string(v.as_string());
}

std::vector<std::string>
strings(json::object const& o, std::string_view key)
{
    std::vector<std::string> out;
    if(auto const* v = o.if_contains(key))
        for(auto const& s : v->as_array())
            out.push_back(str(s));
    return out;
}

std::string
show(std::string_view s)
{
    std::string out = "\"";
    for(char c : s) {
        if(c == '\n')
            out += "\\n";
        else if(c == '\r')
            out += "\\r";
        else if(c == '\t')
            out += "\\t";
        else
            out += c;
    }
    return out + "\"";
}

/// Compares the parsed model with the JSON expectation; returns an empty string when equal.
std::string
compare_model(ar::header const& h, json::object const& c)
{
    std::ostringstream why;
    if(h.authserv_id != str(c.at("authserv_id")))
        why << "  authserv_id: got " << show(h.authserv_id) << "\n";
    std::optional<std::string> version;
    if(auto const* v = c.if_contains("authserv_version"); v && !v->is_null())
        version = str(*v);
    if(h.authserv_version != version)
        why << "  authserv_version: got " << show(h.authserv_version.value_or("<none>")) << "\n";
    if(h.header_comments != strings(c, "header_comments"))
        why << "  header_comments differ (got " << h.header_comments.size() << ")\n";

    auto const& results = c.at("results").as_array();
    if(results.size() != h.results.size()) {
        why << "  results: got " << h.results.size() << ", expected " << results.size() << "\n";
        return why.str();
    }
    for(std::size_t i = 0; i < results.size(); ++i) {
        auto const& e = results[i].as_object();
        auto const& r = h.results[i];
        std::string const at = "  results[" + std::to_string(i) + "] ";
        if(r.method != str(e.at("method")))
            why << at << "method: got " << show(r.method) << "\n";
        std::optional<std::string> mv;
        if(auto const* v = e.if_contains("method_version"))
            mv = str(*v);
        if(r.method_version != mv)
            why << at << "method_version: got " << show(r.method_version.value_or("<none>")) << "\n";
        if(r.value != str(e.at("result")))
            why << at << "result: got " << show(r.value) << "\n";
        std::optional<std::string> reason;
        if(auto const* v = e.if_contains("reason"))
            reason = str(*v);
        if(r.reason != reason)
            why << at << "reason: got " << show(r.reason.value_or("<none>")) << "\n";
        if(r.comments != strings(e, "comments"))
            why << at << "comments differ\n";

        auto rfc = r.rfc_properties();
        auto const& props = e.at("properties").as_array();
        if(rfc.size() != props.size()) {
            why << at << "properties: got " << rfc.size() << ", expected " << props.size() << "\n";
        } else {
            for(std::size_t j = 0; j < props.size(); ++j) {
                auto const& p = props[j].as_object();
                if(rfc[j].ptype != str(p.at("ptype")) || rfc[j].name != str(p.at("property")) ||
                   rfc[j].value != str(p.at("value")) || rfc[j].comments != strings(p, "comments"))
                    why << at << "property " << j << ": got " << rfc[j].key() << "=" << show(rfc[j].value)
                        << "\n";
            }
        }
        auto other = r.non_rfc_items();
        std::size_t expected_other = 0;
        if(auto const* v = e.if_contains("non_rfc_items")) {
            auto const& items = v->as_array();
            expected_other = items.size();
            for(std::size_t j = 0; j < items.size() && j < other.size(); ++j) {
                auto const& p = items[j].as_object();
                if(other[j].name != str(p.at("key")) || other[j].value != str(p.at("value")) ||
                   other[j].comments != strings(p, "comments"))
                    why << at << "non_rfc_item " << j << ": got " << other[j].name << "="
                        << show(other[j].value) << "\n";
            }
        }
        if(other.size() != expected_other)
            why << at << "non_rfc_items: got " << other.size() << ", expected " << expected_other << "\n";
    }
    return why.str();
}

std::optional<ar::fold_style>
style_from(std::string_view s)
{
    if(s == "none")
        return ar::fold_style::none;
    if(s == "entry")
        return ar::fold_style::entry;
    if(s == "subentry")
        return ar::fold_style::subentry;
    if(s == "full")
        return ar::fold_style::full;
    return std::nullopt;
}

void
run_parse_case(json::object const& c, tally& t)
{
    std::string const id = str(c.at("id"));
    std::string const input = str(c.at("input"));
    bool const valid = c.at("valid").as_bool();
    auto parsed = ar::parse(input);

    if(!valid) {
        t.check(!parsed, id, "rejected", parsed ? "  accepted: " + show(ar::to_string(*parsed)) : "");
        return;
    }
    t.check(parsed.has_value(), id, "accepted", parsed ? "" : "  error: " + parsed.error().message());
    if(!parsed)
        return;
    std::string const why = compare_model(*parsed, c);
    t.check(why.empty(), id, "model", why);

    auto const* styles = c.if_contains("expected_as_string");
    if(!styles)
        return;
    for(auto const& [key, value] : styles->as_object()) {
        ar::format_options o;
        std::string_view k = key;
        if(k == "full_strict") {
            o.style = ar::fold_style::full;
            o.strict_quotes = true;
        } else if(auto s = style_from(k)) {
            o.style = *s;
        } else {
            t.check(false, id, "as_string:" + std::string(k), "  unknown style");
            continue;
        }
        std::string const got = ar::to_string(*parsed, o);
        std::string const want = str(value);
        t.check(got == want, id, "as_string:" + std::string(k),
                "  expected " + show(want) + "\n  got      " + show(got));
    }
}

void
run_format_case(json::object const& c, std::size_t index, tally& t)
{
    std::string const id = "format-" + std::to_string(index);
    auto parsed = ar::parse(str(c.at("input")));
    if(!parsed) {
        t.check(false, id, "format", "  parse error: " + parsed.error().message());
        return;
    }
    ar::format_options o;
    auto style = style_from(str(c.at("style")));
    if(!style) {
        t.check(false, id, "format", "  unknown style");
        return;
    }
    o.style = *style;
    if(auto const* v = c.if_contains("fold_at"))
        o.fold_at = static_cast<std::size_t>(v->to_number<std::int64_t>());
    if(auto const* v = c.if_contains("eol"))
        o.eol = str(*v);
    if(auto const* v = c.if_contains("strict_quotes"))
        o.strict_quotes = v->as_bool();
    std::string const got = ar::to_string(*parsed, o);
    std::string const want = str(c.at("expected"));
    t.check(got == want, id, "format", "  expected " + show(want) + "\n  got      " + show(got));
}

} // namespace

int
main(int argc, char** argv)
{
    std::string dir = argc > 1 ? argv[1] : AUTHMILTER_TESTDATA_DIR;
    std::string const path = dir + "/authres/authres-cases.json";
    std::ifstream in(path, std::ios::binary);
    if(!in) {
        std::cerr << "cannot open " << path << "\n";
        return 2;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if(ec) {
        std::cerr << path << ": " << ec.message() << "\n";
        return 2;
    }

    tally t;
    auto const& root = doc.as_object();
    for(auto const& c : root.at("parse_cases").as_array())
        run_parse_case(c.as_object(), t);
    std::size_t index = 0;
    for(auto const& c : root.at("format_cases").as_array())
        run_format_case(c.as_object(), index++, t);

    for(auto const& f : t.failures)
        std::cout << "FAIL " << f << "\n";
    std::cout << "authres: " << t.passed << " passed, " << t.failed << " failed";
    if(t.deviations > 0)
        std::cout << " (" << t.deviations << " expected deviations, see doc/authres.md)";
    std::cout << " [counting each checked expectation]\n";
    return t.failed == 0 ? 0 : 1;
}
