/* skills.h — what the server enforces before a skill goes off: cooldowns,
 * cast times and costs.
 *
 * Owns: cw_combat_cooldowns, a fixed-capacity per-actor table keyed by skill
 * id (a plain struct the caller owns; nothing allocates). Times are seconds
 * on the caller's clock (server time), passed in: nothing here reads a clock.
 *
 * Errors: 0 or a negative CW_E* with a message in the optional cw_error:
 * CW_ESTATE "not ready" (cooldown running, cast not finished), CW_ELIMIT "not
 * enough <resource>" or table full, CW_EINVAL bad argument. On any error
 * nothing changes (cost spending is all or nothing). */
#ifndef CW_SIM_COMBAT_SKILLS_H
#define CW_SIM_COMBAT_SKILLS_H

#include <stdint.h>

#include "core/sim/combat/content.h"
#include "core/sim/combat/resources.h"

#define CW_COMBAT_MAX_COOLDOWNS 64
#define CW_COMBAT_MAX_COSTS 4
/* Slack for cast completion: a client's "done" a little early is accepted. */
#define CW_COMBAT_CAST_TOLERANCE 0.05

typedef struct cw_combat_cooldown {
    uint32_t skill;
    double ready_at;
} cw_combat_cooldown;

typedef struct cw_combat_cooldowns {
    int n;
    cw_combat_cooldown e[CW_COMBAT_MAX_COOLDOWNS];
} cw_combat_cooldowns;

typedef struct cw_combat_cost {
    int resource;
    double amount; /* >= 0 */
} cw_combat_cost;

void cw_combat_cooldowns_init(cw_combat_cooldowns *cd);
/* Seconds until skill is ready at `now` (0 when ready or unknown). */
double cw_combat_cooldown_remaining(const cw_combat_cooldowns *cd, uint32_t skill, double now);
/* 0 when ready, CW_ESTATE while cooling down. */
int cw_combat_cooldown_check(const cw_combat_cooldowns *cd, uint32_t skill, double now,
                             cw_error *err);
/* Starts a cooldown: ready again at now + seconds. Expired entries are reused;
 * CW_ELIMIT when CW_COMBAT_MAX_COOLDOWNS are all running. */
int cw_combat_cooldown_start(cw_combat_cooldowns *cd, uint32_t skill, double now, double seconds,
                             cw_error *err);

/* A cast begun at `started` with `cast_time` seconds is complete at `now` when
 * now >= started + cast_time − CW_COMBAT_CAST_TOLERANCE. 0 or CW_ESTATE. */
int cw_combat_cast_check(double started, double cast_time, double now, cw_error *err);

/* 0 when the pools can pay every cost (current >= amount), else CW_ELIMIT. */
int cw_combat_cost_check(const cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_cost *costs, int n, cw_error *err);
/* Checks, then subtracts every cost; all or nothing. */
int cw_combat_cost_spend(cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_cost *costs, int n, cw_error *err);

/* The whole gate in one call: cooldown ready, costs payable; then spends the
 * costs and starts the cooldown. All or nothing. */
int cw_combat_skill_use(cw_combat_cooldowns *cd, cw_combat_pools *p, const cw_combat_content *c,
                        uint32_t skill, double now, double cooldown, const cw_combat_cost *costs,
                        int n, cw_error *err);

#endif
