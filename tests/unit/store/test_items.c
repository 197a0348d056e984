/* test_items.c — item instance rows travel with a character save: inserted,
 * updated (version-checked), moved to another character and deleted in the
 * same database transaction as the character row and its ledger rows of kind
 * "item", and not at all when the row is refused; a load reads the row and
 * its items together. SQLite always, PostgreSQL when CHAOS_TEST_PG is set. */
#include "core/io/store/store.h"

#include <libpq-fe.h>
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

#define STORE_FIXTURE_PREFIX "items"
#include "tests/unit/store/store_fixture.h"

#include "tests/unit/store/char_fixture.h"

static answer load(cw_store *s, const cw_character *c)
{
    answer a = {0};
    cw_store_character_load(s, c->account_id, c->id, on_char, &a);
    assert_int_equal(a.rc, 0);
    return a;
}

static void test_create_items_with_ledger_and_load(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "items", "h", on_account, &a);
    cw_character c = make_char(s, a.id, "Ann");
    cw_item_row it[2] = {
        {.uid = 501, .template_id = "potion", .stack = 5, .place = "inv:0", .props = "{}"},
        {.uid = 502,
         .template_id = "sword",
         .stack = 1,
         .place = "inv:1",
         .props = "{\"stats\":{\"atk\":3}}"}};
    cw_ledger_entry l[2] = {{.kind = "item",
                             .reason = "loot",
                             .item_id = 501,
                             .item_template = "potion",
                             .item_stack = 5},
                            {.kind = "item",
                             .reason = "loot",
                             .item_id = 502,
                             .item_template = "sword",
                             .item_stack = 1}};
    c.items = it;
    c.nitems = 2;
    c.ledger = l;
    c.nledger = 2;
    answer sv;
    assert_int_equal(save(s, &c, 1, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(
        q(b, "SELECT count(*) FROM item_instances WHERE owner_character_id = %lld", c.id), 2);
    assert_int_equal(q(b,
                       "SELECT sum(item_stack) FROM ledger WHERE kind = 'item' AND "
                       "to_character_id = %lld AND from_character_id IS NULL",
                       c.id),
                     6);
    answer ld = load(s, &c);
    assert_int_equal(ld.nitems, 2);
    assert_int_equal(ld.uid[0], 501);
    assert_int_equal(ld.stack[0], 5);
    assert_int_equal(ld.version[0], 1);
    assert_string_equal(ld.place[1], "inv:1");
    cw_store_close(s);
}

static void test_stale_row_writes_no_items(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "stale", "h", on_account, &a);
    cw_character c = make_char(s, a.id, "Bea");
    cw_item_row it = {.uid = 7, .template_id = "gem", .stack = 1, .place = "inv:0", .props = "{}"};
    cw_ledger_entry l = {
        .kind = "item", .reason = "x", .item_id = 7, .item_template = "gem", .item_stack = 1};
    c.items = &it;
    c.nitems = 1;
    c.ledger = &l;
    c.nledger = 1;
    c.version = 5; /* not the stored version */
    answer sv;
    assert_int_equal(save(s, &c, 1, &sv), 0);
    assert_int_equal(sv.results[0], CW_ESTATE);
    assert_int_equal(raw(b, "SELECT count(*) FROM item_instances"), 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger WHERE kind = 'item'"), 0);
    cw_store_close(s);
}

/* An item whose stored version moved on fails its character row (and only
 * it): nothing of that row is written, the other row of the batch is. */
static void test_stale_item_fails_its_row_only(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "staleitem", "h", on_account, &a);
    cw_character c[2] = {make_char(s, a.id, "Cid"), make_char(s, a.id, "Dot")};
    cw_item_row mk = {.uid = 9, .template_id = "gem", .stack = 2, .place = "inv:0", .props = "{}"};
    c[0].items = &mk;
    c[0].nitems = 1;
    answer sv;
    assert_int_equal(save(s, c, 1, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    c[0].version = 2;
    /* destroy one with the wrong item version; the other row gains an item */
    cw_item_row bad = {
        .uid = 9, .template_id = "gem", .stack = 1, .place = "inv:0", .props = "{}", .version = 3};
    cw_ledger_entry lb = {
        .kind = "item", .reason = "use", .item_id = 9, .item_template = "gem", .item_stack = -1};
    cw_item_row good = {
        .uid = 10, .template_id = "gem", .stack = 1, .place = "inv:0", .props = "{}"};
    cw_ledger_entry lg = {
        .kind = "item", .reason = "loot", .item_id = 10, .item_template = "gem", .item_stack = 1};
    c[0].items = &bad;
    c[0].ledger = &lb;
    c[0].nledger = 1;
    c[0].doc = "{\"gold\":0,\"exp\":0,\"mark\":1}";
    c[1].items = &good;
    c[1].nitems = 1;
    c[1].ledger = &lg;
    c[1].nledger = 1;
    assert_int_equal(save(s, c, 2, &sv), 0);
    assert_int_equal(sv.results[0], CW_ESTATE);
    assert_int_equal(sv.results[1], 0);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", c[0].id), 2);
    assert_int_equal(raw(b, "SELECT stack FROM item_instances WHERE id = 9"), 2);
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger WHERE item_id = 9"), 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM item_instances WHERE id = 10"), 1);
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger WHERE item_id = 10"), 1);
    /* the right version: destroyed part of the stack, then the rest */
    bad.version = 1;
    c[1].nitems = 0;
    c[1].nledger = 0;
    c[1].version = 2;
    assert_int_equal(save(s, c, 1, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(raw(b, "SELECT stack FROM item_instances WHERE id = 9"), 1);
    assert_int_equal(q(b,
                       "SELECT sum(item_stack) FROM ledger WHERE item_id = 9 AND "
                       "from_character_id = %lld AND to_character_id IS NULL",
                       c[0].id),
                     1);
    bad.version = 2;
    bad.stack = 0;
    c[0].version = 3;
    assert_int_equal(save(s, c, 1, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM item_instances WHERE id = 9"), 0);
    cw_store_close(s);
}

/* A transfer: the receiving row moves the item from its previous owner;
 * the ledger row names both. */
static void test_transfer_between_characters(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "moves", "h", on_account, &a);
    cw_character c[2] = {make_char(s, a.id, "Eve"), make_char(s, a.id, "Fay")};
    cw_item_row mk = {
        .uid = 33, .template_id = "ring", .stack = 1, .place = "inv:0", .props = "{}"};
    c[0].items = &mk;
    c[0].nitems = 1;
    answer sv;
    assert_int_equal(save(s, c, 1, &sv), 0);
    cw_item_row mv = {.uid = 33,
                      .template_id = "ring",
                      .stack = 1,
                      .place = "inv:4",
                      .props = "{}",
                      .version = 1,
                      .prev_owner = c[0].id};
    cw_ledger_entry l = {.kind = "item",
                         .reason = "trade",
                         .item_id = 33,
                         .item_template = "ring",
                         .item_stack = 1,
                         .counterpart = c[0].id};
    c[1].items = &mv;
    c[1].nitems = 1;
    c[1].ledger = &l;
    c[1].nledger = 1;
    assert_int_equal(save(s, &c[1], 1, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(raw(b, "SELECT owner_character_id FROM item_instances WHERE id = 33"),
                     c[1].id);
    assert_int_equal(raw(b, "SELECT from_character_id FROM ledger WHERE item_id = 33"), c[0].id);
    /* the same move again is stale (owner and version moved on) */
    c[1].version = 2;
    assert_int_equal(save(s, &c[1], 1, &sv), 0);
    assert_int_equal(sv.results[0], CW_ESTATE);
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger WHERE item_id = 33"), 1);
    cw_store_close(s);
}

/* 0005 gives items that predate it a place and an opening ledger row, and
 * starts the uid counter above them: migrate to 0004 (a copy of the first
 * four files), add items by hand, then migrate the rest. */
static void test_migration_opening_rows(void **state)
{
    backend *b = *state;
    char cmd[8192], dir[512];
    snprintf(dir, sizeof dir, "%.200s/mig", b->dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/sqlite %s/postgres && cp %s/sqlite/000[1-4]_* %s/sqlite/ && "
             "cp %s/postgres/000[1-4]_* %s/postgres/",
             dir, dir, b->migrations, dir, b->migrations, dir);
    assert_int_equal(system(cmd), 0);
    cw_store_config cfg = {b->url, dir, 1, NULL, NULL, 2000};
    cw_migration_status st;
    cw_error err = {0};
    assert_int_equal(cw_store_migrate_up(&cfg, &st, &err), 0);
    assert_int_equal(st.current, 4);
    cw_store *s = cw_store_open(&cfg, &err);
    assert_non_null(s);
    answer a = {0};
    cw_store_account_create(s, "olds", "h", on_account, &a);
    cw_character c = make_char(s, a.id, "Gus");
    cw_store_close(s);
    for (int i = 0; i < 3; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO item_instances (owner_character_id, template, stack) "
                 "VALUES (%lld, 'old%d', %d)",
                 (long long)c.id, i, i + 1);
        raw(b, sql);
    }
    s = open_sync(b); /* applies 0005 */
    cw_store_close(s);
    assert_int_equal(raw(b, "SELECT last FROM id_counters WHERE name = 'item_uid'"),
                     raw(b, "SELECT max(id) FROM item_instances"));
    assert_int_equal(raw(b, "SELECT count(DISTINCT place) FROM item_instances"), 3);
    assert_int_equal(raw(b, "SELECT count(*) FROM item_instances WHERE place = 'inv:2'"), 1);
    assert_int_equal(q(b,
                       "SELECT sum(item_stack) FROM ledger WHERE kind = 'item' AND "
                       "reason = 'opening balance' AND to_character_id = %lld",
                       c.id),
                     6);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_create_items_with_ledger_and_load),
    T(test_stale_row_writes_no_items),
    T(test_stale_item_fails_its_row_only),
    T(test_transfer_between_characters),
    T(test_migration_opening_rows),
};

STORE_FIXTURE_MAIN(tests)
