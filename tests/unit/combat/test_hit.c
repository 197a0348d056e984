/* test_hit.c — the ten steps, hand-computed; shields, overflow, true damage,
 * clamps, status; determinism and property tests with fixed seeds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/base/rng.h"
#include "core/sim/combat/combat.h"

#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);         \
    } while (0)

typedef struct fx {
    cw_combat_content c;
    cw_combat_actor a, d;
    cw_combat_pools p;
    cw_combat_skill s;
    cw_combat_seed seed;
    cw_combat_hit_record r;
} fx;

static fx F; /* large; test-local, reset by setup */

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    cw_combat_content_demo(&F.c);
    cw_combat_actor_init(&F.a);
    cw_combat_actor_init(&F.d);
    cw_combat_skill_init(&F.s);
    cw_combat_pools_init(&F.p, &F.c);
    F.p.pool[CW_COMBAT_DEMO_HP] = (cw_combat_pool){1000, 1000, 0};
    F.p.pool[CW_COMBAT_DEMO_MP] = (cw_combat_pool){100, 500, 0};
    F.p.pool[CW_COMBAT_DEMO_QI] = (cw_combat_pool){300, 300, 0};
    F.seed = (cw_combat_seed){42, 7, 1001, 2002, 17};
    return 0;
}

/* Certain hit and crit, CM at parity = 2. */
static void force_hit_crit(void)
{
    F.a.accuracy.omni = 1e6;
    F.a.crit_rate.omni = 1e6;
}

static void test_full_hit_by_hand(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.element = CW_COMBAT_DEMO_FIRE;
    F.d.element = CW_COMBAT_DEMO_METAL; /* fire overcomes metal: 1.5 */
    F.s.element = CW_COMBAT_ELEMENT_ATTACKER;
    F.s.base_min = F.s.base_max = 100;
    F.s.scaling = 1.5;
    F.s.flat = 2;
    F.s.penetration = 0.5;
    F.s.damage_type = CW_COMBAT_DEMO_MAGICAL;
    F.a.power.omni = 50;
    F.a.power.elem[CW_COMBAT_DEMO_FIRE] = 50; /* 100 × 1.5 = 150 */
    F.d.defense.omni = 40;
    F.d.defense.elem[CW_COMBAT_DEMO_FIRE] = 60;   /* 100 × 0.5 = 50 */
    F.d.defense.elem[CW_COMBAT_DEMO_METAL] = 1e6; /* not the attack element: ignored */
    F.a.damage.additive_percent = 0.1;
    F.a.damage.n_multipliers = 1;
    F.a.damage.multipliers[0] = 2;
    F.a.damage.post_add = 5;
    F.d.damage_taken.additive_percent = 0.1;
    F.d.damage_taken.n_multipliers = 1;
    F.d.damage_taken.multipliers[0] = 0.5;
    F.d.damage_taken.post_add = 3;
    F.a.mastery.omni = 30;
    F.d.mastery.omni = 10;
    F.p.n_shields = 2;
    F.p.shield[0] = (cw_combat_shield){100, 0, 2, 1};
    F.p.shield[1] = (cw_combat_shield){50, 0, 1, 2};
    cw_error err = {0};
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, &err), 0);
    cw_combat_hit_record *r = &F.r;
    assert_true(r->hit && r->crit);
    assert_int_equal(r->element, CW_COMBAT_DEMO_FIRE);
    assert_true(r->bd == 100);
    assert_near(r->pp, 150, 1e-9);
    assert_near(r->def, 50, 1e-9);
    assert_near(r->pre, 200, 1e-9);
    assert_true(r->matrix == 1.5);
    assert_near(r->m, 1.8, 1e-12);
    assert_true(r->cm == 2.0);
    assert_near(r->mb, 0.2, 1e-12);
    assert_near(r->ad, 10, 1e-12);
    /* 200 × 1.8 × 2 × 1.2 + 10 */
    assert_near(r->damage, 874, 1e-9);
    /* shields: order 1 (50) first, then order 2 (100) */
    assert_true(r->absorbed_by[1] == 50);
    assert_true(r->absorbed_by[0] == 100);
    assert_near(r->absorbed, 150, 1e-9);
    /* 724 magical: mp share 144.8 but only 100 mp: 44.8 overflows to hp */
    assert_near(r->resource[CW_COMBAT_DEMO_MP], 100, 1e-9);
    assert_near(r->overflow, 44.8, 1e-9);
    assert_near(r->resource[CW_COMBAT_DEMO_HP], 624, 1e-9);
    assert_true(r->resource[CW_COMBAT_DEMO_QI] == 0);
    assert_false(r->killed);
    assert_int_equal(cw_combat_hit_apply(&F.p, &F.c, r, &err), 0);
    assert_near(F.p.pool[CW_COMBAT_DEMO_HP].current, 376, 1e-9);
    assert_true(F.p.pool[CW_COMBAT_DEMO_MP].current == 0);
    assert_true(F.p.shield[0].amount == 0 && F.p.shield[1].amount == 0);
}

