/* db_postgres.c — the PostgreSQL backend of db.h, through libpq.
 *
 * One connection. Statements are prepared once per connection (PQprepare,
 * named cw_sN) and executed with text-format parameters; the cache is
 * dropped when the connection is reset. A lost connection (PQstatus BAD)
 * and the transient SQLSTATE classes are reported as CW_EUNAVAIL so the
 * worker retries; ensure() then reconnects with PQreset. */
#include "core/io/store/db.h"

#include "core/base/log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 32

typedef struct pg_stmt {
    struct pg_stmt *next;
    const char *sql;
    char *sql_copy;
    char name[24];
} pg_stmt;

typedef struct pg_db {
    cw_db base;
    PGconn *conn;
    pg_stmt *stmts;
    int next_id;
} pg_db;

struct cw_db_res {
    PGresult *r;
};

static void quiet_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static void drop_stmts(pg_db *d)
{
    for (pg_stmt *s = d->stmts, *next; s; s = next) {
        next = s->next;
        free(s->sql_copy);
        free(s);
    }
    d->stmts = NULL;
}

/* One line: libpq messages carry newlines and tabs. */
static const char *clean(const char *m, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", m ? m : "");
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    return buf;
}

static int classify(pg_db *d, const PGresult *r)
{
    if (PQstatus(d->conn) != CONNECTION_OK) return CW_EUNAVAIL;
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!st) return CW_EUNAVAIL; /* no server answer: the connection failed */
    if (!strcmp(st, "23505")) return CW_EEXIST;
    if (!strcmp(st, "23503")) return CW_ENOTFOUND;
    if (!strncmp(st, "23", 2) || !strncmp(st, "22", 2)) return CW_EINVAL;
    if (!strncmp(st, "08", 2) || !strncmp(st, "53", 2) || !strncmp(st, "57P", 3) ||
        !strcmp(st, "40001") || !strcmp(st, "40P01") || !strcmp(st, "55P03"))
        return CW_EUNAVAIL;
    return CW_EIO;
}

static int fail(pg_db *d, PGresult *r, cw_error *err, const char *what)
{
    char buf[512];
    int code = classify(d, r);
    const char *msg = r ? PQresultErrorMessage(r) : NULL;
    if (!msg || !*msg) msg = PQerrorMessage(d->conn);
    cw_error_set(err, code, "postgres %s: %s", what, clean(msg, buf, sizeof buf));
    PQclear(r);
    return code;
}

static void pg_close(cw_db *db)
{
    pg_db *d = (pg_db *)db;
    if (!d) return;
    drop_stmts(d);
    PQfinish(d->conn);
    free(d);
}

static int pg_open(const char *url, cw_db **out, cw_error *err)
{
    *out = NULL;
    pg_db *d = calloc(1, sizeof *d);
    if (!d) return cw_error_set(err, CW_ENOMEM, "postgres: out of memory");
    d->base.ops = &cw_db_postgres_ops;
    /* A dead host must not hang the worker forever: a connect timeout unless
     * the URL sets one. */
    const char *keys[] = {"dbname", "connect_timeout", NULL};
    const char *vals[] = {url, "5", NULL};
    if (strstr(url, "connect_timeout")) keys[1] = NULL;
    d->conn = PQconnectdbParams(keys, vals, 1);
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
        char buf[512];
        int code = cw_error_set(
            err, d->conn ? CW_EUNAVAIL : CW_ENOMEM, "postgres: cannot connect: %s",
            clean(d->conn ? PQerrorMessage(d->conn) : "out of memory", buf, sizeof buf));
        pg_close(&d->base);
        return code;
    }
    PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
    *out = &d->base;
    return 0;
}

