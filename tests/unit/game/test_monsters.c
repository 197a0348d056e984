/* test_monsters.c — the monster state machine on a fake clock: aggro only
 * within the radius (and never into a safe area), chase at move_speed,
 * attacks on cooldown when in range, leash back home with full hp, corpse
 * time and respawn timing. */
#include "core/game/monsters.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull
#define MS (SEC / 1000)

typedef struct fx {
    cw_world *w;
    cw_stats_registry *reg;
    cw_combat_content c;
    cw_monsters *ms;
    cw_skill_def bite;
    int attacks, moves, enters, leaves;
    uint64_t last_attack;
} fx;

static void on_enter(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)s;
    (void)to;
    ((fx *)ud)->enters += n;
}
static void on_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)s;
    (void)to;
    ((fx *)ud)->leaves += n;
}
static void on_move(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)to;
    if (s->kind == CW_ENT_MONSTER) ((fx *)ud)->moves += n;
}

static int on_attack(void *ud, cw_monster *m, cw_entity *self, cw_entity *t, uint64_t now)
{
    (void)m;
    fx *f = ud;
    assert_true(hypot(t->x - self->x, t->y - self->y) <= f->bite.range);
    f->attacks++;
    f->last_attack = now;
    return 0;
}

static fx *setup_fx(void)
{
    fx *f = calloc(1, sizeof *f);
    cw_world_hooks h = {f, on_enter, on_leave, on_move, NULL, NULL, NULL};
    f->w = cw_world_new(&h);
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    cw_zone *z = &zs.v[0];
    snprintf(z->id, sizeof z->id, "field");
    z->width = z->height = 1000;
    z->view = 50;
    z->spawn_x = z->spawn_y = 100;
    z->nsafe = 1;
    z->safe = calloc(1, sizeof(cw_rect));
    z->safe[0] = (cw_rect){505, 505, 10, 10};
    assert_int_equal(cw_zoneset_check(&zs, NULL), 0);
    assert_int_equal(cw_world_set_zones(f->w, &zs, NULL), 0);
    assert_int_equal(cw_stats_registry_new(NULL, &f->reg, NULL), 0);
    cw_combat_content_demo(&f->c);
    snprintf(f->bite.id, sizeof f->bite.id, "bite");
    f->bite.num = 1;
    f->bite.range = 2;
    f->bite.cooldown = 1;
    cw_monster_hooks mh = {f, on_attack, NULL};
    f->ms = cw_monsters_new(f->w, f->reg, &f->c, &mh);
    return f;
}

static void teardown_fx(fx *f)
{
    cw_monsters_free(f->ms, 0);
    cw_world_free(f->w);
    cw_stats_registry_free(f->reg);
    free(f);
}

static cw_monster *wolf(fx *f, uint64_t now)
{
    cw_monster_def d = {0};
    snprintf(d.id, sizeof d.id, "wolf");
    snprintf(d.name, sizeof d.name, "Wolf");
    cw_stat_list_add(&d.stats, "hp_max", 80);
    cw_stat_list_add(&d.stats, "move_speed", 10);
    d.skill = &f->bite;
    d.respawn_s = 5;
    d.aggro = 10;
    d.leash = 40;
    assert_int_equal(cw_monsters_add(f->ms, &d, 0, 500, 500, now, NULL), 0);
    cw_monster *m = cw_monsters_at(f->ms, 0);
    assert_non_null(m);
    assert_true(m->def.move_speed == 10); /* from the stats */
    return m;
}

static cw_entity *player(fx *f, double x, double y)
{
    cw_entity_init in = {
        .kind = CW_ENT_PLAYER, .ref = 7, .name = "P", .zone = "field", .x = x, .y = y, .speed = 10};
    cw_entity *e;
    assert_int_equal(cw_world_add(f->w, &in, 0, &e), 0);
    assert_int_equal(cw_world_show(f->w, e), 0);
    return e;
}

static cw_entity *ment(fx *f, cw_monster *m)
{
    return cw_world_get(f->w, m->entity);
}

static void test_aggro_only_within_radius(void **st)
{
    (void)st;
    fx *f = setup_fx();
    cw_monster *m = wolf(f, 0);
    cw_entity *p = player(f, 515, 500); /* 15 away: in view, outside aggro 10 */
    assert_int_equal(f->enters, 1);     /* the player saw the wolf */
    uint64_t t = 0;
    for (int i = 0; i < 20; i++)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_IDLE);
    assert_int_equal(f->moves, 0);
    assert_true(ment(f, m)->x == 500 && ment(f, m)->y == 500);
    /* Just inside the radius: aggro. */
    cw_world_relocate(f->w, p, 509.9, 500);
    cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_CHASE);
    assert_int_equal(m->target, p->id);
    teardown_fx(f);
}

