/* store_internal.h — internal: the cw_store object, jobs and the pieces the
 * store's files share. Not part of the public interface. */
#ifndef CW_IO_STORE_INTERNAL_H
#define CW_IO_STORE_INTERNAL_H

#include "core/io/store/db.h"
#include "core/io/store/store.h"

#include <pthread.h>
#include <stdint.h>

typedef struct cw_store_job cw_store_job;
struct cw_store_job {
    cw_store_job *next;
    /* Runs on the worker (or inline in synchronous mode). Returns 0 or CW_E*;
     * CW_EUNAVAIL is retried with backoff until the deadline. Must leave no
     * transaction open when it returns (roll back on failure). */
    int (*run)(cw_db *db, cw_store_job *j, cw_error *err);
    /* Runs on the loop with j->rc set: calls the user's callback, frees j. */
    void (*done)(cw_store_job *j);
    int rc;
    int preset_rc; /* the answer when run is NULL (cw_store_reject) */
    uint64_t enqueued_ns;
    double seconds; /* time spent running, retries included */
};

struct cw_store {
    cw_db *db;
    int retry_deadline_ms;
    struct event_base *base;
    struct event *wake_ev;
    int wake_fd[2];
    int wake_pending;

    pthread_t thread;
    int has_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cw_store_job *q_head, *q_tail; /* to the worker */
    cw_store_job *c_head, *c_tail; /* back to the loop */
    int queued;
    int closing, worker_exited;

    /* health, guarded by mu */
    int available;
    uint64_t retries, failures;

    /* metrics (loop thread only) */
    cw_metric *m_available, *m_retries, *m_failures, *m_queue, *m_job_seconds;
    uint64_t reported_retries, reported_failures;
};

/* worker.c */
int cw_store_worker_start(cw_store *s, cw_error *err);
void cw_store_worker_stop(cw_store *s); /* finishes every queued job, runs callbacks */
/* Queues j (or runs it inline in synchronous mode, calling done before
 * returning). Never fails: j->done always runs exactly once. */
void cw_store_submit(cw_store *s, cw_store_job *j);
/* Fails j without touching the database (bad argument): done runs with rc,
 * on the loop, in submission order like any other job. */
void cw_store_reject(cw_store *s, cw_store_job *j, int rc);

/* migrate.c */
int cw_store_migrate_db(cw_db *db, const char *dir, int apply, cw_migration_status *st,
                        cw_error *err);
/* store.c: parses the URL, connects. */
int cw_store_connect(const char *url, cw_db **out, cw_error *err);

/* Copies n characters (structs and strings) into one allocation. NULL
 * strings become "" (doc: "{}"). Returns NULL when out of memory. */
cw_character *cw_store_copy_characters(const cw_character *chs, int n);

/* items.c: inside the caller's transaction, the item writes and then the
 * ledger rows of a character row that was just written (cw_item_row,
 * cw_ledger_entry). CW_ESTATE when an item's stored version or owner is not
 * the one read; any error means the caller must take the row back. */
int cw_store_write_extras(cw_db *db, const cw_character *ch, cw_error *err);
/* items.c: the items of a character (by uid). *out (free it) points into
 * *res (free it with cw_db_res_free) — both set even on failure. */
int cw_store_items_read(cw_db *db, int64_t char_id, cw_db_res **res, cw_item_row **out, int *n,
                        cw_error *err);

#endif
