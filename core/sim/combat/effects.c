/* effects.c — DoT/HoT with pandemic refresh; CC diminishing returns. */
#include "core/sim/combat/effects.h"

#include <math.h>
#include <string.h>

#define EPS 1e-9

int cw_combat_dot_start(cw_combat_dot *d, double magnitude, double period, double duration,
                        cw_error *err)
{
    if (!isfinite(magnitude) || !isfinite(period) || !isfinite(duration))
        return cw_error_set(err, CW_EINVAL, "combat: dot values must be finite");
    if (period < CW_COMBAT_MIN_PERIOD || duration < 0)
        return cw_error_set(err, CW_EINVAL, "combat: dot needs period >= %g and duration >= 0",
                            CW_COMBAT_MIN_PERIOD);
    d->magnitude = cw_combat_sane(magnitude);
    d->period = period;
    d->remaining = duration;
    d->to_next = period;
    d->base_duration = duration;
    d->active = duration > 0;
    return 0;
}

int cw_combat_dot_refresh(cw_combat_dot *d, double magnitude, double duration, cw_error *err)
{
    if (!isfinite(magnitude) || !isfinite(duration) || duration < 0)
        return cw_error_set(err, CW_EINVAL, "combat: dot refresh needs finite values");
    if (!d->active) return cw_combat_dot_start(d, magnitude, d->period, duration, err);
    double carry =
        d->remaining < CW_COMBAT_PANDEMIC * duration ? d->remaining : CW_COMBAT_PANDEMIC * duration;
    d->magnitude = cw_combat_sane(magnitude);
    d->remaining = duration + carry;
    d->base_duration = duration;
    /* to_next is kept: the partial tick carries over. */
    d->active = d->remaining > 0;
    return 0;
}

double cw_combat_dot_advance(cw_combat_dot *d, double dt, int *ticks)
{
    double paid = 0;
    int n = 0;
    if (!(dt > 0) || !isfinite(dt) || !(d->period >= CW_COMBAT_MIN_PERIOD)) dt = 0;
    while (d->active && dt > EPS) {
        double step = dt;
        if (d->to_next < step) step = d->to_next;
        if (d->remaining < step) step = d->remaining;
        dt -= step;
        d->to_next -= step;
        d->remaining -= step;
        if (d->to_next <= EPS) {
            paid += d->magnitude;
            n++;
            d->to_next = d->period;
        } else if (d->remaining <= EPS) {
            double frac = (d->period - d->to_next) / d->period;
            if (frac > EPS) {
                paid += d->magnitude * frac;
                n++;
            }
        }
        if (d->remaining <= EPS) {
            d->remaining = 0;
            d->active = 0;
        }
    }
    if (ticks) *ticks = n;
    return paid;
}

void cw_combat_dr_init(cw_combat_dr *dr)
{
    memset(dr, 0, sizeof *dr);
    for (int i = 0; i < CW_COMBAT_MAX_DR; i++)
        dr->window_end[i] = -HUGE_VAL;
}

static int dr_factor(const cw_combat_dr *dr, const cw_combat_content *c, int cat, double now,
                     double *factor, int *count, cw_error *err)
{
    if (!dr || !c || !factor)
        return cw_error_set(err, CW_EINVAL, "combat: dr needs tracker, content and factor");
    if (cat < 0 || cat >= c->n_dr)
        return cw_error_set(err, CW_EINVAL, "combat: dr category %d out of range", cat);
    if (!isfinite(now)) return cw_error_set(err, CW_EINVAL, "combat: dr time must be finite");
    int n = now >= dr->window_end[cat] ? 0 : dr->count[cat];
    const cw_combat_dr_def *d = &c->dr[cat];
    *factor = n < d->n_steps ? d->steps[n] : 0.0;
    *count = n;
    return 0;
}

int cw_combat_dr_peek(const cw_combat_dr *dr, const cw_combat_content *c, int cat, double now,
                      double *factor, cw_error *err)
{
    int n = 0;
    return dr_factor(dr, c, cat, now, factor, &n, err);
}

int cw_combat_dr_apply(cw_combat_dr *dr, const cw_combat_content *c, int cat, double now,
                       double *factor, cw_error *err)
{
    int n = 0;
    int rc = dr_factor(dr, c, cat, now, factor, &n, err);
    if (rc) return rc;
    if (*factor > 0) {
        dr->count[cat] = (uint8_t)(n + 1);
        dr->window_end[cat] = now + c->dr[cat].reset;
    } else {
        dr->count[cat] = (uint8_t)n;
    }
    return 0;
}