static void test_safe_area_is_never_aggroed(void **st)
{
    (void)st;
    fx *f = setup_fx();
    cw_monster *m = wolf(f, 0);
    cw_entity *p = player(f, 506, 506); /* 8.5 away, inside the safe rect */
    uint64_t t = 0;
    for (int i = 0; i < 10; i++)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_IDLE);
    cw_world_relocate(f->w, p, 506, 500); /* out of it: aggro */
    cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_CHASE);
    cw_world_relocate(f->w, p, 507, 507); /* back in: the wolf gives up */
    cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_RETURN);
    teardown_fx(f);
}

static void test_chase_at_speed_and_attack_on_cooldown(void **st)
{
    (void)st;
    fx *f = setup_fx();
    cw_monster *m = wolf(f, 0);
    player(f, 509, 500);
    uint64_t t = 0;
    cw_monsters_tick(f->ms, t += 100 * MS); /* aggro; first step 1 unit (10/s × 0.1 s) */
    assert_int_equal(m->state, CW_MON_CHASE);
    assert_true(fabs(ment(f, m)->x - 501) < 1e-9);
    assert_true(f->moves >= 1);
    for (int i = 0; i < 7; i++)
        cw_monsters_tick(f->ms, t += 100 * MS);
    /* 1 unit per tick; at 507 the player (509) is within range 2: it bites instead. */
    assert_true(fabs(ment(f, m)->x - 507) < 1e-9);
    assert_int_equal(f->attacks, 1);
    /* Bite every second, not more. */
    for (int i = 0; i < 25; i++)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(f->attacks, 3);
    teardown_fx(f);
}

static void test_leash_resets_to_full_hp_and_walks_home(void **st)
{
    (void)st;
    fx *f = setup_fx();
    cw_monster *m = wolf(f, 0);
    cw_entity *p = player(f, 509, 500);
    uint64_t t = 0;
    for (int i = 0; i < 10; i++)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_CHASE);
    m->cb.pools.pool[f->c.hp].current = 10;
    /* The player runs: the wolf follows until it is 40 from home. */
    cw_world_relocate(f->w, p, 600, 500);
    int steps = 0;
    while (m->state == CW_MON_CHASE && steps++ < 100)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_RETURN);
    assert_true(cw_combatant_hp(&m->cb, &f->c) == 80);
    assert_true(ment(f, m)->x <= 541);
    while (m->state == CW_MON_RETURN && steps++ < 200)
        cw_monsters_tick(f->ms, t += 100 * MS);
    assert_int_equal(m->state, CW_MON_IDLE);
    assert_true(ment(f, m)->x == 500 && ment(f, m)->y == 500);
    teardown_fx(f);
}

static void test_corpse_then_respawn_on_time(void **st)
{
    (void)st;
    fx *f = setup_fx();
    cw_monster *m = wolf(f, 0);
    player(f, 520, 480); /* in view, out of aggro */
    int64_t first = m->entity;
    uint64_t died = 10 * SEC;
    m->cb.pools.pool[f->c.hp].current = 0;
    cw_monsters_killed(f->ms, m, died);
    assert_int_equal(m->state, CW_MON_DEAD);
    assert_ptr_equal(cw_monsters_of(f->ms, first), m);
    int leaves = f->leaves;
    cw_monsters_tick(f->ms, died + 1900 * MS);
    assert_non_null(cw_world_get(f->w, first)); /* still a corpse */
    cw_monsters_tick(f->ms, died + 2000 * MS);
    assert_null(cw_world_get(f->w, first));
    assert_int_equal(f->leaves, leaves + 1);
    int enters = f->enters;
    cw_monsters_tick(f->ms, died + 4900 * MS);
    assert_int_equal(m->entity, 0);
    cw_monsters_tick(f->ms, died + 5000 * MS);
    assert_true(m->entity > first);
    assert_int_equal(f->enters, enters + 1);
    assert_int_equal(m->state, CW_MON_IDLE);
    assert_true(cw_combatant_hp(&m->cb, &f->c) == 80 && !m->cb.dead);
    assert_true(ment(f, m)->x == 500 && ment(f, m)->y == 500);
    teardown_fx(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggro_only_within_radius),
        cmocka_unit_test(test_safe_area_is_never_aggroed),
        cmocka_unit_test(test_chase_at_speed_and_attack_on_cooldown),
        cmocka_unit_test(test_leash_resets_to_full_hp_and_walks_home),
        cmocka_unit_test(test_corpse_then_respawn_on_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
