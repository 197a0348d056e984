/* ids.c — blocks of ids that never repeat, from a named counter in the
 * database (table id_counters, migration 0003). See store.h. */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct ids_job {
    cw_store_job job;
    cw_store_ids_cb cb;
    void *ud;
    char name[CW_IDS_NAME_MAX + 1];
    int64_t count, first;
} ids_job;

static int ids_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    ids_job *x = (ids_job *)j;
    cw_db_param p[2] = {CW_DBP_TEXT(x->name), CW_DBP_INT(x->count)};
    cw_db_res *r = NULL;
    /* One statement: the block is ours once it has committed (autocommit). */
    int rc = cw_db_query(db,
                         "INSERT INTO id_counters (name, last) VALUES ($1, $2) "
                         "ON CONFLICT (name) DO UPDATE SET last = id_counters.last + excluded.last "
                         "RETURNING last",
                         p, 2, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) != 1)
        rc = cw_error_set(err, CW_EIO, "id counter \"%s\" returned no value", x->name);
    else
        x->first = cw_db_i64(db, r, 0, 0) - x->count + 1;
    cw_db_res_free(db, r);
    return rc;
}

static void ids_done(cw_store_job *j)
{
    ids_job *x = (ids_job *)j;
    int ok = j->rc == 0;
    if (x->cb) x->cb(x->ud, j->rc, ok ? x->first : 0, ok ? x->count : 0);
    free(x);
}

void cw_store_ids_reserve(cw_store *s, const char *counter, int64_t count, cw_store_ids_cb cb,
                          void *ud)
{
    ids_job *x = calloc(1, sizeof *x);
    if (!x) {
        if (cb) cb(ud, CW_ENOMEM, 0, 0);
        return;
    }
    x->job.run = ids_run;
    x->job.done = ids_done;
    x->cb = cb;
    x->ud = ud;
    x->count = count;
    size_t len = counter ? strlen(counter) : 0;
    if (len == 0 || len > CW_IDS_NAME_MAX || count < 1 || count > CW_IDS_BLOCK_MAX) {
        cw_store_reject(s, &x->job, CW_EINVAL);
        return;
    }
    memcpy(x->name, counter, len + 1);
    cw_store_submit(s, &x->job);
}
