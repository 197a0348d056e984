/* frame_reader.h — the client side shared by the net tests: pumps the
 * server's loop and reads the next frame from a plain loopback socket (the
 * tests are single-threaded). Include after cmocka.h. */
#ifndef CW_TEST_NET_FRAME_READER_H
#define CW_TEST_NET_FRAME_READER_H

#include "core/io/net/frame.h"

#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static inline uint64_t frame_reader_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop for about ms milliseconds (without blocking in it). */
static inline void frame_reader_pump(struct event_base *base, int ms)
{
    uint64_t end = frame_reader_ms() + (uint64_t)ms;
    do {
        event_base_loop(base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    } while (frame_reader_ms() < end);
    event_base_loop(base, EVLOOP_NONBLOCK);
}

/* The next frame of fd into out (NUL-terminated), keeping unread bytes in
 * buf[0, *len) of bufcap: its length, -1 on EOF or error, -2 on timeout. */
static inline int frame_reader_next(struct event_base *base, int fd, uint8_t *buf, size_t bufcap,
                                    size_t *len, char *out, size_t cap, int timeout_ms)
{
    uint64_t end = frame_reader_ms() + (uint64_t)timeout_ms;
    for (;;) {
        const uint8_t *p;
        size_t plen, used;
        if (cw_frame_decode(buf, *len, bufcap - 4, &p, &plen, &used) == CW_FRAME_OK) {
            assert_true(plen < cap);
            memcpy(out, p, plen);
            out[plen] = '\0';
            memmove(buf, buf + used, *len - used);
            *len -= used;
            return (int)plen;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
        ssize_t r = recv(fd, buf + *len, bufcap - *len, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return -1;
        if (r > 0) {
            *len += (size_t)r;
            continue;
        }
        if (frame_reader_ms() > end) return -2;
        poll(NULL, 0, 1);
    }
}

#endif
