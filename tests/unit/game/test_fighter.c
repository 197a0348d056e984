/* test_fighter.c — stats from the stat engine become combat numbers: FLAT
 * sources add up, defaults fill the gaps, pools start full, a changed
 * source re-resolves, and the prepared fighter hits like the plain actor. */
#include "core/game/fighter.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static cw_stat_list list(const char *a, double va, const char *b, double vb)
{
    cw_stat_list l = {0};
    if (a) assert_int_equal(cw_stat_list_add(&l, a, va), 0);
    if (b) assert_int_equal(cw_stat_list_add(&l, b, vb), 0);
    return l;
}

static void test_sources_add_up_and_defaults_fill(void **st)
{
    (void)st;
    cw_stats_registry *reg;
    assert_int_equal(cw_stats_registry_new(NULL, &reg, NULL), 0);
    cw_combat_content c;
    cw_combat_content_demo(&c);
    cw_stat_list race = list("hp_max", 300, "power", 12), job = list("power", 8, "defense", 5);
    const char *names[] = {"race", "job"};
    const cw_stat_list *lists[] = {&race, &job};
    cw_combatant cb;
    assert_int_equal(cw_combatant_init(&cb, reg, &c, names, lists, 2, NULL), 0);
    assert_true(cb.num.hp_max == 300);
    assert_true(cb.num.power == 20);
    assert_true(cb.num.defense == 5);
    assert_true(cb.num.mp_max == CW_FIGHTER_DEFAULT_MP);
    assert_true(cb.num.accuracy == 0);
    assert_true(cw_combatant_hp(&cb, &c) == 300);
    int mp = cw_combat_resource_find(&c, "mp");
    assert_true(cb.pools.pool[mp].current == CW_FIGHTER_DEFAULT_MP);
    assert_true(cb.f.att[0][CW_COMBAT_ATT_POWER] == 20);
    assert_true(cb.f.def[0][CW_COMBAT_DEF_DEFENSE] == 5);
    assert_true(cb.f.att[CW_COMBAT_DEMO_FIRE][CW_COMBAT_ATT_POWER] == 20); /* omni */

    /* Damage taken stays after a refresh; a lower max clamps it. */
    cb.pools.pool[c.hp].current = 250;
    cw_stat_list race2 = list("hp_max", 200, NULL, 0);
    assert_int_equal(cw_fighter_set_source(cb.actor, "race", &race2, NULL), 0);
    assert_int_equal(cw_combatant_refresh(&cb, &c, NULL), 0);
    assert_true(cb.num.hp_max == 200 && cb.num.power == 8);
    assert_true(cw_combatant_hp(&cb, &c) == 200);
    cb.pools.pool[c.hp].current = 20;
    cb.dead = 1;
    cw_combatant_restore(&cb, &c);
    assert_true(cw_combatant_hp(&cb, &c) == 200 && !cb.dead);
    cw_combatant_free(&cb);
    cw_stats_registry_free(reg);
}

static void test_no_stats_gives_the_defaults(void **st)
{
    (void)st;
    cw_stats_registry *reg;
    assert_int_equal(cw_stats_registry_new(NULL, &reg, NULL), 0);
    cw_combat_content c;
    cw_combat_content_demo(&c);
    cw_combatant cb;
    assert_int_equal(cw_combatant_init(&cb, reg, &c, NULL, NULL, 0, NULL), 0);
    assert_true(cb.num.hp_max == CW_FIGHTER_DEFAULT_HP);
    assert_true(cw_combatant_hp(&cb, &c) == CW_FIGHTER_DEFAULT_HP);
    cw_combatant_free(&cb);
    cw_stats_registry_free(reg);
}

static void test_fighter_matches_the_plain_actor(void **st)
{
    (void)st;
    cw_fighter_numbers n = {
        .hp_max = 100, .power = 30, .defense = 4, .accuracy = 50, .evasion = 7, .crit_rate = 3};
    cw_combat_fighter f;
    assert_int_equal(cw_fighter_build(&n, &f, NULL), 0);
    cw_combat_actor a;
    cw_combat_actor_init(&a);
    a.power.omni = 30;
    a.defense.omni = 4;
    a.accuracy.omni = 50;
    a.evasion.omni = 7;
    a.crit_rate.omni = 3;
    cw_combat_content c;
    cw_combat_content_demo(&c);
    cw_combat_pools p;
    cw_combat_pools_init(&p, &c);
    p.pool[c.hp].max = p.pool[c.hp].current = 100;
    cw_combat_skill sk;
    cw_combat_skill_init(&sk);
    sk.base_min = 5;
    sk.base_max = 9;
    cw_combat_seed seed = {1, 2, 3, 4, 5};
    cw_combat_hit_record r1, r2;
    assert_int_equal(cw_combat_hit(&c, &a, &a, &p, &sk, &seed, &r1, NULL), 0);
    assert_int_equal(cw_combat_hit_prepared(&c, &f, &f, &p, &sk, &seed, &r2, NULL), 0);
    assert_int_equal(r1.hit, r2.hit);
    assert_int_equal(r1.crit, r2.crit);
    assert_true(r1.damage == r2.damage && r1.bd == r2.bd && r1.pp == r2.pp && r1.def == r2.def);
    assert_true(r1.pp == 30); /* power × scaling 1 */
}

static void test_bad_stat_names_are_refused(void **st)
{
    (void)st;
    cw_stat_list l = {0};
    assert_int_equal(cw_stat_list_add(&l, "", 1), CW_EINVAL);
    assert_int_equal(cw_stat_list_add(&l, "power", 1.0 / 0.0), CW_EINVAL);
    for (int i = 0; i < CW_FIGHTER_MAX_STATS; i++)
        assert_int_equal(cw_stat_list_add(&l, "x", 1), 0);
    assert_int_equal(cw_stat_list_add(&l, "x", 1), CW_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources_add_up_and_defaults_fill),
        cmocka_unit_test(test_no_stats_gives_the_defaults),
        cmocka_unit_test(test_fighter_matches_the_plain_actor),
        cmocka_unit_test(test_bad_stat_names_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
