/* ctl_world_game.c — the cw_bind_game table over the offline world (the
 * same behaviour as chaosd's core/app/script_app.c), the world's and the
 * battle's events (zone changes, deaths, kills, respawns: queued and fired
 * after the call that caused them, as chaosd does), and characters entering
 * and leaving the world. See ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include "core/base/log.h"
#include "core/base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MOVE_SPEED 6.0

/* ---- the binding's table -------------------------------------------------------------------- */

static cw_world *g_world(void *ud)
{
    return ((ctl_world *)ud)->w;
}

static cw_players *g_players(void *ud)
{
    return ((ctl_world *)ud)->ps;
}

static int g_vitals(void *ud, int64_t id, cw_bind_vitals *out)
{
    ctl_world *w = ud;
    cw_vitals v;
    if (!w->b || cw_battle_vitals(w->b, id, &v) != 0) return CW_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->hp = v.hp;
    out->hp_max = v.hp_max;
    out->mp = v.mp;
    out->mp_max = v.mp_max;
    out->dead = v.dead;
    cw_monster *m = cw_monsters_of(cw_battle_monsters(w->b), id);
    if (m) snprintf(out->template_id, sizeof out->template_id, "%s", m->def.id);
    return 0;
}

static int g_stats(void *ud, int64_t id, void (*fn)(void *, const char *, double), void *fud)
{
    ctl_world *w = ud;
    return w->b ? cw_battle_stats(w->b, id, fn, fud) : CW_ESTATE;
}

static int g_buff(void *ud, int64_t id, const char *source, const cw_stat_list *l, double seconds,
                  cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    if (strcmp(source, "level") == 0) return cw_battle_set_source(w->b, id, source, l, err);
    cw_buff_stats st;
    memset(&st, 0, sizeof st);
    st.flat = *l;
    return cw_battle_buff_add(w->b, id, source, &st, seconds, ctl_now_ns(w), err);
}

static int g_unbuff(void *ud, int64_t id, const char *source, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    return cw_battle_buff_remove(w->b, id, source);
}

static int g_event_caps(void *ud, const char *source, const cw_stat_list *caps, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    return cw_battle_event_caps(w->b, source, caps, err);
}

static int g_set_realm(void *ud, int64_t id, const char *realm, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    return cw_battle_set_realm(w->b, id, realm, err);
}

static int g_heal(void *ud, int64_t id, double amount, double *hp, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    return cw_battle_heal(w->b, id, amount, hp, err);
}

static int g_known_skills(void *ud, int64_t id, const char *const *ids, int n, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    return cw_battle_set_known_skills(w->b, id, ids, n, err);
}

static int g_spawn(void *ud, const cw_bind_spawn *sp, int64_t *id, cw_error *err)
{
    ctl_world *w = ud;
    if (!w->b) return cw_error_set(err, CW_ESTATE, "no battle (the world is not built yet)");
    if (sp->kind == CW_ENT_MONSTER) {
        cw_spawn_opts o = {sp->respawn};
        return cw_battle_spawn(w->b, sp->template_id, sp->zone, sp->x, sp->y, ctl_now_ns(w), &o, id,
                               err);
    }
    const cw_zone *z = &cw_world_zones(w->w)->v[sp->zone];
    cw_entity_init in = {
        .kind = CW_ENT_NPC, .name = sp->name, .zone = z->id, .x = sp->x, .y = sp->y};
    cw_entity *e = NULL;
    int rc = cw_world_add(w->w, &in, ctl_now_ns(w), &e);
    if (rc) return cw_error_set(err, rc, "the NPC could not be placed");
    cw_world_show(w->w, e);
    *id = e->id;
    return 0;
}

static int g_despawn(void *ud, int64_t id, cw_error *err)
{
    ctl_world *w = ud;
    cw_entity *e = cw_world_get(w->w, id);
    if (!e) return CW_ENOTFOUND;
    if (e->kind == CW_ENT_NPC) return cw_world_remove(w->w, id);
    if (e->kind != CW_ENT_MONSTER || !w->b)
        return cw_error_set(err, CW_EINVAL, "not a monster or NPC");
    return cw_battle_despawn(w->b, id);
}

