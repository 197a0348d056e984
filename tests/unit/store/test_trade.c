/* test_trade.c — a "fail together" group in a character save (a trade
 * between two characters): both rows, their item transfers and their
 * ledger rows (gold and items with from/to) are written together; when one
 * row is stale, refused by the database or refused before it, or one of its
 * items is stale, neither is written (the other gets CW_EABORT) and the
 * rest of the batch is. SQLite always, PostgreSQL when CHAOS_TEST_PG is set. */
#include "core/io/store/store.h"

#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define STORE_FIXTURE_PREFIX "trade"
#include "tests/unit/store/store_fixture.h"

#include "tests/unit/store/char_fixture.h"

static void on_audit(void *ud, int rc, const cw_audit_report *r)
{
    int64_t *issues = ud;
    *issues = rc == 0 ? r->issues : -1;
}

static int64_t audit(cw_store *s)
{
    int64_t issues = -2;
    cw_store_audit(s, on_audit, &issues);
    return issues;
}

/* Eve (a) holds ring 41 and 100 gold; Fay (b) holds gem 42 and 50 gold. */
typedef struct pair {
    cw_character c[3];
    int64_t acc;
} pair;

static pair setup_pair(const backend *b, cw_store *s)
{
    (void)b;
    pair p;
    answer a = {0};
    cw_store_account_create(s, "traders", "h", on_account, &a);
    p.acc = a.id;
    p.c[0] = make_char(s, a.id, "Eve");
    p.c[1] = make_char(s, a.id, "Fay");
    p.c[2] = make_char(s, a.id, "Gus");
    cw_item_row mk[2] = {
        {.uid = 41, .template_id = "ring", .stack = 1, .place = "inv:0", .props = "{}"},
        {.uid = 42, .template_id = "gem", .stack = 3, .place = "inv:0", .props = "{}"}};
    cw_ledger_entry l[2][2] = {{{.kind = "gold", .amount = 100, .reason = "seed"},
                                {.kind = "item",
                                 .reason = "seed",
                                 .item_id = 41,
                                 .item_template = "ring",
                                 .item_stack = 1}},
                               {{.kind = "gold", .amount = 50, .reason = "seed"},
                                {.kind = "item",
                                 .reason = "seed",
                                 .item_id = 42,
                                 .item_template = "gem",
                                 .item_stack = 3}}};
    const char *docs[2] = {"{\"gold\":100,\"exp\":0}", "{\"gold\":50,\"exp\":0}"};
    for (int i = 0; i < 2; i++) {
        p.c[i].items = &mk[i];
        p.c[i].nitems = 1;
        p.c[i].ledger = l[i];
        p.c[i].nledger = 2;
        p.c[i].doc = docs[i];
    }
    answer sv;
    assert_int_equal(save(s, p.c, 2, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(sv.results[1], 0);
    for (int i = 0; i < 3; i++) {
        p.c[i].version = i < 2 ? 2 : 1;
        p.c[i].items = NULL;
        p.c[i].nitems = 0;
        p.c[i].ledger = NULL;
        p.c[i].nledger = 0;
    }
    return p;
}

/* The trade: ring 41 and 30 gold from Eve to Fay, gem 42 (3) and 10 gold
 * from Fay to Eve; each side writes the transfers it receives (items) and
 * the gold it sends. */
typedef struct trade_rows {
    cw_item_row it[2];
    cw_ledger_entry l[2][2];
} trade_rows;

static void make_trade(pair *p, trade_rows *t, int64_t group)
{
    cw_character *a = &p->c[0], *b = &p->c[1];
    t->it[0] = (cw_item_row){.uid = 42,
                             .template_id = "gem",
                             .stack = 3,
                             .place = "inv:1",
                             .props = "{}",
                             .version = 1,
                             .prev_owner = b->id};
    t->it[1] = (cw_item_row){.uid = 41,
                             .template_id = "ring",
                             .stack = 1,
                             .place = "inv:1",
                             .props = "{}",
                             .version = 1,
                             .prev_owner = a->id};
    t->l[0][0] =
        (cw_ledger_entry){.kind = "gold", .amount = 30, .reason = "trade", .counterpart = b->id};
    t->l[0][1] = (cw_ledger_entry){.kind = "item",
                                   .reason = "trade",
                                   .item_id = 42,
                                   .item_template = "gem",
                                   .item_stack = 3,
                                   .counterpart = b->id};
    t->l[1][0] =
        (cw_ledger_entry){.kind = "gold", .amount = 10, .reason = "trade", .counterpart = a->id};
    t->l[1][1] = (cw_ledger_entry){.kind = "item",
                                   .reason = "trade",
                                   .item_id = 41,
                                   .item_template = "ring",
                                   .item_stack = 1,
                                   .counterpart = a->id};
    a->doc = "{\"gold\":80,\"exp\":0}";
    b->doc = "{\"gold\":70,\"exp\":0}";
    for (int i = 0; i < 2; i++) {
        p->c[i].items = &t->it[i];
        p->c[i].nitems = 1;
        p->c[i].ledger = t->l[i];
        p->c[i].nledger = 2;
        p->c[i].group = group;
    }
}

static void assert_untouched(const backend *b, const pair *p, long long ledger_rows)
{
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger"), ledger_rows);
    assert_int_equal(raw(b, "SELECT owner_character_id FROM item_instances WHERE id = 41"),
                     p->c[0].id);
    assert_int_equal(raw(b, "SELECT owner_character_id FROM item_instances WHERE id = 42"),
                     p->c[1].id);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", p->c[0].id), 2);
}

static void test_group_commits_both_ways(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    pair p = setup_pair(b, s);
    trade_rows t;
    make_trade(&p, &t, 7);
    p.c[2].doc = "{\"gold\":0,\"exp\":0,\"x\":1}";
    answer sv;
    assert_int_equal(save(s, p.c, 3, &sv), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sv.results[i], 0);
    assert_int_equal(raw(b, "SELECT owner_character_id FROM item_instances WHERE id = 41"),
                     p.c[1].id);
    assert_int_equal(raw(b, "SELECT owner_character_id FROM item_instances WHERE id = 42"),
                     p.c[0].id);
    assert_int_equal(q(b,
                       "SELECT amount FROM ledger WHERE kind = 'gold' AND reason = 'trade' AND "
                       "from_character_id = %lld",
                       p.c[0].id),
                     30);
    assert_int_equal(q(b,
                       "SELECT to_character_id FROM ledger WHERE kind = 'gold' AND "
                       "reason = 'trade' AND amount = 10 AND from_character_id = %lld",
                       p.c[1].id),
                     p.c[0].id);
    assert_int_equal(q(b,
                       "SELECT from_character_id FROM ledger WHERE item_id = 41 AND "
                       "reason = 'trade' AND to_character_id = %lld",
                       p.c[1].id),
                     p.c[0].id);
    assert_int_equal(audit(s), 0);
    cw_store_close(s);
}

static void test_stale_partner_fails_both(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    pair p = setup_pair(b, s);
    long long before = raw(b, "SELECT count(*) FROM ledger");
    trade_rows t;
    make_trade(&p, &t, 9);
    p.c[1].version = 1; /* Fay's copy is stale */
    p.c[2].doc = "{\"gold\":0,\"exp\":0,\"x\":2}";
    answer sv;
    assert_int_equal(save(s, p.c, 3, &sv), 0);
    assert_int_equal(sv.results[0], CW_EABORT);
    assert_int_equal(sv.results[1], CW_ESTATE);
    assert_int_equal(sv.results[2], 0); /* the rest of the batch is saved */
    assert_untouched(b, &p, before);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", p.c[2].id), 2);
    assert_int_equal(audit(s), 0);
    cw_store_close(s);
}

static void test_stale_item_fails_both(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    pair p = setup_pair(b, s);
    long long before = raw(b, "SELECT count(*) FROM ledger");
    trade_rows t;
    make_trade(&p, &t, 11);
    t.it[1].version = 5; /* the ring Fay receives is not at that version */
    answer sv;
    assert_int_equal(save(s, p.c, 2, &sv), 0);
    assert_int_equal(sv.results[0], CW_EABORT);
    assert_int_equal(sv.results[1], CW_ESTATE);
    assert_untouched(b, &p, before);
    assert_int_equal(audit(s), 0);
    cw_store_close(s);
}

static void test_refused_partner_fails_both(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    pair p = setup_pair(b, s);
    long long before = raw(b, "SELECT count(*) FROM ledger");
    trade_rows t;
    make_trade(&p, &t, 13);
    p.c[0].doc = "[1]"; /* not an object: the database refuses Eve's row */
    p.c[2].doc = "{\"gold\":0,\"exp\":0,\"x\":3}";
    answer sv;
    assert_int_equal(save(s, p.c, 3, &sv), 0);
    assert_true(sv.results[0] != 0 && sv.results[0] != CW_EABORT);
    assert_int_equal(sv.results[1], CW_EABORT);
    assert_int_equal(sv.results[2], 0);
    assert_untouched(b, &p, before);
    /* a row refused before the database takes its group with it too */
    make_trade(&p, &t, 13);
    p.c[1].x = HUGE_VAL; /* not finite */
    assert_int_equal(save(s, p.c, 2, &sv), 0);
    assert_int_equal(sv.results[0], CW_EABORT);
    assert_int_equal(sv.results[1], CW_EINVAL);
    assert_untouched(b, &p, before);
    assert_int_equal(audit(s), 0);
    cw_store_close(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_group_commits_both_ways),
    T(test_stale_partner_fails_both),
    T(test_stale_item_fails_both),
    T(test_refused_partner_fails_both),
};

STORE_FIXTURE_MAIN(tests)
