/* world_events.c — the world events an operator started or stopped by hand
 * (table world_events, migration 0007). See store.h. */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct wev_put_job {
    cw_store_job job;
    cw_store_world_event_cb cb;
    void *ud;
    cw_world_event_row row;
} wev_put_job;

static int put_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    wev_put_job *x = (wev_put_job *)j;
    cw_db_param p[3] = {CW_DBP_TEXT(x->row.id), CW_DBP_INT(x->row.started_at),
                        CW_DBP_INT(x->row.stopped_early ? 1 : 0)};
    return cw_db_query(
        db,
        "INSERT INTO world_events (id, started_at, stopped_early) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, "
        "stopped_early = excluded.stopped_early",
        p, 3, NULL, err);
}

static void put_done(cw_store_job *j)
{
    wev_put_job *x = (wev_put_job *)j;
    if (x->cb) x->cb(x->ud, j->rc);
    free(x);
}

static int id_ok(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    return len >= 1 && len <= CW_WORLD_EVENT_ID_MAX;
}

void cw_store_world_event_put(cw_store *s, const char *id, int64_t started_at, int stopped_early,
                              cw_store_world_event_cb cb, void *ud)
{
    wev_put_job *x = calloc(1, sizeof *x);
    if (!x) {
        if (cb) cb(ud, CW_ENOMEM);
        return;
    }
    x->job.run = put_run;
    x->job.done = put_done;
    x->cb = cb;
    x->ud = ud;
    if (!id_ok(id)) {
        cw_store_reject(s, &x->job, CW_EINVAL);
        return;
    }
    memcpy(x->row.id, id, strlen(id) + 1);
    x->row.started_at = started_at;
    x->row.stopped_early = stopped_early ? 1 : 0;
    cw_store_submit(s, &x->job);
}

typedef struct wev_load_job {
    cw_store_job job;
    cw_store_world_events_cb cb;
    void *ud;
    cw_world_event_row *rows;
    int n;
} wev_load_job;

static int load_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    wev_load_job *x = (wev_load_job *)j;
    free(x->rows); /* a retry starts over */
    x->rows = NULL;
    x->n = 0;
    cw_db_param lim = CW_DBP_INT(CW_WORLD_EVENTS_MAX);
    cw_db_res *r = NULL;
    int rc = cw_db_query(db,
                         "SELECT id, started_at, stopped_early FROM world_events ORDER BY id "
                         "LIMIT $1",
                         &lim, 1, &r, err);
    if (rc != 0) return rc;
    int n = cw_db_nrows(db, r);
    if (n > 0) {
        x->rows = calloc((size_t)n, sizeof *x->rows);
        if (!x->rows) {
            cw_db_res_free(db, r);
            return cw_error_set(err, CW_ENOMEM, "out of memory");
        }
    }
    for (int i = 0; i < n; i++) {
        const char *id = cw_db_text(db, r, i, 0);
        if (!id_ok(id)) continue; /* the CHECK keeps these out; skip rather than trust */
        cw_world_event_row *row = &x->rows[x->n++];
        memcpy(row->id, id, strlen(id) + 1);
        row->started_at = cw_db_i64(db, r, i, 1);
        row->stopped_early = cw_db_i64(db, r, i, 2) != 0;
    }
    cw_db_res_free(db, r);
    return 0;
}

static void load_done(cw_store_job *j)
{
    wev_load_job *x = (wev_load_job *)j;
    int ok = j->rc == 0;
    if (x->cb) x->cb(x->ud, j->rc, ok ? x->rows : NULL, ok ? x->n : 0);
    free(x->rows);
    free(x);
}

void cw_store_world_events_load(cw_store *s, cw_store_world_events_cb cb, void *ud)
{
    wev_load_job *x = calloc(1, sizeof *x);
    if (!x) {
        if (cb) cb(ud, CW_ENOMEM, NULL, 0);
        return;
    }
    x->job.run = load_run;
    x->job.done = load_done;
    x->cb = cb;
    x->ud = ud;
    cw_store_submit(s, &x->job);
}
