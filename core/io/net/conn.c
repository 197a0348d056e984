/* conn.c — one connection: the read loop (framing, parsing, rate limit),
 * queuing replies with the output cap, close-after-flush, and dropping.
 *
 * Writes: output is appended to the connection's own byte buffer (one
 * memcpy, no libevent buffer chain), and the connection is put on one of the
 * net's flush queues; the flusher (one event, run after the loop iteration's
 * other callbacks, and after every CW_NET_READS_PER_FLUSH reads) writes each
 * queued connection once, straight to the socket with one send. So every
 * reply and event batch produced meanwhile leaves in one write, and a
 * connection whose socket takes everything never touches epoll for
 * writing. Only what the socket refuses (EAGAIN) adds the write event, until
 * it drained the rest. The buffer is freed whenever it is empty (an idle
 * connection holds no output memory). Replies go on the urgent queue, written whole at
 * every run; event batches (cw_conn_send_frames) on the bulk queue, written
 * CW_NET_FLUSH_CHUNK connections per run, so that a tick's thousands of
 * batches do not hold up the answers to requests read meanwhile.
 *
 * Answer order (cw_conn_hold): while a request of the connection waits for
 * its answer, the read loops stop taking frames; what arrives is appended to
 * the input buffer (a frame's worth, then reading pauses) and handled by
 * cw_conn_resume_, which the net's resumer runs after the last release.
 *
 * A connection is never freed synchronously: cw_conn_kill_ marks it DEAD,
 * stops its I/O and puts it on the net's reap list; the reaper event calls
 * on_close and frees on the next loop iteration. So a handler can close or
 * overflow any connection (its own included) from anywhere. */
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/net/frame.h"
#include "core/io/net/net_internal.h"
#include "core/io/net/request.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void conn_read_ev(evutil_socket_t fd, short what, void *arg);
static void conn_write_ev(evutil_socket_t fd, short what, void *arg);
static void conn_eventcb(struct bufferevent *bev, short what, void *arg);

cw_conn *cw_conn_new_(cw_net *n, int fd, const char *peer, uint64_t now_ns)
{
    cw_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        free(c);
        return NULL;
    }
    c->net = n;
    c->fd = fd;
    c->state = CONN_OPEN;
    c->last_frame_ns = now_ns;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    cw_tokenbucket_init(&c->tb, n->cfg.rate, n->cfg.burst, now_ns);
    bufferevent_setcb(c->bev, NULL, NULL, conn_eventcb, c);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE); /* we read and write: see the top */
    c->rev = event_new(n->base, fd, EV_READ | EV_PERSIST, conn_read_ev, c);
    c->wev = event_new(n->base, fd, EV_WRITE | EV_PERSIST, conn_write_ev, c);
    if (!c->rev || !c->wev || event_add(c->rev, NULL) != 0) {
        if (c->rev) event_free(c->rev);
        if (c->wev) event_free(c->wev);
        bufferevent_free(c->bev);
        free(c);
        return NULL;
    }
    return c;
}

void cw_conn_free_(cw_conn *c)
{
    if (c->rev) event_free(c->rev);
    if (c->wev) event_free(c->wev);
    cw_strbuf_free(&c->out);
    if (c->bev && c->graceful)
        cw_net_linger_(c->net, c->bev);
    else if (c->bev)
        bufferevent_free(c->bev);
    free(c->strikes);
    free(c);
}

static void set_reason(cw_conn *c, const char *reason)
{
    snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "server_closed");
}

void cw_conn_kill_(cw_conn *c, const char *reason)
{
    if (c->state == CONN_DEAD) return;
    /* A closing connection keeps the reason it was closed with. */
    if (c->state == CONN_OPEN) set_reason(c, reason);
    c->state = CONN_DEAD;
    event_del(c->rev);
    event_del(c->wev);
    c->wblocked = 0;
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
    /* Release the unsent bytes now: an overflowing client must not keep its
     * megabyte until the reaper runs. */
    cw_strbuf_free(&c->out);
    c->out_off = 0;
    cw_net_schedule_reap_(c->net, c);
}

