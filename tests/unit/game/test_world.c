/* test_world.c — the live world: enter/leave edges exactly once when
 * crossing the view distance, move events only to those in view, portals,
 * blocked areas, removal, and zone reloads. */
#include "core/game/world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

/* Every event as "kind subject>observer" lines. */
typedef struct log_t {
    char buf[8192];
} log_t;

static void put(log_t *l, const char *kind, const cw_entity *s, cw_entity *const *to, int n)
{
    for (int i = 0; i < n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %lld>%lld\n", kind, (long long)s->id, (long long)to[i]->id);
        strncat(l->buf, line, sizeof l->buf - strlen(l->buf) - 1);
    }
}
static void on_enter(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    put(ud, "enter", s, to, n);
}
static void on_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    put(ud, "leave", s, to, n);
}
static void on_move(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    put(ud, "move", s, to, n);
}
static void on_zone(void *ud, const cw_entity *s)
{
    char line[64];
    snprintf(line, sizeof line, "zone %lld\n", (long long)s->id);
    strncat(((log_t *)ud)->buf, line, sizeof((log_t *)ud)->buf - strlen(((log_t *)ud)->buf) - 1);
}

/* The portal hook: holds the mover when g_hold is set, and logs the call. */
static int g_hold;
static int on_portal(void *ud, cw_entity *e, const cw_portal *p)
{
    char line[96];
    snprintf(line, sizeof line, "portal %lld %s\n", (long long)e->id, p->to);
    strncat(((log_t *)ud)->buf, line, sizeof((log_t *)ud)->buf - strlen(((log_t *)ud)->buf) - 1);
    return g_hold;
}

static int count(const log_t *l, const char *line)
{
    int n = 0;
    size_t len = strlen(line);
    for (const char *p = l->buf; (p = strstr(p, line)) != NULL; p += len)
        if (p == l->buf || p[-1] == '\n') n += p[len] == '\n';
    return n;
}

/* Lines of l that start with prefix. */
static int count_kind(const log_t *l, const char *prefix)
{
    int n = 0;
    for (const char *p = l->buf; *p; p = strchr(p, '\n') + 1)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

static void zone(cw_zone *z, const char *id, double view)
{
    memset(z, 0, sizeof *z);
    snprintf(z->id, sizeof z->id, "%s", id);
    snprintf(z->name, sizeof z->name, "%s", id);
    z->width = z->height = 1000;
    z->view = view;
    z->spawn_x = z->spawn_y = 500;
}

/* meadow (start) with a wall and a portal to caves; caves. */
static cw_world *world(log_t *l)
{
    cw_world_hooks h = {l, on_enter, on_leave, on_move, on_zone, NULL, on_portal};
    cw_world *w = cw_world_new(&h);
    cw_zoneset zs = {0};
    zs.n = 2;
    zs.v = calloc(2, sizeof *zs.v);
    zone(&zs.v[0], "meadow", 50);
    zs.v[0].start = 1;
    zs.v[0].nblocked = 1;
    zs.v[0].blocked = calloc(1, sizeof(cw_rect));
    zs.v[0].blocked[0] = (cw_rect){600, 400, 10, 200};
    zs.v[0].nportals = 1;
    zs.v[0].portals = calloc(1, sizeof(cw_portal));
    zs.v[0].portals[0] =
        (cw_portal){.x = 300, .y = 500, .radius = 5, .to = "caves", .to_x = 100, .to_y = 100};
    zone(&zs.v[1], "caves", 30);
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    assert_int_equal(zs.n, 0);
    return w;
}

static cw_entity *player(cw_world *w, int64_t ref, const char *zone, double x, double y)
{
    cw_entity_init in = {CW_ENT_PLAYER, ref, (uint64_t)ref, "p", zone, x, y, 1000};
    cw_entity *e = NULL;
    assert_int_equal(cw_world_add(w, &in, 0, &e), 0);
    assert_int_equal(cw_world_show(w, e), 0);
    return e;
}

static double rnd_in(uint64_t *seed, double lo, double span)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (double)(*seed >> 40) / (double)(1ull << 24) * span;
}

/* A crowd: after random placements and steps, every entity's view is the
 * sorted set of exactly the others within the view distance (the sort and
 * the lookups of the id sets), and cw_entity_sees agrees with it. */
static void test_crowd_views_are_sorted_and_exact(void **state)
{
    (void)state;
    log_t l = {0};
    cw_world *w = world(&l);
    enum { N = 300 };
    cw_entity *e[N];
    uint64_t seed = 0x853C49E6748FEA9Bull;
    double x, y;
    for (int i = 0; i < N; i++) {
        x = rnd_in(&seed, 320, 260);
        y = rnd_in(&seed, 300, 400);
        cw_entity_init in = {CW_ENT_MONSTER, 0, 0, "m", "meadow", x, y, 10};
        assert_int_equal(cw_world_add(w, &in, 0, &e[i]), 0);
        assert_int_equal(cw_world_show(w, e[i]), 0);
    }
    for (int step = 0; step < 3 * N; step++) {
        cw_entity *m = e[step % N];
        x = rnd_in(&seed, 320, 260);
        y = rnd_in(&seed, 300, 400);
        assert_int_equal(cw_world_relocate(w, m, x, y), 0);
    }
    for (int i = 0; i < N; i++) {
        int want = 0;
        for (int k = 1; k < e[i]->nseen; k++)
            assert_true(e[i]->seen[k - 1] < e[i]->seen[k]);
        for (int j = 0; j < N; j++) {
            if (j == i) continue;
            double dx = e[i]->x - e[j]->x, dy = e[i]->y - e[j]->y;
            int in = dx * dx + dy * dy <= 50.0 * 50.0;
            want += in;
            assert_int_equal(cw_entity_sees(w, e[i], e[j]->id), in);
        }
        assert_int_equal(e[i]->nseen, want);
        assert_false(cw_entity_sees(w, e[i], e[i]->id));
    }
    cw_world_free(w);
}

