/* combat_app.c — skills, monsters and spawns from the live generation; the
 * combat tick (monsters, casts in progress, player respawns); deaths and
 * rewards. See combat_app.h. */
#include "core/app/combat_app.h"

#include "core/app/accounts.h"
#include "core/app/outbox.h"
#include "core/app/world_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/rng.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cw_combat_app *app_of(cw_server *s)
{
    return s->combat;
}

/* ---- content → C tables ------------------------------------------------------------------ */

static json_t *defs(cw_server *s, const char *kind)
{
    cw_strbuf b = CW_STRBUF_INIT;
    cw_error err = {0};
    json_t *o = NULL;
    if (cw_host_defs_json(s->host, kind, &b, &err) == 0) o = json_loadb(b.data, b.len, 0, NULL);
    cw_strbuf_free(&b);
    if (!json_is_object(o)) { /* none defined (cjson: {} ) or unreadable */
        json_decref(o);
        o = json_object();
    }
    return o;
}

static double num(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

static void stat_list(json_t *stats, cw_stat_list *l)
{
    memset(l, 0, sizeof *l);
    const char *k;
    json_t *v;
    json_object_foreach(stats, k, v)
    {
        if (json_is_number(v)) cw_stat_list_add(l, k, json_number_value(v));
    }
}

static int cmp_skill(const void *x, const void *y)
{
    return strcmp(((const cw_skill_def *)x)->id, ((const cw_skill_def *)y)->id);
}

static int load_skills(cw_server *s, cw_combat_app *a, cw_skill_def **out, int *nout)
{
    json_t *o = defs(s, "skill");
    size_t n = json_object_size(o);
    cw_skill_def *v = calloc(n + 1, sizeof *v);
    if (!v) {
        json_decref(o);
        return CW_ENOMEM;
    }
    int i = 0;
    const char *id;
    json_t *d;
    json_object_foreach(o, id, d)
    {
        cw_skill_def *k = &v[i++];
        snprintf(k->id, sizeof k->id, "%s", id);
        cw_combat_skill_init(&k->sk);
        k->sk.base_min = num(d, "base_min", 0);
        k->sk.base_max = num(d, "base_max", 0);
        k->sk.scaling = num(d, "scaling", 1);
        k->sk.flat = num(d, "flat", 0);
        json_t *el = json_object_get(d, "element");
        int e = json_is_string(el) ? cw_combat_element_find(&a->content, json_string_value(el))
                                   : CW_COMBAT_ELEMENT_ATTACKER;
        k->sk.element = e >= 0 ? e : CW_COMBAT_ELEMENT_ATTACKER;
        json_t *dt = json_object_get(d, "damage_type");
        int t = cw_combat_damage_type_find(&a->content,
                                           json_is_string(dt) ? json_string_value(dt) : "physical");
        k->sk.damage_type = t >= 0 ? t : 0;
        k->range = num(d, "range", 0);
        k->cooldown = num(d, "cooldown", 0);
        k->cast_time = num(d, "cast_time", 0);
        k->mp_cost = num(json_object_get(d, "cost"), "mp", 0);
    }
    json_decref(o);
    qsort(v, (size_t)i, sizeof *v, cmp_skill);
    for (int j = 0; j < i; j++)
        v[j].num = (uint32_t)j + 1;
    *out = v;
    *nout = i;
    return 0;
}

const cw_skill_def *cw_combat_skill_find(cw_combat_app *a, const char *id)
{
    cw_skill_def key;
    snprintf(key.id, sizeof key.id, "%s", id ? id : "");
    return bsearch(&key, a->skills, (size_t)a->nskills, sizeof key, cmp_skill);
}

static void monster_def(cw_combat_app *a, const char *id, json_t *d, cw_monster_def *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    json_t *name = json_object_get(d, "name");
    snprintf(m->name, sizeof m->name, "%s", json_is_string(name) ? json_string_value(name) : id);
    stat_list(json_object_get(d, "stats"), &m->stats);
    json_t *sk = json_array_get(json_object_get(d, "skills"), 0);
    m->skill = json_is_string(sk) ? cw_combat_skill_find(a, json_string_value(sk)) : NULL;
    m->respawn_s = num(d, "respawn", 30);
    m->aggro = num(d, "aggro", 0);
    m->leash = num(d, "leash", 0);
    m->exp = (int64_t)num(d, "exp", 0);
    json_t *g = json_object_get(d, "gold");
    m->gold_min = (int64_t)num(g, "min", 0);
    m->gold_max = (int64_t)num(g, "max", 0);
}

/* Every zone's spawn groups: `count` monsters spread on a circle of `radius`. */
static void spawn_all(cw_server *s, cw_combat_app *a)
{
    json_t *mons = defs(s, "monster"), *zones = defs(s, "zone");
    const cw_zoneset *zs = cw_world_zones(a->w);
    uint64_t now = cw_now_ns();
    const char *zid;
    json_t *z;
    json_object_foreach(zones, zid, z)
    {
        int zi = cw_zoneset_find(zs, zid);
        size_t i;
        json_t *g;
        json_t *spawns = json_object_get(z, "spawns");
        if (zi < 0 || !json_is_array(spawns)) continue;
        json_array_foreach(spawns, i, g)
        {
            json_t *mid = json_object_get(g, "monster");
            json_t *md = json_is_string(mid) ? json_object_get(mons, json_string_value(mid)) : NULL;
            if (!md) continue;
            cw_monster_def def;
            monster_def(a, json_string_value(mid), md, &def);
            int count = (int)num(g, "count", 1);
            double r = num(g, "radius", 0);
            for (int k = 0; k < count; k++) {
                double ang = 2 * M_PI * k / (count > 0 ? count : 1);
                double x = num(g, "x", 0) + (count > 1 ? r * cos(ang) : 0);
                double y = num(g, "y", 0) + (count > 1 ? r * sin(ang) : 0);
                cw_error err = {0};
                if (cw_monsters_add(a->mons, &def, zi, x, y, now, &err) != 0)
                    cw_log(CW_LOG_WARN, "monster not spawned", CW_S("zone", zid),
                           CW_S("monster", def.id), CW_S("error", err.msg), CW_END);
            }
        }
    }
    json_decref(mons);
    json_decref(zones);
}

/* ---- players' combatants ------------------------------------------------------------------ */

static void player_lists(cw_server *s, cw_combat_app *a, const cw_player *pl, cw_stat_list *race,
                         cw_stat_list *job)
{
    (void)s;
    stat_list(json_object_get(json_object_get(a->races, pl->race), "stats"), race);
    stat_list(json_object_get(json_object_get(a->jobs, pl->job), "stats"), job);
}

cw_combatant *cw_combat_of(cw_server *s, cw_entity *e)
{
    cw_combat_app *a = app_of(s);
    if (!e || !a) return NULL;
    if (e->data || e->kind != CW_ENT_PLAYER) return e->data;
    cw_player *pl = cw_players_get(s->players, e->ref);
    cw_combatant *cb = calloc(1, sizeof *cb);
    if (!pl || !cb) {
        free(cb);
        return NULL;
    }
    cw_stat_list race, job;
    player_lists(s, a, pl, &race, &job);
    const char *names[] = {"race", "job"};
    const cw_stat_list *lists[] = {&race, &job};
    cw_error err = {0};
    if (cw_combatant_init(cb, a->reg, &a->content, names, lists, 2, &err) != 0) {
        cw_log(CW_LOG_ERROR, "combatant not built", CW_S("error", err.msg), CW_END);
        free(cb);
        return NULL;
    }
    e->data = cb;
    return cb;
}

void cw_combat_app_forget(cw_server *s, cw_entity *e)
{
    (void)s;
    if (!e || e->kind != CW_ENT_PLAYER || !e->data) return;
    cw_combatant_free(e->data);
    free(e->data);
    e->data = NULL;
}

static void forget_each(cw_entity *e, void *ud)
{
    cw_combat_app_forget(ud, e);
}

static void refresh_player(cw_entity *e, void *ud)
{
    cw_server *s = ud;
    cw_combat_app *a = app_of(s);
    if (e->kind != CW_ENT_PLAYER || !e->data) return;
    cw_combatant *cb = e->data;
    cw_player *pl = cw_players_get(s->players, e->ref);
    cb->cast = NULL; /* its skill table is about to go */
    if (!pl) return;
    cw_stat_list race, job;
    player_lists(s, a, pl, &race, &job);
    cw_error err = {0};
    if (cw_fighter_set_source(cb->actor, "race", &race, &err) ||
        cw_fighter_set_source(cb->actor, "job", &job, &err) ||
        cw_combatant_refresh(cb, &a->content, &err))
        cw_log(CW_LOG_WARN, "stats not refreshed", CW_S("error", err.msg), CW_END);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int targetable(void *ud, const cw_entity *p)
{
    cw_combatant *cb = cw_combat_of(ud, (cw_entity *)p);
    return cb && !cb->dead;
}

static int monster_attack(void *ud, cw_monster *m, cw_entity *self, cw_entity *t, uint64_t now)
{
    cw_server *s = ud;
    if (!m->def.skill || cw_combat_reach(app_of(s), self, t, m->def.skill)) return CW_ESTATE;
    return cw_combat_land(s, self, t, m->def.skill, now);
}

static int load(cw_server *s, cw_combat_app *a)
{
    cw_skill_def *skills;
    int n;
    int rc = load_skills(s, a, &skills, &n);
    if (rc) return rc;
    cw_monsters_clear(a->mons);
    json_decref(a->races);
    json_decref(a->jobs);
    a->races = defs(s, "race");
    a->jobs = defs(s, "job");
    cw_world_each(a->w, refresh_player, s);
    free(a->skills);
    a->skills = skills;
    a->nskills = n;
    spawn_all(s, a);
    return 0;
}

int cw_combat_app_start(cw_server *s, cw_world *w, cw_error *err)
{
    cw_combat_app *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->combat = a;
    a->w = w;
    cw_combat_content_demo(&a->content);
    int rc = cw_stats_registry_new(NULL, &a->reg, err);
    if (rc) return rc;
    cw_monster_hooks h = {s, monster_attack, targetable};
    a->mons = cw_monsters_new(w, a->reg, &a->content, &h);
    if (!a->mons) return cw_error_set(err, CW_ENOMEM, "out of memory");
    if ((rc = load(s, a)) != 0) return cw_error_set(err, rc, "combat content not loaded");
    cw_log(CW_LOG_INFO, "monsters ready", CW_I("skills", a->nskills),
           CW_I("monsters", cw_monsters_count(a->mons)), CW_END);
    return 0;
}

void cw_combat_app_despawn(cw_server *s)
{
    if (app_of(s)) cw_monsters_clear(app_of(s)->mons);
}

void cw_combat_app_reload(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (a && load(s, a) != 0) cw_log(CW_LOG_ERROR, "combat tables not rebuilt", CW_END);
}

void cw_combat_app_free(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    /* The world is freed right after and nobody is listening: no leave events. */
    cw_monsters_free(a->mons, 1);
    cw_world_each(a->w, forget_each, s);
    cw_stats_registry_free(a->reg);
    json_decref(a->races);
    json_decref(a->jobs);
    free(a->skills);
    free(a->to);
    cw_strbuf_free(&a->frame);
    free(a);
    s->combat = NULL;
}

/* ---- the tick -------------------------------------------------------------------------------- */

typedef struct tick_ctx {
    cw_server *s;
    uint64_t now;
    cw_entity **due; /* players to act on after the walk (acting may change the table) */
    int ndue, capdue;
} tick_ctx;

static void collect(cw_entity *e, void *ud)
{
    tick_ctx *t = ud;
    cw_combatant *cb = e->kind == CW_ENT_PLAYER ? e->data : NULL;
    if (!cb || (!cb->dead && !cb->cast)) return;
    if (t->ndue == t->capdue) {
        int cap = t->capdue ? t->capdue * 2 : 16;
        cw_entity **v = realloc(t->due, sizeof *v * (size_t)cap);
        if (!v) return;
        t->due = v;
        t->capdue = cap;
    }
    t->due[t->ndue++] = e;
}

/* Through the event queue: ordered after the world events it follows. */
static void send_self(cw_server *s, const cw_entity *e, const cw_strbuf *b)
{
    cw_outbox *o = cw_world_app_outbox(s);
    cw_entity *self = (cw_entity *)e;
    if (o) cw_outbox_event(o, b->data, b->len, &self, 1);
}

static void player_due(cw_server *s, cw_combat_app *a, cw_entity *e, uint64_t now)
{
    cw_combatant *cb = e->data;
    if (cb->dead) {
        if ((double)(now - cb->dead_ns) / 1e9 < CW_PLAYER_RESPAWN_S) return;
        const cw_zone *z = cw_world_zone_of(a->w, e);
        cw_combatant_restore(cb, &a->content);
        double x, y;
        cw_zone_spawn_point(z, now ^ (uint64_t)e->id, &x, &y);
        cw_world_transfer(a->w, e, e->zone, x, y);
        return;
    }
    const cw_skill_def *sk = cb->cast;
    cw_entity *t = cw_world_get(a->w, cb->cast_target);
    cw_combatant *tc = t ? cw_combat_of(s, t) : NULL;
    const char *why = NULL;
    if (e->x != cb->cast_x || e->y != cb->cast_y)
        why = "moved";
    else if (now < cb->cast_land_ns)
        return;
    else if (!t || !tc || tc->dead)
        why = "bad_target";
    else
        why = cw_combat_reach(a, e, t, sk);
    cb->cast = NULL;
    if (!why) {
        cw_combat_land(s, e, t, sk, now);
        return;
    }
    cw_strbuf_reset(&a->frame);
    cw_strbuf_puts(&a->frame, "{\"ev\":\"cast_failed\",\"skill\":");
    cw_strbuf_json_str(&a->frame, sk->id);
    cw_strbuf_printf(&a->frame, ",\"reason\":\"%s\"}", why);
    send_self(s, e, &a->frame);
}

void cw_combat_app_tick(cw_server *s, uint64_t now_ns)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    cw_monsters_tick(a->mons, now_ns);
    tick_ctx t = {s, now_ns, NULL, 0, 0};
    cw_world_each(a->w, collect, &t);
    for (int i = 0; i < t.ndue; i++)
        player_due(s, a, t.due[i], now_ns);
    free(t.due);
}

/* ---- deaths and rewards ------------------------------------------------------------------------
 */

/* Level L needs 50·L·(L−1) total exp: 0, 100, 300, 600, 1000, … */
static int level_for(int64_t exp)
{
    int l = 1;
    while (l < 1000 && exp >= 50LL * (l + 1) * l)
        l++;
    return l;
}

/* The exp (and the level it brings) is a value transaction: queued now,
 * committed by the group commit with its ledger row, and the player is told
 * (event "exp") from the commit callback (cw_grant_done), never before. */
static void give_exp(cw_server *s, cw_player *p, int64_t delta)
{
    int64_t pending = 0; /* exp of transactions not yet committed */
    for (const cw_txn *t = p->txns_inflight; t; t = t->next)
        pending += t->exp;
    for (const cw_txn *t = p->txns; t; t = t->next)
        pending += t->exp;
    int level = level_for(p->exp + pending + delta);
    cw_txn_spec t = {.exp = delta, .level = level > p->level ? level : 0, .reason = "kill"};
    uint64_t token;
    int rc = cw_txn_queue(s, p, &t, &token);
    if (rc == 0)
        cw_saver_commit_soon(s);
    else
        cw_log(CW_LOG_WARN, "exp not granted", CW_I("character", p->id), CW_I("exp", delta),
               CW_S("error", cw_err_name(rc)), CW_END);
}

static void reward(cw_server *s, cw_monster *m, cw_entity *killer, uint64_t now)
{
    for (int i = 0; i < m->nkillers; i++) {
        cw_player *p = cw_players_get(s->players, m->killers[i]);
        if (p && p->online && m->def.exp > 0 && !s->stopping && s->store && !s->store_closing &&
            !p->stale)
            give_exp(s, p, m->def.exp);
    }
    cw_player *p =
        killer && killer->kind == CW_ENT_PLAYER ? cw_players_get(s->players, killer->ref) : NULL;
    if (!p || m->def.gold_max <= 0 || s->stopping || !s->store || s->store_closing || p->stale)
        return;
    uint64_t words[4] = {s->seed, now, (uint64_t)m->entity, (uint64_t)p->id};
    cw_rng r;
    cw_rng_seed_words(&r, words, 4);
    int64_t gold = m->def.gold_min +
                   (int64_t)cw_rng_below(&r, (uint64_t)(m->def.gold_max - m->def.gold_min + 1));
    uint64_t token;
    if (gold > 0 && cw_grant_queue(s, p, gold, "loot", &token) == 0) cw_saver_commit_soon(s);
}

void cw_combat_died(cw_server *s, cw_entity *killer, cw_entity *victim, uint64_t now_ns)
{
    cw_combat_app *a = app_of(s);
    cw_strbuf_reset(&a->frame);
    cw_strbuf_printf(&a->frame, "{\"ev\":\"death\",\"e\":%lld,\"by\":%lld}", (long long)victim->id,
                     (long long)(killer ? killer->id : 0));
    cw_combat_broadcast(a, s, victim, killer);
    cw_combatant *cb = victim->data;
    cw_monster *m = victim->kind == CW_ENT_MONSTER && cb ? cb->owner : NULL;
    if (m) {
        cw_monsters_killed(a->mons, m, now_ns);
        reward(s, m, killer, now_ns);
    } else if (cb) {
        cb->dead = 1;
        cb->dead_ns = now_ns;
        cb->cast = NULL;
    }
}
