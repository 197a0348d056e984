/* test_examples.c — the six worked examples of spec/stats.md, one test each. */
#include "tests/unit/stats/stats_test.h"

static void example1_agility(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    set_rule(reg, "agility", 1, CW_STATS_SUM, 0, 9999);
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in race[] = {FLAT("agility", 40, "race")};
    cw_stats_cap_in race_caps[] = {CAP("race", "agility", BASELINE, MAX, 60, NULL)};
    cw_stats_contrib_in items[] = {FLAT("agility", 10, "items")};
    cw_stats_contrib_in buff[] = {MULT("agility", 0.5, "buff")};
    cw_stats_contrib_in title[] = {POST("agility", 3, "title")};
    cw_stats_cap_in realm_caps[] = {CAP("realm", "agility", ADDITIVE, MAX, 15, "TOTAL")};
    set_src(a, "race", race, 1, race_caps, 1);
    set_src(a, "items", items, 1, NULL, 0);
    set_src(a, "buff", buff, 1, NULL, 0);
    set_src(a, "title", title, 1, NULL, 0);
    set_src(a, "realm", NULL, 0, realm_caps, 1);
    double lo, hi;
    bounds_of_dim(a, "agility", &lo, &hi);
    assert_true(lo == 0 && hi == 75);
    assert_true(value_of(a, CW_STATS_PRIMARY, "agility") == 75);
    /* without the caps the raw pipeline value shows: 50 * 1.5 + 3 */
    assert_int_equal(cw_stats_actor_remove_source(a, "realm", NULL), 0);
    set_src(a, "race", race, 1, NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "agility") == 78);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void example2_armor(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    set_rule(reg, "armor", 1, CW_STATS_SUM, 0, 9999);
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("armor", 120, "items")};
    cw_stats_cap_in caps[] = {CAP("world", "armor", HARD_MAX, MAX, 100, "WORLD"),
                              CAP("event", "armor", HARD_MAX, MAX, 90, "EVENT"),
                              CAP("race", "armor", BASELINE, MAX, 200, "TOTAL")};
    set_src(a, "all", c, 1, caps, N(caps));
    double lo, hi;
    bounds_of_dim(a, "armor", &lo, &hi);
    assert_true(lo == 0 && hi == 90);
    assert_true(value_of(a, CW_STATS_PRIMARY, "armor") == 90);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void example3_dodge(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    set_rule(reg, "dodge", 1, CW_STATS_SUM, 0, 0.75);
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("dodge", 0.05, "items"), OVER("dodge", 0.3, "stance", 2),
                               OVER("dodge", 0.3, "aura", 2)};
    set_src(a, "all", c, N(c), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "dodge") == 0.3);
    /* the tie really goes to `aura`: give the two overrides different values */
    cw_stats_contrib_in d[] = {FLAT("dodge", 0.05, "items"), OVER("dodge", 0.4, "stance", 2),
                               OVER("dodge", 0.3, "aura", 2)};
    set_src(a, "all", d, N(d), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "dodge") == 0.3);
    /* ... and a higher priority beats the name */
    d[1].priority = 3;
    set_src(a, "all", d, N(d), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "dodge") == 0.4);
    double lo, hi;
    bounds_of_dim(a, "dodge", &lo, &hi);
    assert_true(lo == 0 && hi == 0.75);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void example4_haste(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("haste", 200, "job"), MULT("haste", -0.2, "debuff"),
                               MULT("haste", 0.5, "buff")};
    set_src(a, "all", c, N(c), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "haste") == 240); /* 200 * 1.5 * 0.8, in order */
    double lo, hi;
    bounds_of_dim(a, "haste", &lo, &hi);
    assert_true(lo == -INFINITY && hi == INFINITY);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void example5_luck(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    set_rule(reg, "luck", 0, CW_STATS_MIN, 0, 100);
    cw_stats_actor *a = new_actor(reg);
    /* buckets are ignored in operator mode */
    cw_stats_contrib_in c[] = {FLAT("luck", 12, "race"), MULT("luck", 7, "job"),
                               POST("luck", 30, "items")};
    set_src(a, "all", c, N(c), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "luck") == 7);
    cw_stats_cap_in caps[] = {CAP("world", "luck", HARD_MIN, MIN, 10, "WORLD")};
    set_src(a, "world", NULL, 0, caps, 1);
    assert_true(value_of(a, CW_STATS_PRIMARY, "luck") == 10);
    double lo, hi;
    bounds_of_dim(a, "luck", &lo, &hi);
    assert_true(lo == 10 && hi == 100);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void example6_resolve(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("resolve", 50, "job")};
    cw_stats_cap_in caps[] = {CAP("world", "resolve", HARD_MAX, MAX, 20, "WORLD"),
                              CAP("world", "resolve", HARD_MIN, MIN, 35, "WORLD")};
    set_src(a, "all", c, 1, caps, N(caps));
    double lo, hi;
    bounds_of_dim(a, "resolve", &lo, &hi);
    assert_true(lo == 20 && hi == 20);
    assert_true(value_of(a, CW_STATS_PRIMARY, "resolve") == 20);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example1_agility), cmocka_unit_test(example2_armor),
        cmocka_unit_test(example3_dodge),   cmocka_unit_test(example4_haste),
        cmocka_unit_test(example5_luck),    cmocka_unit_test(example6_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
