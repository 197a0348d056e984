/* ops_world.c — the live world over the wire: zones and race speeds from
 * the live generation (cw_host_defs_json, parsed with jansson), the world's
 * events turned into frames (encoded once, written to every observer), the
 * validated `move` op, and the fixed-rate world tick. */
#include "core/app/trade_app.h"
#include "core/app/world_app.h"

#include "core/app/accounts.h"
#include "core/app/cluster.h"
#include "core/app/combat_app.h"
#include "core/app/outbox.h"
#include "core/app/script_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/game/content_load.h"
#include "core/game/world.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MOVE_SPEED 6.0 /* units/s for races without move_speed */

typedef struct cw_world_app {
    cw_world *w;
    json_t *races;     /* {id: def} of the live generation */
    json_t *zone_defs; /* the zone definitions the world was last given */
    struct event *tick_ev;
    cw_metric *m_tick, *m_flush, *m_entities;
    double tick_last_ms, tick_max_ms;
    cw_strbuf frame;   /* reused for every event frame */
    cw_outbox *outbox; /* per-player event queues, written per tick */
    uint64_t arrivals; /* new characters placed: part of their spawn point's seed */
    /* the portal the last move was held at (its zone is another process') */
    int held;
    cw_portal held_portal;
} cw_world_app;

static cw_world_app *app_of(cw_server *s)
{
    return s->world;
}

/* ---- events → frames ----------------------------------------------------------------- */

/* Appends ,"x":X,"y":Y with the wire's rounding (cw_strbuf_coord). */
static void put_xy(cw_strbuf *b, const char *lead, double x, double y)
{
    cw_strbuf_puts(b, lead);
    cw_strbuf_puts(b, "\"x\":");
    cw_strbuf_coord(b, x);
    cw_strbuf_puts(b, ",\"y\":");
    cw_strbuf_coord(b, y);
}

static void send_all(cw_server *s, const cw_strbuf *b, cw_entity *const *to, int n)
{
    cw_outbox_event(app_of(s)->outbox, b->data, b->len, to, n);
}

static void ev_enter(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    cw_server *s = ud;
    cw_outbox_enter(app_of(s)->outbox, e, to, n); /* encoded by hand, once */
}

static void ev_leave(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    cw_server *s = ud;
    cw_outbox_leave(app_of(s)->outbox, e, to, n);
}

static void ev_move(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    cw_server *s = ud;
    cw_outbox_move(app_of(s)->outbox, e, to, n); /* encoded when written */
}

/* The player record keeps the canonical position (the saver writes it). pl
 * is e's player (or NULL). */
static void sync_player_of(cw_server *s, const cw_entity *e, cw_player *pl)
{
    if (!pl) return;
    const char *zid = cw_world_zone_of(app_of(s)->w, e)->id;
    int zone_changed = strcmp(pl->zone, zid) != 0;
    if (pl->x != e->x || pl->y != e->y || zone_changed) {
        pl->x = e->x;
        pl->y = e->y;
        if (zone_changed) snprintf(pl->zone, sizeof pl->zone, "%s", zid); /* not per step */
        cw_player_touch(pl);
    }
}

static void sync_player(cw_server *s, const cw_entity *e)
{
    sync_player_of(s, e, e->kind == CW_ENT_PLAYER ? cw_players_get(s->players, e->ref) : NULL);
}

static void ev_zone(void *ud, const cw_entity *e)
{
    cw_server *s = ud;
    const cw_player *pl = e->kind == CW_ENT_PLAYER ? cw_players_get(s->players, e->ref) : NULL;
    if (pl) cw_fire_zone(s, e, "leave_zone", pl->zone); /* the zone it had until now */
    sync_player(s, e);
    cw_fire_zone(s, e, "enter_zone", cw_world_zone_of(app_of(s)->w, e)->id);
    cw_entity *self = (cw_entity *)e;
    cw_strbuf *b = &app_of(s)->frame;
    cw_strbuf_reset(b);
    cw_strbuf_puts(b, "{\"ev\":\"zone\",\"zone\":");
    cw_strbuf_json_str(b, cw_world_zone_of(app_of(s)->w, e)->id);
    put_xy(b, ",", e->x, e->y);
    cw_strbuf_puts(b, "}");
    send_all(s, b, &self, 1);
}

