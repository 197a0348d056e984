/* battle_fixture.h — a world with two zones, content as JSON and a battle
 * recording every event: shared by the test_battle*.c files (not a test). */
#ifndef TEST_BATTLE_FIXTURE_H
#define TEST_BATTLE_FIXTURE_H

#include "core/game/battle.h"

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

#define SKILLS                                                                                     \
    "{\"strike\":{\"base_min\":8,\"base_max\":12,\"scaling\":1,\"range\":3,\"cooldown\":1},"       \
    "\"firebolt\":{\"base_min\":20,\"base_max\":30,\"scaling\":1.2,\"element\":\"fire\","          \
    "\"damage_type\":\"magical\",\"range\":20,\"cooldown\":3,\"cost\":{\"mp\":10}},"               \
    "\"meteor\":{\"base_min\":1,\"base_max\":1,\"range\":20,\"cooldown\":1,\"cost\":{\"mp\":999}}" \
    ","                                                                                            \
    "\"bolt\":{\"base_min\":1,\"base_max\":2,\"scaling\":0,\"range\":20,\"cast_time\":0.3},"       \
    "\"bite\":{\"base_min\":3,\"base_max\":6,\"scaling\":0.5,\"range\":2.5,\"cooldown\":0.5},"     \
    "\"maul\":{\"base_min\":1000,\"base_max\":1000,\"scaling\":0,\"range\":3,\"cooldown\":1}}"

#define MONSTERS                                                                                   \
    "{\"rat\":{\"name\":\"Rat\",\"stats\":{\"hp_max\":60,\"evasion\":-1000},\"skills\":[\"bite\"]" \
    ","                                                                                            \
    "\"respawn\":2.5,\"aggro\":0,\"leash\":30,\"exp\":150},"                                       \
    "\"toad\":{\"name\":\"Toad\",\"skills\":[\"bite\"],\"respawn\":30,\"leash\":10},"              \
    "\"newt\":{\"name\":\"Newt\",\"skills\":[\"bite\"],\"respawn\":30,\"leash\":10},"              \
    "\"wolf\":{\"name\":\"Wolf\",\"stats\":{\"hp_max\":80},\"skills\":[\"bite\"],\"respawn\":30,"  \
    "\"leash\":60,\"exp\":10},"                                                                    \
    "\"bear\":{\"name\":\"Bear\",\"stats\":{\"hp_max\":5000,\"accuracy\":1000,\"evasion\":-1000}," \
    "\"skills\":[\"maul\"],\"respawn\":30,\"aggro\":5,\"leash\":50}}"

#define RACES                                                                                      \
    "{\"human\":{\"stats\":{\"hp_max\":500,\"power\":10,\"accuracy\":1000}},"                      \
    "\"weak\":{\"stats\":{\"hp_max\":10,\"evasion\":-1000}}}"

/* field: the wall at x 110..112 hides the toad; the newt sits in the safe area. */
#define ZONES                                                                                      \
    "{\"field\":{\"spawns\":[{\"monster\":\"rat\",\"x\":102,\"y\":100},"                           \
    "{\"monster\":\"toad\",\"x\":118,\"y\":100},{\"monster\":\"newt\",\"x\":100,\"y\":85},"        \
    "{\"monster\":\"wolf\",\"x\":100,\"y\":121}]},\"cave\":{}}"

typedef struct fx {
    cw_world *w;
    cw_battle *b;
    uint64_t now;
    int enters, leaves;
    int hits, deaths, kills, player_deaths, respawns, fails, stats_notices;
    int64_t stats_last;
    int64_t hit_from, hit_to, death_victim, death_by, respawned;
    int hit_killed;
    double hit_hp;
    char hit_skill[64], fail_skill[64], fail_reason[32];
    cw_kill kill;
    cw_kill_share shares[CW_MONSTER_MAX_KILLERS];
    char kill_template[64], kill_zone[64];
    char order[256]; /* event initials in order: h(it) d(eath) k(ill) p(layer died) r(espawn) */
} fx;

static void fx_order(fx *f, char c)
{
    size_t n = strlen(f->order);
    if (n + 1 < sizeof f->order) f->order[n] = c;
}

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

static void ev_hit(void *ud, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                   const cw_combat_hit_record *rec, double hp, int killed)
{
    fx *f = ud;
    (void)rec;
    f->hits++;
    f->hit_from = from->id;
    f->hit_to = to->id;
    f->hit_hp = hp;
    f->hit_killed = killed;
    snprintf(f->hit_skill, sizeof f->hit_skill, "%s", sk->id);
    fx_order(f, 'h');
}
static void ev_death(void *ud, cw_entity *victim, cw_entity *killer)
{
    fx *f = ud;
    f->deaths++;
    f->death_victim = victim->id;
    f->death_by = killer ? killer->id : 0;
    fx_order(f, 'd');
}
static void ev_kill(void *ud, const cw_kill *k)
{
    fx *f = ud;
    f->kills++;
    f->kill = *k;
    memcpy(f->shares, k->shares, sizeof *k->shares * (size_t)k->nshares);
    f->kill.shares = f->shares;
    snprintf(f->kill_template, sizeof f->kill_template, "%s", k->template_id);
    snprintf(f->kill_zone, sizeof f->kill_zone, "%s", k->zone_id);
    fx_order(f, 'k');
}
static void ev_player_died(void *ud, cw_entity *victim, cw_entity *killer)
{
    fx *f = ud;
    (void)victim;
    (void)killer;
    f->player_deaths++;
    fx_order(f, 'p');
}
static void ev_respawn(void *ud, cw_entity *e)
{
    fx *f = ud;
    f->respawns++;
    f->respawned = e->id;
    fx_order(f, 'r');
}
static void ev_stats(void *ud, cw_entity *e)
{
    fx *f = ud;
    f->stats_notices++;
    f->stats_last = e->id;
}

