/* hist.c — see hist.h. */
#include "tools/chaos-load/hist.h"

#include <math.h>
#include <string.h>

#define SUB (1u << CW_HIST_SUB_BITS) /* 256 exact values */
#define HALF (SUB / 2)               /* 128 sub-buckets per power of two */

void cw_hist_init(cw_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

int cw_hist_bucket(uint64_t v)
{
    if (v < SUB) return (int)v;
    int msb = 63 - __builtin_clzll(v);        /* >= CW_HIST_SUB_BITS */
    int shift = msb - (CW_HIST_SUB_BITS - 1); /* v >> shift in [HALF, SUB) */
    return (int)(SUB + (unsigned)(shift - 1) * HALF + (unsigned)((v >> shift) - HALF));
}

uint64_t cw_hist_bucket_high(int i)
{
    if (i < (int)SUB) return (uint64_t)i;
    int shift = (i - (int)SUB) / (int)HALF + 1;
    uint64_t sub = (uint64_t)((i - (int)SUB) % (int)HALF) + HALF;
    return ((sub + 1) << shift) - 1;
}

void cw_hist_record(cw_hist *h, uint64_t v)
{
    h->counts[cw_hist_bucket(v)]++;
    h->total++;
    h->sum += (double)v;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

uint64_t cw_hist_quantile(const cw_hist *h, double q)
{
    if (h->total == 0) return 0;
    uint64_t target = (uint64_t)ceil(q * (double)h->total);
    if (target < 1) target = 1;
    uint64_t seen = 0;
    for (int i = 0; i < CW_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= target) {
            uint64_t v = cw_hist_bucket_high(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}
