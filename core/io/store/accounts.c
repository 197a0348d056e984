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
} account_job;

static void account_done(cw_store_job *j)
{
    account_job *a = (account_job *)j;
    cw_account acc = {a->id, a->name, a->pwhash};
    if (a->cb) a->cb(a->ud, j->rc, j->rc == 0 ? &acc : NULL);
    free(a->name);
    free(a->pwhash);
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

static int get_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    account_job *a = (account_job *)j;
    cw_db_param p[1] = {CW_DBP_TEXT(a->name)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(db, "SELECT id, name, pwhash FROM accounts WHERE lower(name) = lower($1)",
                         p, 1, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) == 0) {
        cw_db_res_free(db, r);
        return CW_ENOTFOUND;
    }
    char *name = strdup(cw_db_text(db, r, 0, 1) ? cw_db_text(db, r, 0, 1) : "");
    char *hash = strdup(cw_db_text(db, r, 0, 2) ? cw_db_text(db, r, 0, 2) : "");
    if (!name || !hash) {
        free(name);
        free(hash);
        cw_db_res_free(db, r);
        return CW_ENOMEM;
    }
    a->id = cw_db_i64(db, r, 0, 0);
    free(a->name);
    free(a->pwhash);
    a->name = name;
    a->pwhash = hash;
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
