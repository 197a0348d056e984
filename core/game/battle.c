/* battle.c — the battle's lifecycle, content loads that keep what did not
 * change, players joining and leaving, scripted spawns. See battle.h. */
#include "core/game/battle_internal.h"
#include "core/game/content_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- monsters' hooks ------------------------------------------------------------------------ */

static int targetable(void *ud, const cw_entity *p)
{
    const cw_combatant *cb = cw_battle_combatant(ud, p);
    return cb && !cb->dead;
}

static int monster_attack(void *ud, cw_monster *m, cw_entity *self, cw_entity *t, uint64_t now)
{
    cw_battle *b = ud;
    if (!m->def.skill || cw_battle_reach(b, self, t, m->def.skill)) return CW_ESTATE;
    return cw_battle_land_(b, self, t, m->def.skill, now);
}

static void monster_respawned(void *ud, cw_monster *m, cw_entity *e)
{
    cw_battle *b = ud;
    (void)m;
    if (b->cfg.ev.respawn) b->cfg.ev.respawn(b->cfg.ev.ud, e);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static json_t *own(json_t *o)
{
    return json_is_object(o) ? json_incref(o) : json_object();
}

int cw_battle_new(cw_world *w, const cw_battle_config *cfg, cw_battle **out, cw_error *err)
{
    *out = NULL;
    if (!w) return cw_error_set(err, CW_EINVAL, "battle: no world");
    cw_battle *b = calloc(1, sizeof *b);
    if (!b) return cw_error_set(err, CW_ENOMEM, "out of memory");
    b->w = w;
    if (cfg) b->cfg = *cfg;
    b->player_respawn_s = CW_BATTLE_PLAYER_RESPAWN_S;
    cw_combat_content_demo(&b->content);
    int rc = cw_stats_registry_new(NULL, &b->reg, err);
    if (rc) {
        free(b);
        return rc;
    }
    cw_monster_hooks h = {b, monster_attack, targetable};
    b->mons = cw_monsters_new(w, b->reg, &b->content, &h);
    if (b->mons) cw_monsters_on_respawn(b->mons, monster_respawned);
    b->races = json_object();
    b->jobs = json_object();
    b->monster_defs = json_object();
    b->zone_defs = json_object();
    b->realms = json_object();
    if (!b->mons || !b->races || !b->jobs || !b->monster_defs || !b->zone_defs || !b->realms) {
        cw_battle_free(b, 0);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    *out = b;
    return 0;
}

static void forget_each(cw_entity *e, void *ud)
{
    cw_battle_forget(ud, e);
}

void cw_battle_free(cw_battle *b, int world_gone)
{
    if (!b) return;
    cw_monsters_free(b->mons, world_gone);
    cw_world_each(b->w, forget_each, b); /* the players' records (the world is still there) */
    cw_stats_registry_free(b->reg);
    json_decref(b->races);
    json_decref(b->jobs);
    json_decref(b->monster_defs);
    json_decref(b->zone_defs);
    json_decref(b->realms);
    free(b->dirty);
    free(b->skills);
    free(b->buffs);
    free(b->due);
    free(b);
}

void cw_battle_set_player_respawn_s(cw_battle *b, double seconds)
{
    b->player_respawn_s = isfinite(seconds) && seconds > 0 ? seconds : 0;
}

/* ---- accessors ------------------------------------------------------------------------------- */

cw_combatant *cw_battle_combatant(const cw_battle *b, const cw_entity *e)
{
    (void)b;
    if (!e || !e->data || (e->kind != CW_ENT_PLAYER && e->kind != CW_ENT_MONSTER)) return NULL;
    return e->data;
}

void cw_battle_watch_dead(cw_battle *b, cw_entity *e, uint8_t *flag)
{
    (void)b;
    if (!e || e->kind != CW_ENT_PLAYER || !e->data) return;
    battle_player *p = e->data;
    p->dead_flag = flag;
    if (flag) *flag = p->cb.dead ? 1 : 0;
}

int cw_battle_is_dead(const cw_battle *b, const cw_entity *e)
{
    const cw_combatant *cb = cw_battle_combatant(b, e);
    return cb && cb->dead;
}

const cw_skill_def *cw_battle_skill(const cw_battle *b, const char *id)
{
    return cw_content_skill_find(b->skills, b->nskills, id);
}

cw_monsters *cw_battle_monsters(cw_battle *b)
{
    return b->mons;
}

const cw_combat_content *cw_battle_content(const cw_battle *b)
{
    return &b->content;
}

/* ---- players --------------------------------------------------------------------------------- */

static int set_player_sources(cw_battle *b, cw_entity *e, battle_player *p, cw_error *err)
{
    cw_stat_list race, job;
    cw_content_def_stats(b->races, p->race, &race);
    cw_content_def_stats(b->jobs, p->job, &job);
    int rc = cw_fighter_set_source(p->cb.actor, "race", &race, err);
    if (rc == 0) rc = cw_fighter_set_source(p->cb.actor, "job", &job, err);
    if (rc == 0) rc = cw_combatant_refresh(&p->cb, &b->content, err);
    if (rc == 0) cw_battle_stats_changed_(b, e->id);
    return rc;
}

int cw_battle_join(cw_battle *b, cw_entity *e, const char *race, const char *job, cw_error *err)
{
    if (!e || e->kind != CW_ENT_PLAYER)
        return cw_error_set(err, CW_EINVAL, "battle: only players join");
    battle_player *p = e->data;
    if (p) {
        snprintf(p->race, sizeof p->race, "%s", race ? race : "");
        snprintf(p->job, sizeof p->job, "%s", job ? job : "");
        return set_player_sources(b, e, p, err);
    }
    p = calloc(1, sizeof *p);
    if (!p) return cw_error_set(err, CW_ENOMEM, "out of memory");
    snprintf(p->race, sizeof p->race, "%s", race ? race : "");
    snprintf(p->job, sizeof p->job, "%s", job ? job : "");
    cw_stat_list rl, jl;
    cw_content_def_stats(b->races, p->race, &rl);
    cw_content_def_stats(b->jobs, p->job, &jl);
    const char *names[] = {"race", "job"};
    const cw_stat_list *lists[] = {&rl, &jl};
    int rc = cw_combatant_init(&p->cb, b->reg, &b->content, names, lists, 2, err);
    if (rc) {
        free(p);
        return rc;
    }
    e->data = p;
    p->stats_sig = cw_battle_stats_sig_(p); /* a new combatant is no change */
    return 0;
}

void cw_battle_forget(cw_battle *b, cw_entity *e)
{
    if (!e || e->kind != CW_ENT_PLAYER || !e->data) return;
    cw_battle_drop_buffs_(b, e->id, 0);
    battle_player *p = e->data;
    cw_battle_known_free_(p);
    cw_combatant_free(&p->cb);
    free(p);
    e->data = NULL;
}

typedef struct refresh_ctx {
    cw_battle *b;
    json_t *old_races, *old_jobs; /* the definitions before the reload */
    int realms_changed;           /* the realms' caps changed: everyone re-resolves */
} refresh_ctx;

/* A player's race and job sources are rebuilt only when its race's or job's
 * definition changed: a reload of unrelated content costs the players
 * nothing (no re-resolve of every actor on the loop). */
static void refresh_player(cw_entity *e, void *ud)
{
    refresh_ctx *r = ud;
    if (e->kind != CW_ENT_PLAYER || !e->data) return;
    battle_player *p = e->data;
    if (!r->realms_changed &&
        json_equal(json_object_get(r->old_races, p->race), json_object_get(r->b->races, p->race)) &&
        json_equal(json_object_get(r->old_jobs, p->job), json_object_get(r->b->jobs, p->job)))
        return;
    cw_error err = {0};
    (void)set_player_sources(r->b, e, p, &err); /* only fails out of memory: keeps the old */
}

static int hosted(const cw_battle *b, const char *zone_id)
{
    return !b->cfg.ev.hosts || b->cfg.ev.hosts(b->cfg.ev.ud, zone_id ? zone_id : "");
}

/* ---- scripted spawns ------------------------------------------------------------------------- */

static int spawn_one(cw_battle *b, const char *template_id, int zi, double x, double y,
                     uint64_t now_ns, int once, const char *group, cw_monster **out, cw_error *err)
{
    json_t *d = json_object_get(b->monster_defs, template_id ? template_id : "");
    if (!d) return cw_error_set(err, CW_ENOTFOUND, "no monster template '%s'", template_id);
    cw_monster_def def;
    cw_content_monster(template_id, d, b->skills, b->nskills, &def);
    cw_monster *m = NULL;
    int rc = cw_monsters_spawn(b->mons, &def, zi, x, y, now_ns, &m, err);
    if (rc) return rc;
    m->once = once;
    snprintf(m->group, sizeof m->group, "%s", group ? group : "");
    if (out) *out = m;
    return 0;
}

int cw_battle_spawn(cw_battle *b, const char *template_id, int zone_index, double x, double y,
                    uint64_t now_ns, const cw_spawn_opts *opts, int64_t *entity_id, cw_error *err)
{
    const cw_zoneset *zs = cw_world_zones(b->w);
    if (zs && zone_index >= 0 && zone_index < zs->n && !hosted(b, zs->v[zone_index].id))
        return cw_error_set(err, CW_ESTATE, "zone '%s' is hosted by another process",
                            zs->v[zone_index].id);
    cw_monster *m = NULL;
    int rc = spawn_one(b, template_id, zone_index, x, y, now_ns, !(opts && opts->respawn), NULL, &m,
                       err);
    if (rc == 0 && entity_id) *entity_id = m->entity;
    return rc;
}

int cw_battle_despawn(cw_battle *b, int64_t entity_id)
{
    cw_monster *m = cw_monsters_of(b->mons, entity_id);
    if (!m) return CW_ENOTFOUND;
    cw_battle_drop_buffs_(b, entity_id, 0);
    cw_monsters_remove(b->mons, m);
    return 0;
}

/* ---- content (re)load ------------------------------------------------------------------------ */

typedef struct keys {
    char (*v)[CW_MONSTER_GROUP_MAX];
    int n, cap;
    int oom;
} keys;

static void add_key(const cw_spawn_group *g, void *ud)
{
    keys *k = ud;
    if (k->n == k->cap) {
        int cap = k->cap ? k->cap * 2 : 32;
        void *v = realloc(k->v, sizeof *k->v * (size_t)cap);
        if (!v) {
            k->oom = 1;
            return;
        }
        k->v = v;
        k->cap = cap;
    }
    snprintf(k->v[k->n++], sizeof *k->v, "%s", g->key);
}

static int has_key(const keys *k, const char *key)
{
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->v[i], key) == 0) return 1;
    return 0;
}