static int pg_exec(cw_db *db, const char *sql, cw_error *err)
{
    pg_db *d = (pg_db *)db;
    PGresult *r = PQexec(d->conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        return fail(d, r, err, "exec");
    PQclear(r);
    return 0;
}

static int pg_ensure(cw_db *db, cw_error *err)
{
    pg_db *d = (pg_db *)db;
    if (PQstatus(d->conn) != CONNECTION_OK) {
        drop_stmts(d);
        PQreset(d->conn);
        if (PQstatus(d->conn) != CONNECTION_OK) {
            char buf[512];
            return cw_error_set(err, CW_EUNAVAIL, "postgres: reconnect failed: %s",
                                clean(PQerrorMessage(d->conn), buf, sizeof buf));
        }
        PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
        cw_log(CW_LOG_INFO, "store reconnected", CW_S("backend", "postgres"), CW_END);
    }
    PGTransactionStatusType ts = PQtransactionStatus(d->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) pg_exec(db, "ROLLBACK", NULL);
    return 0;
}

static pg_stmt *prepare(pg_db *d, const char *sql, int np, cw_error *err, int *code)
{
    for (pg_stmt *s = d->stmts; s; s = s->next)
        if (s->sql == sql || !strcmp(s->sql_copy, sql)) return s;
    pg_stmt *s = calloc(1, sizeof *s);
    if (!s || !(s->sql_copy = strdup(sql))) {
        free(s);
        *code = cw_error_set(err, CW_ENOMEM, "postgres: out of memory");
        return NULL;
    }
    s->sql = sql;
    snprintf(s->name, sizeof s->name, "cw_s%d", ++d->next_id);
    PGresult *r = PQprepare(d->conn, s->name, sql, np, NULL);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        *code = fail(d, r, err, "prepare");
        free(s->sql_copy);
        free(s);
        return NULL;
    }
    PQclear(r);
    s->next = d->stmts;
    d->stmts = s;
    return s;
}

static int pg_query(cw_db *db, const char *sql, const cw_db_param *p, int np, cw_db_res **res,
                    cw_error *err)
{
    pg_db *d = (pg_db *)db;
    int code = 0;
    if (res) *res = NULL;
    if (np < 0 || np > PG_MAX_PARAMS)
        return cw_error_set(err, CW_EINVAL, "postgres: %d params", np);
    pg_stmt *s = prepare(d, sql, np, err, &code);
    if (!s) return code;
    char nums[PG_MAX_PARAMS][32];
    const char *vals[PG_MAX_PARAMS];
    for (int i = 0; i < np; i++) {
        switch (p[i].type) {
        case CW_DB_INT:
            snprintf(nums[i], sizeof nums[i], "%lld", (long long)p[i].i);
            vals[i] = nums[i];
            break;
        case CW_DB_DOUBLE:
            snprintf(nums[i], sizeof nums[i], "%.17g", p[i].d);
            vals[i] = nums[i];
            break;
        case CW_DB_TEXT:
            vals[i] = p[i].s;
            break;
        default:
            vals[i] = NULL;
            break;
        }
    }
    PGresult *r = PQexecPrepared(d->conn, s->name, np, vals, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(d, r, err, "query");
    if (!res) {
        PQclear(r);
        return 0;
    }
    cw_db_res *out = malloc(sizeof *out);
    if (!out) {
        PQclear(r);
        return cw_error_set(err, CW_ENOMEM, "postgres: out of memory");
    }
    out->r = r;
    *res = out;
    return 0;
}

static int pg_nrows(const cw_db_res *r)
{
    return r ? PQntuples(r->r) : 0;
}

static const char *pg_text(const cw_db_res *r, int row, int col)
{
    if (!r || row >= PQntuples(r->r) || col >= PQnfields(r->r) || PQgetisnull(r->r, row, col))
        return NULL;
    return PQgetvalue(r->r, row, col);
}

static int64_t pg_i64(const cw_db_res *r, int row, int col)
{
    const char *t = pg_text(r, row, col);
    return t ? strtoll(t, NULL, 10) : 0;
}

static double pg_dbl(const cw_db_res *r, int row, int col)
{
    const char *t = pg_text(r, row, col);
    return t ? strtod(t, NULL) : 0;
}

static void pg_res_free(cw_db_res *r)
{
    if (!r) return;
    PQclear(r->r);
    free(r);
}

const cw_db_ops cw_db_postgres_ops = {
    .name = "postgres",
    .dialect = CW_DB_POSTGRES,
    .open = pg_open,
    .close = pg_close,
    .ensure = pg_ensure,
    .exec = pg_exec,
    .query = pg_query,
    .nrows = pg_nrows,
    .text = pg_text,
    .i64 = pg_i64,
    .dbl = pg_dbl,
    .res_free = pg_res_free,
};
