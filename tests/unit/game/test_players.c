/* test_players.c — the player table: dirty tracking, versions, what a save
 * snapshot contains, stale writes, value transactions that apply only when
 * committed (and roll their script data back when they fail), and
 * per-character script data. */
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
    uint64_t token[8];
    int rc[8];
    int64_t gold[8], exp[8];    /* the player's, as the callback saw it */
    int level[8], txn_level[8]; /* the player's, the transaction's */
    int64_t dgold[8], dexp[8];  /* the transaction's deltas */
} seen;

static void on_grant(uint64_t token, int rc, const cw_player *p, int64_t gold_delta,
                     int64_t exp_delta, int level, void *ud)
{
    seen *s = ud;
    assert_true(s->n < 8);
    assert_non_null(p);
    s->token[s->n] = token;
    s->rc[s->n] = rc;
    s->gold[s->n] = p->gold;
    s->exp[s->n] = p->exp;
    s->level[s->n] = p->level;
    s->txn_level[s->n] = level;
    s->dgold[s->n] = gold_delta;
    s->dexp[s->n++] = exp_delta;
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
    assert_non_null(a->txns);
    assert_int_equal(a->gold, 5);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.gold, 15);
    cw_players_free(ps);
}

/* ---- script data ------------------------------------------------------------ */

#define NOCAP ((size_t)-1)

static int set(cw_player *p, const char *ns, const char *json, size_t cap)
{
    return cw_player_data_set(p, ns, json, strlen(json), cap);
}

static void collect_ns(const char *ns, const char *json, void *ud)
{
    char *out = ud;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%s;", ns, json);
}

static void test_data_get_set(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    assert_null(cw_player_data_get(a, "quest"));
    assert_int_equal(cw_player_data_size(a), 0);
    assert_int_equal(set(a, "quest", "{\"step\":1}", NOCAP), 0);
    assert_string_equal(cw_player_data_get(a, "quest"), "{\"step\":1}");
    assert_int_equal(cw_player_data_size(a), 5 + 10);
    assert_true(cw_player_dirty(a)); /* written behind */
    /* len bounds the text: what follows is not read */
    const char *buf = "{\"b\":[true,null,-1.5e3,\"\\u00e9\"]}garbage";
    assert_int_equal(cw_player_data_set(a, "z.flags_2", buf, 33, NOCAP), 0);
    assert_string_equal(cw_player_data_get(a, "z.flags_2"),
                        "{\"b\":[true,null,-1.5e3,\"\\u00e9\"]}");
    assert_int_equal(set(a, "quest", "{}", NOCAP), 0); /* replaced; "{}" is kept as "{}" */
    assert_string_equal(cw_player_data_get(a, "quest"), "{}");
    char all[256] = "";
    cw_player_data_each(a, collect_ns, all);
    assert_string_equal(all, "quest={};z.flags_2={\"b\":[true,null,-1.5e3,\"\\u00e9\"]};");
    size_t size = cw_player_data_size(a);
    assert_int_equal(size, 5 + 2 + 9 + 33);

    /* bad names and bad texts change nothing */
    const char *bad_ns[] = {"", "Quest", "a b", "a-b",
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 33 */};
    for (size_t i = 0; i < sizeof bad_ns / sizeof *bad_ns; i++)
        assert_int_equal(set(a, bad_ns[i], "{}", NOCAP), CW_EINVAL);
    assert_int_equal(set(a, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "{}", NOCAP), 0); /* 32: fine */
    assert_int_equal(cw_player_data_set(a, NULL, "{}", 2, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_data_set(a, "quest", NULL, 0, NOCAP), CW_EINVAL);
    const char *bad_json[] = {"",
                              "[1]",
                              "\"s\"",
                              "{",
                              "{} x",
                              "{\"a\":01}",
                              "{\"a\":\"\\u0000\"}",
                              "{'a':1}",
                              "{\"a\":1,}",
                              "{\"a\":NaN}",
                              "{\"a\":\"\\ud800\"}",
                              "{\"a\":1e999}"};
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++)
        assert_int_equal(set(a, "quest", bad_json[i], NOCAP), CW_EINVAL);
    assert_string_equal(cw_player_data_get(a, "quest"), "{}");
    size = cw_player_data_size(a);

    /* the cap: growing past it is refused, shrinking is always allowed */
    assert_int_equal(set(a, "big", "{\"x\":\"0123456789\"}", size + 10), CW_ELIMIT);
    assert_null(cw_player_data_get(a, "big"));
    assert_int_equal(cw_player_data_size(a), size);
    assert_int_equal(set(a, "big", "{\"x\":\"0123456789\"}", size + 3 + 18), 0); /* exactly */
    assert_int_equal(set(a, "big", "{\"x\":1}", 1), 0); /* over a lowered cap, but smaller */
    assert_string_equal(cw_player_data_get(a, "big"), "{\"x\":1}");
    cw_players_free(ps);
}

