/* world_internal.h — what world.c and world_zones.c share: the world's
 * struct and the view bookkeeping the zone code calls. Not for other modules. */
#ifndef CW_GAME_WORLD_INTERNAL_H
#define CW_GAME_WORLD_INTERNAL_H

#include "core/game/world.h"

struct cw_world {
    cw_world_hooks hooks;
    cw_zoneset zones;
    cw_grid **grids; /* one per zone */
    cw_entity **all;
    int nall, capall;
    cw_idmap by_id, by_player;
    int64_t next_id;
    uint64_t ticks;
    /* scratch, reused by every query */
    cw_grid_hit *near; /* ids in view with their entity (the grid's payload) */
    int capnear;
    cw_entity **r_enter, **r_leave, **r_move;
    int caprecip;
    /* Removals pending compaction: the ids removed since the last
     * cw_world_compact, and the entities whose seen set may still hold one
     * (each e there has e->dirty = 1 + its index). */
    int64_t *gone;
    int ngone, capgone;
    cw_entity **dirty;
    int ndirty, capdirty;
    uint64_t view_work; /* cw_world_view_work */
};

void cw_world_free_grids_(cw_grid **grids, int n);
/* (x,y) in the named zone, or the start zone's spawn point when the zone is
 * unknown or the spot is not standable (seed picks the point). */
void cw_world_place_(const cw_zoneset *zs, const char *zone, double x, double y, uint64_t seed,
                     int *zi, double *ox, double *oy);
/* Drops everything e sees, telling both sides (removing: e is leaving the world). */
int cw_world_hide_(cw_world *w, cw_entity *e, int removing);
/* Recomputes e's view against the grid, emitting the edges (moved: observers
 * that keep seeing e hear a move). */
int cw_world_refresh_(cw_world *w, cw_entity *e, int moved);

#endif
