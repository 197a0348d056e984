/* script_app.c — the binding's game table over chaosd's live world, Lua ops
 * with ctx.player, and op replies held until their transactions commit.
 * See script_app.h. */
#include "core/app/trade_app.h"
#include "core/app/script_app.h"

#include "bindings/world.h"
#include "core/app/accounts.h"
#include "core/app/cluster.h"
#include "core/app/combat_app.h"
#include "core/app/outbox.h"
#include "core/app/world_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/game/battle.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <event2/event.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

/* An op reply waiting for the commit of the transactions its handler queued. */
typedef struct held_reply {
    cw_pending *p;
    char *body;
    size_t len;
    int waiting; /* transactions not yet committed */
    int failed;
    struct held_reply *next;
} held_reply;

/* The level a character had when a transaction that changes it was queued
 * (the `from` of its `level_up`). */
typedef struct level_note {
    uint64_t token;
    int from;
    struct level_note *next;
} level_note;

typedef struct held_token {
    uint64_t token;
    held_reply *r;
    struct held_token *next;
} held_token;

typedef struct cw_script_app {
    cw_bind_game game;
    /* transactions queued by the op being handled (collected into its reply) */
    uint64_t *op_tokens;
    int nop_tokens, capop_tokens, in_op;
    held_token *held;
    level_note *levels;
    struct event *tick_ev;
    cw_hook_queue queue;
} cw_script_app;

static cw_script_app *app_of(cw_server *s)
{
    return s->script;
}

/* ---- the binding's table -------------------------------------------------------------------- */

static cw_world *g_world(void *ud)
{
    return cw_combat_app_world(ud);
}

static cw_players *g_players(void *ud)
{
    return ((cw_server *)ud)->players;
}

static cw_battle *battle_of(void *ud)
{
    return cw_combat_app_battle(ud);
}

static int g_vitals(void *ud, int64_t id, cw_bind_vitals *out)
{
    cw_battle *b = battle_of(ud);
    cw_vitals v;
    if (!b || cw_battle_vitals(b, id, &v) != 0) return CW_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->hp = v.hp;
    out->hp_max = v.hp_max;
    out->mp = v.mp;
    out->mp_max = v.mp_max;
    out->dead = v.dead;
    cw_monster *m = cw_monsters_of(cw_battle_monsters(b), id);
    if (m) snprintf(out->template_id, sizeof out->template_id, "%s", m->def.id);
    return 0;
}

static int g_stats(void *ud, int64_t id, void (*fn)(void *, const char *, double), void *fud)
{
    cw_battle *b = battle_of(ud);
    return b ? cw_battle_stats(b, id, fn, fud) : CW_ESTATE;
}

static int g_buff(void *ud, int64_t id, const char *source, const cw_stat_list *l, double seconds,
                  cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    if (strcmp(source, "level") == 0) return cw_battle_set_source(b, id, source, l, err);
    cw_buff_stats st;
    memset(&st, 0, sizeof st);
    st.flat = *l;
    return cw_battle_buff_add(b, id, source, &st, seconds, cw_now_ns(), err);
}

static int g_unbuff(void *ud, int64_t id, const char *source, cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    return cw_battle_buff_remove(b, id, source);
}

static int g_event_caps(void *ud, const char *source, const cw_stat_list *caps, cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    return cw_battle_event_caps(b, source, caps, err);
}

static int g_set_realm(void *ud, int64_t id, const char *realm, cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    return cw_battle_set_realm(b, id, realm, err);
}

static int g_heal(void *ud, int64_t id, double amount, double *hp, cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    return cw_battle_heal(b, id, amount, hp, err);
}

static int g_known_skills(void *ud, int64_t id, const char *const *ids, int n, cw_error *err)
{
    cw_battle *b = battle_of(ud);
    if (!b) return cw_error_set(err, CW_ESTATE, "no battle");
    return cw_battle_set_known_skills(b, id, ids, n, err);
}

