/* bench_combat.c — hits per second per core, and ns per pools tick.
 *
 * Inputs are pre-generated (64 attackers, 64 defenders with 4 shields each
 * and four pools, 64 skills over the magical/elemental/qi/physical types) and
 * combined by an index stream, with a fresh seed per hit, so nothing can be
 * hoisted out of the loop. One full hit per iteration: five rolls, three
 * contests and the crit size, the matrix, packs, shields, the split. Measured
 * twice: cw_combat_hit on the 2.2 KB actors (sanitized per hit), and
 * cw_combat_hit_prepared on fighters prepared once before the loop (the
 * records are checked to be the same). Each figure is the median of RUNS
 * runs; one JSON line on stdout. `bench_combat HITS RUNS` overrides the
 * sizes (e.g. small ones under valgrind --tool=callgrind). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/rng.h"
#include "core/sim/combat/combat.h"

#define N 64
#define RUNS 7
#define HITS 4000000

static cw_combat_content C;
static cw_combat_actor A[N], D[N];
static cw_combat_fighter FA[N], FD[N];
static cw_combat_pools P[N];
static cw_combat_skill S[N];

static void gen_stat(cw_rng *g, cw_combat_stat *s, double lo, double hi)
{
    s->omni = cw_rng_range(g, lo, hi);
    for (int e = 0; e < C.n_elements; e++)
        s->elem[e] = cw_rng_range(g, 0, hi / 4);
}

static void gen_actor(cw_rng *g, cw_combat_actor *a)
{
    cw_combat_actor_init(a);
    a->element = (int)cw_rng_below(g, (uint64_t)C.n_elements);
    cw_combat_stat *st[] = {&a->accuracy,  &a->evasion,     &a->power,       &a->defense,
                            &a->crit_rate, &a->crit_resist, &a->crit_damage, &a->crit_damage_resist,
                            &a->mastery};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        gen_stat(g, st[i], 0, 400);
    a->damage.additive_percent = cw_rng_range(g, 0, 0.5);
    a->damage.n_multipliers = 2;
    a->damage.multipliers[0] = cw_rng_range(g, 0.8, 1.3);
    a->damage.multipliers[1] = cw_rng_range(g, 0.8, 1.3);
    a->damage.post_add = cw_rng_range(g, 0, 20);
    a->damage_taken.additive_percent = cw_rng_range(g, -0.2, 0.2);
    a->damage_taken.n_multipliers = 1;
    a->damage_taken.multipliers[0] = cw_rng_range(g, 0.8, 1.2);
}

/* CPU time of this thread: on a shared machine, time spent preempted by other
 * processes is not the hit's cost. Wall-clock figures are reported beside it. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

int main(int argc, char **argv)
{
    int hits = argc > 1 ? atoi(argv[1]) : HITS, runs = argc > 2 ? atoi(argv[2]) : RUNS;
    if (hits < 1 || runs < 1 || runs > RUNS) {
        fprintf(stderr, "usage: bench_combat [hits_per_run [runs <= %d]]\n", RUNS);
        return 2;
    }
    cw_combat_content_demo(&C);
    cw_rng g;
    cw_rng_seed(&g, 2024);
    for (int i = 0; i < N; i++) {
        gen_actor(&g, &A[i]);
        gen_actor(&g, &D[i]);
        if (cw_combat_fighter_prepare(&FA[i], &A[i], NULL) ||
            cw_combat_fighter_prepare(&FD[i], &D[i], NULL))
            return 1;
        cw_combat_pools_init(&P[i], &C);
        for (int r = 0; r < C.n_resources; r++) {
            double m = cw_rng_range(&g, 500, 5000);
            P[i].pool[r] = (cw_combat_pool){cw_rng_range(&g, 0, m), m, cw_rng_range(&g, 0, 5)};
        }
        P[i].n_shields = 4;
        for (int k = 0; k < 4; k++)
            P[i].shield[k] = (cw_combat_shield){cw_rng_range(&g, 0, 300), 1,
                                                (int32_t)cw_rng_below(&g, 4), (uint32_t)k};
        cw_combat_pools_settle(&P[i], &C);
        cw_combat_skill_init(&S[i]);
        S[i].base_min = cw_rng_range(&g, 50, 500);
        S[i].base_max = S[i].base_min + cw_rng_range(&g, 0, 500);
        S[i].scaling = cw_rng_range(&g, 0.5, 2.5);
        S[i].flat = cw_rng_range(&g, 0, 50);
        S[i].penetration = cw_rng_range(&g, 0, 1);
        S[i].element = (int)cw_rng_below(&g, (uint64_t)C.n_elements + 1) - 1;
        S[i].damage_type = (int)cw_rng_below(&g, (uint64_t)C.n_damage_types);
    }
    uint8_t idx[3][1024];
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 1024; i++)
            idx[k][i] = (uint8_t)cw_rng_below(&g, N);

    double hps[RUNS], tick_ns[RUNS], hps_wall[RUNS], tick_wall[RUNS], sink = 0;
    double phps[RUNS], phps_wall[RUNS];
    cw_combat_hit_record rec;
    for (int run = 0; run < runs; run++) {
        cw_combat_seed seed = {0xC0FFEEu, (uint64_t)run, 0, 0, 0};
        double raw_sum = 0, prep_sum = 0;
        uint64_t w0 = cw_now_ns(), t0 = cpu_ns();
        for (uint32_t i = 0; i < (uint32_t)hits; i++) {
            int ai = idx[0][i & 1023], di = idx[1][(i >> 3) & 1023], si = idx[2][(i * 7) & 1023];
            seed.tick = i;
            seed.attacker_id = (uint64_t)ai;
            seed.target_id = (uint64_t)di;
            seed.skill_id = (uint64_t)si;
            if (cw_combat_hit(&C, &A[ai], &D[di], &P[di], &S[si], &seed, &rec, NULL) != 0) return 1;
            raw_sum += rec.damage + rec.resource[1];
        }
        uint64_t t1 = cpu_ns(), w1 = cw_now_ns();
        hps[run] = (double)hits / ((double)(t1 - t0) * 1e-9);
        hps_wall[run] = (double)hits / ((double)(w1 - w0) * 1e-9);

        w0 = cw_now_ns();
        t0 = cpu_ns();
        for (uint32_t i = 0; i < (uint32_t)hits; i++) {
            int ai = idx[0][i & 1023], di = idx[1][(i >> 3) & 1023], si = idx[2][(i * 7) & 1023];
            seed.tick = i;
            seed.attacker_id = (uint64_t)ai;
            seed.target_id = (uint64_t)di;
            seed.skill_id = (uint64_t)si;
            if (cw_combat_hit_prepared(&C, &FA[ai], &FD[di], &P[di], &S[si], &seed, &rec, NULL))
                return 1;
            prep_sum += rec.damage + rec.resource[1];
        }
        t1 = cpu_ns();
        w1 = cw_now_ns();
        phps[run] = (double)hits / ((double)(t1 - t0) * 1e-9);
        phps_wall[run] = (double)hits / ((double)(w1 - w0) * 1e-9);
        if (prep_sum != raw_sum) {
            fprintf(stderr, "bench_combat: prepared and raw hits differ\n");
            return 1;
        }
        sink += raw_sum;

        cw_combat_tick_in in;
        memset(&in, 0, sizeof in);
        cw_combat_events ev;
        w0 = cw_now_ns();
        t0 = cpu_ns();
        for (uint32_t i = 0; i < (uint32_t)hits; i++) {
            cw_combat_pools *p = &P[idx[0][i & 1023]];
            in.dt = 0.05;
            in.in_combat = (uint8_t)(i & 1);
            in.typed[i & 3] = (double)(i & 63);
            in.heal[0] = (double)(i & 31);
            if (cw_combat_pools_tick(p, &C, &in, &ev, NULL) != 0) return 1;
            in.typed[i & 3] = 0;
            sink += ev.n;
            if (p->dead) /* keep the workload alive */
                cw_combat_pools_revive(p, &C, p->pool[0].max);
        }
        t1 = cpu_ns();
        w1 = cw_now_ns();
        tick_ns[run] = (double)(t1 - t0) / hits;
        tick_wall[run] = (double)(w1 - w0) / hits;
    }
    double h = median(hps, runs), ph = median(phps, runs);
    printf("{\"bench\":\"combat\",\"hits_per_sec\":%.0f,\"ns_per_hit\":%.1f,"
           "\"prepared_hits_per_sec\":%.0f,\"prepared_ns_per_hit\":%.1f,"
           "\"ns_per_pool_tick\":%.1f,\"hits_per_sec_wall\":%.0f,"
           "\"prepared_hits_per_sec_wall\":%.0f,\"ns_per_pool_tick_wall\":%.1f,"
           "\"clock\":\"thread_cpu\",\"runs\":%d,\"hits_per_run\":%d,\"ticks_per_run\":%d,"
           "\"sink\":%.0f}\n",
           h, 1e9 / h, ph, 1e9 / ph, median(tick_ns, runs), median(hps_wall, runs),
           median(phps_wall, runs), median(tick_wall, runs), runs, hits, hits,
           sink > 0 ? 1.0 : 0.0);
    return 0;
}
