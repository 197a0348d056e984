/* bans.c — operator bans of accounts (store.h, table account_bans of
 * migration 0004), written once against db.h. Expiry times are computed
 * and compared by the database's clock (dialect-specific SQL), so every
 * server sharing a database agrees on when a ban ends. */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct ban_job {
    cw_store_job job;
    cw_store_ban_cb cb;
    void *ud;
    char *name;   /* argument, then the stored name */
    char *reason; /* set only */
    int64_t seconds;
    int64_t account_id;
    int was_banned;
} ban_job;

static void ban_done(cw_store_job *j)
{
    ban_job *b = (ban_job *)j;
    cw_ban ban = {b->account_id, b->account_id && b->name ? b->name : "", b->was_banned};
    if (b->cb) b->cb(b->ud, j->rc, &ban);
    free(b->name);
    free(b->reason);
    free(b);
}

/* Finds the account and whether it has a ban in force. */
static const char find_sql_sqlite[] =
    "SELECT a.id, a.name, b.account_id, b.expires_at - CAST(strftime('%s', 'now') AS INTEGER) "
    "FROM accounts a LEFT JOIN account_bans b ON b.account_id = a.id "
    "WHERE lower(a.name) = lower($1)";
static const char find_sql_postgres[] =
    "SELECT a.id, a.name, b.account_id, ceil(extract(epoch FROM b.expires_at - now()))::bigint "
    "FROM accounts a LEFT JOIN account_bans b ON b.account_id = a.id "
    "WHERE lower(a.name) = lower($1)";

static int find_account(cw_db *db, ban_job *b, cw_error *err)
{
    cw_db_param p[1] = {CW_DBP_TEXT(b->name)};
    cw_db_res *r = NULL;
    const char *sql = db->ops->dialect == CW_DB_SQLITE ? find_sql_sqlite : find_sql_postgres;
    int rc = cw_db_query(db, sql, p, 1, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) == 0) {
        cw_db_res_free(db, r);
        b->account_id = 0;
        return CW_ENOTFOUND;
    }
    char *name = strdup(cw_db_text(db, r, 0, 1) ? cw_db_text(db, r, 0, 1) : "");
    if (!name) {
        cw_db_res_free(db, r);
        return CW_ENOMEM;
    }
    free(b->name);
    b->name = name;
    b->account_id = cw_db_i64(db, r, 0, 0);
    int has_ban = cw_db_text(db, r, 0, 2) != NULL;
    b->was_banned = has_ban && (cw_db_text(db, r, 0, 3) == NULL || cw_db_i64(db, r, 0, 3) > 0);
    cw_db_res_free(db, r);
    return 0;
}

/* $2 NULL = permanent. */
static const char set_sql_sqlite[] =
    "INSERT INTO account_bans (account_id, expires_at, reason, banned_at) "
    "VALUES ($1, CAST(strftime('%s', 'now') AS INTEGER) + $2, $3, "
    "CAST(strftime('%s', 'now') AS INTEGER)) "
    "ON CONFLICT (account_id) DO UPDATE SET expires_at = excluded.expires_at, "
    "reason = excluded.reason, banned_at = excluded.banned_at";
static const char set_sql_postgres[] =
    "INSERT INTO account_bans (account_id, expires_at, reason, banned_at) "
    "VALUES ($1::bigint, now() + $2::bigint * interval '1 second', $3, now()) "
    "ON CONFLICT (account_id) DO UPDATE SET expires_at = excluded.expires_at, "
    "reason = excluded.reason, banned_at = excluded.banned_at";

static int set_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    ban_job *b = (ban_job *)j;
    int rc = cw_db_begin(db, err);
    if (rc == 0) rc = find_account(db, b, err);
    if (rc == 0) {
        cw_db_param p[3] = {CW_DBP_INT(b->account_id), CW_DBP_INT(b->seconds),
                            CW_DBP_TEXT(b->reason ? b->reason : "")};
        if (b->seconds == 0) p[1] = (cw_db_param){CW_DB_NULL, 0, 0, NULL};
        rc = cw_db_query(db, db->ops->dialect == CW_DB_SQLITE ? set_sql_sqlite : set_sql_postgres,
                         p, 3, NULL, err);
    }
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    return rc;
}

static int clear_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    ban_job *b = (ban_job *)j;
    int rc = cw_db_begin(db, err);
    if (rc == 0) rc = find_account(db, b, err);
    if (rc == 0) {
        cw_db_param p[1] = {CW_DBP_INT(b->account_id)};
        rc = cw_db_query(db, "DELETE FROM account_bans WHERE account_id = $1", p, 1, NULL, err);
    }
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    if (rc == 0 && !b->was_banned) rc = CW_ENOTFOUND;
    return rc;
}

static void submit(cw_store *s, int (*run)(cw_db *, cw_store_job *, cw_error *), const char *name,
                   int64_t seconds, const char *reason, cw_store_ban_cb cb, void *ud)
{
    ban_job *b = calloc(1, sizeof *b);
    if (!b) {
        cw_ban none = {0, "", 0};
        if (cb) cb(ud, CW_ENOMEM, &none); /* cannot even queue: answer now */
        return;
    }
    b->job.run = run;
    b->job.done = ban_done;
    b->cb = cb;
    b->ud = ud;
    b->seconds = seconds;
    b->name = name ? strdup(name) : NULL;
    b->reason = reason ? strdup(reason) : NULL;
    int bad = !name || !*name || seconds < 0;
    int oom = (name && !b->name) || (reason && !b->reason);
    if (bad || oom)
        cw_store_reject(s, &b->job, bad ? CW_EINVAL : CW_ENOMEM);
    else
        cw_store_submit(s, &b->job);
}

void cw_store_ban_set(cw_store *s, const char *name, int64_t seconds, const char *reason,
                      cw_store_ban_cb cb, void *ud)
{
    submit(s, set_run, name, seconds, reason, cb, ud);
}

void cw_store_ban_clear(cw_store *s, const char *name, cw_store_ban_cb cb, void *ud)
{
    submit(s, clear_run, name, 0, NULL, cb, ud);
}
