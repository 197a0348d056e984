/* resolve.c — the pipeline of spec/stats.md: values, bounds, snapshot.
 *
 * Everything here walks arrays that actor.c sorted and sized in advance; no
 * function in this file allocates. Bounds are accumulated per layer in a
 * fixed array on the stack (at most CW_STATS_MAX_LAYERS layers). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/sim/stats/stats_internal.h"

/* ---- values ---- */

typedef struct acc {
    double flat, run, post; /* pipeline: run = the running value once MULTs start */
    int in_mult;
    int has_override;
    double override;
    double sum, max, min, prod; /* operator */
    uint32_t count;
} acc;

static void acc_init(acc *s)
{
    *s = (acc){.max = -INFINITY, .min = INFINITY, .prod = 1.0};
}

static void acc_add(acc *s, int bucket, double v)
{
    switch (bucket) {
    case CW_STATS_FLAT:
        s->flat += v;
        break;
    case CW_STATS_MULT:
        /* sorted: every FLAT came before the first MULT */
        if (!s->in_mult) {
            s->in_mult = 1;
            s->run = s->flat;
        }
        s->run *= 1.0 + v;
        break;
    case CW_STATS_POST_ADD:
        s->post += v;
        break;
    default:
        /* sorted: the first OVERRIDE has the highest priority, then first system */
        if (!s->has_override) {
            s->has_override = 1;
            s->override = v;
        }
        break;
    }
    s->sum += v;
    s->max = v > s->max ? v : s->max;
    s->min = v < s->min ? v : s->min;
    s->prod *= v;
    s->count++;
}

static double acc_value(const acc *s, const cw_stats_rule *r)
{
    if (r->use_pipeline) {
        if (s->has_override) return s->override;
        return (s->in_mult ? s->run : s->flat) + s->post;
    }
    switch (r->op) {
    case CW_STATS_MAX:
        return s->max;
    case CW_STATS_MIN:
        return s->min;
    case CW_STATS_AVERAGE:
        return s->sum / (double)s->count;
    case CW_STATS_MULTIPLY:
        return s->prod;
    default:
        return s->sum;
    }
}

/* Does the formula's FLAT (priority 0, system "formula") sort before e? */
static int formula_before(const cw_stats_registry *reg, const st_entry *e)
{
    if (e->bucket != CW_STATS_FLAT) return 1;
    if (e->prio != 0) return e->prio < 0;
    return strcmp(reg->formula_sys, e->sys) <= 0;
}

static double formula_value(const cw_stats_actor *a, const st_formula *f)
{
    double v = 0.0;
    for (uint32_t i = 0; i < f->n; i++) {
        double p = 0.0;
        cw_stats_snapshot_get(&a->snap, CW_STATS_PRIMARY, f->inputs[i], &p);
        v += f->weights[i] * p;
    }
    return v + f->constant;
}

/* Overflow saturates at +-DBL_MAX; an undefined result (inf - inf) counts as 0. */
static double saturate(double v)
{
    if (isnan(v)) return 0.0;
    if (isinf(v)) return v > 0 ? DBL_MAX : -DBL_MAX;
    return v;
}

/* Raw (unclamped) value of one dimension from its sorted run and formula. */
static double run_value(const cw_stats_actor *a, const st_run *run, const st_formula *f,
                        const cw_stats_rule *rule)
{
    acc s;
    acc_init(&s);
    double fv = f ? formula_value(a, f) : 0.0;
    uint32_t n = run ? run->count : 0;
    const st_entry *e = run ? a->entries + run->start : NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (f && formula_before(a->reg, &e[i])) {
            acc_add(&s, CW_STATS_FLAT, fv);
            f = NULL;
        }
        acc_add(&s, e[i].bucket, e[i].value);
    }
    if (f) acc_add(&s, CW_STATS_FLAT, fv);
    return saturate(acc_value(&s, rule));
}

/* ---- bounds ---- */

typedef struct side {
    double sum;  /* BASELINE + ADDITIVE */
    double hard; /* tightest HARD_* */
    double ovr;  /* winning OVERRIDE */
    const char *ovr_sys;
    int32_t ovr_prio;
    uint8_t has_sum, has_ovr;
} side;

typedef struct layer_acc {
    side max, min;
} layer_acc;

