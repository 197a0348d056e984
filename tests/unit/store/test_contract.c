/* test_contract.c — the store contract, run against every backend: SQLite
 * (a temporary file) always, PostgreSQL when CHAOS_TEST_PG is set (each test
 * in a fresh schema of that database, selected through search_path). */
#include "core/io/store/store.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <pthread.h>
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

/* ---- backends --------------------------------------------------------------- */

typedef struct backend {
    int pg;
    const char *pg_base; /* CHAOS_TEST_PG */
    char dir[256];       /* temp dir of this test */
    char url[1024];      /* store URL of this test */
    char schema[64];
    char migrations[1024];
    int seq;
} backend;

static void pg_admin(const backend *b, const char *sql)
{
    PGconn *c = PQconnectdb(b->pg_base);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int test_setup(void **state)
{
    backend *b = *state;
    b->seq++;
    const char *src = getenv("CHAOS_SRC");
    snprintf(b->migrations, sizeof b->migrations, "%s/migrations", src ? src : ".");
    struct stat sb;
    if (stat(b->migrations, &sb) != 0)
        fail_msg("no %s: run from the repository root or set CHAOS_SRC", b->migrations);
    snprintf(b->dir, sizeof b->dir, "/tmp/cw-store-test-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    if (!b->pg) {
        snprintf(b->url, sizeof b->url, "sqlite:%s/chaos.db", b->dir);
        return 0;
    }
    snprintf(b->schema, sizeof b->schema, "cw_contract_%d_%d", (int)getpid(), b->seq);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", b->schema,
             b->schema);
    pg_admin(b, sql);
    snprintf(b->url, sizeof b->url, "%s%coptions=-csearch_path%%3D%s", b->pg_base,
             strchr(b->pg_base, '?') ? '&' : '?', b->schema);
    return 0;
}

static int test_teardown(void **state)
{
    backend *b = *state;
    if (b->pg) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", b->schema);
        pg_admin(b, sql);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Runs sql on the test's database outside the store; returns the first
 * column of the first row as an integer (or -1 when there is no row). */
static long long raw(const backend *b, const char *sql)
{
    long long out = -1;
    if (b->pg) {
        PGconn *c = PQconnectdb(b->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        int st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        PQfinish(c);
        return out;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* 1 when sql fails on the test's database (outside the store). */
static int raw_fails(const backend *b, const char *sql)
{
    if (b->pg) {
        PGconn *c = PQconnectdb(b->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        int st = PQresultStatus(r);
        PQclear(r);
        PQfinish(c);
        return st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc != SQLITE_OK;
}

static long long table_exists(const backend *b, const char *table)
{
    char sql[256];
    if (b->pg)
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pg_tables WHERE tablename = '%s' AND "
                 "schemaname = current_schema()",
                 table);
    else
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", table);
    return raw(b, sql);
}

static cw_store_config cfg_for(const backend *b, int migrate)
{
    cw_store_config c = {b->url, b->migrations, migrate, NULL, NULL, 5000};
    return c;
}

static cw_store *open_sync(const backend *b)
{
    cw_store_config c = cfg_for(b, 1);
    cw_error err = {0};
    cw_store *s = cw_store_open(&c, &err);
    if (!s) fail_msg("open: %s", err.msg);
    assert_string_equal(cw_store_backend(s), b->pg ? "postgres" : "sqlite");
    return s;
}

/* ---- synchronous callbacks --------------------------------------------------- */

typedef struct answer {
    int calls, rc, n;
    cw_account acc;
    char name[16384], pwhash[16384];
    cw_character ch;
    char cname[256], race[64], job[64], zone[64], doc[16384];
    cw_character list[16];
    int results[64];
} answer;

static void on_account(void *ud, int rc, const cw_account *acc)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    if (rc == 0) {
        assert_non_null(acc);
        a->acc = *acc;
        snprintf(a->name, sizeof a->name, "%s", acc->name);
        snprintf(a->pwhash, sizeof a->pwhash, "%s", acc->pwhash);
    } else {
        assert_null(acc);
    }
}

static void keep_char(answer *a, const cw_character *ch)
{
    a->ch = *ch;
    snprintf(a->cname, sizeof a->cname, "%s", ch->name);
    snprintf(a->race, sizeof a->race, "%s", ch->race);
    snprintf(a->job, sizeof a->job, "%s", ch->job);
    snprintf(a->zone, sizeof a->zone, "%s", ch->zone);
    snprintf(a->doc, sizeof a->doc, "%s", ch->doc);
}

static void on_char(void *ud, int rc, const cw_character *ch)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    if (rc == 0)
        keep_char(a, ch);
    else
        assert_null(ch);
}

static void on_chars(void *ud, int rc, const cw_character *chs, int n)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->n = n;
    for (int i = 0; i < n && i < 16; i++) {
        a->list[i] = chs[i];
        a->list[i].name = NULL; /* not kept past the callback */
    }
}

static void on_done(void *ud, int rc)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
}

static void on_save(void *ud, int rc, const int *results, int n)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->n = n;
    for (int i = 0; i < n && i < 64; i++)
        a->results[i] = results[i];
}