static int g_add_zone(void *ud, cw_zone *z, int *index, cw_error *err)
{
    return cw_world_add_zone(((ctl_world *)ud)->w, z, index, err);
}

static int g_remove_zone(void *ud, const char *id, cw_error *err)
{
    return cw_world_remove_zone(((ctl_world *)ud)->w, id, err);
}

static int g_teleport(void *ud, int64_t id, int zone, double x, double y, cw_error *err)
{
    ctl_world *w = ud;
    cw_entity *e = cw_world_get(w->w, id);
    if (!e) return cw_error_set(err, CW_ENOTFOUND, "entity %lld is gone", (long long)id);
    if (e->zone != zone) return cw_world_transfer(w->w, e, zone, x, y); /* zone hook: synced */
    int rc = cw_world_relocate(w->w, e, x, y);
    ctl_sync_player(w, e); /* the move hook runs only when someone sees it */
    return rc;
}

typedef struct push_to {
    ctl_world *w;
    const char *json;
    size_t len;
    int zone; /* -1: every zone */
} push_to;

static void push_player(cw_entity *e, void *ud)
{
    push_to *t = ud;
    if (e->kind != CW_ENT_PLAYER || (t->zone >= 0 && e->zone != t->zone)) return;
    ctl_box_add(t->w, e->ref, t->json, t->len);
}

static void g_push(void *ud, cw_bind_scope scope, int64_t target, const char *json, size_t len)
{
    ctl_world *w = ud;
    push_to t = {w, json, len, scope == CW_SCOPE_ZONE ? (int)target : -1};
    if (scope == CW_SCOPE_PLAYER) {
        cw_player *p = cw_players_get(w->ps, target);
        if (p && p->online) ctl_box_add(w, target, json, len);
    } else if (scope == CW_SCOPE_SEES) {
        cw_entity *e = cw_world_get(w->w, target);
        if (!e) return;
        push_player(e, &t);
        for (int i = 0; i < e->nseen; i++) {
            cw_entity *o = cw_world_get(w->w, e->seen[i]);
            if (o) push_player(o, &t);
        }
    } else {
        cw_world_each(w->w, push_player, &t);
    }
}

/* cw_txn_spec.new_uid: a fresh item uid, used up at once (never repeated). */
static int64_t new_item_uid(void *ud)
{
    ctl_world *w = ud;
    return ++w->last_item_uid;
}

static int g_txn(void *ud, int64_t char_id, const cw_txn_spec *in, uint64_t *token, cw_error *err)
{
    ctl_world *w = ud;
    cw_player *p = cw_players_get(w->ps, char_id);
    if (!p)
        return cw_error_set(err, CW_ENOTFOUND, "character %lld is not loaded", (long long)char_id);
    if (p->stale) return cw_error_set(err, CW_ESTATE, "the character's copy is stale");
    const char *why = cw_txn_reason_problem(in->reason);
    if (why)
        return cw_error_set(err, CW_EINVAL,
                            "the reason %s (printable UTF-8 text of at most %d bytes)", why,
                            CW_GRANT_REASON_MAX);
    cw_txn_spec spec = *in;
    spec.new_uid = new_item_uid;
    spec.uid_ud = w;
    uint64_t tok = w->next_token + 1;
    int rc = cw_player_txn(p, &spec, tok, w->game.data_cap);
    if (rc == CW_ELIMIT)
        return cw_error_set(err, rc, "the character's data would pass %zu KiB",
                            w->game.data_cap / 1024);
    if (rc == CW_EINVAL)
        return cw_error_set(err, rc, "gold or experience would leave 0..2^53 (gold %lld, exp %lld)",
                            (long long)p->gold, (long long)p->exp);
    if (rc) return cw_error_set(err, rc, "%s", cw_err_name(rc));
    w->next_token = tok;
    *token = tok;
    return 0;
}

void ctl_game_init(ctl_world *w)
{
    w->game = (cw_bind_game){
        .ud = w,
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
        .add_zone = g_add_zone,
        .remove_zone = g_remove_zone,
        .data_cap = CTL_DATA_CAP,
    };
}

/* ---- the world's events --------------------------------------------------------------------- */

static void set_subject(cw_hook_event *ev, const cw_entity *e)
{
    ev->char_id = e->kind == CW_ENT_PLAYER ? e->ref : 0;
    ev->entity = e->id;
}