/* A player stepping into a portal to a zone another process owns is held
 * here; cw_op_move hands it over. */
static int ev_portal(void *ud, cw_entity *e, const cw_portal *p)
{
    cw_server *s = ud;
    if (e->kind != CW_ENT_PLAYER || !cw_cluster_owner(s, p->to)) return 0;
    app_of(s)->held = 1;
    app_of(s)->held_portal = *p;
    return 1;
}

static void ev_release(void *ud, cw_entity *e)
{
    cw_server *s = ud;
    cw_outbox_release(e);
    /* A session's move cache holding e forgets it (the only lookup: here, once). */
    cw_player *pl =
        e->kind == CW_ENT_PLAYER && s->players ? cw_players_get(s->players, e->ref) : NULL;
    if (pl && pl->cached_by) {
        *pl->cached_by = NULL;
        pl->cached_by = NULL;
    }
}

/* A player record goes (players.c calls this just before freeing it): the
 * battle stops mirroring its entity's death into it. */
static void player_removed(void *ud, cw_player *pl)
{
    cw_server *s = ud;
    cw_entity *e = app_of(s) && app_of(s)->w ? cw_world_find_player(app_of(s)->w, pl->id) : NULL;
    cw_battle *b = e ? cw_combat_app_battle(s) : NULL;
    if (b) cw_battle_watch_dead(b, e, NULL);
}

/* ---- content → C tables (zones: core/game/content_zones.c) ------------------------------- */

