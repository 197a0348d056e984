/* resources.c — pools, shields, the tick, thresholds, offline catch-up. */
#include "core/sim/combat/resources.h"

#include <math.h>
#include <string.h>

static double pool_max(const cw_combat_pool *pl)
{
    double m = cw_combat_sane(pl->max);
    return m > 0 ? m : 0;
}

static void sanitize_pools(cw_combat_pools *p, int n)
{
    for (int r = 0; r < n; r++) {
        cw_combat_pool *pl = &p->pool[r];
        pl->max = pool_max(pl);
        pl->current = cw_combat_clamp(cw_combat_sane(pl->current), 0, pl->max);
        pl->regen = cw_combat_sane(pl->regen);
    }
    if (p->n_shields < 0 || p->n_shields > CW_COMBAT_MAX_SHIELDS)
        p->n_shields = p->n_shields < 0 ? 0 : CW_COMBAT_MAX_SHIELDS;
    for (int i = 0; i < p->n_shields; i++) {
        double a = cw_combat_sane(p->shield[i].amount);
        p->shield[i].amount = a > 0 ? a : 0;
    }
}

static void compute_ratios(cw_combat_pools *p, const cw_combat_content *c)
{
    for (int r = 0; r < c->n_resources; r++) {
        const cw_combat_pool *pl = &p->pool[r];
        p->ratio[r] = pl->max > 0 ? pl->current / pl->max : 0.0;
    }
}

void cw_combat_pools_init(cw_combat_pools *p, const cw_combat_content *c)
{
    memset(p, 0, sizeof *p);
    cw_combat_pools_settle(p, c);
}

void cw_combat_pools_settle(cw_combat_pools *p, const cw_combat_content *c)
{
    sanitize_pools(p, c->n_resources);
    compute_ratios(p, c);
    for (int t = 0; t < CW_COMBAT_MAX_THRESHOLDS; t++) {
        cw_combat_threshold_state *s = &p->thr[t];
        memset(s, 0, sizeof *s);
        s->window_end = -HUGE_VAL;
        if (t < c->n_thresholds) {
            s->state = p->ratio[c->threshold[t].resource] <= c->threshold[t].enter;
            s->reported = s->state;
        }
    }
    p->content_version = c->version;
}

double cw_combat_shields_absorb(const cw_combat_shield *s, int n, double amount, double *absorbed)
{
    /* Rank of each shield by (order, position), without branches: with random
     * orders an insertion sort mispredicts on almost every comparison. Each
     * pair is compared once: for j < i, j comes first iff order[j] <= order[i]
     * (ties go by position), and the loser's rank goes up by one. */
    int idx[CW_COMBAT_MAX_SHIELDS], rank[CW_COMBAT_MAX_SHIELDS] = {0};
    if (n > CW_COMBAT_MAX_SHIELDS) n = CW_COMBAT_MAX_SHIELDS;
    for (int i = 1; i < n; i++) {
        const int32_t oi = s[i].order;
        for (int j = 0; j < i; j++) {
            int first = s[j].order <= oi;
            rank[i] += first;
            rank[j] += 1 - first;
        }
    }
    for (int i = 0; i < n; i++)
        idx[rank[i]] = i;
    double left = cw_combat_fmax(amount, 0), total = 0;
    for (int k = 0; k < n; k++) {
        int i = idx[k];
        double have = cw_combat_fmax(cw_combat_sane(s[i].amount), 0);
        double take = cw_combat_fmin(have, left);
        if (absorbed) absorbed[i] = take;
        left -= take;
        total += take;
    }
    return total;
}

double cw_combat_split(const cw_combat_content *c, int dt, double amount, const double *avail,
                       double *out)
{
    const double *split = c->damage_type[dt].split;
    double taken = 0, overflow = 0;
    for (int r = 0; r < c->n_resources; r++) {
        if (r == c->hp) continue;
        double share = amount * split[r];
        double a = avail ? avail[r] : share;
        a = cw_combat_fmax(a, 0); /* !(a > 0) -> 0 */
        double take = cw_combat_fmin(share, a);
        out[r] = take;
        taken += take;
        overflow += share - take;
    }
    /* hp takes the rest — its own share plus every overflow — so the parts sum
     * to `amount` whatever the rounding of the shares. */
    double hp = amount - taken;
    out[c->hp] = cw_combat_fmax(hp, 0);
    return overflow;
}