/* The grids hold each entity's pointer: after removals (the world's table
 * fills each hole with its last entity) and re-adds, every event still names
 * the right entities, and each view stays exact. */
static void test_views_after_swap_removals(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    enum { N = 6 };
    cw_entity *e[N];
    for (int i = 0; i < N; i++) /* a row, 20 apart: each sees its neighbours within 50 */
        e[i] = player(w, i + 1, "meadow", 400 + 20.0 * i, 500);
    int64_t gone0 = e[0]->id, gone2 = e[2]->id;
    assert_int_equal(cw_world_remove(w, gone0), 0); /* e[5] moves into slot 0 */
    assert_int_equal(cw_world_remove(w, gone2), 0); /* e[4] moves into slot 2 */
    assert_ptr_equal(cw_world_get(w, e[5]->id), e[5]);
    assert_ptr_equal(cw_world_get(w, e[4]->id), e[4]);
    cw_entity *f = player(w, 10, "meadow", 460, 520); /* near e[1], e[3], e[4] */
    l.buf[0] = '\0';
    assert_int_equal(cw_world_move(w, e[3], 465, 500, 10 * SEC, NULL), 0);
    char line[64];
    int64_t movers_seen[] = {e[1]->id, e[4]->id, e[5]->id, f->id};
    for (size_t i = 0; i < sizeof movers_seen / sizeof *movers_seen; i++) {
        snprintf(line, sizeof line, "move %lld>%lld", (long long)e[3]->id,
                 (long long)movers_seen[i]);
        assert_int_equal(count(&l, line), 1);
    }
    snprintf(line, sizeof line, "move %lld>%lld", (long long)e[3]->id, (long long)gone2);
    assert_int_equal(count(&l, line), 0);
    /* a step away from e[1] (now 85 away): one leave each way */
    l.buf[0] = '\0';
    assert_int_equal(cw_world_move(w, e[3], 505, 500, 20 * SEC, NULL), 0);
    snprintf(line, sizeof line, "leave %lld>%lld", (long long)e[3]->id, (long long)e[1]->id);
    assert_int_equal(count(&l, line), 1);
    snprintf(line, sizeof line, "leave %lld>%lld", (long long)e[1]->id, (long long)e[3]->id);
    assert_int_equal(count(&l, line), 1);
    cw_entity *all[] = {e[1], e[3], e[4], e[5], f};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            if (i == j) continue;
            double dx = all[i]->x - all[j]->x, dy = all[i]->y - all[j]->y;
            assert_int_equal(cw_entity_sees(w, all[i], all[j]->id), dx * dx + dy * dy <= 2500);
        }
    assert_false(cw_entity_sees(w, e[1], gone0) || cw_entity_sees(w, e[1], gone2));
    cw_world_free(w);
}

static void test_enter_both_ways(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 500, 500);
    cw_entity *b = player(w, 2, "meadow", 540, 500); /* within 50 */
    cw_entity *c = player(w, 3, "meadow", 700, 500); /* far */
    assert_int_equal(count(&l, "enter 1>2"), 1);
    assert_int_equal(count(&l, "enter 2>1"), 1);
    assert_int_equal(count(&l, "enter 3>1") + count(&l, "enter 1>3") + count(&l, "enter 3>2"), 0);
    assert_int_equal(a->nseen, 1);
    assert_int_equal(c->nseen, 0);
    assert_ptr_equal(cw_world_find_player(w, 2), b);
    cw_entity_init dup = {CW_ENT_PLAYER, 2, 2, "p", "meadow", 1, 1, 1};
    assert_int_equal(cw_world_add(w, &dup, 0, NULL), CW_EEXIST);
    cw_world_free(w);
}

