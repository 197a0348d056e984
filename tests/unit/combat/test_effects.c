/* test_effects.c — DoT/HoT ticks, pandemic refresh, CC diminishing returns. */
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

static void test_dot_fixed_period(void **state)
{
    (void)state;
    cw_combat_dot d;
    int ticks = 0;
    assert_int_equal(cw_combat_dot_start(&d, 10, 2, 10, NULL), 0);
    assert_true(cw_combat_dot_advance(&d, 1.5, &ticks) == 0);
    assert_int_equal(ticks, 0);
    assert_true(cw_combat_dot_advance(&d, 0.5, &ticks) == 10); /* t = 2 */
    assert_int_equal(ticks, 1);
    assert_true(cw_combat_dot_advance(&d, 100, &ticks) == 40); /* 4, 6, 8, 10 */
    assert_int_equal(ticks, 4);
    assert_false(d.active);
    assert_true(cw_combat_dot_advance(&d, 5, &ticks) == 0);
    /* small steps give the same total */
    assert_int_equal(cw_combat_dot_start(&d, 10, 2, 10, NULL), 0);
    double total = 0;
    for (int i = 0; i < 200; i++)
        total += cw_combat_dot_advance(&d, 0.1, NULL);
    assert_near(total, 50, 1e-9);
    assert_int_equal(cw_combat_dot_start(&d, 10, 0, 10, NULL), CW_EINVAL);
}

static void test_dot_snapshot_and_partial_expiry(void **state)
{
    (void)state;
    cw_combat_dot d;
    int ticks;
    assert_int_equal(cw_combat_dot_start(&d, 12, 2, 5, NULL), 0);
    /* ticks at 2, 4, then a partial at 5 worth half a tick */
    assert_near(cw_combat_dot_advance(&d, 10, &ticks), 12 + 12 + 6, 1e-9);
    assert_int_equal(ticks, 3);
    assert_false(d.active);
}

static void test_dot_pandemic_refresh(void **state)
{
    (void)state;
    cw_combat_dot d;
    int ticks;
    assert_int_equal(cw_combat_dot_start(&d, 10, 2, 10, NULL), 0);
    assert_true(cw_combat_dot_advance(&d, 5, &ticks) == 20); /* ticks at 2, 4; 1 s into the 3rd */
    assert_near(d.remaining, 5, 1e-12);
    assert_near(d.to_next, 1, 1e-12);
    /* refresh with duration 10: 10 + min(5, 3) = 13; magnitude re-snapshotted */
    assert_int_equal(cw_combat_dot_refresh(&d, 20, 10, NULL), 0);
    assert_near(d.remaining, 13, 1e-12);
    assert_near(d.to_next, 1, 1e-12); /* the partial tick carried over */
    assert_true(d.magnitude == 20);
    /* next tick after 1 s (t = 6), then every 2 s to t = 18: 7 ticks of 20 */
    assert_true(cw_combat_dot_advance(&d, 1, &ticks) == 20);
    assert_int_equal(ticks, 1);
    assert_near(cw_combat_dot_advance(&d, 100, &ticks), 120, 1e-9);
    assert_int_equal(ticks, 6);
    assert_false(d.active);
    /* a short remainder is carried whole: 10 + min(1, 3) = 11 */
    assert_int_equal(cw_combat_dot_start(&d, 10, 2, 10, NULL), 0);
    cw_combat_dot_advance(&d, 9, NULL);
    assert_int_equal(cw_combat_dot_refresh(&d, 10, 10, NULL), 0);
    assert_near(d.remaining, 11, 1e-12);
    /* refreshing an expired effect starts it afresh */
    cw_combat_dot_advance(&d, 100, NULL);
    assert_int_equal(cw_combat_dot_refresh(&d, 5, 4, NULL), 0);
    assert_true(d.active && d.remaining == 4 && d.to_next == 2);
}

static void test_dr_stun_sequence(void **state)
{
    (void)state;
    static cw_combat_content c;
    cw_combat_content_demo(&c);
    int stun = cw_combat_dr_find(&c, "stun");
    assert_true(stun >= 0);
    cw_combat_dr dr;
    cw_combat_dr_init(&dr);
    double f;
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 0, &f, NULL), 0);
    assert_true(f == 1.0);
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 1, &f, NULL), 0);
    assert_true(f == 0.5);
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 2, &f, NULL), 0);
    assert_true(f == 0.25);
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 3, &f, NULL), 0);
    assert_true(f == 0.0); /* immune */
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 16.9, &f, NULL), 0);
    assert_true(f == 0.0); /* window runs 15 s from the last landed stun (t = 2) */
    assert_int_equal(cw_combat_dr_peek(&dr, &c, stun, 17.0, &f, NULL), 0);
    assert_true(f == 1.0); /* reset after the window */
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 17.0, &f, NULL), 0);
    assert_true(f == 1.0);
    assert_int_equal(cw_combat_dr_apply(&dr, &c, stun, 18.0, &f, NULL), 0);
    assert_true(f == 0.5);
    /* categories are independent */
    double steps[] = {1.0, 0.5};
    assert_int_equal(cw_combat_content_set_dr(&c, "root", steps, 2, 10, NULL), 0);
    int root = cw_combat_dr_find(&c, "root");
    assert_int_equal(cw_combat_dr_apply(&dr, &c, root, 18.0, &f, NULL), 0);
    assert_true(f == 1.0);
    assert_int_equal(cw_combat_dr_apply(&dr, &c, 99, 0, &f, NULL), CW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_fixed_period),
        cmocka_unit_test(test_dot_snapshot_and_partial_expiry),
        cmocka_unit_test(test_dot_pandemic_refresh),
        cmocka_unit_test(test_dr_stun_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
