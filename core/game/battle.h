/* battle.h — the fight of the live world: skills, monsters and every
 * entity's combatant, the skill-use gate, hits, deaths, respawns, casts in
 * progress, timed stat sources (buffs), scripted spawns, and reloads that keep
 * what did not change. What happens is told through cw_battle_events, so the
 * app encodes frames and pays rewards, and scripts can listen and act.
 *
 *   battle.c          lifecycle, content (re)load, players, spawn/despawn
 *   battle_fight.c    the gate, hits, deaths, the tick (casts, respawns)
 *   battle_stats.c    buffs and other stat sources, reading stats
 *   battle_prog.c     progression: realms (REALM caps), known skills, the
 *                     players' `stats` change notices
 *   content_load.c    definitions JSON → tables (content_load.h)
 *
 * Content: cw_battle_reload takes the definitions as jansson objects
 * {id: def} per kind (skills, monsters, races, jobs, zones), as the script
 * host's cw_host_defs_json gives them. A reload keeps every monster whose
 * template is unchanged (equal JSON) and whose spawn group still exists
 * (same definition in the same zone): same entity, hp and state. Monsters of
 * changed or removed templates or groups leave; changed ones and new groups
 * spawn fresh. Scripted monsters stay while their template is unchanged,
 * respawn fresh at their home when it changed, leave when it is gone. Players'
 * `race` and `job` sources are rebuilt. A cast in progress names its skill by
 * id: it lands with the skill as it is then, or fails with "skill_removed".
 *
 * Players join explicitly (cw_battle_join, with race and job ids) and leave
 * with cw_battle_forget; monsters get their combatant from cw_monsters. An
 * entity's data points at its cw_combatant (owned here).
 *
 * Stat sources of an actor: `race`, `job` (players, from content), `monster`
 * (monsters, from content), `level` (cw_battle_set_source, the rules' level
 * curve) and buffs (cw_battle_buff_add, any other name). Buffs end when they
 * expire (at a tick), when removed, and when their bearer dies or leaves.
 *
 * Progression: each realm{} of the content gives its `caps` as REALM-scoped
 * HARD_MAX caps (shared caps of the registry, source "realm"); a player's
 * actor is put in a realm with cw_battle_set_realm. A player may carry a
 * known-skills set (cw_battle_set_known_skills): the gate then refuses other
 * skills with "skill_unknown"; without a set every skill is known.
 *
 * Events (every callback optional) are called synchronously from the call
 * that caused them (an op, the tick). A callback may spawn, despawn and set
 * buffs; it must not free the battle or reload. Pointers handed to a callback
 * are valid only during it.
 *
 * Times are passed in (ns); nothing reads a clock, nothing does I/O. Loop
 * thread only. Ownership: cw_battle owns the stats registry, the combat
 * content (cw_combat_content_demo), the skill table, the monsters and every
 * combatant; it borrows the cw_world, which must outlive it. Functions return
 * 0 or a negative CW_E* with a message in the optional err. */
#ifndef CW_GAME_BATTLE_H
#define CW_GAME_BATTLE_H

#include "core/base/err.h"
#include "core/game/fighter.h"
#include "core/game/monsters.h"
#include "core/game/world.h"

#include <jansson.h>
#include <stdint.h>

#define CW_BATTLE_PLAYER_RESPAWN_S 3.0
#define CW_BATTLE_SOURCE_MAX 63 /* longest buff source name */

typedef struct cw_battle cw_battle;

/* One character that hit a monster in the life that just ended. */
typedef struct cw_kill_share {
    int64_t char_id;
    double damage; /* hp it took off the monster */
    double share;  /* damage / the total of every contributor (0..1) */
} cw_kill_share;

/* A monster died. */
typedef struct cw_kill {
    int64_t victim;          /* the monster's (corpse) entity */
    const char *template_id; /* its monster{} id */
    int zone;                /* zone index, and id */
    const char *zone_id;
    double x, y;
    int64_t killer;      /* entity that landed the blow (0: none) */
    int64_t killer_char; /* its character id when a player, else 0 */
    const cw_kill_share *shares;
    int nshares; /* at most CW_MONSTER_MAX_KILLERS (see monsters.h) */
    double total;
    /* for the app's reward code: */
    cw_monster *monster;
    cw_entity *killer_entity; /* NULL: none */
    uint64_t now_ns;
} cw_kill;