static void queue_zone(ctl_world *w, const cw_entity *e, const char *hook, const char *zone)
{
    ctl_queued *q = ctl_enqueue(w, hook);
    if (!q) return;
    set_subject(&q->ev, e);
    snprintf(q->zone, sizeof q->zone, "%s", zone);
}

/* The player record keeps the canonical position (the store saves it). */
void ctl_sync_player(ctl_world *w, const cw_entity *e)
{
    cw_player *pl = e->kind == CW_ENT_PLAYER ? cw_players_get(w->ps, e->ref) : NULL;
    if (!pl) return;
    const char *zid = cw_world_zone_of(w->w, e)->id;
    if (pl->x != e->x || pl->y != e->y || strcmp(pl->zone, zid) != 0) {
        pl->x = e->x;
        pl->y = e->y;
        snprintf(pl->zone, sizeof pl->zone, "%s", zid);
        cw_player_touch(pl);
    }
}

static void ev_zone(void *ud, const cw_entity *e)
{
    ctl_world *w = ud;
    const cw_player *pl = e->kind == CW_ENT_PLAYER ? cw_players_get(w->ps, e->ref) : NULL;
    if (pl) queue_zone(w, e, "leave_zone", pl->zone); /* the zone it had until now */
    ctl_sync_player(w, e);
    const char *zid = cw_world_zone_of(w->w, e)->id;
    queue_zone(w, e, "enter_zone", zid);
    if (pl) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_puts(&b, "{\"ev\":\"zone\",\"zone\":");
        cw_strbuf_json_str(&b, zid);
        cw_strbuf_printf(&b, ",\"x\":%.17g,\"y\":%.17g}", e->x, e->y);
        if (b.data) ctl_box_add(w, pl->id, b.data, b.len);
        cw_strbuf_free(&b);
    }
}

static void ev_move(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    (void)to;
    (void)n;
    ctl_sync_player(ud, e);
}

cw_world_hooks ctl_world_hooks(ctl_world *w)
{
    return (cw_world_hooks){.ud = w, .move = ev_move, .zone = ev_zone};
}

/* ---- the battle's events -------------------------------------------------------------------- */

static void on_hit(void *ud, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                   const cw_combat_hit_record *rec, double hp, int killed)
{
    ctl_world *w = ud;
    (void)to;
    (void)sk;
    (void)rec;
    (void)hp;
    (void)killed;
    if (from->id == w->watch_from) w->watch_hits++;
}

static void on_death(void *ud, cw_entity *victim, cw_entity *killer)
{
    ctl_world *w = ud;
    if (victim->kind != CW_ENT_PLAYER) return; /* a monster's death is a kill */
    ctl_queued *q = ctl_enqueue(w, "death");
    if (!q) return;
    set_subject(&q->ev, victim);
    if (killer) {
        q->ev.killer = killer->id;
        q->ev.killer_char = killer->kind == CW_ENT_PLAYER ? killer->ref : 0;
    }
    snprintf(q->zone, sizeof q->zone, "%s", cw_world_zone_of(w->w, victim)->id);
}

static void on_kill(void *ud, const cw_kill *k)
{
    ctl_queued *q = ctl_enqueue(ud, "kill");
    if (!q) return;
    q->ev.entity = k->victim;
    snprintf(q->template_id, sizeof q->template_id, "%s", k->template_id);
    snprintf(q->zone, sizeof q->zone, "%s", k->zone_id ? k->zone_id : "");
    q->ev.x = k->x;
    q->ev.y = k->y;
    q->ev.killer = k->killer;
    q->ev.killer_char = k->killer_char;
    if (k->nshares > 0 && (q->shares = calloc((size_t)k->nshares, sizeof *q->shares))) {
        for (int i = 0; i < k->nshares; i++)
            q->shares[i] =
                (cw_hook_share){k->shares[i].char_id, k->shares[i].damage, k->shares[i].share};
        q->ev.shares = q->shares;
        q->ev.nshares = k->nshares;
    }
}

static void on_respawn(void *ud, cw_entity *e)
{
    ctl_world *w = ud;
    cw_monster *m =
        e->kind == CW_ENT_MONSTER ? cw_monsters_of(cw_battle_monsters(w->b), e->id) : NULL;
    ctl_queued *q = ctl_enqueue(w, "respawn");
    if (!q) return;
    set_subject(&q->ev, e);
    snprintf(q->template_id, sizeof q->template_id, "%s", m ? m->def.id : "");
}

