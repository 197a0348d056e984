/* test_resources.c — the tick order, the spec's worked examples, regen gating,
 * shield decay, offline catch-up, thresholds (hysteresis, coalescing, order). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/sim/combat/combat.h"

#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);         \
    } while (0)

enum {
    HP = CW_COMBAT_DEMO_HP,
    MP = CW_COMBAT_DEMO_MP,
    QI = CW_COMBAT_DEMO_QI,
    ST = CW_COMBAT_DEMO_STAMINA
};

static cw_combat_content C;
static cw_combat_pools P;
static cw_combat_events EV;

static int setup(void **state)
{
    (void)state;
    cw_combat_content_demo(&C);
    cw_combat_pools_init(&P, &C);
    P.pool[HP] = (cw_combat_pool){500, 500, 0};
    P.pool[MP] = (cw_combat_pool){1000, 1000, 0};
    P.pool[QI] = (cw_combat_pool){100, 100, 0};
    P.pool[ST] = (cw_combat_pool){500, 500, 0};
    cw_combat_pools_settle(&P, &C);
    return 0;
}

static int tick(double dt, int in_combat)
{
    cw_combat_tick_in in = {0};
    in.dt = dt;
    in.in_combat = (uint8_t)in_combat;
    return cw_combat_pools_tick(&P, &C, &in, &EV, NULL);
}

static void test_damage_and_heal_same_tick(void **state)
{
    (void)state;
    cw_combat_tick_in in = {0};
    in.dt = 0.1;
    in.in_combat = 1;
    in.damage[HP] = 120;
    in.heal[HP] = 30;
    P.pool[HP].regen = 10; /* gated: in combat, no regen */
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_true(P.pool[HP].current == 410);
    /* clamped once at the end: 400 + 200 heal − 50 → 500, not 500 − 50 = 450 */
    P.pool[HP].current = 400;
    memset(&in, 0, sizeof in);
    in.in_combat = 1;
    in.heal[HP] = 200;
    in.damage[HP] = 50;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_true(P.pool[HP].current == 500);
}

static void test_mp_regen_out_of_combat(void **state)
{
    (void)state;
    P.pool[MP] = (cw_combat_pool){200, 1000, 5};
    for (int i = 0; i < 40; i++)
        assert_int_equal(tick(1.0, 0), 0);
    assert_true(P.pool[MP].current == 400);
    /* gated in combat */
    for (int i = 0; i < 10; i++)
        assert_int_equal(tick(1.0, 1), 0);
    assert_true(P.pool[MP].current == 400);
    /* ungated stamina regenerates in combat, up to max */
    P.pool[ST] = (cw_combat_pool){100, 500, 50};
    assert_int_equal(tick(4.0, 1), 0);
    assert_true(P.pool[ST].current == 300);
    assert_int_equal(tick(100.0, 1), 0);
    assert_true(P.pool[ST].current == 500);
}

static void test_content_changes_gating(void **state)
{
    (void)state;
    const char *names[] = {"hp", "mp", "qi", "stamina"};
    uint8_t gated[] = {0, 0, 1, 0}; /* a game where only qi is gated */
    assert_int_equal(cw_combat_content_set_resources(&C, names, gated, NULL, 4, NULL), 0);
    P.pool[MP] = (cw_combat_pool){200, 1000, 5};
    P.pool[QI] = (cw_combat_pool){0, 100, 5};
    assert_int_equal(tick(10.0, 1), 0);
    assert_true(P.pool[MP].current == 250);
    assert_true(P.pool[QI].current == 0);
}

