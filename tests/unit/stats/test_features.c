/* test_features.c — context packs, formulas, across-layer policies, operator
 * modes, REALM caps, shared caps, caching, error paths and allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/stats/stats_test.h"

static void context_merge_apply(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    double m1[] = {1.2}, m2[] = {1.5, 0.5};
    cw_stats_pack_in p1[] = {{"damage", 0.1, m1, 1, 5}, {"gold", 0.5, NULL, 0, 0}};
    cw_stats_pack_in p2[] = {{"damage", 0.2, m2, 2, 1}};
    cw_stats_source_in s1 = {.packs = p1, .npacks = 2}, s2 = {.packs = p2, .npacks = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "zeal", &s1, NULL), 0);
    assert_int_equal(cw_stats_actor_set_source(a, "aura", &s2, NULL), 0);
    const cw_stats_snapshot *s = resolve(a);
    assert_int_equal(s->ncontext, 2);
    const cw_stats_pack *d = cw_stats_snapshot_pack(s, cw_stats_symbol_find(reg, "damage"));
    assert_non_null(d);
    assert_true(fabs(d->additive_percent - 0.3) < EPS);
    assert_true(d->post_add == 6);
    assert_int_equal(d->nmultipliers, 3);
    /* sources in name order (aura, zeal), each pack's multipliers ascending */
    assert_true(d->multipliers[0] == 0.5 && d->multipliers[1] == 1.5 && d->multipliers[2] == 1.2);
    assert_true(fabs(cw_stats_pack_apply(d, 100) - (100 * 1.3 * 0.9 + 6)) < EPS);
    assert_true(cw_stats_pack_apply(NULL, 42) == 42);
    /* the pure merge */
    double buf[4];
    cw_stats_pack in[2] = {{0, 0.1, 2, m1, 1}, {0, 0.2, 3, m2, 2}}, out;
    assert_int_equal(cw_stats_pack_merge(in, 2, buf, 4, &out, NULL), 0);
    assert_true(fabs(out.additive_percent - 0.3) < EPS && out.post_add == 5);
    assert_int_equal(out.nmultipliers, 3);
    assert_true(buf[0] == 1.2 && buf[1] == 1.5 && buf[2] == 0.5);
    cw_error err;
    assert_int_equal(cw_stats_pack_merge(in, 2, buf, 2, &out, &err), CW_ELIMIT);
    /* a duplicate pack name inside one source is refused */
    cw_stats_pack_in dup[] = {{"damage", 0.1, NULL, 0, 0}, {"damage", 0.1, NULL, 0, 0}};
    cw_stats_source_in sd = {.packs = dup, .npacks = 2};
    assert_int_equal(cw_stats_actor_set_source(a, "dup", &sd, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "duplicate"));
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void derived_formula(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    const char *in[] = {"vitality", "strength"};
    double w[] = {10, 2};
    assert_int_equal(cw_stats_set_formula(reg, "hp_max", in, w, 2, 50, NULL), 0);
    cw_stats_actor *a = new_actor(reg);
    /* no primaries: the formula still yields its constant */
    assert_true(value_of(a, CW_STATS_DERIVED, "hp_max") == 50);
    cw_stats_contrib_in p[] = {FLAT("vitality", 20, "race"), FLAT("strength", 5, "race")};
    cw_stats_contrib_in d[] = {{"hp_max", CW_STATS_MULT, 0.1, "buff", 0}};
    cw_stats_source_in s = {.primary = p, .nprimary = 2, .derived = d, .nderived = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "race", &s, NULL), 0);
    assert_true(fabs(value_of(a, CW_STATS_DERIVED, "hp_max") - 260 * 1.1) < EPS);
    /* the formula reads clamped primaries */
    set_rule(reg, "vitality", 1, CW_STATS_SUM, 0, 10);
    assert_true(fabs(value_of(a, CW_STATS_DERIVED, "hp_max") - 160 * 1.1) < EPS);
    /* derived caps clamp the formula result */
    set_rule(reg, "hp_max", 1, CW_STATS_SUM, 0, 100);
    assert_true(value_of(a, CW_STATS_DERIVED, "hp_max") == 100);
    assert_int_equal(cw_stats_remove_formula(reg, "hp_max", NULL), 0);
    assert_true(value_of(a, CW_STATS_DERIVED, "hp_max") == 0); /* MULT alone on FLAT 0 */
    assert_int_equal(cw_stats_remove_formula(reg, "hp_max", NULL), CW_ENOTFOUND);
    double bad = NAN;
    assert_int_equal(cw_stats_set_formula(reg, "x", in, &bad, 1, 0, NULL), CW_EINVAL);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void across_policies(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    const char *order[] = {"WORLD", "EVENT", "TOTAL"};
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("power", 100, "job")};
    cw_stats_cap_in caps[] = {
        {"world", "power", CW_STATS_CAP_OVERRIDE, CW_STATS_KIND_MAX, 50, 0, "WORLD", NULL},
        {"event", "power", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX, 30, 0, "EVENT", NULL},
        {"event", "power", CW_STATS_CAP_OVERRIDE, CW_STATS_KIND_MAX, 70, 0, "EVENT", NULL},
        {"race", "power", CW_STATS_CAP_BASELINE, CW_STATS_KIND_MIN, 40, 0, "TOTAL", NULL}};
    set_src(a, "all", c, 1, caps, N(caps));
    assert_int_equal(cw_stats_set_layers(reg, order, 3, CW_STATS_INTERSECT, NULL), 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "power") == 30); /* [40, 30] -> [30, 30] */
    double lo, hi;
    bounds_of_dim(a, "power", &lo, &hi);
    assert_true(lo == 30 && hi == 30);
    assert_int_equal(cw_stats_set_layers(reg, order, 3, CW_STATS_PRIORITIZED_OVERRIDE, NULL), 0);
    /* WORLD is the first layer with an OVERRIDE max: it alone sets the max */
    bounds_of_dim(a, "power", &lo, &hi);
    assert_true(lo == 40 && hi == 50);
    assert_true(value_of(a, CW_STATS_PRIMARY, "power") == 50);
    /* reorder: EVENT first; its max is min(override 70, hard 30) */
    const char *order2[] = {"EVENT", "WORLD", "TOTAL"};
    assert_int_equal(cw_stats_set_layers(reg, order2, 3, CW_STATS_PRIORITIZED_OVERRIDE, NULL), 0);
    bounds_of_dim(a, "power", &lo, &hi);
    assert_true(lo == 30 && hi == 30);
    /* bad layer settings */
    const char *dupe[] = {"WORLD", "WORLD"};
    assert_int_equal(cw_stats_set_layers(reg, dupe, 2, CW_STATS_INTERSECT, NULL), CW_EINVAL);
    assert_int_equal(cw_stats_set_layers(reg, order, 3, (cw_stats_across)7, NULL), CW_EINVAL);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void cap_override_priority(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("mana", 500, "job")};
    cw_stats_cap_in caps[] = {
        {"b", "mana", CW_STATS_CAP_BASELINE, CW_STATS_KIND_MAX, 100, 0, NULL, NULL},
        {"x", "mana", CW_STATS_CAP_OVERRIDE, CW_STATS_KIND_MAX, 300, 1, NULL, NULL},
        {"y", "mana", CW_STATS_CAP_OVERRIDE, CW_STATS_KIND_MAX, 200, 5, NULL, NULL},
        {"a", "mana", CW_STATS_CAP_OVERRIDE, CW_STATS_KIND_MAX, 250, 5, NULL, NULL}};
    set_src(a, "all", c, 1, caps, N(caps));
    /* priority 5 wins; between a and y the name that sorts first (a) */
    assert_true(value_of(a, CW_STATS_PRIMARY, "mana") == 250);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void operator_modes(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    set_rule(reg, "avg", 0, CW_STATS_AVERAGE, -INFINITY, INFINITY);
    set_rule(reg, "mul", 0, CW_STATS_MULTIPLY, -INFINITY, INFINITY);
    set_rule(reg, "max", 0, CW_STATS_MAX, -INFINITY, INFINITY);
    set_rule(reg, "sum", 0, CW_STATS_SUM, -INFINITY, INFINITY);
    cw_stats_contrib_in c[] = {
        FLAT("avg", 10, "a"), MULT("avg", 20, "b"), OVER("avg", 60, "c", 9),
        FLAT("mul", 2, "a"),  FLAT("mul", 3, "b"),  POST("mul", 0.5, "c"),
        FLAT("max", -4, "a"), MULT("max", 9, "b"),  FLAT("max", 3, "c"),
        FLAT("sum", 1, "a"),  MULT("sum", 2, "b"),  OVER("sum", 3, "c", 1),
    };
    set_src(a, "all", c, N(c), NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "avg") == 30);
    assert_true(value_of(a, CW_STATS_PRIMARY, "mul") == 3);
    assert_true(value_of(a, CW_STATS_PRIMARY, "max") == 9);
    assert_true(value_of(a, CW_STATS_PRIMARY, "sum") == 6);
    /* the registry-wide default rule applies to unlisted dims */
    cw_stats_rule def = {0, CW_STATS_MAX, 0, 5};
    assert_int_equal(cw_stats_set_default_rule(reg, &def, NULL), 0);
    cw_stats_contrib_in d[] = {FLAT("other", 3, "a"), FLAT("other", 8, "b")};
    set_src(a, "other", d, 2, NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "other") == 5);
    cw_stats_rule bad = {1, CW_STATS_SUM, 5, 1};
    assert_int_equal(cw_stats_set_default_rule(reg, &bad, NULL), CW_EINVAL);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void realm_caps(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in c[] = {FLAT("speed", 50, "job")};
    cw_stats_cap_in caps[] = {
        {"realm", "speed", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX, 10, 0, "REALM", "eu"},
        {"realm", "speed", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX, 20, 0, "REALM", "us"}};
    set_src(a, "all", c, 1, caps, N(caps));
    assert_true(value_of(a, CW_STATS_PRIMARY, "speed") == 50); /* no realm: none apply */
    assert_int_equal(cw_stats_actor_set_realm(a, "eu", NULL), 0);
    assert_string_equal(cw_stats_actor_realm(a), "eu");
    assert_true(value_of(a, CW_STATS_PRIMARY, "speed") == 10);
    assert_int_equal(cw_stats_actor_set_realm(a, "us", NULL), 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "speed") == 20);
    assert_int_equal(cw_stats_actor_set_realm(a, "asia", NULL), 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "speed") == 50);
    /* a REALM cap without a realm is refused, and the actor is untouched */
    uint64_t v = cw_stats_actor_version(a);
    cw_stats_cap_in bad[] = {
        {"realm", "speed", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX, 1, 0, "REALM", NULL}};
    cw_stats_source_in s = {.caps = bad, .ncaps = 1};
    cw_error err;
    assert_int_equal(cw_stats_actor_set_source(a, "all", &s, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "caps[0].realm"));
    assert_true(cw_stats_actor_version(a) == v);
    assert_true(value_of(a, CW_STATS_PRIMARY, "speed") == 50);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void shared_caps_epoch(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *as[3];
    cw_stats_contrib_in c[] = {FLAT("armor", 500, "items")};
    for (int i = 0; i < 3; i++) {
        as[i] = new_actor(reg);
        set_src(as[i], "items", c, 1, NULL, 0);
        assert_true(value_of(as[i], CW_STATS_PRIMARY, "armor") == 500);
        assert_false(cw_stats_actor_is_dirty(as[i]));
    }
    uint64_t v0 = cw_stats_actor_version(as[0]);
    cw_stats_cap_in ev[] = {CAP("event:siege", "armor", HARD_MAX, MAX, 300, "EVENT"),
                            CAP("event:siege", "fury", HARD_MIN, MIN, 5, "EVENT")};
    assert_int_equal(cw_stats_set_shared_caps(reg, "event:siege", ev, 2, NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(cw_stats_actor_is_dirty(as[i]));
        assert_true(value_of(as[i], CW_STATS_PRIMARY, "armor") == 300);
        double lo, hi;
        bounds_of_dim(as[i], "fury", &lo, &hi); /* caps only: in caps_used, no value */
        assert_true(lo == 5 && hi == INFINITY);
        double v;
        assert_false(cw_stats_snapshot_get(resolve(as[i]), CW_STATS_PRIMARY,
                                           cw_stats_dim_find(reg, "fury"), &v));
    }
    assert_true(cw_stats_actor_version(as[0]) == v0 + 1);
    assert_true(resolve(as[0])->version == v0 + 1);
    assert_int_equal(cw_stats_remove_shared_caps(reg, "event:siege", NULL), 0);
    assert_int_equal(cw_stats_remove_shared_caps(reg, "event:siege", NULL), CW_ENOTFOUND);
    for (int i = 0; i < 3; i++) {
        assert_true(value_of(as[i], CW_STATS_PRIMARY, "armor") == 500);
        cw_stats_actor_free(as[i]);
    }
    cw_stats_registry_free(reg);
}

static void caching_and_lists(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in p[] = {FLAT("focus", 7, "job")};
    cw_stats_contrib_in d[] = {FLAT("focus", 11, "job")};
    cw_stats_source_in s = {.primary = p, .nprimary = 1, .derived = d, .nderived = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "job", &s, NULL), 0);
    const cw_stats_snapshot *s1 = resolve(a);
    assert_false(cw_stats_actor_is_dirty(a));
    assert_int_equal(s1->nprimary, 1);
    assert_int_equal(s1->nderived, 1);
    assert_int_equal(s1->ncaps_used, 1);
    assert_true(value_of(a, CW_STATS_PRIMARY, "focus") == 7);
    assert_true(value_of(a, CW_STATS_DERIVED, "focus") == 11);
    /* identical content in another order is no change */
    uint64_t v = cw_stats_actor_version(a);
    assert_int_equal(cw_stats_actor_set_source(a, "job", &s, NULL), 0);
    assert_true(cw_stats_actor_version(a) == v);
    assert_false(cw_stats_actor_is_dirty(a));
    assert_int_equal(cw_stats_actor_remove_source(a, "nope", NULL), CW_ENOTFOUND);
    assert_int_equal(cw_stats_actor_remove_source(a, "job", NULL), 0);
    assert_int_equal(resolve(a)->nprimary, 0);
    assert_true(resolve(a)->version == v + 1);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void bad_inputs(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_error err;
    cw_stats_contrib_in nan_c[] = {FLAT("x", NAN, "s")};
    cw_stats_source_in s = {.primary = nan_c, .nprimary = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "primary[0].value"));
    cw_stats_contrib_in inf_c[] = {FLAT("x", 1, "s"), FLAT("x", INFINITY, "s")};
    s = (cw_stats_source_in){.derived = inf_c, .nderived = 2};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "derived[1].value"));
    cw_stats_contrib_in bad_b[] = {{"x", (cw_stats_bucket)9, 1, "s", 0}};
    s = (cw_stats_source_in){.primary = bad_b, .nprimary = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_EINVAL);
    cw_stats_contrib_in no_dim[] = {{NULL, CW_STATS_FLAT, 1, "s", 0}};
    s = (cw_stats_source_in){.primary = no_dim, .nprimary = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_EINVAL);
    cw_stats_cap_in kind[] = {CAP("w", "x", HARD_MAX, MIN, 1, NULL)};
    s = (cw_stats_source_in){.caps = kind, .ncaps = 1};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "caps[0].kind"));
    assert_int_equal(cw_stats_actor_set_source(a, "", &s, &err), CW_EINVAL);
    assert_int_equal(cw_stats_actor_source_count(a), 0);
    assert_int_equal(cw_stats_actor_version(a), 0);
    /* too many layers */
    char names[40][16];
    cw_stats_cap_in many[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "L%d", i);
        many[i] = (cw_stats_cap_in){"w",      "x", CW_STATS_CAP_HARD_MAX, CW_STATS_KIND_MAX, 1, 0,
                                    names[i], NULL};
    }
    s = (cw_stats_source_in){.caps = many, .ncaps = 40};
    assert_int_equal(cw_stats_actor_set_source(a, "s", &s, &err), CW_ELIMIT);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

