/* test_tokenbucket.c — refill, burst cap, unlimited. Time is passed in. */
#include "core/base/tokenbucket.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SEC 1000000000ull

static int drain(cw_tokenbucket *tb, uint64_t now)
{
    int n = 0;
    while (cw_tokenbucket_take(tb, 1, now) && n < 1000000)
        n++;
    return n;
}

static void test_starts_full_and_empties(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 10, 5, 1000);
    assert_int_equal(drain(&tb, 1000), 5);
    assert_false(cw_tokenbucket_take(&tb, 1, 1000));
}

static void test_refill_at_rate(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 10, 5, 0);
    assert_int_equal(drain(&tb, 0), 5);
    /* 10/s: one token per 100 ms */
    assert_false(cw_tokenbucket_take(&tb, 1, 99 * 1000000ull));
    assert_true(cw_tokenbucket_take(&tb, 1, 100 * 1000000ull));
    assert_false(cw_tokenbucket_take(&tb, 1, 100 * 1000000ull));
    /* 300 ms later: 3 tokens */
    assert_int_equal(drain(&tb, 400 * 1000000ull), 3);
}

static void test_burst_caps_refill(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 100, 5, 0);
    assert_int_equal(drain(&tb, 0), 5);
    /* an hour idle still gives only `burst` tokens */
    assert_int_equal(drain(&tb, 3600 * SEC), 5);
}

static void test_take_many(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 1, 10, 0);
    assert_true(cw_tokenbucket_take(&tb, 7, 0));
    assert_false(cw_tokenbucket_take(&tb, 4, 0)); /* only 3 left: nothing taken */
    assert_true(cw_tokenbucket_take(&tb, 3, 0));
    assert_false(cw_tokenbucket_take(&tb, 1, 0));
}

static void test_clock_going_backwards_is_harmless(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 1, 1, 10 * SEC);
    assert_true(cw_tokenbucket_take(&tb, 1, 10 * SEC));
    assert_false(cw_tokenbucket_take(&tb, 1, 5 * SEC));
    assert_true(cw_tokenbucket_take(&tb, 1, 11 * SEC));
}

static void test_unlimited(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 0, 1, 0);
    for (int i = 0; i < 100000; i++)
        assert_true(cw_tokenbucket_take(&tb, 1, 0));
    cw_tokenbucket_init(&tb, -5, 0, 0);
    assert_true(cw_tokenbucket_take(&tb, 1000, 0));
}

static void test_zero_burst_means_one(void **state)
{
    (void)state;
    cw_tokenbucket tb;
    cw_tokenbucket_init(&tb, 1, 0, 0);
    assert_int_equal(drain(&tb, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_full_and_empties),
        cmocka_unit_test(test_refill_at_rate),
        cmocka_unit_test(test_burst_caps_refill),
        cmocka_unit_test(test_take_many),
        cmocka_unit_test(test_clock_going_backwards_is_harmless),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_zero_burst_means_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
