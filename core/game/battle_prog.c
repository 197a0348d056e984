/* battle_prog.c — progression in the battle: the realms' REALM caps, a
 * player's realm, its known-skills set (the gate's "skill_unknown"), and the
 * notices of players whose stats changed. See battle.h. */
#include "core/base/strbuf.h"
#include "core/game/battle_internal.h"

#include <stdlib.h>
#include <string.h>

#define REALM_SOURCE "realm"

static cw_combatant *fighter(const cw_battle *b, int64_t id)
{
    return cw_battle_combatant(b, cw_world_get(b->w, id));
}

/* ---- realms ---------------------------------------------------------------------------------- */

int cw_battle_realm_caps_(cw_battle *b, json_t *realms, cw_error *err)
{
    size_t n = 0;
    const char *id;
    json_t *r;
    json_object_foreach(realms, id, r)
    {
        json_t *caps = json_object_get(r, "caps");
        if (json_is_object(caps)) n += json_object_size(caps);
    }
    if (n == 0) {
        (void)cw_stats_remove_shared_caps(b->reg, REALM_SOURCE, NULL); /* none: fine */
        return 0;
    }
    cw_stats_cap_in *v = calloc(n, sizeof *v);
    if (!v) return cw_error_set(err, CW_ENOMEM, "out of memory");
    size_t k = 0;
    json_object_foreach(realms, id, r)
    {
        const char *stat;
        json_t *cap;
        json_object_foreach(json_object_get(r, "caps"), stat, cap)
        {
            if (!json_is_number(cap)) continue;
            v[k++] = (cw_stats_cap_in){.system = REALM_SOURCE,
                                       .dimension = stat,
                                       .mode = CW_STATS_CAP_HARD_MAX,
                                       .kind = CW_STATS_KIND_MAX,
                                       .value = json_number_value(cap),
                                       .scope = "REALM",
                                       .realm = id};
        }
    }
    int rc = k ? cw_stats_set_shared_caps(b->reg, REALM_SOURCE, v, k, err)
               : cw_stats_remove_shared_caps(b->reg, REALM_SOURCE, NULL);
    free(v);
    return rc == CW_ENOTFOUND ? 0 : rc;
}

/* ---- world events ---------------------------------------------------------------------------- */

int cw_battle_event_caps(cw_battle *b, const char *source, const cw_stat_list *caps, cw_error *err)
{
    if (!source || !source[0]) return cw_error_set(err, CW_EINVAL, "event caps: empty source");
    if (!caps || caps->n == 0) {
        int rc = cw_stats_remove_shared_caps(b->reg, source, NULL);
        return rc == CW_ENOTFOUND ? 0 : rc;
    }
    cw_stats_cap_in v[CW_FIGHTER_MAX_STATS];
    for (int i = 0; i < caps->n; i++)
        v[i] = (cw_stats_cap_in){.system = source,
                                 .dimension = caps->v[i].name,
                                 .mode = CW_STATS_CAP_HARD_MAX,
                                 .kind = CW_STATS_KIND_MAX,
                                 .value = caps->v[i].value,
                                 .scope = "EVENT"};
    return cw_stats_set_shared_caps(b->reg, source, v, (size_t)caps->n, err);
}

int cw_battle_set_realm(cw_battle *b, int64_t entity_id, const char *realm_id, cw_error *err)
{
    cw_combatant *cb = fighter(b, entity_id);
    if (!cb) return cw_error_set(err, CW_ENOTFOUND, "no fighter %lld", (long long)entity_id);
    if (realm_id && !*realm_id) realm_id = NULL;
    if (realm_id && !json_object_get(b->realms, realm_id))
        return cw_error_set(err, CW_EINVAL, "no realm '%s'", realm_id);
    const char *was = cw_stats_actor_realm(cb->actor);
    if ((!was && !realm_id) || (was && realm_id && strcmp(was, realm_id) == 0)) return 0;
    int rc = cw_stats_actor_set_realm(cb->actor, realm_id, err);
    if (rc == 0) rc = cw_combatant_refresh(cb, &b->content, err);
    if (rc == 0) cw_battle_stats_changed_(b, entity_id);
    return rc;
}

const char *cw_battle_realm(const cw_battle *b, int64_t entity_id)
{
    cw_combatant *cb = fighter(b, entity_id);
    return cb ? cw_stats_actor_realm(cb->actor) : NULL;
}

/* ---- known skills ---------------------------------------------------------------------------- */

static int cmp_id(const void *x, const void *y)
{
    return strcmp(x, y);
}

void cw_battle_known_free_(battle_player *p)
{
    free(p->known);
    p->known = NULL;
    p->nknown = 0;
    p->has_known = 0;
}

