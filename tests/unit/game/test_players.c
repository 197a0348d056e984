/* test_players.c — the player table: dirty tracking, versions, what a save
 * snapshot contains, stale writes, grants that apply only when committed,
 * and authoritative movement. */
#include "core/game/players.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define SEC 1000000000ull

static cw_player *add(cw_players *ps, int64_t id, const char *name, int64_t version)
{
    cw_player_init in = {.id = id,
                         .account_id = 7,
                         .version = version,
                         .name = name,
                         .race = "elf",
                         .job = "mage",
                         .zone = "start",
                         .doc = "{\"gold\":5}",
                         .level = 3,
                         .x = 500,
                         .y = 500,
                         .gold = 5};
    cw_player *p = NULL;
    assert_int_equal(cw_players_add(ps, &in, &p), 0);
    return p;
}

/* The id and name indexes stay right through removals from anywhere in the
 * table (the last entry moves into the hole). */
static void test_lookups_survive_removals(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    enum { N = 3000 };
    char name[32];
    for (int i = 1; i <= N; i++) {
        snprintf(name, sizeof name, "Hero%d", i);
        add(ps, i * 10, name, 1);
    }
    /* remove every third one, front to back */
    for (int i = 1; i <= N; i += 3)
        cw_players_remove(ps, i * 10);
    cw_players_remove(ps, 999999); /* absent: nothing happens */
    assert_int_equal(cw_players_count(ps), N - (N + 2) / 3);
    for (int i = 1; i <= N; i++) {
        snprintf(name, sizeof name, "hero%d", i); /* names match case-insensitively */
        cw_player *byid = cw_players_get(ps, i * 10), *byname = cw_players_find_name(ps, name);
        if ((i - 1) % 3 == 0) {
            assert_null(byid);
            assert_null(byname);
        } else {
            assert_non_null(byid);
            assert_int_equal(byid->id, i * 10);
            assert_ptr_equal(byname, byid);
        }
    }
    /* a removed id can come back */
    add(ps, 10, "Hero1", 2);
    assert_int_equal(cw_players_get(ps, 10)->version, 2);
    assert_ptr_equal(cw_players_find_name(ps, "HERO1"), cw_players_get(ps, 10));
    assert_null(cw_players_find_name(ps, "Hero"));
    cw_players_free(ps);
}

static void test_clean_until_touched(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *p = add(ps, 1, "Hero", 1);
    cw_player_init dup = {.id = 1, .name = "Other"};
    assert_int_equal(cw_players_add(ps, &dup, NULL), CW_EEXIST);
    assert_false(cw_player_dirty(p));
    assert_int_equal(cw_players_dirty(ps), 0);
    cw_player_snapshot snap[4];
    assert_int_equal(cw_players_collect(ps, snap, 4, 0), 0);
    cw_player_touch(p);
    assert_true(cw_player_dirty(p));
    assert_int_equal(cw_players_dirty(ps), 1);
    assert_ptr_equal(cw_players_find_name(ps, "hERO"), p);
    assert_null(cw_players_find_name(ps, "nobody"));
    cw_players_free(ps);
}

static void test_snapshot_and_version(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 4);
    add(ps, 2, "Bob", 9); /* clean: not in the batch */
    cw_player *c = add(ps, 3, "Cid", 1);
    a->x = 505; /* what the world's sync does after a move */
    cw_player_touch(a);
    cw_player_touch(c);
    cw_player_snapshot snap[4];
    int n = cw_players_collect(ps, snap, 4, 0);
    assert_int_equal(n, 2);
    const cw_player_snapshot *sa = snap[0].id == 1 ? &snap[0] : &snap[1];
    assert_int_equal(sa->version, 4);
    assert_true(sa->x == 505 && sa->y == 500);
    assert_string_equal(sa->name, "Ann");
    assert_string_equal(sa->race, "elf");
    assert_int_equal(sa->level, 3);
    assert_int_equal(sa->gold, 5);
    assert_string_equal(sa->doc, "{\"gold\":5}");
    /* In flight: not collected again, even after another change. */
    a->y = 505;
    cw_player_touch(a);
    assert_int_equal(cw_players_collect(ps, snap + 2, 2, 0), 0);
    cw_players_saved(ps, 1, 0, 1, NULL, NULL);
    cw_players_saved(ps, 3, 0, 1, NULL, NULL);
    assert_int_equal(a->version, 5);
    assert_int_equal(c->version, 2);
    assert_false(cw_player_dirty(c));
    /* The move made during the save is still unsaved, now on version 5. */
    assert_true(cw_player_dirty(a));
    n = cw_players_collect(ps, snap, 4, 0);
    assert_int_equal(n, 1);
    assert_int_equal(snap[0].version, 5);
    assert_true(snap[0].y == 505);
    cw_players_free(ps);
}

