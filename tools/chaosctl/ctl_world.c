/* ctl_world.c — the offline world's lifecycle, its lazy build from the live
 * generation's definitions, the simulated clock and the hook queue. See
 * ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include "bindings/bindings.h"
#include "core/base/log.h"
#include "core/base/strbuf.h"
#include "core/game/content_load.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_BUDGET 10000 /* hooks that keep causing events cannot loop for ever */

/* ---- lifecycle ------------------------------------------------------------------------------ */

ctl_world *ctl_world_new(uint64_t seed)
{
    ctl_world *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->seed = seed;
    w->qtail = &w->qhead;
    w->next_char = 1;
    ctl_game_init(w);
    cw_world_hooks h = ctl_world_hooks(w);
    w->w = cw_world_new(&h);
    w->ps = cw_players_new();
    w->races = json_object();
    if (!w->w || !w->ps || !w->races) {
        ctl_world_free(w);
        return NULL;
    }
    return w;
}

static void queue_drain(ctl_world *w)
{
    while (w->qhead) {
        ctl_queued *q = w->qhead;
        w->qhead = q->next;
        free(q->shares);
        free(q);
    }
    w->qtail = &w->qhead;
}

void ctl_world_free(ctl_world *w)
{
    if (!w) return;
    if (w->b) cw_battle_free(w->b, 1); /* nobody listens any more */
    cw_world_free(w->w);
    cw_players_free(w->ps);
    json_decref(w->races);
    queue_drain(w);
    ctl_store_free(w);
    free(w);
}

void *ctl_world_ctx(ctl_world *w)
{
    return w;
}

int ctl_world_open(lua_State *L, void *ctx)
{
    ctl_world *w = ctx;
    int rc = cw_bindings_open(L, &w->game);
    if (rc) return rc;
    w->L = L;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "chaos");
    if (lua_istable(L, -1)) ctl_sim_open(L, lua_gettop(L), w);
    lua_pop(L, 3);
    return 0;
}

void ctl_world_attach(ctl_world *w, cw_host *h)
{
    w->host = h;
}

/* ---- the clock ------------------------------------------------------------------------------ */

double ctl_now(ctl_world *w)
{
    cw_gen *g = w->L ? cw_gen_of(w->L) : NULL;
    return g ? cw_gen_now(g) : 0;
}

uint64_t ctl_now_ns(ctl_world *w)
{
    double t = ctl_now(w);
    return t > 0 && isfinite(t) ? (uint64_t)llround(t * 1e9) : 0;
}

/* ---- the build ------------------------------------------------------------------------------ */

/* The live generation's definitions of one kind ({} when none or unreadable). */
static json_t *defs(ctl_world *w, const char *kind, cw_error *err)
{
    cw_strbuf b = CW_STRBUF_INIT;
    json_t *o = NULL;
    cw_error e2 = {0};
    if (cw_host_defs_json(w->host, kind, &b, err ? err : &e2) == 0) {
        json_error_t je;
        o = json_loadb(b.data, b.len, 0, &je);
        if (!json_is_object(o) && err)
            cw_error_set(err, CW_EINVAL, "%s definitions: %s", kind, je.text);
    }
    cw_strbuf_free(&b);
    if (!json_is_object(o)) {
        json_decref(o);
        return err ? NULL : json_object();
    }
    return o;
}

static void player_respawn_setting(ctl_world *w)
{
    json_t *o = defs(w, "settings", NULL);
    json_t *v = json_object_get(json_object_get(o, "game"), "player_respawn");
    if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 3600)
        cw_battle_set_player_respawn_s(w->b, json_number_value(v));
    json_decref(o);
}

static int build(ctl_world *w, cw_error *err)
{
    if (!w->host) return cw_error_set(err, CW_ESTATE, "not available while content loads");
    json_t *zones = defs(w, "zone", err);
    if (!zones) return err->code ? err->code : CW_EINVAL;
    cw_zoneset zs;
    int rc = cw_content_zones(zones, &zs, NULL, err);
    json_decref(zones);
    if (rc) return rc;
    if ((rc = cw_world_set_zones(w->w, &zs, err)) != 0) {
        cw_zoneset_free(&zs);
        return rc;
    }
    cw_battle_config cfg = {.seed = w->seed, .epoch_ns = 0, .ev = ctl_battle_events(w)};
    if ((rc = cw_battle_new(w->w, &cfg, &w->b, err)) != 0) return rc;
    cw_battle_defs d = {defs(w, "skill", NULL),
                        defs(w, "monster", NULL),
                        defs(w, "race", NULL),
                        defs(w, "job", NULL),
                        NULL,
                        NULL};
    d.zones = defs(w, "zone", NULL);
    d.realms = defs(w, "realm", NULL);
    rc = cw_battle_reload(w->b, &d, ctl_now_ns(w), err);
    json_decref(w->races);
    w->races = json_incref(d.races);
    json_decref(d.skills);
    json_decref(d.monsters);
    json_decref(d.races);
    json_decref(d.jobs);
    json_decref(d.zones);
    json_decref(d.realms);
    if (rc) return rc;
    player_respawn_setting(w);
    w->ticks = (int64_t)floor(ctl_now(w) * CTL_HZ);
    ctl_flush(w); /* respawns of content monsters, if any */
    return 0;
}