int cw_battle_set_known_skills(cw_battle *b, int64_t entity_id, const char *const *ids, int n,
                               cw_error *err)
{
    cw_entity *e = cw_world_get(b->w, entity_id);
    if (!e || e->kind != CW_ENT_PLAYER || !e->data)
        return cw_error_set(err, CW_ENOTFOUND, "no player %lld in the battle",
                            (long long)entity_id);
    battle_player *p = e->data;
    if (n < 0) {
        cw_battle_known_free_(p);
        return 0;
    }
    if (n > CW_BATTLE_KNOWN_MAX)
        return cw_error_set(err, CW_EINVAL, "at most %d known skills", CW_BATTLE_KNOWN_MAX);
    for (int i = 0; i < n; i++)
        if (!ids[i] || !*ids[i] || strlen(ids[i]) >= RACE_MAX)
            return cw_error_set(err, CW_EINVAL, "known skill %d: 1 to %d characters", i + 1,
                                RACE_MAX - 1);
    char(*v)[RACE_MAX] = calloc((size_t)n + 1, sizeof *v);
    if (!v) return cw_error_set(err, CW_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        memcpy(v[i], ids[i], strlen(ids[i]) + 1);
    qsort(v, (size_t)n, sizeof *v, cmp_id);
    free(p->known);
    p->known = v;
    p->nknown = n;
    p->has_known = 1;
    return 0;
}

int cw_battle_knows(const cw_battle *b, const cw_entity *e, const char *skill_id)
{
    (void)b;
    if (!e || e->kind != CW_ENT_PLAYER || !e->data) return 0;
    const battle_player *p = e->data;
    if (!p->has_known) return 1;
    return skill_id && bsearch(skill_id, p->known, (size_t)p->nknown, sizeof *p->known, cmp_id);
}

/* ---- stats notices --------------------------------------------------------------------------- */

void cw_battle_stats_changed_(cw_battle *b, int64_t entity)
{
    const cw_entity *e = cw_world_get(b->w, entity);
    if (!e || e->kind != CW_ENT_PLAYER || !b->cfg.ev.stats) return;
    for (int i = 0; i < b->ndirty; i++)
        if (b->dirty[i] == entity) return;
    if (b->ndirty == b->capdirty) {
        int cap = b->capdirty ? b->capdirty * 2 : 16;
        int64_t *v = realloc(b->dirty, sizeof *v * (size_t)cap);
        if (!v) return; /* out of memory: this notice is lost, the stats are right */
        b->dirty = v;
        b->capdirty = cap;
    }
    b->dirty[b->ndirty++] = entity;
}

uint64_t cw_battle_stats_sig_(battle_player *p)
{
    const cw_stats_snapshot *s = NULL;
    if (cw_stats_actor_resolve(p->cb.actor, &s, NULL) != 0) return 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a over (dim, value) pairs */
    for (size_t i = 0; i < s->nprimary; i++) {
        unsigned char buf[sizeof(uint32_t) + sizeof(double)];
        memcpy(buf, &s->primary[i].dim, sizeof(uint32_t));
        memcpy(buf + sizeof(uint32_t), &s->primary[i].value, sizeof(double));
        for (size_t k = 0; k < sizeof buf; k++) {
            h ^= buf[k];
            h *= 1099511628211ull;
        }
    }
    return h;
}

void cw_battle_flush_stats(cw_battle *b)
{
    /* The callback may change stats again: those wait for the next flush. */
    int n = b->ndirty;
    if (!n) return;
    int64_t *ids = b->dirty;
    b->dirty = NULL;
    b->ndirty = b->capdirty = 0;
    for (int i = 0; i < n; i++) {
        cw_entity *e = cw_world_get(b->w, ids[i]);
        if (!e || e->kind != CW_ENT_PLAYER || !e->data || !b->cfg.ev.stats) continue;
        battle_player *p = e->data;
        uint64_t sig = cw_battle_stats_sig_(p);
        if (sig == p->stats_sig) continue; /* changed and changed back, or nothing resolved */
        p->stats_sig = sig;
        b->cfg.ev.stats(b->cfg.ev.ud, e);
    }
    free(ids);
}

typedef struct json_walk {
    cw_strbuf *out;
    int n, rc;
} json_walk;

static void add_stat(void *ud, const char *name, double v)
{
    json_walk *w = ud;
    if (w->rc) return;
    if (w->n++) w->rc |= cw_strbuf_puts(w->out, ",");
    w->rc |= cw_strbuf_json_str(w->out, name);
    w->rc |= cw_strbuf_printf(w->out, ":%.15g", v);
}

int cw_battle_stats_json(cw_battle *b, int64_t entity_id, cw_strbuf *out)
{
    cw_vitals vt;
    if (cw_battle_vitals(b, entity_id, &vt) != 0) return CW_ENOTFOUND;
    json_walk w = {out, 0, cw_strbuf_puts(out, "{\"ev\":\"stats\",\"stats\":{")};
    int rc = cw_battle_stats(b, entity_id, add_stat, &w);
    if (rc) return rc;
    w.rc |= cw_strbuf_printf(out, "},\"hp\":%.15g,\"hp_max\":%.15g,\"mp\":%.15g,\"mp_max\":%.15g}",
                             vt.hp, vt.hp_max, vt.mp, vt.mp_max);
    return w.rc ? CW_ENOMEM : 0;
}
