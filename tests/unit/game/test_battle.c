/* test_battle.c — the fight on a fake clock: every code of the skill-use
 * gate, a hit landing with its event, the kill event with every contributor
 * and its share, the contributor cap, a player's death and its respawn
 * delay, casts with a cast time, scripted spawns and despawns. */
#include "battle_fixture.h"

static cw_use_result use(fx *f, cw_entity *e, int64_t target, const char *skill, cw_skill_use *u)
{
    return cw_battle_use_skill(f->b, e, target, skill, f->now, u);
}

static void test_gate_codes(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    cw_monster *rat = fx_monster(f, "rat"), *toad = fx_monster(f, "toad");
    cw_monster *newt = fx_monster(f, "newt"), *wolf = fx_monster(f, "wolf");
    assert_non_null(rat);
    cw_skill_use u;
    /* not joined */
    cw_entity_init in = {
        .kind = CW_ENT_PLAYER, .ref = 2, .name = "Q", .zone = "field", .x = 100, .y = 100};
    cw_entity *q;
    assert_int_equal(cw_world_add(f->w, &in, f->now, &q), 0);
    assert_int_equal(use(f, q, rat->entity, "strike", &u), CW_USE_NOT_IN_WORLD);
    assert_string_equal(u.code, "not_in_world");
    assert_int_equal(use(f, NULL, rat->entity, "strike", &u), CW_USE_NOT_IN_WORLD);
    /* the skill, the target */
    assert_int_equal(use(f, p, rat->entity, "nope", &u), CW_USE_UNKNOWN_SKILL);
    assert_string_equal(u.code, "unknown_skill");
    assert_int_equal(use(f, p, 987654, "strike", &u), CW_USE_BAD_TARGET);
    assert_string_equal(u.code, "bad_target");
    assert_int_equal(use(f, p, q->id, "strike", &u), CW_USE_BAD_TARGET); /* no PvP */
    assert_int_equal(use(f, p, wolf->entity, "strike", &u), CW_USE_OUT_OF_RANGE);
    assert_string_equal(u.code, "out_of_range");
    assert_int_equal(use(f, p, toad->entity, "firebolt", &u), CW_USE_NO_LINE_OF_SIGHT);
    assert_string_equal(u.code, "no_line_of_sight");
    assert_int_equal(use(f, p, newt->entity, "firebolt", &u), CW_USE_SAFE_AREA);
    assert_string_equal(u.code, "safe_area");
    assert_int_equal(use(f, p, rat->entity, "meteor", &u), CW_USE_NO_RESOURCE);
    assert_string_equal(u.code, "no_resource");
    assert_int_equal(f->hits, 0); /* nothing went off so far, nothing was spent */
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.mp == v.mp_max && v.mp_max == 50);
    /* a monster in another zone */
    int64_t cave_rat = 0;
    assert_int_equal(cw_battle_spawn(f->b, "rat", 0, 100, 100, f->now, NULL, &cave_rat, NULL), 0);
    assert_string_equal(cw_world_zones(f->w)->v[0].id, "cave");
    assert_int_equal(use(f, p, cave_rat, "strike", &u), CW_USE_BAD_TARGET);
    /* success: the hit lands now, its event before the return */
    int64_t bear = 0;
    assert_int_equal(cw_battle_spawn(f->b, "bear", 1, 100, 110, f->now, NULL, &bear, NULL), 0);
    assert_int_equal(use(f, p, bear, "firebolt", &u), CW_USE_OK);
    assert_null(u.code);
    assert_string_equal(u.skill->id, "firebolt");
    assert_true(u.cast_time == 0);
    assert_int_equal(f->hits, 1);
    assert_int_equal(f->hit_from, p->id);
    assert_int_equal(f->hit_to, bear);
    assert_string_equal(f->hit_skill, "firebolt");
    assert_true(f->hit_hp < 5000);
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.mp == 40); /* cost spent */
    /* cooldown, with the seconds left */
    f->now += 1 * SEC;
    assert_int_equal(use(f, p, bear, "firebolt", &u), CW_USE_COOLDOWN);
    assert_string_equal(u.code, "cooldown");
    assert_true(fabs(u.seconds - 2.0) < 1e-6);
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.mp == 40); /* a refusal costs nothing */
    /* busy: a cast with a cast time in progress */
    assert_int_equal(use(f, p, rat->entity, "bolt", &u), CW_USE_OK);
    assert_true(u.cast_time == 0.3);
    assert_int_equal(f->hits, 1);
    assert_int_equal(use(f, p, rat->entity, "strike", &u), CW_USE_BUSY);
    assert_string_equal(u.code, "busy");
    /* the dead: the caster, then the target */
    cw_battle_combatant(f->b, p)->dead = 1;
    assert_int_equal(use(f, p, rat->entity, "strike", &u), CW_USE_DEAD);
    assert_string_equal(u.code, "dead");
    cw_battle_combatant(f->b, p)->dead = 0;
    cw_battle_combatant(f->b, p)->casting = 0;
    rat->cb.dead = 1;
    assert_int_equal(use(f, p, rat->entity, "strike", &u), CW_USE_TARGET_DEAD);
    assert_string_equal(u.code, "dead");
    fx_free(f);
}