int ctl_world_build(ctl_world *w, cw_error *err)
{
    if (w->built == 1) return 0;
    if (w->built == -1) return cw_error_set(err, CW_ESTATE, "%s", w->build_err);
    if (!w->host) return cw_error_set(err, CW_ESTATE, "not available while content loads");
    cw_error e2 = {0};
    int rc = build(w, &e2);
    if (rc) {
        w->built = -1;
        snprintf(w->build_err, sizeof w->build_err, "the offline world could not be built: %.400s",
                 e2.msg[0] ? e2.msg : cw_err_name(rc));
        return cw_error_set(err, rc, "%s", w->build_err);
    }
    w->built = 1;
    return 0;
}

/* ---- hooks ---------------------------------------------------------------------------------- */

static int listened(ctl_world *w, const char *hook)
{
    return w->host && cw_host_has_hooks(w->host, hook);
}

ctl_queued *ctl_enqueue(ctl_world *w, const char *hook)
{
    ctl_queued *q = listened(w, hook) ? calloc(1, sizeof *q) : NULL;
    if (!q) return NULL;
    q->ev.hook = hook;
    q->ev.zone = q->zone;
    q->ev.template_id = q->template_id;
    *w->qtail = q;
    w->qtail = &q->next;
    return q;
}

int ctl_fire(ctl_world *w, const cw_hook_event *ev, int stop_on_true)
{
    if (!listened(w, ev->hook)) return 0;
    cw_hook_result r = {0};
    w->busy++;
    cw_host_fire(w->host, ev->hook, cw_bind_push_event, (void *)ev, stop_on_true, &r);
    w->busy--;
    return r.claimed;
}

void ctl_flush(ctl_world *w)
{
    int budget = FLUSH_BUDGET;
    while (w->qhead && budget-- > 0) {
        ctl_queued *q = w->qhead;
        w->qhead = q->next;
        if (!w->qhead) w->qtail = &w->qhead;
        ctl_fire(w, &q->ev, 0);
        free(q->shares);
        free(q);
    }
    if (w->qhead) {
        cw_log(CW_LOG_WARN, "hooks kept causing events: the rest were dropped", CW_END);
        queue_drain(w);
    }
    if (w->b) cw_battle_flush_stats(w->b); /* the players' `stats` events */
}

/* ---- the clock moves ------------------------------------------------------------------------ */

static int advance_host(ctl_world *w, double seconds, cw_error *err)
{
    if (!(seconds > 0)) return 0;
    w->busy++; /* timers run content */
    int rc = cw_host_advance(w->host, seconds, err);
    w->busy--;
    return rc;
}

static void tick_hook(ctl_world *w)
{
    cw_hook_event ev = {.hook = "tick", .players = (double)cw_players_count(w->ps)};
    ctl_fire(w, &ev, 0);
    ctl_flush(w);
}

int ctl_step(ctl_world *w, double seconds, cw_error *err)
{
    double target = ctl_now(w) + seconds;
    /* The clock was moved by hand (chaos.clock): the battle catches up in one tick. */
    if ((double)w->ticks / CTL_HZ < ctl_now(w) - 1.0)
        w->ticks = (int64_t)floor(ctl_now(w) * CTL_HZ);
    for (;;) {
        double next = (double)(w->ticks + 1) / CTL_HZ;
        if (next > target + 1e-9) break;
        int rc = advance_host(w, next - ctl_now(w), err);
        if (rc) return rc;
        w->ticks++;
        uint64_t ns = ctl_now_ns(w);
        cw_world_tick(w->w, ns);
        cw_battle_tick(w->b, ns);
        ctl_flush(w);
        if (w->ticks % CTL_HZ == 0) tick_hook(w);
    }
    int rc = advance_host(w, target - ctl_now(w), err);
    ctl_flush(w);
    return rc;
}
