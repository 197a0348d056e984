/* test_battle_prog.c — progression in the battle: the known-skills gate
 * ("skill_unknown", no set = every skill, bad sets refused), realms' REALM
 * caps applied by the actor's realm (and unknown realms refused), and the
 * players' stats notices (once per flush, only when the stats changed); and
 * healing (cw_battle_heal: clamped to hp_max, refused for the dead and bad
 * amounts). */
#include "battle_fixture.h"

#include "core/base/strbuf.h"

#define REALMS "{\"low\":{\"caps\":{\"power\":5}},\"high\":{\"caps\":{\"power\":50}}}"

typedef struct stat_query {
    const char *name;
    double v;
} stat_query;

static void find_stat(void *ud, const char *n, double v)
{
    stat_query *q = ud;
    if (strcmp(n, q->name) == 0) q->v = v;
}

/* entity id's resolved stat `name` (NAN when it has none). */
static double stat_of(fx *f, int64_t id, const char *name)
{
    stat_query q = {name, NAN};
    assert_int_equal(cw_battle_stats(f->b, id, find_stat, &q), 0);
    return q.v;
}

static void test_known_skills_gate(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    int64_t rat = fx_monster(f, "rat")->entity;
    cw_skill_use u;
    const char *known[] = {"strike"};
    assert_int_equal(cw_battle_set_known_skills(f->b, p->id, known, 1, NULL), 0);
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "firebolt", f->now, &u),
                     CW_USE_SKILL_UNKNOWN);
    assert_string_equal(u.code, "skill_unknown");
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "nope", f->now, &u), CW_USE_UNKNOWN_SKILL);
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u), CW_USE_OK);
    assert_true(cw_battle_knows(f->b, p, "strike"));
    assert_false(cw_battle_knows(f->b, p, "firebolt"));
    /* no set: every skill */
    assert_int_equal(cw_battle_set_known_skills(f->b, p->id, NULL, -1, NULL), 0);
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "firebolt", f->now, &u), CW_USE_OK);
    /* bad sets change nothing */
    const char *bad[] = {"strike", ""};
    cw_error err = {0};
    assert_int_equal(cw_battle_set_known_skills(f->b, p->id, bad, 2, &err), CW_EINVAL);
    assert_int_equal(cw_battle_set_known_skills(f->b, p->id, bad, CW_BATTLE_KNOWN_MAX + 1, &err),
                     CW_EINVAL);
    assert_true(cw_battle_knows(f->b, p, "firebolt"));
    assert_int_equal(cw_battle_set_known_skills(f->b, rat, known, 1, &err), CW_ENOTFOUND);
    /* an empty set: nothing is known */
    assert_int_equal(cw_battle_set_known_skills(f->b, p->id, known, 0, NULL), 0);
    assert_false(cw_battle_knows(f->b, p, "strike"));
    fx_free(f);
}

static void test_realm_caps(void **st)
{
    (void)st;
    fx *f = fx_new();
    defs_text t = {.realms = REALMS};
    fx_reload(f, &t);
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    assert_true(stat_of(f, p->id, "power") == 10);
    assert_null(cw_battle_realm(f->b, p->id));
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "low", NULL), 0);
    assert_string_equal(cw_battle_realm(f->b, p->id), "low");
    assert_true(stat_of(f, p->id, "power") == 5);
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "high", NULL), 0);
    assert_true(stat_of(f, p->id, "power") == 10);
    cw_error err = {0};
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "nowhere", &err), CW_EINVAL);
    assert_string_equal(cw_battle_realm(f->b, p->id), "high");
    assert_int_equal(cw_battle_set_realm(f->b, 999999, "low", &err), CW_ENOTFOUND);
    /* a reload that changes the caps applies them to the players at once */
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "low", NULL), 0);
    defs_text t2 = {.realms = "{\"low\":{\"caps\":{\"power\":7}},\"high\":{}}"};
    fx_reload(f, &t2);
    assert_true(stat_of(f, p->id, "power") == 7);
    /* no realms: no caps */
    fx_reload(f, NULL);
    assert_true(stat_of(f, p->id, "power") == 10);
    assert_int_equal(cw_battle_set_realm(f->b, p->id, NULL, NULL), 0);
    assert_null(cw_battle_realm(f->b, p->id));
    fx_free(f);
}

