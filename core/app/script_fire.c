/* script_fire.c — when chaosd fires each hook. The event tables are built
 * by the binding (cw_bind_push_event) from a plain cw_hook_event. Hooks
 * without a listener cost one table lookup. Zone changes, kills, deaths and
 * respawns happen inside the world's and the battle's own calls (a move
 * through a portal, a hit, the tick); their hooks must not run there (a hook
 * may move, spawn or kill), so they are copied into a queue and fired at the
 * next safe point: after the request that caused them, or at the end of the
 * tick (cw_script_app_flush_events). The `interact` op lives here too. */
#include "core/app/script_app.h"

#include "bindings/world.h"
#include "core/app/accounts.h"
#include "core/app/combat_app.h"
#include "core/app/world_app.h"
#include "core/base/log.h"
#include "core/game/battle.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INTERACT_RANGE 6.0 /* units between a player and what it uses */

static int listened(cw_server *s, const char *hook)
{
    return s->host && cw_host_has_hooks(s->host, hook);
}

static void fire(cw_server *s, cw_hook_event *ev)
{
    if (listened(s, ev->hook)) cw_host_fire(s->host, ev->hook, cw_bind_push_event, ev, 0, NULL);
}

/* ---- the queue ----------------------------------------------------------------------------------
 */

typedef struct cw_queued {
    cw_hook_event ev; /* its strings and shares point into this entry */
    char zone[CW_DEF_ID_MAX + 1], template_id[64];
    cw_hook_share *shares;
    struct cw_queued *next;
} queued;

static queued *enqueue(cw_server *s, const char *hook)
{
    cw_hook_queue *hq = cw_script_app_queue(s);
    queued *q = hq && listened(s, hook) ? calloc(1, sizeof *q) : NULL;
    if (!q) return NULL;
    q->ev.hook = hook; /* static strings only */
    q->ev.zone = q->zone;
    q->ev.template_id = q->template_id;
    *hq->tail = q;
    hq->tail = &q->next;
    return q;
}

void cw_hook_queue_drain(cw_hook_queue *hq)
{
    while (hq->head) {
        queued *q = hq->head;
        hq->head = q->next;
        free(q->shares);
        free(q);
    }
    hq->tail = &hq->head;
}

void cw_script_app_flush_events(cw_server *s)
{
    cw_hook_queue *hq = cw_script_app_queue(s);
    int budget = 10000; /* hooks that keep causing events cannot loop for ever */
    while (hq && hq->head && budget-- > 0) {
        queued *q = hq->head;
        hq->head = q->next;
        if (!hq->head) hq->tail = &hq->head;
        fire(s, &q->ev);
        free(q->shares);
        free(q);
    }
    if (hq && hq->head) {
        cw_log(CW_LOG_WARN, "hooks kept causing events: the rest were dropped", CW_END);
        cw_hook_queue_drain(hq);
    }
}

static void set_subject(cw_hook_event *ev, const cw_entity *e)
{
    ev->char_id = e->kind == CW_ENT_PLAYER ? e->ref : 0;
    ev->entity = e->id;
}

static const char *zone_id(cw_server *s, const cw_entity *e)
{
    cw_world *w = cw_combat_app_world(s);
    return w ? cw_world_zone_of(w, e)->id : "";
}

void cw_fire_zone(cw_server *s, const cw_entity *e, const char *hook, const char *zone)
{
    queued *q = enqueue(s, strcmp(hook, "enter_zone") == 0 ? "enter_zone" : "leave_zone");
    if (!q) return;
    set_subject(&q->ev, e);
    snprintf(q->zone, sizeof q->zone, "%s", zone);
}