static void test_crossing_view_edges_once(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 500, 500);
    cw_entity *b = player(w, 2, "meadow", 560, 500); /* 60 away: out of view */
    assert_int_equal(a->nseen, 0);
    l.buf[0] = 0;
    uint64_t t = SEC;
    cw_move_verdict why;
    /* b walks in (50 inclusive), moves within view, walks out, and back */
    assert_int_equal(cw_world_move(w, b, 550, 500, t, &why), 0);
    assert_int_equal(count(&l, "enter 2>1"), 1);
    assert_int_equal(count(&l, "enter 1>2"), 1);
    assert_int_equal(count(&l, "move 2>1"), 0); /* an enter, not a move */
    assert_int_equal(cw_world_move(w, b, 545, 500, t += SEC, &why), 0);
    assert_int_equal(count(&l, "move 2>1"), 1);
    assert_int_equal(count(&l, "enter 2>1"), 1);
    assert_int_equal(cw_world_move(w, b, 550.5, 500, t += SEC, &why), 0);
    assert_int_equal(count(&l, "leave 2>1"), 1);
    assert_int_equal(count(&l, "leave 1>2"), 1);
    assert_int_equal(count(&l, "move 2>1"), 1);
    assert_int_equal(cw_world_move(w, b, 551, 500, t += SEC, &why), 0); /* still out: nothing */
    assert_int_equal(count(&l, "move 2>1") + count(&l, "leave 2>1"), 2);
    /* a (the observer) moving closer also produces the edge, once */
    assert_int_equal(cw_world_move(w, a, 510, 500, t += SEC, &why), 0);
    assert_int_equal(count(&l, "enter 2>1"), 2);
    assert_int_equal(count(&l, "enter 1>2"), 2);
    assert_int_equal(a->nseen, 1);
    assert_int_equal(b->nseen, 1);
    /* removal tells the observer only */
    int64_t aid = a->id;
    assert_int_equal(cw_world_remove(w, aid), 0);
    assert_int_equal(count(&l, "leave 1>2"), 2);
    assert_false(cw_entity_sees(w, b, aid));
    cw_world_compact(w); /* the removed id leaves b's set */
    assert_int_equal(b->nseen, 0);
    assert_int_equal(cw_world_remove(w, aid), CW_ENOTFOUND);
    assert_int_equal(cw_world_count(w), 1);
    cw_world_free(w);
}

static void test_speed_and_blocked(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 590, 500);
    a->speed = 10;
    cw_move_verdict why;
    /* credit starts empty: the first move needs elapsed time */
    assert_int_equal(cw_world_move(w, a, 595, 500, 0, &why), CW_EINVAL);
    assert_int_equal(why, CW_MOVE_TOO_FAST);
    /* a burst is capped at 1 s however long the player waited */
    assert_int_equal(cw_world_move(w, a, 590, 520, 100 * SEC, &why), CW_EINVAL);
    assert_int_equal(why, CW_MOVE_TOO_FAST);
    assert_int_equal(cw_world_move(w, a, 598, 500, 101 * SEC, &why), 0);
    /* the wall at x 600..610 */
    assert_int_equal(cw_world_move(w, a, 605, 500, 110 * SEC, &why), CW_EINVAL);
    assert_int_equal(why, CW_MOVE_BLOCKED);
    assert_true(a->x == 598 && a->y == 500);
    assert_int_equal(cw_world_move(w, a, 598, 1001, 120 * SEC, &why), CW_EINVAL);
    assert_int_equal(why, CW_MOVE_BOUNDS);
    cw_world_free(w);
}

static void test_portal(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 310, 500);
    cw_entity *b = player(w, 2, "meadow", 320, 500);
    cw_entity *c = player(w, 3, "caves", 110, 100);
    cw_entity *d = player(w, 4, "caves", 500, 500);
    l.buf[0] = 0;
    cw_move_verdict why;
    assert_int_equal(cw_world_move(w, a, 302, 500, 10 * SEC, &why), 0);
    assert_string_equal(cw_world_zone_of(w, a)->id, "caves");
    assert_true(a->x == 100 && a->y == 100);
    assert_int_equal(count(&l, "zone 1"), 1);
    assert_int_equal(count(&l, "leave 1>2"), 1);
    assert_int_equal(count(&l, "leave 2>1"), 1);
    assert_int_equal(count(&l, "enter 1>3"), 1);
    assert_int_equal(count(&l, "enter 3>1"), 1);
    assert_int_equal(count(&l, "enter 1>4") + count(&l, "move 1>2"), 0);
    assert_int_equal(b->nseen, 0);
    assert_int_equal(c->nseen, 1);
    assert_int_equal(d->nseen, 0);
    cw_world_free(w);
}

/* The portal hook may hold a mover (a zone another process owns): it stays
 * where it was, nobody hears of anything, and the move answers CW_EBUSY. */
static void test_portal_held(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 310, 500);
    cw_entity *b = player(w, 2, "meadow", 320, 500);
    l.buf[0] = 0;
    g_hold = 1;
    cw_move_verdict why;
    assert_int_equal(cw_world_move(w, a, 302, 500, 10 * SEC, &why), CW_EBUSY);
    g_hold = 0;
    assert_string_equal(cw_world_zone_of(w, a)->id, "meadow");
    assert_true(a->x == 310 && a->y == 500);
    assert_int_equal(count(&l, "portal 1 caves"), 1);
    assert_int_equal(count(&l, "zone 1") + count(&l, "leave 1>2") + count(&l, "move 1>2"), 0);
    assert_int_equal(b->nseen, 1);
    /* let through, the same step goes through the portal */
    l.buf[0] = 0;
    assert_int_equal(cw_world_move(w, a, 302, 500, 11 * SEC, &why), 0);
    assert_int_equal(count(&l, "portal 1 caves"), 1);
    assert_string_equal(cw_world_zone_of(w, a)->id, "caves");
    cw_world_free(w);
}

