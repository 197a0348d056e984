/* bench_storm.c — the world's side of a disconnect storm: N players in a
 * crowd where every one sees every other (one 1000 x 1000 zone, view 100,
 * all within a 60 x 60 square), then `removed` of them leave the world with
 * no tick in between, `per_tick` per world tick (the tick is where the
 * world tidies the views of those who saw them go). Leave events go to a
 * counting sink (no outbox, no sockets).
 *
 *   bench_storm [players [removed [per_tick]]]   (default 3000 3000 0; per_tick 0: all in one tick)
 *
 * Prints ns per removal. For instructions per removal, count the
 * instructions of a run with removed=0 and one with removed=N (e.g.
 * valgrind --tool=cachegrind --cache-sim=no) and divide the difference by
 * N: the setup (adding and showing the crowd) cancels out. */
#include "tests/bench/bench_world.h"
#include "core/base/clock.h"
#include "core/game/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t n_leave;
static void on_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    (void)s;
    (void)to;
    n_leave += (uint64_t)n;
}

int main(int argc, char **argv)
{
    long players = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
    long removed = argc > 2 ? strtol(argv[2], NULL, 10) : players;
    long per_tick = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    if (players < 1 || players > 1000000 || removed < 0 || removed > players || per_tick < 0) {
        fprintf(stderr, "usage: bench_storm [players [removed [per_tick]]]\n");
        return 2;
    }
    cw_world_hooks h = {NULL, NULL, on_leave, NULL, NULL, NULL, NULL};
    cw_world *w = cw_world_new(&h);
    if (!w) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (bench_one_zone(w, "meadow", 1000, 100)) return 1;
    int64_t *ids = malloc(sizeof *ids * (size_t)players);
    if (!ids) return 1;
    for (long i = 0; i < players; i++) {
        cw_entity_init in = {CW_ENT_PLAYER, i + 1,         (uint64_t)(i + 1), "crowd",
                             "meadow",      470 + rnd(60), 470 + rnd(60),     10.0};
        cw_entity *e = NULL;
        if (cw_world_add(w, &in, 0, &e) != 0 || cw_world_show(w, e) != 0) {
            fprintf(stderr, "cannot add player %ld\n", i + 1);
            return 1;
        }
        ids[i] = e->id;
    }
    /* the order connections close in: shuffled */
    for (long i = players - 1; i > 0; i--) {
        long k = (long)rnd((double)(i + 1));
        int64_t t = ids[i];
        ids[i] = ids[k];
        ids[k] = t;
    }
    uint64_t now = 1000000000ull, t0 = cw_now_ns();
    for (long i = 0; i < removed; i++) {
        if (cw_world_remove(w, ids[i]) != 0) {
            fprintf(stderr, "cannot remove %lld\n", (long long)ids[i]);
            return 1;
        }
        if (per_tick > 0 && (i + 1) % per_tick == 0) cw_world_tick(w, now += 50000000);
    }
    cw_world_tick(w, now += 50000000);
    double ns = removed ? (double)(cw_now_ns() - t0) / (double)removed : 0;
    printf("storm: %ld players all in view, %ld removed (%ld per tick): %.1f ns/removal, "
           "%.1f leave recipients/removal\n",
           players, removed, per_tick ? per_tick : removed, ns,
           removed ? (double)n_leave / (double)removed : 0.0);
    free(ids);
    cw_world_free(w);
    return 0;
}
