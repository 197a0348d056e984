/* test_battle_reload.c — what a reload keeps (unchanged monsters: same
 * entity and hp; scripted ones too), replaces (changed templates, changed
 * groups) and adds (new groups, even before old ones); a cast in progress
 * across reloads (lands, or fails "skill_removed"); players' race sources
 * refreshed; buffs (flat and mult) changing the snapshot, expiring at a tick
 * and removed; the `level` source; the content tables themselves. */
#include "battle_fixture.h"

#include "core/game/content_load.h"

static double hp_of(fx *f, int64_t id)
{
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, id, &v), 0);
    return v.hp;
}

static void hit_rat(fx *f, cw_entity *p, int64_t rat)
{
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u), CW_USE_OK);
    f->now += 1100 * MS;
}

static void test_reload_keeps_unchanged_monsters(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    int64_t rat = fx_monster(f, "rat")->entity, wolf = fx_monster(f, "wolf")->entity;
    int64_t toad = fx_monster(f, "toad")->entity, newt = fx_monster(f, "newt")->entity;
    hit_rat(f, p, rat);
    double hp = hp_of(f, rat);
    assert_true(hp < 60);
    int n = cw_monsters_count(cw_battle_monsters(f->b));
    /* the same content again: nobody moves */
    int leaves = f->leaves;
    fx_reload(f, NULL);
    assert_int_equal(f->leaves, leaves);
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n);
    assert_int_equal(fx_monster(f, "rat")->entity, rat);
    assert_true(hp_of(f, rat) == hp);
    assert_int_equal(fx_monster(f, "rat")->nkillers, 1); /* its contributors too */
    /* the wolf changes, the toad's group goes, a group is added before the others */
    defs_text t = {
        .monsters =
            "{\"rat\":{\"name\":\"Rat\",\"stats\":{\"hp_max\":60,\"evasion\":-1000},"
            "\"skills\":[\"bite\"],\"respawn\":2.5,\"aggro\":0,\"leash\":30,\"exp\":150},"
            "\"toad\":{\"name\":\"Toad\",\"skills\":[\"bite\"],\"respawn\":30,\"leash\":10},"
            "\"newt\":{\"name\":\"Newt\",\"skills\":[\"bite\"],\"respawn\":30,\"leash\":10},"
            "\"wolf\":{\"name\":\"Wolf\",\"stats\":{\"hp_max\":90},\"skills\":[\"bite\"],"
            "\"respawn\":30,\"leash\":60,\"exp\":10},"
            "\"bear\":{\"name\":\"Bear\",\"skills\":[\"maul\"],\"respawn\":30}}",
        .zones = "{\"field\":{\"spawns\":[{\"monster\":\"newt\",\"x\":300,\"y\":300},"
                 "{\"monster\":\"rat\",\"x\":102,\"y\":100},"
                 "{\"monster\":\"newt\",\"x\":100,\"y\":85},"
                 "{\"monster\":\"wolf\",\"x\":100,\"y\":121}]},\"cave\":{}}",
    };
    fx_reload(f, &t);
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n);
    assert_int_equal(fx_monster(f, "rat")->entity, rat);
    assert_true(hp_of(f, rat) == hp);
    assert_null(fx_monster(f, "toad"));
    assert_null(cw_world_get(f->w, toad));
    assert_null(cw_world_get(f->w, wolf));
    cw_monster *w2 = fx_monster(f, "wolf");
    assert_non_null(w2);
    assert_true(w2->entity != wolf);
    assert_true(hp_of(f, w2->entity) == 90);   /* fresh, from the new definition */
    assert_non_null(cw_world_get(f->w, newt)); /* the old newt stays */
    int newts = 0;
    for (int i = 0; i < cw_monsters_count(cw_battle_monsters(f->b)); i++) {
        cw_monster *m = cw_monsters_at(cw_battle_monsters(f->b), i);
        if (strcmp(m->def.id, "newt") == 0) {
            newts++;
            if (m->entity != newt) assert_true(m->home_x == 300 && m->home_y == 300);
        }
    }
    assert_int_equal(newts, 2);
    /* the kept rat's skill points into the new table */
    assert_ptr_equal(fx_monster(f, "rat")->def.skill, cw_battle_skill(f->b, "bite"));
    fx_free(f);
}

