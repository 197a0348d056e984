/* battle_stats.c — stat sources on fighters: buffs (timed or not), the
 * `level` source, and reading the resolved stats. See battle.h. */
#include "core/game/battle_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reserved[] = {"race", "job", "level", "monster"};

static int is_reserved(const char *s)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(s, reserved[i]) == 0) return 1;
    return 0;
}

static cw_combatant *fighter(const cw_battle *b, int64_t id)
{
    return cw_battle_combatant(b, cw_world_get(b->w, id));
}

static int find(const cw_battle *b, int64_t entity, const char *source)
{
    for (int i = 0; i < b->nbuffs; i++)
        if (b->buffs[i].entity == entity && strcmp(b->buffs[i].source, source) == 0) return i;
    return -1;
}

static void unlist(cw_battle *b, int i)
{
    b->buffs[i] = b->buffs[--b->nbuffs]; /* order does not matter */
}

/* Removes source from cb's actor and re-resolves (pools clamped). */
static void take_off(cw_battle *b, int64_t entity, cw_combatant *cb, const char *source)
{
    cw_error err = {0};
    if (cw_stats_actor_remove_source(cb->actor, source, &err) == 0) {
        (void)cw_combatant_refresh(cb, &b->content, &err); /* fails only out of memory */
        cw_battle_stats_changed_(b, entity);
    }
}

static int check_list(const cw_stat_list *l, cw_error *err)
{
    for (int i = 0; l && i < l->n; i++)
        if (!isfinite(l->v[i].value))
            return cw_error_set(err, CW_EINVAL, "stat '%s': not a finite number", l->v[i].name);
    return 0;
}

int cw_battle_buff_add(cw_battle *b, int64_t entity_id, const char *source,
                       const cw_buff_stats *stats, double seconds, uint64_t now_ns, cw_error *err)
{
    if (!source || !*source || strlen(source) > CW_BATTLE_SOURCE_MAX)
        return cw_error_set(err, CW_EINVAL, "buff source: 1 to %d characters",
                            CW_BATTLE_SOURCE_MAX);
    if (is_reserved(source))
        return cw_error_set(err, CW_EINVAL, "buff source '%s' is reserved", source);
    if (!isfinite(seconds)) return cw_error_set(err, CW_EINVAL, "buff seconds: not finite");
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return cw_error_set(err, CW_ENOTFOUND, "no fighter %lld", (long long)entity_id);
    if (cb->dead) return cw_error_set(err, CW_ESTATE, "the dead take no buffs");
    int rc = check_list(stats ? &stats->flat : NULL, err);
    if (rc == 0) rc = check_list(stats ? &stats->mult : NULL, err);
    if (rc) return rc;
    int at = find(b, entity_id, source);
    if (at < 0 && b->nbuffs == b->capbuffs) {
        int cap = b->capbuffs ? b->capbuffs * 2 : 16;
        battle_buff *v = realloc(b->buffs, sizeof *v * (size_t)cap);
        if (!v) return cw_error_set(err, CW_ENOMEM, "out of memory");
        b->buffs = v;
        b->capbuffs = cap;
    }
    rc = cw_fighter_set_source_mult(cb->actor, source, stats ? &stats->flat : NULL,
                                    stats ? &stats->mult : NULL, err);
    if (rc == 0) rc = cw_combatant_refresh(cb, &b->content, err);
    if (rc) {
        /* the actor must not keep a source nobody tracks */
        if (at < 0) (void)cw_stats_actor_remove_source(cb->actor, source, NULL);
        return rc;
    }
    if (at < 0) {
        at = b->nbuffs++;
        b->buffs[at].entity = entity_id;
        snprintf(b->buffs[at].source, sizeof b->buffs[at].source, "%s", source);
    }
    cw_battle_stats_changed_(b, entity_id);
    uint64_t until = 0; /* never */
    if (seconds > 0) {
        double ns = seconds * 1e9;
        until = ns >= (double)(UINT64_MAX - now_ns) ? UINT64_MAX : now_ns + (uint64_t)ns;
        if (!until) until = 1;
    }
    b->buffs[at].expires_ns = until;
    return 0;
}

int cw_battle_buff_remove(cw_battle *b, int64_t entity_id, const char *source)
{
    int at = source ? find(b, entity_id, source) : -1;
    if (at < 0) return CW_ENOTFOUND;
    cw_combatant *cb = fighter(b, entity_id);
    if (cb) take_off(b, entity_id, cb, source);
    unlist(b, at);
    return 0;
}