static int g_spawn(void *ud, const cw_bind_spawn *sp, int64_t *id, cw_error *err)
{
    cw_server *s = ud;
    const cw_zoneset *zs = cw_world_zones(g_world(s));
    const char *owner =
        zs && sp->zone >= 0 && sp->zone < zs->n ? cw_cluster_owner(s, zs->v[sp->zone].id) : NULL;
    if (owner) { /* no ghosts: the owner spawns there, not this process */
        const char *what = sp->kind == CW_ENT_MONSTER ? sp->template_id : sp->name;
        cw_log(CW_LOG_WARN, "spawn refused: the zone is hosted by another process",
               CW_S("zone", zs->v[sp->zone].id), CW_S("owner", owner),
               CW_S("what", what ? what : ""), CW_END);
        return cw_error_set(err, CW_ESTATE, "zone '%s' is hosted by process '%s'",
                            zs->v[sp->zone].id, owner);
    }
    if (sp->kind == CW_ENT_MONSTER) {
        cw_spawn_opts o = {sp->respawn};
        return cw_battle_spawn(battle_of(ud), sp->template_id, sp->zone, sp->x, sp->y, cw_now_ns(),
                               &o, id, err);
    }
    cw_world *w = g_world(s);
    const cw_zone *z = &cw_world_zones(w)->v[sp->zone];
    cw_entity_init in = {
        .kind = CW_ENT_NPC, .name = sp->name, .zone = z->id, .x = sp->x, .y = sp->y};
    cw_entity *e = NULL;
    int rc = cw_world_add(w, &in, cw_now_ns(), &e);
    if (rc) return cw_error_set(err, rc, "the NPC could not be placed");
    cw_world_show(w, e);
    *id = e->id;
    return 0;
}

static int g_despawn(void *ud, int64_t id, cw_error *err)
{
    cw_world *w = g_world(ud);
    cw_entity *e = cw_world_get(w, id);
    if (!e) return CW_ENOTFOUND;
    if (e->kind == CW_ENT_NPC) return cw_world_remove(w, id);
    if (e->kind != CW_ENT_MONSTER) return cw_error_set(err, CW_EINVAL, "not a monster or NPC");
    return cw_battle_despawn(battle_of(ud), id);
}

int cw_script_app_teleport(cw_server *s, int64_t id, int zone, double x, double y, int portal,
                           cw_error *err)
{
    cw_world *w = g_world(s);
    if (!w) return cw_error_set(err, CW_ESTATE, "the world is not running");
    cw_entity *e = cw_world_get(w, id);
    if (!e) return cw_error_set(err, CW_ENOTFOUND, "entity %lld is gone", (long long)id);
    const cw_zoneset *zs = cw_world_zones(w);
    if (zone < 0 || zone >= zs->n) return cw_error_set(err, CW_EINVAL, "no zone number %d", zone);
    if (!cw_zone_standable(&zs->v[zone], x, y))
        return cw_error_set(err, CW_EINVAL, "(%g, %g) is not a standable point of zone \"%s\"", x,
                            y, zs->v[zone].id);
    int rc = e->zone == zone && !portal ? cw_world_relocate(w, e, x, y)
                                        : cw_world_transfer(w, e, zone, x, y);
    if (rc == 0) cw_world_app_sync(s, e); /* the character record follows (saved behind) */
    return rc ? cw_error_set(err, rc, "the move failed: %s", cw_err_name(rc)) : 0;
}

static int g_add_zone(void *ud, cw_zone *z, int *index, cw_error *err)
{
    cw_world *w = g_world(ud);
    if (!w) return cw_error_set(err, CW_ESTATE, "the world is not running");
    return cw_world_add_zone(w, z, index, err);
}

static int g_remove_zone(void *ud, const char *id, cw_error *err)
{
    cw_world *w = g_world(ud);
    if (!w) return cw_error_set(err, CW_ESTATE, "the world is not running");
    return cw_world_remove_zone(w, id, err);
}

static int g_teleport(void *ud, int64_t id, int zone, double x, double y, cw_error *err)
{
    return cw_script_app_teleport(ud, id, zone, x, y, 0, err);
}

typedef struct zone_push {
    cw_entity **to;
    int n, cap, zone;
} zone_push;

static void collect_zone(cw_entity *e, void *ud)
{
    zone_push *z = ud;
    if (e->kind != CW_ENT_PLAYER || (z->zone >= 0 && e->zone != z->zone)) return;
    if (z->n == z->cap) {
        int cap = z->cap ? z->cap * 2 : 64;
        cw_entity **v = realloc(z->to, sizeof *v * (size_t)cap);
        if (!v) return;
        z->to = v;
        z->cap = cap;
    }
    z->to[z->n++] = e;
}

static void g_push(void *ud, cw_bind_scope scope, int64_t target, const char *json, size_t len)
{
    cw_server *s = ud;
    cw_world *w = g_world(s);
    cw_outbox *o = cw_world_app_outbox(s);
    if (!w || !o) return;
    if (scope == CW_SCOPE_PLAYER) {
        cw_player *p = cw_players_get(s->players, target);
        if (p) cw_world_app_tell(s, p, json, len);
        return;
    }
    zone_push z = {NULL, 0, 0, scope == CW_SCOPE_ZONE ? (int)target : -1};
    if (scope == CW_SCOPE_SEES) {
        cw_entity *e = cw_world_get(w, target);
        if (!e) return;
        if (e->kind == CW_ENT_PLAYER) collect_zone(e, &z);
        for (int i = 0; i < e->nseen; i++) {
            cw_entity *o2 = cw_world_get(w, e->seen[i]);
            if (o2 && o2->kind == CW_ENT_PLAYER) collect_zone(o2, &z);
        }
    } else {
        cw_world_each(w, collect_zone, &z);
    }
    if (z.n) cw_outbox_event(o, json, len, z.to, z.n);
    free(z.to);
}