static double num(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

static json_t *defs(cw_server *s, const char *kind, cw_error *err)
{
    cw_strbuf b = CW_STRBUF_INIT;
    json_t *o = NULL;
    if (cw_host_defs_json(s->host, kind, &b, err) == 0) {
        json_error_t je;
        o = json_loadb(b.data, b.len, 0, &je);
        if (!json_is_object(o)) {
            json_decref(o);
            o = NULL;
            cw_error_set(err, CW_EINVAL, "%s definitions: %s", kind, je.text);
        }
    }
    cw_strbuf_free(&b);
    return o;
}

/* Parses the zones of the live generation into zs; *unchanged (and zs left
 * empty) when they equal the ones the world has, so a reload of other content
 * does not make the world recompute every entity's view. */
static int load_zones(cw_server *s, cw_zoneset *zs, int *unchanged, cw_error *err)
{
    cw_world_app *a = app_of(s);
    json_t *o = defs(s, "zone", err);
    if (!o) return err->code ? err->code : CW_EINVAL;
    *unchanged = a->zone_defs && json_equal(o, a->zone_defs);
    if (*unchanged) {
        json_decref(o);
        memset(zs, 0, sizeof *zs);
        return 0;
    }
    int defaulted = 0;
    int rc = cw_content_zones(o, zs, &defaulted, err);
    if (rc == 0) {
        json_decref(a->zone_defs);
        a->zone_defs = o;
    } else {
        json_decref(o);
    }
    /* Content without zones (tests, a bare shard): the old open field. */
    if (rc == 0 && defaulted)
        cw_log(CW_LOG_WARN, "content defines no zone: using a default 1000x1000 \"start\"", CW_END);
    return rc;
}

static double race_speed(cw_server *s, const char *race)
{
    json_t *r = json_object_get(app_of(s)->races, race);
    double v = num(r, "move_speed", DEFAULT_MOVE_SPEED);
    return v > 0 ? v : DEFAULT_MOVE_SPEED;
}

static void set_speed(cw_entity *e, void *ud)
{
    cw_server *s = ud;
    cw_player *pl = e->kind == CW_ENT_PLAYER ? cw_players_get(s->players, e->ref) : NULL;
    if (pl) e->speed = race_speed(s, pl->race);
}

static void sync_each(cw_entity *e, void *ud)
{
    sync_player(ud, e);
}

static int load_content(cw_server *s, cw_error *err)
{
    cw_world_app *a = app_of(s);
    cw_zoneset zs;
    int unchanged = 0;
    int rc = load_zones(s, &zs, &unchanged, err);
    if (rc) return rc;
    cw_error rerr = {0};
    json_t *races = defs(s, "race", &rerr);
    if (!races) {
        cw_log(CW_LOG_WARN, "race definitions unreadable: default move speed for all",
               CW_S("error", rerr.msg), CW_END);
        races = json_object();
    }
    if (!unchanged && (rc = cw_world_set_zones(a->w, &zs, err)) != 0) {
        cw_zoneset_free(&zs);
        json_decref(races);
        json_decref(a->zone_defs); /* not applied: the next load tries again */
        a->zone_defs = NULL;
        return rc;
    }
    json_decref(a->races);
    a->races = races;
    cw_world_each(a->w, set_speed, s);
    cw_world_each(a->w, sync_each, s);
    return 0;
}

/* ---- tick -------------------------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    cw_world_app *a = app_of(s);
    uint64_t t0 = cw_now_ns();
    cw_world_tick(a->w, t0);
    cw_combat_app_tick(s, t0);
    cw_trade_app_tick(s); /* the range rule */
    uint64_t t1 = cw_now_ns();
    double sec = (double)(t1 - t0) / 1e9;
    cw_histogram_observe(a->m_tick, sec);
    cw_world_compact(a->w);        /* the tick's removals out of every view, before the flush */
    cw_script_app_flush_events(s); /* the tick's kills, deaths, respawns, zone changes */
    cw_outbox_flush(a->outbox);    /* I/O: measured apart from the simulation */
    cw_histogram_observe(a->m_flush, (double)(cw_now_ns() - t1) / 1e9);
    cw_gauge_set(a->m_entities, (double)cw_world_count(a->w));
    a->tick_last_ms = sec * 1e3;
    if (a->tick_last_ms > a->tick_max_ms) a->tick_max_ms = a->tick_last_ms;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

int cw_world_app_start(cw_server *s, cw_error *err)
{
    cw_world_app *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->world = a;
    cw_world_hooks h = {s, ev_enter, ev_leave, ev_move, ev_zone, ev_release, ev_portal};
    a->w = cw_world_new(&h);
    a->races = json_object();
    if (s->players) cw_players_on_remove(s->players, player_removed, s);
    int hz = s->cfg.world_tick_hz > 0 ? s->cfg.world_tick_hz : 20;
    cw_outbox_config ocfg = {(size_t)s->cfg.world_event_backlog_kib * 1024u, 0,
                             /* whole ticks an event may wait, rounded down */
                             s->cfg.world_event_delay_ms * hz / 1000, s->cfg.world_interest_full,
                             (int)((long long)s->cfg.world_interest_far_ms * hz / 1000),
                             s->cfg.world_interest_cap};
    a->outbox = a->w ? cw_outbox_new(&s->net, a->w, s->metrics, &ocfg) : NULL;
    if (!a->w || !a->races || !a->outbox) return cw_error_set(err, CW_ENOMEM, "out of memory");
    int rc = load_content(s, err);
    if (rc == 0) rc = cw_combat_app_start(s, a->w, err);
    if (rc) return rc;
    a->m_tick = cw_metrics_histogram(s->metrics, "chaos_tick_seconds", "world tick duration", NULL,
                                     NULL, NULL, 0);
    a->m_flush =
        cw_metrics_histogram(s->metrics, "chaos_event_flush_seconds",
                             "writing the queued world events after a tick", NULL, NULL, NULL, 0);
    a->m_entities =
        cw_metrics_gauge(s->metrics, "chaos_world_entities", "entities in the world", NULL, NULL);
    a->tick_ev = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    if (!a->tick_ev) return cw_error_set(err, CW_ENOMEM, "out of memory");
    struct timeval tv = {0, 1000000 / hz};
    if (hz == 1) tv = (struct timeval){1, 0};
    event_add(a->tick_ev, &tv);
    cw_log(CW_LOG_INFO, "world ready", CW_I("zones", cw_world_zones(a->w)->n), CW_I("tick_hz", hz),
           CW_I("event_delay_ms", s->cfg.world_event_delay_ms),
           CW_I("interest_full", s->cfg.world_interest_full),
           CW_I("interest_far_ms", s->cfg.world_interest_far_ms), CW_END);
    return 0;
}

void cw_world_app_reload(cw_server *s)
{
    if (!app_of(s)) return;
    cw_error err = {0};
    cw_combat_app_despawn(s);
    if (load_content(s, &err) != 0)
        cw_log(CW_LOG_ERROR, "world tables not rebuilt: the old zones stay", CW_S("error", err.msg),
               CW_END);
    cw_combat_app_reload(s);
}

void cw_world_app_free(cw_server *s)
{
    cw_world_app *a = app_of(s);
    if (!a) return;
    if (s->players) cw_players_on_remove(s->players, NULL, NULL);
    if (a->tick_ev) event_free(a->tick_ev);
    cw_combat_app_free(s);
    cw_outbox_free(a->outbox);
    cw_world_free(a->w);
    json_decref(a->races);
    json_decref(a->zone_defs);
    cw_strbuf_free(&a->frame);
    free(a);
    s->world = NULL;
}

/* ---- players ------------------------------------------------------------------------------- */

void cw_world_app_start_point(cw_server *s, const char **zone, double *x, double *y)
{
    const cw_zoneset *zs = cw_world_zones(app_of(s)->w);
    const cw_zone *z = &zs->v[zs->start];
    *zone = z->id;
    cw_zone_spawn_point(z, cw_now_ns() ^ (++app_of(s)->arrivals << 32), x, y);
}

int64_t cw_world_app_enter(cw_server *s, cw_player *pl)
{
    cw_world_app *a = app_of(s);
    cw_entity_init in = {
        .kind = CW_ENT_PLAYER,
        .ref = pl->id,
        .owner = pl->conn_id,
        .name = pl->name,
        .zone = pl->zone,
        .x = pl->x,
        .y = pl->y,
        .speed = race_speed(s, pl->race),
    };
    cw_entity *e = NULL;
    int rc = cw_world_add(a->w, &in, cw_now_ns(), &e);
    if (rc) return rc;
    sync_player(s, e);
    cw_combat_app_join(s, e, pl);
    /* the move path reads pl->dead, not the combatant */
    cw_battle *b = cw_combat_app_battle(s);
    pl->dead = 0;
    if (b) cw_battle_watch_dead(b, e, &pl->dead);
    return e->id;
}

void cw_world_app_show(cw_server *s, const cw_player *pl)
{
    cw_entity *e = cw_world_find_player(app_of(s)->w, pl->id);
    if (e) cw_world_show(app_of(s)->w, e);
}

double cw_world_app_speed(cw_server *s, const cw_player *pl)
{
    cw_entity *e = app_of(s) ? cw_world_find_player(app_of(s)->w, pl->id) : NULL;
    return e ? e->speed : 0;
}

void cw_world_app_leave(cw_server *s, const cw_player *pl)
{
    if (!app_of(s)) return;
    cw_entity *e = cw_world_find_player(app_of(s)->w, pl->id);
    cw_combat_app_forget(s, e);
    if (e) cw_world_remove(app_of(s)->w, e->id);
}

int cw_world_app_each_in_view(cw_server *s, const cw_player *pl, void (*fn)(cw_player *p, void *ud),
                              void *ud)
{
    cw_world *w = app_of(s) ? app_of(s)->w : NULL;
    cw_entity *e = w && pl ? cw_world_find_player(w, pl->id) : NULL;
    if (!e) return CW_ENOTFOUND;
    int n = 0;
    for (int i = 0; i < e->nseen; i++) {
        cw_entity *o = cw_world_get(w, e->seen[i]);
        cw_player *p = o && o->kind == CW_ENT_PLAYER ? cw_players_get(s->players, o->ref) : NULL;
        if (p) {
            fn(p, ud);
            n++;
        }
    }
    return n;
}

static int number(const cw_request *req, const char *field, double *out)
{
    if (req->has_xy) { /* read by the fast path: no tree (request.h) */
        *out = field[0] == 'x' ? req->x : req->y;
        return 0;
    }
    json_t *v = json_object_get((json_t *)req->json, field);
    if (!json_is_number(v)) return CW_EINVAL;
    *out = json_number_value(v);
    return 0;
}

/* The session's character and its entity, from the session's cache when it
 * holds them (no lookup), else looked up and cached. NULL when not in the
 * world (*plo may still be set). */
static cw_entity *mover(cw_server *s, cw_session *se, cw_player **plo)
{
    cw_player *pl = se->mv_pl;
    if (pl && pl->id == se->char_id) {
        *plo = pl;
        return se->mv_e;
    }
    pl = se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    cw_entity *e = pl && app_of(s) ? cw_world_find_player(app_of(s)->w, pl->id) : NULL;
    *plo = pl;
    if (e)
        cw_session_cache(se, pl, e);
    else
        cw_session_uncache(se);
    return e;
}

void cw_op_move(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *pl = NULL;
    cw_entity *e = mover(s, se, &pl);
    if (!e) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return;
    }
    if (pl->dead) {
        cw_conn_reply_error(c, req->id_json, "dead", "the dead do not walk");
        return;
    }
    double x, y;
    if (number(req, "x", &x) || number(req, "y", &y)) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "move needs \"x\" and \"y\": numbers");
        return;
    }
    cw_move_verdict why = CW_MOVE_OK;
    app_of(s)->held = 0;
    int rc = cw_world_move(app_of(s)->w, e, x, y, cw_now_ns(), &why);
    if (rc == CW_EBUSY && app_of(s)->held) {
        /* Through a portal into another process' zone: answered once handed
         * off (or refused, the player standing where it was). */
        const cw_portal *po = &app_of(s)->held_portal;
        const char *owner = cw_cluster_owner(s, po->to);
        cw_pending *p = owner ? cw_pending_new(s, c, req) : NULL;
        if (!p) {
            cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
            return;
        }
        cw_handoff_start(s, pl->id, owner, po->to, po->to_x, po->to_y, p, 1, "move");
        return;
    }
    cw_strbuf b = CW_STRBUF_INIT;
    if (rc == 0) {
        sync_player_of(s, e, pl);
        put_xy(&b, "{", e->x, e->y);
        cw_strbuf_puts(&b, ",\"zone\":");
        cw_strbuf_json_str(&b, cw_world_zone_of(app_of(s)->w, e)->id);
        cw_strbuf_puts(&b, "}");
        cw_conn_reply_ok(c, req->id_json, b.data, b.len); /* the router then flushes the
                                                              player's events behind it */
    } else {
        /* The error carries the authoritative position to snap back to. */
        cw_strbuf_printf(&b, "{\"id\":%s,\"error\":{\"code\":\"bad_move\",\"message\":",
                         req->id_json ? req->id_json : "null");
        cw_strbuf_json_str(&b, why != CW_MOVE_OK ? cw_move_verdict_name(why) : "refused");
        put_xy(&b, ",", e->x, e->y);
        cw_strbuf_puts(&b, "}}");
        cw_conn_send(c, b.data, b.len);
    }
    cw_strbuf_free(&b);
}

