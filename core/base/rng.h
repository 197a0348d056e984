/* rng.h — the seedable generator every deterministic system uses.
 *
 * xoshiro256** seeded through splitmix64. The state is a plain value owned by
 * the caller (stack or struct); nothing allocates, nothing fails. The same seed
 * always yields the same stream on every platform. */
#ifndef CW_BASE_RNG_H
#define CW_BASE_RNG_H

#include <stdint.h>

typedef struct cw_rng {
    uint64_t s[4];
} cw_rng;

/* One splitmix64 step: advances *state and returns the next output. */
uint64_t cw_splitmix64(uint64_t *state);
/* Seeds the four words of r from seed through splitmix64. */
void cw_rng_seed(cw_rng *r, uint64_t seed);
/* Seeds r from several words (e.g. server seed, tick, attacker, target, skill):
 * each word is folded into a splitmix64 chain, so the order matters. */
void cw_rng_seed_words(cw_rng *r, const uint64_t *words, int n);
/* Next 64 random bits. */
uint64_t cw_rng_next(cw_rng *r);
/* Uniform double in [0, 1) with 53 bits of precision. */
double cw_rng_double(cw_rng *r);
/* Uniform double in [lo, hi]. (hi < lo is treated as lo.) */
double cw_rng_range(cw_rng *r, double lo, double hi);
/* Uniform integer in [0, n) without modulo bias; n == 0 returns 0. */
uint64_t cw_rng_below(cw_rng *r, uint64_t n);

#endif