static void on_cast_failed(void *ud, cw_entity *e, const char *skill, const char *why)
{
    if (e->kind != CW_ENT_PLAYER) return;
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"ev\":\"cast_failed\",\"skill\":");
    cw_strbuf_json_str(&b, skill);
    cw_strbuf_puts(&b, ",\"reason\":");
    cw_strbuf_json_str(&b, why);
    cw_strbuf_puts(&b, "}");
    if (b.data) ctl_box_add(ud, e->ref, b.data, b.len);
    cw_strbuf_free(&b);
}

static void on_stats(void *ud, cw_entity *e)
{
    ctl_world *w = ud;
    cw_strbuf b = CW_STRBUF_INIT;
    if (cw_battle_stats_json(w->b, e->id, &b) == 0 && b.data) ctl_box_add(w, e->ref, b.data, b.len);
    cw_strbuf_free(&b);
}

static void on_spawn_failed(void *ud, const char *zone, const char *monster, const cw_error *err)
{
    (void)ud;
    cw_log(CW_LOG_WARN, "monster not spawned", CW_S("zone", zone), CW_S("monster", monster),
           CW_S("error", err->msg), CW_END);
}

cw_battle_events ctl_battle_events(ctl_world *w)
{
    return (cw_battle_events){.ud = w,
                              .hit = on_hit,
                              .death = on_death,
                              .kill = on_kill,
                              .respawn = on_respawn,
                              .cast_failed = on_cast_failed,
                              .spawn_failed = on_spawn_failed,
                              .stats = on_stats};
}

/* ---- entering and leaving ------------------------------------------------------------------- */

static double race_speed(ctl_world *w, const char *race)
{
    json_t *v = json_object_get(json_object_get(w->races, race), "move_speed");
    double s = json_is_number(v) ? json_number_value(v) : DEFAULT_MOVE_SPEED;
    return s > 0 ? s : DEFAULT_MOVE_SPEED;
}

int ctl_enter(ctl_world *w, cw_player *p, cw_error *err)
{
    cw_entity_init in = {
        .kind = CW_ENT_PLAYER,
        .ref = p->id,
        .owner = (uint64_t)p->id,
        .name = p->name,
        .zone = p->zone,
        .x = p->x,
        .y = p->y,
        .speed = race_speed(w, p->race),
    };
    cw_entity *e = NULL;
    int rc = cw_world_add(w->w, &in, ctl_now_ns(w), &e);
    if (rc) return cw_error_set(err, rc, "the character could not be placed in the world");
    p->online = 1;
    p->conn_id = (uint64_t)p->id;
    ctl_sync_player(w, e);
    if ((rc = cw_battle_join(w->b, e, p->race, p->job, err)) != 0) {
        cw_world_remove(w->w, e->id);
        p->online = 0;
        return rc;
    }
    cw_world_show(w->w, e);
    cw_hook_event ev = {.hook = "enter_world", .char_id = p->id, .zone = p->zone};
    ctl_fire(w, &ev, 0);
    ev.hook = "enter_zone";
    ctl_fire(w, &ev, 0);
    ctl_flush(w);
    return 0;
}

void ctl_leave(ctl_world *w, cw_player *p)
{
    cw_entity *e = cw_world_find_player(w->w, p->id);
    char zone[CW_DEF_ID_MAX + 1];
    snprintf(zone, sizeof zone, "%s", p->zone);
    cw_hook_event ev = {.hook = "leave_zone", .char_id = p->id, .zone = zone};
    if (e) ctl_fire(w, &ev, 0); /* while its handle still works */
    ev.hook = "logout";
    ctl_fire(w, &ev, 0);
    p = cw_players_get(w->ps, ev.char_id); /* hooks cannot remove players, but be sure */
    if (p) {
        p->online = 0;
        p->conn_id = 0;
    }
    e = cw_world_find_player(w->w, ev.char_id);
    if (e) {
        cw_battle_forget(w->b, e);
        cw_world_remove(w->w, e->id);
    }
    ctl_flush(w);
}
