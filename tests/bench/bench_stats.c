/* bench_stats.c — stat engine figures for docs/performance.md.
 *
 * 1. One actor, 8 sources x 40 contributions and 20 caps over 30 dimensions:
 *    median and p99 ns per resolve, forcing a full re-resolve each iteration
 *    (cw_stats_actor_mark_dirty), and allocations per resolve, counted by the
 *    engine's allocator hooks (every engine allocation goes through them).
 * 2. 10,000 such actors (smaller: 8 sources x 10 contributions, 20 caps), a
 *    world event changes one shared cap layer, all are re-resolved: total ms.
 *
 * Prints one JSON line. Build in Release: cmake -B build-rel-stats
 * -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel-stats --target bench_stats */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/rng.h"
#include "core/sim/stats/stats.h"

#define NDIMS 30
#define NSRC 8
#define NCAPS 20
#define ITER 200000

typedef struct counter {
    unsigned long allocs, frees;
} counter;

static void *count_realloc(void *ud, void *p, size_t size)
{
    ((counter *)ud)->allocs++;
    return realloc(p, size);
}

static void count_free(void *ud, void *p)
{
    ((counter *)ud)->frees++;
    free(p);
}

static char dim_names[NDIMS][16];
static const char *const layers[] = {"REALM", "WORLD", "EVENT", "TOTAL"};

static void check(int rc, const cw_error *err)
{
    if (rc != 0) {
        fprintf(stderr, "bench_stats: %s\n", err->msg);
        exit(1);
    }
}