static int64_t make_account(cw_store *s, const char *name)
{
    answer a = {0};
    cw_store_account_create(s, name, "$argon2id$v=19$hash", on_account, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    assert_true(a.acc.id > 0);
    return a.acc.id;
}

static cw_character sample(int64_t account, const char *name)
{
    cw_character c = {.account_id = account,
                      .name = name,
                      .race = "elf",
                      .job = "mage",
                      .level = 3,
                      .zone = "forest",
                      .x = 10.5,
                      .y = -4.25,
                      .doc = "{\"hp\": 10}"};
    return c;
}

/* Creates a character; returns its input fields (static strings) with the
 * stored id and version (the callback's strings die with the callback). */
static cw_character make_char(cw_store *s, int64_t account, const char *name)
{
    answer a = {0};
    cw_character c = sample(account, name);
    cw_store_character_create(s, &c, on_char, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.ch.version, 1);
    c.id = a.ch.id;
    c.version = a.ch.version;
    return c;
}

static answer load(cw_store *s, int64_t account, int64_t id)
{
    answer a = {0};
    cw_store_character_load(s, account, id, on_char, &a);
    assert_int_equal(a.calls, 1);
    return a;
}

/* ---- migrations ---------------------------------------------------------------- */

static void test_migrations(void **state)
{
    backend *b = *state;
    cw_store_config c = cfg_for(b, 0);
    cw_migration_status st = {-1, -1, -1};
    cw_error err = {0};
    assert_int_equal(cw_store_migration_status(&c, &st, &err), 0);
    assert_int_equal(st.current, 0);
    assert_true(st.latest >= 1);
    assert_int_equal(st.pending, st.latest); /* numbered 1..latest */

    /* pending and not told to migrate: refuse, naming the versions and the fix */
    assert_null(cw_store_open(&c, &err));
    assert_non_null(strstr(err.msg, "0001_initial"));
    assert_non_null(strstr(err.msg, "chaosctl migrate up"));
    assert_non_null(strstr(err.msg, "--migrate"));
    assert_int_equal(table_exists(b, "accounts"), 0);

    assert_int_equal(cw_store_migrate_up(&c, &st, &err), 0);
    assert_int_equal(st.current, st.latest);
    assert_int_equal(st.pending, 0);
    const char *tables[] = {"accounts",    "characters",    "item_instances", "quest_progress",
                            "guilds",      "guild_members", "ledger",         "schema_migrations",
                            "account_bans"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        assert_int_equal(table_exists(b, tables[i]), 1);
    long long recorded = raw(b, "SELECT count(*) FROM schema_migrations");
    assert_int_equal(recorded, st.latest);

    /* idempotent */
    cw_migration_status again = {-1, -1, -1};
    assert_int_equal(cw_store_migrate_up(&c, &again, &err), 0);
    assert_int_equal(again.current, st.current);
    assert_int_equal(again.pending, 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM schema_migrations"), recorded);

    cw_store *s = cw_store_open(&c, &err);
    assert_non_null(s);
    cw_store_close(s);

    /* the ledger is append-only */
    raw(b, "INSERT INTO ledger (kind, amount, reason) VALUES ('gold', 5, 'test')");
    assert_int_equal(raw(b, "SELECT count(*) FROM ledger"), 1);
    assert_true(raw_fails(b, "UPDATE ledger SET amount = 500"));
    assert_true(raw_fails(b, "DELETE FROM ledger"));
    assert_int_equal(raw(b, "SELECT amount FROM ledger"), 5);

    /* a schema newer than the files: refuse */
    raw(b, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')");
    assert_int_equal(cw_store_migration_status(&c, &st, &err), CW_ESTATE);
    assert_int_equal(st.current, 9999);
    assert_non_null(strstr(err.msg, "newer"));
    c.migrate = 1;
    assert_null(cw_store_open(&c, &err));
    assert_non_null(strstr(err.msg, "9999"));
    assert_int_equal(cw_store_migrate_up(&c, &st, &err), CW_ESTATE);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_migrations_order_and_failure(void **state)
{
    backend *b = *state;
    char root[512], sub[600], path[700];
    snprintf(root, sizeof root, "%s/mig", b->dir);
    snprintf(sub, sizeof sub, "%s/%s", root, b->pg ? "postgres" : "sqlite");
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    /* listed out of order on purpose: 0002 needs 0001 */
    snprintf(path, sizeof path, "%s/0002_b.sql", sub);
    write_file(path, "CREATE TABLE t_b (id INTEGER PRIMARY KEY, a INTEGER REFERENCES t_a (id));");
    snprintf(path, sizeof path, "%s/0001_a.sql", sub);
    write_file(path, "CREATE TABLE t_a (id INTEGER PRIMARY KEY);\nINSERT INTO t_a VALUES (1);");
    snprintf(path, sizeof path, "%s/README", sub); /* ignored */
    write_file(path, "not a migration");
    snprintf(path, sizeof path, "%s/0010_bad.sql", sub);
    write_file(path, "CREATE TABLE t_c (id INTEGER);\nSELECT * FROM no_such_table;");

    cw_store_config c = cfg_for(b, 1);
    c.migrations_dir = root;
    cw_migration_status st = {0};
    cw_error err = {0};
    assert_int_equal(cw_store_migration_status(&c, &st, &err), 0);
    assert_int_equal(st.latest, 10);
    assert_int_equal(st.pending, 3);
    assert_int_not_equal(cw_store_migrate_up(&c, &st, &err), 0);
    assert_non_null(strstr(err.msg, "0010_bad"));
    /* the good ones stay, the bad one left nothing behind */
    assert_int_equal(table_exists(b, "t_a"), 1);
    assert_int_equal(table_exists(b, "t_b"), 1);
    assert_int_equal(table_exists(b, "t_c"), 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(raw(b, "SELECT count(*) FROM schema_migrations WHERE version = 2 AND "
                            "name = '0002_b'"),
                     1);
    assert_int_equal(cw_store_migration_status(&c, &st, &err), 0);
    assert_int_equal(st.current, 2);
    assert_int_equal(st.pending, 1);
    c.migrate = 0;
    assert_null(cw_store_open(&c, &err));
    assert_non_null(strstr(err.msg, "0010_bad"));
    assert_null(strstr(err.msg, "0001_a"));

    /* fixed file: applies */
    snprintf(path, sizeof path, "%s/0010_bad.sql", sub);
    write_file(path, "CREATE TABLE t_c (id INTEGER);");
    assert_int_equal(cw_store_migrate_up(&c, &st, &err), 0);
    assert_int_equal(st.current, 10);
    assert_int_equal(table_exists(b, "t_c"), 1);
}

/* ---- accounts --------------------------------------------------------------------- */

static void test_accounts(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    answer a = {0};
    cw_store_account_create(s, "Alice", "hash-1", on_account, &a);
    assert_int_equal(a.rc, 0);
    int64_t id = a.acc.id;
    assert_true(id > 0);
    assert_string_equal(a.name, "Alice");

    answer g = {0};
    cw_store_account_get(s, "aLiCe", on_account, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.acc.id, id);
    assert_string_equal(g.name, "Alice");
    assert_string_equal(g.pwhash, "hash-1");

    answer d = {0};
    cw_store_account_create(s, "ALICE", "hash-2", on_account, &d);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.rc, CW_EEXIST);

    answer m = {0};
    cw_store_account_get(s, "bob", on_account, &m);
    assert_int_equal(m.rc, CW_ENOTFOUND);
    answer e = {0};
    cw_store_account_create(s, "", "h", on_account, &e);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_store_account_create(s, "carol", NULL, on_account, &e);
    assert_int_equal(e.rc, CW_EINVAL);
    assert_int_equal(e.calls, 2);

    cw_store_close(s);
    assert_int_equal(raw(b, "SELECT count(*) FROM accounts"), 1);
}

static void test_metacharacters(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    const char *names[] = {"'; DROP TABLE accounts; --", "quo\"te's", "back\\slash\\\\",
                           "ünïcødé ☃ 日本", "$1 %s ?"};
    /* a 10,000-character hash full of metacharacters */
    char *big = malloc(10001);
    assert_non_null(big);
    const char pat[] = "'\"\\;--%_$1\t";
    for (int i = 0; i < 10000; i++)
        big[i] = pat[i % (sizeof pat - 1)];
    big[10000] = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        answer a = {0};
        cw_store_account_create(s, names[i], i == 0 ? big : names[i], on_account, &a);
        assert_int_equal(a.rc, 0);
        answer g = {0};
        cw_store_account_get(s, names[i], on_account, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.acc.id, a.acc.id);
        assert_string_equal(g.name, names[i]);
        assert_string_equal(g.pwhash, i == 0 ? big : names[i]);
    }
    assert_int_equal(raw(b, "SELECT count(*) FROM accounts"), 5);

    /* a 10,000-character JSON string value round-trips exactly */
    int64_t acc = make_account(s, "docs");
    char *doc = malloc(10100);
    assert_non_null(doc);
    int n = sprintf(doc, "{\"s\": \"");
    const char *unit[] = {"\\\"", "\\\\", "'", ";", "--", "\xe2\x98\x83", "a"};
    while (n < 10000)
        n += sprintf(doc + n, "%s", unit[n % 7]);
    sprintf(doc + n, "\"}");
    cw_character c = sample(acc, "'; DELETE FROM characters; --");
    c.doc = doc;
    answer cr = {0};
    cw_store_character_create(s, &c, on_char, &cr);
    assert_int_equal(cr.rc, 0);
    answer l = load(s, acc, cr.ch.id);
    assert_int_equal(l.rc, 0);
    assert_string_equal(l.doc, doc);
    assert_string_equal(l.cname, c.name);
    free(doc);
    free(big);
    cw_store_close(s);
}

/* ---- characters ------------------------------------------------------------------ */

static void test_characters(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t alice = make_account(s, "alice"), bob = make_account(s, "bob");

    cw_character in = sample(alice, "Gandalf");
    answer a = {0};
    cw_store_character_create(s, &in, on_char, &a);
    assert_int_equal(a.rc, 0);
    assert_true(a.ch.id > 0);
    assert_int_equal(a.ch.account_id, alice);
    assert_int_equal(a.ch.version, 1);
    assert_string_equal(a.cname, "Gandalf");
    assert_string_equal(a.race, "elf");
    assert_string_equal(a.job, "mage");
    assert_string_equal(a.zone, "forest");
    assert_int_equal(a.ch.level, 3);
    assert_true(a.ch.x == 10.5 && a.ch.y == -4.25);
    assert_string_equal(a.doc, "{\"hp\": 10}");
    int64_t id = a.ch.id;

    answer dup = {0};
    in.name = "gANDALF";
    cw_store_character_create(s, &in, on_char, &dup);
    assert_int_equal(dup.rc, CW_EEXIST);
    answer orphan = {0};
    in = sample(987654, "Nobody");
    cw_store_character_create(s, &in, on_char, &orphan);
    assert_int_equal(orphan.rc, CW_ENOTFOUND);
    answer bad = {0};
    in = sample(alice, "Baddoc");
    in.doc = "[1, 2]"; /* not an object */
    cw_store_character_create(s, &in, on_char, &bad);
    assert_int_equal(bad.rc, CW_EINVAL);

    cw_character second = make_char(s, alice, "Frodo");
    answer l = {0};
    cw_store_characters_list(s, alice, on_chars, &l);
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.list[0].id, id);
    assert_int_equal(l.list[1].id, second.id);
    answer lb = {0};
    cw_store_characters_list(s, bob, on_chars, &lb);
    assert_int_equal(lb.calls, 1);
    assert_int_equal(lb.rc, 0);
    assert_int_equal(lb.n, 0);

    assert_int_equal(load(s, alice, id).rc, 0);
    assert_int_equal(load(s, bob, id).rc, CW_ENOTFOUND); /* not bob's */
    assert_int_equal(load(s, alice, id + 1000).rc, CW_ENOTFOUND);

    answer d = {0};
    cw_store_character_delete(s, bob, id, on_done, &d);
    assert_int_equal(d.rc, CW_ENOTFOUND);
    assert_int_equal(load(s, alice, id).rc, 0);
    cw_store_character_delete(s, alice, id, on_done, &d);
    assert_int_equal(d.calls, 2);
    assert_int_equal(d.rc, 0);
    assert_int_equal(load(s, alice, id).rc, CW_ENOTFOUND);
    cw_store_character_delete(s, alice, id, on_done, &d);
    assert_int_equal(d.rc, CW_ENOTFOUND);
    cw_store_close(s);
}

static void test_versioned_save(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t acc = make_account(s, "saver");
    cw_character c[3] = {make_char(s, acc, "One"), make_char(s, acc, "Two"),
                         make_char(s, acc, "Three")};
    cw_character w[3];
    char docs[3][64];
    for (int i = 0; i < 3; i++) {
        w[i] = c[i];
        w[i].level = 10 + i;
        w[i].zone = "desert";
        w[i].x = 1.0 / 3.0 + i;
        snprintf(docs[i], sizeof docs[i], "{\"gold\": %d}", 100 * (i + 1));
        w[i].doc = docs[i];
    }
    answer a = {0};
    cw_store_characters_save(s, w, 3, on_save, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a.results[i], 0);
        answer l = load(s, acc, c[i].id);
        assert_int_equal(l.ch.version, 2);
        assert_int_equal(l.ch.level, 10 + i);
        assert_string_equal(l.zone, "desert");
        assert_true(l.ch.x == 1.0 / 3.0 + i); /* doubles round-trip exactly */
        assert_string_equal(l.doc, docs[i]);
        assert_string_equal(l.cname, c[i].name);
    }

    /* row 0 stale (still says version 1), rows 1 and 2 fresh, a missing id,
     * and a duplicate of row 2 */
    cw_character w2[5];
    for (int i = 0; i < 3; i++) {
        w2[i] = w[i];
        w2[i].version = i == 0 ? 1 : 2;
        w2[i].level = 50;
        w2[i].doc = "{\"gold\": 1}";
    }
    w2[3] = w2[1];
    w2[3].id = c[2].id + 100000;
    w2[4] = w2[2];
    answer b2 = {0};
    cw_store_characters_save(s, w2, 5, on_save, &b2);
    assert_int_equal(b2.rc, 0);
    assert_int_equal(b2.n, 5);
    assert_int_equal(b2.results[0], CW_ESTATE);
    assert_int_equal(b2.results[1], 0);
    assert_int_equal(b2.results[2], 0);
    assert_int_equal(b2.results[3], CW_ENOTFOUND);
    assert_int_equal(b2.results[4], CW_EINVAL);
    answer l0 = load(s, acc, c[0].id);
    assert_int_equal(l0.ch.version, 2); /* not applied */
    assert_int_equal(l0.ch.level, 10);
    assert_string_equal(l0.doc, docs[0]);
    answer l1 = load(s, acc, c[1].id);
    assert_int_equal(l1.ch.version, 3);
    assert_int_equal(l1.ch.level, 50);
    assert_string_equal(l1.doc, "{\"gold\": 1}");
    assert_int_equal(load(s, acc, c[2].id).ch.version, 3);

    /* an empty batch is fine */
    answer e = {0};
    cw_store_characters_save(s, w, 0, on_save, &e);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.rc, 0);
    assert_int_equal(e.n, 0);
    cw_store_close(s);
}

/* A row the database refuses (here a document that is not a JSON object)
 * costs only itself: the other rows of the batch are written, that row is
 * not, and its result says why. */
static void test_save_isolates_a_bad_row(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t acc = make_account(s, "tx");
    enum { N = 7 };
    const char *names[N] = {"Ta", "Tb", "Tc", "Td", "Te", "Tf", "Tg"};
    cw_character c[N], w[N];
    for (int i = 0; i < N; i++) {
        c[i] = make_char(s, acc, names[i]);
        w[i] = c[i];
        w[i].level = 77;
        w[i].doc = i == 1 || i == 5 ? "{not json" : "{\"ok\": true}";
    }
    answer a = {0};
    cw_store_characters_save(s, w, N, on_save, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, N);
    for (int i = 0; i < N; i++) {
        answer l = load(s, acc, c[i].id);
        if (i == 1 || i == 5) {
            assert_int_equal(a.results[i], CW_EINVAL);
            assert_int_equal(l.ch.version, 1); /* not applied */
            assert_int_equal(l.ch.level, 3);
            assert_string_equal(l.doc, "{\"hp\": 10}");
        } else {
            assert_int_equal(a.results[i], 0);
            assert_int_equal(l.ch.version, 2); /* written */
            assert_int_equal(l.ch.level, 77);
        }
    }
    /* a batch of one bad row: that row's result, nothing written */
    w[0].version = 2;
    w[0].doc = "[1]";
    answer one = {0};
    cw_store_characters_save(s, w, 1, on_save, &one);
    assert_int_equal(one.rc, 0);
    assert_int_equal(one.results[0], CW_EINVAL);
    assert_int_equal(load(s, acc, c[0].id).ch.version, 2);
    cw_store_close(s);
}

/* ---- ids that never repeat ------------------------------------------------------ */

typedef struct ids_answer {
    int calls, rc;
    int64_t first, count;
} ids_answer;

static void on_ids(void *ud, int rc, int64_t first, int64_t count)
{
    ids_answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->first = first;
    a->count = count;
}

static ids_answer reserve(cw_store *s, const char *name, int64_t count)
{
    ids_answer a = {0};
    cw_store_ids_reserve(s, name, count, on_ids, &a);
    assert_int_equal(a.calls, 1);
    return a;
}

static void test_ids_never_repeat(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    ids_answer x = reserve(s, "value_txn", 10);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.first, 1);
    assert_int_equal(x.count, 10);
    ids_answer y = reserve(s, "value_txn", 5);
    assert_int_equal(y.rc, 0);
    assert_int_equal(y.first, 11);
    /* another counter counts on its own */
    ids_answer o = reserve(s, "other", 3);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.first, 1);
    assert_int_equal(reserve(s, "", 1).rc, CW_EINVAL);
    assert_int_equal(reserve(s, "value_txn", 0).rc, CW_EINVAL);
    assert_int_equal(reserve(s, "value_txn", -4).rc, CW_EINVAL);
    assert_int_equal(reserve(s, "value_txn", CW_IDS_BLOCK_MAX + 1).rc, CW_EINVAL);
    cw_store_close(s);
    /* a new process (a restart) goes on after the last block handed out */
    s = open_sync(b);
    ids_answer z = reserve(s, "value_txn", 1);
    assert_int_equal(z.rc, 0);
    assert_int_equal(z.first, 16);
    cw_store_close(s);
    assert_int_equal(raw(b, "SELECT last FROM id_counters WHERE name = 'value_txn'"), 16);
}

