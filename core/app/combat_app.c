/* combat_app.c — the battle wired to the server: content definitions from
 * the live generation, the battle's events as frames, the rewards of a kill.
 * See combat_app.h. */
#include "core/app/trade_app.h"
#include "core/app/combat_app.h"
#include "core/app/guild_app.h"

#include "core/app/accounts.h"
#include "core/app/cluster.h"
#include "core/app/script_app.h"
#include "core/app/outbox.h"
#include "core/app/world_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/rng.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <stdlib.h>
#include <string.h>

static cw_combat_app *app_of(cw_server *s)
{
    return s->combat;
}

/* ---- content ------------------------------------------------------------------------------- */

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

static void defs_fetch(cw_server *s, cw_battle_defs *d)
{
    d->skills = defs(s, "skill");
    d->monsters = defs(s, "monster");
    d->races = defs(s, "race");
    d->jobs = defs(s, "job");
    d->zones = defs(s, "zone");
    d->realms = defs(s, "realm");
}

static void defs_free(cw_battle_defs *d)
{
    json_decref(d->skills);
    json_decref(d->monsters);
    json_decref(d->races);
    json_decref(d->jobs);
    json_decref(d->zones);
    json_decref(d->realms);
    memset(d, 0, sizeof *d);
}

/* ---- events → frames ------------------------------------------------------------------------- */

static int cmp_ent(const void *x, const void *y)
{
    const cw_entity *a = *(cw_entity *const *)x, *b = *(cw_entity *const *)y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int add_to(cw_combat_app *a, int n, cw_entity *e)
{
    if (!e || e->kind != CW_ENT_PLAYER) return n;
    if (n == a->capto) {
        int cap = a->capto ? a->capto * 2 : 64;
        cw_entity **v = realloc(a->to, sizeof *v * (size_t)cap);
        if (!v) return n;
        a->to = v;
        a->capto = cap;
    }
    a->to[n++] = e;
    return n;
}

/* Sends the frame in a->frame to every player who sees e1 or e2 (and to them). */
static void broadcast(cw_server *s, cw_entity *e1, cw_entity *e2)
{
    cw_combat_app *a = app_of(s);
    int n = 0;
    cw_entity *both[2] = {e1, e2};
    for (int k = 0; k < 2; k++) {
        cw_entity *e = both[k];
        if (!e || (k == 1 && e2 == e1)) continue;
        n = add_to(a, n, e);
        for (int i = 0; i < e->nseen; i++)
            n = add_to(a, n, cw_world_get(a->w, e->seen[i]));
    }
    qsort(a->to, (size_t)n, sizeof *a->to, cmp_ent);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || a->to[i] != a->to[i - 1]) a->to[k++] = a->to[i];
    /* In the event queues, so a hit never overtakes the enter of its attacker. */
    cw_outbox *o = cw_world_app_outbox(s);
    if (o) cw_outbox_event(o, a->frame.data, a->frame.len, a->to, k);
}

/* Through the event queue: ordered after the world events it follows. */
static void send_self(cw_server *s, const cw_entity *e, const cw_strbuf *b)
{
    cw_outbox *o = cw_world_app_outbox(s);
    cw_entity *self = (cw_entity *)e;
    if (o) cw_outbox_event(o, b->data, b->len, &self, 1);
}

static void on_hit(void *ud, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                   const cw_combat_hit_record *rec, double hp, int killed)
{
    cw_server *s = ud;
    cw_strbuf *b = &app_of(s)->frame;
    cw_strbuf_reset(b);
    cw_strbuf_printf(b, "{\"ev\":\"hit\",\"from\":%lld,\"to\":%lld,\"skill\":", (long long)from->id,
                     (long long)to->id);
    cw_strbuf_json_str(b, sk->id);
    cw_strbuf_printf(b,
                     ",\"hit\":%s,\"crit\":%s,\"damage\":%.10g,\"absorbed\":%.10g,\"hp\":%.10g,"
                     "\"killed\":%s}",
                     rec->hit ? "true" : "false", rec->crit ? "true" : "false", rec->damage,
                     rec->absorbed, hp, killed ? "true" : "false");
    broadcast(s, from, to);
    cw_trade_app_hit(s, from, to); /* combat ends a trade not yet committing */
}

