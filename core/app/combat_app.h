/* combat_app.h — monsters and combat wired to the live world (core/app):
 * skills, monsters and spawns compiled from the live generation, one stats
 * registry per world, a combatant per player/monster entity, the `attack` and
 * `cast` ops, hits broadcast once-encoded, deaths, rewards (exp as soft
 * state; gold through the group commit) and respawns. Loop thread only.
 *
 *   combat_app.c  content → C tables, lifecycle, tick, deaths and rewards
 *   ops_combat.c  the ops, the hit and its `hit` event
 *
 * Functions return 0 or a negative CW_E*. */
#ifndef CW_APP_COMBAT_APP_H
#define CW_APP_COMBAT_APP_H

#include "core/app/server.h"
#include "core/game/fighter.h"
#include "core/game/monsters.h"
#include "core/game/players.h"
#include "core/game/world.h"

#include <jansson.h>

struct cw_conn;
struct cw_request;

#define CW_PLAYER_RESPAWN_S 3.0

typedef struct cw_combat_app {
    cw_world *w; /* borrowed from the world app */
    cw_stats_registry *reg;
    cw_combat_content content;
    cw_skill_def *skills; /* sorted by id; num = index + 1 */
    int nskills;
    json_t *races, *jobs;
    cw_monsters *mons;
    cw_strbuf frame;
    cw_entity **to;
    int capto;
} cw_combat_app;

/* Called by the world app (ops_world.c). */
int cw_combat_app_start(cw_server *s, cw_world *w, cw_error *err);
/* A reload: monsters leave before the zones change (despawn), then skills,
 * monsters and spawns are rebuilt (reload: every monster respawns fresh). */
void cw_combat_app_despawn(cw_server *s);
void cw_combat_app_reload(cw_server *s);
void cw_combat_app_tick(cw_server *s, uint64_t now_ns);
/* An entity is about to leave the world: frees its combatant. */
void cw_combat_app_forget(cw_server *s, cw_entity *e);
/* Before the world is freed. */
void cw_combat_app_free(cw_server *s);

/* Internal between combat_app.c and ops_combat.c. */
const cw_skill_def *cw_combat_skill_find(cw_combat_app *a, const char *id);
/* The entity's combatant (created for players on first use), or NULL. */
cw_combatant *cw_combat_of(cw_server *s, cw_entity *e);
/* Checks range, line of sight and safe areas between two entities: NULL when
 * the skill may go off, else the error code. */
const char *cw_combat_reach(cw_combat_app *a, const cw_entity *from, const cw_entity *to,
                            const cw_skill_def *sk);
/* Lands one hit: rolls, applies, sends `hit` to everyone who sees either
 * side, then handles a death. */
int cw_combat_land(cw_server *s, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                   uint64_t now_ns);
/* A death: `death` to observers, then monster rewards/respawn or the player's respawn timer. */
void cw_combat_died(cw_server *s, cw_entity *killer, cw_entity *victim, uint64_t now_ns);
/* Sends the frame in a->frame to every player who sees e1 or e2 (and to them). */
void cw_combat_broadcast(cw_combat_app *a, cw_server *s, cw_entity *e1, cw_entity *e2);

void cw_op_attack(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_cast(cw_server *s, struct cw_conn *c, const struct cw_request *req);

/* Queues a gold change for a loaded character through the group commit
 * (admin_store.c); the player gets `gold` once committed. *token set. */
int cw_grant_queue(cw_server *s, cw_player *p, int64_t delta, const char *reason, uint64_t *token);

#endif