static void fill_actor(cw_stats_actor *a, cw_rng *r, int per_source)
{
    cw_error err;
    cw_stats_contrib_in c[64];
    cw_stats_cap_in caps[NCAPS];
    char sname[NSRC][24], sys[NSRC][24];
    for (int s = 0; s < NSRC; s++) {
        snprintf(sname[s], sizeof sname[s], "item:%d", s);
        snprintf(sys[s], sizeof sys[s], "sys%d", s);
        for (int i = 0; i < per_source; i++) {
            int b = (int)cw_rng_below(r, 10);
            c[i] = (cw_stats_contrib_in){dim_names[cw_rng_below(r, NDIMS)],
                                         b < 5   ? CW_STATS_FLAT
                                         : b < 8 ? CW_STATS_MULT
                                         : b < 9 ? CW_STATS_POST_ADD
                                                 : CW_STATS_OVERRIDE,
                                         cw_rng_range(r, 0, 100) / (b >= 5 && b < 8 ? 400 : 1),
                                         sys[s], (int32_t)cw_rng_below(r, 3)};
        }
        cw_stats_cap_in *cp = NULL;
        size_t nc = 0;
        if (s == 0) { /* all 20 caps on the first source */
            for (int i = 0; i < NCAPS; i++) {
                int mode = (int)cw_rng_below(r, 4);
                caps[i] = (cw_stats_cap_in){"race",
                                            dim_names[cw_rng_below(r, NDIMS)],
                                            (cw_stats_cap_mode)mode,
                                            mode == CW_STATS_CAP_HARD_MIN ? CW_STATS_KIND_MIN
                                                                          : CW_STATS_KIND_MAX,
                                            cw_rng_range(r, 50, 500),
                                            0,
                                            layers[cw_rng_below(r, 4)],
                                            "eu"};
            }
            cp = caps;
            nc = NCAPS;
        }
        cw_stats_source_in in = {c, (size_t)per_source, NULL, 0, cp, nc, NULL, 0};
        check(cw_stats_actor_set_source(a, sname[s], &in, &err), &err);
    }
    check(cw_stats_actor_set_realm(a, "eu", &err), &err);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

int main(void)
{
    cw_error err;
    for (int i = 0; i < NDIMS; i++)
        snprintf(dim_names[i], sizeof dim_names[i], "dim%02d", i);
    counter cnt = {0, 0};
    cw_stats_allocator al = {count_realloc, count_free, &cnt};
    cw_stats_registry *reg;
    check(cw_stats_registry_new(&al, &reg, &err), &err);
    cw_stats_rule rule = {1, CW_STATS_SUM, 0, 100000};
    check(cw_stats_set_default_rule(reg, &rule, &err), &err);
    const char *in[] = {"dim00", "dim01"};
    double w[] = {10, 2};
    check(cw_stats_set_formula(reg, "hp_max", in, w, 2, 50, &err), &err);

    /* 1. one heavy actor */
    cw_rng r;
    cw_rng_seed(&r, 42);
    cw_stats_actor *a;
    check(cw_stats_actor_new(reg, &a, &err), &err);
    fill_actor(a, &r, 40);
    const cw_stats_snapshot *s;
    check(cw_stats_actor_resolve(a, &s, &err), &err);
    uint64_t *ns = malloc(sizeof(uint64_t) * ITER);
    if (!ns) return 1;
    unsigned long allocs_before = cnt.allocs;
    double sink = 0;
    for (int i = 0; i < ITER; i++) {
        cw_stats_actor_mark_dirty(a);
        uint64_t t0 = cw_now_ns();
        cw_stats_actor_resolve(a, &s, &err);
        ns[i] = cw_now_ns() - t0;
        sink += s->primary[0].value;
    }
    unsigned long allocs = cnt.allocs - allocs_before;
    /* the cached path: a clean actor returns its snapshot */
    uint64_t t0 = cw_now_ns();
    for (int i = 0; i < ITER; i++)
        cw_stats_actor_resolve(a, &s, &err);
    double cached_ns = (double)(cw_now_ns() - t0) / ITER;
    qsort(ns, ITER, sizeof *ns, cmp_u64);
    size_t nprimary = s->nprimary, ncaps = s->ncaps_used;

    /* 2. 10,000 actors, one world event */
    enum { NACT = 10000 };
    cw_stats_actor **many = malloc(sizeof *many * NACT);
    if (!many) return 1;
    for (int i = 0; i < NACT; i++) {
        check(cw_stats_actor_new(reg, &many[i], &err), &err);
        fill_actor(many[i], &r, 10);
        check(cw_stats_actor_resolve(many[i], &s, &err), &err);
    }
    cw_stats_cap_in ev[] = {{"event:bloodmoon", "dim05", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX,
                             120, 0, "EVENT", NULL}};
    check(cw_stats_set_shared_caps(reg, "event:bloodmoon", ev, 1, &err), &err);
    /* first pass after the event may grow snapshot buffers once (new dim in caps_used) */
    unsigned long ev_allocs0 = cnt.allocs;
    uint64_t e0 = cw_now_ns();
    for (int i = 0; i < NACT; i++)
        check(cw_stats_actor_resolve(many[i], &s, &err), &err);
    double event_ms = (double)(cw_now_ns() - e0) / 1e6;
    unsigned long ev_allocs = cnt.allocs - ev_allocs0;
    ev[0].value = 110; /* a second change to the same layer: steady state */
    check(cw_stats_set_shared_caps(reg, "event:bloodmoon", ev, 1, &err), &err);
    ev_allocs0 = cnt.allocs;
    e0 = cw_now_ns();
    for (int i = 0; i < NACT; i++)
        check(cw_stats_actor_resolve(many[i], &s, &err), &err);
    double event2_ms = (double)(cw_now_ns() - e0) / 1e6;
    unsigned long ev2_allocs = cnt.allocs - ev_allocs0;

    printf("{\"bench\": \"stats\", \"sources\": %d, \"contributions_per_source\": 40, "
           "\"caps\": %d, \"dimensions\": %d, \"resolved_primary\": %zu, \"caps_used\": %zu, "
           "\"iterations\": %d, \"resolve_median_ns\": %llu, \"resolve_p99_ns\": %llu, "
           "\"resolve_min_ns\": %llu, \"allocations_per_resolve\": %.3f, "
           "\"cached_resolve_ns\": %.1f, \"actors\": %d, \"world_event_reresolve_ms\": %.2f, "
           "\"world_event_allocations\": %lu, \"world_event_again_ms\": %.2f, "
           "\"world_event_again_allocations\": %lu, \"sink\": %g}\n",
           NSRC, NCAPS, NDIMS, nprimary, ncaps, ITER, (unsigned long long)ns[ITER / 2],
           (unsigned long long)ns[ITER * 99 / 100], (unsigned long long)ns[0],
           (double)allocs / ITER, cached_ns, NACT, event_ms, ev_allocs, event2_ms, ev2_allocs,
           sink > 0 ? 1.0 : 0.0);
    for (int i = 0; i < NACT; i++)
        cw_stats_actor_free(many[i]);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
    free(many);
    free(ns);
    return 0;
}
