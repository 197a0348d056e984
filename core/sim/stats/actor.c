/* actor.c — one actor's inputs, grouped by source, and their compilation
 * into the flat sorted arrays the resolver walks.
 *
 * Every mutation builds its new data first and commits only when all memory
 * is in hand, so a failed call leaves the actor unchanged. Sources are kept
 * sorted by name, which fixes the order context multipliers concatenate in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sim/stats/stats_internal.h"

void st_context_compile(cw_stats_actor *a); /* context.c */

static void source_free(const cw_stats_allocator *al, st_source *s)
{
    st_free(al, s->entries);
    st_free(al, s->caps);
    st_free(al, s->packs);
    st_free(al, s->mults);
    memset(s, 0, sizeof *s);
}

int cw_stats_actor_new(cw_stats_registry *reg, cw_stats_actor **out, cw_error *err)
{
    if (!reg) return cw_error_set(err, CW_EINVAL, "stats: actor needs a registry");
    cw_stats_actor *a = st_realloc(&reg->al, NULL, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    memset(a, 0, sizeof *a);
    a->reg = reg;
    a->realm = CW_STATS_NONE;
    a->dirty = 1;
    a->seen_epoch = reg->epoch;
    reg->refs++;
    *out = a;
    return 0;
}

void cw_stats_actor_free(cw_stats_actor *a)
{
    if (!a) return;
    cw_stats_registry *reg = a->reg;
    const cw_stats_allocator *al = &reg->al;
    for (uint32_t i = 0; i < a->nsources; i++)
        source_free(al, &a->sources[i]);
    st_free(al, a->sources);
    st_free(al, a->entries);
    st_free(al, a->runs);
    st_free(al, a->caps);
    st_free(al, a->cap_runs);
    st_free(al, a->dims);
    st_free(al, a->packs);
    st_free(al, a->mults);
    st_free(al, a->out_primary);
    st_free(al, a->out_derived);
    st_free(al, a->out_bounds);
    st_free(al, a);
    cw_stats_registry_free(reg);
}

cw_stats_registry *cw_stats_actor_registry(const cw_stats_actor *a)
{
    return a->reg;
}

size_t cw_stats_actor_source_count(const cw_stats_actor *a)
{
    return a->nsources;
}

void cw_stats_actor_mark_dirty(cw_stats_actor *a)
{
    a->dirty = 1;
}

int cw_stats_actor_is_dirty(const cw_stats_actor *a)
{
    return a->dirty || a->seen_epoch != a->reg->epoch;
}

uint64_t cw_stats_actor_version(const cw_stats_actor *a)
{
    return a->version;
}

const char *cw_stats_actor_realm(const cw_stats_actor *a)
{
    return a->realm == CW_STATS_NONE ? NULL : a->reg->syms.names[a->realm];
}

int cw_stats_actor_set_realm(cw_stats_actor *a, const char *realm, cw_error *err)
{
    uint32_t id = CW_STATS_NONE;
    if (realm) {
        int rc = st_check_name(realm, "realm", err);
        if (rc < 0 || (rc = st_symtab_intern(&a->reg->al, &a->reg->syms, realm, &id, err)) < 0)
            return rc;
    }
    if (id != a->realm) {
        a->realm = id;
        a->dirty = 1;
        a->version++;
    }
    return 0;
}

/* Index of the source named `name`, or where it would be inserted (*found = 0). */
static uint32_t source_find(const cw_stats_actor *a, const char *name, int *found)
{
    uint32_t lo = 0, hi = a->nsources;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(a->sources[mid].name_str, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static int cmp_pack_src(const void *pa, const void *pb)
{
    const st_pack_src *a = pa, *b = pb;
    return (a->name > b->name) - (a->name < b->name);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Converts `in` into canonical (sorted) form in *s. */
static int source_build(cw_stats_registry *reg, const cw_stats_source_in *in, st_source *s,
                        cw_error *err)
{
    const cw_stats_allocator *al = &reg->al;
    size_t ne = in->nprimary + in->nderived, nm = 0;
    int rc = 0;
    if (ne > (1u << 20) || in->ncaps > (1u << 20) || in->npacks > 4096)
        return cw_error_set(err, CW_ELIMIT, "stats: source too large");
    for (size_t i = 0; i < in->npacks; i++)
        nm += in->packs[i].nmultipliers;
    if (nm > (1u << 20)) return cw_error_set(err, CW_ELIMIT, "stats: too many multipliers");
    if ((ne && !(s->entries = st_realloc(al, NULL, ne * sizeof *s->entries))) ||
        (in->ncaps && !(s->caps = st_realloc(al, NULL, in->ncaps * sizeof *s->caps))) ||
        (in->npacks && !(s->packs = st_realloc(al, NULL, in->npacks * sizeof *s->packs))) ||
        (nm && !(s->mults = st_realloc(al, NULL, nm * sizeof *s->mults))))
        return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    for (size_t i = 0; i < in->nprimary && rc == 0; i++)
        rc = st_convert_contrib(reg, &in->primary[i], CW_STATS_PRIMARY, "primary", i,
                                &s->entries[s->nentries++], err);
    for (size_t i = 0; i < in->nderived && rc == 0; i++)
        rc = st_convert_contrib(reg, &in->derived[i], CW_STATS_DERIVED, "derived", i,
                                &s->entries[s->nentries++], err);
    for (size_t i = 0; i < in->ncaps && rc == 0; i++)
        rc = st_convert_cap(reg, &in->caps[i], i, &s->caps[s->ncaps++], err);
    for (size_t i = 0; i < in->npacks && rc == 0; i++) {
        const cw_stats_pack_in *p = &in->packs[i];
        char what[48];
        snprintf(what, sizeof what, "context[%zu]", i);
        uint32_t name;
        if ((rc = st_check_name(p->name, what, err)) < 0 ||
            (rc = st_symtab_intern(al, &reg->syms, p->name, &name, err)) < 0)
            break;
        int bad = !isfinite(p->additive_percent) || !isfinite(p->post_add);
        for (size_t k = 0; k < p->nmultipliers; k++)
            bad |= !isfinite(p->multipliers[k]);
        if (bad) {
            rc = cw_error_set(err, CW_EINVAL, "context.%s: not a finite number", p->name);
            break;
        }
        for (uint32_t k = 0; k < s->npacks; k++)
            if (s->packs[k].name == name) {
                rc = cw_error_set(err, CW_EINVAL, "context.%s: duplicate pack", p->name);
                break;
            }
        if (rc < 0) break;
        st_pack_src *ps = &s->packs[s->npacks++];
        *ps = (st_pack_src){name, p->additive_percent + 0.0, p->post_add + 0.0, s->nmults,
                            (uint32_t)p->nmultipliers};
        for (size_t k = 0; k < p->nmultipliers; k++)
            s->mults[s->nmults++] = p->multipliers[k] + 0.0;
        if (ps->mcount) qsort(s->mults + ps->mstart, ps->mcount, sizeof *s->mults, cmp_double);
    }
    if (rc < 0) return rc;
    if (s->nentries) qsort(s->entries, s->nentries, sizeof *s->entries, st_entry_cmp);
    if (s->ncaps) qsort(s->caps, s->ncaps, sizeof *s->caps, st_cap_cmp);
    if (s->npacks) qsort(s->packs, s->npacks, sizeof *s->packs, cmp_pack_src);
    return 0;
}

static int source_equal(const st_source *x, const st_source *y)
{
    if (x->nentries != y->nentries || x->ncaps != y->ncaps || x->npacks != y->npacks ||
        x->nmults != y->nmults)
        return 0;
    for (uint32_t i = 0; i < x->nentries; i++)
        if (st_entry_cmp(&x->entries[i], &y->entries[i])) return 0;
    for (uint32_t i = 0; i < x->ncaps; i++)
        if (st_cap_cmp(&x->caps[i], &y->caps[i])) return 0;
    for (uint32_t i = 0; i < x->npacks; i++) {
        const st_pack_src *p = &x->packs[i], *q = &y->packs[i];
        if (p->name != q->name || p->add != q->add || p->post != q->post || p->mcount != q->mcount)
            return 0;
        for (uint32_t k = 0; k < p->mcount; k++)
            if (x->mults[p->mstart + k] != y->mults[q->mstart + k]) return 0;
    }
    return 1;
}

static int reserve_outputs(cw_stats_actor *a, size_t np, size_t nd, size_t nb, cw_error *err)
{
    const cw_stats_allocator *al = &a->reg->al;
    int rc;
    if ((rc = st_reserve(al, (void **)&a->out_primary, &a->out_primary_cap, np + 1,
                         sizeof *a->out_primary, err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->out_derived, &a->out_derived_cap, nd + 1,
                         sizeof *a->out_derived, err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->out_bounds, &a->out_bounds_cap, nb + 1,
                         sizeof *a->out_bounds, err)) < 0)
        return rc;
    return 0;
}

/* Re-points the cached snapshot at buffers a reserve may have moved; their
 * contents survived the realloc. */
static void refresh_snapshot(cw_stats_actor *a)
{
    a->snap.primary = a->out_primary;
    a->snap.derived = a->out_derived;
    a->snap.caps_used = a->out_bounds;
    a->snap.context = a->packs;
}

int st_actor_reserve_outputs(cw_stats_actor *a, cw_error *err)
{
    const cw_stats_registry *reg = a->reg;
    int rc = reserve_outputs(a, a->nprimary_runs, a->nruns - a->nprimary_runs + reg->nformulas,
                             a->ndims + reg->nextra_dims, err);
    refresh_snapshot(a);
    return rc;
}

/* Totals over all sources, with `skip` (if any) replaced by `add` (if any). */
static int reserve_compiled(cw_stats_actor *a, const st_source *skip, const st_source *add,
                            cw_error *err)
{
    size_t ne = 0, nc = 0, np = 0, nm = 0, nprim = 0;
    for (uint32_t i = 0; i <= a->nsources; i++) {
        const st_source *s = i < a->nsources ? &a->sources[i] : add;
        if (!s || s == skip) continue;
        ne += s->nentries;
        nc += s->ncaps;
        np += s->npacks;
        nm += s->nmults;
        for (uint32_t k = 0; k < s->nentries; k++)
            nprim += s->entries[k].list == CW_STATS_PRIMARY;
    }
    const cw_stats_allocator *al = &a->reg->al;
    int rc;
    if ((rc = st_reserve(al, (void **)&a->entries, &a->entries_cap, ne + 1, sizeof(st_entry),
                         err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->runs, &a->runs_cap, ne + 1, sizeof(st_run), err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->caps, &a->caps_cap, nc + 1, sizeof(st_cap), err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->cap_runs, &a->cap_runs_cap, nc + 1, sizeof(st_run),
                         err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->dims, &a->dims_cap, ne + nc + 1, sizeof(uint32_t), err)) <
            0 ||
        (rc = st_reserve(al, (void **)&a->packs, &a->packs_cap, np + 1, sizeof(cw_stats_pack),
                         err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->mults, &a->mults_cap, nm + 1, sizeof(double), err)) < 0 ||
        (rc = st_reserve(al, (void **)&a->sources, &a->sources_cap, a->nsources + 1,
                         sizeof(st_source), err)) < 0)
        return rc;
    const cw_stats_registry *reg = a->reg;
    return reserve_outputs(a, nprim, ne - nprim + reg->nformulas, ne + nc + reg->nextra_dims, err);
}

/* Rebuilds the sorted arrays from the sources. Capacity is already reserved. */
static void compile(cw_stats_actor *a)
{
    uint32_t ne = 0, nc = 0;
    for (uint32_t i = 0; i < a->nsources; i++) {
        const st_source *s = &a->sources[i];
        if (s->nentries) memcpy(a->entries + ne, s->entries, s->nentries * sizeof(st_entry));
        if (s->ncaps) memcpy(a->caps + nc, s->caps, s->ncaps * sizeof(st_cap));
        ne += s->nentries;
        nc += s->ncaps;
    }
    if (ne) qsort(a->entries, ne, sizeof(st_entry), st_entry_cmp);
    if (nc) qsort(a->caps, nc, sizeof(st_cap), st_cap_cmp);
    a->nentries = ne;
    a->ncaps = nc;
    a->nruns = st_entry_runs(a->entries, ne, a->runs, &a->nprimary_runs);
    a->ncap_runs = st_cap_runs(a->caps, nc, a->cap_runs);
    uint32_t nd = 0;
    for (uint32_t i = 0; i < a->nruns; i++)
        a->dims[nd++] = a->runs[i].dim;
    for (uint32_t i = 0; i < a->ncap_runs; i++)
        a->dims[nd++] = a->cap_runs[i].dim;
    if (nd) qsort(a->dims, nd, sizeof(uint32_t), cmp_u32);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nd; i++)
        if (u == 0 || a->dims[u - 1] != a->dims[i]) a->dims[u++] = a->dims[i];
    a->ndims = u;
    st_context_compile(a);
}

int cw_stats_actor_set_source(cw_stats_actor *a, const char *source, const cw_stats_source_in *in,
                              cw_error *err)
{
    cw_stats_registry *reg = a->reg;
    uint32_t name;
    int rc = st_check_name(source, "source", err);
    if (rc < 0) return rc;
    if (!in) return cw_error_set(err, CW_EINVAL, "%s: missing outputs", source);
    st_source s = {0};
    if ((rc = source_build(reg, in, &s, err)) < 0 ||
        (rc = st_symtab_intern(&reg->al, &reg->syms, source, &name, err)) < 0)
        goto fail;
    s.name = name;
    s.name_str = reg->syms.names[name];
    int found;
    uint32_t at = source_find(a, source, &found);
    if (found && source_equal(&a->sources[at], &s)) {
        source_free(&reg->al, &s);
        return 0;
    }
    if ((rc = reserve_compiled(a, found ? &a->sources[at] : NULL, &s, err)) < 0) {
        /* buffers may have moved: rebuild what points into them (allocates nothing) */
        compile(a);
        refresh_snapshot(a);
        goto fail;
    }
    if (found) {
        source_free(&reg->al, &a->sources[at]);
    } else {
        memmove(&a->sources[at + 1], &a->sources[at], (a->nsources - at) * sizeof(st_source));
        a->nsources++;
    }
    a->sources[at] = s;
    compile(a);
    a->dirty = 1;
    a->version++;
    return 0;
fail:
    source_free(&reg->al, &s);
    return rc;
}

int cw_stats_actor_remove_source(cw_stats_actor *a, const char *source, cw_error *err)
{
    int found = 0;
    uint32_t at = source ? source_find(a, source, &found) : 0;
    if (!found)
        return cw_error_set(err, CW_ENOTFOUND, "source %s: not set on this actor",
                            source ? source : "(null)");
    source_free(&a->reg->al, &a->sources[at]);
    memmove(&a->sources[at], &a->sources[at + 1], (a->nsources - at - 1) * sizeof(st_source));
    a->nsources--;
    compile(a); /* shrinking: the reserved capacity still fits */
    a->dirty = 1;
    a->version++;
    return 0;
}
