/* fighter.c — stats (cw_stats actor) → combat fighter and pools. */
#include "core/game/fighter.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int cw_stat_list_add(cw_stat_list *l, const char *name, double value)
{
    if (!name || !*name || strlen(name) >= CW_FIGHTER_STAT_NAME || !isfinite(value))
        return CW_EINVAL;
    if (l->n >= CW_FIGHTER_MAX_STATS) return CW_ELIMIT;
    snprintf(l->v[l->n].name, sizeof l->v[l->n].name, "%s", name);
    l->v[l->n].value = value;
    l->n++;
    return 0;
}

static int put(cw_stats_contrib_in *in, int n, const cw_stat_list *l, cw_stats_bucket bucket,
               const char *source)
{
    for (int i = 0; l && i < l->n; i++)
        in[n++] = (cw_stats_contrib_in){.dimension = l->v[i].name,
                                        .bucket = bucket,
                                        .value = l->v[i].value,
                                        .system = source,
                                        .priority = 0};
    return n;
}

int cw_fighter_set_source_mult(cw_stats_actor *a, const char *source, const cw_stat_list *flat,
                               const cw_stat_list *mult, cw_error *err)
{
    cw_stats_contrib_in in[2 * CW_FIGHTER_MAX_STATS];
    int n = put(in, 0, flat, CW_STATS_FLAT, source);
    n = put(in, n, mult, CW_STATS_MULT, source);
    cw_stats_source_in src = {.primary = in, .nprimary = (size_t)n};
    return cw_stats_actor_set_source(a, source, &src, err);
}

int cw_fighter_set_source(cw_stats_actor *a, const char *source, const cw_stat_list *l,
                          cw_error *err)
{
    return cw_fighter_set_source_mult(a, source, l, NULL, err);
}

static double get(const cw_stats_snapshot *s, const cw_stats_registry *reg, const char *name,
                  double def)
{
    uint32_t d = cw_stats_dim_find(reg, name);
    double v;
    if (d == CW_STATS_NONE || !cw_stats_snapshot_get(s, CW_STATS_PRIMARY, d, &v)) return def;
    return isfinite(v) ? v : def;
}

int cw_fighter_numbers_of(cw_stats_actor *a, cw_fighter_numbers *out, cw_error *err)
{
    const cw_stats_snapshot *s = NULL;
    int rc = cw_stats_actor_resolve(a, &s, err);
    if (rc) return rc;
    const cw_stats_registry *reg = cw_stats_actor_registry(a);
    cw_fighter_numbers n = {
        .hp_max = get(s, reg, "hp_max", CW_FIGHTER_DEFAULT_HP),
        .mp_max = get(s, reg, "mp_max", CW_FIGHTER_DEFAULT_MP),
        .power = get(s, reg, "power", 0),
        .defense = get(s, reg, "defense", 0),
        .accuracy = get(s, reg, "accuracy", 0),
        .evasion = get(s, reg, "evasion", 0),
        .crit_rate = get(s, reg, "crit_rate", 0),
        .crit_resist = get(s, reg, "crit_resist", 0),
        .crit_damage = get(s, reg, "crit_damage", 0),
        .crit_damage_resist = get(s, reg, "crit_damage_resist", 0),
        .mastery = get(s, reg, "mastery", 0),
        .move_speed = get(s, reg, "move_speed", 0),
    };
    if (n.hp_max < 1) n.hp_max = 1;
    if (n.mp_max < 0) n.mp_max = 0;
    *out = n;
    return 0;
}

int cw_fighter_build(const cw_fighter_numbers *n, cw_combat_fighter *f, cw_error *err)
{
    cw_combat_actor a; /* ~2 KB on the stack: built only when stats change */
    cw_combat_actor_init(&a);
    a.power.omni = n->power;
    a.defense.omni = n->defense;
    a.accuracy.omni = n->accuracy;
    a.evasion.omni = n->evasion;
    a.crit_rate.omni = n->crit_rate;
    a.crit_resist.omni = n->crit_resist;
    a.crit_damage.omni = n->crit_damage;
    a.crit_damage_resist.omni = n->crit_damage_resist;
    a.mastery.omni = n->mastery;
    return cw_combat_fighter_prepare(f, &a, err);
}

static void fill_pools(cw_combatant *cb, const cw_combat_content *c, int full)
{
    cw_combat_pool *hp = &cb->pools.pool[c->hp];
    hp->max = cb->num.hp_max;
    if (full || hp->current > hp->max) hp->current = hp->max;
    int mp = cw_combat_resource_find(c, "mp");
    if (mp >= 0) {
        cw_combat_pool *p = &cb->pools.pool[mp];
        p->max = cb->num.mp_max;
        if (full || p->current > p->max) p->current = p->max;
    }
    cw_combat_pools_settle(&cb->pools, c);
}

int cw_combatant_init(cw_combatant *cb, cw_stats_registry *reg, const cw_combat_content *c,
                      const char *const *names, const cw_stat_list *const *lists, int n,
                      cw_error *err)
{
    memset(cb, 0, sizeof *cb);
    int rc = cw_stats_actor_new(reg, &cb->actor, err);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = cw_fighter_set_source(cb->actor, names[i], lists[i], err);
    if (rc == 0) rc = cw_fighter_numbers_of(cb->actor, &cb->num, err);
    if (rc == 0) rc = cw_fighter_build(&cb->num, &cb->f, err);
    if (rc) {
        cw_combatant_free(cb);
        return rc;
    }
    cw_combat_pools_init(&cb->pools, c);
    cw_combat_cooldowns_init(&cb->cds);
    fill_pools(cb, c, 1);
    return 0;
}

int cw_combatant_refresh(cw_combatant *cb, const cw_combat_content *c, cw_error *err)
{
    cw_fighter_numbers n;
    cw_combat_fighter f;
    int rc = cw_fighter_numbers_of(cb->actor, &n, err);
    if (rc == 0) rc = cw_fighter_build(&n, &f, err);
    if (rc) return rc;
    cb->num = n;
    cb->f = f;
    fill_pools(cb, c, 0);
    return 0;
}

void cw_combatant_restore(cw_combatant *cb, const cw_combat_content *c)
{
    cb->dead = 0;
    cb->casting = 0;
    cw_combat_pools_revive(&cb->pools, c, cb->num.hp_max);
    cw_combat_cooldowns_init(&cb->cds);
    fill_pools(cb, c, 1);
}

void cw_combatant_free(cw_combatant *cb)
{
    if (!cb) return;
    cw_stats_actor_free(cb->actor);
    memset(cb, 0, sizeof *cb);
}

double cw_combatant_hp(const cw_combatant *cb, const cw_combat_content *c)
{
    return cb->pools.pool[c->hp].current;
}