static void test_added_with_data(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_txn_data d[2] = {{"quest", "{\"s\":2}", 7}, {"flags", "{}", 2}};
    cw_player_init in = {.id = 9,
                         .name = "Dee",
                         .race = "elf",
                         .job = "mage",
                         .zone = "z",
                         .gold = 3,
                         .exp = 40,
                         .data = d,
                         .ndata = 2};
    cw_player *p = NULL;
    assert_int_equal(cw_players_add(ps, &in, &p), 0);
    assert_int_equal(p->exp, 40);
    assert_string_equal(cw_player_data_get(p, "quest"), "{\"s\":2}");
    assert_string_equal(cw_player_data_get(p, "flags"), "{}");
    assert_int_equal(cw_player_data_size(p), 5 + 7 + 5 + 2);
    assert_false(cw_player_dirty(p)); /* loaded, not changed */
    cw_txn_data bad = {"Bad", "{}", 2};
    in.id = 10;
    in.name = "Eve";
    in.data = &bad;
    in.ndata = 1;
    assert_int_equal(cw_players_add(ps, &in, NULL), CW_EINVAL);
    assert_null(cw_players_get(ps, 10));
    cw_players_free(ps);
}

/* ---- transactions ---------------------------------------------------------- */

static void test_txn_queued_then_committed(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1); /* gold 5, level 3 */
    assert_int_equal(set(a, "quest", "{\"step\":1}", NOCAP), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1); /* the data write, saved */
    cw_players_saved(ps, 1, 0, 1, NULL, NULL);
    assert_false(cw_player_dirty(a));

    cw_txn_data d[1] = {{"quest", "{\"step\":2}", 10}};
    cw_txn_spec t = {.gold = 10, .exp = 50, .level = 4, .data = d, .ndata = 1, .reason = "kill"};
    assert_int_equal(cw_player_txn(a, &t, 77, NOCAP), 0);
    /* queued: value not applied, data visible at once */
    assert_int_equal(a->gold, 5);
    assert_int_equal(a->exp, 0);
    assert_int_equal(a->level, 3);
    assert_string_equal(cw_player_data_get(a, "quest"), "{\"step\":2}");
    assert_true(cw_player_dirty(a));

    cw_player_snapshot snaps[2];
    assert_int_equal(cw_players_collect(ps, snaps, 2, 1), 1); /* the group commit takes it */
    assert_int_equal(snaps[0].gold, 15);
    assert_int_equal(snaps[0].exp, 50);
    assert_int_equal(snaps[0].level, 4);
    assert_int_equal(snaps[0].ndata, 1);
    assert_string_equal(snaps[0].data[0].ns, "quest");
    assert_string_equal(snaps[0].data[0].json, "{\"step\":2}");
    assert_non_null(snaps[0].txns);
    assert_int_equal(snaps[0].txns->gold, 10);
    assert_int_equal(snaps[0].txns->exp, 50);
    assert_string_equal(snaps[0].txns->reason, "kill");
    assert_null(snaps[0].txns->next);
    assert_int_equal(a->gold, 5); /* still not applied while in flight */

    seen s = {0};
    cw_players_saved(ps, 1, 0, 1, on_grant, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.token[0], 77);
    assert_int_equal(s.rc[0], 0);
    assert_int_equal(s.dgold[0], 10);
    assert_int_equal(s.dexp[0], 50);
    assert_int_equal(s.txn_level[0], 4);
    assert_int_equal(s.gold[0], 15);
    assert_int_equal(s.exp[0], 50);
    assert_int_equal(s.level[0], 4);
    assert_int_equal(a->gold, 15);
    assert_int_equal(a->exp, 50);
    assert_int_equal(a->level, 4);
    assert_string_equal(cw_player_data_get(a, "quest"), "{\"step\":2}");
    assert_false(cw_player_dirty(a));
    cw_players_free(ps);
}

