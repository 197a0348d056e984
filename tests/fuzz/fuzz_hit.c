/* fuzz_hit.c — libFuzzer harness for the combat hit and the pools tick.
 *
 * Bytes become raw doubles (so NaN, ±inf, denormals and huge values all
 * occur), indices and counts. The content's matrix, curves and max_hit are
 * written raw too, bypassing the validating setters. Invariants (abort() on
 * violation): no NaN in the record; 0 <= damage <= max_hit; absorbed <= the
 * shields' total; parts sum to the damage; after applying, and after a tick,
 * every pool is within [0, max] and every shield >= 0.
 *
 * Build: CC=clang cmake -B build-fuzz-combat -DCHAOS_FUZZ=ON -DCHAOS_TESTS=OFF
 *        cmake --build build-fuzz-combat --target fuzz_hit */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sim/combat/combat.h"

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t u64(reader *r)
{
    uint64_t v = 0;
    size_t k = r->n < 8 ? r->n : 8;
    memcpy(&v, r->p, k);
    r->p += k;
    r->n -= k;
    return v;
}

static double dbl(reader *r)
{
    uint64_t v = u64(r);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static uint8_t byte(reader *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

static void check(int ok)
{
    if (!ok) abort();
}

static void fill_stat(reader *r, cw_combat_stat *s, int e1, int e2)
{
    s->omni = dbl(r);
    s->elem[e1] = dbl(r);
    s->elem[e2] = dbl(r);
}

static void fill_actor(reader *r, cw_combat_actor *a, int n_el)
{
    a->element = byte(r) % (n_el + 1); /* sometimes out of range */
    int e1 = byte(r) % CW_COMBAT_MAX_ELEMENTS, e2 = byte(r) % CW_COMBAT_MAX_ELEMENTS;
    cw_combat_stat *stats[] = {
        &a->accuracy,        &a->evasion,       &a->power,       &a->defense,
        &a->crit_rate,       &a->crit_resist,   &a->crit_damage, &a->crit_damage_resist,
        &a->status_power,    &a->status_resist, &a->mastery,     &a->status_duration,
        &a->status_intensity};
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        fill_stat(r, stats[i], e1, e2);
    cw_combat_pack *packs[] = {&a->damage, &a->damage_taken};
    for (int i = 0; i < 2; i++) {
        packs[i]->additive_percent = dbl(r);
        packs[i]->post_add = dbl(r);
        packs[i]->n_multipliers = byte(r) % (CW_COMBAT_MAX_MULTIPLIERS + 1);
        for (int k = 0; k < packs[i]->n_multipliers; k++)
            packs[i]->multipliers[k] = dbl(r);
    }
}

static double sane_max_hit(double m)
{
    if (!(m > 0)) return CW_COMBAT_DEFAULT_MAX_HIT;
    return m > CW_COMBAT_LIMIT ? CW_COMBAT_LIMIT : m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cw_combat_content c; /* rebuilt on every input */
    cw_combat_actor a, d;
    cw_combat_pools p;
    cw_combat_skill s;
    cw_combat_seed seed;
    cw_combat_hit_record rec;
    reader r = {data, size};

    cw_combat_content_demo(&c);
    for (int i = byte(&r) % 4; i > 0; i--) {
        int x = byte(&r) % CW_COMBAT_MAX_ELEMENTS, y = byte(&r) % CW_COMBAT_MAX_ELEMENTS;
        c.matrix[x][y] = dbl(&r);
        c.curve[x].scale = dbl(&r);
        c.curve[x].steep = dbl(&r);
    }
    if (byte(&r) & 1) c.max_hit = dbl(&r);
    memset(&a, 0, sizeof a);
    memset(&d, 0, sizeof d);
    fill_actor(&r, &a, c.n_elements);
    fill_actor(&r, &d, c.n_elements);
    cw_combat_skill_init(&s);
    s.base_min = dbl(&r);
    s.base_max = dbl(&r);
    s.scaling = dbl(&r);
    s.flat = dbl(&r);
    s.penetration = dbl(&r);
    s.element = (int)(byte(&r) % (c.n_elements + 2)) - 1;
    s.damage_type = byte(&r) % (c.n_damage_types + 1);
    uint8_t flags = byte(&r);
    s.true_damage = flags & 1;
    s.has_status = (flags >> 1) & 1;
    s.status.requires_hit = (flags >> 2) & 1;
    s.status.duration_base = dbl(&r);
    s.status.duration_max = dbl(&r);
    s.status.intensity_base = dbl(&r);
    s.status.intensity_max = dbl(&r);
    cw_combat_pools_init(&p, &c);
    for (int i = 0; i < c.n_resources; i++) {
        p.pool[i].current = dbl(&r);
        p.pool[i].max = dbl(&r);
        p.pool[i].regen = dbl(&r);
    }
    p.n_shields = byte(&r) % (CW_COMBAT_MAX_SHIELDS + 1);
    for (int i = 0; i < p.n_shields; i++) {
        p.shield[i].amount = dbl(&r);
        p.shield[i].decay = dbl(&r);
        p.shield[i].order = (int32_t)u64(&r);
    }
    seed.server_seed = u64(&r);
    seed.tick = u64(&r);
    seed.attacker_id = u64(&r);
    seed.target_id = u64(&r);
    seed.skill_id = u64(&r);

    if (cw_combat_hit(&c, &a, &d, &p, &s, &seed, &rec, NULL) != 0)
        return 0; /* an invalid index: refused, nothing to check */
    double max_hit = sane_max_hit(c.max_hit);
    check(!isnan(rec.damage) && rec.damage >= 0 && rec.damage <= max_hit);
    double fields[] = {rec.bd,
                       rec.pp,
                       rec.def,
                       rec.pre,
                       rec.matrix,
                       rec.m,
                       rec.cm,
                       rec.mb,
                       rec.ad,
                       rec.absorbed,
                       rec.overflow,
                       rec.p_hit,
                       rec.p_crit,
                       rec.p_status,
                       rec.status_duration,
                       rec.status_intensity};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        check(!isnan(fields[i]));
    check(rec.cm >= 1.0 && rec.cm <= 3.0);
    double shields = 0;
    for (int i = 0; i < p.n_shields; i++) {
        double v = cw_combat_sane(p.shield[i].amount);
        shields += v > 0 ? v : 0;
        check(rec.absorbed_by[i] >= 0);
    }
    check(rec.absorbed >= 0 && rec.absorbed <= shields + 1e-9 * (1 + shields));
    double sum = rec.absorbed;
    for (int i = 0; i < c.n_resources; i++) {
        check(!isnan(rec.resource[i]) && rec.resource[i] >= 0);
        sum += rec.resource[i];
    }
    check(fabs(sum - rec.damage) <= 1e-9 * (1 + rec.damage));
    check(cw_combat_hit_apply(&p, &c, &rec, NULL) == 0);
    for (int i = 0; i < c.n_resources; i++)
        check(p.pool[i].current >= 0 && p.pool[i].current <= p.pool[i].max);
    for (int i = 0; i < p.n_shields; i++)
        check(p.shield[i].amount >= 0);

    /* one tick with the remaining bytes */
    cw_combat_tick_in in;
    memset(&in, 0, sizeof in);
    in.dt = fabs(dbl(&r));
    in.in_combat = byte(&r) & 1;
    for (int i = 0; i < c.n_resources; i++) {
        in.damage[i] = dbl(&r);
        in.heal[i] = dbl(&r);
    }
    in.typed[byte(&r) % CW_COMBAT_MAX_DAMAGE_TYPES] = dbl(&r);
    cw_combat_events ev;
    if (cw_combat_pools_tick(&p, &c, &in, &ev, NULL) == 0) {
        for (int i = 0; i < c.n_resources; i++)
            check(p.pool[i].current >= 0 && p.pool[i].current <= p.pool[i].max &&
                  !isnan(p.pool[i].current));
        for (int i = 0; i < p.n_shields; i++)
            check(p.shield[i].amount >= 0);
        check(ev.n >= 0 && ev.n <= CW_COMBAT_MAX_EVENTS);
    }
    return 0;
}