static void emit(cw_combat_events *out, cw_combat_ev_kind kind, int t, int r, int merged,
                 double ratio)
{
    if (!out || out->n >= CW_COMBAT_MAX_EVENTS) return;
    cw_combat_event *e = &out->ev[out->n++];
    e->kind = kind;
    e->threshold = t;
    e->resource = r;
    e->merged = merged;
    e->ratio = ratio;
}

static void threshold_step(cw_combat_pools *p, const cw_combat_content *c, int t,
                           cw_combat_events *out)
{
    const cw_combat_threshold_def *d = &c->threshold[t];
    cw_combat_threshold_state *s = &p->thr[t];
    double ratio = p->ratio[d->resource];
    uint8_t in = s->state ? !(ratio >= d->exit) : (ratio <= d->enter);
    if (in != s->state) {
        s->state = in;
        s->merged++;
    }
    if (s->merged > 0 && p->time >= s->window_end) {
        if (s->state != s->reported) {
            emit(out, s->state ? CW_COMBAT_EV_ENTER : CW_COMBAT_EV_EXIT, t, d->resource,
                 s->merged - 1, ratio);
            s->reported = s->state;
            s->window_end = p->time + d->window;
        }
        s->merged = 0;
    }
}

int cw_combat_pools_tick(cw_combat_pools *p, const cw_combat_content *c,
                         const cw_combat_tick_in *in, cw_combat_events *out, cw_error *err)
{
    if (!p || !c || !in)
        return cw_error_set(err, CW_EINVAL, "combat: tick needs pools, content and input");
    double dt = in->dt;
    if (!isfinite(dt) || dt < 0)
        return cw_error_set(err, CW_EINVAL, "combat: tick dt must be finite and >= 0");
    if (out) out->n = 0;
    if (p->content_version != c->version) cw_combat_pools_settle(p, c);
    int nr = c->n_resources;
    sanitize_pools(p, nr);
    p->time += dt;

    /* 1. incoming damage */
    double typed[CW_COMBAT_MAX_DAMAGE_TYPES], typed_total = 0;
    for (int t = 0; t < c->n_damage_types; t++) {
        double v = cw_combat_sane(in->typed[t]);
        typed[t] = v > 0 ? v : 0;
        typed_total += typed[t];
    }

    /* 2. shields: absorb, then decay */
    double absorbed = 0;
    if (!p->dead && typed_total > 0) {
        double take[CW_COMBAT_MAX_SHIELDS];
        absorbed = cw_combat_shields_absorb(p->shield, p->n_shields, typed_total, take);
        for (int i = 0; i < p->n_shields; i++)
            p->shield[i].amount -= take[i];
    }
    for (int i = 0; i < p->n_shields; i++) {
        double decay = cw_combat_sane(p->shield[i].decay);
        if (decay > 0) {
            double a = p->shield[i].amount - decay * dt;
            p->shield[i].amount = a > 0 ? a : 0;
        }
    }

    /* 3. pools: damage and healing together, clamped once */
    int death_event = 0;
    if (!p->dead) {
        double dmg[CW_COMBAT_MAX_RESOURCES], heal[CW_COMBAT_MAX_RESOURCES];
        double avail[CW_COMBAT_MAX_RESOURCES];
        for (int r = 0; r < nr; r++) {
            double d = cw_combat_sane(in->damage[r]), h = cw_combat_sane(in->heal[r]);
            dmg[r] = d > 0 ? d : 0;
            heal[r] = h > 0 ? h : 0;
            avail[r] = p->pool[r].current + heal[r] - dmg[r];
        }
        double pass = typed_total > 0 ? (typed_total - absorbed) / typed_total : 0;
        for (int t = 0; pass > 0 && t < c->n_damage_types; t++) {
            if (typed[t] <= 0) continue;
            double part[CW_COMBAT_MAX_RESOURCES];
            cw_combat_split(c, t, typed[t] * pass, avail, part);
            for (int r = 0; r < nr; r++) {
                dmg[r] += part[r];
                avail[r] -= part[r];
            }
        }
        for (int r = 0; r < nr; r++) {
            cw_combat_pool *pl = &p->pool[r];
            pl->current = cw_combat_clamp(pl->current + heal[r] - dmg[r], 0, pl->max);
        }
        /* 4. death (an hp pool with max 0 means "no hp": such an actor never dies) */
        if (nr > 0 && p->pool[c->hp].max > 0 && p->pool[c->hp].current <= 0) {
            p->dead = 1;
            death_event = 1;
        }
    }

    /* 5. regeneration */
    if (!p->dead) {
        for (int r = 0; r < nr; r++) {
            if (c->resource[r].regen_gated && in->in_combat) continue;
            cw_combat_pool *pl = &p->pool[r];
            pl->current = cw_combat_clamp(pl->current + pl->regen * dt, 0, pl->max);
        }
    }

    /* 6. percentages */
    compute_ratios(p, c);

    /* 7. events */
    if (death_event) emit(out, CW_COMBAT_EV_DEATH, -1, c->hp, 0, p->ratio[c->hp]);
    for (int k = 0; k < nr; k++) {
        int r = c->event_order[k];
        for (int t = 0; t < c->n_thresholds; t++)
            if (c->threshold[t].resource == r) threshold_step(p, c, t, out);
    }
    return 0;
}