typedef struct cw_battle_events {
    void *ud;
    /* a hit landed (or missed: rec->hit 0); hp_after is to's hp. */
    void (*hit)(void *ud, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                const cw_combat_hit_record *rec, double hp_after, int killed);
    /* an entity died (killer NULL: none). Then kill or player_died. */
    void (*death)(void *ud, cw_entity *victim, cw_entity *killer);
    void (*kill)(void *ud, const cw_kill *k);
    void (*player_died)(void *ud, cw_entity *victim, cw_entity *killer);
    /* a player or monster came back after its death (monsters: the new entity) */
    void (*respawn)(void *ud, cw_entity *e);
    /* a cast with a cast time did not land (reason: "moved", "bad_target",
     * "out_of_range", "no_line_of_sight", "safe_area", "skill_removed") */
    void (*cast_failed)(void *ud, cw_entity *e, const char *skill_id, const char *reason);
    /* a content spawn (reload) could not place a monster (the app logs it) */
    void (*spawn_failed)(void *ud, const char *zone_id, const char *template_id,
                         const cw_error *err);
    /* a player's resolved stats changed (a source, buff or realm; entering
     * the world is no change): called once per player from
     * cw_battle_flush_stats (and each tick), never from inside the call that
     * changed them */
    void (*stats)(void *ud, cw_entity *e);
    /* 1 when this process hosts zone_id (a cluster: zones other processes own
     * are not hosted). NULL: every zone is hosted. Content spawn groups spawn
     * only in hosted zones, cw_battle_spawn refuses the others, and
     * cw_battle_rehost applies a change of the answer. */
    int (*hosts)(void *ud, const char *zone_id);
} cw_battle_events;

typedef struct cw_battle_config {
    uint64_t seed;     /* the server seed: first word of every hit's stream */
    uint64_t epoch_ns; /* cooldowns count seconds from here */
    cw_battle_events ev;
} cw_battle_config;

/* The definitions of one content generation (each borrowed; NULL: none). */
typedef struct cw_battle_defs {
    json_t *skills, *monsters, *races, *jobs, *zones, *realms;
} cw_battle_defs;

int cw_battle_new(cw_world *w, const cw_battle_config *cfg, cw_battle **out, cw_error *err);
/* Frees everything; world_gone: the world is being freed, nobody is told
 * (else monsters leave and players' combatants are dropped). */
void cw_battle_free(cw_battle *b, int world_gone);

/* Loads a content generation (the first time, or a reload after the world's
 * zones were set): see the top. On error nothing changed. */
int cw_battle_reload(cw_battle *b, const cw_battle_defs *d, uint64_t now_ns, cw_error *err);
/* Optional, before the world's zones change: monsters that the reload to d
 * will not keep leave now, so no monster is carried by a zone change. */
void cw_battle_reload_prepare(cw_battle *b, const cw_battle_defs *d);

void cw_battle_set_player_respawn_s(cw_battle *b, double seconds); /* default 3 */

/* Creates the combatant of player entity e with its race and job sources.
 * CW_EINVAL when e is not a player; already joined: refreshed. */
int cw_battle_join(cw_battle *b, cw_entity *e, const char *race, const char *job, cw_error *err);
/* e is about to leave the world: its buffs and combatant go. */
void cw_battle_forget(cw_battle *b, cw_entity *e);

/* Keeps *flag equal to player e's dead state (1 dead, 0 alive): set now,
 * then at its death and its respawn, until cw_battle_forget(e) or the next
 * call for e (flag NULL: stop). The caller keeps flag valid meanwhile, or
 * stops first. So a hot path reads the state where it already is (the move
 * path: the cw_player it holds) instead of the combatant. No-op for an
 * entity that is no joined player. */
void cw_battle_watch_dead(cw_battle *b, cw_entity *e, uint8_t *flag);

/* e's combatant, or NULL (not joined, not a fighter). */
cw_combatant *cw_battle_combatant(const cw_battle *b, const cw_entity *e);
int cw_battle_is_dead(const cw_battle *b, const cw_entity *e);
const cw_skill_def *cw_battle_skill(const cw_battle *b, const char *id);
cw_monsters *cw_battle_monsters(cw_battle *b);
const cw_combat_content *cw_battle_content(const cw_battle *b);