static void g_trade_veto(void *ud, const char *message)
{
    cw_trade_app_veto(ud, message);
}

static int g_txn(void *ud, int64_t char_id, const cw_txn_spec *spec, uint64_t *token, cw_error *err)
{
    cw_server *s = ud;
    cw_script_app *a = app_of(s);
    cw_player *p = cw_players_get(s->players, char_id);
    if (!p)
        return cw_error_set(err, CW_ENOTFOUND, "character %lld is not loaded", (long long)char_id);
    if (s->stopping || !s->store || s->store_closing)
        return cw_error_set(err, CW_EUNAVAIL, "the server is shutting down");
    const char *why = cw_txn_reason_problem(spec->reason);
    if (why)
        return cw_error_set(err, CW_EINVAL,
                            "the reason %s (printable UTF-8 text of at most %d bytes)", why,
                            CW_GRANT_REASON_MAX);
    int rc = cw_txn_queue(s, p, spec, token);
    if (rc == CW_EUNAVAIL)
        return cw_error_set(err, rc,
                            "no transaction number available (the database is "
                            "unavailable); try again");
    if (rc == CW_ELIMIT)
        return cw_error_set(err, rc, "the character's data would pass %zu KiB",
                            a->game.data_cap / 1024);
    if (rc == CW_EFULL) return cw_error_set(err, rc, "the inventory is full");
    if (rc == CW_ENOTFOUND)
        return cw_error_set(err, rc, "no such item (or not that many) to remove");
    if (rc == CW_EINVAL && spec->nitems > 0)
        return cw_error_set(err, rc, "bad item operation, or gold or experience out of range");
    if (rc == CW_EINVAL)
        return cw_error_set(err, rc, "gold or experience would leave 0..2^53 (gold %lld, exp %lld)",
                            (long long)p->gold, (long long)p->exp);
    if (rc == CW_ESTATE) return cw_error_set(err, rc, "the character's copy is stale");
    if (rc) return cw_error_set(err, rc, "%s", cw_err_name(rc));
    cw_saver_commit_soon(s);
    level_note *ln = spec->level > 0 ? calloc(1, sizeof *ln) : NULL;
    if (ln) {
        ln->token = *token;
        ln->from = p->level;
        ln->next = a->levels;
        a->levels = ln;
    }
    if (a->in_op) {
        if (a->nop_tokens == a->capop_tokens) {
            int cap = a->capop_tokens ? a->capop_tokens * 2 : 8;
            uint64_t *v = realloc(a->op_tokens, sizeof *v * (size_t)cap);
            if (v) {
                a->op_tokens = v;
                a->capop_tokens = cap;
            }
        }
        if (a->nop_tokens < a->capop_tokens) a->op_tokens[a->nop_tokens++] = *token;
    }
    return 0;
}

int cw_script_app_new(cw_server *s, cw_error *err)
{
    cw_script_app *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->script = a;
    a->queue.tail = &a->queue.head;
    a->game = (cw_bind_game){
        .ud = s,
        .world = g_world,
        .players = g_players,
        .vitals = g_vitals,
        .stats = g_stats,
        .buff = g_buff,
        .unbuff = g_unbuff,
        .spawn = g_spawn,
        .despawn = g_despawn,
        .teleport = g_teleport,
        .push = g_push,
        .txn = g_txn,
        .set_realm = g_set_realm,
        .event_caps = g_event_caps,
        .heal = g_heal,
        .known_skills = g_known_skills,
        .trade_veto = g_trade_veto,
        .add_zone = g_add_zone,
        .remove_zone = g_remove_zone,
        .data_cap = (size_t)(s->cfg.lua_data_max_kib > 0 ? s->cfg.lua_data_max_kib : 64) * 1024u,
    };
    return 0;
}

cw_hook_queue *cw_script_app_queue(cw_server *s)
{
    return app_of(s) ? &app_of(s)->queue : NULL;
}

void *cw_script_app_bind(cw_server *s)
{
    return app_of(s) ? &app_of(s)->game : NULL;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_fire_tick(arg);
}

int cw_script_app_start(cw_server *s, cw_error *err)
{
    cw_script_app *a = app_of(s);
    a->tick_ev = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    if (!a->tick_ev) return cw_error_set(err, CW_ENOMEM, "out of memory");
    struct timeval tv = {1, 0};
    event_add(a->tick_ev, &tv);
    return 0;
}

