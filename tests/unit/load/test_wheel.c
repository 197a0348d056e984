/* test_wheel.c — chaos-load's timing wheel: rounding up to slots, never
 * firing early, slot order, nodes further than one revolution ahead,
 * catching up after a late run, and the next-slot query. The wheel has no
 * library of its own (it is part of the chaos-load tool): its source is
 * compiled in. */
#include "tools/chaos-load/wheel.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define W 100000ull /* 100 us */
#define SLOTS 1024u

typedef struct rec {
    cw_wnode *order[64];
    uint64_t t; /* the run's now */
    int n;
    uint64_t again; /* > 0: fire() queues the node again this much later */
    cw_wheel *w;
} rec;

static void record(cw_wnode *n, void *ud)
{
    rec *r = ud;
    assert_false(n->queued);
    assert_true(n->due <= r->t); /* never early */
    if (r->n < 64) r->order[r->n++] = n;
    if (r->again) cw_wheel_add(r->w, n, n->due + r->again);
}

static size_t run(cw_wheel *w, uint64_t now, rec *r)
{
    r->t = now;
    return cw_wheel_run(w, now, record, r);
}

static void test_init_rejects_bad_sizes(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, 0, SLOTS, 0), -1);
    assert_int_equal(cw_wheel_init(&w, W, 1000, 0), -1); /* not a power of two */
    assert_int_equal(cw_wheel_init(&w, W, 32, 0), -1);   /* under one bitmap word */
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    cw_wheel_free(&w);
}

static void test_round_goes_up_to_a_boundary(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    assert_int_equal(cw_wheel_round(&w, 0), 0);
    assert_int_equal(cw_wheel_round(&w, 1), W);
    assert_int_equal(cw_wheel_round(&w, W), W);
    assert_int_equal(cw_wheel_round(&w, W + 1), 2 * W);
    assert_int_equal(cw_wheel_round(&w, 5 * W - 1), 5 * W);
    cw_wheel_free(&w);
}

