/* test_ledger.c — the ledger rows a character save carries (kind "gold" and
 * "exp", as the game's value transactions write them) are written in the
 * same database transaction as the character row, and only with it: on
 * SQLite (a temporary file) always, on PostgreSQL when CHAOS_TEST_PG is set
 * (each test in a fresh schema, as test_contract.c does). */
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

#define STORE_FIXTURE_PREFIX "ledger"
#include "tests/unit/store/store_fixture.h"

/* ---- helpers (the store runs inline: callbacks have run on return) ------------ */

#include "tests/unit/store/char_fixture.h"

static long long count_rows(const backend *b, int64_t id)
{
    return q(b, "SELECT count(*) FROM ledger WHERE to_character_id = %lld", (long long)id);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_gold_and_exp_rows_with_the_save(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "ledgers", "h", on_account, &a);
    assert_int_equal(a.rc, 0);
    cw_character c[2] = {make_char(s, a.id, "Kim"), make_char(s, a.id, "Lou")};
    cw_ledger_entry k[3] = {{"gold", 10, "kill", 0, NULL, 0, 0},
                            {"exp", 50, "kill", 0, NULL, 0, 0},
                            {"exp", -5, "penalty", 0, NULL, 0, 0}};
    cw_ledger_entry l[1] = {{"gold", 7, "loot", 0, NULL, 0, 0}};
    c[0].doc = "{\"gold\":10,\"exp\":45}";
    c[0].ledger = k;
    c[0].nledger = 3;
    c[1].doc = "{\"gold\":7,\"exp\":0}";
    c[1].ledger = l;
    c[1].nledger = 1;
    answer sv = {0};
    assert_int_equal(save(s, c, 2, &sv), 0);
    assert_int_equal(sv.results[0], 0);
    assert_int_equal(sv.results[1], 0);
    assert_int_equal(count_rows(b, c[0].id), 3);
    assert_int_equal(count_rows(b, c[1].id), 1);
    assert_int_equal(q(b,
                       "SELECT sum(amount) FROM ledger WHERE to_character_id = %lld AND "
                       "kind = 'gold' AND reason = 'kill'",
                       c[0].id),
                     10);
    assert_int_equal(
        q(b, "SELECT sum(amount) FROM ledger WHERE to_character_id = %lld AND kind = 'exp'",
          c[0].id),
        45);
    assert_int_equal(q(b,
                       "SELECT count(*) FROM ledger WHERE to_character_id = %lld AND kind = 'exp' "
                       "AND amount = -5 AND reason = 'penalty'",
                       c[0].id),
                     1);
    assert_int_equal(
        q(b, "SELECT sum(amount) FROM ledger WHERE to_character_id = %lld AND kind = 'gold'",
          c[1].id),
        7);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", c[0].id), 2);

    /* A stale row writes none of its rows; the fresh one in the same batch does. */
    c[0].version = 1; /* stale: the row is at 2 */
    c[1].version = 2;
    answer sv2 = {0};
    assert_int_equal(save(s, c, 2, &sv2), 0);
    assert_int_equal(sv2.results[0], CW_ESTATE);
    assert_int_equal(sv2.results[1], 0);
    assert_int_equal(count_rows(b, c[0].id), 3);
    assert_int_equal(count_rows(b, c[1].id), 2);

    /* A row the database refuses (a bad document) writes none of its ledger
     * rows; the good row beside it writes its row and its ledger rows. */
    c[0].version = 2;
    c[1].version = 3;
    c[1].doc = "{not json";
    answer sv3 = {0};
    assert_int_equal(save(s, c, 2, &sv3), 0);
    assert_int_equal(sv3.results[0], 0);
    assert_int_equal(sv3.results[1], CW_EINVAL);
    assert_int_equal(count_rows(b, c[0].id), 6);
    assert_int_equal(count_rows(b, c[1].id), 2);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", c[0].id), 3);
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", c[1].id), 3);
    cw_store_close(s);
}

static void boom_trigger(const backend *b)
{
    if (b->pg)
        raw(b, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF NEW.reason = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END; $$; "
               "CREATE TRIGGER ledger_boom BEFORE INSERT ON ledger FOR EACH ROW "
               "EXECUTE FUNCTION boom()");
    else
        raw(b, "CREATE TRIGGER ledger_boom BEFORE INSERT ON ledger WHEN NEW.reason = 'boom' "
               "BEGIN SELECT RAISE(ABORT, 'boom'); END");
}

/* A ledger row that cannot be written takes the character row down with it:
 * they are one transaction. (A trigger refuses one reason.) */
