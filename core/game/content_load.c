/* content_load.c — content definitions (jansson) → skills, monsters, stat
 * lists and spawn groups. See content_load.h. */
#include "core/game/content_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double cw_content_num(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

void cw_content_stat_list(json_t *stats, cw_stat_list *out)
{
    memset(out, 0, sizeof *out);
    const char *k;
    json_t *v;
    json_object_foreach(stats, k, v)
    {
        if (json_is_number(v)) (void)cw_stat_list_add(out, k, json_number_value(v));
    }
}

void cw_content_def_stats(json_t *defs, const char *id, cw_stat_list *out)
{
    json_t *d = id ? json_object_get(defs, id) : NULL;
    cw_content_stat_list(json_object_get(d, "stats"), out);
}

static int cmp_skill(const void *x, const void *y)
{
    return strcmp(((const cw_skill_def *)x)->id, ((const cw_skill_def *)y)->id);
}

static void skill(const cw_combat_content *c, const char *id, json_t *d, cw_skill_def *k)
{
    memset(k, 0, sizeof *k);
    snprintf(k->id, sizeof k->id, "%s", id);
    cw_combat_skill_init(&k->sk);
    k->sk.base_min = cw_content_num(d, "base_min", 0);
    k->sk.base_max = cw_content_num(d, "base_max", 0);
    k->sk.scaling = cw_content_num(d, "scaling", 1);
    k->sk.flat = cw_content_num(d, "flat", 0);
    json_t *el = json_object_get(d, "element");
    int e = json_is_string(el) ? cw_combat_element_find(c, json_string_value(el))
                               : CW_COMBAT_ELEMENT_ATTACKER;
    k->sk.element = e >= 0 ? e : CW_COMBAT_ELEMENT_ATTACKER;
    json_t *dt = json_object_get(d, "damage_type");
    int t = cw_combat_damage_type_find(c, json_is_string(dt) ? json_string_value(dt) : "physical");
    k->sk.damage_type = t >= 0 ? t : 0;
    k->range = cw_content_num(d, "range", 0);
    k->cooldown = cw_content_num(d, "cooldown", 0);
    k->cast_time = cw_content_num(d, "cast_time", 0);
    k->mp_cost = cw_content_num(json_object_get(d, "cost"), "mp", 0);
}

int cw_content_skills(const cw_combat_content *c, json_t *defs, cw_skill_def **out, int *n,
                      cw_error *err)
{
    size_t size = json_object_size(defs);
    cw_skill_def *v = calloc(size + 1, sizeof *v);
    if (!v) return cw_error_set(err, CW_ENOMEM, "out of memory");
    int i = 0;
    const char *id;
    json_t *d;
    json_object_foreach(defs, id, d)
    {
        skill(c, id, d, &v[i++]);
    }
    qsort(v, (size_t)i, sizeof *v, cmp_skill);
    for (int j = 0; j < i; j++)
        v[j].num = (uint32_t)j + 1;
    *out = v;
    *n = i;
    return 0;
}

const cw_skill_def *cw_content_skill_find(const cw_skill_def *v, int n, const char *id)
{
    cw_skill_def key;
    snprintf(key.id, sizeof key.id, "%s", id ? id : "");
    return n > 0 ? bsearch(&key, v, (size_t)n, sizeof key, cmp_skill) : NULL;
}

void cw_content_monster(const char *id, json_t *d, const cw_skill_def *skills, int nskills,
                        cw_monster_def *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    json_t *name = json_object_get(d, "name");
    snprintf(m->name, sizeof m->name, "%s", json_is_string(name) ? json_string_value(name) : id);
    cw_content_stat_list(json_object_get(d, "stats"), &m->stats);
    json_t *sk = json_array_get(json_object_get(d, "skills"), 0);
    m->skill =
        json_is_string(sk) ? cw_content_skill_find(skills, nskills, json_string_value(sk)) : NULL;
    m->respawn_s = cw_content_num(d, "respawn", 30);
    m->aggro = cw_content_num(d, "aggro", 0);
    m->leash = cw_content_num(d, "leash", 0);
    m->exp = (int64_t)cw_content_num(d, "exp", 0);
    json_t *g = json_object_get(d, "gold");
    m->gold_min = (int64_t)cw_content_num(g, "min", 0);
    m->gold_max = (int64_t)cw_content_num(g, "max", 0);
}

/* FNV-1a over the group's canonical text: stable for an unchanged definition. */
static uint64_t hash_def(json_t *g)
{
    char *text = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = text ? text : ""; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001b3ull;
    }
    free(text);
    return h;
}

void cw_content_spawn_groups(json_t *zones, void (*fn)(const cw_spawn_group *g, void *ud), void *ud)
{
    const char *zid;
    json_t *z;
    json_object_foreach(zones, zid, z)
    {
        json_t *spawns = json_object_get(z, "spawns");
        if (!json_is_array(spawns)) continue;
        size_t i;
        json_t *d;
        json_array_foreach(spawns, i, d)
        {
            json_t *mid = json_object_get(d, "monster");
            if (!json_is_string(mid)) continue;
            int occ = 0;
            for (size_t j = 0; j < i; j++)
                occ += json_equal(json_array_get(spawns, j), d);
            cw_spawn_group g = {
                .zone = zid,
                .def = d,
                .monster = json_string_value(mid),
                .x = cw_content_num(d, "x", 0),
                .y = cw_content_num(d, "y", 0),
                .radius = cw_content_num(d, "radius", 0),
                .count = (int)cw_content_num(d, "count", 1),
            };
            snprintf(g.key, sizeof g.key, "%s:%016llx:%d", zid, (unsigned long long)hash_def(d),
                     occ);
            fn(&g, ud);
        }
    }
}

void cw_spawn_group_point(const cw_spawn_group *g, int k, double *x, double *y)
{
    int count = g->count > 0 ? g->count : 1;
    double ang = 2 * M_PI * k / count;
    *x = g->x + (count > 1 ? g->radius * cos(ang) : 0);
    *y = g->y + (count > 1 ? g->radius * sin(ang) : 0);
}
