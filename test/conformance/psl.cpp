// Conformance: the Public Suffix List project's test_psl.txt (78 cases) against the snapshot
// test/data/psl/public_suffix_list.dat. `expected` is the registrable domain (null when the
// input is a public suffix or invalid), in the same U-label/A-label form as the input.
#include <authmilter/dmarc/public_suffix_list.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace json = boost::json;

int
main(int argc, char** argv)
{
    std::string const dir = argc > 1 ? argv[1] : AUTHMILTER_TESTDATA_DIR;
    std::error_code ec;
    auto const psl = authmilter::dmarc::public_suffix_list::load(dir + "/psl/public_suffix_list.dat", ec);
    if(ec || psl.rule_count() < 1000) {
        std::cerr << "cannot load the PSL snapshot: " << ec.message() << "\n";
        return 2;
    }
    std::ifstream in(dir + "/psl/test_psl.json", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto const doc = json::parse(ss.str()).as_object();
    int passed = 0, failed = 0;
    for(auto const& v : doc.at("cases").as_array()) {
        auto const& c = v.as_object();
        std::optional<std::string> got;
        if(!c.at("input").is_null())
            got = psl.registrable_domain(std::string(c.at("input").as_string()));
        std::optional<std::string> want;
        if(!c.at("expected").is_null())
            want = std::string(c.at("expected").as_string());
        if(got == want) {
            ++passed;
        } else {
            ++failed;
            std::cout << "FAIL [" << c.at("section").as_string() << "] " << json::serialize(c.at("input"))
                      << ": got " << (got ? *got : "null") << ", want " << (want ? *want : "null") << "\n";
        }
    }
    std::cout << "psl test_psl: " << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
