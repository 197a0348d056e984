/* db_sqlite.c — the SQLite backend of db.h.
 *
 * One connection, WAL journal, synchronous=FULL (see docs/persistence.md),
 * foreign keys on, a busy timeout below the worker's own retry. Statements
 * are prepared once (sqlite3_prepare_v3, SQLITE_PREPARE_PERSISTENT) and kept
 * in a small list keyed by SQL text; $N placeholders are mapped to SQLite's
 * parameter indexes once per statement. Results are copied out (typed), so
 * the statement is reset before query() returns. */
#include "core/io/store/db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SQ_BUSY_TIMEOUT_MS 1000
#define SQ_MAX_PARAMS 32

typedef struct sq_stmt {
    struct sq_stmt *next;
    const char *sql; /* the caller's literal (pointer compared first) */
    char *sql_copy;
    sqlite3_stmt *st;
    int nparams;
    int index_of[SQ_MAX_PARAMS + 1]; /* $N -> sqlite parameter index */
} sq_stmt;

typedef struct sq_db {
    cw_db base;
    sqlite3 *h;
    sq_stmt *stmts;
} sq_db;

typedef struct sq_cell {
    int type;
    int64_t i;
    double d;
    char *s;
} sq_cell;

struct cw_db_res {
    int nrows, ncols, cap;
    sq_cell *cells;
};

static int classify(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
    case SQLITE_CANTOPEN:
        return CW_EUNAVAIL;
    case SQLITE_NOMEM:
        return CW_ENOMEM;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return CW_EEXIST;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return CW_ENOTFOUND;
        return CW_EINVAL;
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return CW_EINVAL;
    default:
        return CW_EIO;
    }
}

static int fail(sq_db *d, int rc, cw_error *err, const char *what)
{
    return cw_error_set(err, classify(rc), "sqlite %s: %s (%s)", what,
                        d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc), sqlite3_errstr(rc));
}

static void make_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return;
    memcpy(dir, path, n);
    dir[n] = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return; /* open() reports it */
}