enum { KEEP, REPLACE, DROP };

/* What a reload to d does with m. */
static int fate(const cw_battle *b, const cw_battle_defs *d, const keys *k, const cw_monster *m)
{
    json_t *was = json_object_get(b->monster_defs, m->def.id);
    json_t *now = json_object_get(d->monsters, m->def.id);
    if (!now) return DROP;
    /* its zone goes (a content without zones has one implicit zone: never gone) */
    if (json_object_size(d->zones) > 0 && !json_object_get(d->zones, m->zone_id)) return DROP;
    if (m->group[0]) return was && json_equal(was, now) && has_key(k, m->group) ? KEEP : DROP;
    return was && json_equal(was, now) ? KEEP : REPLACE;
}

/* Scripted monsters to bring back fresh after a reload. */
typedef struct again {
    char template_id[64], zone_id[CW_ZONE_ID_MAX + 1];
    double x, y;
    int once;
} again;

typedef struct sweep {
    cw_monster **gone;
    int ngone;
    again *back;
    int nback;
} sweep;

/* Decides every monster's fate; fills s (caller frees). CW_ENOMEM. */
static int decide(cw_battle *b, const cw_battle_defs *d, const keys *k, sweep *s)
{
    int n = cw_monsters_count(b->mons);
    memset(s, 0, sizeof *s);
    s->gone = calloc((size_t)n + 1, sizeof *s->gone);
    s->back = calloc((size_t)n + 1, sizeof *s->back);
    if (!s->gone || !s->back) return CW_ENOMEM;
    for (int i = 0; i < n; i++) {
        cw_monster *m = cw_monsters_at(b->mons, i);
        int f = fate(b, d, k, m);
        if (f == KEEP) continue;
        if (f == REPLACE) {
            again *a = &s->back[s->nback++];
            snprintf(a->template_id, sizeof a->template_id, "%s", m->def.id);
            snprintf(a->zone_id, sizeof a->zone_id, "%s", m->zone_id);
            a->x = m->home_x;
            a->y = m->home_y;
            a->once = m->once;
        }
        s->gone[s->ngone++] = m;
    }
    return 0;
}

