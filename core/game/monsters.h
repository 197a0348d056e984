/* monsters.h — the monsters of the live world and their behaviour per tick.
 *
 * A monster is spawned from a definition (content `monster{}`) at a home
 * point (a zone's `spawns`). States:
 *   IDLE    at home; aggroes on the nearest targetable player within `aggro`
 *   CHASE   steps toward its target at move_speed (cw_world_relocate, so
 *           observers get `move`), attacks when within its skill's range and
 *           off cooldown (attack hook)
 *   RETURN  farther than `leash` from home, or the target is gone / dead /
 *           in a safe area: walks home, restored to full hp at once; IDLE there
 *   DEAD    killed (cw_monsters_killed): its entity stays as a corpse for
 *           corpse_s (observers then get `leave`), and it respawns at home with
 *           full hp `respawn` seconds after death (observers get `enter`;
 *           the respawned monster has a new entity id; cw_monsters_on_respawn's
 *           function is called). A monster spawned with `once` set does not come back: it
 *           is removed when its corpse leaves.
 * Monsters never step into a safe area, onto a blocked place or a portal.
 *
 * Contributors: the first CW_MONSTER_MAX_KILLERS distinct characters that hit
 * a monster in one life are remembered with the damage each dealt
 * (cw_monster_hit_by); a character beyond that is not recorded (no share,
 * no reward), and its damage is not counted.
 *
 * Removal (cw_monsters_remove) during cw_monsters_tick — from a hook — is
 * safe: the entity leaves at once, the memory goes at the end of the tick.
 *
 * Times are passed in (ns); nothing reads a clock. Loop thread only.
 * Ownership: cw_monsters owns its monsters (each with its cw_combatant) and
 * borrows the world, the stats registry and the combat content, which must
 * outlive it. Each monster's entity has data = &m->cb. Functions return 0 or
 * a negative CW_E*. */
#ifndef CW_GAME_MONSTERS_H
#define CW_GAME_MONSTERS_H

#include "core/game/fighter.h"
#include "core/game/world.h"

#include <stdint.h>

#define CW_MONSTER_CORPSE_S 2.0
#define CW_MONSTER_MAX_KILLERS 16
#define CW_MONSTER_GROUP_MAX 96

typedef struct cw_monster_def {
    char id[64];
    char name[CW_ENTITY_NAME_MAX + 1];
    cw_stat_list stats;
    const cw_skill_def *skill; /* first skill (borrowed; NULL: never attacks) */
    double respawn_s, aggro, leash, move_speed;
    int64_t exp, gold_min, gold_max;
} cw_monster_def;

typedef enum {
    CW_MON_IDLE = 0,
    CW_MON_CHASE,
    CW_MON_RETURN,
    CW_MON_DEAD,
} cw_mon_state;

typedef struct cw_monster {
    cw_monster_def def; /* a copy */
    int zone;
    double home_x, home_y;
    cw_mon_state state;
    int64_t entity; /* 0 while despawned */
    int64_t target; /* entity id while chasing */
    uint64_t ready_ns, died_ns, last_ns;
    int64_t killers[CW_MONSTER_MAX_KILLERS]; /* character ids that hit it since (re)spawn */
    double dealt[CW_MONSTER_MAX_KILLERS];    /* hp each of them took off it */
    int nkillers;
    cw_combatant cb;
    char zone_id[CW_ZONE_ID_MAX + 1]; /* its zone's id (the index may change on reload) */
    char group[CW_MONSTER_GROUP_MAX]; /* the owner's key for its spawn group ("": none) */
    int once;                         /* 1: never respawns */
    int removed;                      /* removed during a tick: freed at its end */
} cw_monster;

typedef struct cw_monster_hooks {
    void *ud;
    /* m attacks target with m->def.skill; 0 when the attack went off (the
     * cooldown starts), else it is retried next tick. May kill the target. */
    int (*attack)(void *ud, cw_monster *m, cw_entity *self, cw_entity *target, uint64_t now_ns);
    /* 1 when player p may be aggroed on / chased (alive, …). NULL: always. */
    int (*targetable)(void *ud, const cw_entity *p);
} cw_monster_hooks;

typedef struct cw_monsters cw_monsters;

cw_monsters *cw_monsters_new(cw_world *w, cw_stats_registry *reg, const cw_combat_content *c,
                             const cw_monster_hooks *h); /* NULL when out of memory */
/* fn(hooks.ud, m, e) when m comes back after its death as entity e. */
void cw_monsters_on_respawn(cw_monsters *ms, void (*fn)(void *ud, cw_monster *m, cw_entity *e));
/* Frees every monster; their entities are removed from the world first
 * (observers get `leave`) unless the world is already gone (world_gone). */
void cw_monsters_free(cw_monsters *ms, int world_gone);
/* Removes every monster (entities leave the world). */
void cw_monsters_clear(cw_monsters *ms);
/* Spawns one monster now at (x,y) of zone zi (must be standable). */
int cw_monsters_add(cw_monsters *ms, const cw_monster_def *def, int zi, double x, double y,
                    uint64_t now_ns, cw_error *err);
/* The same, handing back the new monster (owned by ms). */
int cw_monsters_spawn(cw_monsters *ms, const cw_monster_def *def, int zi, double x, double y,
                      uint64_t now_ns, cw_monster **out, cw_error *err);
/* Removes one monster: its entity leaves the world (observers get `leave`)
 * and it is freed (at the end of the tick when called from a hook). */
void cw_monsters_remove(cw_monsters *ms, cw_monster *m);
void cw_monsters_tick(cw_monsters *ms, uint64_t now_ns);
/* m turns on player entity `target` now, as if it had aggroed on it: it
 * chases and attacks it from the next tick. CW_ESTATE when m is dead;
 * CW_EINVAL when target could not be chased (not a player in m's zone, in a
 * safe area, beyond m's leash from home, or not targetable). */
int cw_monster_provoke(cw_monsters *ms, cw_monster *m, int64_t target);
/* The monster whose (live or corpse) entity is id, or NULL. */
cw_monster *cw_monsters_of(cw_monsters *ms, int64_t entity);
/* Remembers a character that hit m and the hp it took off (for rewards). */
void cw_monster_hit_by(cw_monster *m, int64_t char_id, double damage);
/* m died at now_ns: DEAD, corpse then respawn (see above). */
void cw_monsters_killed(cw_monsters *ms, cw_monster *m, uint64_t now_ns);
int cw_monsters_count(const cw_monsters *ms);
cw_monster *cw_monsters_at(cw_monsters *ms, int i);

#endif
