/* registry.c — what the actors of one content generation share: interned
 * dimension names, combiner rules, the cap layer registry, derived formulas
 * and shared (world-event) cap sources.
 *
 * Every setting that can change a resolved value bumps `epoch`; an actor
 * compares it with the epoch it last resolved at, so one change re-resolves
 * all actors lazily without the registry knowing its actors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sim/stats/stats_internal.h"

static void *libc_realloc(void *ud, void *p, size_t size)
{
    (void)ud;
    return realloc(p, size);
}

static void libc_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

cw_stats_rule cw_stats_rule_init(void)
{
    return (cw_stats_rule){1, CW_STATS_SUM, -INFINITY, INFINITY};
}

static void compute_ranks(cw_stats_registry *reg)
{
    uint32_t nr = 0;
    uint8_t placed[CW_STATS_MAX_LAYERS] = {0};
    for (uint32_t i = 0; i < reg->norder; i++)
        for (uint32_t l = 0; l < reg->nlayers; l++)
            if (reg->layer_sym[l] == reg->order_sym[i] && !placed[l]) {
                reg->rank_layer[nr++] = (uint16_t)l;
                placed[l] = 1;
            }
    /* Unlisted layers follow, by name: adding one never reorders the others. */
    uint32_t first_unlisted = nr;
    for (uint32_t l = 0; l < reg->nlayers; l++) {
        if (placed[l]) continue;
        const char *name = reg->syms.names[reg->layer_sym[l]];
        uint32_t j = nr++;
        while (j > first_unlisted &&
               strcmp(reg->syms.names[reg->layer_sym[reg->rank_layer[j - 1]]], name) > 0) {
            reg->rank_layer[j] = reg->rank_layer[j - 1];
            j--;
        }
        reg->rank_layer[j] = (uint16_t)l;
    }
}

int st_layer_intern(cw_stats_registry *reg, const char *scope, uint16_t *layer, cw_error *err)
{
    uint32_t sym = st_symtab_find(&reg->syms, scope);
    if (sym != CW_STATS_NONE)
        for (uint32_t l = 0; l < reg->nlayers; l++)
            if (reg->layer_sym[l] == sym) {
                *layer = (uint16_t)l;
                return 0;
            }
    if (reg->nlayers >= CW_STATS_MAX_LAYERS)
        return cw_error_set(err, CW_ELIMIT, "stats: more than %d cap layers (\"%s\")",
                            CW_STATS_MAX_LAYERS, scope);
    int rc = st_symtab_intern(&reg->al, &reg->syms, scope, &sym, err);
    if (rc < 0) return rc;
    reg->layer_sym[reg->nlayers] = sym;
    *layer = (uint16_t)reg->nlayers++;
    compute_ranks(reg);
    return 0;
}

int cw_stats_registry_new(const cw_stats_allocator *alloc, cw_stats_registry **out, cw_error *err)
{
    cw_stats_allocator al = alloc ? *alloc : (cw_stats_allocator){libc_realloc, libc_free, NULL};
    cw_stats_registry *reg = al.realloc(al.ud, NULL, sizeof *reg);
    if (!reg) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    memset(reg, 0, sizeof *reg);
    reg->al = al;
    reg->refs = 1;
    reg->def = cw_stats_rule_init();
    static const char *const defaults[] = {"REALM", "WORLD", "EVENT", "TOTAL"};
    int rc = cw_stats_set_layers(reg, defaults, 4, CW_STATS_INTERSECT, err);
    uint32_t fsys = 0;
    if (rc == 0) rc = st_symtab_intern(&reg->al, &reg->syms, "formula", &fsys, err);
    if (rc < 0) {
        cw_stats_registry_free(reg);
        return rc;
    }
    reg->formula_sys_id = fsys;
    reg->formula_sys = reg->syms.names[fsys];
    uint16_t l;
    st_layer_intern(reg, "TOTAL", &l, NULL);
    reg->total_layer = l;
    st_layer_intern(reg, "REALM", &l, NULL);
    reg->realm_layer = l;
    reg->epoch = 1;
    *out = reg;
    return 0;
}

void cw_stats_registry_free(cw_stats_registry *reg)
{
    if (!reg || --reg->refs > 0) return;
    const cw_stats_allocator al = reg->al;
    for (uint32_t i = 0; i < reg->nformulas; i++) {
        st_free(&al, reg->formulas[i].inputs);
        st_free(&al, reg->formulas[i].weights);
    }
    for (uint32_t i = 0; i < reg->nshared; i++)
        st_free(&al, reg->shared[i].caps);
    st_free(&al, reg->formulas);
    st_free(&al, reg->shared);
    st_free(&al, reg->shared_caps);
    st_free(&al, reg->shared_runs);
    st_free(&al, reg->extra_dims);
    st_free(&al, reg->rules);
    st_free(&al, reg->has_rule);
    st_symtab_free(&al, &reg->dims);
    st_symtab_free(&al, &reg->syms);
    al.free(al.ud, reg);
}