static void sweep_free(sweep *s)
{
    free(s->gone);
    free(s->back);
}

static void remove_monster(cw_battle *b, cw_monster *m)
{
    if (m->entity) cw_battle_drop_buffs_(b, m->entity, 0);
    cw_monsters_remove(b->mons, m);
}

void cw_battle_reload_prepare(cw_battle *b, const cw_battle_defs *d)
{
    keys k = {0};
    cw_content_spawn_groups(d->zones, add_key, &k);
    sweep s = {0};
    /* Replaced scripted monsters stay until the reload itself (it respawns them). */
    if (!k.oom && decide(b, d, &k, &s) == 0)
        for (int i = 0; i < s.ngone; i++)
            if (s.gone[i]->group[0] || !json_object_get(d->monsters, s.gone[i]->def.id))
                remove_monster(b, s.gone[i]);
    sweep_free(&s);
    free(k.v);
}

/* Kept monsters: the zone by id, the skill in the new table, home still a place to be. */
static int settle_kept(cw_battle *b, cw_monster *m, const cw_skill_def *skills, int nskills)
{
    const cw_zoneset *zs = cw_world_zones(b->w);
    int zi = cw_zoneset_find(zs, m->zone_id);
    if (zi < 0 || !cw_zone_standable(&zs->v[zi], m->home_x, m->home_y)) return DROP;
    m->zone = zi;
    if (m->def.skill) m->def.skill = cw_content_skill_find(skills, nskills, m->def.skill->id);
    cw_entity *e = m->entity ? cw_world_get(b->w, m->entity) : NULL;
    if (e && m->state == CW_MON_IDLE && (e->x != m->home_x || e->y != m->home_y))
        m->state = CW_MON_RETURN; /* the zone change put it elsewhere */
    return KEEP;
}