static void test_cast_lands_later_and_moving_cancels(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    cw_monster *rat = fx_monster(f, "rat");
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, p, rat->entity, "bolt", f->now, &u), CW_USE_OK);
    fx_tick(f, 200 * MS);
    assert_int_equal(f->hits, 0);
    fx_tick(f, 100 * MS);
    assert_int_equal(f->hits, 1);
    assert_string_equal(f->hit_skill, "bolt");
    assert_int_equal(cw_battle_use_skill(f->b, p, rat->entity, "bolt", f->now, &u), CW_USE_OK);
    assert_int_equal(cw_world_relocate(f->w, p, 99, 100), 0);
    fx_tick(f, 50 * MS);
    assert_int_equal(f->fails, 1);
    assert_string_equal(f->fail_skill, "bolt");
    assert_string_equal(f->fail_reason, "moved");
    fx_tick(f, 500 * MS);
    assert_int_equal(f->hits, 1);
    fx_free(f);
}

/* Strikes m with p until it dies or the skill is cooling down; 1 when it died. */
static int strike(fx *f, cw_entity *p, cw_monster *m)
{
    cw_skill_use u;
    int64_t id = m->entity;
    cw_use_result r = cw_battle_use_skill(f->b, p, id, "strike", f->now, &u);
    assert_true(r == CW_USE_OK || r == CW_USE_COOLDOWN || r == CW_USE_TARGET_DEAD);
    return r == CW_USE_TARGET_DEAD || (r == CW_USE_OK && f->hit_killed);
}

static void test_kill_event_with_contributors_and_shares(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *a = fx_player(f, 101, "human", "field", 100, 100);
    cw_entity *b = fx_player(f, 202, "human", "field", 104, 100);
    cw_monster *rat = fx_monster(f, "rat");
    int64_t rat_e = rat->entity;
    int dead = 0;
    for (int round = 0; round < 20 && !dead; round++) {
        dead = strike(f, a, rat);
        if (!dead) dead = strike(f, b, rat);
        f->now += 1100 * MS;
    }
    assert_true(dead);
    assert_int_equal(f->kills, 1);
    /* hit, death, kill: in that order, once */
    assert_non_null(strstr(f->order, "hdk"));
    assert_int_equal(f->death_victim, rat_e);
    const cw_kill *k = &f->kill;
    assert_int_equal(k->victim, rat_e);
    assert_string_equal(f->kill_template, "rat");
    assert_string_equal(f->kill_zone, "field");
    assert_true(k->x == 102 && k->y == 100);
    assert_int_equal(k->killer, f->death_by);
    assert_true(k->killer == a->id || k->killer == b->id);
    assert_int_equal(k->killer_char, k->killer == a->id ? 101 : 202);
    assert_int_equal(k->nshares, 2);
    assert_int_equal(k->shares[0].char_id, 101); /* in the order they first hit */
    assert_int_equal(k->shares[1].char_id, 202);
    /* every hp it had, no more (the killing blow's overkill is not counted) */
    assert_true(fabs(k->total - 60) < 1e-9);
    assert_true(fabs(k->shares[0].damage + k->shares[1].damage - 60) < 1e-9);
    for (int i = 0; i < 2; i++) {
        assert_true(k->shares[i].damage > 0);
        assert_true(fabs(k->shares[i].share - k->shares[i].damage / 60) < 1e-12);
    }
    assert_true(fabs(k->shares[0].share + k->shares[1].share - 1) < 1e-12);
    /* the corpse takes no more hits; then a new rat comes back as a new entity */
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, a, rat_e, "strike", f->now, &u), CW_USE_TARGET_DEAD);
    for (int i = 0; i < 30; i++)
        fx_tick(f, 100 * MS);
    assert_int_equal(f->respawns, 1);
    assert_true(f->respawned != rat_e);
    assert_int_equal(rat->entity, f->respawned);
    assert_int_equal(rat->nkillers, 0);
    fx_free(f);
}