/* ---- zone_info: the geometry a client draws --------------------------------------------- */

/* 1 when the rectangle meets the square of half-side r around (cx, cy); r < 0: always. */
static int near_box(double x, double y, double w, double h, double cx, double cy, double r)
{
    return r < 0 || (x <= cx + r && x + w >= cx - r && y <= cy + r && y + h >= cy - r);
}

static void rects_json(cw_strbuf *b, const char *key, const cw_rect *v, int n, double cx, double cy,
                       double r)
{
    cw_strbuf_printf(b, ",\"%s\":[", key);
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (!near_box(v[i].x, v[i].y, v[i].w, v[i].h, cx, cy, r)) continue;
        cw_strbuf_printf(b, "%s{\"x\":%.17g,\"y\":%.17g,\"w\":%.17g,\"h\":%.17g}", first ? "" : ",",
                         v[i].x, v[i].y, v[i].w, v[i].h);
        first = 0;
    }
    cw_strbuf_puts(b, "]");
}

/* Portals: the zone's own, then the content's dungeon portals of its definition. */
static void portals_json(cw_server *s, cw_strbuf *b, const cw_zone *z, double cx, double cy,
                         double r)
{
    cw_strbuf_puts(b, ",\"portals\":[");
    int first = 1;
    for (int i = 0; i < z->nportals; i++) {
        const cw_portal *p = &z->portals[i];
        if (!near_box(p->x - p->radius, p->y - p->radius, 2 * p->radius, 2 * p->radius, cx, cy, r))
            continue;
        cw_strbuf_printf(b, "%s{\"x\":%.17g,\"y\":%.17g,\"radius\":%.17g,\"to\":", first ? "" : ",",
                         p->x, p->y, p->radius);
        cw_strbuf_json_str(b, p->to);
        cw_strbuf_puts(b, "}");
        first = 0;
    }
    json_t *def = json_object_get(app_of(s)->zone_defs, z->id);
    json_t *list = json_object_get(def, "portals"), *p;
    size_t i;
    json_array_foreach(list, i, p)
    {
        json_t *dg = json_object_get(p, "dungeon");
        if (!json_is_string(dg)) continue;
        double x = num(p, "x", 0), y = num(p, "y", 0), rad = num(p, "radius", 0);
        if (!near_box(x - rad, y - rad, 2 * rad, 2 * rad, cx, cy, r)) continue;
        cw_strbuf_printf(b, "%s{\"x\":%.17g,\"y\":%.17g,\"radius\":%.17g,\"dungeon\":",
                         first ? "" : ",", x, y, rad);
        cw_strbuf_json_str(b, json_string_value(dg));
        cw_strbuf_puts(b, "}");
        first = 0;
    }
    cw_strbuf_puts(b, "]");
}