static void test_rolls_from_seed(void **state)
{
    (void)state;
    F.s.base_min = 10;
    F.s.base_max = 20;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    uint64_t w[5] = {42, 7, 1001, 2002, 17};
    uint64_t key = cw_rng_stream_key(w, 5); /* stream v1 */
    double u[5];
    for (int i = 0; i < 5; i++) {
        uint64_t x = cw_rng_stream_draw(key, (uint64_t)i) >> 11;
        u[i] = i == 2 ? (double)x / (double)((1ull << 53) - 1) : (double)x * 0x1.0p-53;
        assert_true(F.r.rolls[i] == u[i]);
    }
    /* parity everywhere: p = 0.5 */
    assert_true(F.r.p_hit == 0.5 && F.r.p_crit == 0.5);
    assert_int_equal(F.r.hit, u[0] < 0.5);
    assert_int_equal(F.r.crit, F.r.hit && u[1] < 0.5);
    assert_true(F.r.bd == 10 + 10 * u[2]);
    assert_true(F.r.cm == 2.0);
    /* another skill id → another stream */
    cw_combat_seed s2 = F.seed;
    s2.skill_id++;
    cw_combat_hit_record r2;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &s2, &r2, NULL), 0);
    assert_true(memcmp(r2.rolls, F.r.rolls, sizeof r2.rolls) != 0);
}

static void test_miss_deals_nothing(void **state)
{
    (void)state;
    F.d.evasion.omni = 1e6;
    F.s.base_min = F.s.base_max = 500;
    F.s.flat = 100;
    F.s.has_status = 1;
    F.s.status = (cw_combat_status){5, 10, 1, 3, 1};
    F.a.status_power.omni = 1e6;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_false(F.r.hit);
    assert_false(F.r.crit);
    assert_true(F.r.damage == 0);
    assert_true(F.r.resource[CW_COMBAT_DEMO_HP] == 0);
    assert_false(F.r.status_applied); /* requires a hit */
    F.s.status.requires_hit = 0;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.status_applied);
}

static void test_true_damage(void **state)
{
    (void)state;
    F.d.evasion.omni = 1e6; /* true damage skips the hit roll */
    F.d.defense.omni = 1e6; /* and defense */
    F.a.element = CW_COMBAT_DEMO_EARTH;
    F.d.element = CW_COMBAT_DEMO_WOOD; /* earth vs wood would be ×0.5 */
    F.d.crit_resist.omni = 1e6;
    F.s.true_damage = 1;
    F.s.base_min = F.s.base_max = 300;
    F.s.damage_type = 99; /* not consulted */
    F.p.n_shields = 1;
    F.p.shield[0] = (cw_combat_shield){1000, 0, 0, 9};
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.hit && F.r.true_damage);
    assert_true(F.r.def == 0 && F.r.matrix == 1.0);
    assert_true(F.r.damage == 300);
    assert_true(F.r.absorbed == 0 && F.r.absorbed_by[0] == 0);
    assert_true(F.r.resource[CW_COMBAT_DEMO_HP] == 300);
    assert_true(F.r.resource[CW_COMBAT_DEMO_MP] == 0);
    assert_int_equal(F.r.damage_type, -1);
}