/* ---- output ----------------------------------------------------------- */

static int queue_n(cw_conn *c, const void *frame, size_t len, size_t nframes, int which);

int cw_conn_queue_(cw_conn *c, const void *frame, size_t len)
{
    return queue_n(c, frame, len, 1, FLUSH_URGENT);
}

int cw_conn_send_frames(cw_conn *c, const void *frames, size_t len, size_t nframes)
{
    return queue_n(c, frames, len, nframes, FLUSH_BULK);
}

static size_t pending_of(const cw_conn *c)
{
    return c->out.len - c->out_off;
}

size_t cw_conn_pending(const cw_conn *c)
{
    return c->state == CONN_DEAD ? 0 : pending_of(c);
}

/* Room for len more bytes at the end of c's output: when there is none, the
 * sent front is dropped first, then the buffer grows if it must. 0 or
 * CW_ENOMEM. */
static int out_reserve(cw_conn *c, size_t len)
{
    cw_strbuf *b = &c->out;
    if (c->out_off > 0 && b->cap - b->len <= len) {
        b->len -= c->out_off;
        memmove(b->data, b->data + c->out_off, b->len);
        c->out_off = 0;
    }
    return cw_strbuf_reserve(b, len);
}

/* Everything was sent: the buffer goes back to the allocator. */
static void out_release_if_empty(cw_conn *c)
{
    if (c->out_off < c->out.len) return;
    cw_strbuf_free(&c->out);
    c->out_off = 0;
}

/* Room for len bytes at the end of c's output; on failure c is dropped
 * ("io_error"). 0 or CW_ENOMEM. */
static int reserve_or_kill(cw_conn *c, size_t len)
{
    if (out_reserve(c, len) == 0) return 0;
    cw_log(CW_LOG_WARN, "conn_output_failed", CW_I("conn", (int64_t)c->id), CW_END);
    cw_conn_kill_(c, "io_error");
    return CW_ENOMEM;
}

/* len bytes (nframes whole frames) were written at the end of c's output:
 * counted, scheduled on queue `which`, and checked against max_output. */
static int commit_n(cw_conn *c, size_t len, size_t nframes, int which)
{
    cw_net *n = c->net;
    c->out.len += len;
    cw_counter_add(n->m_frames_out, nframes);
    cw_counter_add(n->m_bytes_out, len);
    if (!c->wblocked) cw_net_schedule_flush_(n, c, which);
    size_t pending = pending_of(c);
    if (pending > n->cfg.max_output) {
        cw_log(CW_LOG_WARN, "conn_output_overflow", CW_I("conn", (int64_t)c->id),
               CW_S("peer", c->peer), CW_I("pending", (int64_t)pending), CW_END);
        cw_conn_kill_(c, "output_overflow");
        return CW_ELIMIT;
    }
    return 0;
}

static int queue_n(cw_conn *c, const void *frame, size_t len, size_t nframes, int which)
{
    if (c->state != CONN_OPEN) return CW_ESTATE;
    if (reserve_or_kill(c, len) != 0) return CW_ENOMEM;
    memcpy(c->out.data + c->out.len, frame, len);
    return commit_n(c, len, nframes, which);
}

char *cw_conn_out_reserve(cw_conn *c, size_t len)
{
    if (c->state != CONN_OPEN || reserve_or_kill(c, len ? len : 1) != 0) return NULL;
    c->out_reserved = len;
    return c->out.data + c->out.len;
}

int cw_conn_out_commit(cw_conn *c, size_t len, size_t nframes, int bulk)
{
    size_t reserved = c->out_reserved;
    c->out_reserved = 0;
    if (c->state != CONN_OPEN) return CW_ESTATE;
    if (len > reserved) return CW_EINVAL;
    if (len == 0) {
        out_release_if_empty(c); /* a reservation on an idle connection allocated */
        return 0;
    }
    return commit_n(c, len, nframes, bulk ? FLUSH_BULK : FLUSH_URGENT);
}

