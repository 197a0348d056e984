/* test_trade_machine.c — the trade state machine (core/game/trade.h):
 * request → respond → offers → lock → confirm → commit; one trade per
 * character; changing an offer unlocks both sides; confirming needs both
 * locks; offered items and gold are held (destroy, move, spending and a
 * second trade answer CW_EBUSY) and released by cancel, decline and
 * finish; a committing trade cannot be cancelled; range. */
#include "core/game/trade.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static cw_player *add(cw_players *ps, int64_t id, const char *name, int64_t gold,
                      const cw_item_init *items, int n)
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
                         .nitems = n};
    cw_player *p = NULL;
    assert_int_equal(cw_players_add(ps, &in, &p), 0);
    return p;
}

typedef struct fx {
    cw_players *ps;
    cw_trades *ts;
    cw_player *a, *b, *c;
} fx;

static int setup(void **state)
{
    static fx f;
    f.ps = cw_players_new();
    cw_item_init ia[2] = {
        {.uid = 10, .stack = 1, .version = 1, .tmpl = "ring", .place = "inv:0", .props = "{}"},
        {.uid = 11, .stack = 5, .version = 1, .tmpl = "herb", .place = "inv:1", .props = "{}"}};
    cw_item_init ib = {
        .uid = 20, .stack = 1, .version = 1, .tmpl = "gem", .place = "inv:0", .props = "{}"};
    f.a = add(f.ps, 1, "Ann", 100, ia, 2);
    f.b = add(f.ps, 2, "Bob", 50, &ib, 1);
    f.c = add(f.ps, 3, "Cid", 0, NULL, 0);
    f.ts = cw_trades_new(f.ps);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cw_trades_free(f->ts);
    cw_players_free(f->ps);
    return 0;
}

static cw_trade *open_trade(fx *f)
{
    cw_trade *t = NULL;
    assert_int_equal(cw_trade_request(f->ts, 1, 2, &t), 0);
    assert_int_equal(t->state, CW_TRADE_ASKED);
    assert_int_equal(cw_trade_respond(f->ts, 1, 1, NULL), CW_ESTATE);      /* the asker cannot */
    assert_int_equal(cw_trade_offer_set(f->ts, 1, NULL, 0, 5), CW_ESTATE); /* not open yet */
    assert_int_equal(cw_trade_respond(f->ts, 2, 1, NULL), 0);
    assert_int_equal(t->state, CW_TRADE_OPEN);
    return t;
}

static void test_full_flow_commits(void **state)
{
    fx *f = *state;
    cw_trade *t = open_trade(f);
    int64_t ua = 10, ub = 20;
    assert_int_equal(cw_trade_offer_set(f->ts, 1, &ua, 1, 30), 0);
    assert_int_equal(cw_trade_offer_set(f->ts, 2, &ub, 1, 0), 0);
    int both = 0;
    assert_int_equal(cw_trade_confirm(f->ts, 1, &both), CW_ESTATE); /* not locked */
    assert_int_equal(cw_trade_lock(f->ts, 1), 0);
    assert_int_equal(cw_trade_lock(f->ts, 2), 0);
    assert_int_equal(cw_trade_confirm(f->ts, 1, &both), 0);
    assert_int_equal(both, 0);
    assert_int_equal(cw_trade_confirm(f->ts, 2, &both), 0);
    assert_int_equal(both, 1);
    assert_int_equal(t->state, CW_TRADE_COMMITTING);
    assert_int_equal(cw_trade_cancel(f->ts, 1, NULL), CW_ESTATE); /* too late */
    assert_int_equal(cw_trade_commit(f->ts, t, "trade", 5, 6), 0);
    assert_int_equal(f->a->gold_held, 0);
    assert_int_equal(cw_player_item(f->a, 10)->moved_to, 2);
    assert_non_null(cw_player_item(f->b, 10));
    assert_non_null(f->a->txns);
    assert_int_equal(f->a->txns->token, 5);
    assert_int_equal(f->b->txns->token, 6);
    uint64_t id = t->id;
    cw_trade_finish(f->ts, id);
    assert_null(cw_trades_of(f->ts, 1, NULL));
    assert_int_equal(f->a->gold_held, 0);
}

