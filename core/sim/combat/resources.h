/* resources.h — an actor's pools and shields over time.
 *
 * Owns: cw_combat_pools, a plain fixed-size per-actor struct (pools indexed by
 * the content's resource index, shields, threshold trackers, death flag, a
 * local clock). The caller owns it; nothing here allocates.
 *
 * One tick (cw_combat_pools_tick) runs, in this order:
 *   1. incoming damage   typed[] raw damage by damage type, plus direct damage[]
 *   2. shields           typed damage is absorbed, lowest `order` first; then
 *                        each shield decays by decay·dt, never below 0
 *   3. pools             what passed is split by the damage type's table; a
 *                        resource that runs out passes its remainder to hp.
 *                        current + heal − damage, clamped once to [0, max]
 *   4. death             hp <= 0 → dead (a DEATH event); an hp max of 0 means
 *                        the actor has no hp and never dies
 *   5. regeneration      current += regen·dt, unless the pool is gated and the
 *                        actor is in combat; clamped to [0, max]
 *   6. percentages       ratio = current / max (0 when max <= 0)
 *   7. events            DEATH first, then threshold edges in the content's
 *                        event_order (by pool), thresholds in declaration order
 * While dead, steps 1, 3 and 5 are skipped (no damage, heal or regen) until
 * cw_combat_pools_revive().
 *
 * Thresholds: in when ratio <= enter, out when ratio >= exit. Only edges
 * count. The first edge after a quiet window fires at once and opens a window
 * of `window` seconds; edges inside it are merged: when the window has passed,
 * one event reports the state if it differs from the last reported one (its
 * `merged` field counts the extra edges folded in), otherwise nothing.
 *
 * Errors: 0 or a negative CW_E* code with a message in the optional cw_error;
 * on CW_EINVAL the pools are unchanged. */
#ifndef CW_SIM_COMBAT_RESOURCES_H
#define CW_SIM_COMBAT_RESOURCES_H

#include <stdint.h>

#include "core/sim/combat/content.h"

#define CW_COMBAT_MAX_SHIELDS 8
#define CW_COMBAT_MAX_EVENTS (CW_COMBAT_MAX_THRESHOLDS + 1)

typedef struct cw_combat_pool {
    double current, max, regen; /* regen per second (may be negative: a drain) */
} cw_combat_pool;

typedef struct cw_combat_shield {
    double amount; /* remaining */
    double decay;  /* per second */
    int32_t order; /* lowest absorbs first; ties by position */
    uint32_t id;   /* the caller's handle (skill or buff id) */
} cw_combat_shield;

typedef struct cw_combat_threshold_state {
    uint8_t state;     /* currently in */
    uint8_t reported;  /* state last reported by an event */
    int32_t merged;    /* edges since the last event */
    double window_end; /* local time when the coalescing window closes */
} cw_combat_threshold_state;

typedef struct cw_combat_pools {
    cw_combat_pool pool[CW_COMBAT_MAX_RESOURCES];
    int n_shields;
    cw_combat_shield shield[CW_COMBAT_MAX_SHIELDS];
    uint8_t dead;
    double time; /* seconds of ticks so far (coalescing windows use it) */
    double ratio[CW_COMBAT_MAX_RESOURCES];
    uint32_t content_version; /* of the content the trackers were settled with */
    cw_combat_threshold_state thr[CW_COMBAT_MAX_THRESHOLDS];
} cw_combat_pools;

typedef struct cw_combat_tick_in {
    double dt; /* seconds, >= 0 */
    uint8_t in_combat;
    double typed[CW_COMBAT_MAX_DAMAGE_TYPES]; /* raw damage by type: shields, then split */
    double damage[CW_COMBAT_MAX_RESOURCES];   /* direct damage per resource (no shields) */
    double heal[CW_COMBAT_MAX_RESOURCES];
} cw_combat_tick_in;

typedef enum { CW_COMBAT_EV_DEATH = 0, CW_COMBAT_EV_ENTER, CW_COMBAT_EV_EXIT } cw_combat_ev_kind;

typedef struct cw_combat_event {
    cw_combat_ev_kind kind;
    int threshold; /* content threshold index; -1 for DEATH */
    int resource;
    int merged; /* edges folded into this event beyond the one it reports */
    double ratio;
} cw_combat_event;

typedef struct cw_combat_events {
    int n;
    cw_combat_event ev[CW_COMBAT_MAX_EVENTS];
} cw_combat_events;

/* Zeroes p (all pools 0/0/0, no shields, alive). */
void cw_combat_pools_init(cw_combat_pools *p, const cw_combat_content *c);
/* After the caller has set pool values (or after a content change): recomputes
 * ratios and the threshold trackers from the current values without events. */
void cw_combat_pools_settle(cw_combat_pools *p, const cw_combat_content *c);
/* One tick as described above. out may be NULL (events dropped). */
int cw_combat_pools_tick(cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_tick_in *in, cw_combat_events *out, cw_error *err);
/* Offline catch-up: current += regen · min(seconds, offline_cap), clamped to
 * [0, max], for every pool (gating does not apply offline); shields decay by
 * decay · seconds. Skipped pools: none; a dead actor gains nothing. Then settles. */
int cw_combat_pools_offline(cw_combat_pools *p, const cw_combat_content *c, double seconds,
                            cw_error *err);
/* Clears the dead flag and sets hp to hp_value (clamped to [1, max]). */
void cw_combat_pools_revive(cw_combat_pools *p, const cw_combat_content *c, double hp_value);
/* Adds a shield; removes depleted ones first when full. CW_ELIMIT when full. */
int cw_combat_pools_add_shield(cw_combat_pools *p, double amount, double decay, int32_t order,
                               uint32_t id, cw_error *err);
/* Removes shields with amount <= 0, keeping the others' relative order. */
void cw_combat_pools_prune_shields(cw_combat_pools *p);
/* Sum of the shields' remaining amounts. */
double cw_combat_pools_shield_total(const cw_combat_pools *p);

/* Absorbs `amount` with the shields, lowest order first (ties by position).
 * Writes each shield's take into absorbed[n_shields] (may be NULL) and returns
 * the total absorbed. Reads the shields only; does not change them. */
double cw_combat_shields_absorb(const cw_combat_shield *s, int n, double amount, double *absorbed);

/* Splits `amount` over the resources by damage type dt: each non-hp resource
 * takes its share up to avail[r] (its current, if the caller passes pools'
 * currents) and the rest goes to hp; hp also takes its own share. out[r] gets
 * the per-resource damage; returns the part that overflowed to hp. */
double cw_combat_split(const cw_combat_content *c, int dt, double amount, const double *avail,
                       double *out);

#endif