int cw_conn_send(cw_conn *c, const char *json, size_t len)
{
    if (c->state != CONN_OPEN) return CW_ESTATE;
    if (len > c->net->cfg.max_frame) {
        cw_log(CW_LOG_WARN, "conn_send_too_large", CW_I("conn", (int64_t)c->id),
               CW_I("bytes", (int64_t)len), CW_I("max_frame", (int64_t)c->net->cfg.max_frame),
               CW_END);
        return CW_EINVAL;
    }
    cw_strbuf *b = &c->net->scratch;
    cw_strbuf_reset(b);
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)len);
    if (cw_strbuf_append(b, (const char *)hdr, 4) || cw_strbuf_append(b, json, len))
        return CW_ENOMEM;
    return cw_conn_queue_(c, b->data, b->len);
}

/* Starts a reply in the scratch buffer: 4 placeholder header bytes, then
 * {"id":<id>, */
static int reply_begin(cw_strbuf *b, const char *id_json)
{
    cw_strbuf_reset(b);
    int rc = cw_strbuf_append(b, "\0\0\0\0{\"id\":", 10);
    rc |= cw_strbuf_puts(b, id_json ? id_json : "null");
    return rc;
}

/* An error reply into b (header placeholder included). 0 or nonzero. */
static int error_into(cw_strbuf *b, const char *id_json, const char *code, const char *message)
{
    int rc = reply_begin(b, id_json);
    rc |= cw_strbuf_puts(b, ",\"error\":{\"code\":");
    rc |= cw_strbuf_json_str(b, code ? code : CW_PROTO_INTERNAL);
    rc |= cw_strbuf_puts(b, ",\"message\":");
    rc |= cw_strbuf_json_str(b, message ? message : "");
    rc |= cw_strbuf_append(b, "}}", 2);
    return rc;
}

/* Frames and queues the reply in b — or, when its payload is over the frame
 * limit the client was told, an answer_too_large error in its place. */
static int reply_finish(cw_conn *c, cw_strbuf *b, const char *id_json, int rc)
{
    if (rc) return CW_ENOMEM;
    size_t max = c->net->cfg.max_frame, len = b->len - CW_FRAME_HEADER;
    int ret = 0;
    if (len > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "the answer of %zu bytes exceeds the %zu-byte frame limit", len,
                 max);
        cw_log(CW_LOG_WARN, "conn_answer_too_large", CW_I("conn", (int64_t)c->id),
               CW_S("peer", c->peer), CW_I("bytes", (int64_t)len), CW_I("max_frame", (int64_t)max),
               CW_END);
        cw_net_count_perr_(c->net, CW_PROTO_ANSWER_TOO_LARGE);
        if (error_into(b, id_json, CW_PROTO_ANSWER_TOO_LARGE, msg)) return CW_ENOMEM;
        /* A long id can make even the error too large: then without the id. */
        if (b->len - CW_FRAME_HEADER > max && error_into(b, NULL, CW_PROTO_ANSWER_TOO_LARGE, msg))
            return CW_ENOMEM;
        if (b->len - CW_FRAME_HEADER > max) return CW_EINVAL; /* a limit below any error */
        ret = CW_EINVAL;
    }
    cw_frame_header((uint8_t *)b->data, (uint32_t)(b->len - CW_FRAME_HEADER));
    int q = cw_conn_queue_(c, b->data, b->len);
    return q ? q : ret;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int cw_conn_reply_ok(cw_conn *c, const char *id_json, const char *body, size_t body_len)
{
    if (c->state != CONN_OPEN) return CW_ESTATE;
    /* The body's members are what lies between its outer braces. */
    const char *in = NULL;
    size_t in_len = 0;
    if (body) {
        size_t lo = 0, hi = body_len;
        while (lo < hi && is_space(body[lo]))
            lo++;
        while (hi > lo && is_space(body[hi - 1]))
            hi--;
        if (hi - lo < 2 || body[lo] != '{' || body[hi - 1] != '}') return CW_EINVAL;
        lo++;
        hi--;
        while (lo < hi && is_space(body[lo]))
            lo++;
        while (hi > lo && is_space(body[hi - 1]))
            hi--;
        in = body + lo;
        in_len = hi - lo;
    }
    cw_strbuf *b = &c->net->scratch;
    int rc = reply_begin(b, id_json);
    rc |= cw_strbuf_append(b, ",\"ok\":true", 10);
    if (in_len) {
        rc |= cw_strbuf_append(b, ",", 1);
        rc |= cw_strbuf_append(b, in, in_len);
    }
    rc |= cw_strbuf_append(b, "}", 1);
    return reply_finish(c, b, id_json, rc);
}

