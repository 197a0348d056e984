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

/* Inline forms for hot paths (combat hits used them before stream v1). Same
 * algorithms, same outputs, bit for bit: cw_rng_seed_words_inline(r, w, n)
 * leaves r exactly as cw_rng_seed_words(r, w, n) does, cw_rng_next_inline(r)
 * returns what cw_rng_next(r) would. They only save the calls; the seeding
 * stays n + 4 splitmix64 rounds (the last four are independent of each
 * other, so an out-of-order core overlaps them). */
static inline uint64_t cw_splitmix64_inline(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void cw_rng_seed_words_inline(cw_rng *r, const uint64_t *words, int n)
{
    uint64_t acc = 0x6a09e667f3bcc909ull;
    for (int i = 0; i < n; i++) {
        acc ^= words[i];
        acc = cw_splitmix64_inline(&acc);
    }
    for (int i = 0; i < 4; i++)
        r->s[i] = cw_splitmix64_inline(&acc);
}

static inline uint64_t cw_rng_next_inline(cw_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Counter-based streams — "stream v1" (the per-hit combat rolls use it).
 *
 * No generator state: the words are folded into one 64-bit key, and draw i of
 * the stream is a pure function of (key, i), so any draw costs one mix and
 * draws can be computed in any order or in parallel.
 *
 *   mix(z)   = the splitmix64 output function (Stafford's variant 13):
 *              z ^= z >> 30; z *= 0xbf58476d1ce4e5b9;
 *              z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31
 *   G        = 0x9e3779b97f4a7c15 (2^64 / golden ratio)
 *   key      = 0xbb67ae8584caa73b; for each word w, in order: key = mix((key ^ w) + G)
 *   draw(i)  = mix(key + (i + 1)·G)   (mod 2^64)
 *
 * mix is a bijection, so two word lists that differ in a single word always
 * get different keys; draw(i) is splitmix64's i-th output from state key.
 * Versioned: logged fights replay only if this never changes — a different
 * stream must get new names (and a new version), not replace this one. */
#define CW_RNG_GOLDEN 0x9e3779b97f4a7c15ull
#define CW_RNG_STREAM_V1_IV 0xbb67ae8584caa73bull

static inline uint64_t cw_rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The stream key of n words (order matters; n <= 0 gives the IV's key). */
static inline uint64_t cw_rng_stream_key(const uint64_t *words, int n)
{
    uint64_t key = CW_RNG_STREAM_V1_IV;
    for (int i = 0; i < n; i++)
        key = cw_rng_mix64((key ^ words[i]) + CW_RNG_GOLDEN);
    return key;
}

/* Draw i (0, 1, 2, ...) of the stream with this key: 64 random bits. */
static inline uint64_t cw_rng_stream_draw(uint64_t key, uint64_t i)
{
    return cw_rng_mix64(key + (i + 1) * CW_RNG_GOLDEN);
}

#endif