static void test_txn_failure_rolls_back_data(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    assert_int_equal(set(a, "quest", "{\"step\":1}", NOCAP), 0);
    size_t size = cw_player_data_size(a);
    /* the same namespace twice in one transaction: the last entry wins */
    cw_txn_data d[3] = {
        {"quest", "{\"step\":2}", 10}, {"fresh", "{\"n\":1}", 7}, {"quest", "{\"step\":3}", 10}};
    cw_txn_spec t = {.gold = 7, .exp = 5, .data = d, .ndata = 3};
    assert_int_equal(cw_player_txn(a, &t, 1, NOCAP), 0);
    assert_string_equal(cw_player_data_get(a, "quest"), "{\"step\":3}");
    assert_string_equal(cw_player_data_get(a, "fresh"), "{\"n\":1}");
    assert_int_equal(cw_player_data_size(a), size + 5 + 7);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.gold, 12);
    seen s = {0};
    cw_players_saved(ps, 1, CW_EUNAVAIL, 1, on_grant, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rc[0], CW_EUNAVAIL);
    assert_int_equal(s.dgold[0], 7);
    assert_int_equal(s.dexp[0], 5);
    assert_int_equal(s.gold[0], 5);
    assert_int_equal(a->gold, 5);
    assert_int_equal(a->exp, 0);
    assert_string_equal(cw_player_data_get(a, "quest"), "{\"step\":1}");
    assert_null(cw_player_data_get(a, "fresh"));
    assert_int_equal(cw_player_data_size(a), size);
    assert_null(a->txns);
    /* The next save writes the data as it is now (the direct write is still unsaved). */
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.ndata, 1);
    assert_string_equal(snap.data[0].json, "{\"step\":1}");
    assert_null(snap.txns);
    cw_players_free(ps);
}

