/* zone.h — zone definitions compiled from content (`zone{}` in
 * content/zones/): size, view distance, spawn point (and radius), safe and blocked
 * rectangles, portals. Built by core/app from the live generation's defs and
 * rebuilt on every successful reload.
 *
 * Ownership: a cw_zoneset owns its zones and their arrays (cw_zoneset_free).
 * cw_zoneset_check returns 0 or CW_EINVAL with the first problem in err. */
#ifndef CW_GAME_ZONE_H
#define CW_GAME_ZONE_H

#include "core/base/err.h"
#include "core/sim/space/space.h"

#define CW_ZONE_ID_MAX 63

typedef struct cw_portal {
    double x, y, radius;
    char to[CW_ZONE_ID_MAX + 1];
    int to_index; /* resolved by cw_zoneset_check */
    double to_x, to_y;
} cw_portal;

typedef struct cw_zone {
    char id[CW_ZONE_ID_MAX + 1];
    char name[64];
    double width, height, view;
    double spawn_x, spawn_y;
    double spawn_radius; /* > 0: arrivals land at a random standable point this close */
    cw_rect *safe, *blocked;
    int nsafe, nblocked;
    cw_portal *portals;
    int nportals;
    int start;   /* declared start = true */
    int runtime; /* added by cw_world_add_zone (an instance): kept across cw_world_set_zones */
} cw_zone;

typedef struct cw_zoneset {
    cw_zone *v;
    int n;
    int start; /* index of the start zone: the one marked start, else the first by id */
} cw_zoneset;

void cw_zoneset_free(cw_zoneset *zs);
int cw_zoneset_find(const cw_zoneset *zs, const char *id); /* index or -1 */
/* Sorts by id, checks sizes, spawn and portal targets, resolves portals and
 * picks the start zone. */
int cw_zoneset_check(cw_zoneset *zs, cw_error *err);
/* 1 when (x,y) is a place an entity may stand in zone z (in bounds, not blocked). */
int cw_zone_standable(const cw_zone *z, double x, double y);
/* The portal whose circle contains (x,y), or NULL. */
const cw_portal *cw_zone_portal_at(const cw_zone *z, double x, double y);
int cw_zone_is_safe(const cw_zone *z, double x, double y);
/* Where an arrival at z's spawn lands: the spawn point, or with a spawn
 * radius a point uniformly spread over that disc, standable, drawn from
 * seed (the same seed gives the same point; falls back to the spawn point
 * after 16 unstandable draws). */
void cw_zone_spawn_point(const cw_zone *z, uint64_t seed, double *x, double *y);

#endif