static void test_reload_zones(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "caves", 100, 100);
    cw_entity *b = player(w, 2, "meadow", 520, 500);
    cw_entity *c = player(w, 3, "meadow", 500, 560);
    l.buf[0] = 0;
    /* the new content drops caves and widens the meadow's view to 100 */
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    zone(&zs.v[0], "meadow", 100);
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    assert_string_equal(cw_world_zone_of(w, a)->id, "meadow");
    assert_true(a->x == 500 && a->y == 500);
    assert_int_equal(count(&l, "zone 1"), 1);
    assert_int_equal(count(&l, "enter 1>2") + count(&l, "enter 2>1"), 2);
    assert_int_equal(count(&l, "enter 3>2") + count(&l, "enter 2>3"),
                     2); /* 72 apart: now in view */
    assert_int_equal(b->nseen, 2);
    assert_int_equal(c->nseen, 2);
    cw_world_free(w);
}

/* A reload that changes only names, safe areas or portals keeps every view as
 * it is: no event, same seen sets. */
static void test_reload_same_layout_touches_nobody(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 500, 500);
    cw_entity *b = player(w, 2, "meadow", 520, 500);
    uint32_t moves = a->moves;
    l.buf[0] = 0;
    cw_zoneset zs = {0};
    zs.n = 2;
    zs.v = calloc(2, sizeof *zs.v);
    zone(&zs.v[0], "meadow", 50);
    snprintf(zs.v[0].name, sizeof zs.v[0].name, "Renamed Meadow");
    zs.v[0].start = 1;
    zs.v[0].nblocked = 1;
    zs.v[0].blocked = calloc(1, sizeof(cw_rect));
    zs.v[0].blocked[0] = (cw_rect){600, 400, 10, 200};
    zone(&zs.v[1], "caves", 30);
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    assert_string_equal(l.buf, "");
    assert_int_equal(a->moves, moves);
    assert_int_equal(a->nseen, 1);
    assert_int_equal(b->nseen, 1);
    assert_string_equal(cw_world_zone_of(w, a)->name, "Renamed Meadow");
    /* The meadow lost its portal: walking onto it no longer leaves the zone. */
    assert_int_equal(cw_world_zone_of(w, a)->nportals, 0);
    /* A changed view distance is a new layout: views are recomputed. */
    zs.n = 2;
    zs.v = calloc(2, sizeof *zs.v);
    zone(&zs.v[0], "meadow", 10);
    zone(&zs.v[1], "caves", 30);
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    assert_int_equal(count(&l, "leave 1>2") + count(&l, "leave 2>1"), 2);
    cw_world_free(w);
}

static void test_zone_checks(void **state)
{
    (void)state;
    cw_error err = {0};
    cw_zoneset zs = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), CW_EINVAL);
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    zone(&zs.v[0], "a", 50);
    zs.v[0].nportals = 1;
    zs.v[0].portals = calloc(1, sizeof(cw_portal));
    zs.v[0].portals[0] = (cw_portal){.x = 1, .y = 1, .radius = 1, .to = "nowhere"};
    assert_int_equal(cw_zoneset_check(&zs, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "unknown zone 'nowhere'"));
    zs.v[0].nportals = 0;
    zs.v[0].nblocked = 1;
    zs.v[0].blocked = calloc(1, sizeof(cw_rect));
    zs.v[0].blocked[0] = (cw_rect){490, 490, 20, 20};
    assert_int_equal(cw_zoneset_check(&zs, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "spawn"));
    zs.v[0].nblocked = 0;
    zs.v[0].view = 0;
    assert_int_equal(cw_zoneset_check(&zs, &err), CW_EINVAL);
    zs.v[0].view = 10;
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    cw_zoneset_free(&zs);
}

/* Instance zones: added at runtime with stable indices, removed with their
 * players sent to the start zone's spawn; holes are reused. */