static void test_offer_change_unlocks_both(void **state)
{
    fx *f = *state;
    cw_trade *t = open_trade(f);
    assert_int_equal(cw_trade_lock(f->ts, 1), 0);
    assert_int_equal(cw_trade_lock(f->ts, 2), 0);
    assert_int_equal(cw_trade_confirm(f->ts, 1, NULL), 0);
    int64_t ub = 20;
    assert_int_equal(cw_trade_offer_set(f->ts, 2, &ub, 1, 0), 0);
    assert_false(t->offer[0].locked || t->offer[1].locked || t->offer[0].confirmed);
    assert_int_equal(cw_trade_confirm(f->ts, 2, NULL), CW_ESTATE);
    assert_int_equal(t->state, CW_TRADE_OPEN);
}

static void test_holds_and_release(void **state)
{
    fx *f = *state;
    cw_trade *t = open_trade(f);
    int64_t ua[2] = {10, 11};
    assert_int_equal(cw_trade_offer_set(f->ts, 1, ua, 2, 60), 0);
    assert_int_equal(cw_player_item(f->a, 10)->hold, t->id);
    assert_int_equal(f->a->gold_held, 60);
    /* held: destroy, move and spending the offered gold are refused */
    cw_txn_item op = {.op = CW_TXN_ITEM_DESTROY, .uid = 11, .count = 1};
    cw_txn_spec d = {.reason = "use", .items = &op, .nitems = 1};
    assert_int_equal(cw_player_txn(f->a, &d, 1, 1 << 20), CW_EBUSY);
    assert_int_equal(cw_player_item_move(f->a, 10, "eq:finger"), CW_EBUSY);
    assert_int_equal(cw_player_grant(f->a, -50, 2, "shop"), CW_EBUSY);
    assert_int_equal(cw_player_grant(f->a, -40, 3, "shop"), 0);           /* the rest is free */
    assert_int_equal(cw_trade_offer_set(f->ts, 1, ua, 2, 61), CW_EINVAL); /* 60 free at most */
    /* one trade per character; a second trade cannot take held items */
    assert_int_equal(cw_trade_request(f->ts, 3, 1, NULL), CW_EBUSY);
    /* re-offering drops the holds of items no longer offered */
    assert_int_equal(cw_trade_offer_set(f->ts, 1, &ua[1], 1, 10), 0);
    assert_int_equal(cw_player_item(f->a, 10)->hold, 0);
    assert_int_equal(f->a->gold_held, 10);
    /* bad offers change nothing */
    int64_t bad[2] = {11, 11};
    assert_int_equal(cw_trade_offer_set(f->ts, 1, bad, 2, 0), CW_EINVAL);
    int64_t theirs = 20;
    assert_int_equal(cw_trade_offer_set(f->ts, 1, &theirs, 1, 0), CW_ENOTFOUND);
    assert_int_equal(cw_trade_offer_set(f->ts, 1, NULL, 0, -1), CW_EINVAL);
    assert_int_equal(cw_trade_offer_set(f->ts, 1, ua, CW_TRADE_ITEMS_MAX + 1, 0), CW_ELIMIT);
    assert_int_equal(cw_player_item(f->a, 11)->hold, t->id);
    cw_trade copy;
    assert_int_equal(cw_trade_cancel(f->ts, 2, &copy), 0);
    assert_int_equal(copy.offer[0].gold, 10);
    assert_int_equal(cw_player_item(f->a, 11)->hold, 0);
    assert_int_equal(f->a->gold_held, 0);
    assert_int_equal(cw_trade_cancel(f->ts, 2, NULL), CW_ENOTFOUND);
    /* now another trade may offer them */
    assert_int_equal(cw_trade_request(f->ts, 1, 3, NULL), 0);
    assert_int_equal(cw_trade_respond(f->ts, 3, 1, NULL), 0);
    assert_int_equal(cw_trade_offer_set(f->ts, 1, ua, 2, 0), 0);
}

static void test_item_held_elsewhere_is_busy(void **state)
{
    fx *f = *state;
    open_trade(f);
    int64_t ua = 10;
    assert_int_equal(cw_trade_offer_set(f->ts, 1, &ua, 1, 0), 0);
    /* a hold from another trade (as if Ann's item were offered twice) */
    cw_player_item(f->a, 11)->hold = 999;
    int64_t both[2] = {10, 11};
    assert_int_equal(cw_trade_offer_set(f->ts, 1, both, 2, 0), CW_EBUSY);
    cw_player_item(f->a, 11)->hold = 0;
}

