/* test_trade.c — the two transactions of a trade (cw_players_trade): items
 * change owner and gold moves both ways, both halves are collected into one
 * fail-together snapshot group (never one without the other, never while
 * either side has a save in flight), the receiver writes each received
 * instance against the giver's stored version, both commit or both roll
 * back, a half that fails while the other is still queued takes it along,
 * and items held by a trade refuse destroying, moving and other trades. */
#include "core/game/players.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

typedef struct seen {
    int ok, failed, last_rc;
} seen;

static void on_grant(uint64_t token, int rc, const cw_player *p, int64_t g, int64_t e, int l,
                     void *ud)
{
    (void)token, (void)p, (void)g, (void)e, (void)l;
    seen *s = ud;
    if (rc == 0)
        s->ok++;
    else
        s->failed++;
    s->last_rc = rc;
}

static cw_player *add(cw_players *ps, int64_t id, const char *name, int64_t gold,
                      const cw_item_init *items, int n, int slots)
{
    cw_player_init in = {.id = id,
                         .account_id = 7,
                         .version = 1,
                         .name = name,
                         .race = "elf",
                         .job = "mage",
                         .zone = "start",
                         .doc = "{}",
                         .level = 1,
                         .gold = gold,
                         .items = items,
                         .nitems = n,
                         .inv_slots = slots};
    cw_player *p = NULL;
    assert_int_equal(cw_players_add(ps, &in, &p), 0);
    return p;
}

typedef struct world {
    cw_players *ps;
    cw_player *a, *b;
} world;

/* Ann: ring 10 (v3) and 100 gold; Bob: gem 20 (x3, v1) and 50 gold. */
static world make(int bob_slots)
{
    world w;
    w.ps = cw_players_new();
    cw_item_init ring = {.uid = 10,
                         .stack = 1,
                         .version = 3,
                         .tmpl = "ring",
                         .place = "inv:0",
                         .props = "{\"q\":1}"};
    cw_item_init gem[2] = {
        {.uid = 20, .stack = 3, .version = 1, .tmpl = "gem", .place = "inv:0", .props = "{}"},
        {.uid = 21, .stack = 1, .version = 1, .tmpl = "axe", .place = "inv:1", .props = "{}"}};
    w.a = add(w.ps, 1, "Ann", 100, &ring, 1, 0);
    w.b = add(w.ps, 2, "Bob", 50, gem, 2, bob_slots);
    return w;
}

static int trade(world *w, int64_t ua, int64_t ga, int64_t ub, int64_t gb, uint64_t hold)
{
    cw_trade_give x = {.uids = &ua, .nuids = ua ? 1 : 0, .gold = ga, .token = 1};
    cw_trade_give y = {.uids = &ub, .nuids = ub ? 1 : 0, .gold = gb, .token = 2};
    return cw_players_trade(w->ps, w->a, &x, w->b, &y, "trade", hold);
}

