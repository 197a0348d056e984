/* content_load.h — content definitions → the C tables of the fight (battle.h).
 *
 * Input: a jansson object {id: def} per kind, as the script host's
 * cw_host_defs_json returns them (an empty Lua list may arrive as {}). The
 * shapes were checked by the content loader (scripts/content/defs.lua); here a
 * missing or mistyped field reads as its default, never as an error.
 *
 *   skill{}    → cw_skill_def, sorted by id, num = index + 1
 *   monster{}  → cw_monster_def (its first skill resolved in a skill table)
 *   stats = {} → cw_stat_list (FLAT contributions of one stat source)
 *   zone{}     → a checked cw_zoneset (content_zones.c)
 *   zone{}.spawns → spawn groups, each with a key that names it across
 *              reloads: the zone id, a hash of the group's definition and its
 *              occurrence among identical groups of that zone, so a group whose
 *              definition is unchanged keeps its key even if groups before it
 *              were added or removed.
 *
 * Ownership: json inputs are borrowed; a skill table from cw_content_skills is
 * the caller's (free()). Pure: no I/O, no clock. Functions return 0 or a
 * negative CW_E* with a message in the optional err. */
#ifndef CW_GAME_CONTENT_LOAD_H
#define CW_GAME_CONTENT_LOAD_H

#include "core/game/fighter.h"
#include "core/game/monsters.h"
#include "core/game/zone.h"

#include <jansson.h>

/* o[k] when it is a number, else def. */
double cw_content_num(json_t *o, const char *k, double def);
/* A `stats = {...}` table (NULL or not an object: empty). Names the list
 * cannot take (too long, more than CW_FIGHTER_MAX_STATS) are skipped. */
void cw_content_stat_list(json_t *stats, cw_stat_list *out);
/* The `stats` of definition `id` in defs (races, jobs): empty when either is missing. */
void cw_content_def_stats(json_t *defs, const char *id, cw_stat_list *out);
/* Every skill of defs (may be NULL: none), sorted by id. *out gets a table
 * of *n entries (never NULL on success; free() it). CW_ENOMEM. */
int cw_content_skills(const cw_combat_content *c, json_t *defs, cw_skill_def **out, int *n,
                      cw_error *err);
/* The skill with that id in a sorted table, or NULL. */
const cw_skill_def *cw_content_skill_find(const cw_skill_def *v, int n, const char *id);
/* Monster `id` of def d; its skill points into skills[0..nskills). */
void cw_content_monster(const char *id, json_t *d, const cw_skill_def *skills, int nskills,
                        cw_monster_def *out);

/* Every zone of zones (NULL or empty: one default 1000x1000 zone "start"
 * with its spawn in the middle, for content without zones; *defaulted, when
 * given, says so), checked with cw_zoneset_check. On error zs is empty and
 * the problem is in err (CW_EINVAL, CW_ENOMEM). The caller frees zs. */
int cw_content_zones(json_t *zones, cw_zoneset *zs, int *defaulted, cw_error *err);

typedef struct cw_spawn_group {
    const char *zone;    /* the zone's id */
    json_t *def;         /* the group's definition (borrowed) */
    const char *monster; /* its template id (never NULL) */
    double x, y, radius;
    int count;
    char key[CW_MONSTER_GROUP_MAX];
} cw_spawn_group;

/* Calls fn for every spawn group of every zone in zones (NULL: none), zones
 * in the object's order, groups in list order. Groups without a monster id
 * are skipped. */
void cw_content_spawn_groups(json_t *zones, void (*fn)(const cw_spawn_group *g, void *ud),
                             void *ud);
/* Member k of g: spread evenly on a circle of g->radius around (x, y)
 * (a group of one sits at the centre). */
void cw_spawn_group_point(const cw_spawn_group *g, int k, double *x, double *y);

#endif