static void on_death(void *ud, cw_entity *victim, cw_entity *killer)
{
    cw_server *s = ud;
    cw_strbuf *b = &app_of(s)->frame;
    cw_strbuf_reset(b);
    cw_strbuf_printf(b, "{\"ev\":\"death\",\"e\":%lld,\"by\":%lld}", (long long)victim->id,
                     (long long)(killer ? killer->id : 0));
    broadcast(s, victim, killer);
    cw_fire_death(s, victim, killer); /* players: the `death` hook */
}

/* Numbers the rules keep in Lua (scripts/rules/init.lua, rules.settings). */
static void apply_settings(cw_server *s)
{
    cw_strbuf b = CW_STRBUF_INIT;
    cw_error err = {0};
    json_t *o = NULL;
    if (cw_host_defs_json(s->host, "settings", &b, &err) == 0)
        o = json_loadb(b.data, b.len, 0, NULL);
    cw_strbuf_free(&b);
    json_t *v = json_object_get(json_object_get(o, "game"), "player_respawn");
    if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 3600)
        cw_battle_set_player_respawn_s(app_of(s)->b, json_number_value(v));
    json_t *game = json_object_get(o, "game");
    double gv[3];
    const char *gk[3] = {"guild_fee", "guild_members", "guild_invite_s"};
    for (int i = 0; i < 3; i++) {
        json_t *x = json_object_get(game, gk[i]);
        gv[i] = json_is_number(x) ? json_number_value(x) : -1;
        if (x && (!json_is_number(x) || gv[i] < 0)) gv[i] = -2; /* wrong: logged, default */
    }
    cw_guild_app_rules(s, gv[0], gv[1], gv[2]);
    json_decref(o);
}

static void on_cast_failed(void *ud, cw_entity *e, const char *skill, const char *why)
{
    cw_server *s = ud;
    cw_strbuf *b = &app_of(s)->frame;
    cw_strbuf_reset(b);
    cw_strbuf_puts(b, "{\"ev\":\"cast_failed\",\"skill\":");
    cw_strbuf_json_str(b, skill);
    cw_strbuf_puts(b, ",\"reason\":");
    cw_strbuf_json_str(b, why);
    cw_strbuf_puts(b, "}");
    send_self(s, e, b);
}

/* A player's stats changed: its own snapshot (docs/protocol.md, `stats`). */
static void on_stats(void *ud, cw_entity *e)
{
    cw_server *s = ud;
    cw_strbuf *b = &app_of(s)->frame;
    cw_strbuf_reset(b);
    if (cw_battle_stats_json(app_of(s)->b, e->id, b) == 0) send_self(s, e, b);
}

static void on_spawn_failed(void *ud, const char *zone, const char *monster, const cw_error *err)
{
    (void)ud;
    cw_log(CW_LOG_WARN, "monster not spawned", CW_S("zone", zone), CW_S("monster", monster),
           CW_S("error", err->msg), CW_END);
}

/* ---- what content hears ---------------------------------------------------------------------
 * Rewards are rules: the engine's `kill` hook (scripts/rules/kill.lua) pays
 * them through transactions. The hooks fire after the call that caused them
 * (script_fire.c queues them). */

static void on_kill(void *ud, const cw_kill *k)
{
    cw_fire_kill(ud, k);
}

static void on_respawn(void *ud, cw_entity *e)
{
    cw_server *s = ud;
    cw_monster *m = e->kind == CW_ENT_MONSTER && app_of(s)
                        ? cw_monsters_of(cw_battle_monsters(app_of(s)->b), e->id)
                        : NULL;
    cw_fire_respawn(s, e, m ? m->def.id : NULL);
}

