// expect: template constraint failure
#include <authmilter/pipeline/pipeline.hpp>

struct nameless {};

authmilter::pipeline::pipeline<nameless> chain;