static void test_contributors_beyond_the_cap_are_not_recorded(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_monster *rat = fx_monster(f, "rat");
    /* a tough rat: nobody kills it in one round */
    cw_buff_stats tough = {0};
    cw_stat_list_add(&tough.flat, "hp_max", 100000);
    assert_int_equal(cw_battle_buff_add(f->b, rat->entity, "tough", &tough, 0, f->now, NULL), 0);
    rat->cb.pools.pool[cw_battle_content(f->b)->hp].current = 100000;
    cw_skill_use u;
    for (int i = 0; i <= CW_MONSTER_MAX_KILLERS; i++) {
        cw_entity *p = fx_player(f, 1000 + i, "human", "field", 101, 99 + 0.1 * i);
        assert_int_equal(cw_battle_use_skill(f->b, p, rat->entity, "strike", f->now, &u),
                         CW_USE_OK);
    }
    assert_int_equal(CW_MONSTER_MAX_KILLERS, 16);
    assert_int_equal(rat->nkillers, CW_MONSTER_MAX_KILLERS);
    for (int i = 0; i < rat->nkillers; i++) {
        assert_int_equal(rat->killers[i], 1000 + i);
        assert_true(rat->dealt[i] > 0);
    }
    fx_free(f);
}

/* cw_battle_watch_dead keeps a flag equal to the player's state through death
 * and respawn (the move path reads it instead of the combatant); after a stop
 * the flag is never written again. */
static void test_watched_dead_flag(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_battle_set_player_respawn_s(f->b, 1);
    int64_t bear_e = 0;
    assert_int_equal(cw_battle_spawn(f->b, "bear", 1, 300, 300, f->now, NULL, &bear_e, NULL), 0);
    cw_entity *p = fx_player(f, 7, "weak", "field", 302, 300);
    uint8_t flag = 7, other = 9;
    cw_battle_watch_dead(f->b, p, &flag);
    assert_int_equal(flag, 0); /* set at once */
    for (int i = 0; i < 5 && !f->player_deaths; i++)
        fx_tick(f, 50 * MS);
    assert_int_equal(f->player_deaths, 1);
    assert_int_equal(flag, 1);
    assert_true(cw_battle_is_dead(f->b, p));
    /* a new watch starts from the state now */
    cw_battle_watch_dead(f->b, p, &other);
    assert_int_equal(other, 1);
    uint64_t died = f->now;
    fx_tick(f, died + 1 * SEC - f->now);
    assert_int_equal(f->respawns, 1);
    assert_false(cw_battle_is_dead(f->b, p));
    assert_int_equal(other, 0); /* revived */
    assert_int_equal(flag, 1);  /* no longer watched: untouched */
    /* stopped: the next death is not written */
    cw_battle_watch_dead(f->b, p, NULL);
    other = 5;
    assert_int_equal(cw_world_relocate(f->w, p, 302, 300), 0); /* back beside the bear */
    for (int i = 0; i < 400 && f->player_deaths < 2; i++)
        fx_tick(f, 50 * MS);
    assert_int_equal(f->player_deaths, 2);
    assert_int_equal(other, 5);
    /* non-players and NULL are ignored */
    cw_battle_watch_dead(f->b, NULL, &flag);
    cw_battle_watch_dead(f->b, cw_world_get(f->w, bear_e), &flag);
    assert_int_equal(flag, 1);
    fx_free(f);
}

