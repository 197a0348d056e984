/* hit.h — one hit: the ten steps of spec/combat.md as a pure function.
 *
 * Owns nothing. cw_combat_hit() reads the content, two actors' combat stats,
 * the defender's pools and shields, a skill and a seed, and fills a record.
 * It allocates nothing, keeps no state and writes only *out, so the same
 * inputs give the same record bit for bit (a fight replays from its log).
 * cw_combat_hit_apply() then subtracts the record from the defender's pools.
 *
 * Inputs are sanitized here, at the boundary: every double is made finite
 * (NaN -> 0, ±inf and anything beyond ±1e12 clamped to ±1e12), multipliers to
 * [-1e6, 1e6], so no input can produce a NaN or infinite output. Indices
 * (elements, damage type, counts) are validated: CW_EINVAL with a message.
 *
 * cw_combat_hit_prepared() takes actors prepared once (cw_combat_fighter):
 * the per-stat sanitizing then happens when the fighter is filled, not per hit.
 *
 * Randomness, "stream v1" (rng.h): key = cw_rng_stream_key over the five words
 * (server_seed, tick, attacker_id, target_id, skill_id), in that order, and
 * exactly five 64-bit draws x = cw_rng_stream_draw(key, i), i = 0..4, are
 * taken, always, in the spec's order:
 *   rolls[0] hit          u = (x >> 11)·2^-53 in [0, 1);  hit  if u < p_hit
 *   rolls[1] crit         same;                            crit if hit and u < p_crit
 *   rolls[2] base damage  u = (x >> 11)/(2^53 − 1) in [0, 1]; BD = min + (max − min)·u
 *   rolls[3] crit size    drawn and recorded, unused: CM is the deterministic
 *                         1 + 2σ(k·(crit_damage − crit_damage_resist)/S)
 *   rolls[4] status       u in [0, 1); applied if u < p_status (and hit, if required)
 * Draws never depend on earlier outcomes, so adding a status to a skill never
 * shifts the other rolls. */
#ifndef CW_SIM_COMBAT_HIT_H
#define CW_SIM_COMBAT_HIT_H

#include <stdint.h>

#include "core/sim/combat/content.h"
#include "core/sim/combat/resources.h"

#define CW_COMBAT_MAX_MULTIPLIERS 8
#define CW_COMBAT_MULT_LIMIT 1e6
#define CW_COMBAT_ELEMENT_ATTACKER (-1) /* skill.element: use the attacker's */
#define CW_COMBAT_ROLLS 5

/* A stat as the contest reads it: omni + elem[attack element]. */
typedef struct cw_combat_stat {
    double omni;
    double elem[CW_COMBAT_MAX_ELEMENTS];
} cw_combat_stat;

/* A context pack (spec/stats.md): base × (1 + additive_percent) × Π multipliers + post_add. */
typedef struct cw_combat_pack {
    double additive_percent;
    double post_add;
    int n_multipliers;
    double multipliers[CW_COMBAT_MAX_MULTIPLIERS];
} cw_combat_pack;

typedef struct cw_combat_actor {
    int element; /* own element: the defender's matrix column */
    cw_combat_stat accuracy, evasion;
    cw_combat_stat power, defense;
    cw_combat_stat crit_rate, crit_resist;
    cw_combat_stat crit_damage, crit_damage_resist;
    cw_combat_stat status_power, status_resist;
    cw_combat_stat status_duration, status_duration_resist;
    cw_combat_stat status_intensity, status_intensity_resist;
    cw_combat_stat mastery;
    cw_combat_pack damage;       /* read when attacking */
    cw_combat_pack damage_taken; /* read when defending */
} cw_combat_actor;

typedef struct cw_combat_status {
    double duration_base, duration_max;
    double intensity_base, intensity_max;
    uint8_t requires_hit;
} cw_combat_status;

typedef struct cw_combat_skill {
    double base_min, base_max; /* BD rolled uniformly in [min, max] (max < min reads as min) */
    double scaling;            /* PP = power × scaling */
    double flat;               /* part of AD: ignores defense */
    double penetration;        /* clamped to [0, 0.8] */
    int element;               /* attack element, or CW_COMBAT_ELEMENT_ATTACKER */
    int damage_type;
    uint8_t true_damage;
    uint8_t has_status;
    cw_combat_status status;
} cw_combat_skill;

typedef struct cw_combat_seed {
    uint64_t server_seed, tick, attacker_id, target_id, skill_id;
} cw_combat_seed;