static void add_cap(layer_acc *L, const st_cap *c)
{
    side *s = c->kind == CW_STATS_KIND_MAX ? &L->max : &L->min;
    switch (c->mode) {
    case CW_STATS_CAP_BASELINE:
    case CW_STATS_CAP_ADDITIVE:
        s->sum += c->value;
        s->has_sum = 1;
        break;
    case CW_STATS_CAP_HARD_MAX:
        L->max.hard = c->value < L->max.hard ? c->value : L->max.hard;
        break;
    case CW_STATS_CAP_HARD_MIN:
        L->min.hard = c->value > L->min.hard ? c->value : L->min.hard;
        break;
    default: {
        /* highest priority, then the system that sorts first, then the lower value */
        int better = !s->has_ovr || c->prio > s->ovr_prio;
        if (s->has_ovr && c->prio == s->ovr_prio) {
            int cmp = strcmp(c->sys, s->ovr_sys);
            better = cmp < 0 || (cmp == 0 && c->value < s->ovr);
        }
        if (better) {
            s->has_ovr = 1;
            s->ovr = c->value;
            s->ovr_sys = c->sys;
            s->ovr_prio = c->prio;
        }
        break;
    }
    }
}

static void add_caps(const cw_stats_actor *a, layer_acc *layers, uint32_t *mask, const st_cap *c,
                     uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (c[i].layer == a->reg->realm_layer && c[i].realm != a->realm) continue;
        layer_acc *L = &layers[c[i].layer];
        if (!(*mask & (1u << c[i].layer))) {
            *mask |= 1u << c[i].layer;
            *L = (layer_acc){.max = {.hard = INFINITY}, .min = {.hard = -INFINITY}};
        }
        add_cap(L, &c[i]);
    }
}

static void dim_bounds(const cw_stats_actor *a, uint32_t dim, double *lo_out, double *hi_out)
{
    const cw_stats_registry *reg = a->reg;
    const cw_stats_rule *rule = st_rule(reg, dim);
    layer_acc layers[CW_STATS_MAX_LAYERS];
    uint32_t mask = 0;
    const st_run *r = st_run_find(a->cap_runs, a->ncap_runs, dim);
    if (r) add_caps(a, layers, &mask, a->caps + r->start, r->count);
    r = st_run_find(reg->shared_runs, reg->nshared_runs, dim);
    if (r) add_caps(a, layers, &mask, reg->shared_caps + r->start, r->count);

    double lo = -INFINITY, hi = INFINITY;
    double ovr_lo = 0, ovr_hi = 0;
    int fixed_lo = 0, fixed_hi = 0;
    int po = reg->across == CW_STATS_PRIORITIZED_OVERRIDE;
    for (uint32_t k = 0; mask && k < reg->nlayers; k++) {
        uint32_t l = reg->rank_layer[k];
        if (!(mask & (1u << l))) continue;
        const layer_acc *L = &layers[l];
        double lmax = L->max.has_ovr ? L->max.ovr : L->max.has_sum ? L->max.sum : INFINITY;
        double lmin = L->min.has_ovr ? L->min.ovr : L->min.has_sum ? L->min.sum : -INFINITY;
        lmax = fmin(fmin(lmax, L->max.hard), rule->clamp_max);
        lmin = fmax(fmax(lmin, L->min.hard), rule->clamp_min);
        if (lmin > lmax) lmin = lmax;
        lo = fmax(lo, lmin);
        hi = fmin(hi, lmax);
        if (po && L->max.has_ovr && !fixed_hi) {
            fixed_hi = 1;
            ovr_hi = lmax;
        }
        if (po && L->min.has_ovr && !fixed_lo) {
            fixed_lo = 1;
            ovr_lo = lmin;
        }
    }
    if (fixed_hi) hi = ovr_hi;
    if (fixed_lo) lo = ovr_lo;
    lo = fmax(lo, rule->clamp_min);
    hi = fmin(hi, rule->clamp_max);
    if (lo > hi) lo = hi;
    *lo_out = lo;
    *hi_out = hi;
}

/* ---- snapshot ---- */

static const cw_stats_bounds *bounds_of(const cw_stats_actor *a, uint32_t dim)
{
    size_t lo = 0, hi = a->snap.ncaps_used;
    const cw_stats_bounds *b = a->snap.caps_used;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid].dim < dim)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &b[lo]; /* every resolved dim is in caps_used by construction */
}

