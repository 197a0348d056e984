/* script_app.h — the game wired to content (core/app): the cw_bind_game
 * table the `chaos.world` binding calls (over the live world, the battle,
 * the player table, the outbox and the group commit), every hook the app
 * fires, ctx.player for Lua ops, and op replies that wait for a
 * transaction's commit.
 *
 *   script_app.c   the binding's table, ctx.player, deferred replies, commits
 *   script_fire.c  one function per hook: builds its event table and fires it
 *
 * Hooks (docs/content-guide.md): login, logout, enter_world, enter_zone,
 * leave_zone, kill, death, respawn, level_up, interact, tick, chat_command, chat_channel;
 * `trade` is fired by trade_app.c (its veto: cw_bind_game.trade_veto).
 * Loop thread only. Functions return 0 or a negative CW_E*. */
#ifndef CW_APP_SCRIPT_APP_H
#define CW_APP_SCRIPT_APP_H

#include "core/app/server.h"
#include "core/game/players.h"
#include "core/game/world.h"

struct cw_conn;
struct cw_request;
struct cw_kill;

/* Before the host is created: the binding's table (open_ctx of the host
 * config) and the hook names. */
int cw_script_app_new(cw_server *s, cw_error *err);
void cw_script_app_free(cw_server *s);
/* The cw_bind_game for cw_host_config.open_ctx. */
void *cw_script_app_bind(cw_server *s);
/* After the world started: the once-a-second `tick` hook. */
int cw_script_app_start(cw_server *s, cw_error *err);

/* A Lua op: calls it with ctx.player; the reply waits for the commit of every
 * transaction the handler queued (an error reply if one fails). */
void cw_script_app_call_op(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* The group commit's outcome for token (admin_store.c's cw_grant_done). */
/* level: the level the transaction set (0 = none); old_level: the level
 * before it (for the `level_up` hook). */
void cw_script_app_txn_done(cw_server *s, uint64_t token, int rc, const cw_player *p, int level,
                            int old_level);

/* Moves entity id to (x, y) of zone index zone, checked: CW_EINVAL for a
 * zone index out of range or a point that is not standable there,
 * CW_ENOTFOUND for an entity not in the world. A change of zone — or any
 * teleport when portal is 1 — goes as through a portal: zone hooks, and a
 * player gets leave / `zone` / enter; within the zone with portal 0,
 * observers see a move. A player's character record follows (saved
 * behind). The `chaos.world.teleport` binding (portal 0) and the operator's
 * `teleport` (portal 1) share it. */
int cw_script_app_teleport(cw_server *s, int64_t id, int zone, double x, double y, int portal,
                           cw_error *err);

/* ---- hooks (script_fire.c) ---- */
void cw_fire_login(cw_server *s, int64_t account_id, const char *account);
/* a character leaves the world (logout, disconnect, takeover): its handle still works */
void cw_fire_logout(cw_server *s, const cw_player *p);
void cw_fire_enter_world(cw_server *s, const cw_player *p);
/* hook: "enter_zone" or "leave_zone" */
void cw_fire_zone(cw_server *s, const cw_entity *e, const char *hook, const char *zone_id);
void cw_fire_kill(cw_server *s, const struct cw_kill *k);
void cw_fire_death(cw_server *s, const cw_entity *victim, const cw_entity *killer);
void cw_fire_respawn(cw_server *s, const cw_entity *e, const char *template_id);
/* Hook events waiting for a safe point (script_fire.c owns the entries). */
typedef struct cw_hook_queue {
    struct cw_queued *head, **tail;
} cw_hook_queue;
cw_hook_queue *cw_script_app_queue(cw_server *s); /* NULL before cw_script_app_new */
void cw_hook_queue_drain(cw_hook_queue *hq);
/* Fires the queued zone/kill/death/respawn hooks (they are queued because
 * they happen inside the world's own calls). Called after every request and
 * at the end of every tick. */
void cw_script_app_flush_events(cw_server *s);
void cw_fire_level_up(cw_server *s, const cw_player *p, int old_level);
/* `commit`: transaction token of char_id committed (rc 0) or failed. */
void cw_fire_commit(cw_server *s, int64_t char_id, uint64_t token, int rc);
void cw_fire_tick(cw_server *s);
/* 1 when a hook claimed the command ("/word args"). */
int cw_fire_chat_command(cw_server *s, const cw_player *p, const char *channel, const char *text);
/* Fires chat_channel (a channel content keeps, like "party") after chat.c's
 * checks; 1 when a hook claimed (delivered) it, 0 when none did. */
int cw_fire_chat_channel(cw_server *s, const cw_player *p, const char *channel, const char *text);
/* The `interact` op: {target: entity id} within reach; answers {claimed}. */
void cw_op_interact(cw_server *s, struct cw_conn *c, const struct cw_request *req);

#endif
