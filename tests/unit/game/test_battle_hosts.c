/* test_battle_hosts.c — zones a cluster process does not host (ev.hosts):
 * content spawn groups stay empty there (first load and reloads), scripted
 * spawns are refused with CW_ESTATE, cw_battle_rehost spawns the groups of a
 * zone that becomes hosted and removes every monster (content, scripted,
 * corpse) of a zone that stops being hosted, and nothing respawns there. */
#include "battle_fixture.h"

static int field_hosted; /* the answer for zone "field"; every other zone is hosted */
static int asked;

static int hosts(void *ud, const char *zone)
{
    (void)ud;
    asked++;
    return strcmp(zone, "field") != 0 || field_hosted;
}

static fx *fx_hosts(int hosted)
{
    field_hosted = hosted;
    fx *f = calloc(1, sizeof *f);
    cw_world_hooks h = {f, on_enter, on_leave, NULL, NULL, NULL, NULL};
    f->w = cw_world_new(&h);
    set_zones(f);
    cw_battle_config cfg = {.seed = 42,
                            .ev = {.ud = f,
                                   .hit = ev_hit,
                                   .death = ev_death,
                                   .kill = ev_kill,
                                   .player_died = ev_player_died,
                                   .respawn = ev_respawn,
                                   .cast_failed = ev_cast_failed,
                                   .stats = ev_stats,
                                   .hosts = hosts}};
    assert_int_equal(cw_battle_new(f->w, &cfg, &f->b, NULL), 0);
    f->now = 10 * SEC;
    fx_reload(f, NULL);
    return f;
}

static int in_zone(fx *f, const char *zone)
{
    int n = 0;
    cw_monsters *ms = cw_battle_monsters(f->b);
    for (int i = 0; i < cw_monsters_count(ms); i++)
        if (strcmp(cw_monsters_at(ms, i)->zone_id, zone) == 0) n++;
    return n;
}

static void test_not_hosted_from_the_start(void **st)
{
    (void)st;
    asked = 0;
    fx *f = fx_hosts(0);
    assert_true(asked > 0);
    assert_int_equal(in_zone(f, "field"), 0);
    /* a scripted spawn there is refused; in the cave (hosted) it works */
    int64_t id = 0;
    cw_error err = {0};
    assert_int_equal(cw_battle_spawn(f->b, "rat", 1, 50, 50, f->now, NULL, &id, &err), CW_ESTATE);
    assert_non_null(strstr(err.msg, "field"));
    assert_int_equal(id, 0);
    assert_int_equal(in_zone(f, "field"), 0);
    assert_int_equal(cw_battle_spawn(f->b, "bear", 0, 400, 400, f->now, NULL, &id, NULL), 0);
    assert_int_equal(in_zone(f, "cave"), 1);
    /* a reload spawns nothing there either */
    fx_reload(f, NULL);
    assert_int_equal(in_zone(f, "field"), 0);
    assert_int_equal(in_zone(f, "cave"), 1);
    /* nothing changed: rehost moves nothing */
    int gone = -1, spawned = -1;
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(gone, 0);
    assert_int_equal(spawned, 0);
    fx_free(f);
}

static void test_rehost_moves_monsters(void **st)
{
    (void)st;
    fx *f = fx_hosts(0);
    int64_t bear = 0;
    assert_int_equal(cw_battle_spawn(f->b, "bear", 0, 400, 400, f->now, NULL, &bear, NULL), 0);
    /* the zone comes here: its four groups spawn, the cave's bear stays */
    field_hosted = 1;
    int gone = -1, spawned = -1;
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(gone, 0);
    assert_int_equal(spawned, 4);
    assert_int_equal(in_zone(f, "field"), 4);
    assert_non_null(cw_world_get(f->w, bear));
    /* a second rehost with the same answer spawns no second copy */
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(gone + spawned, 0);
    assert_int_equal(in_zone(f, "field"), 4);

    /* a player watches; a scripted monster joins; the rat dies (a corpse) */
    cw_entity *p = fx_player(f, 1, "human", "field", 100, 100);
    int64_t extra = 0;
    assert_int_equal(cw_battle_spawn(f->b, "newt", 1, 130, 130, f->now, NULL, &extra, NULL), 0);
    int64_t rat = fx_monster(f, "rat")->entity;
    for (int i = 0; i < 20 && !cw_battle_is_dead(f->b, cw_world_get(f->w, rat)); i++) {
        cw_skill_use u;
        cw_battle_use_skill(f->b, p, rat, "strike", f->now, &u);
        fx_tick(f, 1100 * MS);
    }
    assert_true(cw_battle_is_dead(f->b, cw_world_get(f->w, rat)));
    assert_int_equal(in_zone(f, "field"), 5);

    /* the zone goes to another process: everything of it leaves, the player sees it */
    int leaves = f->leaves;
    field_hosted = 0;
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(gone, 5);
    assert_int_equal(spawned, 0);
    assert_int_equal(in_zone(f, "field"), 0);
    assert_true(f->leaves > leaves);
    assert_null(cw_world_get(f->w, extra));
    assert_null(cw_world_get(f->w, rat));
    assert_non_null(cw_world_get(f->w, bear));
    /* long after every respawn time: still nobody there */
    int respawns = f->respawns;
    for (int i = 0; i < 40; i++) {
        fx_tick(f, SEC);
    }
    assert_int_equal(in_zone(f, "field"), 0);
    assert_int_equal(f->respawns, respawns);
    /* and back again: fresh monsters */
    field_hosted = 1;
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(spawned, 4);
    assert_int_equal(in_zone(f, "field"), 4);
    fx_free(f);
}

static void test_no_hook_hosts_everything(void **st)
{
    (void)st;
    fx *f = fx_new(); /* the fixture's battle has no hosts hook */
    assert_int_equal(in_zone(f, "field"), 4);
    int gone = -1, spawned = -1;
    cw_battle_rehost(f->b, f->now, &gone, &spawned);
    assert_int_equal(gone + spawned, 0);
    assert_int_equal(in_zone(f, "field"), 4);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_hosted_from_the_start),
        cmocka_unit_test(test_rehost_moves_monsters),
        cmocka_unit_test(test_no_hook_hosts_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