static void test_stats_notices(void **st)
{
    (void)st;
    fx *f = fx_new();
    defs_text t = {.realms = REALMS};
    fx_reload(f, &t);
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    fx_tick(f, 50 * MS);
    assert_int_equal(f->stats_notices, 0); /* joining is no change */
    cw_buff_stats b;
    memset(&b, 0, sizeof b);
    cw_stat_list_add(&b.flat, "power", 3);
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "rage", &b, 1.0, f->now, NULL), 0);
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "high", NULL), 0);
    assert_int_equal(f->stats_notices, 0); /* never inside the call */
    fx_tick(f, 50 * MS);
    assert_int_equal(f->stats_notices, 1); /* two changes, one notice */
    assert_int_equal(f->stats_last, p->id);
    cw_strbuf js = CW_STRBUF_INIT;
    assert_int_equal(cw_battle_stats_json(f->b, p->id, &js), 0);
    json_t *o = json_loads(js.data, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "ev")), "stats");
    assert_true(json_number_value(json_object_get(json_object_get(o, "stats"), "power")) == 13);
    assert_true(json_number_value(json_object_get(o, "hp_max")) == 500);
    json_decref(o);
    cw_strbuf_free(&js);
    /* the same realm again, or a change undone before the flush: no notice */
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "high", NULL), 0);
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "low", NULL), 0);
    assert_int_equal(cw_battle_set_realm(f->b, p->id, "high", NULL), 0);
    fx_tick(f, 50 * MS);
    assert_int_equal(f->stats_notices, 1);
    /* the buff expires: a notice */
    fx_tick(f, 1000 * MS);
    assert_int_equal(f->stats_notices, 2);
    assert_true(stat_of(f, p->id, "power") == 10);
    fx_free(f);
}

static double hp_of(fx *f, int64_t id)
{
    cw_vitals vt;
    assert_int_equal(cw_battle_vitals(f->b, id, &vt), 0);
    return vt.hp;
}

static void test_heal(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    int64_t rat = fx_monster(f, "rat")->entity;
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u), CW_USE_OK);
    fx_tick(f, 50 * MS);
    double hurt = hp_of(f, rat);
    assert_true(hurt < 60 && hurt > 0);
    double hp = 0;
    assert_int_equal(cw_battle_heal(f->b, rat, 1, &hp, NULL), 0);
    assert_true(hp == hurt + 1 && hp_of(f, rat) == hurt + 1);
    assert_int_equal(cw_battle_heal(f->b, rat, 1000, &hp, NULL), 0);
    assert_true(hp == 60 && hp_of(f, rat) == 60); /* never past hp_max */
    cw_error err = {0};
    assert_int_equal(cw_battle_heal(f->b, rat, -1, NULL, &err), CW_EINVAL);
    assert_int_equal(cw_battle_heal(f->b, rat, NAN, NULL, &err), CW_EINVAL);
    assert_int_equal(cw_battle_heal(f->b, rat, INFINITY, NULL, &err), CW_EINVAL);
    assert_int_equal(cw_battle_heal(f->b, 999999, 1, NULL, &err), CW_ENOTFOUND);
    /* the dead are not healed */
    for (int i = 0; i < 40 && !f->kills; i++) {
        (void)cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u);
        fx_tick(f, 1100 * MS);
    }
    assert_int_equal(f->kills, 1);
    cw_vitals vt;
    assert_int_equal(cw_battle_vitals(f->b, rat, &vt), 0); /* the corpse is still there */
    assert_true(vt.dead);
    assert_int_equal(cw_battle_heal(f->b, rat, 10, NULL, &err), CW_ESTATE);
    assert_int_equal(cw_battle_vitals(f->b, rat, &vt), 0);
    assert_true(vt.hp == 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_skills_gate),
        cmocka_unit_test(test_realm_caps),
        cmocka_unit_test(test_stats_notices),
        cmocka_unit_test(test_heal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
