/* bench_space.c — 10,000 entities moving randomly in one 1000x1000 zone
 * (view 50): ns per grid move + view query, and ns per world move (move
 * check, grid, area-of-interest diff, events to a no-op sink). */
#include "tests/bench/bench_world.h"
#include "core/base/clock.h"
#include "core/game/world.h"
#include "core/sim/space/space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 10000
#define ROUNDS 200000

static uint64_t events;
static void sink(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    (void)s;
    (void)to;
    events += (uint64_t)n;
}

int main(void)
{
    static double xs[N + 1], ys[N + 1];
    static int64_t out[4096];
    cw_grid *g = cw_grid_new(1000, 1000, 50);
    for (int i = 1; i <= N; i++) {
        xs[i] = rnd(1000);
        ys[i] = rnd(1000);
        cw_grid_insert(g, i, xs[i], ys[i]);
    }
    long found = 0;
    uint64_t t0 = cw_now_ns();
    for (int r = 0; r < ROUNDS; r++) {
        int id = 1 + (int)rnd(N);
        double x = xs[id] + rnd(10) - 5, y = ys[id] + rnd(10) - 5;
        x = x < 0 ? 0 : x > 1000 ? 1000 : x;
        y = y < 0 ? 0 : y > 1000 ? 1000 : y;
        xs[id] = x;
        ys[id] = y;
        cw_grid_move(g, id, x, y);
        found += cw_grid_query(g, x, y, 50, out, 4096);
    }
    double grid_ns = (double)(cw_now_ns() - t0) / ROUNDS;
    printf("grid: %d entities, move+query(r=50): %.1f ns/op, %.1f neighbours/query\n", N, grid_ns,
           (double)found / ROUNDS);
    cw_grid_free(g);

    cw_world_hooks h = {NULL, sink, sink, sink, NULL, NULL, NULL};
    cw_world *w = cw_world_new(&h);
    if (bench_one_zone(w, "bench", 1000, 50)) return 1;
    static cw_entity *es[N];
    for (int i = 0; i < N; i++) {
        cw_entity_init in = {CW_ENT_PLAYER, i + 1, 0, "b", "bench", rnd(1000), rnd(1000), 1e9};
        cw_world_add(w, &in, 0, &es[i]);
    }
    for (int i = 0; i < N; i++)
        cw_world_show(w, es[i]);
    events = 0;
    uint64_t now = 1000000000ull;
    t0 = cw_now_ns();
    for (int r = 0; r < ROUNDS; r++) {
        cw_entity *e = es[(int)rnd(N)];
        double x = e->x + rnd(10) - 5, y = e->y + rnd(10) - 5;
        x = x < 0 ? 0 : x > 1000 ? 1000 : x;
        y = y < 0 ? 0 : y > 1000 ? 1000 : y;
        now += 1000000;
        cw_world_move(w, e, x, y, now, NULL);
    }
    double world_ns = (double)(cw_now_ns() - t0) / ROUNDS;
    printf("world: %d players, validated move + AOI diff + events: %.1f ns/move, %.1f "
           "recipients/move\n",
           N, world_ns, (double)events / ROUNDS);
    cw_world_free(w);
    return 0;
}
