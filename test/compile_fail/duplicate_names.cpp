// expect: authmilter: two handlers in the chain have the same name
#include <authmilter/pipeline/pipeline.hpp>

struct a {
    static constexpr std::string_view name = "Same";
};
struct b {
    static constexpr std::string_view name = "Same";
};

authmilter::pipeline::pipeline<a, b> chain;
