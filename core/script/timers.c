/* timers.c — chaos.after / chaos.every. A timer belongs to the generation
 * that created it: it starts when that generation goes live and dies with it,
 * so no old code runs after a reload. Online, each timer is a libevent timer;
 * offline, cw_host_advance walks the host clock forward and fires due timers. */
#include "core/script/internal.h"

#include "core/base/log.h"

#include <event2/event.h>
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>

static void timer_unlink_free(cw_gen *g, cw_timer *t)
{
    for (cw_timer **p = &g->timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    if (t->ev)
        event_free(t->ev);
    if (g->L)
        luaL_unref(g->L, LUA_REGISTRYINDEX, t->ref);
    free(t);
}

/* Protected: the timer's function, then the call-end step. */
static int l_call_timer(lua_State *L)
{
    lua_call(L, 0, 0);
    cw_script_call_end(L);
    return 0;
}

static void fire(cw_timer *t)
{
    cw_gen *g = t->g;
    lua_State *L = g->L;
    t->firing = 1;
    lua_pushcfunction(L, l_call_timer);
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->ref);
    if (cw_gen_pcall(g, 1, 0, g->host->cfg.budget_ms) != 0) {
        char name[32];
        snprintf(name, sizeof name, "timer %d", t->id);
        cw_gen_log_error(g, "timer", name);
        lua_pop(L, 1);
    }
    t->firing = 0;
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_timer *t = arg;
    cw_gen *g = t->g;
    fire(t);
    if (t->cancelled || !t->repeat)
        timer_unlink_free(g, t);
}

static struct timeval tv_of(double s)
{
    struct timeval tv;
    if (s < 0.001)
        s = 0.001;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    return tv;
}

static void arm(cw_timer *t)
{
    cw_host *h = t->g->host;
    if (h->cfg.base) {
        t->ev = event_new(h->cfg.base, -1, t->repeat ? EV_PERSIST : 0, on_event, t);
        if (t->ev) {
            struct timeval tv = tv_of(t->interval);
            event_add(t->ev, &tv);
        }
    } else {
        t->due = h->offline_clock + t->interval;
    }
}

int cw_gen_add_timer(cw_gen *g, double seconds, int repeat, int idx, cw_error *err)
{
    if (!(seconds >= 0) || !isfinite(seconds))
        return cw_error_set(err, CW_EINVAL, "timer interval must be a finite number >= 0");
    if (repeat && seconds < 0.001)
        return cw_error_set(err, CW_EINVAL, "a repeating timer needs an interval >= 0.001 s");
    cw_timer *t = calloc(1, sizeof *t);
    if (!t)
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    lua_pushvalue(g->L, idx);
    t->ref = luaL_ref(g->L, LUA_REGISTRYINDEX);
    t->id = ++g->next_timer_id;
    t->interval = seconds;
    t->repeat = repeat;
    t->g = g;
    t->next = g->timers;
    g->timers = t;
    if (g->live)
        arm(t);
    return t->id;
}

int cw_gen_cancel_timer(cw_gen *g, int id)
{
    for (cw_timer *t = g->timers; t; t = t->next)
        if (t->id == id && !t->cancelled) {
            t->cancelled = 1;
            if (!t->firing)
                timer_unlink_free(g, t);
            return 0;
        }
    return CW_ENOTFOUND;
}

void cw_timers_activate(cw_gen *g)
{
    for (cw_timer *t = g->timers; t; t = t->next)
        arm(t);
}

void cw_timers_free_all(cw_gen *g)
{
    while (g->timers)
        timer_unlink_free(g, g->timers);
}

int cw_timers_advance(cw_host *h, double seconds)
{
    double target = h->offline_clock + seconds;
    for (;;) {
        cw_gen *g = h->live;
        cw_timer *next = NULL;
        for (cw_timer *t = g ? g->timers : NULL; t; t = t->next)
            if (!t->cancelled && t->due <= target && (!next || t->due < next->due ||
                                                      (t->due == next->due && t->id < next->id)))
                next = t;
        if (!next)
            break;
        h->offline_clock = next->due;
        fire(next);
        if (next->cancelled || !next->repeat)
            timer_unlink_free(g, next);
        else
            next->due += next->interval;
    }
    h->offline_clock = target;
    return 0;
}
