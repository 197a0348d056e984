/* ratelimit.c — token buckets by key (account name, client address), in a
 * chained hash table. Buckets that have refilled completely carry no
 * information, so cw_ratelimit_prune drops them: memory stays proportional
 * to the keys active in the last burst/rate seconds. */
#include "core/app/accounts.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024

typedef struct rl_entry {
    cw_tokenbucket tb;
    struct rl_entry *next;
    char key[];
} rl_entry;

struct cw_ratelimit {
    double rate, burst;
    rl_entry *tab[NBUCKETS];
};

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

cw_ratelimit *cw_ratelimit_new(double rate, double burst)
{
    cw_ratelimit *rl = calloc(1, sizeof *rl);
    if (rl) {
        rl->rate = rate;
        rl->burst = burst;
    }
    return rl;
}

void cw_ratelimit_free(cw_ratelimit *rl)
{
    if (!rl) return;
    for (int i = 0; i < NBUCKETS; i++)
        for (rl_entry *e = rl->tab[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(rl);
}

int cw_ratelimit_take(cw_ratelimit *rl, const char *key, uint64_t now_ns)
{
    if (rl->rate <= 0) return 0;
    unsigned h = hash(key);
    rl_entry *e = rl->tab[h];
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (!e) {
        size_t n = strlen(key) + 1;
        e = malloc(sizeof *e + n);
        if (!e) return CW_ENOMEM; /* refuse rather than run unlimited */
        memcpy(e->key, key, n);
        cw_tokenbucket_init(&e->tb, rl->rate, rl->burst, now_ns);
        e->next = rl->tab[h];
        rl->tab[h] = e;
    }
    return cw_tokenbucket_take(&e->tb, 1, now_ns) ? 0 : CW_ELIMIT;
}

void cw_ratelimit_prune(cw_ratelimit *rl, uint64_t now_ns)
{
    for (int i = 0; i < NBUCKETS; i++)
        for (rl_entry **pp = &rl->tab[i]; *pp;) {
            rl_entry *e = *pp;
            double elapsed = now_ns > e->tb.last_ns ? (double)(now_ns - e->tb.last_ns) / 1e9 : 0;
            if (e->tb.tokens + elapsed * rl->rate >= rl->burst) {
                *pp = e->next;
                free(e);
            } else {
                pp = &e->next;
            }
        }
}
