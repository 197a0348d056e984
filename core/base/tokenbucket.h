/* tokenbucket.h — a token bucket rate limiter. Plain value, owned by the
 * caller; time is passed in (monotonic ns) so tests are deterministic. */
#ifndef CW_BASE_TOKENBUCKET_H
#define CW_BASE_TOKENBUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cw_tokenbucket {
    double tokens;  /* currently available */
    double rate;    /* tokens added per second */
    double burst;   /* capacity */
    uint64_t last_ns;
} cw_tokenbucket;

/* A full bucket. rate <= 0 means unlimited (take always succeeds). */
void cw_tokenbucket_init(cw_tokenbucket *tb, double rate, double burst, uint64_t now_ns);
/* Refills for the time since the last call, then takes n tokens if available. */
bool cw_tokenbucket_take(cw_tokenbucket *tb, double n, uint64_t now_ns);

#endif
