/* zone.c — checks and lookups over the compiled zone table. */
#include "core/game/zone.h"

#include "core/base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cw_zoneset_free(cw_zoneset *zs)
{
    for (int i = 0; i < zs->n; i++) {
        free(zs->v[i].safe);
        free(zs->v[i].blocked);
        free(zs->v[i].portals);
    }
    free(zs->v);
    memset(zs, 0, sizeof *zs);
}

int cw_zoneset_find(const cw_zoneset *zs, const char *id)
{
    if (!id || !*id) return -1; /* "" marks a removed instance's hole (cw_world_remove_zone) */
    for (int i = 0; i < zs->n; i++)
        if (strcmp(zs->v[i].id, id) == 0) return i;
    return -1;
}

int cw_zone_standable(const cw_zone *z, double x, double y)
{
    if (!isfinite(x) || !isfinite(y) || x < 0 || y < 0 || x > z->width || y > z->height) return 0;
    for (int i = 0; i < z->nblocked; i++)
        if (cw_rect_contains(&z->blocked[i], x, y)) return 0;
    return 1;
}

const cw_portal *cw_zone_portal_at(const cw_zone *z, double x, double y)
{
    for (int i = 0; i < z->nportals; i++)
        if (cw_circle_contains(z->portals[i].x, z->portals[i].y, z->portals[i].radius, x, y))
            return &z->portals[i];
    return NULL;
}

int cw_zone_is_safe(const cw_zone *z, double x, double y)
{
    for (int i = 0; i < z->nsafe; i++)
        if (cw_rect_contains(&z->safe[i], x, y)) return 1;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const cw_zone *)a)->id, ((const cw_zone *)b)->id);
}

static int positive(double v)
{
    return isfinite(v) && v > 0;
}

void cw_zone_spawn_point(const cw_zone *z, uint64_t seed, double *x, double *y)
{
    *x = z->spawn_x;
    *y = z->spawn_y;
    if (!(z->spawn_radius > 0)) return;
    uint64_t st = seed;
    for (int i = 0; i < 16; i++) {
        /* sqrt of a uniform radius fraction: uniform over the disc's area */
        double r = z->spawn_radius * sqrt((double)(cw_splitmix64(&st) >> 11) / 9007199254740992.0);
        double a = 2 * M_PI * (double)(cw_splitmix64(&st) >> 11) / 9007199254740992.0;
        double px = z->spawn_x + r * cos(a), py = z->spawn_y + r * sin(a);
        if (cw_zone_standable(z, px, py)) {
            *x = px;
            *y = py;
            return;
        }
    }
}

int cw_zoneset_check(cw_zoneset *zs, cw_error *err)
{
    if (zs->n == 0) return cw_error_set(err, CW_EINVAL, "no zone is defined");
    qsort(zs->v, (size_t)zs->n, sizeof *zs->v, by_id);
    zs->start = 0;
    for (int i = 0; i < zs->n; i++) {
        cw_zone *z = &zs->v[i];
        if (!positive(z->width) || !positive(z->height) || !positive(z->view))
            return cw_error_set(err, CW_EINVAL, "zone '%s': width, height and view must be > 0",
                                z->id);
        if (!(z->spawn_radius >= 0) || !isfinite(z->spawn_radius))
            return cw_error_set(err, CW_EINVAL, "zone '%s': spawn radius must be >= 0", z->id);
        if (!cw_zone_standable(z, z->spawn_x, z->spawn_y))
            return cw_error_set(err, CW_EINVAL,
                                "zone '%s': spawn is outside the zone or inside a blocked area",
                                z->id);
        for (int p = 0; p < z->nportals; p++) {
            cw_portal *po = &z->portals[p];
            po->to_index = cw_zoneset_find(zs, po->to);
            if (po->to_index < 0)
                return cw_error_set(err, CW_EINVAL, "zone '%s': portal to unknown zone '%s'", z->id,
                                    po->to);
            if (!cw_zone_standable(&zs->v[po->to_index], po->to_x, po->to_y))
                return cw_error_set(err, CW_EINVAL,
                                    "zone '%s': portal target is not standable in '%s'", z->id,
                                    po->to);
        }
        if (z->start) zs->start = i;
    }
    return 0;
}
