#include "core/base/rng.h"

uint64_t cw_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void cw_rng_seed(cw_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = cw_splitmix64(&seed);
}

void cw_rng_seed_words(cw_rng *r, const uint64_t *words, int n)
{
    uint64_t acc = 0x6a09e667f3bcc909ull;
    for (int i = 0; i < n; i++) {
        acc ^= words[i];
        acc = cw_splitmix64(&acc);
    }
    cw_rng_seed(r, acc);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cw_rng_next(cw_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cw_rng_double(cw_rng *r)
{
    return (double)(cw_rng_next(r) >> 11) * 0x1.0p-53;
}

double cw_rng_range(cw_rng *r, double lo, double hi)
{
    if (!(hi > lo))
        return lo;
    /* Draw in [0, 1] inclusive so hi itself is reachable. */
    double u = (double)(cw_rng_next(r) >> 11) / (double)((1ull << 53) - 1);
    return lo + (hi - lo) * u;
}

uint64_t cw_rng_below(cw_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = cw_rng_next(r);
    } while (x >= limit);
    return x % n;
}