static void test_shield_decay(void **state)
{
    (void)state;
    assert_int_equal(cw_combat_pools_add_shield(&P, 300, 25, 0, 1, NULL), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(tick(1.0, 1), 0);
    assert_true(P.shield[0].amount == 100);
    assert_int_equal(tick(10.0, 1), 0);
    assert_true(P.shield[0].amount == 0); /* never below 0 */
    cw_combat_pools_prune_shields(&P);
    assert_int_equal(P.n_shields, 0);
}

static void test_typed_damage_through_shields(void **state)
{
    (void)state;
    assert_int_equal(cw_combat_pools_add_shield(&P, 50, 0, 2, 1, NULL), 0);
    assert_int_equal(cw_combat_pools_add_shield(&P, 50, 0, 1, 2, NULL), 0);
    P.pool[MP].current = 10;
    cw_combat_tick_in in = {0};
    in.dt = 0.1;
    in.in_combat = 1;
    in.typed[CW_COMBAT_DEMO_MAGICAL] = 300; /* 100 absorbed, 200 split 160/40 */
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_true(P.shield[0].amount == 0 && P.shield[1].amount == 0);
    assert_true(P.pool[MP].current == 0);       /* 10 of the 40 */
    assert_near(P.pool[HP].current, 310, 1e-9); /* 160 + 30 overflow */
}

static void test_offline_catch_up(void **state)
{
    (void)state;
    P.pool[ST] = (cw_combat_pool){10, 500, 0.2};
    C.resource[ST].offline_cap = 3600;
    assert_int_equal(cw_combat_pools_offline(&P, &C, 3 * 3600, NULL), 0);
    assert_true(P.pool[ST].current == 500); /* 10 + 0.2·3600 = 730 → 500 */
    P.pool[ST] = (cw_combat_pool){10, 5000, 0.2};
    assert_int_equal(cw_combat_pools_offline(&P, &C, 3 * 3600, NULL), 0);
    assert_near(P.pool[ST].current, 730, 1e-9); /* the cap, not 3 h */
    P.pool[ST] = (cw_combat_pool){10, 5000, 0.2};
    assert_int_equal(cw_combat_pools_offline(&P, &C, 100, NULL), 0);
    assert_near(P.pool[ST].current, 30, 1e-9);
    assert_int_equal(cw_combat_pools_offline(&P, &C, -1, NULL), CW_EINVAL);
    assert_int_equal(cw_combat_pools_offline(&P, &C, NAN, NULL), CW_EINVAL);
}

static void test_death(void **state)
{
    (void)state;
    P.pool[HP].regen = 100;
    cw_combat_tick_in in = {0};
    in.dt = 1;
    in.damage[HP] = 600;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_true(P.dead);
    assert_true(P.pool[HP].current == 0); /* death comes before regeneration */
    assert_true(EV.n >= 1 && EV.ev[0].kind == CW_COMBAT_EV_DEATH);
    assert_int_equal(tick(1, 0), 0);
    assert_true(P.pool[HP].current == 0); /* dead: no regen */
    for (int i = 0; i < EV.n; i++)
        assert_true(EV.ev[i].kind != CW_COMBAT_EV_DEATH); /* edge only */
    cw_combat_pools_revive(&P, &C, 50);
    assert_false(P.dead);
    assert_int_equal(tick(1, 0), 0);
    assert_true(P.pool[HP].current == 150);
}

static int count_kind(cw_combat_ev_kind k)
{
    int n = 0;
    for (int i = 0; i < EV.n; i++)
        n += EV.ev[i].kind == k;
    return n;
}

static void set_hp(double v)
{
    cw_combat_tick_in in = {0};
    double cur = P.pool[HP].current;
    if (v < cur)
        in.damage[HP] = cur - v;
    else
        in.heal[HP] = v - cur;
    in.dt = 0.5;
    in.in_combat = 1;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
}

static void test_threshold_hysteresis(void **state)
{
    (void)state;
    /* hp_low: enter ≤ 0.25, exit ≥ 0.30, window 2 s */
    set_hp(130); /* 0.26 */
    assert_int_equal(EV.n, 0);
    set_hp(125); /* 0.25: enter */
    assert_int_equal(EV.n, 1);
    assert_true(EV.ev[0].kind == CW_COMBAT_EV_ENTER);
    assert_string_equal(C.threshold[EV.ev[0].threshold].name, "hp_low");
    set_hp(100);
    assert_int_equal(EV.n, 0); /* still in: no event */
    set_hp(140);               /* 0.28: between enter and exit, still in */
    assert_int_equal(EV.n, 0);
    for (int i = 0; i < 4; i++)
        set_hp(140); /* let the window pass */
    assert_int_equal(EV.n, 0);
    set_hp(150); /* 0.30: exit */
    assert_int_equal(count_kind(CW_COMBAT_EV_EXIT), 1);
    set_hp(140); /* 0.28: not low enough to enter again */
    assert_int_equal(EV.n, 0);
}

static void test_threshold_coalescing(void **state)
{
    (void)state;
    set_hp(100); /* t=0.5 enter, window until 2.5 */
    assert_int_equal(count_kind(CW_COMBAT_EV_ENTER), 1);
    set_hp(200); /* t=1.0 exit edge: merged */
    assert_int_equal(EV.n, 0);
    set_hp(100); /* t=1.5 enter edge: merged */
    assert_int_equal(EV.n, 0);
    set_hp(100); /* t=2.0 */
    assert_int_equal(EV.n, 0);
    set_hp(100); /* t=2.5 window over; state equals last reported → nothing */
    assert_int_equal(EV.n, 0);
    /* a flap that ends out reports one EXIT at the end of the window */
    for (int i = 0; i < 4; i++)
        set_hp(100);
    set_hp(200); /* exit: fires at once (quiet window), new window */
    assert_int_equal(count_kind(CW_COMBAT_EV_EXIT), 1);
    set_hp(100); /* enter: merged */
    assert_int_equal(EV.n, 0);
    set_hp(200); /* exit: merged */
    assert_int_equal(EV.n, 0);
    set_hp(100); /* enter: merged */
    assert_int_equal(EV.n, 0);
    set_hp(100); /* window over: in ≠ reported out → one ENTER, 2 extra edges merged */
    assert_int_equal(EV.n, 1);
    assert_true(EV.ev[0].kind == CW_COMBAT_EV_ENTER);
    assert_int_equal(EV.ev[0].merged, 2);
}

static void test_threshold_event_order(void **state)
{
    (void)state;
    cw_combat_tick_in in = {0};
    in.dt = 1;
    in.in_combat = 1;
    in.damage[HP] = 450;
    in.damage[MP] = 950;
    in.damage[ST] = 500;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_int_equal(EV.n, 3);
    assert_int_equal(EV.ev[0].resource, HP);
    assert_int_equal(EV.ev[1].resource, MP);
    assert_int_equal(EV.ev[2].resource, ST);
    /* content reverses the pool order */
    setup(NULL);
    int order[] = {ST, QI, MP, HP};
    assert_int_equal(cw_combat_content_set_event_order(&C, order, 4, NULL), 0);
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, NULL), 0);
    assert_int_equal(EV.n, 3);
    assert_int_equal(EV.ev[0].resource, ST);
    assert_int_equal(EV.ev[1].resource, MP);
    assert_int_equal(EV.ev[2].resource, HP);
}