typedef struct spawn_ctx {
    cw_battle *b;
    uint64_t now;
    int spawned;
} spawn_ctx;

static int group_alive(cw_battle *b, const char *key)
{
    for (int i = 0; i < cw_monsters_count(b->mons); i++)
        if (strcmp(cw_monsters_at(b->mons, i)->group, key) == 0) return 1;
    return 0;
}

static void spawn_group(const cw_spawn_group *g, void *ud)
{
    spawn_ctx *c = ud;
    int zi = cw_zoneset_find(cw_world_zones(c->b->w), g->zone);
    if (zi < 0 || !hosted(c->b, g->zone) || group_alive(c->b, g->key)) return;
    for (int k = 0; k < g->count; k++) {
        double x, y;
        cw_spawn_group_point(g, k, &x, &y);
        cw_error err = {0};
        if (spawn_one(c->b, g->monster, zi, x, y, c->now, 0, g->key, NULL, &err) == 0)
            c->spawned++;
        else if (c->b->cfg.ev.spawn_failed)
            c->b->cfg.ev.spawn_failed(c->b->cfg.ev.ud, g->zone, g->monster, &err);
    }
}

void cw_battle_rehost(cw_battle *b, uint64_t now_ns, int *gone, int *spawned)
{
    int n = 0;
    for (int i = 0; i < cw_monsters_count(b->mons); i++) {
        cw_monster *m = cw_monsters_at(b->mons, i);
        if (hosted(b, m->zone_id)) continue;
        remove_monster(b, m);
        n++;
        i--;
    }
    spawn_ctx c = {b, now_ns, 0};
    cw_content_spawn_groups(b->zone_defs, spawn_group, &c);
    if (gone) *gone = n;
    if (spawned) *spawned = c.spawned;
}