static void ev_cast_failed(void *ud, cw_entity *e, const char *skill, const char *why)
{
    fx *f = ud;
    (void)e;
    f->fails++;
    snprintf(f->fail_skill, sizeof f->fail_skill, "%s", skill);
    snprintf(f->fail_reason, sizeof f->fail_reason, "%s", why);
}

static void add_zone(cw_zone *z, const char *id)
{
    snprintf(z->id, sizeof z->id, "%s", id);
    z->width = z->height = 1000;
    z->view = 50;
    z->spawn_x = z->spawn_y = 100;
}

static void set_zones(fx *f)
{
    cw_zoneset zs = {0};
    zs.n = 2;
    zs.v = calloc(2, sizeof *zs.v);
    add_zone(&zs.v[0], "field");
    add_zone(&zs.v[1], "cave");
    zs.v[0].start = 1;
    zs.v[0].nsafe = 1;
    zs.v[0].safe = calloc(1, sizeof(cw_rect));
    zs.v[0].safe[0] = (cw_rect){90, 80, 20, 8};
    zs.v[0].nblocked = 1;
    zs.v[0].blocked = calloc(1, sizeof(cw_rect));
    zs.v[0].blocked[0] = (cw_rect){110, 90, 2, 20};
    assert_int_equal(cw_zoneset_check(&zs, NULL), 0);
    assert_int_equal(cw_world_set_zones(f->w, &zs, NULL), 0);
}

/* Definitions from JSON texts (NULL: the fixture's). */
typedef struct defs_text {
    const char *skills, *monsters, *races, *zones, *realms;
} defs_text;

static void defs_load(const defs_text *t, cw_battle_defs *d)
{
    d->skills = json_loads(t && t->skills ? t->skills : SKILLS, 0, NULL);
    d->monsters = json_loads(t && t->monsters ? t->monsters : MONSTERS, 0, NULL);
    d->races = json_loads(t && t->races ? t->races : RACES, 0, NULL);
    d->jobs = json_object();
    d->zones = json_loads(t && t->zones ? t->zones : ZONES, 0, NULL);
    d->realms = t && t->realms ? json_loads(t->realms, 0, NULL) : NULL;
    assert_non_null(d->skills);
    assert_non_null(d->monsters);
    assert_non_null(d->races);
    assert_non_null(d->zones);
}

static void defs_drop(cw_battle_defs *d)
{
    json_decref(d->skills);
    json_decref(d->monsters);
    json_decref(d->races);
    json_decref(d->jobs);
    json_decref(d->zones);
    json_decref(d->realms);
}

/* Reloads the battle with t (prepare, then reload: as the app does). */
static void fx_reload(fx *f, const defs_text *t)
{
    cw_battle_defs d;
    defs_load(t, &d);
    cw_battle_reload_prepare(f->b, &d);
    cw_error err = {0};
    assert_int_equal(cw_battle_reload(f->b, &d, f->now, &err), 0);
    defs_drop(&d);
}

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    cw_world_hooks h = {f, on_enter, on_leave, NULL, NULL, NULL, NULL};
    f->w = cw_world_new(&h);
    set_zones(f);
    cw_battle_config cfg = {.seed = 42,
                            .epoch_ns = 0,
                            .ev = {f, ev_hit, ev_death, ev_kill, ev_player_died, ev_respawn,
                                   ev_cast_failed, NULL, ev_stats}};
    cw_error err = {0};
    assert_int_equal(cw_battle_new(f->w, &cfg, &f->b, &err), 0);
    f->now = 10 * SEC;
    fx_reload(f, NULL);
    return f;
}

static void fx_free(fx *f)
{
    cw_battle_free(f->b, 0);
    cw_world_free(f->w);
    free(f);
}

/* A player of race `race` (character id ref) at (x, y) of zone. */
static cw_entity *fx_player(fx *f, int64_t ref, const char *race, const char *zone, double x,
                            double y)
{
    cw_entity_init in = {
        .kind = CW_ENT_PLAYER, .ref = ref, .name = "P", .zone = zone, .x = x, .y = y, .speed = 10};
    cw_entity *e;
    assert_int_equal(cw_world_add(f->w, &in, f->now, &e), 0);
    assert_int_equal(cw_world_show(f->w, e), 0);
    assert_int_equal(cw_battle_join(f->b, e, race, "", NULL), 0);
    return e;
}

/* The live monster of template id (its first), or NULL. */
static cw_monster *fx_monster(fx *f, const char *id)
{
    cw_monsters *ms = cw_battle_monsters(f->b);
    for (int i = 0; i < cw_monsters_count(ms); i++) {
        cw_monster *m = cw_monsters_at(ms, i);
        if (strcmp(m->def.id, id) == 0) return m;
    }
    return NULL;
}

static void fx_tick(fx *f, uint64_t dt)
{
    f->now += dt;
    cw_world_tick(f->w, f->now);
    cw_battle_tick(f->b, f->now);
}

#endif
