/* reload.c — cw_host_reload_async: the next generation is built on a worker
 * thread while the loop keeps serving, then swapped in on the loop.
 *
 * One build at a time. The loop creates the generation shell (its number and
 * RNG seed come from the host, which only the loop touches), starts a thread
 * that runs cw_gen_build on it and writes one byte to a pipe when done; a
 * libevent read event on the pipe joins the thread (which orders everything
 * the worker wrote before the loop reads it) and swaps or refuses. The
 * process uses no libevent locking, so the worker never touches the base.
 *
 * Requests that arrive while a build runs wait in `next` and share one more
 * build once the current one is answered. cw_reload_free (cw_host_free)
 * abandons a running build: the generation's abandon flag makes its budget
 * hook raise at once and the loaders stop between files, the thread is
 * joined, the state closed, and every waiting caller answered (CW_ESTATE). */
#include "core/script/internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/thread.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUILD_STACK_BYTES (8u << 20)

typedef struct waiter {
    cw_host_reload_fn done;
    void *ud;
    struct waiter *next;
} waiter;

typedef struct wlist {
    waiter *head, *tail;
} wlist;

struct cw_reload {
    cw_host *h;
    int fds[2]; /* [0] watched by the loop, [1] written by the worker */
    struct event *ev;
    pthread_t thread;
    int running; /* a worker exists and has not been joined (loop only) */
    /* Written by the worker before its wake byte; read by the loop after join. */
    cw_gen *g;
    cw_strbuf errors;
    int rc;
    uint64_t build_ns;
    wlist current; /* answered by the running build */
    wlist next;    /* answered by the build after it */
};

static void wl_push(wlist *l, waiter *w)
{
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

/* Answers (and frees) every waiter of l, in request order. */
static void answer(wlist *l, int rc, const char *errors)
{
    waiter *w = l->head;
    l->head = l->tail = NULL;
    while (w) {
        waiter *nx = w->next;
        if (w->done) w->done(w->ud, rc, errors);
        free(w);
        w = nx;
    }
}

static void *build_main(void *arg)
{
    cw_reload *r = arg;
    /* The build yields to the loop: where they share a core (a pinned server,
     * a small machine) a long or runaway load slows players down as little as
     * the scheduler allows (core/base/thread.h; failure is harmless). */
    (void)cw_thread_enter_background();
    uint64_t t0 = cw_now_ns();
    r->rc = cw_gen_build(r->g, &r->errors);
    r->build_ns = cw_now_ns() - t0;
    /* A refused state is closed here, off the loop (its timers were never
     * armed; the loop frees the rest). */
    if (r->rc != 0 && r->g->L) {
        lua_close(r->g->L);
        r->g->L = NULL;
    }
    ssize_t n;
    do
        n = write(r->fds[1], "", 1);
    while (n < 0 && errno == EINTR);
    return NULL;
}

/* Starts a build for the waiters in r->current. */
static int start_build(cw_reload *r)
{
    cw_gen *g = cw_gen_new(r->h);
    if (!g) return CW_ENOMEM;
    cw_strbuf_reset(&r->errors);
    r->g = g;
    r->rc = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, BUILD_STACK_BYTES);
    /* The worker takes no signal: they belong to the loop. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&r->thread, &attr, build_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        r->g = NULL;
        cw_gen_free(g);
        cw_log(CW_LOG_ERROR, "reload: cannot start the build thread", CW_S("error", strerror(e)),
               CW_END);
        return CW_EIO;
    }
    r->running = 1;
    cw_log(CW_LOG_INFO, "reload: building", CW_I("generation", g->number), CW_END);
    return 0;
}

/* Moves the queued requests to a new build; answers them if it cannot start. */
static void start_next(cw_reload *r)
{
    if (r->running || !r->next.head) return;
    r->current = r->next;
    r->next.head = r->next.tail = NULL;
    int rc = start_build(r);
    if (rc != 0) answer(&r->current, rc, "the reload could not start (see log)\n");
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    cw_reload *r = arg;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    if (!r->running) return;
    pthread_join(r->thread, NULL);
    r->running = 0;
    cw_host *h = r->h;
    cw_gen *g = r->g;
    r->g = NULL;
    int rc = r->rc;
    /* The errors stay ours while the next build (started below) fills r->errors. */
    cw_strbuf errors = r->errors;
    r->errors = (cw_strbuf)CW_STRBUF_INIT;
    wlist done = r->current;
    r->current.head = r->current.tail = NULL;

    cw_host_sync_gen(h, g);
    if (rc == 0) {
        cw_host_reload_swap(h, g, r->build_ns);
    } else {
        cw_host_reload_refused(h, errors.data ? errors.data : "");
        cw_gen_free(g);
    }
    start_next(r);
    answer(&done, rc == 0 ? 0 : CW_ESCRIPT, rc == 0 ? NULL : (errors.data ? errors.data : ""));
    cw_strbuf_free(&errors);
}

static cw_reload *reload_of(cw_host *h)
{
    if (h->reload) return h->reload;
    cw_reload *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->h = h;
    r->errors = (cw_strbuf)CW_STRBUF_INIT;
    if (pipe2(r->fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(r);
        return NULL;
    }
    r->ev = event_new(h->cfg.base, r->fds[0], EV_READ | EV_PERSIST, on_wake, r);
    if (!r->ev || event_add(r->ev, NULL) != 0) {
        if (r->ev) event_free(r->ev);
        close(r->fds[0]);
        close(r->fds[1]);
        free(r);
        return NULL;
    }
    h->reload = r;
    return r;
}

int cw_host_reload_async(cw_host *h, cw_host_reload_fn done, void *ud)
{
    if (!h || !h->cfg.base) return CW_ESTATE;
    cw_reload *r = reload_of(h);
    waiter *w = r ? calloc(1, sizeof *w) : NULL;
    if (!w) return r ? CW_ENOMEM : CW_EIO;
    w->done = done;
    w->ud = ud;
    if (r->running) {
        wl_push(&r->next, w);
        cw_log(CW_LOG_INFO, "reload: queued behind the build in progress", CW_END);
        return 0;
    }
    wl_push(&r->current, w);
    int rc = start_build(r);
    if (rc != 0) {
        r->current.head = r->current.tail = NULL;
        free(w);
    }
    return rc;
}

int cw_host_reload_busy(const cw_host *h)
{
    return h->reload && (h->reload->running || h->reload->next.head);
}

void cw_reload_free(cw_host *h)
{
    cw_reload *r = h->reload;
    if (!r) return;
    if (r->running) {
        atomic_store(&r->g->abandon, 1);
        pthread_join(r->thread, NULL);
        r->running = 0;
        cw_log(CW_LOG_INFO, "reload: build abandoned", CW_I("generation", r->g->number), CW_END);
        cw_host_sync_gen(h, r->g);
        cw_gen_free(r->g);
        r->g = NULL;
    }
    static const char msg[] = "reload abandoned: the host is shutting down\n";
    answer(&r->current, CW_ESTATE, msg);
    answer(&r->next, CW_ESTATE, msg);
    event_free(r->ev);
    close(r->fds[0]);
    close(r->fds[1]);
    cw_strbuf_free(&r->errors);
    free(r);
    h->reload = NULL;
}