uint64_t cw_stats_registry_epoch(const cw_stats_registry *reg)
{
    return reg->epoch;
}

/* ---- names ---- */

int cw_stats_dim_intern(cw_stats_registry *reg, const char *name, uint32_t *id, cw_error *err)
{
    int rc = st_check_name(name, "dimension", err);
    if (rc < 0) return rc;
    return st_symtab_intern(&reg->al, &reg->dims, name, id, err);
}

uint32_t cw_stats_dim_find(const cw_stats_registry *reg, const char *name)
{
    return st_symtab_find(&reg->dims, name);
}

const char *cw_stats_dim_name(const cw_stats_registry *reg, uint32_t dim)
{
    return dim < reg->dims.n ? reg->dims.names[dim] : NULL;
}

size_t cw_stats_dim_count(const cw_stats_registry *reg)
{
    return reg->dims.n;
}

const char *cw_stats_symbol_name(const cw_stats_registry *reg, uint32_t sym)
{
    return sym < reg->syms.n ? reg->syms.names[sym] : NULL;
}

uint32_t cw_stats_symbol_find(const cw_stats_registry *reg, const char *name)
{
    return st_symtab_find(&reg->syms, name);
}

/* ---- rules ---- */

static int check_rule(const cw_stats_rule *r, const char *what, cw_error *err)
{
    if (!r) return cw_error_set(err, CW_EINVAL, "%s: missing rule", what);
    if ((int)r->op < CW_STATS_SUM || (int)r->op > CW_STATS_MULTIPLY)
        return cw_error_set(err, CW_EINVAL, "%s.operator: unknown operator %d", what, (int)r->op);
    if (isnan(r->clamp_min) || isnan(r->clamp_max) || r->clamp_min == INFINITY ||
        r->clamp_max == -INFINITY)
        return cw_error_set(err, CW_EINVAL, "%s.clamp_default: bound is not a number", what);
    if (r->clamp_min > r->clamp_max)
        return cw_error_set(err, CW_EINVAL, "%s.clamp_default: min %g above max %g", what,
                            r->clamp_min, r->clamp_max);
    return 0;
}

int cw_stats_set_default_rule(cw_stats_registry *reg, const cw_stats_rule *rule, cw_error *err)
{
    int rc = check_rule(rule, "default", err);
    if (rc < 0) return rc;
    reg->def = *rule;
    reg->def.use_pipeline = rule->use_pipeline != 0;
    reg->epoch++;
    return 0;
}

int cw_stats_set_rule(cw_stats_registry *reg, const char *dim, const cw_stats_rule *rule,
                      cw_error *err)
{
    int rc = check_rule(rule, dim ? dim : "dimension", err);
    uint32_t id;
    if (rc < 0 || (rc = cw_stats_dim_intern(reg, dim, &id, err)) < 0) return rc;
    if (id >= reg->rules_cap) {
        uint32_t ncap = reg->rules_cap ? reg->rules_cap * 2 : 16;
        while (ncap <= id)
            ncap *= 2;
        cw_stats_rule *rules = st_realloc(&reg->al, reg->rules, ncap * sizeof *rules);
        if (!rules) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
        reg->rules = rules; /* larger is harmless even if the next step fails */
        uint8_t *has = st_realloc(&reg->al, reg->has_rule, ncap);
        if (!has) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
        memset(has + reg->rules_cap, 0, ncap - reg->rules_cap);
        reg->has_rule = has;
        reg->rules_cap = ncap;
    }
    reg->rules[id] = *rule;
    reg->rules[id].use_pipeline = rule->use_pipeline != 0;
    reg->has_rule[id] = 1;
    reg->epoch++;
    return 0;
}

const cw_stats_rule *cw_stats_get_rule(const cw_stats_registry *reg, uint32_t dim)
{
    return st_rule(reg, dim);
}

/* ---- layers ---- */