static void test_penetration_clamp(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.crit_rate.omni = -1e6; /* no crit */
    F.s.base_min = F.s.base_max = 1000;
    F.d.defense.omni = 500;
    F.s.penetration = 2.0; /* → 0.8 */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.penetration == 0.8);
    assert_near(F.r.def, 100, 1e-9);
    assert_near(F.r.damage, 900, 1e-9);
    F.s.penetration = -1; /* → 0 */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.penetration == 0 && F.r.def == 500);
    /* defense above damage: pre is 0, only AD remains */
    F.d.defense.omni = 5000;
    F.s.flat = 7;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.pre == 0);
    assert_near(F.r.damage, 7, 1e-12);
}

static void test_mastery_clamp(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.crit_rate.omni = -1e6;
    F.s.base_min = F.s.base_max = 100;
    F.a.mastery.omni = 1000;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.mb == 1.0);
    assert_near(F.r.damage, 200, 1e-9);
    F.a.mastery.omni = 0;
    F.d.mastery.omni = 1000;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.mb == -0.5);
    assert_near(F.r.damage, 50, 1e-9);
}

static void test_max_hit_clamp(void **state)
{
    (void)state;
    force_hit_crit();
    F.s.base_min = F.s.base_max = 1e9;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.damage == 999999.0);
    assert_true(F.r.killed);
    assert_int_equal(cw_combat_hit_apply(&F.p, &F.c, &F.r, NULL), 0);
    assert_true(F.p.pool[CW_COMBAT_DEMO_HP].current == 0);
    /* negative multipliers cannot make damage negative */
    F.a.damage.n_multipliers = 1;
    F.a.damage.multipliers[0] = -3;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.damage == 0);
}

static void test_shield_order_ties_and_partial(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.crit_rate.omni = -1e6;
    F.s.base_min = F.s.base_max = 120;
    F.p.n_shields = 3;
    F.p.shield[0] = (cw_combat_shield){100, 0, 5, 1};
    F.p.shield[1] = (cw_combat_shield){40, 0, 3, 2};
    F.p.shield[2] = (cw_combat_shield){40, 0, 3, 3}; /* tie with [1]: position decides */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.absorbed_by[1] == 40);
    assert_true(F.r.absorbed_by[2] == 40);
    assert_true(F.r.absorbed_by[0] == 40);
    assert_true(F.r.absorbed == 120);
    assert_true(F.r.resource[CW_COMBAT_DEMO_HP] == 0);
    cw_error err = {0};
    assert_int_equal(cw_combat_hit_apply(&F.p, &F.c, &F.r, &err), 0);
    assert_true(F.p.shield[0].amount == 60);
    assert_true(F.p.pool[CW_COMBAT_DEMO_HP].current == 1000);
}

static void test_overflow_qi_to_hp(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.crit_rate.omni = -1e6;
    F.s.base_min = F.s.base_max = 1000;
    F.s.damage_type = CW_COMBAT_DEMO_QI_DAMAGE; /* 70 hp / 30 qi */
    F.p.pool[CW_COMBAT_DEMO_QI].current = 0;    /* no qi at all */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.resource[CW_COMBAT_DEMO_QI] == 0);
    assert_near(F.r.resource[CW_COMBAT_DEMO_HP], 1000, 1e-9);
    assert_near(F.r.overflow, 300, 1e-9);
    assert_true(F.r.killed);
}

static void test_status_duration_intensity(void **state)
{
    (void)state;
    force_hit_crit();
    F.a.status_power.omni = 1e6;
    F.s.has_status = 1;
    F.s.status = (cw_combat_status){4, 6, 2, 10, 1};
    F.a.status_duration.omni = 5;
    F.d.status_duration_resist.omni = 1; /* 4 + 4 = 8 → max 6 */
    F.a.status_intensity.omni = 0;
    F.d.status_intensity_resist.omni = 5; /* 2 − 5 → 0 */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(F.r.status_applied);
    assert_true(F.r.p_status == 1.0);
    assert_true(F.r.status_duration == 6);
    assert_true(F.r.status_intensity == 0);
    F.d.status_resist.omni = 2e6;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_false(F.r.status_applied);
}

static void test_invalid_inputs(void **state)
{
    (void)state;
    cw_error err = {0};
    F.s.element = 77;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "element"));
    F.s.element = 1;
    F.s.damage_type = 50;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, &err), CW_EINVAL);
    F.s.damage_type = 0;
    F.p.n_shields = 99;
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, &err), CW_EINVAL);
    assert_int_equal(cw_combat_hit(NULL, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, &err), CW_EINVAL);
}