typedef struct cw_combat_hit_record {
    uint8_t hit, crit, killed, true_damage, status_applied;
    int element;     /* attack element used */
    int damage_type; /* -1 for true damage */
    double rolls[CW_COMBAT_ROLLS];
    double p_hit, p_crit, p_status;
    double bd, pp, def, pre;
    double matrix; /* the element matrix factor (1 for true damage) */
    double m;      /* matrix × (1 + Σ additive_percent) × Π multipliers */
    double cm;     /* crit size; applied only when crit */
    double mb, ad;
    double penetration; /* after the clamp */
    double damage;      /* after the clamp to [0, max_hit]; 0 on a miss */
    double absorbed;    /* total */
    int n_shields;
    double absorbed_by[CW_COMBAT_MAX_SHIELDS]; /* per shield, by position in pools */
    int n_resources;
    double resource[CW_COMBAT_MAX_RESOURCES]; /* damage per resource, after overflow */
    double overflow;                          /* part moved to hp by exhausted resources */
    double status_duration, status_intensity;
} cw_combat_hit_record;

/* A prepared actor: a cw_combat_actor sanitized once, laid out for the hit.
 * Filled by cw_combat_fighter_prepare() when the actor's stats change (not per
 * hit). Each stat is stored as its sanitized omni + sanitized elem[e], for
 * every element e, grouped by side: att[e] holds the eight stats the actor
 * reads when attacking with element e, def[e] the eight it reads when hit by
 * element e — so a hit loads one 64-byte row from each actor instead of ~16
 * scattered cache lines from each 2.2 KB cw_combat_actor. Both packs are
 * reduced to (sanitized additive, sanitized post_add, product of the
 * sanitized and clamped multipliers). Values are exactly what cw_combat_hit
 * computes from the actor, so both entry points give bit-identical records.
 * A plain value: copy it freely; refill it after changing the actor. */
#define CW_COMBAT_SIDE_STATS 8
enum { /* att[e][...] */
       CW_COMBAT_ATT_ACCURACY = 0,
       CW_COMBAT_ATT_CRIT_RATE,
       CW_COMBAT_ATT_CRIT_DAMAGE,
       CW_COMBAT_ATT_POWER,
       CW_COMBAT_ATT_MASTERY,
       CW_COMBAT_ATT_STATUS_POWER,
       CW_COMBAT_ATT_STATUS_DURATION,
       CW_COMBAT_ATT_STATUS_INTENSITY,
};
enum { /* def[e][...] */
       CW_COMBAT_DEF_EVASION = 0,
       CW_COMBAT_DEF_CRIT_RESIST,
       CW_COMBAT_DEF_CRIT_DAMAGE_RESIST,
       CW_COMBAT_DEF_DEFENSE,
       CW_COMBAT_DEF_MASTERY,
       CW_COMBAT_DEF_STATUS_RESIST,
       CW_COMBAT_DEF_STATUS_DURATION_RESIST,
       CW_COMBAT_DEF_STATUS_INTENSITY_RESIST,
};

typedef struct cw_combat_fighter {
    double att[CW_COMBAT_MAX_ELEMENTS][CW_COMBAT_SIDE_STATS];
    double def[CW_COMBAT_MAX_ELEMENTS][CW_COMBAT_SIDE_STATS];
    double damage_add, damage_post, damage_product; /* pack `damage` */
    double taken_add, taken_post, taken_product;    /* pack `damage_taken` */
    int element;                                    /* checked against the content per hit */
} cw_combat_fighter;

/* Fills f from a. Returns 0, or CW_EINVAL (NULL argument, a pack with a
 * multiplier count outside [0, CW_COMBAT_MAX_MULTIPLIERS]) with f zeroed. */
int cw_combat_fighter_prepare(cw_combat_fighter *f, const cw_combat_actor *a, cw_error *err);

/* Computes one hit. def_pools: the defender's pools and shields (read only).
 * Returns 0, or CW_EINVAL (NULL argument, element/damage type out of range,
 * bad counts) with *out zeroed. */
int cw_combat_hit(const cw_combat_content *c, const cw_combat_actor *atk,
                  const cw_combat_actor *def, const cw_combat_pools *def_pools,
                  const cw_combat_skill *skill, const cw_combat_seed *seed,
                  cw_combat_hit_record *out, cw_error *err);

/* The same hit from prepared actors: the same validation of content, elements,
 * damage type and shields, the same record bit for bit as cw_combat_hit() on
 * the actors the fighters were prepared from. The fast path for a server
 * that keeps fighters next to its actors. */
int cw_combat_hit_prepared(const cw_combat_content *c, const cw_combat_fighter *atk,
                           const cw_combat_fighter *def, const cw_combat_pools *def_pools,
                           const cw_combat_skill *skill, const cw_combat_seed *seed,
                           cw_combat_hit_record *out, cw_error *err);

/* Applies a record: each shield loses its absorbed_by, each pool its resource
 * damage, clamped to [0, max]. Death is noticed by the next pools tick (step 4).
 * Returns CW_EINVAL if the record's shape does not match the pools. */
int cw_combat_hit_apply(cw_combat_pools *p, const cw_combat_content *c,
                        const cw_combat_hit_record *rec, cw_error *err);

/* Fills an actor with zero stats, element 0, neutral packs. */
void cw_combat_actor_init(cw_combat_actor *a);
/* Fills a skill: base 0..0, scaling 1, physical-like type 0, element of the attacker. */
void cw_combat_skill_init(cw_combat_skill *s);

#endif