static void test_decline_and_bad_requests(void **state)
{
    fx *f = *state;
    assert_int_equal(cw_trade_request(f->ts, 1, 1, NULL), CW_EINVAL);
    assert_int_equal(cw_trade_request(f->ts, 1, 42, NULL), CW_ENOTFOUND);
    assert_int_equal(cw_trade_lock(f->ts, 1), CW_ENOTFOUND);
    cw_trade *t = NULL;
    assert_int_equal(cw_trade_request(f->ts, 1, 2, &t), 0);
    cw_trade copy;
    assert_int_equal(cw_trade_respond(f->ts, 2, 0, &copy), 0);
    assert_int_equal(copy.who[0], 1);
    assert_null(cw_trades_of(f->ts, 2, NULL));
    assert_true(cw_trade_in_range(0, 0, 6, 8)); /* 10 */
    assert_false(cw_trade_in_range(0, 0, 6, 8.1));
}

/* Positions for the range rule: Ann, Bob, Cid (index id-1); zone -1 = not in the world. */
typedef struct spot {
    int zone[3];
    double x[3];
} spot;

static int where(void *ud, int64_t id, int *zone, double *x, double *y)
{
    spot *s = ud;
    if (id < 1 || id > 3 || s->zone[id - 1] < 0) return CW_ENOTFOUND;
    *zone = s->zone[id - 1];
    *x = s->x[id - 1];
    *y = 0;
    return 0;
}

static void test_sweep_range_rule(void **state)
{
    fx *f = *state;
    spot sp = {{0, 0, 0}, {0, 10, 0}};
    assert_true(cw_trade_near(where, &sp, 1, 2)); /* exactly 10 */
    cw_trade *t = open_trade(f);
    int64_t ua = 10;
    assert_int_equal(cw_trade_offer_set(f->ts, 1, &ua, 1, 40), 0);
    cw_trade out[4];
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 4), 0);
    assert_ptr_equal(cw_trades_of(f->ts, 1, NULL), t);
    sp.zone[1] = 1; /* same spot, another zone */
    assert_false(cw_trade_near(where, &sp, 1, 2));
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 4), 1);
    assert_int_equal(out[0].who[1], 2);
    assert_null(cw_trades_of(f->ts, 1, NULL));
    assert_int_equal(cw_player_item(f->a, 10)->hold, 0); /* released */
    assert_int_equal(f->a->gold_held, 0);
    assert_string_equal(cw_trade_end_name(CW_TRADE_END_RANGE), "out_of_range");
}

static void test_sweep_spares_committing_and_counts(void **state)
{
    fx *f = *state;
    spot sp = {{0, 0, -1}, {0, 50, 0}}; /* Bob far away, Cid gone */
    cw_trade *t = open_trade(f);
    assert_int_equal(cw_trade_lock(f->ts, 1), 0);
    assert_int_equal(cw_trade_lock(f->ts, 2), 0);
    assert_int_equal(cw_trade_confirm(f->ts, 1, NULL), 0);
    assert_int_equal(cw_trade_confirm(f->ts, 2, NULL), 0);
    assert_int_equal(t->state, CW_TRADE_COMMITTING);
    cw_trade out[1];
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 1), 0); /* too late to end */
    cw_trade_finish(f->ts, t->id);
    /* two trades apart, room for one: the other waits for the next sweep */
    cw_player_init in = {.id = 4,
                         .account_id = 7,
                         .version = 1,
                         .name = "Dee",
                         .race = "elf",
                         .job = "mage",
                         .zone = "start",
                         .doc = "{}",
                         .level = 1};
    cw_player *d = NULL;
    assert_int_equal(cw_players_add(f->ps, &in, &d), 0);
    assert_int_equal(cw_trade_request(f->ts, 1, 2, NULL), 0);
    assert_int_equal(cw_trade_request(f->ts, 3, 4, NULL), 0);
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 1), 1);
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 1), 1);
    assert_int_equal(cw_trades_sweep(f->ts, where, &sp, out, 1), 0);
    assert_int_equal(cw_trades_sweep(f->ts, NULL, NULL, out, 1), 0); /* none left */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_full_flow_commits),
        T(test_offer_change_unlocks_both),
        T(test_holds_and_release),
        T(test_item_held_elsewhere_is_busy),
        T(test_decline_and_bad_requests),
        T(test_sweep_range_rule),
        T(test_sweep_spares_committing_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