static void test_reload_and_scripted_monsters(void **st)
{
    (void)st;
    fx *f = fx_new();
    int64_t bear = 0, newt = 0;
    assert_int_equal(cw_battle_spawn(f->b, "bear", 1, 400, 400, f->now, NULL, &bear, NULL), 0);
    assert_int_equal(cw_battle_spawn(f->b, "newt", 1, 420, 400, f->now, NULL, &newt, NULL), 0);
    int64_t cave_rat = 0;
    assert_int_equal(cw_battle_spawn(f->b, "rat", 0, 50, 50, f->now, NULL, &cave_rat, NULL), 0);
    int n = cw_monsters_count(cw_battle_monsters(f->b));
    fx_reload(f, NULL);
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n);
    assert_non_null(cw_world_get(f->w, bear));
    assert_non_null(cw_world_get(f->w, newt));
    /* the bear's template changes: a fresh bear at its home; the newt's is
     * gone; the cave is no longer defined */
    defs_text t = {.monsters = "{\"rat\":{\"name\":\"Rat\",\"stats\":{\"hp_max\":60,\"evasion\":-"
                               "1000},\"skills\":[\"bite\"],\"respawn\":2.5,\"aggro\":0,\"leash\":"
                               "30,\"exp\":150},"
                               "\"toad\":{\"name\":\"Toad\",\"skills\":[\"bite\"],\"respawn\":30,"
                               "\"leash\":10},"
                               "\"wolf\":{\"name\":\"Wolf\",\"stats\":{\"hp_max\":80},\"skills\":["
                               "\"bite\"],\"respawn\":30,\"leash\":60,\"exp\":10},"
                               "\"bear\":{\"name\":\"Big Bear\",\"skills\":[\"maul\"]}}",
                   .zones = "{\"field\":{\"spawns\":[{\"monster\":\"rat\",\"x\":102,\"y\":100}]}}"};
    fx_reload(f, &t);
    assert_null(cw_world_get(f->w, bear));
    assert_null(cw_world_get(f->w, newt));
    cw_monster *b2 = fx_monster(f, "bear");
    assert_non_null(b2);
    assert_string_equal(b2->def.name, "Big Bear");
    assert_true(b2->home_x == 400 && b2->home_y == 400 && b2->once);
    assert_null(fx_monster(f, "newt"));
    assert_null(cw_world_get(f->w, cave_rat)); /* its zone is no longer defined */
    fx_free(f);
}

static void test_cast_survives_a_reload(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    int64_t rat = fx_monster(f, "rat")->entity;
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "bolt", f->now, &u), CW_USE_OK);
    fx_reload(f, NULL);
    fx_tick(f, 300 * MS);
    assert_int_equal(f->hits, 1);
    assert_string_equal(f->hit_skill, "bolt");
    assert_int_equal(f->hit_to, rat);
    /* a reload that removes the skill: the cast fails with skill_removed */
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "bolt", f->now, &u), CW_USE_OK);
    defs_text t = {.skills = "{\"strike\":{\"range\":3,\"cooldown\":1},\"bite\":{\"range\":2.5},"
                             "\"maul\":{\"range\":3}}"};
    fx_reload(f, &t);
    fx_tick(f, 300 * MS);
    assert_int_equal(f->hits, 1);
    assert_int_equal(f->fails, 1);
    assert_string_equal(f->fail_skill, "bolt");
    assert_string_equal(f->fail_reason, "skill_removed");
    assert_int_equal(cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u), CW_USE_OK);
    fx_free(f);
}