static void test_player_death_and_respawn_delay(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_battle_set_player_respawn_s(f->b, 5);
    int64_t bear_e = 0;
    assert_int_equal(cw_battle_spawn(f->b, "bear", 1, 300, 300, f->now, NULL, &bear_e, NULL), 0);
    cw_entity *p = fx_player(f, 7, "weak", "field", 302, 300);
    for (int i = 0; i < 5 && !f->player_deaths; i++)
        fx_tick(f, 50 * MS);
    assert_int_equal(f->player_deaths, 1);
    assert_int_equal(f->death_victim, p->id);
    assert_int_equal(f->death_by, bear_e);
    assert_non_null(strstr(f->order, "hdp"));
    assert_true(cw_battle_is_dead(f->b, p));
    uint64_t died = f->now;
    cw_skill_use u;
    assert_int_equal(cw_battle_use_skill(f->b, p, bear_e, "strike", f->now, &u), CW_USE_DEAD);
    /* still dead just before the delay; back at the zone's spawn with full hp at it */
    while (f->now + 100 * MS < died + 5 * SEC)
        fx_tick(f, 100 * MS);
    assert_int_equal(f->respawns, 0);
    assert_true(cw_battle_is_dead(f->b, p));
    fx_tick(f, died + 5 * SEC - f->now);
    assert_int_equal(f->respawns, 1);
    assert_int_equal(f->respawned, p->id);
    assert_false(cw_battle_is_dead(f->b, p));
    cw_vitals v;
    assert_int_equal(cw_battle_vitals(f->b, p->id, &v), 0);
    assert_true(v.hp == 10 && v.hp_max == 10);
    assert_true(p->x == 100 && p->y == 100);
    fx_free(f);
}

static void test_spawn_and_despawn(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    int enters = f->enters, n = cw_monsters_count(cw_battle_monsters(f->b));
    int64_t id = 0;
    cw_error err = {0};
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 510, 500, f->now, NULL, &id, &err), 0);
    assert_true(id > 0);
    assert_int_equal(f->enters, enters + 1); /* the player saw it */
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n + 1);
    cw_entity *e = cw_world_get(f->w, id);
    assert_non_null(e);
    assert_int_equal(e->kind, CW_ENT_MONSTER);
    /* bad requests */
    assert_int_equal(cw_battle_spawn(f->b, "dragon", 1, 510, 500, f->now, NULL, &id, &err),
                     CW_ENOTFOUND);
    assert_int_equal(cw_battle_spawn(f->b, "rat", 9, 510, 500, f->now, NULL, &id, &err), CW_EINVAL);
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 111, 100, f->now, NULL, &id, &err),
                     CW_EINVAL); /* inside the wall */
    assert_int_equal(cw_battle_despawn(f->b, p->id), CW_ENOTFOUND);
    assert_int_equal(cw_battle_despawn(f->b, 987654), CW_ENOTFOUND);
    /* despawn: observers get leave, the monster is gone */
    id = e->id;
    int leaves = f->leaves;
    assert_int_equal(cw_battle_despawn(f->b, id), 0);
    assert_int_equal(f->leaves, leaves + 1);
    assert_null(cw_world_get(f->w, id));
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n);
    assert_int_equal(cw_battle_despawn(f->b, id), CW_ENOTFOUND);
    fx_free(f);
}

