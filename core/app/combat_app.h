/* combat_app.h — the fight (core/game/battle.h) wired to the live world and
 * the connections: the content definitions fetched from the script host and
 * handed to the battle, the battle's events turned into frames (`hit`,
 * `death`, `cast_failed`, once-encoded for everyone who sees them, through
 * the outbox), kills, deaths and respawns handed to the script hooks
 * (script_app.h: rewards are Lua rules paid through transactions), and the
 * `attack` and `cast` ops. Loop thread only.
 *
 *   combat_app.c  lifecycle, content, events → frames, rewards
 *   ops_combat.c  the ops: parse, cw_battle_use_skill, reply
 *
 * Functions return 0 or a negative CW_E*. */
#ifndef CW_APP_COMBAT_APP_H
#define CW_APP_COMBAT_APP_H

#include "core/app/server.h"
#include "core/game/battle.h"
#include "core/game/players.h"
#include "core/game/world.h"

#include <jansson.h>

struct cw_conn;
struct cw_request;

typedef struct cw_combat_app {
    cw_world *w; /* borrowed from the world app */
    cw_battle *b;
    cw_battle_defs next; /* fetched before a reload's zone change, used by the reload (owned) */
    int have_next;
    cw_strbuf frame;
    cw_entity **to;
    int capto;
} cw_combat_app;

/* Called by the world app (ops_world.c). */
int cw_combat_app_start(cw_server *s, cw_world *w, cw_error *err);
/* A reload: before the zones change, monsters the new content does not keep
 * leave (despawn); after, the battle takes the new tables (reload: unchanged
 * monsters stay, others respawn fresh). */
void cw_combat_app_despawn(cw_server *s);
void cw_combat_app_reload(cw_server *s);
void cw_combat_app_tick(cw_server *s, uint64_t now_ns);
/* A player entity entered the world: its combatant (race and job of pl). */
void cw_combat_app_join(cw_server *s, cw_entity *e, const cw_player *pl);
/* An entity is about to leave the world: frees its combatant. */
void cw_combat_app_forget(cw_server *s, cw_entity *e);
/* 1 when e is a dead fighter. */
int cw_combat_app_dead(cw_server *s, const cw_entity *e);
/* The cluster map changed: monsters leave the zones this process no longer
 * hosts, and the spawn groups of zones it now hosts spawn (logged). */
void cw_combat_app_rehost(cw_server *s);
/* Appends ,"monsters":{"total":N,"zones":{zone: count, …}} to a status object. */
void cw_combat_app_status(cw_server *s, cw_strbuf *out);
/* The battle and the world (NULL before start). */
cw_battle *cw_combat_app_battle(cw_server *s);
cw_world *cw_combat_app_world(cw_server *s);
/* Before the world is freed. */
void cw_combat_app_free(cw_server *s);

void cw_op_attack(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_cast(cw_server *s, struct cw_conn *c, const struct cw_request *req);

/* Queues a gold change for a loaded character through the group commit
 * (admin_store.c); the player gets `gold` once committed. *token set. */
int cw_grant_queue(cw_server *s, cw_player *p, int64_t delta, const char *reason, uint64_t *token);

#endif