static void test_commit_moves_both_ways(void **state)
{
    (void)state;
    world w = make(0);
    assert_int_equal(trade(&w, 10, 30, 20, 10, 0), 0);
    /* live at once: the ring is a tombstone on Ann's side, a copy on Bob's */
    assert_int_equal(cw_player_item(w.a, 10)->stack, 0);
    assert_int_equal(cw_player_item(w.a, 10)->moved_to, 2);
    cw_item *r = cw_player_item(w.b, 10);
    assert_non_null(r);
    assert_int_equal(r->stack, 1);
    assert_int_equal(r->committed, 0);
    assert_int_equal(r->moved_from, 1);
    assert_string_equal(r->place, "inv:2");
    assert_string_equal(r->props, "{\"q\":1}");
    assert_int_equal(cw_player_item(w.a, 20)->stack, 3);
    assert_string_equal(cw_player_item(w.a, 20)->place, "inv:1");
    assert_int_equal(w.a->gold, 100); /* not before the commit */
    /* one group of two snapshots, whichever side is collected */
    cw_player_snapshot snap[4];
    assert_int_equal(cw_players_collect_with(w.ps, w.b, snap, 4), 2);
    assert_true(snap[0].group != 0);
    assert_int_equal(snap[0].group, snap[1].group);
    int64_t gold[3] = {0};
    for (int i = 0; i < 2; i++)
        gold[snap[i].id] = snap[i].gold;
    assert_int_equal(gold[1], 80);
    assert_int_equal(gold[2], 70);
    assert_int_equal(r->saving_version, 3); /* written against Ann's stored row */
    const cw_txn *t = w.a->txns_inflight;
    assert_non_null(t);
    assert_int_equal(t->counterpart, 2);
    assert_int_equal(t->gold_sent, 30);
    assert_int_equal(t->gold, -20);
    seen s = {0};
    cw_players_saved(w.ps, 1, 0, 1, on_grant, &s);
    cw_players_saved(w.ps, 2, 0, 1, on_grant, &s);
    assert_int_equal(s.ok, 2);
    assert_int_equal(w.a->gold, 80);
    assert_int_equal(w.b->gold, 70);
    assert_null(cw_player_item(w.a, 10)); /* gone once its move is stored */
    r = cw_player_item(w.b, 10);
    assert_int_equal(r->committed, 1);
    assert_int_equal(r->version, 4);
    assert_int_equal(r->moved_from, 0);
    assert_int_equal(cw_player_item(w.a, 20)->committed, 3);
    assert_int_equal(cw_player_item(w.a, 20)->version, 2);
    assert_int_equal(cw_players_collect(w.ps, snap, 4, 1), 0);
    cw_players_free(w.ps);
}

static void test_failure_rolls_back_both(void **state)
{
    (void)state;
    world w = make(0);
    assert_int_equal(trade(&w, 10, 30, 20, 10, 0), 0);
    cw_player_snapshot snap[4];
    assert_int_equal(cw_players_collect(w.ps, snap, 4, 1), 2);
    seen s = {0};
    cw_players_saved(w.ps, 1, CW_EABORT, 1, on_grant, &s);
    cw_players_saved(w.ps, 2, CW_ESTATE, 1, on_grant, &s);
    assert_int_equal(s.failed, 2);
    assert_int_equal(w.a->gold, 100);
    assert_int_equal(w.b->gold, 50);
    assert_int_equal(cw_player_item(w.a, 10)->stack, 1);
    assert_int_equal(cw_player_item(w.a, 10)->moved_to, 0);
    assert_int_equal(cw_player_item(w.b, 20)->stack, 3);
    assert_int_equal(cw_player_item(w.b, 10)->stack, 0); /* the copy never arrived */
    assert_int_equal(cw_player_item(w.a, 20)->stack, 0);
    /* Ann's next save writes nothing of the ring it never gave away */
    assert_int_equal(cw_players_collect_with(w.ps, w.a, snap, 4), 1);
    assert_int_equal(snap[0].group, 0);
    cw_players_free(w.ps);
}

static void test_waits_for_partner_in_flight(void **state)
{
    (void)state;
    world w = make(0);
    cw_player_snapshot snap[4];
    assert_int_equal(cw_player_grant(w.b, 5, 9, "quest"), 0);
    assert_int_equal(cw_players_collect_with(w.ps, w.b, snap, 4), 1); /* Bob's save in flight */
    assert_int_equal(trade(&w, 10, 0, 0, 0, 0), 0);
    assert_int_equal(cw_players_collect_with(w.ps, w.a, snap, 4), 0);
    assert_int_equal(cw_players_collect(w.ps, snap, 4, 0), 0);
    assert_int_equal(cw_players_collect_with(w.ps, w.a, snap, 1), 0); /* no room for two */
    seen s = {0};
    cw_players_saved(w.ps, 2, 0, 1, on_grant, &s);
    assert_int_equal(cw_players_collect(w.ps, snap, 4, 1), 2);
    cw_players_saved(w.ps, 1, 0, 1, on_grant, &s);
    cw_players_saved(w.ps, 2, 0, 1, on_grant, &s);
    assert_int_equal(s.ok, 3);
    assert_int_equal(w.b->gold, 55);
    assert_int_equal(cw_player_item(w.b, 10)->committed, 1);
    cw_players_free(w.ps);
}

