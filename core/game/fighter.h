/* fighter.h — an entity's combat state built from the stat engine: stat
 * lists from content (race, job, monster `stats = {...}` tables) become FLAT
 * contributions of named sources on a cw_stats_actor; the resolved snapshot
 * fills the combat fighter (cw_combat_fighter) and the pools (hp, mp).
 * Also the compiled skill definition (`skill{}` of content).
 *
 * Stat names read from the snapshot (primary list; missing = the default):
 *   hp_max (100), mp_max (50), power, defense, accuracy, evasion, crit_rate,
 *   crit_resist, crit_damage, crit_damage_resist, mastery (0), move_speed (0 =
 *   "not given"). Offence/defence stats are omni (every element).
 *
 * Ownership: a cw_combatant owns its stats actor (cw_combatant_free); the
 * registry and combat content are borrowed and must outlive it. Functions
 * return 0 or a negative CW_E* with a message in the optional err; on error
 * the combatant is left freed/zeroed (init) or unchanged (others). */
#ifndef CW_GAME_FIGHTER_H
#define CW_GAME_FIGHTER_H

#include "core/base/err.h"
#include "core/sim/combat/combat.h"
#include "core/sim/stats/stats.h"

#include <stdint.h>

#define CW_FIGHTER_MAX_STATS 24
#define CW_FIGHTER_STAT_NAME 32
#define CW_FIGHTER_DEFAULT_HP 100.0
#define CW_FIGHTER_DEFAULT_MP 50.0

typedef struct cw_stat_kv {
    char name[CW_FIGHTER_STAT_NAME];
    double value;
} cw_stat_kv;

/* A content `stats = {...}` table: FLAT contributions of one source. */
typedef struct cw_stat_list {
    int n;
    cw_stat_kv v[CW_FIGHTER_MAX_STATS];
} cw_stat_list;

/* Appends name=value. CW_ELIMIT when full, CW_EINVAL for a bad name or value. */
int cw_stat_list_add(cw_stat_list *l, const char *name, double value);

typedef struct cw_fighter_numbers {
    double hp_max, mp_max;
    double power, defense, accuracy, evasion;
    double crit_rate, crit_resist, crit_damage, crit_damage_resist, mastery;
    double move_speed;
} cw_fighter_numbers;

/* A skill as compiled from content. */
typedef struct cw_skill_def {
    char id[64];
    uint32_t num; /* > 0, stable within a generation: the seed's skill word, cooldown key */
    cw_combat_skill sk;
    double range, cooldown, cast_time, mp_cost;
} cw_skill_def;

/* One entity's fight state. */
typedef struct cw_combatant {
    cw_stats_actor *actor; /* owned */
    cw_fighter_numbers num;
    cw_combat_fighter f;
    cw_combat_pools pools;
    cw_combat_cooldowns cds;
    int dead;
    uint64_t dead_ns;
    void *owner; /* monsters: the cw_monster; players: NULL */
    /* a cast in progress (cast_time > 0): its skill by id, looked up again
     * when it lands (a reload may have changed or removed it) */
    int casting;
    char cast_skill[64];
    int64_t cast_target;
    uint64_t cast_land_ns;
    double cast_x, cast_y;
} cw_combatant;

/* Sets source `source` of a to l's values as FLAT contributions (replacing it). */
int cw_fighter_set_source(cw_stats_actor *a, const char *source, const cw_stat_list *l,
                          cw_error *err);
/* The same with FLAT (flat) and MULT (mult: value v multiplies by 1 + v)
 * contributions; either list may be NULL. */
int cw_fighter_set_source_mult(cw_stats_actor *a, const char *source, const cw_stat_list *flat,
                               const cw_stat_list *mult, cw_error *err);
/* Resolves a and reads the numbers (defaults for missing stats). */
int cw_fighter_numbers_of(cw_stats_actor *a, cw_fighter_numbers *out, cw_error *err);
/* Fills a combat fighter from the numbers (omni stats, element 0). */
int cw_fighter_build(const cw_fighter_numbers *n, cw_combat_fighter *f, cw_error *err);

/* Creates cb's actor in reg with n sources (names[i] ← lists[i]), resolves,
 * builds the fighter and fills the pools to full. */
int cw_combatant_init(cw_combatant *cb, cw_stats_registry *reg, const cw_combat_content *c,
                      const char *const *names, const cw_stat_list *const *lists, int n,
                      cw_error *err);
/* Re-resolves after a source changed; pools keep current (clamped to the new max). */
int cw_combatant_refresh(cw_combatant *cb, const cw_combat_content *c, cw_error *err);
/* Full hp and mp, alive, no cast, cooldowns cleared. */
void cw_combatant_restore(cw_combatant *cb, const cw_combat_content *c);
void cw_combatant_free(cw_combatant *cb);
double cw_combatant_hp(const cw_combatant *cb, const cw_combat_content *c);

#endif
