/* hit.c — the ten steps of one hit (spec/combat.md "One hit").
 *
 * Two entry points share one core: cw_combat_hit() gathers and sanitizes the
 * sixteen stats a hit reads from two cw_combat_actor (omni + elem[e]) and the
 * two packs; cw_combat_hit_prepared() takes them from fighters prepared once
 * (cw_combat_fighter_prepare). hit_core() then does the ten steps; it sees the
 * same doubles either way, so the two give the same record bit for bit. */
#include "core/sim/combat/hit.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/base/rng.h"

#if defined(__GNUC__)
#define HIT_INLINE static inline __attribute__((always_inline))
#else
#define HIT_INLINE static inline
#endif

/* memset(r, 0, sizeof *r), padding included (the replay test compares whole
 * records). For this fixed 344-byte size GCC emits `rep stosq`, whose start-up
 * cost is a sizeable part of a ~200-cycle hit; plain 16-byte stores are not. */
HIT_INLINE void clear_record(cw_combat_hit_record *r)
{
#if defined(__SSE2__)
    unsigned char *p = (unsigned char *)r;
    const __m128i z = _mm_setzero_si128();
    size_t i = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
    for (; i + 16 <= sizeof *r; i += 16)
        _mm_storeu_si128((__m128i *)(void *)(p + i), z);
    if (i + 8 <= sizeof *r) {
        _mm_storel_epi64((__m128i *)(void *)(p + i), z);
        i += 8;
    }
    for (; i < sizeof *r; i++)
        p[i] = 0;
#else
    memset(r, 0, sizeof *r);
#endif
}

static inline double stat(const cw_combat_stat *s, int e)
{
    return cw_combat_sane(s->omni) + cw_combat_sane(s->elem[e]);
}