/* ---- the skill-use gate ---- */

typedef enum cw_use_result {
    CW_USE_OK = 0,
    CW_USE_NOT_IN_WORLD,
    CW_USE_DEAD, /* the caster */
    CW_USE_UNKNOWN_SKILL,
    CW_USE_BAD_TARGET, /* no such monster, or in another zone */
    CW_USE_TARGET_DEAD,
    CW_USE_OUT_OF_RANGE,
    CW_USE_NO_LINE_OF_SIGHT,
    CW_USE_SAFE_AREA,
    CW_USE_BUSY,     /* a cast is in progress */
    CW_USE_COOLDOWN, /* seconds left in out->seconds */
    CW_USE_NO_RESOURCE,
    CW_USE_INTERNAL,
    CW_USE_SKILL_UNKNOWN, /* a skill the player's known-skills set lacks */
} cw_use_result;

typedef struct cw_skill_use {
    cw_use_result result;
    const char *code;    /* the protocol's error code ("dead", "cooldown", …); NULL when OK */
    const char *message; /* a human sentence; NULL when OK */
    double seconds;      /* COOLDOWN: seconds left; else -1 */
    const cw_skill_def *skill;
    double cast_time; /* OK: 0 = it landed now (its hit event already out), else it lands later */
} cw_skill_use;

/* Player e uses skill skill_id on monster target_id at now_ns: checks, in
 * order, the caster (in the world, alive), the skill, the target (a monster in
 * e's zone, alive) — after the skill, its known-skills set —, range, line of sight, safe areas, a
 * cast in progress, the cooldown and the mp cost. A refusal costs nothing; on success the cost is
 * spent, the cooldown starts and the hit lands now (cast_time 0) or at the first tick after
 * cast_time unless e moves. Returns out->result. */
cw_use_result cw_battle_use_skill(cw_battle *b, cw_entity *e, int64_t target_id,
                                  const char *skill_id, uint64_t now_ns, cw_skill_use *out);
/* Range, line of sight and safe areas between from and to for sk: NULL when
 * it may go off, else the code ("bad_target", "out_of_range",
 * "no_line_of_sight", "safe_area"). */
const char *cw_battle_reach(const cw_battle *b, const cw_entity *from, const cw_entity *to,
                            const cw_skill_def *sk);

/* Monster entity `monster` turns on player entity `target` (taunts, scripted
 * fights, chaosctl's offline world): cw_monster_provoke. CW_ENOTFOUND when
 * monster is not a monster; else as cw_monster_provoke. */
int cw_battle_provoke(cw_battle *b, int64_t monster, int64_t target);

/* Monsters, casts in progress, expired buffs, player respawns. */
void cw_battle_tick(cw_battle *b, uint64_t now_ns);

/* ---- scripted spawns ---- */

typedef struct cw_spawn_opts {
    int respawn; /* 1: comes back at its home after the template's respawn time */
} cw_spawn_opts;

/* Spawns one monster of template_id at (x, y) of zone zone_index now (opts
 * NULL: no respawn). CW_ENOTFOUND unknown template, CW_EINVAL bad zone or a
 * place that is not standable, CW_ESTATE a zone not hosted here (ev.hosts). *entity_id gets the new
 * entity. */
int cw_battle_spawn(cw_battle *b, const char *template_id, int zone_index, double x, double y,
                    uint64_t now_ns, const cw_spawn_opts *opts, int64_t *entity_id, cw_error *err);
/* The zones hosted here changed (ev.hosts answers differently): every
 * monster (content or scripted, live or corpse) of a zone no longer hosted
 * leaves (observers get `leave`), and the spawn groups of hosted zones that
 * have no monster spawn fresh. *gone and *spawned (optional) count them. */
void cw_battle_rehost(cw_battle *b, uint64_t now_ns, int *gone, int *spawned);
/* Removes a monster (live or corpse) for good: observers get `leave`.
 * CW_ENOTFOUND for an unknown or non-monster entity. A content monster
 * despawned this way comes back only if a reload respawns its group. */
int cw_battle_despawn(cw_battle *b, int64_t entity_id);

/* ---- stat sources and reading ---- */

/* A buff's contributions: FLAT values add, MULT values v multiply by (1 + v)
 * (docs/stats.md's pipeline). */