static void test_nan_inf_sanitized(void **state)
{
    (void)state;
    F.a.accuracy.omni = NAN;
    F.a.power.omni = INFINITY;
    F.s.scaling = INFINITY;
    F.s.base_min = -INFINITY;
    F.s.base_max = NAN;
    F.d.defense.omni = NAN;
    F.a.damage.additive_percent = INFINITY;
    F.a.damage.n_multipliers = 2;
    F.a.damage.multipliers[0] = 0;
    F.a.damage.multipliers[1] = INFINITY;
    F.s.flat = NAN;
    F.p.pool[CW_COMBAT_DEMO_HP].current = NAN;
    F.p.n_shields = 1;
    F.p.shield[0].amount = INFINITY;
    for (uint64_t t = 0; t < 64; t++) {
        F.seed.tick = t;
        assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
        assert_false(isnan(F.r.damage));
        assert_true(F.r.damage >= 0 && F.r.damage <= F.c.max_hit);
        assert_false(isnan(F.r.m));
        assert_false(isnan(F.r.absorbed));
        for (int i = 0; i < F.c.n_resources; i++)
            assert_false(isnan(F.r.resource[i]));
    }
    F.a.damage.multipliers[0] = 3; /* now M is 1e6·… large but finite */
    assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
    assert_true(isfinite(F.r.m));
}

/* Random but valid inputs from a fixed-seed generator. */
static double rnd(cw_rng *g, double lo, double hi)
{
    return cw_rng_range(g, lo, hi);
}

static void random_inputs(cw_rng *g)
{
    cw_combat_stat *as[] = {&F.a.accuracy,    &F.a.power,   &F.a.crit_rate,
                            &F.a.crit_damage, &F.a.mastery, &F.a.status_power};
    cw_combat_stat *ds[] = {&F.d.evasion,     &F.d.defense,
                            &F.d.crit_resist, &F.d.crit_damage_resist,
                            &F.d.mastery,     &F.d.status_resist};
    for (int i = 0; i < 6; i++) {
        as[i]->omni = rnd(g, -50, 500);
        ds[i]->omni = rnd(g, -50, 500);
        for (int e = 0; e < 6; e++) {
            as[i]->elem[e] = rnd(g, 0, 200);
            ds[i]->elem[e] = rnd(g, 0, 200);
        }
    }
    F.a.element = (int)cw_rng_below(g, 6);
    F.d.element = (int)cw_rng_below(g, 6);
    F.a.damage.additive_percent = rnd(g, -1.5, 2);
    F.a.damage.n_multipliers = (int)cw_rng_below(g, 4);
    for (int i = 0; i < F.a.damage.n_multipliers; i++)
        F.a.damage.multipliers[i] = rnd(g, -0.5, 3);
    F.a.damage.post_add = rnd(g, -100, 100);
    F.d.damage_taken.additive_percent = rnd(g, -1, 1);
    F.d.damage_taken.post_add = rnd(g, -100, 100);
    F.s.base_min = rnd(g, 0, 5000);
    F.s.base_max = F.s.base_min + rnd(g, 0, 5000);
    F.s.scaling = rnd(g, 0, 5);
    F.s.flat = rnd(g, -50, 500);
    F.s.penetration = rnd(g, -1, 2);
    F.s.element = (int)cw_rng_below(g, 7) - 1;
    F.s.damage_type = (int)cw_rng_below(g, 4);
    F.s.true_damage = cw_rng_below(g, 8) == 0;
    F.p.n_shields = (int)cw_rng_below(g, CW_COMBAT_MAX_SHIELDS + 1);
    for (int i = 0; i < F.p.n_shields; i++)
        F.p.shield[i] = (cw_combat_shield){rnd(g, 0, 3000), 0, (int32_t)cw_rng_below(g, 5), 0};
    for (int r = 0; r < F.c.n_resources; r++) {
        F.p.pool[r].max = rnd(g, 1, 20000);
        F.p.pool[r].current = rnd(g, 0, F.p.pool[r].max);
    }
    F.seed.tick = cw_rng_next(g);
    F.seed.attacker_id = cw_rng_next(g);
}

