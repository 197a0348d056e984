/* compile.c — turning public inputs into the engine's sorted flat arrays.
 *
 * The sort keys are total orders over every field that can influence a
 * result, so the arrays (and therefore every floating-point sum and every
 * tie-break) are the same whatever order the inputs arrived in. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/sim/stats/stats_internal.h"

#define CMP(x, y)                                                                                  \
    do {                                                                                           \
        if ((x) < (y)) return -1;                                                                  \
        if ((x) > (y)) return 1;                                                                   \
    } while (0)

int st_entry_cmp(const void *pa, const void *pb)
{
    const st_entry *a = pa, *b = pb;
    CMP(a->list, b->list);
    CMP(a->dim, b->dim);
    CMP(a->bucket, b->bucket);
    CMP(b->prio, a->prio); /* high priority first */
    int c = strcmp(a->sys, b->sys);
    if (c) return c;
    CMP(a->value, b->value);
    return 0;
}

int st_cap_cmp(const void *pa, const void *pb)
{
    const st_cap *a = pa, *b = pb;
    CMP(a->dim, b->dim);
    CMP(a->layer, b->layer);
    CMP(a->mode, b->mode);
    CMP(a->kind, b->kind);
    CMP(b->prio, a->prio);
    int c = strcmp(a->sys, b->sys);
    if (c) return c;
    CMP(a->realm, b->realm);
    CMP(a->value, b->value);
    return 0;
}

uint32_t st_entry_runs(const st_entry *e, uint32_t n, st_run *runs, uint32_t *nprimary_runs)
{
    uint32_t nr = 0, np = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || e[i].dim != e[i - 1].dim || e[i].list != e[i - 1].list) {
            runs[nr++] = (st_run){e[i].dim, i, 0};
            if (e[i].list == CW_STATS_PRIMARY) np++;
        }
        runs[nr - 1].count++;
    }
    *nprimary_runs = np;
    return nr;
}

uint32_t st_cap_runs(const st_cap *c, uint32_t n, st_run *runs)
{
    uint32_t nr = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || c[i].dim != c[i - 1].dim) runs[nr++] = (st_run){c[i].dim, i, 0};
        runs[nr - 1].count++;
    }
    return nr;
}

const st_run *st_run_find(const st_run *runs, uint32_t n, uint32_t dim)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (runs[mid].dim < dim)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < n && runs[lo].dim == dim) ? &runs[lo] : NULL;
}

int st_convert_contrib(cw_stats_registry *reg, const cw_stats_contrib_in *in, uint8_t list,
                       const char *path, size_t index, st_entry *out, cw_error *err)
{
    char what[64];
    int rc;
    snprintf(what, sizeof what, "%s[%zu].dimension", path, index);
    if ((rc = st_check_name(in->dimension, what, err)) < 0) return rc;
    snprintf(what, sizeof what, "%s[%zu].system", path, index);
    if ((rc = st_check_name(in->system, what, err)) < 0) return rc;
    if ((int)in->bucket < CW_STATS_FLAT || (int)in->bucket > CW_STATS_OVERRIDE)
        return cw_error_set(err, CW_EINVAL, "%s[%zu].bucket: unknown bucket %d", path, index,
                            (int)in->bucket);
    if (!isfinite(in->value))
        return cw_error_set(err, CW_EINVAL, "%s[%zu].value: not a finite number", path, index);
    uint32_t dim, sys;
    if ((rc = cw_stats_dim_intern(reg, in->dimension, &dim, err)) < 0) return rc;
    if ((rc = st_symtab_intern(&reg->al, &reg->syms, in->system, &sys, err)) < 0) return rc;
    *out = (st_entry){.sys = reg->syms.names[sys],
                      .value = in->value + 0.0, /* -0 becomes +0: ties stay order-free */
                      .dim = dim,
                      .prio = in->priority,
                      .list = list,
                      .bucket = (uint8_t)in->bucket};
    return 0;
}

int st_convert_cap(cw_stats_registry *reg, const cw_stats_cap_in *in, size_t index, st_cap *out,
                   cw_error *err)
{
    char what[64];
    int rc;
    snprintf(what, sizeof what, "caps[%zu].dimension", index);
    if ((rc = st_check_name(in->dimension, what, err)) < 0) return rc;
    snprintf(what, sizeof what, "caps[%zu].system", index);
    if ((rc = st_check_name(in->system, what, err)) < 0) return rc;
    if ((int)in->mode < CW_STATS_CAP_BASELINE || (int)in->mode > CW_STATS_CAP_OVERRIDE)
        return cw_error_set(err, CW_EINVAL, "caps[%zu].mode: unknown mode %d", index,
                            (int)in->mode);
    if ((int)in->kind != CW_STATS_KIND_MAX && (int)in->kind != CW_STATS_KIND_MIN)
        return cw_error_set(err, CW_EINVAL, "caps[%zu].kind: unknown kind %d", index,
                            (int)in->kind);
    if ((in->mode == CW_STATS_CAP_HARD_MAX && in->kind != CW_STATS_KIND_MAX) ||
        (in->mode == CW_STATS_CAP_HARD_MIN && in->kind != CW_STATS_KIND_MIN))
        return cw_error_set(err, CW_EINVAL, "caps[%zu].kind: mode %s requires kind \"%s\"", index,
                            cw_stats_cap_mode_name(in->mode),
                            in->mode == CW_STATS_CAP_HARD_MAX ? "max" : "min");
    if (!isfinite(in->value))
        return cw_error_set(err, CW_EINVAL, "caps[%zu].value: not a finite number", index);
    const char *scope = in->scope ? in->scope : "TOTAL";
    snprintf(what, sizeof what, "caps[%zu].scope", index);
    if ((rc = st_check_name(scope, what, err)) < 0) return rc;
    uint32_t realm = CW_STATS_NONE;
    if (strcmp(scope, "REALM") == 0) {
        if (!in->realm || !in->realm[0])
            return cw_error_set(err, CW_EINVAL, "caps[%zu].realm: a REALM cap needs a realm",
                                index);
        snprintf(what, sizeof what, "caps[%zu].realm", index);
        if ((rc = st_check_name(in->realm, what, err)) < 0) return rc;
        if ((rc = st_symtab_intern(&reg->al, &reg->syms, in->realm, &realm, err)) < 0) return rc;
    }
    uint32_t dim, sys;
    uint16_t layer;
    if ((rc = st_layer_intern(reg, scope, &layer, err)) < 0) return rc;
    if ((rc = cw_stats_dim_intern(reg, in->dimension, &dim, err)) < 0) return rc;
    if ((rc = st_symtab_intern(&reg->al, &reg->syms, in->system, &sys, err)) < 0) return rc;
    *out = (st_cap){.sys = reg->syms.names[sys],
                    .value = in->value + 0.0,
                    .dim = dim,
                    .realm = realm,
                    .prio = in->priority,
                    .layer = layer,
                    .mode = (uint8_t)in->mode,
                    .kind = (uint8_t)in->kind};
    return 0;
}