/* A failed transaction does not undo later writes to the same namespace. */
static void test_txn_rollback_keeps_later_writes(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    cw_txn_data d1 = {"q", "{\"v\":1}", 7}, d2 = {"q", "{\"v\":2}", 7}, d3 = {"q", "{\"v\":3}", 7},
                d4 = {"q", "{\"v\":4}", 7};
    cw_txn_spec t1 = {.data = &d1, .ndata = 1}, t2 = {.data = &d2, .ndata = 1},
                t3 = {.data = &d3, .ndata = 1}, t4 = {.data = &d4, .ndata = 1};
    cw_player_snapshot snap;
    /* t1 in flight, t2 queued behind it: t1 fails, t2's value stays, and commits */
    assert_int_equal(cw_player_txn(a, &t1, 1, NOCAP), 0);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(cw_player_txn(a, &t2, 2, NOCAP), 0);
    seen s = {0};
    cw_players_saved(ps, 1, CW_EIO, 1, on_grant, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.token[0], 1);
    assert_string_equal(cw_player_data_get(a, "q"), "{\"v\":2}");
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    cw_players_saved(ps, 1, 0, 1, on_grant, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rc[1], 0);
    assert_string_equal(cw_player_data_get(a, "q"), "{\"v\":2}");
    /* t3 in flight, t4 queued: both fail, one after the other: back to t2's value */
    assert_int_equal(cw_player_txn(a, &t3, 3, NOCAP), 0);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(cw_player_txn(a, &t4, 4, NOCAP), 0);
    cw_players_saved(ps, 1, CW_EIO, 1, on_grant, &s);
    assert_string_equal(cw_player_data_get(a, "q"), "{\"v\":4}");
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    cw_players_saved(ps, 1, CW_EIO, 1, on_grant, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rc[3], CW_EIO);
    assert_string_equal(cw_player_data_get(a, "q"), "{\"v\":2}");
    /* a direct write after a transaction survives the transaction's failure */
    assert_int_equal(cw_player_txn(a, &t1, 5, NOCAP), 0);
    assert_int_equal(set(a, "q", "{\"v\":9}", NOCAP), 0);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    cw_players_saved(ps, 1, CW_EIO, 1, on_grant, &s);
    assert_int_equal(s.n, 5);
    assert_string_equal(cw_player_data_get(a, "q"), "{\"v\":9}");
    assert_int_equal(cw_player_data_size(a), 1 + 7);
    cw_players_free(ps);
}

static void test_txns_compose(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1); /* gold 5, level 3 */
    cw_txn_spec t1 = {.gold = 10, .exp = 100, .level = 5, .reason = "one"};
    cw_txn_spec t2 = {.gold = -3, .exp = 200, .level = 4, .reason = "two"};
    cw_txn_spec t3 = {.exp = -300}; /* exactly back to 0: allowed */
    assert_int_equal(cw_player_txn(a, &t1, 1, NOCAP), 0);
    assert_int_equal(cw_player_txn(a, &t2, 2, NOCAP), 0);
    assert_int_equal(cw_player_txn(a, &t3, 3, NOCAP), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.gold, 12);
    assert_int_equal(snap.exp, 0);
    assert_int_equal(snap.level, 5); /* the highest level among them */
    seen s = {0};
    cw_players_saved(ps, 1, 0, 1, on_grant, &s);
    assert_int_equal(s.n, 3);
    /* in order, each seeing the player right after it */
    assert_int_equal(s.token[0], 1);
    assert_int_equal(s.gold[0], 15);
    assert_int_equal(s.exp[0], 100);
    assert_int_equal(s.level[0], 5);
    assert_int_equal(s.token[1], 2);
    assert_int_equal(s.gold[1], 12);
    assert_int_equal(s.exp[1], 300);
    assert_int_equal(s.level[1], 5);
    assert_int_equal(s.txn_level[1], 4);
    assert_int_equal(s.exp[2], 0);
    assert_int_equal(a->gold, 12);
    assert_int_equal(a->level, 5);
    cw_players_free(ps);
}

static void test_txn_refused_changes_nothing(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1); /* gold 5, exp 0 */
    cw_txn_data d = {"q", "{\"v\":1}", 7};
    cw_txn_spec below_gold = {.gold = -6, .data = &d, .ndata = 1};
    cw_txn_spec below_exp = {.gold = 1, .exp = -1, .data = &d, .ndata = 1};
    const int64_t max = (int64_t)1 << 53;
    cw_txn_spec above = {.gold = max - 4};
    cw_txn_spec huge = {.exp = INT64_MIN};
    cw_txn_spec neg_level = {.level = -1};
    char reason[CW_GRANT_REASON_MAX + 2];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = 0;
    cw_txn_spec long_reason = {.gold = 1, .reason = reason};
    cw_txn_data bad = {"q", "{\"v\":}", 6};
    cw_txn_spec bad_data = {.gold = 1, .data = &bad, .ndata = 1};
    cw_txn_spec no_data = {.gold = 1, .ndata = 1};
    cw_txn_spec too_big = {.gold = 1, .data = &d, .ndata = 1};
    assert_int_equal(cw_player_txn(a, &below_gold, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &below_exp, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &above, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &huge, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &neg_level, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &long_reason, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &bad_data, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &no_data, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &too_big, 1, 7), CW_ELIMIT);
    assert_int_equal(cw_player_txn(a, NULL, 1, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_grant(a, -6, 1, "x"), CW_EINVAL);
    assert_null(a->txns);
    assert_null(cw_player_data_get(a, "q"));
    assert_int_equal(cw_player_data_size(a), 0);
    assert_false(cw_player_dirty(a));
    /* the top of the range is allowed */
    cw_txn_spec top = {.gold = max - 5};
    assert_int_equal(cw_player_txn(a, &top, 1, NOCAP), 0);
    cw_txn_spec one_more = {.gold = 1};
    assert_int_equal(cw_player_txn(a, &one_more, 2, NOCAP), CW_EINVAL);
    cw_players_free(ps);
}