static void test_property_bounds(void **state)
{
    (void)state;
    cw_rng g;
    cw_rng_seed(&g, 20240601);
    F.c.max_hit = 20000;
    int hits = 0, crits = 0;
    for (int n = 0; n < 100000; n++) {
        random_inputs(&g);
        double shields = cw_combat_pools_shield_total(&F.p);
        assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
        const cw_combat_hit_record *r = &F.r;
        assert_true(r->damage >= 0 && r->damage <= F.c.max_hit);
        assert_true(r->absorbed >= 0 && r->absorbed <= shields + 1e-9);
        assert_true(r->absorbed <= r->damage + 1e-9);
        double sum = r->absorbed;
        for (int i = 0; i < F.c.n_resources; i++) {
            assert_true(r->resource[i] >= 0);
            if (i != F.c.hp) assert_true(r->resource[i] <= F.p.pool[i].current + 1e-9);
            sum += r->resource[i];
        }
        assert_true(fabs(sum - r->damage) <= 1e-9 * (1 + r->damage));
        assert_true(r->cm > 1.0 && r->cm < 3.0);
        hits += r->hit;
        crits += r->crit;
        assert_int_equal(cw_combat_hit_apply(&F.p, &F.c, r, NULL), 0);
        for (int i = 0; i < F.c.n_resources; i++)
            assert_true(F.p.pool[i].current >= 0 && F.p.pool[i].current <= F.p.pool[i].max);
    }
    /* both outcomes happen */
    assert_true(hits > 1000 && hits < 99000);
    assert_true(crits > 1000 && crits < hits);
}

#define LOG_N 2000
static cw_combat_hit_record logrec[LOG_N];
static fx loginputs[LOG_N];

static void test_replay_bit_for_bit(void **state)
{
    (void)state;
    cw_rng g;
    cw_rng_seed(&g, 77);
    for (int n = 0; n < LOG_N; n++) {
        random_inputs(&g);
        assert_int_equal(cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &F.r, NULL), 0);
        loginputs[n] = F;
        memcpy(&logrec[n], &F.r, sizeof F.r); /* padding included */
    }
    /* replay from the log, in reverse order to show no hidden state */
    for (int n = LOG_N - 1; n >= 0; n--) {
        fx *in = &loginputs[n];
        cw_combat_hit_record r;
        assert_int_equal(cw_combat_hit(&in->c, &in->a, &in->d, &in->p, &in->s, &in->seed, &r, NULL),
                         0);
        assert_memory_equal(&r, &logrec[n], sizeof r);
    }
}

/* --- prepared fighters, inline RNG, shield ranking ------------------------ */

/* Some doubles that stress the sanitizing: NaN, ±inf, huge, -0. */
static double nasty(cw_rng *g, double lo, double hi)
{
    static const double odd[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, -0.0, 1e12, -1e12};
    uint64_t k = cw_rng_below(g, 32);
    return k < 8 ? odd[k] : cw_rng_range(g, lo, hi);
}

static void nasty_actor(cw_rng *g, cw_combat_actor *a)
{
    cw_combat_stat *st[] = {&a->accuracy,
                            &a->evasion,
                            &a->power,
                            &a->defense,
                            &a->crit_rate,
                            &a->crit_resist,
                            &a->crit_damage,
                            &a->crit_damage_resist,
                            &a->status_power,
                            &a->status_resist,
                            &a->status_duration,
                            &a->status_duration_resist,
                            &a->status_intensity,
                            &a->status_intensity_resist,
                            &a->mastery};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        st[i]->omni = nasty(g, -100, 600);
        for (int e = 0; e < CW_COMBAT_MAX_ELEMENTS; e++)
            st[i]->elem[e] = nasty(g, -50, 300);
    }
    a->element = (int)cw_rng_below(g, 7);
    cw_combat_pack *pk[2] = {&a->damage, &a->damage_taken};
    for (int p = 0; p < 2; p++) {
        pk[p]->additive_percent = nasty(g, -2, 2);
        pk[p]->post_add = nasty(g, -100, 100);
        pk[p]->n_multipliers = (int)cw_rng_below(g, CW_COMBAT_MAX_MULTIPLIERS + 1);
        for (int i = 0; i < CW_COMBAT_MAX_MULTIPLIERS; i++)
            pk[p]->multipliers[i] = nasty(g, -1, 3);
    }
}

