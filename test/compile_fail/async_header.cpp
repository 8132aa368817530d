// expect: authmilter: on_header is the hot path and must return void, not an awaitable
#include <authmilter/pipeline/pipeline.hpp>

struct slow {
    static constexpr std::string_view name = "Slow";
    boost::asio::awaitable<void> on_header(auto&, authmilter::pipeline::events::header const&);
};

authmilter::pipeline::pipeline<slow> chain;
