/* sched.c — drives chaos-load's timing wheel (wheel.h) with one timerfd
 * (CLOCK_MONOTONIC, absolute time) in the libevent loop: armed for the
 * start of the wheel's earliest non-empty slot, re-armed only when that
 * changes. The kernel fires it when the clock has reached the slot, so a
 * send never leaves before its scheduled time and a late wake-up shows as
 * latency. (A libevent timer would need EVENT_BASE_FLAG_PRECISE_TIMER for
 * that, which re-arms a timerfd on every loop iteration.) */
#include "tools/chaos-load/load.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static void arm(load *L)
{
    uint64_t next = cw_wheel_next(&L->wheel);
    if (next == L->wheel_armed) return;
    struct itimerspec its = {0};
    if (next != UINT64_MAX) {
        its.it_value.tv_sec = (time_t)(next / 1000000000ull);
        its.it_value.tv_nsec = (long)(next % 1000000000ull);
        if (next == 0) its.it_value.tv_nsec = 1; /* 0 would disarm */
    }
    timerfd_settime(L->wheel_fd, TFD_TIMER_ABSTIME, &its, NULL);
    L->wheel_armed = next;
}

static void fire(cw_wnode *n, void *ud)
{
    uint64_t now = *(const uint64_t *)ud;
    if (n->kind == WN_SEND) {
        lconn *c = (lconn *)(void *)((char *)n - offsetof(lconn, tick));
        open_tick(c, now);
    } else {
        lconn *c = (lconn *)(void *)((char *)n - offsetof(lconn, atk));
        attack_tick(c, now);
    }
}

static void wheel_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    load *L = arg;
    uint64_t now = now_ns();
    L->wheel_running = 1;
    cw_wheel_run(&L->wheel, now, fire, &now);
    L->wheel_running = 0;
    /* settime always: it also clears the fd's readiness (no read needed) */
    L->wheel_armed = 0;
    arm(L);
}

int sched_init(load *L)
{
    L->wheel_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (L->wheel_fd < 0) {
        fprintf(stderr, "chaos-load: timerfd_create: %s\n", strerror(errno));
        return -1;
    }
    if (cw_wheel_init(&L->wheel, WHEEL_SLOT_NS, WHEEL_SLOTS, now_ns()) != 0) {
        fprintf(stderr, "chaos-load: out of memory\n");
        return -1;
    }
    L->wheel_armed = UINT64_MAX;
    L->wheel_ev = event_new(L->base, L->wheel_fd, EV_READ | EV_PERSIST, wheel_cb, L);
    if (!L->wheel_ev || event_add(L->wheel_ev, NULL) != 0) {
        fprintf(stderr, "chaos-load: cannot watch the timerfd\n");
        return -1;
    }
    return 0;
}

void sched_free(load *L)
{
    if (L->wheel_ev) event_free(L->wheel_ev);
    if (L->wheel_fd >= 0) close(L->wheel_fd);
    cw_wheel_free(&L->wheel);
}

void sched_add(load *L, cw_wnode *n, uint64_t due)
{
    cw_wheel_add(&L->wheel, n, due);
    if (!L->wheel_running && due < L->wheel_armed) arm(L);
}