void cw_battle_drop_buffs_(cw_battle *b, int64_t entity, int drop_sources)
{
    cw_combatant *cb = drop_sources ? fighter(b, entity) : NULL;
    for (int i = b->nbuffs - 1; i >= 0; i--) {
        if (b->buffs[i].entity != entity) continue;
        if (cb) take_off(b, entity, cb, b->buffs[i].source);
        unlist(b, i);
    }
}

void cw_battle_expire_buffs_(cw_battle *b, uint64_t now_ns)
{
    for (int i = b->nbuffs - 1; i >= 0; i--) {
        battle_buff *u = &b->buffs[i];
        if (!u->expires_ns || now_ns < u->expires_ns) continue;
        cw_combatant *cb = fighter(b, u->entity);
        if (cb) take_off(b, u->entity, cb, u->source);
        unlist(b, i);
    }
}

int cw_battle_set_source(cw_battle *b, int64_t entity_id, const char *source, const cw_stat_list *l,
                         cw_error *err)
{
    if (!source || strcmp(source, "level") != 0)
        return cw_error_set(err, CW_EINVAL, "only the 'level' source is set this way");
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return cw_error_set(err, CW_ENOTFOUND, "no fighter %lld", (long long)entity_id);
    int rc = check_list(l, err);
    if (rc) return rc;
    if (!l) {
        take_off(b, entity_id, cb, source); /* not set: nothing to do */
        return 0;
    }
    /* A pool that was full stays full: a character entering the world (the
     * level source comes after its combatant is built) or levelling up is
     * not left below its new maximum. Others keep their current value. */
    int full[CW_COMBAT_MAX_RESOURCES] = {0};
    for (int i = 0; i < CW_COMBAT_MAX_RESOURCES; i++)
        full[i] = cb->pools.pool[i].max > 0 && cb->pools.pool[i].current >= cb->pools.pool[i].max;
    rc = cw_fighter_set_source(cb->actor, source, l, err);
    if (rc == 0) rc = cw_combatant_refresh(cb, &b->content, err);
    if (rc == 0 && !cb->dead) {
        for (int i = 0; i < CW_COMBAT_MAX_RESOURCES; i++)
            if (full[i]) cb->pools.pool[i].current = cb->pools.pool[i].max;
        cw_combat_pools_settle(&cb->pools, &b->content);
    }
    if (rc == 0) cw_battle_stats_changed_(b, entity_id);
    return rc;
}

int cw_battle_stats(cw_battle *b, int64_t entity_id,
                    void (*fn)(void *ud, const char *name, double value), void *ud)
{
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return CW_ENOTFOUND;
    const cw_stats_snapshot *s = NULL;
    int rc = cw_stats_actor_resolve(cb->actor, &s, NULL);
    if (rc) return rc;
    for (size_t i = 0; i < s->nprimary; i++) {
        const char *name = cw_stats_dim_name(b->reg, s->primary[i].dim);
        if (name) fn(ud, name, s->primary[i].value);
    }
    return 0;
}

int cw_battle_vitals(const cw_battle *b, int64_t entity_id, cw_vitals *out)
{
    memset(out, 0, sizeof *out);
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return CW_ENOTFOUND;
    const cw_combat_pool *hp = &cb->pools.pool[b->content.hp];
    out->hp = hp->current;
    out->hp_max = hp->max;
    int mp = cw_combat_resource_find(&b->content, "mp");
    if (mp >= 0) {
        out->mp = cb->pools.pool[mp].current;
        out->mp_max = cb->pools.pool[mp].max;
    }
    out->dead = cb->dead;
    return 0;
}

int cw_battle_heal(cw_battle *b, int64_t entity_id, double amount, double *hp_out, cw_error *err)
{
    if (!(amount >= 0) || !isfinite(amount))
        return cw_error_set(err, CW_EINVAL, "heal amount must be a finite number >= 0");
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return cw_error_set(err, CW_ENOTFOUND, "no fighter %lld", (long long)entity_id);
    if (cb->dead) return cw_error_set(err, CW_ESTATE, "entity %lld is dead", (long long)entity_id);
    cw_combat_pool *hp = &cb->pools.pool[b->content.hp];
    hp->current += amount;
    if (hp->current > hp->max) hp->current = hp->max;
    if (hp_out) *hp_out = hp->current;
    return 0;
}
