/* db.h — internal: the backend vtable the store's domain code is written
 * against. Not part of the public store interface.
 *
 * SQL uses $1..$n placeholders in both dialects (SQLite binds them by name).
 * Every value reaches the database as a bound parameter; exec() takes fixed
 * SQL only (BEGIN/COMMIT, migration files). Statements are prepared once per
 * connection and cached by their SQL text (pass string literals).
 *
 * Errors are classified: CW_EUNAVAIL retryable (connection lost, busy, disk
 * full), CW_EEXIST unique violation, CW_ENOTFOUND foreign-key violation,
 * CW_EINVAL bad data (check constraint, invalid JSON), CW_EIO anything else.
 * A connection is used by one thread at a time. */
#ifndef CW_IO_STORE_DB_H
#define CW_IO_STORE_DB_H

#include "core/base/err.h"

#include <stddef.h>
#include <stdint.h>

enum { CW_DB_NULL = 0, CW_DB_INT, CW_DB_DOUBLE, CW_DB_TEXT };
enum { CW_DB_SQLITE = 1, CW_DB_POSTGRES = 2 };

typedef struct cw_db_param {
    int type;
    int64_t i;
    double d;
    const char *s;
} cw_db_param;

#define CW_DBP_INT(v) ((cw_db_param){CW_DB_INT, (int64_t)(v), 0, NULL})
#define CW_DBP_DBL(v) ((cw_db_param){CW_DB_DOUBLE, 0, (double)(v), NULL})
#define CW_DBP_TEXT(v) ((cw_db_param){CW_DB_TEXT, 0, 0, (v)})

typedef struct cw_db cw_db;
typedef struct cw_db_res cw_db_res;

typedef struct cw_db_ops {
    const char *name; /* "sqlite" or "postgres" */
    int dialect;
    /* target: a file path (sqlite) or a libpq URL (postgres). */
    int (*open)(const char *target, cw_db **out, cw_error *err);
    void (*close)(cw_db *db);
    /* Makes the connection usable: reconnects a broken one, rolls back a
     * transaction a failed job left open. */
    int (*ensure)(cw_db *db, cw_error *err);
    /* Fixed SQL, possibly several statements, no parameters, no result. */
    int (*exec)(cw_db *db, const char *sql, cw_error *err);
    /* One parameterized statement. res may be NULL (result discarded);
     * otherwise *res must be freed with res_free. */
    int (*query)(cw_db *db, const char *sql, const cw_db_param *p, int np, cw_db_res **res,
                 cw_error *err);
    int (*nrows)(const cw_db_res *r);
    const char *(*text)(const cw_db_res *r, int row, int col); /* NULL for SQL NULL */
    int64_t (*i64)(const cw_db_res *r, int row, int col);
    double (*dbl)(const cw_db_res *r, int row, int col);
    void (*res_free)(cw_db_res *r);
} cw_db_ops;

struct cw_db {
    const cw_db_ops *ops;
};

extern const cw_db_ops cw_db_sqlite_ops;
extern const cw_db_ops cw_db_postgres_ops;

static inline int cw_db_query(cw_db *db, const char *sql, const cw_db_param *p, int np,
                              cw_db_res **res, cw_error *err)
{
    return db->ops->query(db, sql, p, np, res, err);
}
static inline int cw_db_nrows(cw_db *db, const cw_db_res *r)
{
    return db->ops->nrows(r);
}
static inline const char *cw_db_text(cw_db *db, const cw_db_res *r, int row, int col)
{
    return db->ops->text(r, row, col);
}
static inline int64_t cw_db_i64(cw_db *db, const cw_db_res *r, int row, int col)
{
    return db->ops->i64(r, row, col);
}
static inline double cw_db_dbl(cw_db *db, const cw_db_res *r, int row, int col)
{
    return db->ops->dbl(r, row, col);
}
static inline void cw_db_res_free(cw_db *db, cw_db_res *r)
{
    if (r) db->ops->res_free(r);
}
/* Write transactions: SQLite takes the write lock up front (BEGIN IMMEDIATE). */
static inline int cw_db_begin(cw_db *db, cw_error *err)
{
    return db->ops->exec(db, db->ops->dialect == CW_DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}
static inline int cw_db_commit(cw_db *db, cw_error *err)
{
    return db->ops->exec(db, "COMMIT", err);
}
/* Best effort; ensure() cleans up if this fails. */
static inline void cw_db_rollback(cw_db *db)
{
    db->ops->exec(db, "ROLLBACK", NULL);
}

#endif