static void test_reload_refreshes_players(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp_max == 500 && v.hp == 500);
    defs_text t = {.races = "{\"human\":{\"stats\":{\"hp_max\":300}}}"};
    fx_reload(f, &t);
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp_max == 300 && v.hp == 300); /* clamped */
    fx_free(f);
}

typedef struct stats_seen {
    double power, hp_max;
    int n;
} stats_seen;

static void seen(void *ud, const char *name, double value)
{
    stats_seen *s = ud;
    s->n++;
    if (strcmp(name, "power") == 0) s->power = value;
    if (strcmp(name, "hp_max") == 0) s->hp_max = value;
}

static stats_seen stats_of(fx *f, int64_t id)
{
    stats_seen s = {0};
    assert_int_equal(cw_battle_stats(f->b, id, seen, &s), 0);
    assert_true(s.n > 0);
    return s;
}

static void test_buffs_change_the_snapshot(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    assert_true(stats_of(f, p->id).power == 10);
    cw_buff_stats might = {0}, vigor = {0};
    cw_stat_list_add(&might.flat, "power", 5);
    cw_stat_list_add(&vigor.mult, "hp_max", 0.5);
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "might", &might, 2, f->now, NULL), 0);
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "vigor", &vigor, 0, f->now, NULL), 0);
    stats_seen s = stats_of(f, p->id);
    assert_true(s.power == 15);
    assert_true(s.hp_max == 750);
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp_max == 750 && v.hp == 500); /* the pool keeps its current value */
    assert_true(cw_battle_combatant(f->b, p)->f.att[0][CW_COMBAT_ATT_POWER] == 15);
    /* expiry at a tick, not before */
    fx_tick(f, 1999 * MS);
    assert_true(stats_of(f, p->id).power == 15);
    fx_tick(f, 1 * MS);
    assert_true(stats_of(f, p->id).power == 10);
    assert_true(cw_battle_combatant(f->b, p)->f.att[0][CW_COMBAT_ATT_POWER] == 10);
    assert_int_equal(cw_battle_buff_remove(f->b, p->id, "might"), CW_ENOTFOUND);
    /* the untimed one stays until removed; the pool is clamped to the lower max */
    fx_tick(f, 60 * SEC);
    assert_true(stats_of(f, p->id).hp_max == 750);
    cw_battle_combatant(f->b, p)->pools.pool[cw_battle_content(f->b)->hp].current = 700;
    assert_int_equal(cw_battle_buff_remove(f->b, p->id, "vigor"), 0);
    assert_true(stats_of(f, p->id).hp_max == 500);
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp_max == 500 && v.hp == 500);
    assert_int_equal(cw_battle_buff_remove(f->b, p->id, "vigor"), CW_ENOTFOUND);
    /* re-adding replaces (values and expiry) */
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "might", &might, 1, f->now, NULL), 0);
    cw_stat_list_add(&might.flat, "defense", 3);
    might.flat.v[0].value = 8;
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "might", &might, 5, f->now, NULL), 0);
    assert_true(stats_of(f, p->id).power == 18);
    fx_tick(f, 2 * SEC);
    assert_true(stats_of(f, p->id).power == 18);
    fx_tick(f, 3 * SEC);
    assert_true(stats_of(f, p->id).power == 10);
    fx_free(f);
}

