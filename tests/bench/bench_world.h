/* bench_world.h — what the world benches share: a fixed-seed random source
 * (runs are comparable) and a world of one square zone. */
#ifndef CW_BENCH_WORLD_H
#define CW_BENCH_WORLD_H

#include "core/game/world.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t bench_rng_state = 88172645463325252ull;

/* Uniform in [0, max) (xorshift64, same sequence every run). */
static inline double rnd(double max)
{
    bench_rng_state ^= bench_rng_state << 13;
    bench_rng_state ^= bench_rng_state >> 7;
    bench_rng_state ^= bench_rng_state << 17;
    return (double)(bench_rng_state >> 11) / 9007199254740992.0 * max;
}

/* Gives w one zone `id`, size x size, sight radius view, spawning at its
 * center. 0, or 1 after printing why. */
static inline int bench_one_zone(cw_world *w, const char *id, double size, double view)
{
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    if (!zs.v) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    snprintf(zs.v[0].id, sizeof zs.v[0].id, "%s", id);
    zs.v[0].width = zs.v[0].height = size;
    zs.v[0].view = view;
    zs.v[0].spawn_x = zs.v[0].spawn_y = size / 2;
    cw_error err = {0};
    if (cw_zoneset_check(&zs, &err) || cw_world_set_zones(w, &zs, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}

#endif
