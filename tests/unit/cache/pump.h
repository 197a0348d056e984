/* pump.h — the cache tests run the event loop in their own thread: a
 * non-blocking pump until a condition holds or a deadline passes. */
#ifndef CW_TEST_CACHE_PUMP_H
#define CW_TEST_CACHE_PUMP_H

#include "core/base/clock.h"

#include <event2/event.h>
#include <stdint.h>
#include <unistd.h>

typedef int (*pred_fn)(void *ud);

/* 1 once pred(ud) holds, 0 when timeout_ms passed first. */
static inline int pump_until(struct event_base *base, pred_fn pred, void *ud, int timeout_ms)
{
    uint64_t deadline = cw_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (!pred(ud)) {
        if (cw_now_ns() > deadline) return 0;
        event_base_loop(base, EVLOOP_NONBLOCK);
        usleep(1000);
    }
    return 1;
}

#endif