static void test_buff_refusals_and_monsters(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    cw_buff_stats b = {0};
    cw_stat_list_add(&b.flat, "hp_max", 40);
    const char *bad[] = {"race", "job", "level", "monster", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_error err = {0};
        assert_int_equal(cw_battle_buff_add(f->b, p->id, bad[i], &b, 0, f->now, &err), CW_EINVAL);
        assert_true(err.msg[0] != 0);
    }
    char long_name[CW_BATTLE_SOURCE_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_int_equal(cw_battle_buff_add(f->b, p->id, long_name, &b, 0, f->now, NULL), CW_EINVAL);
    assert_int_equal(cw_battle_buff_add(f->b, 987654, "x", &b, 0, f->now, NULL), CW_ENOTFOUND);
    b.flat.v[0].value = NAN;
    assert_int_equal(cw_battle_buff_add(f->b, p->id, "x", &b, 0, f->now, NULL), CW_EINVAL);
    b.flat.v[0].value = 40;
    assert_true(stats_of(f, p->id).hp_max == 500); /* nothing of the refusals stuck */
    /* monsters take buffs too; they end with its death */
    cw_monster *rat = fx_monster(f, "rat");
    int64_t id = rat->entity;
    assert_int_equal(cw_battle_buff_add(f->b, id, "x", &b, 0, f->now, NULL), 0);
    assert_true(stats_of(f, id).hp_max == 100);
    cw_entity *q = fx_player(f, 2, "human", "field", 100, 100);
    for (int i = 0; i < 30 && !rat->cb.dead; i++)
        hit_rat(f, q, id);
    assert_true(rat->cb.dead);
    assert_true(stats_of(f, id).hp_max == 60);
    assert_int_equal(cw_battle_buff_remove(f->b, id, "x"), CW_ENOTFOUND);
    assert_int_equal(cw_battle_buff_add(f->b, id, "x", &b, 0, f->now, NULL), CW_ESTATE);
    fx_free(f);
}

static void test_level_source(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    cw_stat_list l = {0};
    cw_stat_list_add(&l, "power", 7);
    assert_int_equal(cw_battle_set_source(f->b, p->id, "level", &l, NULL), 0);
    assert_true(stats_of(f, p->id).power == 17);
    assert_int_equal(cw_battle_set_source(f->b, p->id, "haste", &l, NULL), CW_EINVAL);
    assert_int_equal(cw_battle_set_source(f->b, p->id, "race", &l, NULL), CW_EINVAL);
    assert_int_equal(cw_battle_set_source(f->b, 987654, "level", &l, NULL), CW_ENOTFOUND);
    /* a reload rebuilds race and job, and keeps the level */
    fx_reload(f, NULL);
    assert_true(stats_of(f, p->id).power == 17);
    assert_int_equal(cw_battle_set_source(f->b, p->id, "level", NULL, NULL), 0);
    assert_true(stats_of(f, p->id).power == 10);
    fx_free(f);
}

/* A full pool stays full when the level raises its maximum; a damaged one keeps its value. */
static void test_level_source_keeps_full_pools_full(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    cw_entity *q = fx_player(f, 2, "human", "field", 520, 500);
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    double max0 = v.hp_max;
    cw_combatant *cq = cw_battle_combatant(f->b, q);
    int hp = cw_battle_content(f->b)->hp;
    cq->pools.pool[hp].current -= 10; /* q took a hit */
    double q_hp = cq->pools.pool[hp].current;
    cw_stat_list l = {0};
    cw_stat_list_add(&l, "hp_max", 20);
    assert_int_equal(cw_battle_set_source(f->b, p->id, "level", &l, NULL), 0);
    assert_int_equal(cw_battle_set_source(f->b, q->id, "level", &l, NULL), 0);
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp_max == max0 + 20 && v.hp == v.hp_max);
    assert_int_equal(cw_battle_vitals(f->b, q->id, &v), 0);
    assert_true(v.hp_max == max0 + 20 && v.hp == q_hp);
    fx_free(f);
}

/* ---- the tables -------------------------------------------------------------------------------
 */

typedef struct groups {
    char keys[8][CW_MONSTER_GROUP_MAX];
    int n;
    double x[8], y[8];
} groups;

static void group(const cw_spawn_group *g, void *ud)
{
    groups *s = ud;
    assert_true(s->n < 8);
    snprintf(s->keys[s->n], sizeof s->keys[s->n], "%s", g->key);
    cw_spawn_group_point(g, 1, &s->x[s->n], &s->y[s->n]);
    s->n++;
}