static void test_add_remove_zone(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    int caves = cw_zoneset_find(cw_world_zones(w), "caves");
    int meadow = cw_zoneset_find(cw_world_zones(w), "meadow");
    cw_error err = {0};
    cw_zone z;
    zone(&z, "dng:den:1", 40);
    z.width = z.height = 200;
    z.spawn_x = z.spawn_y = 20;
    z.nportals = 1;
    z.portals = calloc(1, sizeof(cw_portal));
    z.portals[0] =
        (cw_portal){.x = 10, .y = 10, .radius = 3, .to = "meadow", .to_x = 450, .to_y = 450};
    int zi = -1;
    assert_int_equal(cw_world_add_zone(w, &z, &zi, &err), 0);
    assert_int_equal(zi, 2);
    assert_null(z.portals);                                               /* ownership taken */
    assert_int_equal(cw_zoneset_find(cw_world_zones(w), "caves"), caves); /* nobody moved */
    assert_int_equal(cw_zoneset_find(cw_world_zones(w), "meadow"), meadow);
    assert_int_equal(cw_world_zones(w)->v[zi].portals[0].to_index, meadow);

    /* a duplicate id, a bad spawn, an unknown portal target: refused, z untouched */
    cw_zone dup;
    zone(&dup, "dng:den:1", 40);
    assert_int_equal(cw_world_add_zone(w, &dup, NULL, &err), CW_EEXIST);
    zone(&dup, "dng:den:2", 40);
    dup.spawn_x = 5000;
    assert_int_equal(cw_world_add_zone(w, &dup, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "spawn"));
    zone(&dup, "dng:den:2", 40);
    dup.view = 0;
    assert_int_equal(cw_world_add_zone(w, &dup, NULL, &err), CW_EINVAL);
    zone(&dup, "", 40);
    assert_int_equal(cw_world_add_zone(w, &dup, NULL, &err), CW_EINVAL);
    zone(&dup, "dng:den:2", 40);
    dup.nportals = 1;
    dup.portals = calloc(1, sizeof(cw_portal));
    dup.portals[0] = (cw_portal){.x = 1, .y = 1, .radius = 1, .to = "nowhere"};
    assert_int_equal(cw_world_add_zone(w, &dup, NULL, &err), CW_EINVAL);
    assert_non_null(dup.portals);
    free(dup.portals);

    /* two players in the instance, one in the meadow sees them arrive on removal */
    cw_entity *a = player(w, 1, "dng:den:1", 30, 30);
    cw_entity *b = player(w, 2, "dng:den:1", 35, 30);
    cw_entity *c = player(w, 3, "meadow", 510, 500);
    assert_int_equal(a->zone, zi);
    assert_int_equal(count(&l, "enter 1>2"), 1);
    /* a portal of another zone into the instance */
    cw_zoneset *zs = (cw_zoneset *)cw_world_zones(w);
    zs->v[caves].nportals = 1;
    zs->v[caves].portals = calloc(1, sizeof(cw_portal));
    zs->v[caves].portals[0] = (cw_portal){
        .x = 300, .y = 300, .radius = 5, .to = "dng:den:1", .to_index = zi, .to_x = 50, .to_y = 50};
    l.buf[0] = 0;
    assert_int_equal(cw_world_remove_zone(w, "dng:den:1", &err), 0);
    assert_int_equal(cw_zoneset_find(cw_world_zones(w), "dng:den:1"), -1);
    assert_int_equal(a->zone, meadow);
    assert_int_equal(b->zone, meadow);
    assert_true(a->x == 500 && a->y == 500); /* the start zone's spawn */
    assert_int_equal(count(&l, "zone 1"), 1);
    assert_int_equal(count(&l, "zone 2"), 1);
    assert_int_equal(count(&l, "enter 1>3"), 1);
    assert_int_equal(count(&l, "enter 3>1"), 1);
    assert_int_equal(c->nseen, 2);
    assert_int_equal(cw_world_zones(w)->v[caves].portals[0].to_index, -1);
    assert_int_equal(cw_world_query(w, zi, 30, 30, 100, NULL, 0), 0);
    /* the dead portal leads nowhere: a walk onto it stays in the caves */
    cw_entity *d = player(w, 4, "caves", 290, 300);
    cw_move_verdict why;
    assert_int_equal(cw_world_move(w, d, 299, 300, 10 * SEC, &why), 0);
    assert_int_equal(d->zone, caves);
    /* nobody can be placed in the hole: "" is no zone */
    cw_entity_init in = {CW_ENT_PLAYER, 9, 9, "p", "", 1, 1, 1};
    cw_entity *e = NULL;
    assert_int_equal(cw_world_add(w, &in, 0, &e), 0);
    assert_int_equal(e->zone, cw_world_zones(w)->start);

    assert_int_equal(cw_world_remove_zone(w, "dng:den:1", &err), CW_ENOTFOUND);
    assert_int_equal(cw_world_remove_zone(w, "meadow", &err), CW_EINVAL); /* the start zone */
    /* the next instance fills the hole */
    zone(&z, "dng:den:2", 40);
    assert_int_equal(cw_world_add_zone(w, &z, &zi, &err), 0);
    assert_int_equal(zi, 2);
    cw_entity *f = player(w, 10, "dng:den:2", 100, 100);
    assert_int_equal(f->zone, 2);
    cw_world_free(w);
}

/* A checked content set of the given zones (ids), each 1000x1000, view 50. */
static cw_zoneset content(const char *const *ids, int n)
{
    cw_zoneset zs = {0};
    zs.n = n;
    zs.v = calloc((size_t)n, sizeof *zs.v);
    for (int i = 0; i < n; i++)
        zone(&zs.v[i], ids[i], 50);
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    return zs;
}

/* A content reload keeps the instance zones at their indices with whoever is
 * in them; content zones fill the other slots; portals resolve again. */