int cw_battle_reload(cw_battle *b, const cw_battle_defs *d, uint64_t now_ns, cw_error *err)
{
    cw_skill_def *skills;
    int nskills;
    int rc = cw_content_skills(&b->content, d->skills, &skills, &nskills, err);
    if (rc) return rc;
    keys k = {0};
    cw_content_spawn_groups(d->zones, add_key, &k);
    sweep s = {0};
    if (k.oom || decide(b, d, &k, &s) != 0) {
        sweep_free(&s);
        free(k.v);
        free(skills);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    free(k.v);
    json_t *realms = own(d->realms);
    int realms_changed = !json_equal(realms, b->realms);
    if (realms_changed && cw_battle_realm_caps_(b, realms, err) != 0) {
        json_decref(realms);
        sweep_free(&s);
        free(skills);
        return err && err->code ? err->code : CW_ENOMEM;
    }
    json_decref(b->realms);
    b->realms = realms;
    /* From here on nothing fails. */
    for (int i = 0; i < s.ngone; i++)
        remove_monster(b, s.gone[i]);
    for (int i = 0; i < cw_monsters_count(b->mons); i++) {
        cw_monster *m = cw_monsters_at(b->mons, i);
        if (settle_kept(b, m, skills, nskills) == DROP) {
            remove_monster(b, m);
            i--;
        }
    }
    free(b->skills);
    b->skills = skills;
    b->nskills = nskills;
    json_t *olds[] = {b->races, b->jobs, b->monster_defs, b->zone_defs};
    b->races = own(d->races);
    b->jobs = own(d->jobs);
    b->monster_defs = own(d->monsters);
    b->zone_defs = own(d->zones);
    refresh_ctx rc_ = {b, olds[0], olds[1], realms_changed};
    cw_world_each(b->w, refresh_player, &rc_);
    for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++)
        json_decref(olds[i]);
    for (int i = 0; i < s.nback; i++) {
        again *a = &s.back[i];
        cw_error e2 = {0};
        int zi = cw_zoneset_find(cw_world_zones(b->w), a->zone_id);
        if (zi >= 0 && !hosted(b, a->zone_id)) continue;
        if ((zi < 0 ? cw_error_set(&e2, CW_EINVAL, "zone '%s' is gone", a->zone_id)
                    : spawn_one(b, a->template_id, zi, a->x, a->y, now_ns, a->once, NULL, NULL,
                                &e2)) != 0 &&
            b->cfg.ev.spawn_failed)
            b->cfg.ev.spawn_failed(b->cfg.ev.ud, a->zone_id, a->template_id, &e2);
    }
    sweep_free(&s);
    spawn_ctx c = {b, now_ns, 0};
    cw_content_spawn_groups(b->zone_defs, spawn_group, &c);
    return 0;
}