/* cw_combat_hit_prepared gives the very record cw_combat_hit gives, byte for
 * byte, on valid, invalid and non-finite inputs alike. */
static void test_prepared_matches_hit(void **state)
{
    (void)state;
    cw_rng g;
    cw_rng_seed(&g, 4242);
    int ok = 0;
    for (int n = 0; n < 20000; n++) {
        if (n & 1) {
            random_inputs(&g);
        } else {
            nasty_actor(&g, &F.a);
            nasty_actor(&g, &F.d);
            F.s.base_min = nasty(&g, 0, 3000);
            F.s.base_max = nasty(&g, 0, 6000);
            F.s.scaling = nasty(&g, 0, 4);
            F.s.flat = nasty(&g, -50, 300);
            F.s.penetration = nasty(&g, -1, 2);
            F.s.element = (int)cw_rng_below(&g, 8) - 1;
            F.s.damage_type = (int)cw_rng_below(&g, 5);
            F.s.true_damage = cw_rng_below(&g, 6) == 0;
            F.s.has_status = (uint8_t)cw_rng_below(&g, 2);
            F.s.status = (cw_combat_status){nasty(&g, 0, 10), nasty(&g, 0, 20), nasty(&g, 0, 10),
                                            nasty(&g, 0, 20), (uint8_t)cw_rng_below(&g, 2)};
            F.p.n_shields = (int)cw_rng_below(&g, CW_COMBAT_MAX_SHIELDS + 1);
            for (int i = 0; i < CW_COMBAT_MAX_SHIELDS; i++)
                F.p.shield[i] =
                    (cw_combat_shield){nasty(&g, 0, 3000), 0, (int32_t)cw_rng_below(&g, 5) - 2, 0};
            for (int r = 0; r < CW_COMBAT_MAX_RESOURCES; r++)
                F.p.pool[r] = (cw_combat_pool){nasty(&g, 0, 20000), nasty(&g, 0, 20000), 0};
            F.p.dead = cw_rng_below(&g, 10) == 0;
            F.c.max_hit = cw_rng_below(&g, 4) ? 999999 : nasty(&g, 0, 1e13);
            F.c.curve[1] = (cw_combat_curve){nasty(&g, -10, 200), nasty(&g, -2, 3)};
            F.c.matrix[1][2] = nasty(&g, 0, 3);
            F.seed = (cw_combat_seed){cw_rng_next(&g), cw_rng_next(&g), cw_rng_next(&g),
                                      cw_rng_next(&g), cw_rng_next(&g)};
        }
        cw_combat_fighter fa, fd;
        assert_int_equal(cw_combat_fighter_prepare(&fa, &F.a, NULL), 0);
        assert_int_equal(cw_combat_fighter_prepare(&fd, &F.d, NULL), 0);
        cw_combat_hit_record r1, r2;
        cw_error e1 = {0}, e2 = {0};
        int rc1 = cw_combat_hit(&F.c, &F.a, &F.d, &F.p, &F.s, &F.seed, &r1, &e1);
        int rc2 = cw_combat_hit_prepared(&F.c, &fa, &fd, &F.p, &F.s, &F.seed, &r2, &e2);
        assert_int_equal(rc1, rc2);
        assert_string_equal(e1.msg, e2.msg);
        assert_memory_equal(&r1, &r2, sizeof r1);
        ok += rc1 == 0;
    }
    assert_true(ok > 10000); /* most inputs are valid */
}

static void test_prepare_errors(void **state)
{
    (void)state;
    cw_combat_fighter f;
    cw_error err = {0};
    assert_int_equal(cw_combat_fighter_prepare(&f, NULL, &err), CW_EINVAL);
    assert_int_equal(cw_combat_fighter_prepare(NULL, &F.a, &err), CW_EINVAL);
    F.a.damage_taken.n_multipliers = CW_COMBAT_MAX_MULTIPLIERS + 1;
    assert_int_equal(cw_combat_fighter_prepare(&f, &F.a, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "multipliers"));
    F.a.damage_taken.n_multipliers = 0;
    assert_int_equal(cw_combat_fighter_prepare(&f, &F.a, &err), 0);
    cw_combat_fighter fd;
    assert_int_equal(cw_combat_fighter_prepare(&fd, &F.d, &err), 0);
    F.s.element = 77;
    assert_int_equal(cw_combat_hit_prepared(&F.c, &f, &fd, &F.p, &F.s, &F.seed, &F.r, &err),
                     CW_EINVAL);
    assert_non_null(strstr(err.msg, "element"));
    assert_int_equal(cw_combat_hit_prepared(&F.c, NULL, &fd, &F.p, &F.s, &F.seed, &F.r, &err),
                     CW_EINVAL);
}

