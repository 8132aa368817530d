// expect: authmilter: a handler reads the result of a handler it does not list in `after`
#include <authmilter/pipeline/pipeline.hpp>

#include <string>

struct spf {
    static constexpr std::string_view name = "SPF";
    struct state {
        int result = 0;
    };
};
struct dmarc {
    static constexpr std::string_view name = "DMARC";
    void on_eom(auto& ctx, authmilter::pipeline::events::eom const&)
    {
        (void)ctx.template result_of<spf>(); // spf is not in `after`
    }
};

struct no_resolver {};
using chain = authmilter::pipeline::pipeline<spf, dmarc>;

void
use(chain const& p, authmilter::pipeline::transaction<chain, no_resolver, std::string>& txn)
{
    p.dispatch_sync(txn, authmilter::pipeline::events::eom{});
}