/* A queued transaction that only fit because of a carried one that failed is
 * dropped with it. */
static void test_txn_depending_on_a_failed_one_is_dropped(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1); /* gold 5 */
    assert_int_equal(cw_player_grant(a, 10, 1, "in"), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    cw_txn_data d = {"q", "{\"v\":1}", 7};
    cw_txn_spec spend = {.gold = -12, .data = &d, .ndata = 1};
    cw_txn_spec small = {.gold = -1};
    assert_int_equal(cw_player_txn(a, &spend, 2, NOCAP), 0); /* 5 + 10 - 12 = 3 */
    assert_int_equal(cw_player_txn(a, &small, 3, NOCAP), 0); /* 2 */
    seen s = {0};
    cw_players_saved(ps, 1, CW_EUNAVAIL, 1, on_grant, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.token[0], 1);
    assert_int_equal(s.token[1], 2);
    assert_int_equal(s.rc[1], CW_EUNAVAIL);
    assert_null(cw_player_data_get(a, "q"));
    assert_non_null(a->txns); /* the small one still fits: 5 - 1 */
    assert_int_equal(a->txns->token, 3);
    assert_null(a->txns->next);
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(snap.gold, 4);
    cw_players_free(ps);
}

static void test_txn_on_stale_refused(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    cw_txn_data d = {"q", "{\"v\":1}", 7};
    cw_txn_spec t = {.gold = 1, .data = &d, .ndata = 1};
    assert_int_equal(cw_player_txn(a, &t, 1, NOCAP), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect_one(a, &snap), 1);
    assert_int_equal(cw_player_grant(a, 2, 2, "queued"), 0);
    seen s = {0};
    cw_players_saved(ps, 1, CW_ESTATE, 1, on_grant, &s);
    assert_true(a->stale);
    /* the carried one and the queued one: both reported failed, data back */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rc[0], CW_ESTATE);
    assert_int_equal(s.rc[1], CW_ESTATE);
    assert_null(a->txns);
    assert_null(cw_player_data_get(a, "q"));
    assert_int_equal(cw_player_txn(a, &t, 3, NOCAP), CW_ESTATE);
    assert_int_equal(cw_player_grant(a, 1, 4, "x"), CW_ESTATE);
    assert_null(a->txns);
    assert_null(cw_player_data_get(a, "q"));
    assert_int_equal(a->gold, 5);
    cw_players_free(ps);
}

/* A ledger reason follows the text policy: what is refused changes nothing,
 * and the message never quotes the text. */
