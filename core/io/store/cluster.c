/* cluster.c — the cluster map: which process owns which zone (table
 * cluster_zones, migration 0009). See store.h. */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int text_ok(const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 1 || len > max) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] == 0x7f) return 0;
    return 1;
}

/* ---- set / unset ------------------------------------------------------------------- */

typedef struct cl_set_job {
    cw_store_job job;
    cw_store_cluster_set_cb cb;
    void *ud;
    char zone[CW_CLUSTER_ZONE_MAX + 1];
    char process[CW_CLUSTER_PROCESS_MAX + 1]; /* "" = remove the row */
} cl_set_job;

static int set_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    cl_set_job *x = (cl_set_job *)j;
    if (x->process[0]) {
        cw_db_param p[3] = {CW_DBP_TEXT(x->zone), CW_DBP_TEXT(x->process),
                            CW_DBP_INT((int64_t)time(NULL))};
        return cw_db_query(db,
                           "INSERT INTO cluster_zones (zone, process, updated_at) "
                           "VALUES ($1, $2, $3) ON CONFLICT (zone) DO UPDATE SET "
                           "process = excluded.process, updated_at = excluded.updated_at",
                           p, 3, NULL, err);
    }
    cw_db_param z = CW_DBP_TEXT(x->zone);
    cw_db_res *r = NULL;
    int rc =
        cw_db_query(db, "DELETE FROM cluster_zones WHERE zone = $1 RETURNING zone", &z, 1, &r, err);
    if (rc == 0 && cw_db_nrows(db, r) == 0) rc = CW_ENOTFOUND;
    cw_db_res_free(db, r);
    return rc;
}

static void set_done(cw_store_job *j)
{
    cl_set_job *x = (cl_set_job *)j;
    if (x->cb) x->cb(x->ud, j->rc);
    free(x);
}

void cw_store_cluster_set(cw_store *s, const char *zone, const char *process,
                          cw_store_cluster_set_cb cb, void *ud)
{
    cl_set_job *x = calloc(1, sizeof *x);
    if (!x) {
        if (cb) cb(ud, CW_ENOMEM);
        return;
    }
    x->job.run = set_run;
    x->job.done = set_done;
    x->cb = cb;
    x->ud = ud;
    if (!text_ok(zone, CW_CLUSTER_ZONE_MAX) ||
        (process && !text_ok(process, CW_CLUSTER_PROCESS_MAX))) {
        cw_store_reject(s, &x->job, CW_EINVAL);
        return;
    }
    memcpy(x->zone, zone, strlen(zone) + 1);
    if (process) memcpy(x->process, process, strlen(process) + 1);
    cw_store_submit(s, &x->job);
}

/* ---- list ---------------------------------------------------------------------------- */

typedef struct cl_list_job {
    cw_store_job job;
    cw_store_cluster_cb cb;
    void *ud;
    cw_cluster_row *rows;
    int n;
} cl_list_job;

static int list_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    cl_list_job *x = (cl_list_job *)j;
    free(x->rows); /* a retry starts over */
    x->rows = NULL;
    x->n = 0;
    cw_db_param lim = CW_DBP_INT(CW_CLUSTER_ROWS_MAX);
    cw_db_res *r = NULL;
    int rc = cw_db_query(db,
                         "SELECT zone, process, updated_at FROM cluster_zones ORDER BY zone "
                         "LIMIT $1",
                         &lim, 1, &r, err);
    if (rc != 0) return rc;
    int n = cw_db_nrows(db, r);
    if (n > 0 && !(x->rows = calloc((size_t)n, sizeof *x->rows))) {
        cw_db_res_free(db, r);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *zone = cw_db_text(db, r, i, 0), *proc = cw_db_text(db, r, i, 1);
        /* the CHECKs keep bad rows out; skip rather than trust */
        if (!text_ok(zone, CW_CLUSTER_ZONE_MAX) || !text_ok(proc, CW_CLUSTER_PROCESS_MAX)) continue;
        cw_cluster_row *row = &x->rows[x->n++];
        memcpy(row->zone, zone, strlen(zone) + 1);
        memcpy(row->process, proc, strlen(proc) + 1);
        row->updated_at = cw_db_i64(db, r, i, 2);
    }
    cw_db_res_free(db, r);
    return 0;
}

static void list_done(cw_store_job *j)
{
    cl_list_job *x = (cl_list_job *)j;
    int ok = j->rc == 0;
    if (x->cb) x->cb(x->ud, j->rc, ok ? x->rows : NULL, ok ? x->n : 0);
    free(x->rows);
    free(x);
}

void cw_store_cluster_list(cw_store *s, cw_store_cluster_cb cb, void *ud)
{
    cl_list_job *x = calloc(1, sizeof *x);
    if (!x) {
        if (cb) cb(ud, CW_ENOMEM, NULL, 0);
        return;
    }
    x->job.run = list_run;
    x->job.done = list_done;
    x->cb = cb;
    x->ud = ud;
    cw_store_submit(s, &x->job);
}
