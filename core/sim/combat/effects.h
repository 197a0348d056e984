/* effects.h — effects over time: DoT/HoT and crowd-control diminishing returns.
 *
 * Owns: cw_combat_dot (one running damage- or heal-over-time) and cw_combat_dr
 * (one actor's DR tracker over the content's categories). Both are plain
 * structs the caller owns; nothing allocates.
 *
 * DoT/HoT rule (documented in docs/combat.md):
 *  - the magnitude per tick is snapshotted when applied (later stat changes
 *    do not touch it); ticks come every `period` seconds after application;
 *  - on expiry, the unfinished partial tick pays magnitude × elapsed/period,
 *    so the total over a run is magnitude × duration / period;
 *  - refresh (pandemic): new remaining = new duration + min(old remaining,
 *    CW_COMBAT_PANDEMIC × new duration); the time to the next tick is kept
 *    (the partial tick carries over); the magnitude becomes the new snapshot.
 *
 * DR rule: per category, the n-th application inside the window gets
 * steps[n] (demo stun 1, 1/2, 1/4), past the last step it is immune (factor
 * 0). Each non-immune application restarts the `reset` window; when `now`
 * reaches the window's end the count starts over. Immune tries do not extend
 * the window.
 *
 * Errors: 0 or a negative CW_E* with a message; on error nothing changes. */
#ifndef CW_SIM_COMBAT_EFFECTS_H
#define CW_SIM_COMBAT_EFFECTS_H

#include <stdint.h>

#include "core/sim/combat/content.h"

#define CW_COMBAT_PANDEMIC 0.3
#define CW_COMBAT_MIN_PERIOD 0.01 /* seconds: bounds the work of one advance */

typedef struct cw_combat_dot {
    double magnitude;     /* per full tick, snapshotted */
    double period;        /* seconds between ticks */
    double remaining;     /* seconds of effect left */
    double to_next;       /* seconds until the next tick */
    double base_duration; /* of the last application */
    uint8_t active;
} cw_combat_dot;

/* Starts (or restarts from scratch): period >= CW_COMBAT_MIN_PERIOD, duration >= 0. */
int cw_combat_dot_start(cw_combat_dot *d, double magnitude, double period, double duration,
                        cw_error *err);
/* Pandemic refresh of a running effect (starts it if inactive, with its period). */
int cw_combat_dot_refresh(cw_combat_dot *d, double magnitude, double duration, cw_error *err);
/* Advances by dt seconds (>= 0). Returns the amount paid out in that time;
 * *ticks (may be NULL) gets the number of ticks, a final partial one included. */
double cw_combat_dot_advance(cw_combat_dot *d, double dt, int *ticks);

typedef struct cw_combat_dr {
    uint8_t count[CW_COMBAT_MAX_DR];
    double window_end[CW_COMBAT_MAX_DR];
} cw_combat_dr;

void cw_combat_dr_init(cw_combat_dr *dr);
/* Applies one control of category cat at time now: *factor gets the duration
 * factor (0 = immune) and the tracker advances. */
int cw_combat_dr_apply(cw_combat_dr *dr, const cw_combat_content *c, int cat, double now,
                       double *factor, cw_error *err);
/* The factor the next application would get, without recording it. */
int cw_combat_dr_peek(const cw_combat_dr *dr, const cw_combat_content *c, int cat, double now,
                      double *factor, cw_error *err);

#endif
