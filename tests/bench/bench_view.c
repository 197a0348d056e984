/* bench_view.c — the move path at the play field's density (issue 15):
 * 10,000 players in one 3,000 x 3,000 zone (view 50, about 9 players in
 * view each), every step ~1.7 units in a random direction. One op is one
 * validated cw_world_move: move check, grid, view refresh, and the events
 * queued in the outbox as the server queues them (enter/leave encoded once
 * per subject, moves as "subject moved"); every 2,500 moves the tick's
 * cw_outbox_flush runs (5 moves/s per player at 20 Hz). There are no
 * sockets: the flush finds no connection and empties the queues, so the
 * wire encoding of moves and the socket writes are not measured.
 *
 *   bench_view [moves]     (default 200000; 0: setup only)
 *
 * Prints ns per move. For instructions per move (stable on a noisy host),
 * count the instructions of two runs with different move counts (e.g.
 * valgrind --tool=cachegrind --cache-sim=no, or perf stat -e instructions:u
 * where the CPU exposes it) and divide the difference by the difference of
 * the move counts: the setup cancels out. */
#include "core/app/outbox.h"
#include "core/base/clock.h"
#include "core/game/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 10000
#define FIELD 3000.0
#define VIEW 50.0
#define STEP 1.7
#define MOVES_PER_TICK 2500

static uint64_t rng_state = 88172645463325252ull;
static double rnd(double max)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * max;
}

static cw_outbox *outbox;
static uint64_t n_enter, n_leave, n_move;

static void on_enter(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_enter += (uint64_t)n;
    cw_outbox_enter(outbox, s, to, n);
}

static void on_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_leave += (uint64_t)n;
    cw_outbox_leave(outbox, s, to, n);
}

static void on_move(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_move += (uint64_t)n;
    cw_outbox_move(outbox, s, to, n);
}

static void on_release(void *ud, cw_entity *e)
{
    (void)ud;
    cw_outbox_release(e);
}

static double clampd(double v, double hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

int main(int argc, char **argv)
{
    long moves = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (moves < 0) {
        fprintf(stderr, "usage: bench_view [moves]\n");
        return 2;
    }
    cw_world_hooks h = {NULL, on_enter, on_leave, on_move, NULL, on_release, NULL};
    cw_world *w = cw_world_new(&h);
    static cw_net *no_net = NULL;
    outbox = w ? cw_outbox_new(&no_net, w, NULL, NULL) : NULL;
    if (!outbox) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    snprintf(zs.v[0].id, sizeof zs.v[0].id, "field");
    zs.v[0].width = zs.v[0].height = FIELD;
    zs.v[0].view = VIEW;
    zs.v[0].spawn_x = zs.v[0].spawn_y = FIELD / 2;
    cw_error err = {0};
    if (cw_zoneset_check(&zs, &err) || cw_world_set_zones(w, &zs, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static cw_entity *es[N];
    for (int i = 0; i < N; i++) {
        cw_entity_init in = {CW_ENT_PLAYER, i + 1,      (uint64_t)(i + 1), "walker",
                             "field",       rnd(FIELD), rnd(FIELD),        10.0};
        if (cw_world_add(w, &in, 0, &es[i]) != 0) {
            fprintf(stderr, "cannot add player %d\n", i + 1);
            return 1;
        }
    }
    for (int i = 0; i < N; i++)
        cw_world_show(w, es[i]);
    cw_outbox_flush(outbox);
    n_enter = n_leave = n_move = 0;
    uint64_t now = 1000000000ull, t0 = cw_now_ns();
    long refused = 0;
    for (long r = 0; r < moves; r++) {
        cw_entity *e = es[(int)rnd(N)];
        double a = rnd(2 * M_PI);
        double x = clampd(e->x + STEP * cos(a), FIELD), y = clampd(e->y + STEP * sin(a), FIELD);
        now += 20000000; /* 20 ms: the credit never runs out at 10 units/s */
        if (cw_world_move(w, e, x, y, now, NULL) != 0) refused++;
        if ((r + 1) % MOVES_PER_TICK == 0) cw_outbox_flush(outbox);
    }
    double ns = moves ? (double)(cw_now_ns() - t0) / (double)moves : 0;
    double per = moves ? (double)moves : 1;
    printf("view: %d players, %.0fx%.0f, view %.0f: %.1f ns/move; per move: %.2f move, "
           "%.3f enter, %.3f leave recipients; %ld refused\n",
           N, FIELD, FIELD, VIEW, ns, (double)n_move / per, (double)n_enter / per,
           (double)n_leave / per, refused);
    cw_outbox_free(outbox);
    cw_world_free(w);
    return 0;
}