void cw_fire_kill(cw_server *s, const cw_kill *k)
{
    queued *q = enqueue(s, "kill");
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

void cw_fire_death(cw_server *s, const cw_entity *victim, const cw_entity *killer)
{
    if (victim->kind != CW_ENT_PLAYER) return; /* a monster's death is a kill */
    queued *q = enqueue(s, "death");
    if (!q) return;
    set_subject(&q->ev, victim);
    if (killer) {
        q->ev.killer = killer->id;
        q->ev.killer_char = killer->kind == CW_ENT_PLAYER ? killer->ref : 0;
    }
    snprintf(q->zone, sizeof q->zone, "%s", zone_id(s, victim));
}

void cw_fire_respawn(cw_server *s, const cw_entity *e, const char *template_id)
{
    queued *q = enqueue(s, "respawn");
    if (!q) return;
    set_subject(&q->ev, e);
    snprintf(q->template_id, sizeof q->template_id, "%s", template_id ? template_id : "");
}

/* ---- at once
 * --------------------------------------------------------------------------------------- */

void cw_fire_login(cw_server *s, int64_t account_id, const char *account)
{
    cw_hook_event ev = {.hook = "login", .account = account_id, .name = account};
    fire(s, &ev);
}

void cw_fire_logout(cw_server *s, const cw_player *p)
{
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = w ? cw_world_find_player(w, p->id) : NULL;
    cw_hook_event ev = {.hook = "leave_zone", .char_id = p->id, .zone = p->zone};
    if (e) fire(s, &ev); /* now: the handle goes with the player */
    ev.hook = "logout";
    fire(s, &ev);
}

void cw_fire_enter_world(cw_server *s, const cw_player *p)
{
    cw_hook_event ev = {.hook = "enter_world", .char_id = p->id, .zone = p->zone};
    fire(s, &ev);
    ev.hook = "enter_zone";
    fire(s, &ev);
}

void cw_fire_level_up(cw_server *s, const cw_player *p, int old_level)
{
    cw_hook_event ev = {
        .hook = "level_up", .char_id = p->id, .level = p->level, .old_level = old_level};
    fire(s, &ev);
}

void cw_fire_commit(cw_server *s, int64_t char_id, uint64_t token, int rc)
{
    cw_hook_event ev = {.hook = "commit", .char_id = char_id, .token = token, .ok = rc == 0};
    fire(s, &ev);
}

void cw_fire_tick(cw_server *s)
{
    cw_hook_event ev = {.hook = "tick", .players = (double)cw_players_count(s->players)};
    fire(s, &ev);
    cw_script_app_flush_events(s);
}

int cw_fire_chat_command(cw_server *s, const cw_player *p, const char *channel, const char *text)
{
    if (text[0] != '/' || !listened(s, "chat_command")) return 0;
    cw_hook_event ev = {.hook = "chat_command", .char_id = p->id, .channel = channel, .text = text};
    cw_hook_result r = {0};
    cw_host_fire(s->host, ev.hook, cw_bind_push_event, &ev, CW_HOOK_CLAIM, &r);
    return r.claimed;
}

int cw_fire_chat_channel(cw_server *s, const cw_player *p, const char *channel, const char *text)
{
    if (!listened(s, "chat_channel")) return 0;
    cw_hook_event ev = {.hook = "chat_channel", .char_id = p->id, .channel = channel, .text = text};
    cw_hook_result r = {0};
    cw_host_fire(s->host, ev.hook, cw_bind_push_event, &ev, CW_HOOK_CLAIM, &r);
    return r.claimed;
}

/* ---- interact
 * ---------------------------------------------------------------------------------------- */

void cw_op_interact(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *p = se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = p && w ? cw_world_find_player(w, p->id) : NULL;
    if (!e) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return;
    }
    json_t *tv = json_object_get((json_t *)req->json, "target");
    json_t *av = json_object_get((json_t *)req->json, "action");
    if (!json_is_integer(tv) || (av && !json_is_string(av))) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "interact needs \"target\": an entity id (\"action\": a string)");
        return;
    }
    const char *action = av ? json_string_value(av) : NULL;
    if (action && strlen(action) > 64) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "\"action\" is at most 64 bytes");
        return;
    }
    cw_entity *t = cw_world_get(w, (int64_t)json_integer_value(tv));
    if (!t || t == e || t->zone != e->zone || !cw_entity_sees(w, e, t->id)) {
        cw_conn_reply_error(c, req->id_json, "bad_target", "nothing like that here");
        return;
    }
    if (hypot(t->x - e->x, t->y - e->y) > INTERACT_RANGE) {
        cw_conn_reply_error(c, req->id_json, "out_of_range", "come closer");
        return;
    }
    cw_hook_event ev = {.hook = "interact",
                        .char_id = p->id,
                        .entity = t->id,
                        .kind = t->kind == CW_ENT_NPC       ? "npc"
                                : t->kind == CW_ENT_MONSTER ? "monster"
                                                            : "player",
                        .name = t->name,
                        .action = action};
    cw_hook_result r = {0};
    if (listened(s, "interact"))
        cw_host_fire(s->host, ev.hook, cw_bind_push_event, &ev, CW_HOOK_CLAIM, &r);
    if (r.claimed)
        cw_conn_reply_ok(c, req->id_json, "{\"claimed\":true}", 16);
    else
        cw_conn_reply_ok(c, req->id_json, "{\"claimed\":false}", 17);
}