void cw_op_zone_info(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *pl = se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    cw_entity *e = pl ? cw_world_find_player(app_of(s)->w, pl->id) : NULL;
    if (!e) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return;
    }
    double r = -1;
    json_t *rv = json_object_get((json_t *)req->json, "radius");
    if (rv) {
        if (!json_is_number(rv) || json_number_value(rv) <= 0) {
            cw_conn_reply_error(c, req->id_json, "bad_field",
                                "zone_info \"radius\" must be a number > 0");
            return;
        }
        r = json_number_value(rv);
    }
    const cw_zone *z = cw_world_zone_of(app_of(s)->w, e);
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"zone\":");
    cw_strbuf_json_str(&b, z->id);
    cw_strbuf_puts(&b, ",\"name\":");
    cw_strbuf_json_str(&b, z->name);
    cw_strbuf_printf(&b, ",\"width\":%.17g,\"height\":%.17g,\"view\":%.17g", z->width, z->height,
                     z->view);
    cw_strbuf_printf(&b, ",\"spawn\":{\"x\":%.17g,\"y\":%.17g}", z->spawn_x, z->spawn_y);
    rects_json(&b, "safe", z->safe, z->nsafe, e->x, e->y, r);
    rects_json(&b, "blocked", z->blocked, z->nblocked, e->x, e->y, r);
    portals_json(s, &b, z, e->x, e->y, r);
    cw_strbuf_puts(&b, "}");
    cw_conn_reply_ok(c, req->id_json, b.data, b.len);
    cw_strbuf_free(&b);
}