int cw_conn_reply_error(cw_conn *c, const char *id_json, const char *code, const char *message)
{
    if (c->state != CONN_OPEN) return CW_ESTATE;
    cw_strbuf *b = &c->net->scratch;
    return reply_finish(c, b, id_json, error_into(b, id_json, code, message));
}

/* ---- closing ---------------------------------------------------------- */

static void finish_if_flushed(cw_conn *c)
{
    if (c->state == CONN_CLOSING && pending_of(c) == 0) {
        c->graceful = 1; /* reaped into a linger (linger.c), not a hard close */
        cw_conn_kill_(c, c->reason);
    }
}

void cw_conn_close(cw_conn *c, const char *reason)
{
    if (c->state != CONN_OPEN) return;
    set_reason(c, reason);
    c->state = CONN_CLOSING;
    c->deadline_ns = cw_now_ns() + (uint64_t)c->net->cfg.close_linger_ms * 1000000ull;
    /* Reading goes on (input is discarded, see conn_read_ev): closing with
     * unread input would reset the connection and lose the last frames.
     * Frames that waited behind a hold are never handled (they are freed
     * with the connection; not here: the frame being handled may live in
     * that buffer). */
    if (c->paused) {
        c->paused = 0;
        event_add(c->rev, NULL);
    }
    if (pending_of(c) > 0) cw_conn_want_write_(c); /* the write event drains it and finishes */
    finish_if_flushed(c);
}

void cw_conn_want_write_(cw_conn *c)
{
    if (c->wblocked || c->state == CONN_DEAD) return;
    if (event_add(c->wev, NULL) != 0) {
        cw_log(CW_LOG_WARN, "conn_output_failed", CW_I("conn", (int64_t)c->id), CW_END);
        cw_conn_kill_(c, "io_error");
        return;
    }
    c->wblocked = 1;
}

/* One send of what is pending. 0 when the socket took it all or is full
 * (the rest stays), -1 when the connection was dropped for an error. */
static int send_pending(cw_conn *c)
{
    ssize_t r = send(c->fd, c->out.data + c->out_off, pending_of(c), MSG_NOSIGNAL);
    cw_counter_add(c->net->m_writes, 1);
    if (r < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) return 0;
        int reset = e == ECONNRESET || e == EPIPE;
        cw_log(reset ? CW_LOG_DEBUG : CW_LOG_WARN, "conn_io_error", CW_I("conn", (int64_t)c->id),
               CW_S("peer", c->peer), CW_S("error", evutil_socket_error_to_string(e)), CW_END);
        cw_conn_kill_(c, reset ? "client_closed" : "io_error");
        return -1;
    }
    c->out_off += (size_t)r;
    out_release_if_empty(c);
    return 0;
}

/* The socket has room again (only while wblocked: it was full, or a close
 * is draining): write more; once drained, the flusher writes again. */
static void conn_write_ev(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_conn *c = arg;
    if (c->state == CONN_DEAD) return;
    if (pending_of(c) > 0 && send_pending(c) != 0) return;
    if (pending_of(c) > 0) return;
    event_del(c->wev);
    c->wblocked = 0;
    finish_if_flushed(c);
}

void cw_conn_flush_(cw_conn *c)
{
    c->in_flushq = 0;
    if (c->state == CONN_DEAD || c->wblocked || pending_of(c) == 0) return;
    if (send_pending(c) != 0) return;
    if (pending_of(c) > 0) cw_conn_want_write_(c); /* socket full */
}