static void test_failed_ledger_row_undoes_the_save(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    boom_trigger(b);
    answer a = {0};
    cw_store_account_create(s, "atomic", "h", on_account, &a);
    cw_character c = make_char(s, a.id, "Max");
    cw_ledger_entry e[2] = {{"gold", 3, "fine", 0, NULL, 0, 0}, {"exp", 9, "boom", 0, NULL, 0, 0}};
    c.doc = "{\"gold\":3,\"exp\":9}";
    c.level = 7;
    c.ledger = e;
    c.nledger = 2;
    answer sv = {0};
    assert_int_equal(save(s, &c, 1, &sv), 0);
    assert_int_not_equal(sv.results[0], 0);   /* the row was not written */
    assert_int_equal(count_rows(b, c.id), 0); /* not even the first row */
    assert_int_equal(q(b, "SELECT version FROM characters WHERE id = %lld", c.id), 1);
    assert_int_equal(q(b, "SELECT level FROM characters WHERE id = %lld", c.id), 1);
    /* without the refused row the same save goes through, with both rows */
    e[1].reason = "kill";
    answer ok = {0};
    assert_int_equal(save(s, &c, 1, &ok), 0);
    assert_int_equal(count_rows(b, c.id), 2);
    assert_int_equal(q(b, "SELECT level FROM characters WHERE id = %lld", c.id), 7);
    cw_store_close(s);
}

/* The group commit of one loop iteration: one character's grant the
 * database refuses and other characters' loot and grants, in one batch. The
 * bad one is reported failed and leaves nothing; every other row is written
 * with its ledger rows. */
static void test_bad_entry_costs_only_itself(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    boom_trigger(b);
    answer a = {0};
    cw_store_account_create(s, "batch", "h", on_account, &a);
    enum { N = 5 };
    const char *names[N] = {"Ann", "Bob", "Cid", "Dee", "Eve"};
    cw_character c[N];
    cw_ledger_entry good[N][2], bad[1] = {{"gold", 7, "boom", 0, NULL, 0, 0}};
    for (int i = 0; i < N; i++) {
        c[i] = make_char(s, a.id, names[i]);
        good[i][0] = (cw_ledger_entry){"gold", 10 + i, "loot", 0, NULL, 0, 0};
        good[i][1] = (cw_ledger_entry){"exp", 5, "kill", 0, NULL, 0, 0};
        c[i].ledger = good[i];
        c[i].nledger = 2;
        c[i].level = 2;
    }
    c[3].ledger = bad;
    c[3].nledger = 1;
    answer sv = {0};
    assert_int_equal(save(s, c, N, &sv), 0);
    for (int i = 0; i < N; i++) {
        long long version = q(b, "SELECT version FROM characters WHERE id = %lld", c[i].id);
        if (i == 3) {
            assert_int_not_equal(sv.results[i], 0);
            assert_int_equal(count_rows(b, c[i].id), 0);
            assert_int_equal(version, 1);
        } else {
            assert_int_equal(sv.results[i], 0);
            assert_int_equal(count_rows(b, c[i].id), 2);
            assert_int_equal(version, 2);
            assert_int_equal(q(b,
                               "SELECT amount FROM ledger WHERE to_character_id = %lld AND "
                               "kind = 'gold' AND reason = 'loot'",
                               c[i].id),
                             10 + i);
        }
    }
    /* two bad rows among good ones, at the ends of the batch */
    for (int i = 0; i < N; i++) {
        c[i].version = i == 3 ? 1 : 2;
        c[i].ledger = i == 0 || i == N - 1 ? bad : good[i];
        c[i].nledger = i == 0 || i == N - 1 ? 1 : 2;
    }
    answer sv2 = {0};
    assert_int_equal(save(s, c, N, &sv2), 0);
    assert_int_not_equal(sv2.results[0], 0);
    assert_int_not_equal(sv2.results[N - 1], 0);
    for (int i = 1; i < N - 1; i++)
        assert_int_equal(sv2.results[i], 0);
    assert_int_equal(count_rows(b, c[0].id), 2);
    assert_int_equal(count_rows(b, c[3].id), 2);
    assert_int_equal(count_rows(b, c[N - 1].id), 2);
    cw_store_close(s);
}

/* PostgreSQL refuses text that is not UTF-8 (SQLite would store it: the app
 * checks reasons before they get here). Such a row fails alone. */
static void test_undecodable_reason_fails_alone(void **state)
{
    backend *b = *state;
    if (!b->pg) skip();
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "utf8", "h", on_account, &a);
    cw_character c[2] = {make_char(s, a.id, "Raw"), make_char(s, a.id, "Fine")};
    cw_ledger_entry bad[1] = {{"gold", 7, "bad\xffr", 0, NULL, 0, 0}},
                    ok[1] = {{"gold", 5, "loot", 0, NULL, 0, 0}};
    c[0].ledger = bad;
    c[0].nledger = 1;
    c[1].ledger = ok;
    c[1].nledger = 1;
    answer sv = {0};
    assert_int_equal(save(s, c, 2, &sv), 0);
    assert_int_not_equal(sv.results[0], 0);
    assert_int_equal(sv.results[1], 0);
    assert_int_equal(count_rows(b, c[0].id), 0);
    assert_int_equal(count_rows(b, c[1].id), 1);
    cw_store_close(s);
}

/* ---- runner ------------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_gold_and_exp_rows_with_the_save),
    T(test_failed_ledger_row_undoes_the_save),
    T(test_bad_entry_costs_only_itself),
    T(test_undecodable_reason_fails_alone),
};

STORE_FIXTURE_MAIN(tests)