void cw_script_app_free(cw_server *s)
{
    cw_script_app *a = app_of(s);
    if (!a) return;
    if (a->tick_ev) event_free(a->tick_ev);
    cw_hook_queue_drain(&a->queue);
    while (a->levels) {
        level_note *ln = a->levels;
        a->levels = ln->next;
        free(ln);
    }
    while (a->held) {
        held_token *t = a->held;
        a->held = t->next;
        if (t->r && --t->r->waiting == 0) {
            cw_pending_free(t->r->p);
            free(t->r->body);
            free(t->r);
        }
        free(t);
    }
    free(a->op_tokens);
    free(a);
    s->script = NULL;
}

/* ---- Lua ops ------------------------------------------------------------------------------------
 */

static void push_ctx(lua_State *L, void *ud)
{
    int64_t char_id = *(int64_t *)ud;
    if (char_id > 0) {
        cw_bind_push_player(L, char_id);
        lua_setfield(L, -2, "player");
    }
}

void cw_script_app_call_op(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_script_app *a = app_of(s);
    cw_session *se = cw_session_of(c);
    cw_player *p = se && se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    int64_t char_id = p && p->online ? p->id : 0;
    cw_op_result res;
    memset(&res, 0, sizeof res);
    a->in_op = 1;
    a->nop_tokens = 0;
    cw_host_call_op_ctx(s->host, req->op, req->payload, req->len, cw_conn_id(c), push_ctx, &char_id,
                        &res);
    a->in_op = 0;
    if (!res.ok) {
        /* The handler failed after queuing a transaction: the transaction
         * stands (it was complete when queued); the error is the reply. */
        cw_conn_reply_error(c, req->id_json, res.code, res.message.data ? res.message.data : "");
    } else if (a->nop_tokens == 0) {
        cw_conn_reply_ok(c, req->id_json, res.body.data, res.body.len);
    } else {
        held_reply *r = calloc(1, sizeof *r);
        cw_pending *pd = r ? cw_pending_new(s, c, req) : NULL;
        char *body = pd && res.body.len ? malloc(res.body.len) : NULL;
        if (!r || !pd || (res.body.len && !body)) {
            free(r);
            cw_pending_free(pd);
            cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        } else {
            if (body) memcpy(body, res.body.data, res.body.len);
            r->p = pd;
            r->body = body;
            r->len = res.body.len;
            for (int i = 0; i < a->nop_tokens; i++) {
                held_token *t = calloc(1, sizeof *t);
                if (!t) continue;
                t->token = a->op_tokens[i];
                t->r = r;
                t->next = a->held;
                a->held = t;
                r->waiting++;
            }
            if (r->waiting == 0) { /* out of memory tracking: answer now */
                cw_pending_ok(pd, body, res.body.len);
                cw_pending_free(pd);
                free(body);
                free(r);
            }
        }
    }
    cw_op_result_free(&res);
}

void cw_script_app_txn_done(cw_server *s, uint64_t token, int rc, const cw_player *p, int level,
                            int old_level)
{
    cw_script_app *a = app_of(s);
    if (!a) return;
    for (level_note **pl = &a->levels; *pl; pl = &(*pl)->next)
        if ((*pl)->token == token) {
            level_note *ln = *pl;
            if (!old_level) old_level = ln->from;
            *pl = ln->next;
            free(ln);
            break;
        }
    /* The player heard of the gold and exp from cw_grant_done already. */
    if (rc == 0 && p && level > 0 && p->level > old_level && p->online)
        cw_fire_level_up(s, p, old_level);
    /* Before the held reply: what content tells after the commit (quest_done)
     * reaches the client ahead of the op's answer. */
    cw_fire_commit(s, p ? p->id : 0, token, rc);
    for (held_token **pt = &a->held; *pt;) {
        held_token *t = *pt;
        if (t->token != token) {
            pt = &t->next;
            continue;
        }
        *pt = t->next;
        held_reply *r = t->r;
        free(t);
        if (rc != 0) r->failed = rc;
        if (--r->waiting > 0) continue;
        /* Like every reply: after the events the player already has waiting
         * (the `exp` / `gold` of this very commit among them). */
        cw_conn *conn = cw_pending_conn(r->p);
        if (conn) cw_world_app_flush_conn(s, conn);
        if (r->failed)
            cw_pending_error(r->p, "txn_failed",
                             "the change could not be saved; nothing was changed");
        else
            cw_pending_ok(r->p, r->body, r->len);
        cw_pending_free(r->p);
        free(r->body);
        free(r);
    }
}
