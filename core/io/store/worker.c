/* worker.c — the store's job queue, worker thread and completion hand-off.
 *
 * The loop queues jobs (cw_store_submit); one worker thread runs them in
 * order against the connection, retrying CW_EUNAVAIL with exponential backoff
 * (50 ms doubling to 2 s) until the job's deadline (measured from when it was
 * queued, so a backlog behind an outage does not add deadlines up), then
 * pushes the job onto a completion list and wakes the loop. The wake-up is a
 * pipe watched by a persistent read event: it needs no libevent threading
 * support (evthread_use_pthreads) in the process. The loop drains the list
 * and runs the callbacks in order. Metrics are updated on the loop only. */
#include "core/io/store/store_internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/thread.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_START_MS 50
#define BACKOFF_MAX_MS 2000

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void set_available(cw_store *s, int v, int retried)
{
    pthread_mutex_lock(&s->mu);
    s->available = v;
    if (retried) s->retries++;
    pthread_mutex_unlock(&s->mu);
}

/* Runs j to completion: retries while the database is unavailable. */
static void run_job(cw_store *s, cw_store_job *j)
{
    uint64_t start = cw_now_ns();
    if (!j->run) { /* rejected before reaching the database */
        j->rc = j->preset_rc;
        return;
    }
    uint64_t deadline = j->enqueued_ns + (uint64_t)s->retry_deadline_ms * 1000000ull;
    int delay = BACKOFF_START_MS, attempts = 0;
    cw_error err = {0};
    for (;;) {
        err.code = 0;
        err.msg[0] = 0;
        int rc = s->db->ops->ensure(s->db, &err);
        if (rc == 0) rc = j->run(s->db, j, &err);
        attempts++;
        if (rc != CW_EUNAVAIL) {
            set_available(s, 1, 0);
            j->rc = rc;
            if (rc == CW_EIO || rc == CW_ENOMEM)
                cw_log(CW_LOG_ERROR, "store job failed", CW_S("error", err.msg), CW_END);
            break;
        }
        uint64_t now = cw_now_ns();
        if (now >= deadline) {
            set_available(s, 0, 0);
            j->rc = CW_EUNAVAIL;
            cw_log(CW_LOG_ERROR, "store unavailable, job given up", CW_S("error", err.msg),
                   CW_I("attempts", attempts), CW_END);
            break;
        }
        set_available(s, 0, 1);
        if (attempts == 1)
            cw_log(CW_LOG_WARN, "store unavailable, retrying", CW_S("error", err.msg), CW_END);
        int wait = delay;
        uint64_t left_ms = (deadline - now) / 1000000ull;
        if ((uint64_t)wait > left_ms) wait = (int)left_ms;
        sleep_ms(wait);
        delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
    }
    if (j->rc == CW_EUNAVAIL || j->rc == CW_EIO) {
        pthread_mutex_lock(&s->mu);
        s->failures++;
        pthread_mutex_unlock(&s->mu);
    }
    j->seconds = (double)(cw_now_ns() - start) / 1e9;
}

/* Loop side: mirrors the health counters into the metrics registry. */
static void report(cw_store *s, const cw_store_job *j)
{
    cw_store_stats st;
    cw_store_get_stats(s, &st);
    cw_gauge_set(s->m_available, st.available);
    cw_gauge_set(s->m_queue, st.queued);
    if (st.retries > s->reported_retries) {
        cw_counter_add(s->m_retries, st.retries - s->reported_retries);
        s->reported_retries = st.retries;
    }
    if (st.failures > s->reported_failures) {
        cw_counter_add(s->m_failures, st.failures - s->reported_failures);
        s->reported_failures = st.failures;
    }
    if (j) cw_histogram_observe(s->m_job_seconds, j->seconds);
}

/* Must hold mu. */
static void push_completion(cw_store *s, cw_store_job *j)
{
    j->next = NULL;
    if (s->c_tail)
        s->c_tail->next = j;
    else
        s->c_head = j;
    s->c_tail = j;
    if (!s->wake_pending && s->wake_fd[1] >= 0) {
        char b = 1;
        s->wake_pending = 1;
        if (write(s->wake_fd[1], &b, 1) < 0) {
            /* pipe full: a wake-up is already pending */
        }
    }
}

static void drain(cw_store *s)
{
    for (;;) {
        pthread_mutex_lock(&s->mu);
        cw_store_job *list = s->c_head;
        s->c_head = s->c_tail = NULL;
        s->wake_pending = 0;
        pthread_mutex_unlock(&s->mu);
        if (!list) return;
        while (list) {
            cw_store_job *j = list;
            list = j->next;
            report(s, j);
            j->done(j);
        }
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    drain(arg);
}

static void *worker_main(void *arg)
{
    cw_store *s = arg;
    (void)cw_thread_enter_background(); /* refused: runs at the loop's priority */
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->q_head && !s->closing)
            pthread_cond_wait(&s->cv, &s->mu);
        cw_store_job *j = s->q_head;
        if (!j) break; /* closing and nothing left */
        s->q_head = j->next;
        if (!s->q_head) s->q_tail = NULL;
        pthread_mutex_unlock(&s->mu);
        run_job(s, j);
        pthread_mutex_lock(&s->mu);
        s->queued--;
        push_completion(s, j);
    }
    s->worker_exited = 1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int cw_store_worker_start(cw_store *s, cw_error *err)
{
    s->wake_fd[0] = s->wake_fd[1] = -1;
    if (!s->base) return 0; /* synchronous mode */
    if (pipe2(s->wake_fd, O_NONBLOCK | O_CLOEXEC) != 0)
        return cw_error_set(err, CW_EIO, "store: pipe: %s", strerror(errno));
    s->wake_ev = event_new(s->base, s->wake_fd[0], EV_READ | EV_PERSIST, on_wake, s);
    if (!s->wake_ev || event_add(s->wake_ev, NULL) != 0)
        return cw_error_set(err, CW_ENOMEM, "store: cannot create the completion event");
    if (pthread_create(&s->thread, NULL, worker_main, s) != 0)
        return cw_error_set(err, CW_EIO, "store: cannot start the worker thread");
    s->has_thread = 1;
    return 0;
}

void cw_store_worker_stop(cw_store *s)
{
    if (s->has_thread) {
        pthread_mutex_lock(&s->mu);
        s->closing = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        s->has_thread = 0;
    }
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    s->worker_exited = 1;
    pthread_mutex_unlock(&s->mu);
    drain(s); /* callbacks queued by these callbacks are rejected and drained too */
    if (s->wake_ev) event_free(s->wake_ev);
    s->wake_ev = NULL;
    for (int i = 0; i < 2; i++)
        if (s->wake_fd[i] >= 0) close(s->wake_fd[i]);
    s->wake_fd[0] = s->wake_fd[1] = -1;
}

void cw_store_submit(cw_store *s, cw_store_job *j)
{
    j->next = NULL;
    j->rc = 0;
    j->seconds = 0;
    j->enqueued_ns = cw_now_ns();
    if (!s->base) { /* synchronous: run here, answer before returning */
        run_job(s, j);
        report(s, j);
        j->done(j);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->worker_exited) { /* closing: the callback still runs, once */
        j->rc = CW_EUNAVAIL;
        push_completion(s, j);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (s->q_tail)
        s->q_tail->next = j;
    else
        s->q_head = j;
    s->q_tail = j;
    int queued = ++s->queued;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    cw_gauge_set(s->m_queue, queued);
}

void cw_store_reject(cw_store *s, cw_store_job *j, int rc)
{
    j->run = NULL;
    j->preset_rc = rc;
    cw_store_submit(s, j);
}