/* ---- asynchronous mode --------------------------------------------------------- */

typedef struct async_ctx {
    pthread_t loop_thread;
    struct event_base *base;
    int seen, expect, order_ok, thread_ok, rc_ok;
} async_ctx;

typedef struct async_op {
    async_ctx *ctx;
    int index;
} async_op;

static void async_cb(void *ud, int rc, const cw_account *acc)
{
    async_op *op = ud;
    async_ctx *x = op->ctx;
    if (!pthread_equal(pthread_self(), x->loop_thread)) x->thread_ok = 0;
    if (op->index != x->seen) x->order_ok = 0;
    if (rc != 0 || !acc) x->rc_ok = 0;
    x->seen++;
    if (x->seen == x->expect) event_base_loopexit(x->base, NULL);
}

static void test_async(void **state)
{
    backend *b = *state;
    enum { N = 60, M = 25 };
    async_ctx x = {pthread_self(), event_base_new(), 0, N, 1, 1, 1};
    assert_non_null(x.base);
    cw_metrics *m = cw_metrics_new();
    cw_store_config c = cfg_for(b, 1);
    c.base = x.base;
    c.metrics = m;
    cw_error err = {0};
    cw_store *s = cw_store_open(&c, &err);
    if (!s) fail_msg("open: %s", err.msg);
    async_op ops[N + M];
    char name[32];
    for (int i = 0; i < N; i++) {
        ops[i] = (async_op){&x, i};
        snprintf(name, sizeof name, "player%d", i);
        if (i % 2 == 0)
            cw_store_account_create(s, name, "h", async_cb, &ops[i]);
        else
            cw_store_account_get(s, "player0", async_cb, &ops[i]); /* depends on order */
    }
    assert_int_equal(x.seen, 0); /* nothing runs before the loop does */
    assert_int_equal(event_base_dispatch(x.base), 0);
    assert_int_equal(x.seen, N);
    assert_true(x.order_ok);
    assert_true(x.thread_ok);
    assert_true(x.rc_ok);
    cw_store_stats st;
    cw_store_get_stats(s, &st);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.available, 1);

    /* close finishes what is queued: every callback runs, in order, here */
    x.expect = N + M;
    for (int i = N; i < N + M; i++) {
        ops[i] = (async_op){&x, i};
        snprintf(name, sizeof name, "late%d", i);
        cw_store_account_create(s, name, "h", async_cb, &ops[i]);
    }
    cw_store_close(s);
    assert_int_equal(x.seen, N + M);
    assert_true(x.order_ok);
    assert_true(x.thread_ok);
    assert_true(x.rc_ok);
    assert_int_equal(raw(b, "SELECT count(*) FROM accounts"), N / 2 + M);

    cw_strbuf out = CW_STRBUF_INIT;
    assert_int_equal(cw_metrics_render(m, &out), 0);
    assert_non_null(strstr(out.data, "chaos_store_available"));
    assert_non_null(strstr(out.data, "chaos_store_job_seconds"));
    assert_non_null(strstr(out.data, "chaos_store_queue"));
    cw_strbuf_free(&out);
    cw_metrics_free(m);
    event_base_free(x.base);
}