void cw_world_app_flush_conn(cw_server *s, cw_conn *c)
{
    cw_session *se = app_of(s) ? cw_session_of(c) : NULL;
    if (!se || !se->char_id) return;
    cw_player *pl = NULL;
    cw_entity *e = mover(s, se, &pl);
    if (e && e->outbox) cw_outbox_flush_one(app_of(s)->outbox, e);
}

void cw_world_app_tell(cw_server *s, const cw_player *pl, const char *json, size_t len)
{
    cw_entity *e = app_of(s) ? cw_world_find_player(app_of(s)->w, pl->id) : NULL;
    if (e) {
        cw_outbox_event(app_of(s)->outbox, json, len, &e, 1);
        return;
    }
    cw_conn *c = pl->online && s->net ? cw_net_find(s->net, pl->conn_id) : NULL;
    if (c) cw_conn_send(c, json, len);
}

void cw_world_app_sync(cw_server *s, const struct cw_entity *e)
{
    if (app_of(s) && e) sync_player(s, e);
}

cw_outbox *cw_world_app_outbox(cw_server *s)
{
    return app_of(s) ? app_of(s)->outbox : NULL;
}

void cw_world_app_status(cw_server *s, cw_strbuf *out)
{
    cw_world_app *a = app_of(s);
    if (!a) return;
    cw_strbuf_printf(out,
                     ",\"world\":{\"zones\":%d,\"entities\":%zu,\"ticks\":%llu,"
                     "\"tick_hz\":%d,\"tick_last_ms\":%.4f,\"tick_max_ms\":%.4f,"
                     "\"events_queued\":%zu}",
                     cw_world_zones(a->w)->n, cw_world_count(a->w),
                     (unsigned long long)cw_world_ticks(a->w), s->cfg.world_tick_hz,
                     a->tick_last_ms, a->tick_max_ms, cw_outbox_pending(a->outbox));
}
