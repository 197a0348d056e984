/* listen.c — accept back-off (listen.h). */
#include "core/io/listen/listen.h"

#include "core/base/clock.h"
#include "core/base/log.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { G_IDLE, G_PAUSED, G_PROBING };

struct cw_listen_guard {
    struct evconnlistener *lis;
    struct event *timer; /* PAUSED: re-enable; PROBING: the quiet period is over */
    char name[32];
    int state;
    uint64_t pauses;        /* since the guard was made */
    uint64_t episode_start; /* monotonic ns */
    uint64_t episode_pauses;
    cw_metric *m_paused;
    cw_listen_guard *next; /* the process-wide table */
};

/* listener -> guard: see listen.h for why this exists. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static cw_listen_guard *g_guards;

static cw_listen_guard *find_guard(struct evconnlistener *lis)
{
    pthread_mutex_lock(&g_lock);
    cw_listen_guard *g = g_guards;
    while (g && g->lis != lis)
        g = g->next;
    pthread_mutex_unlock(&g_lock);
    return g;
}

static void arm(cw_listen_guard *g, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(g->timer, &tv);
}

static void on_accept_error(struct evconnlistener *lis, void *ud)
{
    (void)ud; /* the listener's user data: not necessarily ours */
    int e = EVUTIL_SOCKET_ERROR();
    cw_listen_guard *g = find_guard(lis);
    if (!g) return;
    evconnlistener_disable(lis);
    g->pauses++;
    cw_counter_add(g->m_paused, 1);
    if (g->state == G_IDLE) {
        g->episode_start = cw_now_ns();
        g->episode_pauses = 0;
        cw_log(CW_LOG_WARN, "accept paused", CW_S("listener", g->name),
               CW_S("error", evutil_socket_error_to_string(e)), CW_I("errno", e),
               CW_I("retry_ms", CW_LISTEN_RETRY_MS), CW_END);
    }
    g->episode_pauses++;
    g->state = G_PAUSED;
    arm(g, CW_LISTEN_RETRY_MS);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_listen_guard *g = arg;
    if (g->state == G_PAUSED) {
        g->state = G_PROBING;
        evconnlistener_enable(g->lis);
        arm(g, CW_LISTEN_QUIET_MS);
        return;
    }
    if (g->state == G_PROBING) {
        uint64_t ms = (cw_now_ns() - g->episode_start) / 1000000u;
        cw_log(CW_LOG_INFO, "accept resumed", CW_S("listener", g->name),
               CW_I("pauses", g->episode_pauses), CW_I("episode_ms", ms), CW_END);
        g->state = G_IDLE;
    }
}

void cw_listen_guard_set_metrics(cw_listen_guard *g, cw_metrics *m)
{
    if (!g) return;
    g->m_paused = m ? cw_metrics_counter(m, "chaos_accept_paused_total",
                                         "Times a listener paused accepting after a failed "
                                         "accept (EMFILE: out of descriptors, ...)",
                                         "listener", g->name)
                    : NULL;
}

cw_listen_guard *cw_listen_guard_new(struct evconnlistener *lis, const char *name,
                                     cw_metrics *metrics, cw_error *err)
{
    if (!lis || !name || !*name) {
        cw_error_set(err, CW_EINVAL, "listen guard: a listener and a name are required");
        return NULL;
    }
    cw_listen_guard *g = calloc(1, sizeof *g);
    if (!g) {
        cw_error_set(err, CW_ENOMEM, "listen guard: out of memory");
        return NULL;
    }
    g->lis = lis;
    snprintf(g->name, sizeof g->name, "%s", name);
    g->timer = evtimer_new(evconnlistener_get_base(lis), on_timer, g);
    if (!g->timer) {
        free(g);
        cw_error_set(err, CW_ENOMEM, "listen guard: out of memory");
        return NULL;
    }
    cw_listen_guard_set_metrics(g, metrics);
    pthread_mutex_lock(&g_lock);
    g->next = g_guards;
    g_guards = g;
    pthread_mutex_unlock(&g_lock);
    evconnlistener_set_error_cb(lis, on_accept_error);
    return g;
}

void cw_listen_guard_free(cw_listen_guard *g)
{
    if (!g) return;
    evconnlistener_set_error_cb(g->lis, NULL);
    pthread_mutex_lock(&g_lock);
    for (cw_listen_guard **p = &g_guards; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    pthread_mutex_unlock(&g_lock);
    event_free(g->timer);
    free(g);
}

uint64_t cw_listen_guard_pauses(const cw_listen_guard *g)
{
    return g ? g->pauses : 0;
}

int cw_listen_guard_troubled(const cw_listen_guard *g)
{
    return g && g->state != G_IDLE;
}