/* The inline RNG forms are the out-of-line functions, bit for bit. */
static void test_rng_inline_same_stream(void **state)
{
    (void)state;
    cw_rng g;
    cw_rng_seed(&g, 5);
    for (int n = 0; n < 10000; n++) {
        uint64_t w[6];
        for (int i = 0; i < 6; i++)
            w[i] = n < 4 ? (uint64_t)n : cw_rng_next(&g);
        int nw = (int)(n % 7);
        cw_rng a, b;
        cw_rng_seed_words(&a, w, nw);
        cw_rng_seed_words_inline(&b, w, nw);
        assert_memory_equal(&a, &b, sizeof a);
        for (int i = 0; i < 8; i++)
            assert_true(cw_rng_next(&a) == cw_rng_next_inline(&b));
    }
}

/* Shield ranking against a reference stable sort, extreme orders included. */
static void test_shield_rank_reference(void **state)
{
    (void)state;
    static const int32_t orders[] = {INT32_MIN, -7, -1, 0, 0, 1, 3, INT32_MAX};
    cw_rng g;
    cw_rng_seed(&g, 9);
    for (int n = 0; n < 5000; n++) {
        int ns = (int)cw_rng_below(&g, CW_COMBAT_MAX_SHIELDS + 1);
        cw_combat_shield s[CW_COMBAT_MAX_SHIELDS];
        int ref[CW_COMBAT_MAX_SHIELDS];
        for (int i = 0; i < ns; i++) {
            s[i] = (cw_combat_shield){cw_rng_range(&g, 0, 100), 0, orders[cw_rng_below(&g, 8)], 0};
            ref[i] = i;
        }
        for (int i = 1; i < ns; i++) /* stable insertion sort by order */
            for (int j = i; j > 0 && s[ref[j - 1]].order > s[ref[j]].order; j--) {
                int t = ref[j];
                ref[j] = ref[j - 1];
                ref[j - 1] = t;
            }
        double amount = cw_rng_range(&g, 0, 500), left = amount, want[CW_COMBAT_MAX_SHIELDS];
        for (int k = 0; k < ns; k++) {
            double take = s[ref[k]].amount < left ? s[ref[k]].amount : left;
            want[ref[k]] = take;
            left -= take;
        }
        double got[CW_COMBAT_MAX_SHIELDS];
        cw_combat_shields_absorb(s, ns, amount, got);
        for (int i = 0; i < ns; i++)
            assert_true(got[i] == want[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_full_hit_by_hand, setup),
        cmocka_unit_test_setup(test_rolls_from_seed, setup),
        cmocka_unit_test_setup(test_miss_deals_nothing, setup),
        cmocka_unit_test_setup(test_true_damage, setup),
        cmocka_unit_test_setup(test_penetration_clamp, setup),
        cmocka_unit_test_setup(test_mastery_clamp, setup),
        cmocka_unit_test_setup(test_max_hit_clamp, setup),
        cmocka_unit_test_setup(test_shield_order_ties_and_partial, setup),
        cmocka_unit_test_setup(test_overflow_qi_to_hp, setup),
        cmocka_unit_test_setup(test_status_duration_intensity, setup),
        cmocka_unit_test_setup(test_invalid_inputs, setup),
        cmocka_unit_test_setup(test_nan_inf_sanitized, setup),
        cmocka_unit_test_setup(test_property_bounds, setup),
        cmocka_unit_test_setup(test_replay_bit_for_bit, setup),
        cmocka_unit_test_setup(test_prepared_matches_hit, setup),
        cmocka_unit_test_setup(test_prepare_errors, setup),
        cmocka_unit_test_setup(test_rng_inline_same_stream, setup),
        cmocka_unit_test_setup(test_shield_rank_reference, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