/* ---- runner ---------------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

static const struct CMUnitTest tests[] = {
    T(test_migrations),
    T(test_migrations_order_and_failure),
    T(test_accounts),
    T(test_metacharacters),
    T(test_characters),
    T(test_versioned_save),
    T(test_save_isolates_a_bad_row),
    T(test_ids_never_repeat),
    T(test_async),
};

static int group_sqlite(void **state)
{
    backend *b = calloc(1, sizeof *b);
    *state = b;
    return b ? 0 : -1;
}

static int group_pg(void **state)
{
    backend *b = calloc(1, sizeof *b);
    if (!b) return -1;
    b->pg = 1;
    b->pg_base = getenv("CHAOS_TEST_PG");
    *state = b;
    return 0;
}

static int group_end(void **state)
{
    free(*state);
    return 0;
}

int main(void)
{
    int failed =
        cmocka_run_group_tests_name("store contract: sqlite", tests, group_sqlite, group_end);
    const char *pg = getenv("CHAOS_TEST_PG");
    if (pg && *pg)
        failed +=
            cmocka_run_group_tests_name("store contract: postgres", tests, group_pg, group_end);
    else
        printf("SKIPPED postgres: CHAOS_TEST_PG is not set (tools/test.sh sets it); only SQLite "
               "ran\n");
    return failed;
}
