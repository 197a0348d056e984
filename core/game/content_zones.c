/* content_zones.c — zone{} definitions (jansson) → a checked cw_zoneset.
 * See content_load.h. */
#include "core/game/content_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A list of {x,y,w,h} (cjson encodes an empty list as {}). */
static int rects(json_t *list, cw_rect **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(list) || json_array_size(list) == 0) return 0;
    *out = calloc(json_array_size(list), sizeof **out);
    if (!*out) return CW_ENOMEM;
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        (*out)[i] = (cw_rect){cw_content_num(r, "x", 0), cw_content_num(r, "y", 0),
                              cw_content_num(r, "w", 0), cw_content_num(r, "h", 0)};
    }
    *n = (int)json_array_size(list);
    return 0;
}

/* Portals to zones; a dungeon portal (`dungeon = id`, no `to`) is content's
 * (scripts/dungeon/instance.lua watches it) and not part of the zone here. */
static int portals(json_t *ps, cw_zone *z)
{
    if (!json_is_array(ps) || json_array_size(ps) == 0) return 0;
    z->portals = calloc(json_array_size(ps), sizeof *z->portals);
    if (!z->portals) return CW_ENOMEM;
    size_t i;
    json_t *p;
    int n = 0;
    json_array_foreach(ps, i, p)
    {
        if (json_object_get(p, "dungeon")) continue;
        cw_portal *po = &z->portals[n++];
        po->x = cw_content_num(p, "x", 0);
        po->y = cw_content_num(p, "y", 0);
        po->radius = cw_content_num(p, "radius", 0);
        po->to_x = cw_content_num(p, "to_x", 0);
        po->to_y = cw_content_num(p, "to_y", 0);
        json_t *to = json_object_get(p, "to");
        snprintf(po->to, sizeof po->to, "%s", json_is_string(to) ? json_string_value(to) : "");
    }
    z->nportals = n;
    return 0;
}

static int parse_zone(const char *id, json_t *d, cw_zone *z)
{
    snprintf(z->id, sizeof z->id, "%s", id);
    json_t *name = json_object_get(d, "name");
    snprintf(z->name, sizeof z->name, "%s", json_is_string(name) ? json_string_value(name) : id);
    z->width = cw_content_num(d, "width", 0);
    z->height = cw_content_num(d, "height", 0);
    z->view = cw_content_num(d, "view", 0);
    json_t *sp = json_object_get(d, "spawn");
    z->spawn_x = cw_content_num(sp, "x", -1);
    z->spawn_y = cw_content_num(sp, "y", -1);
    z->spawn_radius = cw_content_num(sp, "radius", 0);
    z->start = json_is_true(json_object_get(d, "start"));
    int rc = rects(json_object_get(d, "safe"), &z->safe, &z->nsafe);
    if (rc == 0) rc = rects(json_object_get(d, "blocked"), &z->blocked, &z->nblocked);
    if (rc == 0) rc = portals(json_object_get(d, "portals"), z);
    return rc;
}

int cw_content_zones(json_t *zones, cw_zoneset *zs, int *defaulted, cw_error *err)
{
    memset(zs, 0, sizeof *zs);
    if (defaulted) *defaulted = 0;
    size_t n = json_is_object(zones) ? json_object_size(zones) : 0;
    zs->v = calloc(n + 1, sizeof *zs->v);
    if (!zs->v) return cw_error_set(err, CW_ENOMEM, "out of memory");
    int rc = 0;
    const char *id;
    json_t *d;
    if (n > 0) {
        json_object_foreach(zones, id, d)
        {
            if (rc) break;
            rc = parse_zone(id, d, &zs->v[zs->n++]);
        }
    }
    if (rc) cw_error_set(err, rc, "out of memory");
    if (rc == 0 && zs->n == 0) {
        cw_zone *z = &zs->v[zs->n++];
        snprintf(z->id, sizeof z->id, "start");
        snprintf(z->name, sizeof z->name, "Start");
        z->width = z->height = 1000;
        z->view = 50;
        z->spawn_x = z->spawn_y = 500;
        if (defaulted) *defaulted = 1;
    }
    if (rc == 0) rc = cw_zoneset_check(zs, err);
    if (rc) cw_zoneset_free(zs);
    return rc;
}