typedef struct cw_buff_stats {
    cw_stat_list flat, mult;
} cw_buff_stats;

/* Sets (or replaces) source `source` on entity_id's actor; seconds > 0: it
 * expires at the first tick at or after now + seconds; <= 0: until removed.
 * The actor is re-resolved at once (pools keep their current values, clamped
 * to the new maxima). CW_ENOTFOUND no such fighter, CW_ESTATE it is dead, CW_EINVAL a reserved
 * name ("race", "job", "level", "monster"), an empty or too long name, or a
 * bad value. */
int cw_battle_buff_add(cw_battle *b, int64_t entity_id, const char *source,
                       const cw_buff_stats *stats, double seconds, uint64_t now_ns, cw_error *err);
/* CW_ENOTFOUND when entity_id has no such buff. */
int cw_battle_buff_remove(cw_battle *b, int64_t entity_id, const char *source);
/* Sets the `level` source (FLAT; l NULL removes it). Only "level" is set this
 * way (CW_EINVAL otherwise); CW_ENOTFOUND no such fighter. */
int cw_battle_set_source(cw_battle *b, int64_t entity_id, const char *source, const cw_stat_list *l,
                         cw_error *err);

/* Calls fn(ud, name, value) for every stat of entity_id's resolved snapshot
 * (primary list, by dimension id). CW_ENOTFOUND no such fighter. */
int cw_battle_stats(cw_battle *b, int64_t entity_id,
                    void (*fn)(void *ud, const char *name, double value), void *ud);

/* ---- progression (battle_prog.c) ---- */

/* Puts entity_id's actor in realm realm_id (a realm{} id of the content;
 * NULL or "" for none): the REALM caps of that realm apply from now on, and
 * the actor is re-resolved (pools clamped). CW_ENOTFOUND no such fighter,
 * CW_EINVAL a realm the content does not define. */
int cw_battle_set_realm(cw_battle *b, int64_t entity_id, const char *realm_id, cw_error *err);
/* World-event caps: every stat of caps becomes an EVENT-scoped HARD_MAX cap
 * shared by every actor (a shared cap source named `source`, e.g.
 * "event:rat_tide"); caps NULL or empty removes the source (not an error when
 * it was not there). Every actor re-resolves on its next resolve. CW_EINVAL a
 * bad source or stat, CW_ENOMEM. */
int cw_battle_event_caps(cw_battle *b, const char *source, const cw_stat_list *caps, cw_error *err);
/* The realm of entity_id's actor (NULL: none or no fighter). */
const char *cw_battle_realm(const cw_battle *b, int64_t entity_id);
/* The skills player entity_id knows: ids[0..n) (copied; at most
 * CW_BATTLE_KNOWN_MAX). n < 0: no set, every skill is known (the default).
 * CW_ENOTFOUND not a joined player, CW_EINVAL a bad id or too many. */
#define CW_BATTLE_KNOWN_MAX 256
int cw_battle_set_known_skills(cw_battle *b, int64_t entity_id, const char *const *ids, int n,
                               cw_error *err);
/* 1 when player e may use skill_id (no set, or the set names it). */
int cw_battle_knows(const cw_battle *b, const cw_entity *e, const char *skill_id);
/* Calls ev.stats for every player whose resolved stats differ from those at
 * its last notice (or, the first time, at cw_battle_join). */
void cw_battle_flush_stats(cw_battle *b);
/* Appends {"ev":"stats","stats":{name: value, …},"hp":…,"hp_max":…,"mp":…,
 * "mp_max":…} of entity_id to out. CW_ENOTFOUND no such fighter, CW_ENOMEM. */
struct cw_strbuf;
int cw_battle_stats_json(cw_battle *b, int64_t entity_id, struct cw_strbuf *out);

typedef struct cw_vitals {
    double hp, hp_max, mp, mp_max;
    int dead;
} cw_vitals;
int cw_battle_vitals(const cw_battle *b, int64_t entity_id, cw_vitals *out);
/* Restores up to amount (>= 0, finite) hp to a living fighter, never past
 * its hp_max; *hp_out (optional) is its hp after. CW_ENOTFOUND no such
 * fighter, CW_ESTATE it is dead, CW_EINVAL a bad amount. */
int cw_battle_heal(cw_battle *b, int64_t entity_id, double amount, double *hp_out, cw_error *err);

#endif
