/* test_content.c — demo tables, element cycles, σ and CM, content setters. */
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

static void test_sigma_parity(void **state)
{
    (void)state;
    cw_combat_curve cv = {100, 1};
    assert_true(cw_combat_sigma(0) == 0.5);
    assert_true(cw_combat_contest(&cv, 250, 250) == 0.5);
    assert_true(cw_combat_crit_multiplier(&cv, 40, 40) == 2.0);
    /* σ(1·100/100) = σ(1) */
    assert_near(cw_combat_contest(&cv, 150, 50), 1.0 / (1.0 + exp(-1.0)), 1e-15);
    /* steeper curve, smaller scale */
    cw_combat_curve steep = {50, 2};
    assert_near(cw_combat_contest(&steep, 100, 75), 1.0 / (1.0 + exp(-1.0)), 1e-15);
    /* CM stays in (1, 3) */
    assert_true(cw_combat_crit_multiplier(&cv, 1e6, 0) <= 3.0);
    assert_true(cw_combat_crit_multiplier(&cv, 0, 1e6) >= 1.0);
    assert_true(cw_combat_crit_multiplier(&cv, 100, 0) > 2.0);
    assert_true(cw_combat_sigma(NAN) == 0.5);
    assert_true(cw_combat_contest(&cv, NAN, INFINITY) >= 0.0);
}

static void test_demo_matrix_cycles(void **state)
{
    (void)state;
    static cw_combat_content c;
    cw_combat_content_demo(&c);
    const char *gen[][2] = {{"wood", "fire"},
                            {"fire", "earth"},
                            {"earth", "metal"},
                            {"metal", "water"},
                            {"water", "wood"}};
    const char *over[][2] = {{"wood", "earth"},
                             {"earth", "water"},
                             {"water", "fire"},
                             {"fire", "metal"},
                             {"metal", "wood"}};
    for (int i = 0; i < 5; i++) {
        int a = cw_combat_element_find(&c, gen[i][0]), d = cw_combat_element_find(&c, gen[i][1]);
        assert_true(a > 0 && d > 0);
        assert_true(c.matrix[a][d] == 1.2);
        a = cw_combat_element_find(&c, over[i][0]);
        d = cw_combat_element_find(&c, over[i][1]);
        assert_true(c.matrix[a][d] == 1.5);
        assert_true(c.matrix[d][a] == 0.5); /* overcome by */
    }
    /* generated-by and self are neutral; none is neutral */
    int wood = cw_combat_element_find(&c, "wood"), fire = cw_combat_element_find(&c, "fire");
    int water = cw_combat_element_find(&c, "water");
    assert_true(c.matrix[fire][wood] == 1.0);
    assert_true(c.matrix[wood][water] == 1.0);
    assert_true(c.matrix[wood][wood] == 1.0);
    for (int e = 0; e < c.n_elements; e++) {
        assert_true(c.matrix[0][e] == 1.0);
        assert_true(c.matrix[e][0] == 1.0);
    }
    /* each row: one 1.5, one 1.2, one 0.5, two 1.0 among the five */
    for (int a = 1; a <= 5; a++) {
        int n15 = 0, n12 = 0, n05 = 0, n10 = 0;
        for (int d = 1; d <= 5; d++) {
            double m = c.matrix[a][d];
            n15 += m == 1.5;
            n12 += m == 1.2;
            n05 += m == 0.5;
            n10 += m == 1.0;
        }
        assert_int_equal(n15, 1);
        assert_int_equal(n12, 1);
        assert_int_equal(n05, 1);
        assert_int_equal(n10, 2);
    }
}

static void test_demo_splits(void **state)
{
    (void)state;
    static cw_combat_content c;
    cw_combat_content_demo(&c);
    int hp = cw_combat_resource_find(&c, "hp"), mp = cw_combat_resource_find(&c, "mp");
    int qi = cw_combat_resource_find(&c, "qi");
    assert_int_equal(hp, c.hp);
    int t = cw_combat_damage_type_find(&c, "physical");
    assert_true(c.damage_type[t].split[hp] == 1.0);
    t = cw_combat_damage_type_find(&c, "magical");
    assert_true(c.damage_type[t].split[hp] == 0.8 && c.damage_type[t].split[mp] == 0.2);
    t = cw_combat_damage_type_find(&c, "elemental");
    assert_true(c.damage_type[t].split[hp] == 0.85 && c.damage_type[t].split[mp] == 0.15);
    t = cw_combat_damage_type_find(&c, "qi");
    assert_true(c.damage_type[t].split[hp] == 0.7 && c.damage_type[t].split[qi] == 0.3);
    assert_true(c.resource[hp].regen_gated && c.resource[mp].regen_gated);
    assert_false(c.resource[cw_combat_resource_find(&c, "stamina")].regen_gated);
    assert_true(c.max_hit == 999999.0);
    assert_int_equal(cw_combat_element_find(&c, "plasma"), CW_ENOTFOUND);
}

static void test_setters_validate(void **state)
{
    (void)state;
    static cw_combat_content c;
    cw_combat_content_demo(&c);
    cw_error err = {0};
    uint32_t v = c.version;
    assert_int_equal(cw_combat_content_set_matrix(&c, 1, 2, NAN, &err), CW_EINVAL);
    assert_int_equal(cw_combat_content_set_matrix(&c, 1, 99, 1.0, &err), CW_EINVAL);
    assert_int_equal(cw_combat_content_set_curve(&c, 1, 0, 1, &err), CW_EINVAL);
    assert_int_equal(c.version, v);
    assert_int_equal(cw_combat_content_set_matrix(&c, 1, 2, 2.0, &err), 0);
    assert_true(c.matrix[1][2] == 2.0);
    assert_true(c.version > v);
    double bad[4] = {0.5, 0.2, 0, 0};
    assert_int_equal(cw_combat_content_set_damage_type(&c, "odd", bad, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "sum"));
    double ok[4] = {0.5, 0.5, 0, 0};
    assert_int_equal(cw_combat_content_set_damage_type(&c, "odd", ok, &err), 0);
    assert_int_equal(cw_combat_damage_type_find(&c, "odd"), 4);
    assert_int_equal(cw_combat_content_add_threshold(&c, "x", 0, 0.5, 0.4, 0, &err), CW_EINVAL);
    const char *no_hp[] = {"mp", "qi"};
    assert_int_equal(cw_combat_content_set_resources(&c, no_hp, NULL, NULL, 2, &err), CW_EINVAL);
    const char *els[] = {"light", "dark", "light"};
    assert_int_equal(cw_combat_content_set_elements(&c, els, 3, &err), CW_EEXIST);
    assert_int_equal(cw_combat_content_set_elements(&c, els, 2, &err), 0);
    assert_int_equal(c.n_elements, 2);
    assert_true(c.matrix[0][1] == 1.0);
    int order[4] = {3, 2, 1, 0};
    assert_int_equal(cw_combat_content_set_event_order(&c, order, 4, &err), 0);
    int dup[4] = {0, 0, 1, 2};
    assert_int_equal(cw_combat_content_set_event_order(&c, dup, 4, &err), CW_EINVAL);
    assert_int_equal(cw_combat_content_set_max_hit(&c, -1, &err), CW_EINVAL);
    assert_int_equal(cw_combat_content_set_max_hit(&c, 5000, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_parity),
        cmocka_unit_test(test_demo_matrix_cycles),
        cmocka_unit_test(test_demo_splits),
        cmocka_unit_test(test_setters_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