static double clamp_to(const cw_stats_bounds *b, double v)
{
    return v < b->min ? b->min : v > b->max ? b->max : v;
}

void st_resolve(cw_stats_actor *a)
{
    const cw_stats_registry *reg = a->reg;
    cw_stats_snapshot *s = &a->snap;

    /* caps_used: the union of the actor's dims and the registry's extra dims */
    uint32_t i = 0, j = 0, nb = 0;
    while (i < a->ndims || j < reg->nextra_dims) {
        uint32_t x = i < a->ndims ? a->dims[i] : UINT32_MAX;
        uint32_t y = j < reg->nextra_dims ? reg->extra_dims[j] : UINT32_MAX;
        uint32_t d = x < y ? x : y;
        i += x == d;
        j += y == d;
        cw_stats_bounds *b = &a->out_bounds[nb++];
        b->dim = d;
        dim_bounds(a, d, &b->min, &b->max);
    }
    s->caps_used = a->out_bounds;
    s->ncaps_used = nb;

    /* primaries */
    s->primary = a->out_primary;
    s->nprimary = a->nprimary_runs;
    for (i = 0; i < a->nprimary_runs; i++) {
        const st_run *r = &a->runs[i];
        double v = run_value(a, r, NULL, st_rule(reg, r->dim));
        a->out_primary[i] = (cw_stats_value){r->dim, clamp_to(bounds_of(a, r->dim), v)};
    }

    /* derived: the actor's derived runs merged with the registry's formulas */
    /* runs is NULL for an actor that never had a contribution: no pointer
     * arithmetic on it then (found by fuzzing the CLI with "[]"). */
    const st_run *dr = a->runs ? a->runs + a->nprimary_runs : NULL;
    uint32_t ndr = a->nruns - a->nprimary_runs, nd = 0;
    i = j = 0;
    while (i < ndr || j < reg->nformulas) {
        uint32_t x = i < ndr ? dr[i].dim : UINT32_MAX;
        uint32_t y = j < reg->nformulas ? reg->formulas[j].dim : UINT32_MAX;
        uint32_t d = x < y ? x : y;
        const st_run *r = x == d ? &dr[i++] : NULL;
        const st_formula *f = y == d ? &reg->formulas[j++] : NULL;
        double v = run_value(a, r, f, st_rule(reg, d));
        a->out_derived[nd++] = (cw_stats_value){d, clamp_to(bounds_of(a, d), v)};
    }
    s->derived = a->out_derived;
    s->nderived = nd;
    s->context = a->packs;
    s->ncontext = a->npacks;
    s->version = a->version;
}

int cw_stats_actor_resolve(cw_stats_actor *a, const cw_stats_snapshot **out, cw_error *err)
{
    cw_stats_registry *reg = a->reg;
    if (!a->dirty && a->seen_epoch == reg->epoch) {
        *out = &a->snap;
        return 0;
    }
    int rc = st_actor_reserve_outputs(a, err);
    if (rc < 0) return rc;
    if (a->seen_epoch != reg->epoch) {
        a->seen_epoch = reg->epoch;
        a->version++;
    }
    st_resolve(a);
    a->dirty = 0;
    *out = &a->snap;
    return 0;
}

/* ---- lookups ---- */

static int value_find(const cw_stats_value *v, size_t n, uint32_t dim, double *out)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].dim < dim)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && v[lo].dim == dim) {
        if (out) *out = v[lo].value;
        return 1;
    }
    return 0;
}

int cw_stats_snapshot_get(const cw_stats_snapshot *s, cw_stats_list list, uint32_t dim,
                          double *value)
{
    if (list == CW_STATS_PRIMARY) return value_find(s->primary, s->nprimary, dim, value);
    return value_find(s->derived, s->nderived, dim, value);
}

int cw_stats_snapshot_bounds(const cw_stats_snapshot *s, uint32_t dim, double *min, double *max)
{
    for (size_t lo = 0, hi = s->ncaps_used; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->caps_used[mid].dim == dim) {
            if (min) *min = s->caps_used[mid].min;
            if (max) *max = s->caps_used[mid].max;
            return 1;
        }
        if (s->caps_used[mid].dim < dim)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
