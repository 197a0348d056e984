/* hist.h — a log-linear latency histogram (HdrHistogram-like, no deps).
 *
 * Values are unsigned 64-bit (chaos-load records nanoseconds). Values below
 * 256 have exact buckets; above, every power-of-two range is split into 128
 * linear sub-buckets, so a reported percentile is within 1/128 (< 0.8 %) of
 * the true value. Fixed size (~58 KiB), no allocation, O(1) record. */
#ifndef CW_TOOLS_LOAD_HIST_H
#define CW_TOOLS_LOAD_HIST_H

#include <stdint.h>

#define CW_HIST_SUB_BITS 8
#define CW_HIST_BUCKETS (256 + 56 * 128)

typedef struct cw_hist {
    uint64_t counts[CW_HIST_BUCKETS];
    uint64_t total;
    uint64_t min, max;
    double sum;
} cw_hist;

void cw_hist_init(cw_hist *h);
void cw_hist_record(cw_hist *h, uint64_t v);
/* The value at quantile q (0..1): the highest value of the bucket holding
 * the ceil(q * total)-th smallest sample, capped at the exact max. 0 when
 * empty. */
uint64_t cw_hist_quantile(const cw_hist *h, double q);
/* Bucket index of v and the highest value bucket i holds (for tests). */
int cw_hist_bucket(uint64_t v);
uint64_t cw_hist_bucket_high(int i);

#endif
