/* world_zones.c — the world's zone set: replacing it on reload (runtime
 * state of zones that keep their layout is kept, entities of changed zones
 * are placed again) and instance zones added and removed at run time. */
#include "core/game/world_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- zones ------------------------------------------------------------------------ */

/* 1 when b has the zones of a, in the same order, with the same bounds, view
 * distance and blocked areas: where entities may stand and what they see do
 * not change (names, spawns, safe areas and portals may). */
static int same_layout(const cw_zoneset *a, const cw_zoneset *b)
{
    if (a->n == 0 || a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        const cw_zone *x = &a->v[i], *y = &b->v[i];
        if (strcmp(x->id, y->id) != 0 || x->width != y->width || x->height != y->height ||
            x->view != y->view || x->nblocked != y->nblocked)
            return 0;
        for (int k = 0; k < x->nblocked; k++)
            if (x->blocked[k].x != y->blocked[k].x || x->blocked[k].y != y->blocked[k].y ||
                x->blocked[k].w != y->blocked[k].w || x->blocked[k].h != y->blocked[k].h)
                return 0;
    }
    return 1;
}

/* 1 when the live zone i is an instance the new content set does not replace. */
static int kept_runtime(const cw_zoneset *live, int i, const cw_zoneset *zs)
{
    const cw_zone *z = &live->v[i];
    return z->runtime && z->id[0] && cw_zoneset_find(zs, z->id) < 0;
}

/* The set to install: the live instance zones at their own indices, the
 * content's zones in order in the other slots; slots left over are holes.
 * Shallow: the arrays stay owned by zs and the live set until commit_merged. */
static int merge_zones(const cw_zoneset *live, const cw_zoneset *zs, cw_zoneset *out)
{
    int n = zs->n;
    for (int i = 0; i < live->n; i++)
        if (kept_runtime(live, i, zs)) n++;
    if (n < live->n) n = live->n; /* instances keep their index */
    cw_zone *v = calloc((size_t)n, sizeof *v);
    if (!v) return CW_ENOMEM;
    for (int i = 0; i < live->n; i++)
        if (kept_runtime(live, i, zs)) v[i] = live->v[i];
    int slot = 0, top = 0;
    out->start = 0;
    for (int k = 0; k < zs->n; k++) {
        while (slot < live->n && kept_runtime(live, slot, zs))
            slot++;
        v[slot] = zs->v[k];
        if (k == zs->start) out->start = slot;
        slot++;
    }
    for (int i = 0; i < n; i++) {
        if (v[i].id[0]) {
            top = i + 1;
        } else {
            v[i].width = v[i].height = -1; /* a hole, as cw_world_remove_zone leaves */
        }
    }
    out->v = v;
    out->n = top;
    return 0;
}

/* The merged set is installed: free what of the old live set it does not
 * keep, and zs's table (its arrays now belong to the merged set). */
static void commit_merged(cw_world *w, cw_zoneset *zs, const cw_zoneset *merged)
{
    for (int i = 0; i < w->zones.n; i++) {
        if (i < merged->n && merged->v[i].portals == w->zones.v[i].portals &&
            merged->v[i].runtime && w->zones.v[i].runtime &&
            strcmp(merged->v[i].id, w->zones.v[i].id) == 0)
            continue; /* kept */
        free(w->zones.v[i].safe);
        free(w->zones.v[i].blocked);
        free(w->zones.v[i].portals);
    }
    free(w->zones.v);
    free(zs->v);
    memset(zs, 0, sizeof *zs);
    w->zones = *merged;
    cw_zone *v = w->zones.v;
    for (int i = 0; i < w->zones.n; i++)
        for (int p = 0; p < v[i].nportals; p++)
            v[i].portals[p].to_index = cw_zoneset_find(&w->zones, v[i].portals[p].to);
}

int cw_world_set_zones(cw_world *w, cw_zoneset *zs, cw_error *err)
{
    cw_zoneset m = {0};
    if (merge_zones(&w->zones, zs, &m) != 0) return cw_error_set(err, CW_ENOMEM, "out of memory");
    if (same_layout(&w->zones, &m)) {
        /* Nothing any entity stands on or sees changed: swap the tables, keep
         * the grids and every view (a reload with a thousand players stays
         * cheap). */
        commit_merged(w, zs, &m);
        return 0;
    }
    cw_grid **grids = calloc((size_t)m.n, sizeof *grids);
    if (!grids) {
        free(m.v);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < m.n; i++) {
        const cw_zone *z = &m.v[i];
        if (!z->id[0]) continue; /* a hole has no grid */
        grids[i] = cw_grid_new(z->width, z->height, z->view);
        if (!grids[i]) {
            cw_world_free_grids_(grids, m.n);
            free(m.v);
            return cw_error_set(err, CW_ENOMEM, "cannot build the grid of zone '%s'", z->id);
        }
    }
    /* Where every entity goes in the new set; who changes zone. */
    int *moved = calloc((size_t)w->nall + 1, sizeof *moved);
    if (!moved) {
        cw_world_free_grids_(grids, m.n);
        free(m.v);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < w->nall; i++) {
        cw_entity *e = w->all[i];
        int zi;
        double x, y;
        cw_world_place_(&m, w->zones.v[e->zone].id, e->x, e->y, (uint64_t)e->id ^ (w->ticks << 20),
                        &zi, &x, &y);
        moved[i] = strcmp(m.v[zi].id, w->zones.v[e->zone].id) != 0;
        if (moved[i]) cw_world_hide_(w, e, 0);
        e->zone = zi;
        e->x = x;
        e->y = y;
        e->moves++;
        cw_grid_insert_data(grids[zi], e->id, x, y, e);
    }
    cw_world_free_grids_(w->grids, w->zones.n);
    commit_merged(w, zs, &m);
    w->grids = grids;
    for (int i = 0; i < w->nall; i++) {
        if (moved[i] && w->hooks.zone) w->hooks.zone(w->hooks.ud, w->all[i]);
        cw_world_refresh_(w, w->all[i], 0);
    }
    free(moved);
    return 0;
}