static void test_reload_keeps_instances(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_error err = {0};
    cw_zone z;
    int za = -1, zb = -1;
    zone(&z, "dng:a", 40);
    assert_int_equal(cw_world_add_zone(w, &z, &za, &err), 0);
    zone(&z, "dng:b", 40);
    z.nportals = 1;
    z.portals = calloc(1, sizeof(cw_portal));
    z.portals[0] =
        (cw_portal){.x = 10, .y = 10, .radius = 3, .to = "meadow", .to_x = 450, .to_y = 450};
    assert_int_equal(cw_world_add_zone(w, &z, &zb, &err), 0);
    assert_int_equal(za, 2);
    assert_int_equal(zb, 3);
    assert_int_equal(cw_world_remove_zone(w, "dng:a", &err), 0); /* a hole at 2 */
    cw_entity *a = player(w, 1, "dng:b", 30, 30);
    cw_entity *b = player(w, 2, "dng:b", 35, 30);
    cw_entity *c = player(w, 3, "caves", 100, 100);
    assert_int_equal(a->nseen, 1);
    l.buf[0] = 0;

    /* more content zones than before: they go around the instance */
    const char *four[] = {"meadow", "caves", "fields", "hills"};
    cw_zoneset zs = content(four, 4);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    assert_int_equal(zs.n, 0);
    const cw_zoneset *live = cw_world_zones(w);
    assert_int_equal(cw_zoneset_find(live, "dng:b"), zb);
    assert_int_equal(live->n, 5);
    for (int i = 0; i < 4; i++) {
        int k = cw_zoneset_find(live, four[i]);
        assert_true(k >= 0 && k != zb);
        assert_int_equal(live->v[k].runtime, 0);
    }
    assert_int_equal(live->v[zb].runtime, 1);
    assert_int_equal(live->v[zb].portals[0].to_index, cw_zoneset_find(live, "meadow"));
    assert_string_equal(live->v[live->start].id, "caves"); /* no start flag: the first by id */
    assert_int_equal(a->zone, zb);
    assert_int_equal(b->zone, zb);
    assert_true(a->x == 30 && a->y == 30);
    assert_int_equal(count(&l, "zone 1"), 0);
    assert_int_equal(count(&l, "zone 2"), 0);
    assert_int_equal(count_kind(&l, "leave "), 0);
    assert_int_equal(a->nseen, 1); /* still see each other */
    assert_string_equal(cw_world_zone_of(w, c)->id, "caves");
    assert_int_equal(cw_world_query(w, zb, 30, 30, 100, NULL, 0), 2);

    /* fewer zones, the meadow gone: the instance stays, its portal leads nowhere */
    const char *one[] = {"caves"};
    zs = content(one, 1);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    live = cw_world_zones(w);
    assert_int_equal(cw_zoneset_find(live, "dng:b"), zb);
    assert_int_equal(live->v[zb].portals[0].to_index, -1);
    assert_int_equal(a->zone, zb);
    assert_int_equal(count(&l, "zone 1"), 0);
    /* the freed slots are holes an instance can fill */
    zone(&z, "dng:c", 40);
    int zc = -1;
    assert_int_equal(cw_world_add_zone(w, &z, &zc, &err), 0);
    assert_true(zc >= 0 && zc < zb);

    /* content that declares an instance's id replaces it */
    const char *two[] = {"caves", "dng:b"};
    zs = content(two, 2);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    live = cw_world_zones(w);
    int k = cw_zoneset_find(live, "dng:b");
    assert_true(k >= 0);
    assert_int_equal(live->v[k].runtime, 0);
    assert_int_equal(cw_zoneset_find(live, "dng:c"), zc); /* the other instance kept */
    assert_string_equal(cw_world_zone_of(w, a)->id, "dng:b");
    cw_world_free(w);
}

/* ---- removals from a crowd (the disconnect storm) ---------------------------------- */

enum { CROWD = 300 };

/* Every event of the crowd test, by entity id (ids are 1..CROWD in a fresh
 * world): leaves[subject][observer], and any event naming a removed entity. */
static struct {
    int leaves[CROWD + 1][CROWD + 1];
    int moves[CROWD + 1][CROWD + 1];
    int enters;
    int removed[CROWD + 1]; /* 1 once cw_world_remove has returned for it */
    int removing;           /* the id being removed now */
    int about_removed;      /* events naming an entity removed before */
} g_crowd;

static void crowd_note(const cw_entity *s, cw_entity *const *to, int n)
{
    assert_true(s->id >= 1 && s->id <= CROWD);
    g_crowd.about_removed += g_crowd.removed[s->id];
    for (int i = 0; i < n; i++) {
        assert_true(to[i]->id >= 1 && to[i]->id <= CROWD);
        g_crowd.about_removed += g_crowd.removed[to[i]->id] || to[i]->id == g_crowd.removing;
    }
}
static void crowd_enter(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    crowd_note(s, to, n);
    g_crowd.enters += n;
}
static void crowd_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    crowd_note(s, to, n);
    for (int i = 0; i < n; i++)
        g_crowd.leaves[s->id][to[i]->id]++;
}
static void crowd_move(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    crowd_note(s, to, n);
    for (int i = 0; i < n; i++)
        g_crowd.moves[s->id][to[i]->id]++;
}

/* 300 players where all see all; 298 leave with no tick in between. Each
 * removal tells exactly the players still there, once; no event ever names
 * a removed entity (not even a survivor's move before the views are
 * compacted); cw_entity_sees is 0 for every removed id at once; after
 * cw_world_compact each survivor's view is exactly the other survivor. The
 * view bookkeeping touches O(K * n) elements (the old per-observer erase,
 * K * N * n / 6 or so, would be far above the bound). */