void cw_conn_sweep_(cw_conn *c, uint64_t now_ns)
{
    const cw_net_config *cfg = &c->net->cfg;
    if (c->state == CONN_OPEN && c->resume_due && !c->holds) cw_conn_resume_(c);
    /* A connection waiting for an answer of ours is not idle. */
    if (c->state == CONN_OPEN && !c->holds && cfg->idle_timeout_ms > 0 &&
        now_ns - c->last_frame_ns > (uint64_t)cfg->idle_timeout_ms * 1000000ull) {
        cw_log(CW_LOG_DEBUG, "conn_idle", CW_I("conn", (int64_t)c->id), CW_END);
        cw_conn_close(c, "idle_timeout");
    } else if (c->state == CONN_CLOSING && now_ns > c->deadline_ns) {
        cw_log(CW_LOG_DEBUG, "conn_linger_expired", CW_I("conn", (int64_t)c->id), CW_END);
        cw_conn_kill_(c, c->reason);
    }
}

static void conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    cw_conn *c = arg;
    if (what & BEV_EVENT_EOF) {
        /* A half-close still gets the answers already queued. */
        if (c->state == CONN_OPEN && pending_of(c) > 0)
            cw_conn_close(c, "client_closed");
        else
            cw_conn_kill_(c, "client_closed");
    } else if (what & BEV_EVENT_ERROR) {
        int e = EVUTIL_SOCKET_ERROR();
        int reset = e == ECONNRESET || e == EPIPE;
        cw_log(reset ? CW_LOG_DEBUG : CW_LOG_WARN, "conn_io_error", CW_I("conn", (int64_t)c->id),
               CW_S("peer", c->peer), CW_S("error", evutil_socket_error_to_string(e)), CW_END);
        cw_conn_kill_(c, reset ? "client_closed" : "io_error");
    }
}

/* ---- input ------------------------------------------------------------ */

static void strike(cw_conn *c, uint64_t now)
{
    int k = c->net->cfg.abuse_strikes;
    if (k <= 0) return;
    if (!c->strikes) {
        c->strikes = calloc((size_t)k, sizeof *c->strikes);
        if (!c->strikes) return;
    }
    c->strikes[c->strike_pos] = now;
    c->strike_pos = (c->strike_pos + 1) % k;
    if (c->nstrikes < k) c->nstrikes++;
    /* Full ring: the slot about to be overwritten holds the oldest of the
     * last k strikes. */
    if (c->nstrikes == k && now - c->strikes[c->strike_pos] <= CW_NET_ABUSE_WINDOW_NS) {
        cw_log(CW_LOG_WARN, "conn_rate_abuse", CW_I("conn", (int64_t)c->id), CW_S("peer", c->peer),
               CW_I("strikes", k), CW_END);
        cw_conn_close(c, "rate_abuse");
    }
}

static void handle_frame(cw_conn *c, const char *payload, size_t len, uint64_t now)
{
    cw_net *n = c->net;
    cw_request_parsed rp;
    cw_error err;
    cw_counter_add(n->m_frames_in, 1);
    c->last_frame_ns = now;
    /* Every frame costs a token, malformed ones too; the id is needed even
     * for a rate_limited answer, so parsing comes first. */
    int rc = cw_request_parse(payload, len, &rp, &err);
    int allowed = 1;
    if (c->credit >= 1) /* time spent held (cw_conn_release) */
        c->credit -= 1;
    else
        allowed = cw_tokenbucket_take(&c->tb, 1, now);
    if (!allowed) {
        cw_conn_reply_error(c, rp.req.id_json, CW_PROTO_RATE_LIMITED, "too many requests");
        cw_net_count_perr_(n, CW_PROTO_RATE_LIMITED);
        strike(c, now);
    } else if (rc != 0) {
        cw_log(CW_LOG_DEBUG, "conn_bad_request", CW_I("conn", (int64_t)c->id),
               CW_S("code", rp.code), CW_S("message", err.msg), CW_END);
        cw_conn_reply_error(c, rp.req.id_json, rp.code, err.msg);
        cw_net_count_perr_(n, rp.code);
    } else if (n->h.on_request) {
        n->h.on_request(n->h.ud, c, &rp.req);
    }
    cw_request_release(&rp);
}