int cw_stats_set_layers(cw_stats_registry *reg, const char *const *order, size_t n,
                        cw_stats_across across, cw_error *err)
{
    if ((int)across != CW_STATS_INTERSECT && (int)across != CW_STATS_PRIORITIZED_OVERRIDE)
        return cw_error_set(err, CW_EINVAL, "layers.across_policy: unknown policy %d", (int)across);
    if (n > CW_STATS_MAX_LAYERS)
        return cw_error_set(err, CW_ELIMIT, "layers.order: more than %d layers",
                            CW_STATS_MAX_LAYERS);
    char what[48];
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof what, "layers.order[%zu]", i);
        int rc = st_check_name(order ? order[i] : NULL, what, err);
        if (rc < 0) return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(order[i], order[j]) == 0)
                return cw_error_set(err, CW_EINVAL, "layers.order[%zu]: duplicate layer \"%s\"", i,
                                    order[i]);
    }
    /* Count layers that would be new, so a failure cannot leave half an order. */
    uint32_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t sym = st_symtab_find(&reg->syms, order[i]);
        int known = 0;
        for (uint32_t l = 0; sym != CW_STATS_NONE && l < reg->nlayers; l++)
            known |= reg->layer_sym[l] == sym;
        fresh += !known;
    }
    if (reg->nlayers + fresh > CW_STATS_MAX_LAYERS)
        return cw_error_set(err, CW_ELIMIT, "layers.order: more than %d layers in all",
                            CW_STATS_MAX_LAYERS);
    uint32_t syms[CW_STATS_MAX_LAYERS];
    for (size_t i = 0; i < n; i++) {
        uint16_t l;
        int rc = st_layer_intern(reg, order[i], &l, err);
        if (rc < 0) return rc;
        syms[i] = reg->layer_sym[l];
    }
    memcpy(reg->order_sym, syms, n * sizeof *syms);
    reg->norder = (uint32_t)n;
    reg->across = across;
    compute_ranks(reg);
    reg->epoch++;
    return 0;
}

/* ---- formulas and shared caps ---- */

const st_formula *st_formula_find(const cw_stats_registry *reg, uint32_t dim)
{
    uint32_t lo = 0, hi = reg->nformulas;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (reg->formulas[mid].dim < dim)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < reg->nformulas && reg->formulas[lo].dim == dim) ? &reg->formulas[lo] : NULL;
}

/* extra_dims = sorted union of formula dims and shared cap dims (capacity reserved). */
static void rebuild_extra_dims(cw_stats_registry *reg)
{
    uint32_t i = 0, j = 0, n = 0;
    while (i < reg->nformulas || j < reg->nshared_runs) {
        uint32_t a = i < reg->nformulas ? reg->formulas[i].dim : UINT32_MAX;
        uint32_t b = j < reg->nshared_runs ? reg->shared_runs[j].dim : UINT32_MAX;
        uint32_t d = a < b ? a : b;
        i += a == d;
        j += b == d;
        reg->extra_dims[n++] = d;
    }
    reg->nextra_dims = n;
}

static int reserve_extra(cw_stats_registry *reg, size_t nformulas, size_t nshared_caps,
                         cw_error *err)
{
    return st_reserve(&reg->al, (void **)&reg->extra_dims, &reg->extra_dims_cap,
                      nformulas + nshared_caps + 1, sizeof(uint32_t), err);
}

int cw_stats_set_formula(cw_stats_registry *reg, const char *dim, const char *const *inputs,
                         const double *weights, size_t n, double constant, cw_error *err)
{
    int rc;
    uint32_t id;
    if ((rc = st_check_name(dim, "formula", err)) < 0) return rc;
    if (!isfinite(constant))
        return cw_error_set(err, CW_EINVAL, "formula %s: constant is not a finite number", dim);
    if (n > 4096) return cw_error_set(err, CW_ELIMIT, "formula %s: too many inputs", dim);
    for (size_t i = 0; i < n; i++) {
        if ((rc = st_check_name(inputs[i], "formula input", err)) < 0) return rc;
        if (!isfinite(weights[i]))
            return cw_error_set(err, CW_EINVAL, "formula %s: weight of %s is not a finite number",
                                dim, inputs[i]);
    }
    if ((rc = cw_stats_dim_intern(reg, dim, &id, err)) < 0) return rc;
    st_formula f = {.dim = id, .n = (uint32_t)n, .constant = constant + 0.0};
    if (n) {
        f.inputs = st_realloc(&reg->al, NULL, n * sizeof *f.inputs);
        f.weights = st_realloc(&reg->al, NULL, n * sizeof *f.weights);
        if (!f.inputs || !f.weights) {
            rc = cw_error_set(err, CW_ENOMEM, "stats: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            if ((rc = cw_stats_dim_intern(reg, inputs[i], &f.inputs[i], err)) < 0) goto fail;
            f.weights[i] = weights[i];
        }
    }
    if ((rc = st_reserve(&reg->al, (void **)&reg->formulas, &reg->formulas_cap, reg->nformulas + 1,
                         sizeof *reg->formulas, err)) < 0 ||
        (rc = reserve_extra(reg, reg->nformulas + 1, reg->nshared_caps, err)) < 0)
        goto fail;
    st_formula *old = (st_formula *)st_formula_find(reg, id);
    if (old) {
        st_free(&reg->al, old->inputs);
        st_free(&reg->al, old->weights);
        *old = f;
    } else {
        uint32_t at = 0;
        while (at < reg->nformulas && reg->formulas[at].dim < id)
            at++;
        memmove(&reg->formulas[at + 1], &reg->formulas[at],
                (reg->nformulas - at) * sizeof *reg->formulas);
        reg->formulas[at] = f;
        reg->nformulas++;
    }
    rebuild_extra_dims(reg);
    reg->epoch++;
    return 0;
fail:
    st_free(&reg->al, f.inputs);
    st_free(&reg->al, f.weights);
    return rc;
}

int cw_stats_remove_formula(cw_stats_registry *reg, const char *dim, cw_error *err)
{
    uint32_t id = cw_stats_dim_find(reg, dim);
    st_formula *f = id == CW_STATS_NONE ? NULL : (st_formula *)st_formula_find(reg, id);
    if (!f) return cw_error_set(err, CW_ENOTFOUND, "formula %s: not declared", dim ? dim : "?");
    st_free(&reg->al, f->inputs);
    st_free(&reg->al, f->weights);
    uint32_t at = (uint32_t)(f - reg->formulas);
    memmove(f, f + 1, (reg->nformulas - at - 1) * sizeof *f);
    reg->nformulas--;
    rebuild_extra_dims(reg);
    reg->epoch++;
    return 0;
}

/* Rebuilds the flat sorted shared cap array from every shared source. */
static void rebuild_shared(cw_stats_registry *reg)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < reg->nshared; i++) {
        if (reg->shared[i].ncaps)
            memcpy(&reg->shared_caps[n], reg->shared[i].caps,
                   reg->shared[i].ncaps * sizeof *reg->shared_caps);
        n += reg->shared[i].ncaps;
    }
    if (n) qsort(reg->shared_caps, n, sizeof *reg->shared_caps, st_cap_cmp);
    reg->nshared_caps = n;
    reg->nshared_runs = st_cap_runs(reg->shared_caps, n, reg->shared_runs);
    rebuild_extra_dims(reg);
}