static void test_crowd_removal_is_exact_and_linear(void **state)
{
    (void)state;
    memset(&g_crowd, 0, sizeof g_crowd);
    cw_world_hooks h = {NULL, crowd_enter, crowd_leave, crowd_move, NULL, NULL, NULL};
    cw_world *w = cw_world_new(&h);
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    zone(&zs.v[0], "meadow", 50);
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(w, &zs, &err), 0);
    cw_entity *e[CROWD + 1] = {0};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int i = 1; i <= CROWD; i++) { /* a 30 x 30 square: everyone within 50 of everyone */
        cw_entity_init in = {
            CW_ENT_PLAYER,          i,   (uint64_t)i, "p", "meadow", rnd_in(&seed, 450, 30),
            rnd_in(&seed, 450, 30), 1000};
        assert_int_equal(cw_world_add(w, &in, 0, &e[i]), 0);
        assert_int_equal(e[i]->id, i);
        assert_int_equal(cw_world_show(w, e[i]), 0);
    }
    for (int i = 1; i <= CROWD; i++)
        assert_int_equal(e[i]->nseen, CROWD - 1);
    /* shuffled removal order; the last two stay */
    int order[CROWD];
    for (int i = 0; i < CROWD; i++)
        order[i] = i + 1;
    for (int i = CROWD - 1; i > 0; i--) {
        int k = (int)rnd_in(&seed, 0, i + 1);
        int t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    enum { K = CROWD - 2 };
    cw_entity *s1 = e[order[K]], *s2 = e[order[K + 1]];
    int when[CROWD + 1]; /* the step each entity was removed at (K: never) */
    for (int i = 1; i <= CROWD; i++)
        when[i] = K;
    uint64_t work0 = cw_world_view_work(w);
    for (int k = 0; k < K; k++) {
        int id = order[k];
        g_crowd.removing = id;
        assert_int_equal(cw_world_remove(w, id), 0);
        g_crowd.removing = 0;
        g_crowd.removed[id] = 1;
        when[id] = k;
        e[id] = NULL;
        assert_null(cw_world_get(w, id));
        assert_false(cw_entity_sees(w, s1, id));
        assert_false(cw_entity_sees(w, s2, id));
    }
    uint64_t work = cw_world_view_work(w) - work0;
    /* leave edges: r's removal went to exactly those still in the world */
    for (int r = 1; r <= CROWD; r++)
        for (int o = 1; o <= CROWD; o++) {
            int want = r != o && when[r] < K && when[o] > when[r];
            assert_int_equal(g_crowd.leaves[r][o], want);
        }
    assert_int_equal(g_crowd.about_removed, 0);
    assert_true(cw_entity_sees(w, s1, s2->id) && cw_entity_sees(w, s2, s1->id));
    assert_int_equal(cw_world_count(w), 2);
    /* the survivors' sets still hold the removed ids (pending compaction) */
    assert_int_equal(s2->nseen, CROWD - 1);
    /* s1 steps (still near s2): one move to s2, nothing about the removed;
     * its own view is built afresh */
    assert_int_equal(cw_world_move(w, s1, s1->x + 1, s1->y, 10 * SEC, NULL), 0);
    assert_int_equal(g_crowd.moves[s1->id][s2->id], 1);
    assert_int_equal(g_crowd.about_removed, 0);
    assert_int_equal(s1->nseen, 1);
    assert_int_equal(g_crowd.enters, CROWD * (CROWD - 1)); /* the setup's only */
    /* compaction: both views are exactly the other survivor */
    cw_world_compact(w);
    assert_int_equal(s1->nseen, 1);
    assert_int_equal(s2->nseen, 1);
    assert_int_equal(s1->seen[0], s2->id);
    assert_int_equal(s2->seen[0], s1->id);
    work = cw_world_view_work(w) - work0;
    /* K removals, each reading a view of n = CROWD - 1, plus one pass over
     * each view left dirty, plus s1's step: within 2 K n */
    assert_true(work <= 2ull * K * (CROWD - 1));
    assert_true(work >= (uint64_t)K * (CROWD - 1) / 2); /* it does count the reads */
    /* nothing pending: compaction again changes nothing */
    cw_world_compact(w);
    assert_int_equal(s2->nseen, 1);
    assert_int_equal(g_crowd.about_removed, 0);
    cw_world_free(w);
}

/* Views of all sizes: 300 monsters scattered (views of a few to a few dozen),
 * a random 40% removed in one go, then 10% more of the rest with a tick in
 * between and steps of the living: after the compaction every view is the
 * sorted set of exactly the living within the view distance (the galloping
 * merge drops runs, single ids and tails correctly). */
static void test_scattered_removals_compact_exactly(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    enum { N = 300 };
    cw_entity *e[N];
    int alive[N];
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < N; i++) {
        cw_entity_init in = {CW_ENT_MONSTER,          0, 0, "m", "meadow", rnd_in(&seed, 320, 260),
                             rnd_in(&seed, 300, 400), 10};
        assert_int_equal(cw_world_add(w, &in, 0, &e[i]), 0);
        assert_int_equal(cw_world_show(w, e[i]), 0);
        alive[i] = 1;
    }
    for (int round = 0; round < 2; round++) {
        double share = round == 0 ? 0.4 : 0.1;
        for (int i = 0; i < N; i++) {
            if (!alive[i] || rnd_in(&seed, 0, 1) >= share) continue;
            int64_t id = e[i]->id;
            assert_int_equal(cw_world_remove(w, id), 0);
            alive[i] = 0;
            for (int j = 0; j < N; j++)
                if (alive[j]) assert_false(cw_entity_sees(w, e[j], id));
        }
        for (int i = 0; round == 1 && i < N; i += 7) /* steps with removals pending */
            if (alive[i])
                assert_int_equal(
                    cw_world_relocate(w, e[i], rnd_in(&seed, 320, 260), rnd_in(&seed, 300, 400)),
                    0);
        cw_world_tick(w, 0);
        for (int i = 0; i < N; i++) {
            if (!alive[i]) continue;
            int want = 0;
            for (int k = 1; k < e[i]->nseen; k++)
                assert_true(e[i]->seen[k - 1] < e[i]->seen[k]);
            for (int j = 0; j < N; j++) {
                if (j == i || !alive[j]) continue;
                double dx = e[i]->x - e[j]->x, dy = e[i]->y - e[j]->y;
                int in = dx * dx + dy * dy <= 50.0 * 50.0;
                want += in;
                assert_int_equal(cw_entity_sees(w, e[i], e[j]->id), in);
            }
            assert_int_equal(e[i]->nseen, want);
        }
    }
    cw_world_free(w);
}