static void frame_too_large(cw_conn *c, size_t announced)
{
    cw_net *n = c->net;
    char msg[128];
    snprintf(msg, sizeof msg, "frame of %zu bytes exceeds the %zu-byte limit", announced,
             n->cfg.max_frame);
    cw_log(CW_LOG_WARN, "conn_frame_too_large", CW_I("conn", (int64_t)c->id), CW_S("peer", c->peer),
           CW_I("length", (int64_t)announced), CW_END);
    cw_conn_reply_error(c, NULL, CW_PROTO_FRAME_TOO_LARGE, msg);
    cw_net_count_perr_(n, CW_PROTO_FRAME_TOO_LARGE);
    cw_conn_close(c, "frame_too_large");
}

/* Handles the whole frames at the start of buf; returns the bytes used. */
static size_t handle_bytes(cw_conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
    size_t off = 0;
    while (c->state == CONN_OPEN && !c->holds && len - off >= CW_FRAME_HEADER) {
        const uint8_t *payload;
        size_t plen, used;
        int rc =
            cw_frame_decode(buf + off, len - off, c->net->cfg.max_frame, &payload, &plen, &used);
        if (rc == CW_FRAME_TOO_LARGE) {
            frame_too_large(c, plen);
            break;
        }
        if (rc != CW_FRAME_OK) break; /* a partial frame: the caller keeps it */
        handle_frame(c, (const char *)payload, plen, now);
        off += used;
    }
    return off;
}

/* Handles the whole frames of the evbuffer `in` (a frame that arrived in
 * pieces, or bytes left behind a partial frame): each one, once complete,
 * is made contiguous (evbuffer_pullup of that frame only, so a frame
 * trickling in is never copied more than once) and goes through
 * handle_bytes like a frame read in one piece. */
static void process_input(cw_conn *c, struct evbuffer *in, uint64_t now)
{
    size_t avail;
    while (c->state == CONN_OPEN && !c->holds &&
           (avail = evbuffer_get_length(in)) >= CW_FRAME_HEADER) {
        uint8_t hdr[CW_FRAME_HEADER];
        evbuffer_copyout(in, hdr, sizeof hdr);
        size_t plen = cw_frame_read_header(hdr);
        /* A header announcing too much is handled (refused) on its own. */
        size_t take = plen > c->net->cfg.max_frame ? CW_FRAME_HEADER : CW_FRAME_HEADER + plen;
        if (avail < take) break; /* the rest of this frame has not arrived */
        const uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)take);
        if (!buf) {
            cw_conn_kill_(c, "io_error");
            break;
        }
        size_t used = handle_bytes(c, buf, take, now);
        evbuffer_drain(in, used);
        if (used == 0) break;
    }
    if (c->state != CONN_OPEN) /* closing: the rest of the input is dropped */
        evbuffer_drain(in, evbuffer_get_length(in));
}

#define READ_CHUNK 16384

/* Held with a maximum frame's worth of input waiting: stop reading (the
 * kernel keeps the rest, and TCP slows the client) until the release. */
static void pause_if_full(cw_conn *c, struct evbuffer *in)
{
    if (c->state == CONN_OPEN && c->holds && !c->paused &&
        evbuffer_get_length(in) >= c->net->cfg.max_frame + CW_FRAME_HEADER) {
        event_del(c->rev);
        c->paused = 1;
    }
}

/* The peer closed its side: answers already queued still go out. */
static void peer_eof(cw_conn *c)
{
    conn_eventcb(c->bev, (short)(BEV_EVENT_READING | BEV_EVENT_EOF), c);
}

/* Reading, without libevent's bufferevent read (which asks the kernel how
 * much is readable, an extra ioctl per read, and copies everything through
 * its input buffer): one recv into a stack buffer whose whole frames are
 * handled in place; only a partial frame is kept, in the bufferevent's input
 * buffer, until the rest arrives. */
