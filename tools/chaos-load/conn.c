/* conn.c — chaos-load's connections without bufferevents: a non-blocking
 * socket, one persistent read event, recv straight into the connection's
 * own input buffer (frames parsed in place), sends straight to the socket
 * with only the refused rest kept for an EV_WRITE event that is added just
 * while something is pending. The connect completes through that same
 * EV_WRITE event (SO_ERROR). Failures and EOF go through conn_lost. */
#include "tools/chaos-load/load.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void conn_lost(lconn *c)
{
    load *L = c->L;
    if (c->up == 1) L->connected--;
    if (c->up != -1) L->failed++;
    c->up = -1;
    if (L->o.play) {
        if (c->ps == PS_PLAY) {
            L->entered--;
            L->lost_playing++;
        }
        if (c->ps != PS_PLAY && c->ps != PS_FAILED) L->login_failed++;
        c->ps = PS_FAILED;
        L->last_progress_ns = now_ns();
    }
    /* its unanswered requests in the window are errors */
    for (uint32_t i = 0; i <= c->mask; i++)
        if (c->ring[i].seq && in_window(L, c->ring[i].t_ns)) {
            L->errors++;
            L->window_outstanding--;
        }
    memset(c->ring, 0, sizeof(slot) * (c->mask + 1));
    c->outstanding = 0;
    L->errors++;
    /* queued wheel nodes stay queued: they fire once more and find up != 1 */
    if (c->rev) event_del(c->rev);
    if (c->wev) event_del(c->wev);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->in_len = c->in_cap = c->out_len = c->out_cap = 0;
}

void conn_free(lconn *c)
{
    if (c->rev) event_free(c->rev);
    if (c->wev) event_free(c->wev);
    if (c->fd >= 0) close(c->fd);
    free(c->in);
    free(c->out);
    free(c->ring);
}

static void lost_msg(lconn *c, int err)
{
    load *L = c->L;
    static int lost_shown;
    if (L->phase < PH_DONE && c->up == 1 && lost_shown++ < 5)
        fprintf(stderr, "chaos-load: connection lost: %s\n",
                err ? strerror(err) : "closed by server");
    else if (c->up == 0 && L->failed < 5)
        fprintf(stderr, "chaos-load: connect failed: %s\n", strerror(err));
    conn_lost(c);
}

/* ---- output ----------------------------------------------------------- */

static int keep(lconn *c, const uint8_t *p, size_t n)
{
    size_t need = (size_t)c->out_len + n;
    if (need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 1024;
        while (cap < need)
            cap *= 2;
        uint8_t *b = realloc(c->out, cap);
        if (!b) return -1;
        c->out = b;
        c->out_cap = (uint32_t)cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += (uint32_t)n;
    return 0;
}

void send_frame(lconn *c, const uint8_t *f, size_t n)
{
    if (c->up == -1) return;
    size_t done = 0;
    if (c->up == 1 && c->out_len == 0) {
        ssize_t w = send(c->fd, f, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return; /* the socket is broken: the read side reports it */
        done = w > 0 ? (size_t)w : 0;
        if (done == n) return;
        if (keep(c, f + done, n - done) != 0)
            lost_msg(c, ENOMEM);
        else
            event_add(c->wev, NULL);
        return;
    }
    /* not yet connected, or behind what is pending: keep it in order */
    if (keep(c, f, n) != 0) lost_msg(c, ENOMEM);
}

void send_json(lconn *c, const char *json, size_t n)
{
    uint8_t small[4 + 512];
    uint8_t *f = n <= 512 ? small : malloc(4 + n);
    if (!f) {
        lost_msg(c, ENOMEM);
        return;
    }
    f[0] = (uint8_t)(n >> 24);
    f[1] = (uint8_t)(n >> 16);
    f[2] = (uint8_t)(n >> 8);
    f[3] = (uint8_t)n;
    memcpy(f + 4, json, n);
    send_frame(c, f, 4 + n);
    if (f != small) free(f);
}

static void flush(lconn *c)
{
    while (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* wev stays */
        if (w < 0) {
            lost_msg(c, errno);
            return;
        }
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (uint32_t)w;
    }
    event_del(c->wev);
}

/* ---- input ------------------------------------------------------------ */

/* Parses the complete frames at the front of c->in; moves the rest to the
 * front. Returns 0, or -1 when the connection was lost meanwhile. */
static int parse(lconn *c, uint64_t now)
{
    uint32_t off = 0;
    while (c->in_len - off >= 4) {
        const uint8_t *h = c->in + off;
        size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (len > MAX_FRAME) {
            fprintf(stderr, "chaos-load: frame of %zu bytes from server, dropping conn\n", len);
            conn_lost(c);
            return -1;
        }
        if (c->in_len - off < 4 + len) {
            if (4 + len > c->in_cap) { /* a big frame: make room for it whole */
                uint8_t *b = malloc(4 + len);
                if (!b) {
                    lost_msg(c, ENOMEM);
                    return -1;
                }
                memcpy(b, c->in + off, c->in_len - off);
                free(c->in);
                c->in = b;
                c->in_len -= off;
                c->in_cap = (uint32_t)(4 + len);
                return 0;
            }
            break;
        }
        on_response(c, (const char *)h + 4, len, now);
        if (c->up != 1) return -1;
        off += 4 + (uint32_t)len;
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    return 0;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    lconn *c = arg;
    uint64_t now = now_ns();
    for (;;) {
        size_t space = c->in_cap - c->in_len;
        ssize_t r = recv(fd, c->in + c->in_len, space, 0);
        if (r == 0) {
            lost_msg(c, 0);
            return;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) lost_msg(c, errno);
            return;
        }
        c->in_len += (uint32_t)r;
        if (parse(c, now) != 0) return;
        if ((size_t)r < space) return; /* drained the socket */
    }
}

/* EV_WRITE: first the connect's completion, then pending output. */
static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    lconn *c = arg;
    load *L = c->L;
    if (c->up == 1) {
        flush(c);
        return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0 && event_add(c->rev, NULL) != 0) err = EIO;
    if (err) {
        lost_msg(c, err);
        return;
    }
    c->up = 1;
    L->connected++;
    if (c->out_len == 0) event_del(c->wev);
    start_sending(c);
}

void connect_one(load *L)
{
    lconn *c = &L->conns[L->attempted];
    c->index = L->attempted++;
    c->fighter = L->o.play && c->index < L->o.fighters;
    c->L = L;
    c->next_seq = 1;
    c->tick.kind = WN_SEND;
    c->atk.kind = WN_ATTACK;
    c->fd = socket(L->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        !(c->in = malloc(IN_START)) ||
        !(c->rev = event_new(L->base, c->fd, EV_READ | EV_PERSIST, read_cb, c)) ||
        !(c->wev = event_new(L->base, c->fd, EV_WRITE | EV_PERSIST, write_cb, c))) {
        fprintf(stderr, "chaos-load: connect: %s\n", strerror(errno ? errno : ENOMEM));
        conn_lost(c);
        return;
    }
    c->in_cap = IN_START;
    if (connect(c->fd, (struct sockaddr *)&L->addr, L->addrlen) != 0 && errno != EINPROGRESS) {
        lost_msg(c, errno); /* e.g. refused at once */
        return;
    }
    if (event_add(c->wev, NULL) != 0) lost_msg(c, EIO); /* completes in write_cb */
}
