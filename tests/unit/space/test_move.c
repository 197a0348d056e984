/* test_move.c — movement rules: containment, segment against rectangle,
 * credit refill and the full move check (bounds, speed with burst, blocked). */
#include "core/sim/space/space.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

static void test_shapes(void **state)
{
    (void)state;
    cw_rect r = {10, 10, 5, 5};
    assert_true(cw_rect_contains(&r, 10, 10));
    assert_true(cw_rect_contains(&r, 15, 15));
    assert_false(cw_rect_contains(&r, 15.01, 12));
    assert_true(cw_circle_contains(0, 0, 5, 3, 4));
    assert_false(cw_circle_contains(0, 0, 5, 3.1, 4));
}

static void test_segment(void **state)
{
    (void)state;
    cw_rect r = {10, 10, 5, 5};
    assert_true(cw_segment_hits_rect(0, 12, 20, 12, &r));  /* straight through */
    assert_false(cw_segment_hits_rect(0, 0, 9, 9, &r));    /* stops short */
    assert_true(cw_segment_hits_rect(0, 0, 10, 10, &r));   /* touches the corner */
    assert_false(cw_segment_hits_rect(0, 16, 20, 16, &r)); /* passes above */
    assert_true(cw_segment_hits_rect(12, 12, 13, 13, &r)); /* inside */
    assert_true(cw_segment_hits_rect(9, 20, 20, 9, &r));   /* diagonal across the corner area */
    assert_false(cw_segment_hits_rect(0, 14, 6, 30, &r));  /* diagonal that misses */
}

static void test_refill(void **state)
{
    (void)state;
    assert_true(fabs(cw_move_refill(0, 0.3, 1) - 0.3) < 1e-12);
    assert_true(fabs(cw_move_refill(0.9, 5, 1) - 1) < 1e-12);
    assert_true(fabs(cw_move_refill(0.2, -3, 1) - 0.2) < 1e-12);
}

static void test_check(void **state)
{
    (void)state;
    cw_rect wall = {100, 0, 10, 200};
    cw_move_area a = {1000, 500, &wall, 1};
    double credit = 1.0; /* 1 s banked at 10 u/s: 10 units */
    assert_int_equal(cw_move_check(&a, 10, &credit, 50, 50, 58, 50), CW_MOVE_OK);
    assert_true(fabs(credit - 0.2) < 1e-9);
    assert_int_equal(cw_move_check(&a, 10, &credit, 58, 50, 61, 50), CW_MOVE_TOO_FAST);
    assert_true(fabs(credit - 0.2) < 1e-9); /* unchanged on refusal */
    credit = 1.0;
    assert_int_equal(cw_move_check(&a, 10, &credit, 58, 50, 58, 50), CW_MOVE_OK);
    assert_int_equal(cw_move_check(&a, 10, &credit, 58, 50, 58, -1), CW_MOVE_BOUNDS);
    assert_int_equal(cw_move_check(&a, 10, &credit, 58, 50, 58, 501), CW_MOVE_BOUNDS);
    assert_int_equal(cw_move_check(&a, 10, &credit, 58, 50, NAN, 1), CW_MOVE_BAD_NUMBER);
    credit = 1.0;
    assert_int_equal(cw_move_check(&a, 100, &credit, 95, 50, 115, 50), CW_MOVE_BLOCKED);
    assert_int_equal(cw_move_check(&a, 100, &credit, 95, 250, 115, 250), CW_MOVE_OK);
    assert_int_equal(cw_move_check(&a, 0, &credit, 0, 0, 1, 1), CW_MOVE_TOO_FAST);
    assert_string_equal(cw_move_verdict_name(CW_MOVE_BLOCKED), "the way is blocked");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_segment),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