/* Ann's save in flight turns out stale: her queued half is dropped, and so
 * is Bob's (still queued), so the trade never commits on one side. */
static void test_dropped_half_takes_the_other(void **state)
{
    (void)state;
    world w = make(0);
    cw_player_snapshot snap[4];
    assert_int_equal(cw_player_grant(w.a, 5, 9, "quest"), 0);
    assert_int_equal(cw_players_collect_with(w.ps, w.a, snap, 4), 1);
    assert_int_equal(trade(&w, 10, 30, 20, 10, 0), 0);
    seen s = {0};
    cw_players_saved(w.ps, 1, CW_ESTATE, 1, on_grant, &s);
    assert_int_equal(s.failed, 3); /* the grant and both halves */
    assert_null(w.b->txns);
    assert_int_equal(cw_player_item(w.b, 20)->stack, 3);
    assert_int_equal(cw_player_item(w.b, 10)->stack, 0);
    assert_int_equal(w.b->gold, 50);
    assert_int_equal(cw_players_collect_with(w.ps, w.b, snap, 4), 0); /* nothing left to save */
    cw_players_free(w.ps);
}

static void test_refusals_and_holds(void **state)
{
    (void)state;
    world w = make(2); /* Bob has no free slot */
    assert_int_equal(trade(&w, 10, 0, 0, 0, 0), CW_EFULL);
    cw_players_free(w.ps);
    w = make(0);
    assert_int_equal(trade(&w, 99, 0, 0, 0, 0), CW_ENOTFOUND);
    assert_int_equal(trade(&w, 0, 101, 0, 0, 0), CW_EINVAL); /* more gold than Ann has */
    assert_int_equal(trade(&w, 0, -1, 0, 0, 0), CW_EINVAL);
    int64_t twice[2] = {10, 10};
    cw_trade_give x = {.uids = twice, .nuids = 2}, none = {0};
    assert_int_equal(cw_players_trade(w.ps, w.a, &x, w.b, &none, "trade", 0), CW_EINVAL);
    assert_int_equal(cw_players_trade(w.ps, w.a, &none, w.a, &none, "trade", 0), CW_EINVAL);
    /* held by trade 7: other trades, destroying and moving are refused */
    cw_player_item(w.a, 10)->hold = 7;
    assert_int_equal(trade(&w, 10, 0, 0, 0, 8), CW_EBUSY);
    cw_txn_item op = {.op = CW_TXN_ITEM_DESTROY, .uid = 10, .count = 1};
    cw_txn_spec t = {.reason = "use", .items = &op, .nitems = 1};
    assert_int_equal(cw_player_txn(w.a, &t, 3, 1 << 20), CW_EBUSY);
    assert_int_equal(cw_player_item_move(w.a, 10, "eq:finger"), CW_EBUSY);
    assert_null(w.a->txns);
    assert_int_equal(trade(&w, 10, 0, 0, 0, 7), 0); /* its own trade may */
    assert_int_equal(cw_player_item(w.a, 10)->hold, 0);
    /* an item with a queued change is not tradable */
    assert_int_equal(trade(&w, 0, 0, 20, 0, 0), 0);
    cw_player_snapshot snap[4];
    assert_int_equal(cw_players_collect(w.ps, snap, 4, 1), 2);
    cw_players_free(w.ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_moves_both_ways),
        cmocka_unit_test(test_failure_rolls_back_both),
        cmocka_unit_test(test_waits_for_partner_in_flight),
        cmocka_unit_test(test_dropped_half_takes_the_other),
        cmocka_unit_test(test_refusals_and_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