static st_shared *find_shared(cw_stats_registry *reg, const char *source)
{
    uint32_t sym = st_symtab_find(&reg->syms, source);
    for (uint32_t i = 0; sym != CW_STATS_NONE && i < reg->nshared; i++)
        if (reg->shared[i].name == sym) return &reg->shared[i];
    return NULL;
}

int cw_stats_set_shared_caps(cw_stats_registry *reg, const char *source,
                             const cw_stats_cap_in *caps, size_t ncaps, cw_error *err)
{
    int rc;
    if ((rc = st_check_name(source, "shared source", err)) < 0) return rc;
    if (ncaps > 1u << 20) return cw_error_set(err, CW_ELIMIT, "%s: too many caps", source);
    st_cap *conv = NULL;
    if (ncaps && !(conv = st_realloc(&reg->al, NULL, ncaps * sizeof *conv)))
        return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    for (size_t i = 0; i < ncaps; i++)
        if ((rc = st_convert_cap(reg, &caps[i], i, &conv[i], err)) < 0) goto fail;
    st_shared *old = find_shared(reg, source);
    size_t total = reg->nshared_caps - (old ? old->ncaps : 0) + ncaps;
    uint32_t sym;
    if ((rc = st_symtab_intern(&reg->al, &reg->syms, source, &sym, err)) < 0 ||
        (rc = st_reserve(&reg->al, (void **)&reg->shared, &reg->shared_cap, reg->nshared + 1,
                         sizeof *reg->shared, err)) < 0 ||
        (rc = st_reserve(&reg->al, (void **)&reg->shared_caps, &reg->shared_caps_cap, total + 1,
                         sizeof *reg->shared_caps, err)) < 0 ||
        (rc = st_reserve(&reg->al, (void **)&reg->shared_runs, &reg->shared_runs_cap, total + 1,
                         sizeof *reg->shared_runs, err)) < 0 ||
        (rc = reserve_extra(reg, reg->nformulas, total, err)) < 0)
        goto fail;
    if (!old) {
        old = &reg->shared[reg->nshared++];
        old->name = sym;
    } else {
        st_free(&reg->al, old->caps);
    }
    old->caps = conv;
    old->ncaps = (uint32_t)ncaps;
    rebuild_shared(reg);
    reg->epoch++;
    return 0;
fail:
    st_free(&reg->al, conv);
    return rc;
}

int cw_stats_remove_shared_caps(cw_stats_registry *reg, const char *source, cw_error *err)
{
    st_shared *s = source ? find_shared(reg, source) : NULL;
    if (!s)
        return cw_error_set(err, CW_ENOTFOUND, "shared source %s: not set", source ? source : "?");
    st_free(&reg->al, s->caps);
    *s = reg->shared[--reg->nshared];
    rebuild_shared(reg);
    reg->epoch++;
    return 0;
}
