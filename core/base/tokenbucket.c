#include "core/base/tokenbucket.h"

void cw_tokenbucket_init(cw_tokenbucket *tb, double rate, double burst, uint64_t now_ns)
{
    tb->rate = rate;
    tb->burst = burst > 0 ? burst : 1;
    tb->tokens = tb->burst;
    tb->last_ns = now_ns;
}

bool cw_tokenbucket_take(cw_tokenbucket *tb, double n, uint64_t now_ns)
{
    if (tb->rate <= 0)
        return true;
    if (now_ns > tb->last_ns) {
        tb->tokens += (double)(now_ns - tb->last_ns) * 1e-9 * tb->rate;
        if (tb->tokens > tb->burst)
            tb->tokens = tb->burst;
        tb->last_ns = now_ns;
    }
    if (tb->tokens < n)
        return false;
    tb->tokens -= n;
    return true;
}
