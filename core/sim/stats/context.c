/* context.c — context modifier packs (damage, healing, experience, ...).
 *
 * Packs from all sources merge by summing additive_percent and post_add and
 * concatenating multipliers; a merged pack is applied to a base value as
 * base * (1 + additive_percent) * prod(multipliers) + post_add. Sources are
 * visited in name order, each pack's multipliers ascending, so the merged
 * pack does not depend on the order inputs arrived in. */
#include <string.h>

#include "core/sim/stats/stats_internal.h"

double cw_stats_pack_apply(const cw_stats_pack *p, double base)
{
    if (!p) return base;
    double v = base * (1.0 + p->additive_percent);
    for (size_t i = 0; i < p->nmultipliers; i++)
        v *= p->multipliers[i];
    return v + p->post_add;
}

int cw_stats_pack_merge(const cw_stats_pack *packs, size_t n, double *mult_buf, size_t mult_cap,
                        cw_stats_pack *out, cw_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += packs[i].nmultipliers;
    if (total > mult_cap)
        return cw_error_set(err, CW_ELIMIT, "pack merge: %zu multipliers, room for %zu", total,
                            mult_cap);
    cw_stats_pack m = {.name = n ? packs[0].name : CW_STATS_NONE, .multipliers = mult_buf};
    for (size_t i = 0; i < n; i++) {
        m.additive_percent += packs[i].additive_percent;
        m.post_add += packs[i].post_add;
        for (size_t k = 0; k < packs[i].nmultipliers; k++)
            mult_buf[m.nmultipliers++] = packs[i].multipliers[k];
    }
    *out = m;
    return 0;
}

/* Index of the merged pack for name in a->packs (sorted by name id). */
static uint32_t pack_slot(const cw_stats_actor *a, uint32_t name, int *found)
{
    uint32_t lo = 0, hi = a->npacks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->packs[mid].name < name)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < a->npacks && a->packs[lo].name == name;
    return lo;
}

void st_context_compile(cw_stats_actor *a)
{
    a->npacks = 0;
    /* pass 1: one merged pack per name, sums and multiplier counts */
    for (uint32_t i = 0; i < a->nsources; i++) {
        const st_source *s = &a->sources[i];
        for (uint32_t k = 0; k < s->npacks; k++) {
            const st_pack_src *p = &s->packs[k];
            int found;
            uint32_t at = pack_slot(a, p->name, &found);
            if (!found) {
                memmove(&a->packs[at + 1], &a->packs[at], (a->npacks - at) * sizeof *a->packs);
                a->packs[at] = (cw_stats_pack){.name = p->name};
                a->npacks++;
            }
            a->packs[at].additive_percent += p->add;
            a->packs[at].post_add += p->post;
            a->packs[at].nmultipliers += p->mcount;
        }
    }
    /* pass 2: lay the multiplier lists out back to back */
    size_t off = 0;
    for (uint32_t i = 0; i < a->npacks; i++) {
        a->packs[i].multipliers = a->mults + off;
        off += a->packs[i].nmultipliers;
        a->packs[i].nmultipliers = 0;
    }
    a->nmults = (uint32_t)off;
    /* pass 3: concatenate in source order */
    for (uint32_t i = 0; i < a->nsources; i++) {
        const st_source *s = &a->sources[i];
        for (uint32_t k = 0; k < s->npacks; k++) {
            const st_pack_src *p = &s->packs[k];
            int found;
            cw_stats_pack *m = &a->packs[pack_slot(a, p->name, &found)];
            double *dst = (double *)m->multipliers + m->nmultipliers;
            if (p->mcount) memcpy(dst, s->mults + p->mstart, p->mcount * sizeof(double));
            m->nmultipliers += p->mcount;
        }
    }
}

const cw_stats_pack *cw_stats_snapshot_pack(const cw_stats_snapshot *s, uint32_t name)
{
    for (size_t i = 0; i < s->ncontext; i++)
        if (s->context[i].name == name) return &s->context[i];
    return NULL;
}