static void test_tick_validates(void **state)
{
    (void)state;
    cw_combat_tick_in in = {0};
    in.dt = -1;
    cw_error err = {0};
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, &err), CW_EINVAL);
    in.dt = NAN;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, &err), CW_EINVAL);
    /* NaN amounts are sanitized */
    in.dt = 1;
    in.damage[HP] = NAN;
    in.heal[MP] = INFINITY;
    P.pool[QI].current = NAN;
    assert_int_equal(cw_combat_pools_tick(&P, &C, &in, &EV, &err), 0);
    for (int r = 0; r < C.n_resources; r++)
        assert_true(P.pool[r].current >= 0 && P.pool[r].current <= P.pool[r].max);
    assert_true(P.pool[MP].current == 1000);
    assert_true(P.pool[HP].current == 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_damage_and_heal_same_tick, setup),
        cmocka_unit_test_setup(test_mp_regen_out_of_combat, setup),
        cmocka_unit_test_setup(test_content_changes_gating, setup),
        cmocka_unit_test_setup(test_shield_decay, setup),
        cmocka_unit_test_setup(test_typed_damage_through_shields, setup),
        cmocka_unit_test_setup(test_offline_catch_up, setup),
        cmocka_unit_test_setup(test_death, setup),
        cmocka_unit_test_setup(test_threshold_hysteresis, setup),
        cmocka_unit_test_setup(test_threshold_coalescing, setup),
        cmocka_unit_test_setup(test_threshold_event_order, setup),
        cmocka_unit_test_setup(test_tick_validates, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
