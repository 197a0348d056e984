/* bench_store.c — one write-behind flush: 10,000 changed characters saved in
 * one cw_store_characters_save call (one transaction), on SQLite and on
 * PostgreSQL. Figures for docs/performance.md.
 *
 *   bench_store [--pg URL] [--runs N] [--n COUNT] [--migrations DIR]
 *
 * PostgreSQL comes from --pg or CHAOS_TEST_PG (skipped when neither is set)
 * and runs in a fresh schema that is dropped afterwards. SQLite runs in a
 * temporary file (WAL, synchronous=FULL, as in production). Each run changes
 * every character (level, position, zone, a ~400-byte JSON document) and
 * saves them all with the versions read; every row must succeed. The store
 * runs in synchronous mode so the timing is the flush itself (copy, precheck,
 * transaction, per-row results). Build in Release:
 *   cmake -B build-rel-store -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-rel-store --target bench_store */
#include "core/base/clock.h"
#include "core/io/store/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bench {
    int n, runs;
    const char *migrations;
    int rc;
    int64_t id;
    int failed_rows;
} bench;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, msg);
    exit(1);
}

static void on_account(void *ud, int rc, const cw_account *acc)
{
    bench *b = ud;
    b->rc = rc;
    if (acc) b->id = acc->id;
}

static void on_save(void *ud, int rc, const int *results, int n)
{
    bench *b = ud;
    b->rc = rc;
    b->failed_rows = 0;
    for (int i = 0; i < n; i++)
        if (results[i] != 0) b->failed_rows++;
}

static const char fill_sql[] =
    "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %d) "
    "INSERT INTO characters (account_id, name, race, job, level, zone, x, y, doc, version) "
    "SELECT %lld, 'bench' || i, 'human', 'knight', 1, 'town', 0, 0, '{}', 1 FROM g";

static void fill_sqlite(const char *path, int n, int64_t account)
{
    sqlite3 *db;
    char sql[1024], *msg = NULL;
    snprintf(sql, sizeof sql, fill_sql, n, (long long)account);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        die("fill", msg ? msg : sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void pg_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) die("postgres", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One backend: url for the store, fill() seeds n characters. */
static void run(bench *b, const char *label, const char *url, const char *sqlite_path,
                const char *pg_url)
{
    cw_store_config cfg = {url, b->migrations, 1, NULL, NULL, 30000};
    cw_error err = {0};
    cw_store *s = cw_store_open(&cfg, &err);
    if (!s) die("open", err.msg);
    cw_store_account_create(s, "bencher", "hash", on_account, b);
    if (b->rc != 0) die("account", cw_err_name(b->rc));
    if (sqlite_path)
        fill_sqlite(sqlite_path, b->n, b->id);
    else {
        char sql[1024];
        snprintf(sql, sizeof sql, fill_sql, b->n, (long long)b->id);
        pg_exec(pg_url, sql);
    }
    /* the seeded ids are 1..n in both backends (fresh tables) */
    cw_character *chs = calloc((size_t)b->n, sizeof *chs);
    char **docs = calloc((size_t)b->n, sizeof *docs);
    double *ms = calloc((size_t)b->runs, sizeof *ms);
    if (!chs || !docs || !ms) die("alloc", "out of memory");
    for (int i = 0; i < b->n; i++) {
        docs[i] = malloc(512);
        if (!docs[i]) die("alloc", "out of memory");
        chs[i] = (cw_character){.id = i + 1,
                                .account_id = b->id,
                                .name = "",
                                .race = "human",
                                .job = "knight",
                                .level = 1,
                                .zone = "town",
                                .doc = "{}",
                                .version = 1};
    }
    for (int r = 0; r < b->runs; r++) {
        for (int i = 0; i < b->n; i++) {
            chs[i].level = 2 + r;
            chs[i].x = i * 0.5 + r;
            chs[i].y = -i * 0.25 - r;
            chs[i].zone = (i + r) % 2 ? "forest" : "desert";
            snprintf(docs[i], 512,
                     "{\"hp\": %d, \"mp\": %d, \"gold\": %d, \"xp\": %d, \"stats\": {\"str\": 12, "
                     "\"dex\": 14, \"int\": 9, \"vit\": 11}, \"bag\": [{\"tpl\": \"potion\", "
                     "\"n\": %d}, {\"tpl\": \"sword\", \"n\": 1}, {\"tpl\": \"arrow\", \"n\": "
                     "%d}], \"flags\": [\"tutorial_done\", \"met_king\"], \"title\": \"The "
                     "Persistent\", \"run\": %d}",
                     100 + r, 50 + r, 1000 * r + i, 12345 + i, r + 1, 99 - r, r);
            chs[i].doc = docs[i];
        }
        uint64_t t0 = cw_now_ns();
        cw_store_characters_save(s, chs, b->n, on_save, b);
        ms[r] = (double)(cw_now_ns() - t0) / 1e6;
        if (b->rc != 0 || b->failed_rows)
            die("save", b->rc ? cw_err_name(b->rc) : "some rows were not saved");
        for (int i = 0; i < b->n; i++)
            chs[i].version++;
    }
    double sorted[64];
    int k = b->runs < 64 ? b->runs : 64;
    memcpy(sorted, ms, sizeof *ms * (size_t)k);
    qsort(sorted, (size_t)k, sizeof *sorted, cmp_double);
    printf("{\"backend\":\"%s\",\"characters\":%d,\"runs_ms\":[", label, b->n);
    for (int r = 0; r < b->runs; r++)
        printf("%s%.1f", r ? "," : "", ms[r]);
    printf("],\"median_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f}\n", sorted[k / 2], sorted[0],
           sorted[k - 1]);
    for (int i = 0; i < b->n; i++)
        free(docs[i]);
    free(docs);
    free(chs);
    free(ms);
    cw_store_close(s);
}

int main(int argc, char **argv)
{
    bench b = {10000, 7, "migrations", 0, 0, 0};
    const char *pg = getenv("CHAOS_TEST_PG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pg") && i + 1 < argc)
            pg = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            b.runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            b.n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--migrations") && i + 1 < argc)
            b.migrations = argv[++i];
        else {
            fprintf(stderr, "usage: bench_store [--pg URL] [--runs N] [--n COUNT] "
                            "[--migrations DIR]\n");
            return 2;
        }
    }
    if (b.runs < 1 || b.runs > 64 || b.n < 1) die("usage", "--runs 1..64, --n >= 1");

    char dir[] = "/tmp/cw-bench-store-XXXXXX", path[128], url[160];
    if (!mkdtemp(dir)) die("mkdtemp", dir);
    snprintf(path, sizeof path, "%s/chaos.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    run(&b, "sqlite", url, path, NULL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_store: could not remove %s\n", dir);

    if (!pg || !*pg) {
        printf("SKIPPED postgres: pass --pg URL or set CHAOS_TEST_PG\n");
        return 0;
    }
    char schema[64], sql[256], pgurl[1024];
    snprintf(schema, sizeof schema, "cw_bench_%d", (int)getpid());
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    pg_exec(pg, sql);
    snprintf(pgurl, sizeof pgurl, "%s%coptions=-csearch_path%%3D%s", pg,
             strchr(pg, '?') ? '&' : '?', schema);
    run(&b, "postgres", pgurl, NULL, pgurl);
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    pg_exec(pg, sql);
    return 0;
}