static int sq_exec(cw_db *db, const char *sql, cw_error *err)
{
    sq_db *d = (sq_db *)db;
    char *msg = NULL;
    int rc = sqlite3_exec(d->h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = cw_error_set(err, classify(sqlite3_extended_errcode(d->h)), "sqlite: %s",
                                msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

static void sq_close(cw_db *db)
{
    sq_db *d = (sq_db *)db;
    if (!d) return;
    for (sq_stmt *s = d->stmts, *next; s; s = next) {
        next = s->next;
        sqlite3_finalize(s->st);
        free(s->sql_copy);
        free(s);
    }
    sqlite3_close(d->h);
    free(d);
}

static int sq_open(const char *path, cw_db **out, cw_error *err)
{
    *out = NULL;
    if (!path || !*path) return cw_error_set(err, CW_EINVAL, "sqlite: empty path");
    sq_db *d = calloc(1, sizeof *d);
    if (!d) return cw_error_set(err, CW_ENOMEM, "sqlite: out of memory");
    d->base.ops = &cw_db_sqlite_ops;
    make_parent_dir(path);
    int rc = sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        int code = cw_error_set(err, CW_EUNAVAIL, "sqlite: cannot open %s: %s", path,
                                d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc));
        sq_close(&d->base);
        return code;
    }
    sqlite3_extended_result_codes(d->h, 1);
    sqlite3_busy_timeout(d->h, SQ_BUSY_TIMEOUT_MS);
    /* WAL: readers never block the writer; FULL: a commit survives power loss
     * too, at one fsync per transaction (saves are batched). */
    rc = sq_exec(&d->base,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err);
    if (rc != 0) {
        sq_close(&d->base);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static int sq_ensure(cw_db *db, cw_error *err)
{
    (void)err;
    sq_db *d = (sq_db *)db;
    if (!sqlite3_get_autocommit(d->h)) sq_exec(db, "ROLLBACK", NULL);
    return 0;
}

static sq_stmt *prepare(sq_db *d, const char *sql, int np, cw_error *err, int *code)
{
    for (sq_stmt *s = d->stmts; s; s = s->next)
        if (s->sql == sql || !strcmp(s->sql_copy, sql)) return s;
    sq_stmt *s = calloc(1, sizeof *s);
    if (!s || !(s->sql_copy = strdup(sql))) {
        free(s);
        *code = cw_error_set(err, CW_ENOMEM, "sqlite: out of memory");
        return NULL;
    }
    s->sql = sql;
    int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
    if (rc != SQLITE_OK) {
        *code = fail(d, sqlite3_extended_errcode(d->h), err, "prepare");
        free(s->sql_copy);
        free(s);
        return NULL;
    }
    int count = sqlite3_bind_parameter_count(s->st);
    for (int i = 1; i <= count; i++) {
        const char *name = sqlite3_bind_parameter_name(s->st, i);
        int n = name && name[0] == '$' ? atoi(name + 1) : 0;
        if (n < 1 || n > SQ_MAX_PARAMS) {
            *code = cw_error_set(err, CW_EINVAL, "sqlite: bad placeholder in %s", sql);
            sqlite3_finalize(s->st);
            free(s->sql_copy);
            free(s);
            return NULL;
        }
        s->index_of[n] = i;
        if (n > s->nparams) s->nparams = n;
    }
    (void)np;
    s->next = d->stmts;
    d->stmts = s;
    return s;
}

static int bind(sq_db *d, sq_stmt *s, const cw_db_param *p, int np, cw_error *err)
{
    if (np != s->nparams)
        return cw_error_set(err, CW_EINVAL, "sqlite: %d parameters for %d placeholders", np,
                            s->nparams);
    for (int n = 1; n <= np; n++) {
        int idx = s->index_of[n], rc;
        const cw_db_param *v = &p[n - 1];
        if (!idx) continue;
        switch (v->type) {
        case CW_DB_INT:
            rc = sqlite3_bind_int64(s->st, idx, v->i);
            break;
        case CW_DB_DOUBLE:
            rc = sqlite3_bind_double(s->st, idx, v->d);
            break;
        case CW_DB_TEXT:
            rc = v->s ? sqlite3_bind_text(s->st, idx, v->s, -1, SQLITE_STATIC)
                      : sqlite3_bind_null(s->st, idx);
            break;
        default:
            rc = sqlite3_bind_null(s->st, idx);
            break;
        }
        if (rc != SQLITE_OK) return fail(d, rc, err, "bind");
    }
    return 0;
}

static int add_row(cw_db_res *r, sqlite3_stmt *st)
{
    if (r->nrows == r->cap) {
        int cap = r->cap ? r->cap * 2 : 4;
        sq_cell *c = realloc(r->cells, sizeof *c * (size_t)cap * (size_t)(r->ncols ? r->ncols : 1));
        if (!c) return CW_ENOMEM;
        r->cells = c;
        r->cap = cap;
    }
    sq_cell *row = r->cells + (size_t)r->nrows * (size_t)r->ncols;
    for (int c = 0; c < r->ncols; c++) {
        sq_cell *cell = &row[c];
        cell->type = sqlite3_column_type(st, c);
        cell->i = sqlite3_column_int64(st, c);
        cell->d = sqlite3_column_double(st, c);
        cell->s = NULL;
        if (cell->type != SQLITE_NULL) {
            const unsigned char *t = sqlite3_column_text(st, c);
            int len = sqlite3_column_bytes(st, c);
            cell->s = malloc((size_t)len + 1);
            if (!cell->s) {
                for (int k = 0; k < c; k++)
                    free(row[k].s);
                return CW_ENOMEM;
            }
            memcpy(cell->s, t ? (const char *)t : "", (size_t)len);
            cell->s[len] = 0;
        }
    }
    r->nrows++;
    return 0;
}

static void sq_res_free(cw_db_res *r)
{
    if (!r) return;
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i].s);
    free(r->cells);
    free(r);
}

static int sq_query(cw_db *db, const char *sql, const cw_db_param *p, int np, cw_db_res **res,
                    cw_error *err)
{
    sq_db *d = (sq_db *)db;
    int code = 0;
    if (res) *res = NULL;
    sq_stmt *s = prepare(d, sql, np, err, &code);
    if (!s) return code;
    code = bind(d, s, p, np, err);
    cw_db_res *r = NULL;
    if (code == 0 && res) {
        r = calloc(1, sizeof *r);
        if (!r)
            code = cw_error_set(err, CW_ENOMEM, "sqlite: out of memory");
        else
            r->ncols = sqlite3_column_count(s->st);
    }
    while (code == 0) {
        int rc = sqlite3_step(s->st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            code = fail(d, sqlite3_extended_errcode(d->h), err, "step");
            break;
        }
        if (r && add_row(r, s->st) != 0) code = cw_error_set(err, CW_ENOMEM, "sqlite: oom");
    }
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    if (code != 0) {
        sq_res_free(r);
        return code;
    }
    if (res) *res = r;
    return 0;
}

static int sq_nrows(const cw_db_res *r)
{
    return r ? r->nrows : 0;
}

static const sq_cell *cell_at(const cw_db_res *r, int row, int col)
{
    if (!r || row < 0 || row >= r->nrows || col < 0 || col >= r->ncols) return NULL;
    return &r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

static const char *sq_text(const cw_db_res *r, int row, int col)
{
    const sq_cell *c = cell_at(r, row, col);
    return c ? c->s : NULL;
}

static int64_t sq_i64(const cw_db_res *r, int row, int col)
{
    const sq_cell *c = cell_at(r, row, col);
    return c ? c->i : 0;
}

static double sq_dbl(const cw_db_res *r, int row, int col)
{
    const sq_cell *c = cell_at(r, row, col);
    return c ? c->d : 0;
}

const cw_db_ops cw_db_sqlite_ops = {
    .name = "sqlite",
    .dialect = CW_DB_SQLITE,
    .open = sq_open,
    .close = sq_close,
    .ensure = sq_ensure,
    .exec = sq_exec,
    .query = sq_query,
    .nrows = sq_nrows,
    .text = sq_text,
    .i64 = sq_i64,
    .dbl = sq_dbl,
    .res_free = sq_res_free,
};
