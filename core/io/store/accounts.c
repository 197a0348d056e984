/* accounts.c — account operations, written once against db.h. Names are
 * unique case-insensitively (a unique index on lower(name) in both schemas;
 * see docs/persistence.md for the non-ASCII caveat). */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct account_job {
    cw_store_job job;
    cw_store_account_cb cb;
    void *ud;
    char *name;   /* argument, then the stored name */
    char *pwhash; /* argument (create) or the stored hash (get) */
    int64_t id;
    int banned;
    int64_t ban_seconds;
    char *ban_reason; /* get: the ban's reason, NULL when none */
} account_job;

static void account_done(cw_store_job *j)
{
    account_job *a = (account_job *)j;
    cw_account acc = {a->id,     a->name,        a->pwhash,
                      a->banned, a->ban_seconds, a->ban_reason ? a->ban_reason : ""};
    if (a->cb) a->cb(a->ud, j->rc, j->rc == 0 ? &acc : NULL);
    free(a->name);
    free(a->pwhash);
    free(a->ban_reason);
    free(a);
}

static int create_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    account_job *a = (account_job *)j;
    cw_db_param p[2] = {CW_DBP_TEXT(a->name), CW_DBP_TEXT(a->pwhash)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(db, "INSERT INTO accounts (name, pwhash) VALUES ($1, $2) RETURNING id", p,
                         2, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) != 1)
        rc = cw_error_set(err, CW_EIO, "account insert returned no id");
    else
        a->id = cw_db_i64(db, r, 0, 0);
    cw_db_res_free(db, r);
    return rc;
}

/* The account and its ban, if any: columns 3..5 are the ban row's account
 * id (NULL: no ban), the seconds left (NULL: permanent) and the reason. */
static const char get_sql_sqlite[] =
    "SELECT a.id, a.name, a.pwhash, b.account_id, "
    "b.expires_at - CAST(strftime('%s', 'now') AS INTEGER), b.reason "
    "FROM accounts a LEFT JOIN account_bans b ON b.account_id = a.id "
    "WHERE lower(a.name) = lower($1)";
static const char get_sql_postgres[] =
    "SELECT a.id, a.name, a.pwhash, b.account_id, "
    "ceil(extract(epoch FROM b.expires_at - now()))::bigint, b.reason "
    "FROM accounts a LEFT JOIN account_bans b ON b.account_id = a.id "
    "WHERE lower(a.name) = lower($1)";

static int get_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    account_job *a = (account_job *)j;
    cw_db_param p[1] = {CW_DBP_TEXT(a->name)};
    cw_db_res *r = NULL;
    const char *sql = db->ops->dialect == CW_DB_SQLITE ? get_sql_sqlite : get_sql_postgres;
    int rc = cw_db_query(db, sql, p, 1, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) == 0) {
        cw_db_res_free(db, r);
        return CW_ENOTFOUND;
    }
    char *name = strdup(cw_db_text(db, r, 0, 1) ? cw_db_text(db, r, 0, 1) : "");
    char *hash = strdup(cw_db_text(db, r, 0, 2) ? cw_db_text(db, r, 0, 2) : "");
    int has_ban = cw_db_text(db, r, 0, 3) != NULL;
    int permanent = has_ban && cw_db_text(db, r, 0, 4) == NULL;
    int64_t left = permanent ? 0 : cw_db_i64(db, r, 0, 4);
    char *reason = NULL;
    if (has_ban && (permanent || left > 0))
        reason = strdup(cw_db_text(db, r, 0, 5) ? cw_db_text(db, r, 0, 5) : "");
    if (!name || !hash || (has_ban && (permanent || left > 0) && !reason)) {
        free(name);
        free(hash);
        free(reason);
        cw_db_res_free(db, r);
        return CW_ENOMEM;
    }
    a->id = cw_db_i64(db, r, 0, 0);
    free(a->name);
    free(a->pwhash);
    a->name = name;
    a->pwhash = hash;
    a->banned = reason != NULL;
    a->ban_seconds = reason && !permanent ? left : 0;
    a->ban_reason = reason;
    cw_db_res_free(db, r);
    return 0;
}

static void submit(cw_store *s, int (*run)(cw_db *, cw_store_job *, cw_error *), const char *name,
                   const char *pwhash, cw_store_account_cb cb, void *ud)
{
    account_job *a = calloc(1, sizeof *a);
    if (!a) {
        if (cb) cb(ud, CW_ENOMEM, NULL); /* cannot even queue: answer now */
        return;
    }
    a->job.run = run;
    a->job.done = account_done;
    a->cb = cb;
    a->ud = ud;
    a->name = name ? strdup(name) : NULL;
    a->pwhash = pwhash ? strdup(pwhash) : NULL;
    int bad = !name || !*name || (run == create_run && (!pwhash || !*pwhash));
    int oom = (name && !a->name) || (pwhash && !a->pwhash);
    if (bad || oom)
        cw_store_reject(s, &a->job, bad ? CW_EINVAL : CW_ENOMEM);
    else
        cw_store_submit(s, &a->job);
}

void cw_store_account_create(cw_store *s, const char *name, const char *pwhash,
                             cw_store_account_cb cb, void *ud)
{
    submit(s, create_run, name, pwhash, cb, ud);
}

void cw_store_account_get(cw_store *s, const char *name, cw_store_account_cb cb, void *ud)
{
    submit(s, get_run, name, NULL, cb, ud);
}