/* Zones another process owns (the cluster map) are not hosted here. */
static int hosts(void *ud, const char *zone_id)
{
    return cw_cluster_owner(ud, zone_id) == NULL;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

int cw_combat_app_start(cw_server *s, cw_world *w, cw_error *err)
{
    cw_combat_app *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->combat = a;
    a->w = w;
    cw_battle_config cfg = {
        .seed = s->seed,
        .epoch_ns = s->start_ns,
        .ev = {.ud = s,
               .hit = on_hit,
               .death = on_death,
               .kill = on_kill,
               .respawn = on_respawn,
               .cast_failed = on_cast_failed,
               .spawn_failed = on_spawn_failed,
               .stats = on_stats,
               .hosts = hosts},
    };
    int rc = cw_battle_new(w, &cfg, &a->b, err);
    if (rc) return rc;
    cw_battle_defs d;
    defs_fetch(s, &d);
    rc = cw_battle_reload(a->b, &d, cw_now_ns(), err);
    defs_free(&d);
    if (rc) return rc;
    apply_settings(s);
    cw_log(CW_LOG_INFO, "monsters ready",
           CW_I("monsters", cw_monsters_count(cw_battle_monsters(a->b))), CW_END);
    return 0;
}

void cw_combat_app_despawn(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    if (a->have_next) defs_free(&a->next);
    defs_fetch(s, &a->next);
    a->have_next = 1;
    cw_battle_reload_prepare(a->b, &a->next);
}

void cw_combat_app_reload(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    if (!a->have_next) defs_fetch(s, &a->next);
    a->have_next = 0;
    cw_error err = {0};
    if (cw_battle_reload(a->b, &a->next, cw_now_ns(), &err) != 0)
        cw_log(CW_LOG_ERROR, "combat tables not rebuilt", CW_S("error", err.msg), CW_END);
    defs_free(&a->next);
    apply_settings(s);
}

void cw_combat_app_tick(cw_server *s, uint64_t now_ns)
{
    if (app_of(s)) cw_battle_tick(app_of(s)->b, now_ns);
}

void cw_combat_app_join(cw_server *s, cw_entity *e, const cw_player *pl)
{
    cw_error err = {0};
    if (app_of(s) && e && pl && cw_battle_join(app_of(s)->b, e, pl->race, pl->job, &err) != 0)
        cw_log(CW_LOG_ERROR, "combatant not built", CW_S("error", err.msg), CW_END);
}

void cw_combat_app_forget(cw_server *s, cw_entity *e)
{
    if (app_of(s)) cw_battle_forget(app_of(s)->b, e);
}

int cw_combat_app_dead(cw_server *s, const cw_entity *e)
{
    return app_of(s) && cw_battle_is_dead(app_of(s)->b, e);
}

void cw_combat_app_rehost(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    int gone = 0, spawned = 0;
    cw_battle_rehost(a->b, cw_now_ns(), &gone, &spawned);
    if (gone || spawned)
        cw_log(CW_LOG_INFO, "hosted zones changed: monsters moved", CW_I("despawned", gone),
               CW_I("spawned", spawned), CW_END);
}

void cw_combat_app_status(cw_server *s, cw_strbuf *out)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    cw_monsters *ms = cw_battle_monsters(a->b);
    const cw_zoneset *zs = cw_world_zones(a->w);
    int n = cw_monsters_count(ms);
    cw_strbuf_printf(out, ",\"monsters\":{\"total\":%d,\"zones\":{", n);
    int first = 1;
    for (int z = 0; zs && z < zs->n; z++) {
        const char *id = zs->v[z].id;
        if (!id[0]) continue;
        int k = 0;
        for (int i = 0; i < n; i++)
            if (strcmp(cw_monsters_at(ms, i)->zone_id, id) == 0) k++;
        if (!first) cw_strbuf_puts(out, ",");
        cw_strbuf_json_str(out, id);
        cw_strbuf_printf(out, ":%d", k);
        first = 0;
    }
    cw_strbuf_puts(out, "}}");
}

cw_battle *cw_combat_app_battle(cw_server *s)
{
    return app_of(s) ? app_of(s)->b : NULL;
}

cw_world *cw_combat_app_world(cw_server *s)
{
    return app_of(s) ? app_of(s)->w : NULL;
}

void cw_combat_app_free(cw_server *s)
{
    cw_combat_app *a = app_of(s);
    if (!a) return;
    /* The world is freed right after and nobody is listening: no leave events. */
    cw_battle_free(a->b, 1);
    if (a->have_next) defs_free(&a->next);
    free(a->to);
    cw_strbuf_free(&a->frame);
    free(a);
    s->combat = NULL;
}
