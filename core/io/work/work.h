/* work.h — a small thread pool for blocking work (password hashing, …) whose
 * completions run back on the loop thread.
 *
 *   cw_work_submit(w, job, done, arg);
 *
 * job(arg) runs on one of the worker threads; afterwards done(arg) runs on
 * the loop thread that owns `base` (handed back through a mutex-protected
 * queue and a wake-up pipe the loop watches). Jobs start in submission order; with more than one
 * thread they may finish in any order, and completions run in the order the
 * jobs finished. With one thread, completions run in submission order.
 *
 * Threads: no libevent threading support is needed (workers never call into
 * libevent). cw_work_submit, cw_work_free and cw_work_pending are loop-thread
 * only. The pool keeps one persistent read event on `base` until it is freed.
 * Job functions must not touch loop state; completion functions may do
 * anything a loop callback may.
 *
 * Ownership: the pool never owns arg; done is where the caller frees it.
 * Every submitted job runs and its done runs exactly once, also when the pool
 * is freed while jobs are queued (cw_work_free drains: it runs every queued
 * job, joins the threads, then runs the outstanding completions on the
 * calling thread before returning).
 *
 * Errors: cw_work_new returns NULL with err filled (CW_EINVAL for a bad
 * thread count, CW_ENOMEM, CW_EIO when a thread cannot start).
 * cw_work_submit returns 0, CW_ENOMEM, or CW_ESTATE once the pool is
 * closing; on an error neither job nor done is called. */
#ifndef CW_IO_WORK_H
#define CW_IO_WORK_H

#include "core/base/err.h"

struct event_base;
typedef struct cw_work cw_work;

typedef void (*cw_work_fn)(void *arg);

#define CW_WORK_MAX_THREADS 64

cw_work *cw_work_new(struct event_base *base, int threads, cw_error *err);
void cw_work_free(cw_work *w);
int cw_work_submit(cw_work *w, cw_work_fn job, cw_work_fn done, void *arg);
/* Jobs submitted whose completion has not run yet. */
int cw_work_pending(const cw_work *w);
int cw_work_threads(const cw_work *w);

#endif