int cw_combat_pools_offline(cw_combat_pools *p, const cw_combat_content *c, double seconds,
                            cw_error *err)
{
    if (!p || !c) return cw_error_set(err, CW_EINVAL, "combat: offline needs pools and content");
    if (!isfinite(seconds) || seconds < 0)
        return cw_error_set(err, CW_EINVAL, "combat: offline seconds must be finite and >= 0");
    sanitize_pools(p, c->n_resources);
    if (!p->dead) {
        for (int r = 0; r < c->n_resources; r++) {
            cw_combat_pool *pl = &p->pool[r];
            double cap = c->resource[r].offline_cap;
            double t = seconds < cap ? seconds : cap;
            pl->current = cw_combat_clamp(pl->current + pl->regen * t, 0, pl->max);
        }
    }
    for (int i = 0; i < p->n_shields; i++) {
        double decay = cw_combat_sane(p->shield[i].decay);
        if (decay > 0) {
            double a = p->shield[i].amount - decay * seconds;
            p->shield[i].amount = a > 0 ? a : 0;
        }
    }
    cw_combat_pools_settle(p, c);
    return 0;
}

void cw_combat_pools_revive(cw_combat_pools *p, const cw_combat_content *c, double hp_value)
{
    cw_combat_pool *hp = &p->pool[c->hp];
    double m = pool_max(hp);
    double v = cw_combat_sane(hp_value);
    p->dead = 0;
    hp->current = cw_combat_clamp(v, m < 1 ? m : 1, m);
    compute_ratios(p, c);
}

void cw_combat_pools_prune_shields(cw_combat_pools *p)
{
    int w = 0;
    for (int i = 0; i < p->n_shields; i++)
        if (p->shield[i].amount > 0) p->shield[w++] = p->shield[i];
    p->n_shields = w;
}

int cw_combat_pools_add_shield(cw_combat_pools *p, double amount, double decay, int32_t order,
                               uint32_t id, cw_error *err)
{
    if (!isfinite(amount) || amount < 0 || !isfinite(decay) || decay < 0)
        return cw_error_set(err, CW_EINVAL, "combat: shield amount and decay must be >= 0");
    if (p->n_shields >= CW_COMBAT_MAX_SHIELDS) cw_combat_pools_prune_shields(p);
    if (p->n_shields >= CW_COMBAT_MAX_SHIELDS)
        return cw_error_set(err, CW_ELIMIT, "combat: more than %d shields", CW_COMBAT_MAX_SHIELDS);
    cw_combat_shield *s = &p->shield[p->n_shields++];
    s->amount = cw_combat_sane(amount);
    s->decay = cw_combat_sane(decay);
    s->order = order;
    s->id = id;
    return 0;
}

double cw_combat_pools_shield_total(const cw_combat_pools *p)
{
    double t = 0;
    for (int i = 0; i < p->n_shields && i < CW_COMBAT_MAX_SHIELDS; i++)
        if (p->shield[i].amount > 0) t += p->shield[i].amount;
    return t;
}