/* ---- allocation: counting and failure injection ---- */

typedef struct counter {
    long allocs;
    long fail_at; /* fail the n-th allocation (0 = never) */
} counter;

static void *count_realloc(void *ud, void *p, size_t size)
{
    counter *c = ud;
    if (c->fail_at && ++c->allocs >= c->fail_at) return NULL;
    if (!c->fail_at) c->allocs++;
    return realloc(p, size);
}

static void count_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

static void resolve_allocates_nothing(void **state)
{
    (void)state;
    counter c = {0, 0};
    cw_stats_allocator al = {count_realloc, count_free, &c};
    cw_stats_registry *reg;
    assert_int_equal(cw_stats_registry_new(&al, &reg, NULL), 0);
    cw_stats_actor *a = new_actor(reg);
    cw_stats_contrib_in p[] = {FLAT("a", 1, "x"), MULT("a", 0.5, "y"), FLAT("b", 2, "x")};
    cw_stats_cap_in caps[] = {CAP("w", "a", HARD_MAX, MAX, 1, "WORLD")};
    set_src(a, "s", p, N(p), caps, 1);
    resolve(a);
    long before = c.allocs;
    for (int i = 0; i < 100; i++) {
        cw_stats_actor_mark_dirty(a);
        resolve(a);
    }
    assert_int_equal(c.allocs, before);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

static void allocation_failures_leave_actor_unchanged(void **state)
{
    (void)state;
    cw_stats_contrib_in p[] = {FLAT("a", 1, "x"), MULT("a", 0.5, "y"), FLAT("b", 2, "x")};
    cw_stats_cap_in caps[] = {CAP("w", "a", HARD_MAX, MAX, 1, "NEWLAYER")};
    double m[] = {2};
    cw_stats_pack_in packs[] = {{"damage", 0.1, m, 1, 0}};
    cw_stats_source_in in = {p, N(p), p, 1, caps, 1, packs, 1};
    int succeeded = 0;
    for (long n = 1; n < 200 && !succeeded; n++) {
        counter c = {0, 0};
        cw_stats_allocator al = {count_realloc, count_free, &c};
        cw_stats_registry *reg;
        assert_int_equal(cw_stats_registry_new(&al, &reg, NULL), 0);
        cw_stats_actor *a = new_actor(reg);
        cw_stats_contrib_in base[] = {FLAT("a", 10, "base")};
        set_src(a, "base", base, 1, NULL, 0);
        assert_true(value_of(a, CW_STATS_PRIMARY, "a") == 10);
        c.fail_at = c.allocs + n;
        int rc = cw_stats_actor_set_source(a, "new", &in, NULL);
        c.fail_at = 0;
        if (rc == 0) {
            succeeded = 1;
            assert_true(value_of(a, CW_STATS_PRIMARY, "a") == 1);
        } else {
            assert_int_equal(rc, CW_ENOMEM);
            assert_int_equal(cw_stats_actor_source_count(a), 1);
            assert_true(value_of(a, CW_STATS_PRIMARY, "a") == 10);
            assert_int_equal(cw_stats_actor_version(a), 1);
        }
        cw_stats_actor_free(a);
        cw_stats_registry_free(reg);
    }
    assert_true(succeeded);
}

static void registry_outlives_in_any_order(void **state)
{
    (void)state;
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    cw_stats_registry_free(reg); /* the actor still holds a reference */
    cw_stats_contrib_in p[] = {FLAT("a", 1, "x")};
    set_src(a, "s", p, 1, NULL, 0);
    assert_true(value_of(a, CW_STATS_PRIMARY, "a") == 1);
    cw_stats_actor_free(a); /* frees the registry too (ASan checks) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(context_merge_apply),
        cmocka_unit_test(derived_formula),
        cmocka_unit_test(across_policies),
        cmocka_unit_test(cap_override_priority),
        cmocka_unit_test(operator_modes),
        cmocka_unit_test(realm_caps),
        cmocka_unit_test(shared_caps_epoch),
        cmocka_unit_test(caching_and_lists),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(resolve_allocates_nothing),
        cmocka_unit_test(allocation_failures_leave_actor_unchanged),
        cmocka_unit_test(registry_outlives_in_any_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
