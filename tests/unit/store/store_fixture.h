/* store_fixture.h — the backends of a store unit test: SQLite (a temporary
 * file) always, PostgreSQL when CHAOS_TEST_PG is set (each test in a fresh
 * schema), with setup/teardown for cmocka and raw() to read the database
 * outside the store. Include once per test file after defining
 * STORE_FIXTURE_PREFIX (names the temporary directory and schemas). Needs
 * <libpq-fe.h>, <sqlite3.h>, <sys/stat.h>, <unistd.h> and cmocka included
 * first. */
#ifndef STORE_FIXTURE_PREFIX
#error "define STORE_FIXTURE_PREFIX before including store_fixture.h"
#endif

/* ---- backends (a fresh database per test) ------------------------------------ */

typedef struct backend {
    int pg;
    const char *pg_base; /* CHAOS_TEST_PG */
    char dir[256], url[1024], schema[64], migrations[1024];
    int seq;
} backend;

static void pg_exec(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult *r = PQexec(c, sql);
    int st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    backend *b = *state;
    b->seq++;
    const char *src = getenv("CHAOS_SRC");
    snprintf(b->migrations, sizeof b->migrations, "%s/migrations", src ? src : ".");
    struct stat sb;
    if (stat(b->migrations, &sb) != 0) fail_msg("no %s: set CHAOS_SRC", b->migrations);
    snprintf(b->dir, sizeof b->dir, "/tmp/cw-" STORE_FIXTURE_PREFIX "-test-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    if (!b->pg) {
        snprintf(b->url, sizeof b->url, "sqlite:%s/chaos.db", b->dir);
        return 0;
    }
    snprintf(b->schema, sizeof b->schema, "cw_" STORE_FIXTURE_PREFIX "_%d_%d", (int)getpid(),
             b->seq);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", b->schema,
             b->schema);
    pg_exec(b->pg_base, sql);
    snprintf(b->url, sizeof b->url, "%s%coptions=-csearch_path%%3D%s", b->pg_base,
             strchr(b->pg_base, '?') ? '&' : '?', b->schema);
    return 0;
}

static int teardown(void **state)
{
    backend *b = *state;
    if (b->pg) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", b->schema);
        pg_exec(b->pg_base, sql);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Runs sql outside the store: the first column of the first row as an
 * integer (-1 when there is no row). */
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
        if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
            out = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        PQfinish(c);
        return out;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
    char *msg = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        /* several statements (a trigger): run them as a script */
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
        sqlite3_close(db);
        return out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static cw_store *open_sync(const backend *b)
{
    cw_store_config c = {b->url, b->migrations, 1, NULL, NULL, 2000};
    cw_error err = {0};
    cw_store *s = cw_store_open(&c, &err);
    if (!s) fail_msg("open: %s", err.msg);
    return s;
}

/* ---- the runner: every test on SQLite, then on PostgreSQL when CHAOS_TEST_PG is set -- */

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

/* The main of a store suite: tests is the suite's CMUnitTest array. */
#define STORE_FIXTURE_MAIN(tests)                                                                  \
    int main(void)                                                                                 \
    {                                                                                              \
        int failed = cmocka_run_group_tests_name(STORE_FIXTURE_PREFIX ": sqlite", tests,           \
                                                 group_sqlite, group_end);                         \
        const char *pg = getenv("CHAOS_TEST_PG");                                                  \
        if (pg && *pg)                                                                             \
            failed += cmocka_run_group_tests_name(STORE_FIXTURE_PREFIX ": postgres", tests,        \
                                                  group_pg, group_end);                            \
        else                                                                                       \
            printf("SKIPPED postgres: CHAOS_TEST_PG is not set (tools/test.sh sets it)\n");        \
        return failed;                                                                             \
    }
