/* skills.c — cooldown table, cast-time check, cost check-and-spend. */
#include "core/sim/combat/skills.h"

#include <math.h>
#include <string.h>

void cw_combat_cooldowns_init(cw_combat_cooldowns *cd)
{
    memset(cd, 0, sizeof *cd);
}

static int find(const cw_combat_cooldowns *cd, uint32_t skill)
{
    for (int i = 0; i < cd->n; i++)
        if (cd->e[i].skill == skill) return i;
    return -1;
}

double cw_combat_cooldown_remaining(const cw_combat_cooldowns *cd, uint32_t skill, double now)
{
    int i = find(cd, skill);
    if (i < 0) return 0;
    double left = cd->e[i].ready_at - now;
    return left > 0 ? left : 0;
}

int cw_combat_cooldown_check(const cw_combat_cooldowns *cd, uint32_t skill, double now,
                             cw_error *err)
{
    double left = cw_combat_cooldown_remaining(cd, skill, now);
    if (left > 0)
        return cw_error_set(err, CW_ESTATE, "skill %u on cooldown for %.3f s", skill, left);
    return 0;
}

int cw_combat_cooldown_start(cw_combat_cooldowns *cd, uint32_t skill, double now, double seconds,
                             cw_error *err)
{
    if (!isfinite(now) || !isfinite(seconds) || seconds < 0)
        return cw_error_set(err, CW_EINVAL, "combat: cooldown needs finite now and seconds >= 0");
    int i = find(cd, skill);
    if (i < 0) {
        for (int k = 0; k < cd->n; k++)
            if (cd->e[k].ready_at <= now) {
                i = k;
                break;
            }
    }
    if (i < 0) {
        if (cd->n >= CW_COMBAT_MAX_COOLDOWNS)
            return cw_error_set(err, CW_ELIMIT, "combat: more than %d cooldowns running",
                                CW_COMBAT_MAX_COOLDOWNS);
        i = cd->n++;
    }
    cd->e[i].skill = skill;
    cd->e[i].ready_at = now + seconds;
    return 0;
}

int cw_combat_cast_check(double started, double cast_time, double now, cw_error *err)
{
    if (!isfinite(started) || !isfinite(cast_time) || !isfinite(now) || cast_time < 0)
        return cw_error_set(err, CW_EINVAL, "combat: cast times must be finite");
    double left = started + cast_time - CW_COMBAT_CAST_TOLERANCE - now;
    if (left > 0) return cw_error_set(err, CW_ESTATE, "cast not finished: %.3f s left", left);
    return 0;
}

int cw_combat_cost_check(const cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_cost *costs, int n, cw_error *err)
{
    if (!p || !c || (n > 0 && !costs) || n < 0 || n > CW_COMBAT_MAX_COSTS)
        return cw_error_set(err, CW_EINVAL, "combat: bad cost list");
    double need[CW_COMBAT_MAX_RESOURCES] = {0};
    for (int i = 0; i < n; i++) {
        int r = costs[i].resource;
        if (r < 0 || r >= c->n_resources)
            return cw_error_set(err, CW_EINVAL, "combat: cost resource %d out of range", r);
        if (!isfinite(costs[i].amount) || costs[i].amount < 0)
            return cw_error_set(err, CW_EINVAL, "combat: cost amounts must be >= 0");
        need[r] += costs[i].amount;
    }
    for (int r = 0; r < c->n_resources; r++)
        if (need[r] > 0 && !(cw_combat_sane(p->pool[r].current) >= need[r]))
            return cw_error_set(err, CW_ELIMIT, "not enough %s", c->resource[r].name);
    return 0;
}

int cw_combat_cost_spend(cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_cost *costs, int n, cw_error *err)
{
    int rc = cw_combat_cost_check(p, c, costs, n, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++) {
        cw_combat_pool *pl = &p->pool[costs[i].resource];
        double v = cw_combat_sane(pl->current) - costs[i].amount;
        pl->current = v > 0 ? v : 0;
    }
    return 0;
}

int cw_combat_skill_use(cw_combat_cooldowns *cd, cw_combat_pools *p, const cw_combat_content *c,
                        uint32_t skill, double now, double cooldown, const cw_combat_cost *costs,
                        int n, cw_error *err)
{
    if (!cd || !isfinite(cooldown) || cooldown < 0 || !isfinite(now))
        return cw_error_set(err, CW_EINVAL, "combat: skill_use needs a table and finite times");
    int rc = cw_combat_cooldown_check(cd, skill, now, err);
    if (!rc) rc = cw_combat_cost_check(p, c, costs, n, err);
    if (rc) return rc;
    /* Reserve the cooldown slot first: it is the only step that can still fail. */
    rc = cw_combat_cooldown_start(cd, skill, now, cooldown, err);
    if (rc) return rc;
    return cw_combat_cost_spend(p, c, costs, n, err);
}