static inline double sigma(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* p = σ(k·(a − d)/S); a and d are already sane, S and k checked by the caller. */
static inline double contest(double k, double s, double a, double d)
{
    return sigma(k * (a - d) / s);
}

static double pack_product(const cw_combat_pack *p)
{
    double m = 1.0;
    for (int i = 0; i < p->n_multipliers; i++)
        m *= cw_combat_clamp(cw_combat_sane(p->multipliers[i]), -CW_COMBAT_MULT_LIMIT,
                             CW_COMBAT_MULT_LIMIT);
    return m;
}

static int pack_count_ok(const cw_combat_pack *p)
{
    return p->n_multipliers >= 0 && p->n_multipliers <= CW_COMBAT_MAX_MULTIPLIERS;
}

/* Everything but the packs, in the order errors are reported. */
HIT_INLINE int validate(const cw_combat_content *c, int e, int def_element,
                        const cw_combat_pools *dp, const cw_combat_skill *sk, cw_error *err)
{
    if (c->n_elements < 1 || c->n_elements > CW_COMBAT_MAX_ELEMENTS)
        return cw_error_set(err, CW_EINVAL, "combat: content has no elements");
    if (c->n_resources < 1 || c->n_resources > CW_COMBAT_MAX_RESOURCES || c->hp < 0 ||
        c->hp >= c->n_resources)
        return cw_error_set(err, CW_EINVAL, "combat: content resources are malformed");
    if (e < 0 || e >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: attack element %d out of range", e);
    if (def_element < 0 || def_element >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: defender element %d out of range",
                            def_element);
    if (!sk->true_damage && (sk->damage_type < 0 || sk->damage_type >= c->n_damage_types ||
                             c->n_damage_types > CW_COMBAT_MAX_DAMAGE_TYPES))
        return cw_error_set(err, CW_EINVAL, "combat: damage type %d out of range", sk->damage_type);
    if (dp->n_shields < 0 || dp->n_shields > CW_COMBAT_MAX_SHIELDS)
        return cw_error_set(err, CW_EINVAL, "combat: %d shields", dp->n_shields);
    return 0;
}

/* What the core reads from the two actors, already sane. */
typedef struct hit_actors {
    const double *as;                /* attacker's att row, CW_COMBAT_ATT_* */
    const double *ds;                /* defender's def row, CW_COMBAT_DEF_* */
    double a_add, a_post, a_product; /* attacker's `damage` pack */
    double d_add, d_post, d_product; /* defender's `damage_taken` pack */
    int e, def_element;
} hit_actors;

/* The ten steps; inputs validated, *r zeroed. */
HIT_INLINE void hit_core(const cw_combat_content *c, const hit_actors *h,
                         const cw_combat_pools *dp, const cw_combat_skill *sk,
                         const cw_combat_seed *seed, cw_combat_hit_record *r)
{
    const double *as = h->as, *ds = h->ds;
    const int e = h->e;
    const int truedmg = sk->true_damage != 0;
    r->true_damage = (uint8_t)truedmg;
    r->element = e;
    r->damage_type = truedmg ? -1 : sk->damage_type;

    /* The five rolls, always all drawn, in the spec's order: stream v1
     * (rng.h), one key per hit, draw i = mix(key + (i + 1)·G). */
    const uint64_t words[5] = {seed->server_seed, seed->tick, seed->attacker_id, seed->target_id,
                               seed->skill_id};
    const uint64_t key = cw_rng_stream_key(words, 5);
    for (int i = 0; i < CW_COMBAT_ROLLS; i++) {
        uint64_t x = cw_rng_stream_draw(key, (uint64_t)i) >> 11;
        r->rolls[i] = i == 2 ? (double)x / (double)((1ull << 53) - 1) : (double)x * 0x1.0p-53;
    }

    double S = c->curve[e].scale, k = c->curve[e].steep;
    if (!(S > 0) || !isfinite(S)) S = CW_COMBAT_DEFAULT_SCALE;
    k = cw_combat_sane(k);

    /* 1. hit roll (skipped by true damage) */
    if (truedmg) {
        r->p_hit = 1.0;
        r->hit = 1;
    } else {
        r->p_hit = contest(k, S, as[CW_COMBAT_ATT_ACCURACY], ds[CW_COMBAT_DEF_EVASION]);
        r->hit = r->rolls[0] < r->p_hit;
    }
    /* crit and its size */
    r->p_crit = contest(k, S, as[CW_COMBAT_ATT_CRIT_RATE], ds[CW_COMBAT_DEF_CRIT_RESIST]);
    r->crit = (uint8_t)(r->hit & (r->rolls[1] < r->p_crit));
    r->cm = 1.0 + 2.0 * contest(k, S, as[CW_COMBAT_ATT_CRIT_DAMAGE],
                                ds[CW_COMBAT_DEF_CRIT_DAMAGE_RESIST]);

    /* 2. base damage */
    double lo = cw_combat_sane(sk->base_min), hi = cw_combat_sane(sk->base_max);
    if (hi < lo) hi = lo;
    r->bd = lo + (hi - lo) * r->rolls[2];

    /* 3. power and defense (penetration clamped to [0, 0.8]) */
    r->penetration = cw_combat_clamp_ordered(cw_combat_sane(sk->penetration), 0.0, 0.8);
    r->pp = as[CW_COMBAT_ATT_POWER] * cw_combat_sane(sk->scaling);
    r->def = truedmg ? 0.0 : ds[CW_COMBAT_DEF_DEFENSE] * (1.0 - r->penetration);

    /* 4. pre-damage, never below zero */
    double pre = r->bd + r->pp - r->def;
    r->pre = cw_combat_fmax(pre, 0.0);

    /* 5. multiplier: matrix × (1 + Σ additive) × Π multipliers over both packs */
    r->matrix = truedmg ? 1.0
                        : cw_combat_clamp_ordered(cw_combat_sane(c->matrix[e][h->def_element]), 0,
                                                  CW_COMBAT_MULT_LIMIT);
    double add = h->a_add + h->d_add;
    r->m = r->matrix * (1.0 + add) * h->a_product * h->d_product;

    /* 6. mastery */
    r->mb = cw_combat_clamp_ordered((as[CW_COMBAT_ATT_MASTERY] - ds[CW_COMBAT_DEF_MASTERY]) * 0.01,
                                    -0.5, 1.0);

    /* 7. damage, with absolute damage that ignores defense; clamp [0, max_hit] */
    r->ad = h->a_post + h->d_post + cw_combat_sane(sk->flat);
    double max_hit = c->max_hit;
    if (!(max_hit > 0) || max_hit > CW_COMBAT_LIMIT)
        max_hit = max_hit > CW_COMBAT_LIMIT ? CW_COMBAT_LIMIT : CW_COMBAT_DEFAULT_MAX_HIT;
    /* Computed whatever the rolls said, then selected: hit and crit are coin
     * flips, and a branch on them mispredicts half the time. */
    double dmg = r->pre * r->m * cw_combat_pick(r->crit, r->cm, 1.0) * (1.0 + r->mb) + r->ad;
    dmg = cw_combat_fmax(dmg, 0.0);     /* !(dmg > 0) -> 0, NaN included */
    dmg = cw_combat_fmin(max_hit, dmg); /* dmg > max_hit -> max_hit */
    dmg = cw_combat_pick(r->hit, dmg, 0.0);
    r->damage = dmg;

    /* 8. shields, lowest order first (true damage skips them). This one does
     * branch on the outcome: a miss skips steps 8-10, which costs a
     * mispredict now and then but saves ~250 instructions per miss (measured:
     * the same speed when the core is free, faster when it is shared). */
    int nr = c->n_resources;
    r->n_shields = dp->n_shields;
    r->n_resources = nr;
    double pass = dmg;
    if (!truedmg && dmg > 0 && dp->n_shields > 0) {
        r->absorbed = cw_combat_shields_absorb(dp->shield, dp->n_shields, dmg, r->absorbed_by);
        pass = cw_combat_fmax(0.0, dmg - r->absorbed); /* < 0 -> 0 */
    }

    /* 9./10. split over resources; true damage goes to hp */
    if (truedmg) {
        r->resource[c->hp] = pass;
    } else if (pass > 0) {
        double avail[CW_COMBAT_MAX_RESOURCES];
        for (int i = 0; i < nr; i++) {
            double m = cw_combat_sane(dp->pool[i].max);
            avail[i] = cw_combat_clamp_ordered(cw_combat_sane(dp->pool[i].current), 0,
                                               cw_combat_fmax(m, 0.0));
        }
        r->overflow = cw_combat_split(c, sk->damage_type, pass, avail, r->resource);
    }
    double hp_now = cw_combat_sane(dp->pool[c->hp].current);
    r->killed = (uint8_t)(!dp->dead & (hp_now > 0) & (r->resource[c->hp] >= hp_now));

    /* status: contest, then duration and intensity clamped to [0, max] */
    if (sk->has_status) {
        const cw_combat_status *st = &sk->status;
        r->p_status =
            contest(k, S, as[CW_COMBAT_ATT_STATUS_POWER], ds[CW_COMBAT_DEF_STATUS_RESIST]);
        r->status_applied = (uint8_t)((r->hit | !st->requires_hit) & (r->rolls[4] < r->p_status));
        double dmax = cw_combat_sane(st->duration_max), imax = cw_combat_sane(st->intensity_max);
        r->status_duration = cw_combat_clamp(
            cw_combat_sane(st->duration_base) +
                (as[CW_COMBAT_ATT_STATUS_DURATION] - ds[CW_COMBAT_DEF_STATUS_DURATION_RESIST]),
            0, dmax > 0 ? dmax : 0);
        r->status_intensity = cw_combat_clamp(
            cw_combat_sane(st->intensity_base) +
                (as[CW_COMBAT_ATT_STATUS_INTENSITY] - ds[CW_COMBAT_DEF_STATUS_INTENSITY_RESIST]),
            0, imax > 0 ? imax : 0);
    }
}

/* The attacking and defending rows of one actor for element e. */
static void att_row(const cw_combat_actor *a, int e, int status, double *s)
{
    s[CW_COMBAT_ATT_ACCURACY] = stat(&a->accuracy, e);
    s[CW_COMBAT_ATT_CRIT_RATE] = stat(&a->crit_rate, e);
    s[CW_COMBAT_ATT_CRIT_DAMAGE] = stat(&a->crit_damage, e);
    s[CW_COMBAT_ATT_POWER] = stat(&a->power, e);
    s[CW_COMBAT_ATT_MASTERY] = stat(&a->mastery, e);
    if (!status) return;
    s[CW_COMBAT_ATT_STATUS_POWER] = stat(&a->status_power, e);
    s[CW_COMBAT_ATT_STATUS_DURATION] = stat(&a->status_duration, e);
    s[CW_COMBAT_ATT_STATUS_INTENSITY] = stat(&a->status_intensity, e);
}

static void def_row(const cw_combat_actor *a, int e, int status, double *s)
{
    s[CW_COMBAT_DEF_EVASION] = stat(&a->evasion, e);
    s[CW_COMBAT_DEF_CRIT_RESIST] = stat(&a->crit_resist, e);
    s[CW_COMBAT_DEF_CRIT_DAMAGE_RESIST] = stat(&a->crit_damage_resist, e);
    s[CW_COMBAT_DEF_DEFENSE] = stat(&a->defense, e);
    s[CW_COMBAT_DEF_MASTERY] = stat(&a->mastery, e);
    if (!status) return;
    s[CW_COMBAT_DEF_STATUS_RESIST] = stat(&a->status_resist, e);
    s[CW_COMBAT_DEF_STATUS_DURATION_RESIST] = stat(&a->status_duration_resist, e);
    s[CW_COMBAT_DEF_STATUS_INTENSITY_RESIST] = stat(&a->status_intensity_resist, e);
}

int cw_combat_hit(const cw_combat_content *c, const cw_combat_actor *atk,
                  const cw_combat_actor *def, const cw_combat_pools *dp, const cw_combat_skill *sk,
                  const cw_combat_seed *seed, cw_combat_hit_record *out, cw_error *err)
{
    if (!out) return cw_error_set(err, CW_EINVAL, "combat: hit needs a record");
    clear_record(out);
    if (!c || !atk || !def || !dp || !sk || !seed)
        return cw_error_set(err, CW_EINVAL,
                            "combat: hit needs content, actors, pools, skill, seed");
    int e = sk->element == CW_COMBAT_ELEMENT_ATTACKER ? atk->element : sk->element;
    int rc = validate(c, e, def->element, dp, sk, err);
    if (rc) return rc;
    const cw_combat_pack *packs[2] = {&atk->damage, &def->damage_taken};
    for (int i = 0; i < 2; i++)
        if (!pack_count_ok(packs[i]))
            return cw_error_set(err, CW_EINVAL, "combat: %d multipliers in a pack",
                                packs[i]->n_multipliers);
    double as[CW_COMBAT_SIDE_STATS] = {0}, ds[CW_COMBAT_SIDE_STATS] = {0};
    att_row(atk, e, sk->has_status, as);
    def_row(def, e, sk->has_status, ds);
    hit_actors h = {
        .as = as,
        .ds = ds,
        .a_add = cw_combat_sane(atk->damage.additive_percent),
        .a_post = cw_combat_sane(atk->damage.post_add),
        .a_product = pack_product(&atk->damage),
        .d_add = cw_combat_sane(def->damage_taken.additive_percent),
        .d_post = cw_combat_sane(def->damage_taken.post_add),
        .d_product = pack_product(&def->damage_taken),
        .e = e,
        .def_element = def->element,
    };
    hit_core(c, &h, dp, sk, seed, out);
    return 0;
}

int cw_combat_hit_prepared(const cw_combat_content *c, const cw_combat_fighter *atk,
                           const cw_combat_fighter *def, const cw_combat_pools *dp,
                           const cw_combat_skill *sk, const cw_combat_seed *seed,
                           cw_combat_hit_record *out, cw_error *err)
{
    if (!out) return cw_error_set(err, CW_EINVAL, "combat: hit needs a record");
    clear_record(out);
    if (!c || !atk || !def || !dp || !sk || !seed)
        return cw_error_set(err, CW_EINVAL,
                            "combat: hit needs content, actors, pools, skill, seed");
    int e = sk->element == CW_COMBAT_ELEMENT_ATTACKER ? atk->element : sk->element;
    int rc = validate(c, e, def->element, dp, sk, err);
    if (rc) return rc;
    hit_actors h = {
        .as = atk->att[e],
        .ds = def->def[e],
        .a_add = atk->damage_add,
        .a_post = atk->damage_post,
        .a_product = atk->damage_product,
        .d_add = def->taken_add,
        .d_post = def->taken_post,
        .d_product = def->taken_product,
        .e = e,
        .def_element = def->element,
    };
    hit_core(c, &h, dp, sk, seed, out);
    return 0;
}

int cw_combat_fighter_prepare(cw_combat_fighter *f, const cw_combat_actor *a, cw_error *err)
{
    if (!f) return cw_error_set(err, CW_EINVAL, "combat: prepare needs a fighter");
    memset(f, 0, sizeof *f);
    if (!a) return cw_error_set(err, CW_EINVAL, "combat: prepare needs an actor");
    const cw_combat_pack *packs[2] = {&a->damage, &a->damage_taken};
    for (int i = 0; i < 2; i++)
        if (!pack_count_ok(packs[i]))
            return cw_error_set(err, CW_EINVAL, "combat: %d multipliers in a pack",
                                packs[i]->n_multipliers);
    for (int e = 0; e < CW_COMBAT_MAX_ELEMENTS; e++) {
        att_row(a, e, 1, f->att[e]);
        def_row(a, e, 1, f->def[e]);
    }
    f->damage_add = cw_combat_sane(a->damage.additive_percent);
    f->damage_post = cw_combat_sane(a->damage.post_add);
    f->damage_product = pack_product(&a->damage);
    f->taken_add = cw_combat_sane(a->damage_taken.additive_percent);
    f->taken_post = cw_combat_sane(a->damage_taken.post_add);
    f->taken_product = pack_product(&a->damage_taken);
    f->element = a->element;
    return 0;
}

int cw_combat_hit_apply(cw_combat_pools *p, const cw_combat_content *c,
                        const cw_combat_hit_record *rec, cw_error *err)
{
    if (!p || !c || !rec)
        return cw_error_set(err, CW_EINVAL, "combat: apply needs pools, content and record");
    if (rec->n_shields != p->n_shields || rec->n_resources != c->n_resources)
        return cw_error_set(err, CW_EINVAL, "combat: record does not match the pools");
    for (int i = 0; i < rec->n_shields; i++) {
        double a = cw_combat_sane(p->shield[i].amount) - rec->absorbed_by[i];
        p->shield[i].amount = a > 0 ? a : 0;
    }
    for (int r = 0; r < rec->n_resources; r++) {
        cw_combat_pool *pl = &p->pool[r];
        double m = cw_combat_sane(pl->max);
        if (m < 0) m = 0;
        pl->max = m;
        pl->current = cw_combat_clamp(cw_combat_sane(pl->current) - rec->resource[r], 0, m);
    }
    return 0;
}

void cw_combat_actor_init(cw_combat_actor *a)
{
    memset(a, 0, sizeof *a);
}

void cw_combat_skill_init(cw_combat_skill *s)
{
    memset(s, 0, sizeof *s);
    s->scaling = 1.0;
    s->element = CW_COMBAT_ELEMENT_ATTACKER;
    s->status.requires_hit = 1;
}