static void test_failure_keeps_dirty_stale_stops(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 2);
    cw_player *b = add(ps, 2, "Bob", 2);
    cw_player_touch(a);
    cw_player_touch(b);
    cw_player_snapshot snap[2];
    assert_int_equal(cw_players_collect(ps, snap, 2, 0), 2);
    cw_players_saved(ps, 1, CW_EUNAVAIL, 1, NULL, NULL);
    cw_players_saved(ps, 2, CW_ESTATE, 1, NULL, NULL);
    assert_int_equal(a->version, 2);
    assert_true(cw_player_dirty(a));
    assert_int_equal(a->saving_seq, 0);
    assert_true(b->stale);
    assert_int_equal(b->version, 2);
    /* Retried: a comes again with the same version, b never. */
    assert_int_equal(cw_players_collect(ps, snap, 2, 0), 1);
    assert_int_equal(snap[0].id, 1);
    assert_int_equal(snap[0].version, 2);
    cw_players_free(ps);
}

typedef struct seen {
    int n;
    uint64_t token[4];
    int rc[4];
    int64_t gold[4];
} seen;

static void on_grant(uint64_t token, int rc, int64_t gold, int64_t delta, void *ud)
{
    (void)delta;
    seen *s = ud;
    s->token[s->n] = token;
    s->rc[s->n] = rc;
    s->gold[s->n++] = gold;
}

static void test_grants_apply_only_on_commit(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    add(ps, 2, "Bob", 1);
    cw_players_get(ps, 2)->change_seq++;                            /* dirty, but no grant */
    assert_int_equal(cw_player_grant(a, -6, 1, "test"), CW_EINVAL); /* below zero */
    assert_int_equal(cw_player_grant(a, 10, 1, "test"), 0);
    assert_int_equal(cw_player_grant(a, 20, 2, "test"), 0);
    assert_int_equal(a->gold, 5); /* not yet */
    assert_true(cw_player_dirty(a));
    cw_player_snapshot snap[2];
    /* The group commit takes only players with grants. */
    assert_int_equal(cw_players_collect(ps, snap, 2, 1), 1);
    assert_int_equal(snap[0].id, 1);
    assert_int_equal(snap[0].gold, 35);
    assert_int_equal(cw_player_grant(a, 1, 3, "test"), 0); /* rides with the next save */
    seen s = {0};
    cw_players_saved(ps, 1, CW_EUNAVAIL, 1, on_grant, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rc[0], CW_EUNAVAIL);
    assert_int_equal(a->gold, 5); /* failed: nothing applied */
    assert_int_equal(cw_players_collect(ps, snap, 2, 1), 1);
    assert_int_equal(snap[0].gold, 6);
    memset(&s, 0, sizeof s);
    cw_players_saved(ps, 1, 0, 1, on_grant, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.token[0], 3);
    assert_int_equal(s.rc[0], 0);
    assert_int_equal(s.gold[0], 6);
    assert_int_equal(a->gold, 6);
    assert_false(cw_player_dirty(a));
    cw_players_free(ps);
}

static void test_grants_requeued_when_not_failing(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    assert_int_equal(cw_player_grant(a, 10, 1, "test"), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    cw_players_saved(ps, 1, CW_EUNAVAIL, 0, NULL, NULL);
    assert_non_null(a->grants);
    assert_int_equal(a->gold, 5);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.gold, 15);
    cw_players_free(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_survive_removals),
        cmocka_unit_test(test_clean_until_touched),
        cmocka_unit_test(test_snapshot_and_version),
        cmocka_unit_test(test_failure_keeps_dirty_stale_stops),
        cmocka_unit_test(test_grants_apply_only_on_commit),
        cmocka_unit_test(test_grants_requeued_when_not_failing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
