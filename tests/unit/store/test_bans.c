/* test_bans.c — account bans (cw_store_ban_set / cw_store_ban_clear) and the
 * ban cw_store_account_get reports: on SQLite (a temporary file) always, on
 * PostgreSQL when CHAOS_TEST_PG is set (each test in a fresh schema, as
 * test_contract.c does). The store runs inline: callbacks have run when a
 * call returns. */
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

#define STORE_FIXTURE_PREFIX "bans"
#include "tests/unit/store/store_fixture.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct got {
    int calls, rc;
    int64_t id;
    int banned, was_banned;
    int64_t seconds;
    char name[64], reason[256];
} got;

static void on_account(void *ud, int rc, const cw_account *acc)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
    if (rc != 0) return;
    g->id = acc->id;
    g->banned = acc->banned;
    g->seconds = acc->ban_seconds;
    snprintf(g->name, sizeof g->name, "%s", acc->name);
    snprintf(g->reason, sizeof g->reason, "%s", acc->ban_reason);
}

static void on_ban(void *ud, int rc, const cw_ban *ban)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
    assert_non_null(ban);
    g->id = ban->account_id;
    g->was_banned = ban->was_banned;
    snprintf(g->name, sizeof g->name, "%s", ban->account);
}

static got get(cw_store *s, const char *name)
{
    got g = {0};
    cw_store_account_get(s, name, on_account, &g);
    assert_int_equal(g.calls, 1);
    return g;
}

static got ban(cw_store *s, const char *name, int64_t seconds, const char *reason)
{
    got g = {0};
    cw_store_ban_set(s, name, seconds, reason, on_ban, &g);
    assert_int_equal(g.calls, 1);
    return g;
}

static got unban(cw_store *s, const char *name)
{
    got g = {0};
    cw_store_ban_clear(s, name, on_ban, &g);
    assert_int_equal(g.calls, 1);
    return g;
}

static int64_t make_account(cw_store *s, const char *name)
{
    got g = {0};
    cw_store_account_create(s, name, "$argon2id$stub", on_account, &g);
    assert_int_equal(g.rc, 0);
    return g.id;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_ban_replace_and_lift(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t id = make_account(s, "mallory");
    make_account(s, "alice");
    got g = get(s, "mallory");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.banned, 0);
    assert_string_equal(g.reason, "");

    /* Case-insensitive, like login; the answer names the stored account. */
    g = ban(s, "MALLORY", 3600, "gold duping");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.id, id);
    assert_string_equal(g.name, "mallory");
    assert_int_equal(g.was_banned, 0);
    g = get(s, "mallory");
    assert_int_equal(g.banned, 1);
    assert_true(g.seconds > 3590 && g.seconds <= 3600);
    assert_string_equal(g.reason, "gold duping");
    assert_int_equal(get(s, "alice").banned, 0); /* only that account */

    /* Banning again replaces: now permanent, another reason, still one row. */
    g = ban(s, "mallory", 0, "it's Robert'); DROP TABLE accounts; --");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.was_banned, 1);
    g = get(s, "mallory");
    assert_int_equal(g.banned, 1);
    assert_int_equal(g.seconds, 0);
    assert_string_equal(g.reason, "it's Robert'); DROP TABLE accounts; --");
    assert_int_equal(raw(b, "SELECT count(*) FROM account_bans"), 1);
    assert_int_equal(raw(b, "SELECT count(*) FROM accounts"), 2);

    g = unban(s, "Mallory");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.was_banned, 1);
    assert_int_equal(get(s, "mallory").banned, 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM account_bans"), 0);
    /* Not banned any more: unban says so, and names the account it found. */
    g = unban(s, "mallory");
    assert_int_equal(g.rc, CW_ENOTFOUND);
    assert_int_equal(g.id, id);
    cw_store_close(s);
}

static void test_unknown_account_and_bad_arguments(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    got g = ban(s, "nobody", 60, "x");
    assert_int_equal(g.rc, CW_ENOTFOUND);
    assert_int_equal(g.id, 0);
    assert_string_equal(g.name, "");
    g = unban(s, "nobody");
    assert_int_equal(g.rc, CW_ENOTFOUND);
    assert_int_equal(g.id, 0);
    make_account(s, "mallory");
    assert_int_equal(ban(s, "mallory", -5, "x").rc, CW_EINVAL);
    assert_int_equal(ban(s, "", 60, "x").rc, CW_EINVAL);
    assert_int_equal(ban(s, NULL, 60, "x").rc, CW_EINVAL);
    assert_int_equal(raw(b, "SELECT count(*) FROM account_bans"), 0);
    /* NULL reason = "" */
    assert_int_equal(ban(s, "mallory", 60, NULL).rc, 0);
    got a = get(s, "mallory");
    assert_int_equal(a.banned, 1);
    assert_string_equal(a.reason, "");
    cw_store_close(s);
}

static void test_expired_ban_does_not_count(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    make_account(s, "mallory");
    assert_int_equal(ban(s, "mallory", 60, "spam").rc, 0);
    /* Its time runs out (moved into the past by hand). */
    raw(b, b->pg
               ? "UPDATE account_bans SET expires_at = now() - interval '5 seconds'"
               : "UPDATE account_bans SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 5");
    got g = get(s, "mallory");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.banned, 0);
    assert_string_equal(g.reason, "");
    /* A ban over an expired one was not "in force" before. */
    g = ban(s, "mallory", 120, "again");
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.was_banned, 0);
    assert_int_equal(get(s, "mallory").banned, 1);
    raw(b, b->pg
               ? "UPDATE account_bans SET expires_at = now() - interval '5 seconds'"
               : "UPDATE account_bans SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 5");
    /* Unbanning an expired ban: nothing was in force, the row goes all the same. */
    assert_int_equal(unban(s, "mallory").rc, CW_ENOTFOUND);
    assert_int_equal(raw(b, "SELECT count(*) FROM account_bans"), 0);
    cw_store_close(s);
}

static void test_ban_goes_with_the_account(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t id = make_account(s, "mallory");
    assert_int_equal(ban(s, "mallory", 0, "x").rc, 0);
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM accounts WHERE id = %lld", (long long)id);
    if (b->pg) {
        raw(b, sql);
    } else { /* a plain SQLite connection enforces foreign keys only when asked */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    assert_int_equal(raw(b, "SELECT count(*) FROM account_bans"), 0);
    cw_store_close(s);
}

/* ---- runner -------------------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_ban_replace_and_lift),
    T(test_unknown_account_and_bad_arguments),
    T(test_expired_ban_does_not_count),
    T(test_ban_goes_with_the_account),
};

STORE_FIXTURE_MAIN(tests)
