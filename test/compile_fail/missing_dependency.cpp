// expect: authmilter: a handler's `after` names a handler that is missing from the chain or comes later in it
#include <authmilter/pipeline/pipeline.hpp>

struct spf {
    static constexpr std::string_view name = "SPF";
};
struct dmarc {
    static constexpr std::string_view name = "DMARC";
    using after = authmilter::pipeline::after_list<spf>;
};

authmilter::pipeline::pipeline<dmarc> chain;
