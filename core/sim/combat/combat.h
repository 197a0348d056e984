/* combat.h — the combat core (spec/combat.md): one include for all of it.
 *
 *   content.h    content tables (elements, matrix, curves, resources, damage
 *                types, thresholds, DR categories, max_hit), demo defaults, σ
 *   hit.h        one hit: pure, allocation-free, seeded (the ten steps)
 *   resources.h  pools and shields over time: the tick, regen gating, decay,
 *                offline catch-up, exhaustion thresholds and their events
 *   effects.h    DoT/HoT with pandemic refresh; CC diminishing returns
 *   skills.h     cooldown table, cast-time check, cost check-and-spend
 *
 * Ownership: every type is a plain fixed-size struct owned by the caller; the
 * library keeps no state, no globals, and never allocates. Errors: functions
 * that can fail return 0 or a negative CW_E* (core/base/err.h) and fill the
 * optional cw_error. Inputs are sanitized at each entry point so NaN or
 * infinite values never produce a NaN or infinite output. */
#ifndef CW_SIM_COMBAT_COMBAT_H
#define CW_SIM_COMBAT_COMBAT_H

#include "core/sim/combat/content.h"
#include "core/sim/combat/effects.h"
#include "core/sim/combat/hit.h"
#include "core/sim/combat/resources.h"
#include "core/sim/combat/skills.h"

#endif