/* A scripted monster without respawn is gone after its corpse; with it, it comes back. */
static void test_scripted_spawn_respawns_only_when_asked(void **st)
{
    (void)st;
    fx *f = fx_new();
    cw_entity *p = fx_player(f, 1, "human", "field", 500, 500);
    int n = cw_monsters_count(cw_battle_monsters(f->b));
    int64_t once = 0, again = 0;
    cw_spawn_opts back = {.respawn = 1};
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 502, 500, f->now, NULL, &once, NULL), 0);
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 498, 500, f->now, &back, &again, NULL), 0);
    int killed = 0;
    for (int i = 0; i < 40 && killed < 2; i++) {
        killed = 0;
        for (int k = 0; k < 2; k++) {
            int64_t id = k ? again : once;
            cw_monster *m = cw_monsters_of(cw_battle_monsters(f->b), id);
            cw_skill_use u;
            if (!m || m->cb.dead) {
                killed++;
                continue;
            }
            cw_battle_use_skill(f->b, p, id, "strike", f->now, &u);
        }
        f->now += 1100 * MS;
    }
    assert_int_equal(f->kills, 2);
    for (int i = 0; i < 40; i++)
        fx_tick(f, 100 * MS);
    assert_int_equal(cw_monsters_count(cw_battle_monsters(f->b)), n + 1);
    assert_int_equal(f->respawns, 1);
    assert_null(cw_world_get(f->w, once));
    assert_null(cw_world_get(f->w, again));
    cw_entity *e = cw_world_get(f->w, f->respawned);
    assert_non_null(e);
    assert_true(e->x == 498 && e->y == 500);
    fx_free(f);
}

/* A calm monster (aggro 0) never attacks; provoked, it fights the player it was turned on. */
static void test_provoke_turns_a_calm_monster(void **st)
{
    (void)st;
    fx *f = fx_new();
    int64_t rat = 0, far = 0;
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 300, 300, f->now, NULL, &rat, NULL), 0);
    /* zone index 1 is "field" (zones sort by id) */
    cw_entity *p = fx_player(f, 7, "weak", "field", 301, 300);
    cw_entity *q = fx_player(f, 8, "weak", "cave", 301, 300);
    cw_entity *r = fx_player(f, 9, "weak", "field", 340, 300); /* beyond the rat's leash (30) */
    for (int i = 0; i < 40; i++)
        fx_tick(f, 50 * MS);
    assert_int_equal(f->hits, 0);
    /* refusals */
    assert_int_equal(cw_battle_provoke(f->b, p->id, q->id), CW_ENOTFOUND); /* not a monster */
    assert_int_equal(cw_battle_provoke(f->b, 987654, p->id), CW_ENOTFOUND);
    assert_int_equal(cw_battle_provoke(f->b, rat, q->id), CW_EINVAL); /* another zone */
    assert_int_equal(cw_battle_provoke(f->b, rat, r->id), CW_EINVAL); /* too far from home */
    assert_int_equal(cw_battle_provoke(f->b, rat, 987654), CW_EINVAL);
    for (int i = 0; i < 20; i++)
        fx_tick(f, 50 * MS);
    assert_int_equal(f->hits, 0);
    /* provoked: it bites p until p dies */
    assert_int_equal(cw_battle_provoke(f->b, rat, p->id), 0);
    for (int i = 0; i < 400 && !f->player_deaths; i++)
        fx_tick(f, 50 * MS);
    assert_true(f->hits > 0);
    assert_int_equal(f->hit_from, rat);
    assert_int_equal(f->player_deaths, 1);
    assert_int_equal(f->death_victim, p->id);
    assert_true(cw_battle_is_dead(f->b, p));
    assert_false(cw_battle_is_dead(f->b, r));
    /* a dead monster cannot be provoked */
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 320, 300, f->now, NULL, &far, NULL), 0);
    cw_monster *m = cw_monsters_of(cw_battle_monsters(f->b), far);
    assert_non_null(m);
    cw_monsters_killed(cw_battle_monsters(f->b), m, f->now);
    assert_int_equal(cw_battle_provoke(f->b, far, r->id), CW_ESTATE);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_codes),
        cmocka_unit_test(test_cast_lands_later_and_moving_cancels),
        cmocka_unit_test(test_kill_event_with_contributors_and_shares),
        cmocka_unit_test(test_contributors_beyond_the_cap_are_not_recorded),
        cmocka_unit_test(test_player_death_and_respawn_delay),
        cmocka_unit_test(test_watched_dead_flag),
        cmocka_unit_test(test_spawn_and_despawn),
        cmocka_unit_test(test_scripted_spawn_respawns_only_when_asked),
        cmocka_unit_test(test_provoke_turns_a_calm_monster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