static void test_never_fires_before_due(void **state)
{
    (void)state;
    cw_wheel w;
    uint64_t t0 = 7777 * W;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, t0), 0);
    cw_wnode a = {0};
    rec r = {.w = &w};
    cw_wheel_add(&w, &a, t0 + 3 * W);
    assert_true(a.queued);
    assert_int_equal(cw_wheel_next(&w), t0 + 3 * W);
    assert_int_equal(run(&w, t0 + 3 * W - 1, &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(cw_wheel_next(&w), t0 + 3 * W);
    assert_int_equal(run(&w, t0 + 3 * W, &r), 1);
    assert_int_equal(r.n, 1);
    assert_ptr_equal(r.order[0], &a);
    assert_false(a.queued);
    assert_int_equal(cw_wheel_next(&w), UINT64_MAX);
    cw_wheel_free(&w);
}

static void test_fires_in_slot_order_and_only_the_due(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    cw_wnode n[4] = {{0}};
    rec r = {.w = &w};
    cw_wheel_add(&w, &n[0], 9 * W);
    cw_wheel_add(&w, &n[1], 2 * W);
    cw_wheel_add(&w, &n[2], 5 * W);
    cw_wheel_add(&w, &n[3], 20 * W);
    assert_int_equal(cw_wheel_next(&w), 2 * W);
    assert_int_equal(run(&w, 10 * W, &r), 3);
    assert_ptr_equal(r.order[0], &n[1]);
    assert_ptr_equal(r.order[1], &n[2]);
    assert_ptr_equal(r.order[2], &n[0]);
    assert_true(n[3].queued);
    assert_int_equal(w.count, 1);
    assert_int_equal(cw_wheel_next(&w), 20 * W);
    cw_wheel_free(&w);
}

static void test_a_node_revolutions_ahead_waits_for_its_own(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    cw_wnode far = {0};
    rec r = {.w = &w};
    uint64_t due = (3 * SLOTS + 5) * W; /* same slot index as 5 */
    cw_wheel_add(&w, &far, due);
    /* run slot by slot through three revolutions: the slot comes round
     * (next() points at it) but the node stays until its own revolution */
    for (uint64_t t = 0; t < due; t += W) {
        assert_true(cw_wheel_next(&w) <= due);
        run(&w, t, &r);
        assert_int_equal(r.n, 0);
        assert_true(far.queued);
    }
    assert_int_equal(cw_wheel_next(&w), due);
    assert_int_equal(run(&w, due, &r), 1);
    assert_ptr_equal(r.order[0], &far);
    cw_wheel_free(&w);
}

static void test_a_run_late_by_revolutions_fires_everything_due_once(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    cw_wnode n[3] = {{0}};
    rec r = {.w = &w};
    cw_wheel_add(&w, &n[0], 1 * W);
    cw_wheel_add(&w, &n[1], (SLOTS - 1) * W);
    cw_wheel_add(&w, &n[2], (5 * SLOTS) * W); /* still ahead after the run */
    assert_int_equal(run(&w, (2 * SLOTS + 3) * W, &r), 2);
    assert_int_equal(r.n, 2);
    assert_true(n[2].queued);
    assert_int_equal(run(&w, (5 * SLOTS) * W - 1, &r), 0);
    assert_int_equal(run(&w, (5 * SLOTS) * W, &r), 1);
    cw_wheel_free(&w);
}

static void test_a_past_due_is_not_lost(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    rec r = {.w = &w};
    run(&w, 50 * W, &r);
    cw_wnode a = {0};
    cw_wheel_add(&w, &a, 10 * W); /* already run: goes to the next slot run */
    assert_int_equal(cw_wheel_next(&w), 51 * W);
    assert_int_equal(run(&w, 51 * W, &r), 1);
    assert_ptr_equal(r.order[0], &a);
    cw_wheel_free(&w);
}

static void test_periodic_node_catches_up_without_firing_early(void **state)
{
    (void)state;
    cw_wheel w;
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, 0), 0);
    cw_wnode a = {0};
    rec r = {.w = &w, .again = 4 * W};
    cw_wheel_add(&w, &a, 4 * W);
    /* late: due at 4, 8, 12, 16, 20 by now = 21 W; 24 W is not yet due */
    run(&w, 21 * W, &r);
    assert_int_equal(r.n, 5);
    assert_true(a.queued);
    assert_int_equal(a.due, 24 * W);
    assert_int_equal(cw_wheel_next(&w), 24 * W);
    cw_wheel_free(&w);
}

static void test_next_wraps_around_the_array(void **state)
{
    (void)state;
    cw_wheel w;
    uint64_t t0 = (SLOTS - 3) * W; /* cur near the end of the slot array */
    assert_int_equal(cw_wheel_init(&w, W, SLOTS, t0), 0);
    cw_wnode a = {0}, b = {0};
    cw_wheel_add(&w, &a, t0 + 10 * W); /* index 7 of the next revolution */
    assert_int_equal(cw_wheel_next(&w), t0 + 10 * W);
    cw_wheel_add(&w, &b, t0 + 1 * W);
    assert_int_equal(cw_wheel_next(&w), t0 + 1 * W);
    cw_wheel_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_sizes),
        cmocka_unit_test(test_round_goes_up_to_a_boundary),
        cmocka_unit_test(test_never_fires_before_due),
        cmocka_unit_test(test_fires_in_slot_order_and_only_the_due),
        cmocka_unit_test(test_a_node_revolutions_ahead_waits_for_its_own),
        cmocka_unit_test(test_a_run_late_by_revolutions_fires_everything_due_once),
        cmocka_unit_test(test_a_past_due_is_not_lost),
        cmocka_unit_test(test_periodic_node_catches_up_without_firing_early),
        cmocka_unit_test(test_next_wraps_around_the_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
