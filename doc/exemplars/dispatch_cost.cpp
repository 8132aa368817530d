// Shows what static dispatch compiles to (see doc/pipeline.md):
//   g++ -std=c++20 -O2 -Iinclude -c doc/exemplars/dispatch_cost.cpp -o /tmp/dispatch_cost.o
//   objdump -d --no-show-raw-insn -C /tmp/dispatch_cost.o
#include <authmilter/pipeline/pipeline.hpp>

#include <string>

namespace pl = authmilter::pipeline;

struct header_counter {
    static constexpr std::string_view name = "HeaderCounter";
    struct state {
        int headers = 0;
    };
    void on_header(auto& ctx, pl::events::header const&) { ++ctx.state().headers; }
};

struct no_resolver {};
using chain = pl::pipeline<header_counter>;
using txn = pl::transaction<chain, no_resolver, std::string>;

// No handler has on_helo: this function must compile to a bare return.
void
unused_stage(chain const& p, txn& t)
{
    p.dispatch_sync(t, pl::events::helo{"mx.example.com"});
}

// One handler has on_header: this must be the verdict check, the enabled check and an increment.
void
used_stage(chain const& p, txn& t, authmilter::core::header_field const& f)
{
    p.dispatch_sync(t, pl::events::header{f});
}
