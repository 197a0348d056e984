/* hit.c — the ten steps of one hit (spec/combat.md "One hit"). */
#include "core/sim/combat/hit.h"

#include <math.h>
#include <string.h>

#include "core/base/rng.h"

static inline double stat(const cw_combat_stat *s, int e)
{
    return cw_combat_sane(s->omni) + cw_combat_sane(s->elem[e]);
}

static inline double sigma(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* p = σ(k·(a − d)/S); a and d are already sane and the curve validated, but a
 * caller-filled curve may still hold garbage: fall back to the defaults. */
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

static int validate(const cw_combat_content *c, const cw_combat_actor *atk,
                    const cw_combat_actor *def, const cw_combat_pools *dp,
                    const cw_combat_skill *sk, int *elem, cw_error *err)
{
    int e = sk->element == CW_COMBAT_ELEMENT_ATTACKER ? atk->element : sk->element;
    if (c->n_elements < 1 || c->n_elements > CW_COMBAT_MAX_ELEMENTS)
        return cw_error_set(err, CW_EINVAL, "combat: content has no elements");
    if (c->n_resources < 1 || c->n_resources > CW_COMBAT_MAX_RESOURCES || c->hp < 0 ||
        c->hp >= c->n_resources)
        return cw_error_set(err, CW_EINVAL, "combat: content resources are malformed");
    if (e < 0 || e >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: attack element %d out of range", e);
    if (def->element < 0 || def->element >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: defender element %d out of range",
                            def->element);
    if (!sk->true_damage && (sk->damage_type < 0 || sk->damage_type >= c->n_damage_types ||
                             c->n_damage_types > CW_COMBAT_MAX_DAMAGE_TYPES))
        return cw_error_set(err, CW_EINVAL, "combat: damage type %d out of range", sk->damage_type);
    if (dp->n_shields < 0 || dp->n_shields > CW_COMBAT_MAX_SHIELDS)
        return cw_error_set(err, CW_EINVAL, "combat: %d shields", dp->n_shields);
    const cw_combat_pack *packs[2] = {&atk->damage, &def->damage_taken};
    for (int i = 0; i < 2; i++)
        if (packs[i]->n_multipliers < 0 || packs[i]->n_multipliers > CW_COMBAT_MAX_MULTIPLIERS)
            return cw_error_set(err, CW_EINVAL, "combat: %d multipliers in a pack",
                                packs[i]->n_multipliers);
    *elem = e;
    return 0;
}

int cw_combat_hit(const cw_combat_content *c, const cw_combat_actor *atk,
                  const cw_combat_actor *def, const cw_combat_pools *dp, const cw_combat_skill *sk,
                  const cw_combat_seed *seed, cw_combat_hit_record *out, cw_error *err)
{
    if (!out) return cw_error_set(err, CW_EINVAL, "combat: hit needs a record");
    memset(out, 0, sizeof *out);
    if (!c || !atk || !def || !dp || !sk || !seed)
        return cw_error_set(err, CW_EINVAL,
                            "combat: hit needs content, actors, pools, skill, seed");
    int e = 0;
    int rc = validate(c, atk, def, dp, sk, &e, err);
    if (rc) return rc;
    cw_combat_hit_record *r = out;
    const int truedmg = sk->true_damage != 0;
    r->true_damage = (uint8_t)truedmg;
    r->element = e;
    r->damage_type = truedmg ? -1 : sk->damage_type;

    /* The five rolls, always all drawn, in the spec's order. */
    cw_rng g;
    const uint64_t words[5] = {seed->server_seed, seed->tick, seed->attacker_id, seed->target_id,
                               seed->skill_id};
    cw_rng_seed_words(&g, words, 5);
    for (int i = 0; i < CW_COMBAT_ROLLS; i++) {
        uint64_t x = cw_rng_next(&g) >> 11;
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
        r->p_hit = contest(k, S, stat(&atk->accuracy, e), stat(&def->evasion, e));
        r->hit = r->rolls[0] < r->p_hit;
    }
    /* crit and its size */
    r->p_crit = contest(k, S, stat(&atk->crit_rate, e), stat(&def->crit_resist, e));
    r->crit = r->hit && r->rolls[1] < r->p_crit;
    r->cm =
        1.0 + 2.0 * contest(k, S, stat(&atk->crit_damage, e), stat(&def->crit_damage_resist, e));

    /* 2. base damage */
    double lo = cw_combat_sane(sk->base_min), hi = cw_combat_sane(sk->base_max);
    if (hi < lo) hi = lo;
    r->bd = lo + (hi - lo) * r->rolls[2];

    /* 3. power and defense (penetration clamped to [0, 0.8]) */
    r->penetration = cw_combat_clamp(cw_combat_sane(sk->penetration), 0.0, 0.8);
    r->pp = stat(&atk->power, e) * cw_combat_sane(sk->scaling);
    r->def = truedmg ? 0.0 : stat(&def->defense, e) * (1.0 - r->penetration);

    /* 4. pre-damage, never below zero */
    double pre = r->bd + r->pp - r->def;
    r->pre = pre > 0 ? pre : 0.0;

    /* 5. multiplier: matrix × (1 + Σ additive) × Π multipliers over both packs */
    r->matrix = truedmg ? 1.0
                        : cw_combat_clamp(cw_combat_sane(c->matrix[e][def->element]), 0,
                                          CW_COMBAT_MULT_LIMIT);
    double add = cw_combat_sane(atk->damage.additive_percent) +
                 cw_combat_sane(def->damage_taken.additive_percent);
    r->m = r->matrix * (1.0 + add) * pack_product(&atk->damage) * pack_product(&def->damage_taken);

    /* 6. mastery */
    r->mb = cw_combat_clamp((stat(&atk->mastery, e) - stat(&def->mastery, e)) * 0.01, -0.5, 1.0);

    /* 7. damage, with absolute damage that ignores defense; clamp [0, max_hit] */
    r->ad = cw_combat_sane(atk->damage.post_add) + cw_combat_sane(def->damage_taken.post_add) +
            cw_combat_sane(sk->flat);
    double max_hit = c->max_hit;
    if (!(max_hit > 0) || max_hit > CW_COMBAT_LIMIT)
        max_hit = max_hit > CW_COMBAT_LIMIT ? CW_COMBAT_LIMIT : CW_COMBAT_DEFAULT_MAX_HIT;
    /* Computed whatever the rolls said, then selected: hit and crit are coin
     * flips, and a branch on them mispredicts half the time. */
    double dmg = r->pre * r->m * (r->crit ? r->cm : 1.0) * (1.0 + r->mb) + r->ad;
    if (!(dmg > 0)) /* also catches NaN */
        dmg = 0;
    if (dmg > max_hit) dmg = max_hit;
    dmg = r->hit ? dmg : 0.0;
    r->damage = dmg;

    /* 8. shields, lowest order first (true damage skips them) */
    int nr = c->n_resources;
    r->n_shields = dp->n_shields;
    r->n_resources = nr;
    double pass = dmg;
    if (!truedmg && dmg > 0 && dp->n_shields > 0) {
        r->absorbed = cw_combat_shields_absorb(dp->shield, dp->n_shields, dmg, r->absorbed_by);
        pass = dmg - r->absorbed;
        if (pass < 0) pass = 0;
    }

    /* 9./10. split over resources; true damage goes to hp */
    if (truedmg) {
        r->resource[c->hp] = pass;
    } else if (pass > 0) {
        double avail[CW_COMBAT_MAX_RESOURCES];
        for (int i = 0; i < nr; i++)
            avail[i] = cw_combat_clamp(
                cw_combat_sane(dp->pool[i].current), 0,
                cw_combat_sane(dp->pool[i].max) > 0 ? cw_combat_sane(dp->pool[i].max) : 0);
        r->overflow = cw_combat_split(c, sk->damage_type, pass, avail, r->resource);
    }
    double hp_now = cw_combat_sane(dp->pool[c->hp].current);
    r->killed = !dp->dead && hp_now > 0 && r->resource[c->hp] >= hp_now;

    /* status: contest, then duration and intensity clamped to [0, max] */
    if (sk->has_status) {
        const cw_combat_status *st = &sk->status;
        r->p_status = contest(k, S, stat(&atk->status_power, e), stat(&def->status_resist, e));
        r->status_applied = (r->hit || !st->requires_hit) && r->rolls[4] < r->p_status;
        double dmax = cw_combat_sane(st->duration_max), imax = cw_combat_sane(st->intensity_max);
        r->status_duration = cw_combat_clamp(
            cw_combat_sane(st->duration_base) +
                (stat(&atk->status_duration, e) - stat(&def->status_duration_resist, e)),
            0, dmax > 0 ? dmax : 0);
        r->status_intensity = cw_combat_clamp(
            cw_combat_sane(st->intensity_base) +
                (stat(&atk->status_intensity, e) - stat(&def->status_intensity_resist, e)),
            0, imax > 0 ? imax : 0);
    }
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
