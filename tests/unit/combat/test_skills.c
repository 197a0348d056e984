/* test_skills.c — cooldown table, cast-time check, cost check-and-spend. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/sim/combat/combat.h"

static void test_cooldowns(void **state)
{
    (void)state;
    static cw_combat_cooldowns cd;
    cw_combat_cooldowns_init(&cd);
    cw_error err = {0};
    assert_int_equal(cw_combat_cooldown_check(&cd, 7, 0, &err), 0);
    assert_int_equal(cw_combat_cooldown_start(&cd, 7, 10, 5, &err), 0);
    assert_int_equal(cw_combat_cooldown_check(&cd, 7, 14.9, &err), CW_ESTATE);
    assert_true(cw_combat_cooldown_remaining(&cd, 7, 12) == 3);
    assert_int_equal(cw_combat_cooldown_check(&cd, 8, 12, &err), 0); /* other skill */
    assert_int_equal(cw_combat_cooldown_check(&cd, 7, 15, &err), 0);
    /* fill the table; expired slots are reused, running ones are not */
    for (uint32_t s = 100; s < 100 + CW_COMBAT_MAX_COOLDOWNS - 1; s++)
        assert_int_equal(cw_combat_cooldown_start(&cd, s, 14, 60, &err), 0);
    assert_int_equal(cd.n, CW_COMBAT_MAX_COOLDOWNS);
    assert_int_equal(cw_combat_cooldown_start(&cd, 999, 21, 5, &err), 0); /* reuses skill 7 */
    assert_int_equal(cw_combat_cooldown_start(&cd, 1000, 21, 5, &err), CW_ELIMIT);
    assert_int_equal(cw_combat_cooldown_start(&cd, 1000, 21, -1, &err), CW_EINVAL);
}

static void test_cast(void **state)
{
    (void)state;
    assert_int_equal(cw_combat_cast_check(10, 2, 11, NULL), CW_ESTATE);
    assert_int_equal(cw_combat_cast_check(10, 2, 11.96, NULL), 0); /* within tolerance */
    assert_int_equal(cw_combat_cast_check(10, 2, 12, NULL), 0);
    assert_int_equal(cw_combat_cast_check(10, NAN, 12, NULL), CW_EINVAL);
}

static void test_costs_all_or_nothing(void **state)
{
    (void)state;
    static cw_combat_content c;
    static cw_combat_pools p;
    static cw_combat_cooldowns cd;
    cw_combat_content_demo(&c);
    cw_combat_pools_init(&p, &c);
    cw_combat_cooldowns_init(&cd);
    p.pool[CW_COMBAT_DEMO_MP] = (cw_combat_pool){50, 100, 0};
    p.pool[CW_COMBAT_DEMO_QI] = (cw_combat_pool){10, 100, 0};
    cw_combat_cost costs[] = {{CW_COMBAT_DEMO_MP, 30}, {CW_COMBAT_DEMO_QI, 20}};
    cw_error err = {0};
    assert_int_equal(cw_combat_cost_spend(&p, &c, costs, 2, &err), CW_ELIMIT);
    assert_string_equal(err.msg, "not enough qi");
    assert_true(p.pool[CW_COMBAT_DEMO_MP].current == 50); /* untouched */
    p.pool[CW_COMBAT_DEMO_QI].current = 20;
    assert_int_equal(cw_combat_skill_use(&cd, &p, &c, 5, 0, 3, costs, 2, &err), 0);
    assert_true(p.pool[CW_COMBAT_DEMO_MP].current == 20);
    assert_true(p.pool[CW_COMBAT_DEMO_QI].current == 0);
    /* on cooldown: nothing spent */
    p.pool[CW_COMBAT_DEMO_QI].current = 100;
    p.pool[CW_COMBAT_DEMO_MP].current = 100;
    assert_int_equal(cw_combat_skill_use(&cd, &p, &c, 5, 1, 3, costs, 2, &err), CW_ESTATE);
    assert_true(p.pool[CW_COMBAT_DEMO_MP].current == 100);
    assert_int_equal(cw_combat_skill_use(&cd, &p, &c, 5, 3, 3, costs, 2, &err), 0);
    /* the same resource twice sums */
    cw_combat_cost twice[] = {{CW_COMBAT_DEMO_MP, 40}, {CW_COMBAT_DEMO_MP, 40}};
    assert_int_equal(cw_combat_cost_check(&p, &c, twice, 2, &err), CW_ELIMIT);
    cw_combat_cost bad[] = {{42, 1}};
    assert_int_equal(cw_combat_cost_check(&p, &c, bad, 1, &err), CW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cooldowns),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_costs_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
