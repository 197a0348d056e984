/* fdlimit.c — fitting the game's connection count to the open-file limit
 * (fdlimit.h). */
#include "core/base/fdlimit.h"

#include "core/base/err.h"

#include <limits.h>
#include <string.h>
#include <sys/resource.h>

static long long to_ll(rlim_t v)
{
    if (v == RLIM_INFINITY || v > (rlim_t)LLONG_MAX) return -1;
    return (long long)v;
}

int cw_fdlimit_fit(int want, int reserve, long long limit)
{
    if (want < 0) want = 0;
    if (reserve < 0) reserve = 0;
    if (limit < 0) return want;
    long long room = limit - reserve;
    if (room <= 0) return 0;
    return room < want ? (int)room : want;
}

int cw_fdlimit_apply(int want, int reserve, cw_fdlimit *out)
{
    memset(out, 0, sizeof *out);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return CW_EIO;
    out->soft_before = to_ll(rl.rlim_cur);
    out->hard = to_ll(rl.rlim_max);
    if (rl.rlim_cur != rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
            /* An unlimited hard limit is more than the kernel's nr_open: ask
             * for what the game needs (plus room for the rest) instead. */
            long long need = (long long)(want > 0 ? want : 0) + (reserve > 0 ? reserve : 0) + 256;
            if ((rlim_t)need > rl.rlim_cur && (out->hard < 0 || need <= out->hard)) {
                up.rlim_cur = (rlim_t)need;
                (void)setrlimit(RLIMIT_NOFILE, &up);
            }
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return CW_EIO;
    }
    out->soft = to_ll(rl.rlim_cur);
    out->max_connections = cw_fdlimit_fit(want, reserve, out->soft);
    out->lowered = out->max_connections < want;
    return out->max_connections > 0 ? 0 : CW_ELIMIT;
}