static void test_txn_reason_is_checked_text(void **state)
{
    (void)state;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1);
    const char *bad[] = {
        "bad\xffr",     /* not UTF-8 */
        "\xc0\xafover", /* overlong */
        "line\nbreak",  /* a control character */
        "esc\x1b[31m",  /* ESC */
        "\xe2\x80\xae"
        "evil",         /* U+202E: right-to-left override */
        "",             /* blank */
        "   ",          /* blank */
        "\xe3\x80\x80", /* U+3000 only: blank */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cw_txn_spec t = {.gold = 1, .reason = bad[i]};
        assert_non_null(cw_txn_reason_problem(bad[i]));
        assert_int_equal(cw_player_txn(a, &t, 1, NOCAP), CW_EINVAL);
    }
    assert_string_equal(cw_txn_reason_problem("bad\xffr"), "is not valid UTF-8");
    assert_non_null(cw_txn_reason_problem(NULL));
    /* the limit counts bytes: 21 three-byte characters fit in 63, 22 do not */
    char fits[3 * 22 + 1] = "";
    for (int i = 0; i < 21; i++)
        strcat(fits, "\xe2\x82\xac"); /* € */
    assert_null(cw_txn_reason_problem(fits));
    strcat(fits, "\xe2\x82\xac");
    assert_non_null(cw_txn_reason_problem(fits));
    assert_null(a->txns);
    assert_false(cw_player_dirty(a));
    /* what passes: printable UTF-8, and no reason at all (internal callers) */
    cw_txn_spec ok = {.gold = 1,
                      .reason = "kill:wolf \xc3\xa9p\xc3\xa9"
                                "e"};
    cw_txn_spec none = {.gold = 1};
    assert_int_equal(cw_player_txn(a, &ok, 1, NOCAP), 0);
    assert_int_equal(cw_player_txn(a, &none, 2, NOCAP), 0);
    cw_players_free(ps);
}

/* 0..2^53 includes both ends, for gold and for experience, and a commit
 * lands exactly on the top. */
static void test_value_bounds_are_inclusive(void **state)
{
    (void)state;
    const int64_t max = (int64_t)1 << 53;
    cw_players *ps = cw_players_new();
    cw_player *a = add(ps, 1, "Ann", 1); /* gold 5, exp 0 */
    cw_txn_spec to_top = {.gold = max - 5, .exp = max, .reason = "top"};
    assert_int_equal(cw_player_txn(a, &to_top, 1, NOCAP), 0);
    cw_player_snapshot snap;
    assert_int_equal(cw_players_collect(ps, &snap, 1, 1), 1);
    assert_int_equal(snap.gold, max);
    assert_int_equal(snap.exp, max);
    seen s = {0};
    cw_players_saved(ps, 1, 0, 1, on_grant, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rc[0], 0);
    assert_int_equal(a->gold, max);
    assert_int_equal(a->exp, max);
    /* one past the top is refused, for either */
    cw_txn_spec gold_over = {.gold = 1, .reason = "over"};
    cw_txn_spec exp_over = {.exp = 1, .reason = "over"};
    assert_int_equal(cw_player_txn(a, &gold_over, 2, NOCAP), CW_EINVAL);
    assert_int_equal(cw_player_txn(a, &exp_over, 2, NOCAP), CW_EINVAL);
    /* and down to exactly 0 is allowed */
    cw_txn_spec to_zero = {.gold = -max, .exp = -max, .reason = "spent"};
    assert_int_equal(cw_player_txn(a, &to_zero, 3, NOCAP), 0);
    cw_txn_spec below = {.gold = -1, .reason = "below"};
    assert_int_equal(cw_player_txn(a, &below, 4, NOCAP), CW_EINVAL);
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
        cmocka_unit_test(test_data_get_set),
        cmocka_unit_test(test_added_with_data),
        cmocka_unit_test(test_txn_queued_then_committed),
        cmocka_unit_test(test_txn_failure_rolls_back_data),
        cmocka_unit_test(test_txn_rollback_keeps_later_writes),
        cmocka_unit_test(test_txns_compose),
        cmocka_unit_test(test_txn_refused_changes_nothing),
        cmocka_unit_test(test_txn_depending_on_a_failed_one_is_dropped),
        cmocka_unit_test(test_txn_on_stale_refused),
        cmocka_unit_test(test_txn_reason_is_checked_text),
        cmocka_unit_test(test_value_bounds_are_inclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