static void conn_read(cw_conn *c, evutil_socket_t fd)
{
    uint8_t buf[READ_CHUNK];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) {
        int e = r < 0 ? EVUTIL_SOCKET_ERROR() : 0;
        if (r < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)) return;
        event_del(c->rev); /* EOF and errors stay readable: stop asking */
        if (r == 0 && c->state == CONN_OPEN && (c->holds || c->resume_due)) {
            c->eof = 1; /* after the waiting frames (cw_conn_resume_) */
            return;
        }
        EVUTIL_SET_SOCKET_ERROR(e);
        conn_eventcb(c->bev,
                     (short)(BEV_EVENT_READING | (r == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR)), c);
        return;
    }
    cw_counter_add(c->net->m_bytes_in, (uint64_t)r);
    if (c->state != CONN_OPEN) return; /* closing: input is read and dropped */
    uint64_t now = cw_now_ns();
    size_t used = c->in_kept ? 0 : handle_bytes(c, buf, (size_t)r, now);
    if (c->state != CONN_OPEN || used == (size_t)r) return;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    /* The bufferevent keeps its input's end frozen (only it adds there). */
    evbuffer_unfreeze(in, 0);
    int rc = evbuffer_add(in, buf + used, (size_t)r - used);
    evbuffer_freeze(in, 0);
    if (rc != 0) {
        cw_conn_kill_(c, "io_error");
        return;
    }
    process_input(c, in, now);
    c->in_kept = evbuffer_get_length(in) > 0;
    pause_if_full(c, in);
    /* Caught up: credit for time held is not kept for later traffic. */
    if (!c->holds && (size_t)r < READ_CHUNK && evbuffer_get_length(in) == 0) c->credit = 0;
}

static void conn_read_ev(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    cw_conn *c = arg;
    cw_net *n = c->net; /* c may be dead after the read: its memory stays until the reap */
    conn_read(c, fd);
    cw_net_read_done_(n);
}

/* ---- answer order ----------------------------------------------------- */

void cw_conn_hold(cw_conn *c)
{
    if (c->holds++ == 0) c->held_ns = cw_now_ns();
}

void cw_conn_release(cw_conn *c)
{
    if (c->holds <= 0) {
        cw_log(CW_LOG_ERROR, "conn_release_without_hold", CW_I("conn", (int64_t)c->id), CW_END);
        return;
    }
    if (--c->holds > 0) return;
    uint64_t now = cw_now_ns();
    if (c->net->cfg.rate > 0 && now > c->held_ns)
        c->credit += (double)(now - c->held_ns) * 1e-9 * c->net->cfg.rate;
    c->last_frame_ns = now; /* the idle clock restarts at the answer */
    if (c->state != CONN_OPEN) return;
    c->resume_due = 1;
    cw_net_schedule_resume_(c->net, c);
}

int cw_conn_holds(const cw_conn *c)
{
    return c->holds;
}

void cw_conn_resume_(cw_conn *c)
{
    if (c->state != CONN_OPEN || c->holds) return;
    c->resume_due = 0;
    if (c->paused) {
        c->paused = 0;
        event_add(c->rev, NULL);
    }
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (evbuffer_get_length(in) >= CW_FRAME_HEADER) process_input(c, in, cw_now_ns());
    c->in_kept = evbuffer_get_length(in) > 0;
    if (c->state != CONN_OPEN) return;
    if (c->holds) {
        pause_if_full(c, in);
    } else if (c->eof) {
        c->eof = 0;
        peer_eof(c);
    }
}

/* ---- accessors -------------------------------------------------------- */

uint64_t cw_conn_id(const cw_conn *c)
{
    return c->id;
}

const char *cw_conn_peer(const cw_conn *c)
{
    return c->peer;
}

void cw_conn_set_ud(cw_conn *c, void *ud)
{
    c->ud = ud;
}

void *cw_conn_ud(const cw_conn *c)
{
    return c->ud;
}