/* ---- instance zones ---------------------------------------------------------------- */

static int check_added(const cw_zoneset *zs, const cw_zone *z, cw_error *err)
{
    if (z->id[0] == '\0' || !memchr(z->id, '\0', sizeof z->id))
        return cw_error_set(err, CW_EINVAL, "zone id must be 1-%d characters", CW_ZONE_ID_MAX);
    if (cw_zoneset_find(zs, z->id) >= 0)
        return cw_error_set(err, CW_EEXIST, "zone '%s' exists already", z->id);
    if (!(isfinite(z->width) && z->width > 0 && isfinite(z->height) && z->height > 0 &&
          isfinite(z->view) && z->view > 0))
        return cw_error_set(err, CW_EINVAL, "zone '%s': width, height and view must be > 0", z->id);
    if (!(isfinite(z->spawn_radius) && z->spawn_radius >= 0))
        return cw_error_set(err, CW_EINVAL, "zone '%s': spawn radius must be >= 0", z->id);
    if (!cw_zone_standable(z, z->spawn_x, z->spawn_y))
        return cw_error_set(err, CW_EINVAL,
                            "zone '%s': spawn is outside the zone or inside a blocked area", z->id);
    for (int p = 0; p < z->nportals; p++) {
        const cw_portal *po = &z->portals[p];
        int ti = cw_zoneset_find(zs, po->to);
        if (ti < 0)
            return cw_error_set(err, CW_EINVAL, "zone '%s': portal to unknown zone '%s'", z->id,
                                po->to);
        if (!cw_zone_standable(&zs->v[ti], po->to_x, po->to_y))
            return cw_error_set(err, CW_EINVAL, "zone '%s': portal target is not standable in '%s'",
                                z->id, po->to);
    }
    return 0;
}

int cw_world_add_zone(cw_world *w, cw_zone *z, int *index, cw_error *err)
{
    if (w->zones.n == 0) return cw_error_set(err, CW_ESTATE, "the world has no zones yet");
    int rc = check_added(&w->zones, z, err);
    if (rc) return rc;
    int zi = -1;
    for (int i = 0; i < w->zones.n && zi < 0; i++)
        if (w->zones.v[i].id[0] == '\0') zi = i;
    cw_grid *g = cw_grid_new(z->width, z->height, z->view);
    if (!g) return cw_error_set(err, CW_ENOMEM, "cannot build the grid of zone '%s'", z->id);
    if (zi < 0) {
        int n = w->zones.n + 1;
        cw_zone *v = realloc(w->zones.v, sizeof *v * (size_t)n);
        if (!v) {
            cw_grid_free(g);
            return cw_error_set(err, CW_ENOMEM, "out of memory");
        }
        w->zones.v = v;
        cw_grid **gv = realloc(w->grids, sizeof *gv * (size_t)n);
        if (!gv) {
            cw_grid_free(g);
            return cw_error_set(err, CW_ENOMEM, "out of memory");
        }
        w->grids = gv;
        zi = w->zones.n;
        w->zones.n = n;
    }
    w->zones.v[zi] = *z;
    w->zones.v[zi].start = 0;
    w->zones.v[zi].runtime = 1;
    for (int p = 0; p < z->nportals; p++)
        w->zones.v[zi].portals[p].to_index = cw_zoneset_find(&w->zones, z->portals[p].to);
    w->grids[zi] = g;
    memset(z, 0, sizeof *z);
    if (index) *index = zi;
    return 0;
}

int cw_world_remove_zone(cw_world *w, const char *id, cw_error *err)
{
    int zi = id && *id ? cw_zoneset_find(&w->zones, id) : -1;
    if (zi < 0) return cw_error_set(err, CW_ENOTFOUND, "no zone '%s'", id ? id : "");
    if (zi == w->zones.start)
        return cw_error_set(err, CW_EINVAL, "zone '%s' is the start zone", id);
    const cw_zone *start = &w->zones.v[w->zones.start];
    for (int i = 0; i < w->nall; i++) {
        cw_entity *e = w->all[i];
        if (e->zone != zi) continue;
        double x, y;
        cw_zone_spawn_point(start, (uint64_t)e->id ^ (w->ticks << 20), &x, &y);
        int rc = cw_world_transfer(w, e, w->zones.start, x, y);
        if (rc)
            return cw_error_set(err, rc, "cannot move entity %lld out of zone '%s'",
                                (long long)e->id, id);
    }
    for (int i = 0; i < w->zones.n; i++)
        for (int p = 0; p < w->zones.v[i].nportals; p++)
            if (w->zones.v[i].portals[p].to_index == zi) w->zones.v[i].portals[p].to_index = -1;
    cw_zone *z = &w->zones.v[zi];
    free(z->safe);
    free(z->blocked);
    free(z->portals);
    memset(z, 0, sizeof *z); /* a hole: id "", nothing standable, no grid */
    z->width = z->height = -1;
    cw_grid_free(w->grids[zi]);
    w->grids[zi] = NULL;
    return 0;
}