/* Removing an entity whose own view holds removed ids (it is on the list to
 * compact), then a zone transfer and a relocation while removals are
 * pending: exact events, nothing about the removed, views exact after the
 * tick (cw_world_tick compacts). ASan checks the list never keeps a freed
 * entity. */
static void test_removals_pending_with_transfer(void **state)
{
    (void)state;
    log_t l = {{0}};
    cw_world *w = world(&l);
    cw_entity *a = player(w, 1, "meadow", 500, 500);
    cw_entity *b = player(w, 2, "meadow", 510, 500);
    cw_entity *c = player(w, 3, "meadow", 520, 500);
    cw_entity *d = player(w, 4, "meadow", 500, 510);
    cw_entity *e = player(w, 5, "meadow", 510, 510);
    cw_entity *f = player(w, 6, "caves", 100, 110); /* where the transfer lands */
    assert_int_equal(a->nseen, 4);
    assert_int_equal(b->nseen, 4);
    assert_int_equal(c->nseen, 4);
    l.buf[0] = 0;
    assert_int_equal(cw_world_remove(w, 1), 0); /* b..e now hold a stale id */
    assert_int_equal(count(&l, "leave 1>2") + count(&l, "leave 1>3") + count(&l, "leave 1>4") +
                         count(&l, "leave 1>5"),
                     4);
    assert_int_equal(cw_world_remove(w, 2), 0); /* b itself was to be compacted */
    assert_int_equal(count(&l, "leave 2>3") + count(&l, "leave 2>4") + count(&l, "leave 2>5"), 3);
    assert_int_equal(count(&l, "leave 2>1"), 0);
    assert_int_equal(count_kind(&l, "leave "), 7);
    assert_false(cw_entity_sees(w, c, 1) || cw_entity_sees(w, c, 2));
    assert_true(cw_entity_sees(w, c, d->id) && cw_entity_sees(w, d, c->id));
    /* c goes to the caves with a and b still in its set */
    l.buf[0] = 0;
    assert_int_equal(cw_world_transfer(w, c, f->zone, 100, 100), 0);
    assert_int_equal(count(&l, "zone 3"), 1);
    assert_int_equal(count(&l, "leave 3>4") + count(&l, "leave 3>5"), 2);
    assert_int_equal(count(&l, "leave 4>3") + count(&l, "leave 5>3"), 2);
    assert_int_equal(count(&l, "enter 3>6") + count(&l, "enter 6>3"), 2);
    assert_int_equal(count_kind(&l, "leave ") + count_kind(&l, "enter "), 6);
    assert_int_equal(c->nseen, 1);
    assert_int_equal(c->seen[0], f->id);
    assert_false(cw_entity_sees(w, d, c->id) || cw_entity_sees(w, e, c->id));
    /* d relocates next to e: a move to e, nothing else */
    l.buf[0] = 0;
    assert_int_equal(cw_world_relocate(w, d, 505, 505), 0);
    assert_string_equal(l.buf, "move 4>5\n");
    /* a third removal after the others, then the tick */
    cw_entity *g = player(w, 7, "meadow", 505, 500);
    assert_int_equal(g->id, 7);
    l.buf[0] = 0;
    assert_int_equal(cw_world_remove(w, 7), 0);
    assert_int_equal(count(&l, "leave 7>4") + count(&l, "leave 7>5"), 2);
    assert_int_equal(count_kind(&l, "leave "), 2);
    cw_world_tick(w, 0);
    assert_int_equal(d->nseen, 1);
    assert_int_equal(d->seen[0], e->id);
    assert_int_equal(e->nseen, 1);
    assert_int_equal(e->seen[0], d->id);
    assert_int_equal(f->nseen, 1);
    assert_int_equal(f->seen[0], c->id);
    assert_int_equal(cw_world_count(w), 4);
    /* ids are not reused: a newcomer gets a fresh one */
    cw_entity *h = player(w, 8, "meadow", 500, 500);
    assert_int_equal(h->id, 8);
    assert_int_equal(d->nseen, 2);
    cw_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_after_swap_removals),
        cmocka_unit_test(test_enter_both_ways),
        cmocka_unit_test(test_crowd_views_are_sorted_and_exact),
        cmocka_unit_test(test_crossing_view_edges_once),
        cmocka_unit_test(test_speed_and_blocked),
        cmocka_unit_test(test_portal),
        cmocka_unit_test(test_portal_held),
        cmocka_unit_test(test_reload_zones),
        cmocka_unit_test(test_reload_same_layout_touches_nobody),
        cmocka_unit_test(test_zone_checks),
        cmocka_unit_test(test_add_remove_zone),
        cmocka_unit_test(test_reload_keeps_instances),
        cmocka_unit_test(test_crowd_removal_is_exact_and_linear),
        cmocka_unit_test(test_removals_pending_with_transfer),
        cmocka_unit_test(test_scattered_removals_compact_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