static void test_content_tables(void **st)
{
    (void)st;
    cw_combat_content c;
    cw_combat_content_demo(&c);
    json_t *sk = json_loads(SKILLS, 0, NULL);
    cw_skill_def *v;
    int n;
    assert_int_equal(cw_content_skills(&c, sk, &v, &n, NULL), 0);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        assert_int_equal(v[i].num, i + 1);
        if (i) assert_true(strcmp(v[i - 1].id, v[i].id) < 0);
    }
    const cw_skill_def *fb = cw_content_skill_find(v, n, "firebolt");
    assert_non_null(fb);
    assert_true(fb->range == 20 && fb->cooldown == 3 && fb->mp_cost == 10);
    assert_int_equal(fb->sk.element, cw_combat_element_find(&c, "fire"));
    assert_int_equal(fb->sk.damage_type, cw_combat_damage_type_find(&c, "magical"));
    assert_null(cw_content_skill_find(v, n, "nope"));
    json_t *mons = json_loads(MONSTERS, 0, NULL);
    cw_monster_def m;
    cw_content_monster("rat", json_object_get(mons, "rat"), v, n, &m);
    assert_string_equal(m.name, "Rat");
    assert_ptr_equal(m.skill, cw_content_skill_find(v, n, "bite"));
    assert_true(m.respawn_s == 2.5 && m.leash == 30 && m.exp == 150);
    assert_int_equal(m.stats.n, 2);
    /* group keys: identical groups differ by occurrence; a group added in
     * front does not change the others' keys */
    json_t *z1 = json_loads("{\"f\":{\"spawns\":[{\"monster\":\"rat\",\"x\":1,\"y\":2},"
                            "{\"monster\":\"rat\",\"x\":1,\"y\":2},"
                            "{\"monster\":\"wolf\",\"x\":5,\"y\":5,\"count\":4,\"radius\":2}]}}",
                            0, NULL);
    json_t *z2 = json_loads("{\"f\":{\"spawns\":[{\"monster\":\"toad\",\"x\":9,\"y\":9},"
                            "{\"monster\":\"rat\",\"x\":1,\"y\":2},"
                            "{\"monster\":\"rat\",\"x\":1,\"y\":2},"
                            "{\"monster\":\"wolf\",\"x\":5,\"y\":5,\"count\":4,\"radius\":2}]}}",
                            0, NULL);
    groups g1 = {0}, g2 = {0};
    cw_content_spawn_groups(z1, group, &g1);
    cw_content_spawn_groups(z2, group, &g2);
    assert_int_equal(g1.n, 3);
    assert_int_equal(g2.n, 4);
    assert_string_not_equal(g1.keys[0], g1.keys[1]);
    for (int i = 0; i < 3; i++)
        assert_string_equal(g1.keys[i], g2.keys[i + 1]);
    assert_string_not_equal(g2.keys[0], g1.keys[0]);
    /* member 1 of 4 on a circle of radius 2 around (5, 5): a quarter turn */
    assert_true(fabs(g1.x[2] - 5) < 1e-9 && fabs(g1.y[2] - 7) < 1e-9);
    assert_true(g1.x[0] == 1 && g1.y[0] == 2); /* a group of one sits at its centre */
    json_decref(z1);
    json_decref(z2);
    json_decref(mons);
    json_decref(sk);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_keeps_unchanged_monsters),
        cmocka_unit_test(test_reload_and_scripted_monsters),
        cmocka_unit_test(test_cast_survives_a_reload),
        cmocka_unit_test(test_reload_refreshes_players),
        cmocka_unit_test(test_buffs_change_the_snapshot),
        cmocka_unit_test(test_buff_refusals_and_monsters),
        cmocka_unit_test(test_level_source),
        cmocka_unit_test(test_level_source_keeps_full_pools_full),
        cmocka_unit_test(test_content_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
