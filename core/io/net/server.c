/* server.c — the listener, the connection table, the sweep and the reaper.
 *
 * Per-connection work (framing, replies, limits) lives in conn.c. */
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/listen/listen.h"
#include "core/io/net/frame.h"
#include "core/io/net/net_internal.h"
#include "core/io/net/request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const perr_names[PERR_COUNT] = {
    CW_PROTO_BAD_JSON,    CW_PROTO_NOT_OBJECT,      CW_PROTO_MISSING_OP,
    CW_PROTO_BAD_FIELD,   CW_PROTO_FRAME_TOO_LARGE, CW_PROTO_RATE_LIMITED,
    CW_PROTO_SERVER_BUSY, CW_PROTO_INTERNAL,        CW_PROTO_ANSWER_TOO_LARGE};
static const char *const disc_names[DISC_COUNT] = {
    "client_closed", "idle_timeout",  "frame_too_large", "output_overflow", "rate_abuse",
    "shutdown",      "server_closed", "io_error",        "server_busy"};

void cw_net_config_defaults(cw_net_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = 7777;
    cfg->max_frame = 65536;
    cfg->max_connections = 20000;
    cfg->rate = 50;
    cfg->burst = 100;
    cfg->abuse_strikes = 20;
    cfg->idle_timeout_ms = 300000;
    cfg->max_output = 1 << 20;
    cfg->close_linger_ms = 5000;
    cfg->fd_reserve = 64;
}

/* ---- metrics ---------------------------------------------------------- */

static void metrics_init(cw_net *n)
{
    cw_metrics *m = n->metrics;
    if (!m) return;
    n->m_conns = cw_metrics_gauge(m, "chaos_connections", "Open game connections", NULL, NULL);
    n->m_accepted = cw_metrics_counter(m, "chaos_connections_accepted_total",
                                       "Game connections accepted", NULL, NULL);
    n->m_frames_in = cw_metrics_counter(m, "chaos_frames_in_total", "Frames received", NULL, NULL);
    n->m_frames_out = cw_metrics_counter(m, "chaos_frames_out_total", "Frames queued", NULL, NULL);
    n->m_bytes_in = cw_metrics_counter(m, "chaos_bytes_in_total", "Bytes received", NULL, NULL);
    n->m_bytes_out = cw_metrics_counter(m, "chaos_bytes_out_total",
                                        "Bytes queued (headers included)", NULL, NULL);
    n->m_writes = cw_metrics_counter(m, "chaos_socket_writes_total",
                                     "Writes of queued output to game sockets", NULL, NULL);
    for (int i = 0; i < PERR_COUNT; i++)
        n->m_perr[i] =
            cw_metrics_counter(m, "chaos_protocol_errors_total",
                               "Error frames sent by the net layer", "code", perr_names[i]);
    for (int i = 0; i < DISC_COUNT; i++)
        n->m_disc[i] = cw_metrics_counter(m, "chaos_disconnects_total", "Connections closed",
                                          "reason", disc_names[i]);
}

void cw_net_count_perr_(cw_net *n, const char *code)
{
    for (int i = 0; i < PERR_COUNT; i++)
        if (strcmp(code, perr_names[i]) == 0) {
            cw_counter_add(n->m_perr[i], 1);
            return;
        }
}

static void count_disconnect(cw_net *n, const char *reason)
{
    for (int i = 0; i < DISC_COUNT; i++)
        if (strcmp(reason, disc_names[i]) == 0) {
            cw_counter_add(n->m_disc[i], 1);
            return;
        }
    if (n->metrics) /* a reason of the layer above: rare, so the lookup is fine */
        cw_counter_add(cw_metrics_counter(n->metrics, "chaos_disconnects_total",
                                          "Connections closed", "reason", reason),
                       1);
}

/* ---- slot table ------------------------------------------------------- */

static int slot_alloc(cw_net *n, uint32_t *out)
{
    if (n->nfree) {
        *out = n->free_slots[--n->nfree];
        return 0;
    }
    if (n->top == n->nslots) {
        uint32_t cap = n->nslots ? n->nslots * 2 : 64;
        if (cap > CW_NET_SLOT_MASK + 1u) cap = CW_NET_SLOT_MASK + 1u;
        if (cap <= n->nslots) return CW_ELIMIT;
        cw_conn **s = realloc(n->slots, sizeof *s * cap);
        if (!s) return CW_ENOMEM;
        n->slots = s;
        uint32_t *f = realloc(n->free_slots, sizeof *f * cap);
        if (!f) return CW_ENOMEM;
        n->free_slots = f;
        n->nslots = cap;
    }
    *out = n->top++;
    return 0;
}

cw_conn *cw_net_find(cw_net *n, uint64_t id)
{
    uint32_t slot = (uint32_t)(id & CW_NET_SLOT_MASK);
    if (slot >= n->top) return NULL;
    cw_conn *c = n->slots[slot];
    return c && c->id == id && c->state != CONN_DEAD ? c : NULL;
}

size_t cw_net_count(const cw_net *n)
{
    return n->count;
}

int cw_net_port(const cw_net *n)
{
    return n->port;
}

/* ---- reaping: on_close and free happen here, on the loop -------------- */

static void reap_all(cw_net *n)
{
    while (n->dead) {
        cw_conn *c = n->dead;
        n->dead = c->next_dead;
        cw_log(CW_LOG_DEBUG, "conn_close", CW_I("conn", (int64_t)c->id), CW_S("peer", c->peer),
               CW_S("reason", c->reason), CW_END);
        count_disconnect(n, c->reason);
        if (n->h.on_close) n->h.on_close(n->h.ud, c, c->reason);
        n->slots[c->slot] = NULL;
        n->free_slots[n->nfree++] = c->slot;
        n->count--;
        cw_gauge_set(n->m_conns, (double)n->count);
        cw_conn_free_(c);
    }
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reap_all(arg);
}

void cw_net_schedule_reap_(cw_net *n, cw_conn *c)
{
    c->next_dead = n->dead;
    n->dead = c;
    event_active(n->reaper, EV_TIMEOUT, 0);
}

/* ---- write coalescing (see conn.c) ------------------------------------ */

static int idq_push(cw_idq *q, uint64_t id)
{
    if (q->n == q->cap && q->head > 0) { /* the written front makes room */
        memmove(q->v, q->v + q->head, sizeof *q->v * (q->n - q->head));
        q->n -= q->head;
        q->head = 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        uint64_t *v = realloc(q->v, sizeof *v * cap);
        if (!v) return CW_ENOMEM;
        q->v = v;
        q->cap = cap;
    }
    q->v[q->n++] = id;
    return 0;
}

void cw_net_schedule_flush_(cw_net *n, cw_conn *c, int which)
{
    if (c->in_flushq & which) return;
    if (idq_push(which == FLUSH_URGENT ? &n->urgent : &n->bulk, c->id) != 0) {
        cw_conn_want_write_(c); /* no room to defer: the write event writes it */
        return;
    }
    c->in_flushq |= (uint8_t)which;
    event_active(n->flusher, EV_TIMEOUT, 0);
}

/* Ids, not pointers: a connection dropped since it was queued is gone. */
static void flush_ids(cw_net *n, const uint64_t *ids, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        cw_conn *c = cw_net_find(n, ids[i]);
        if (c) cw_conn_flush_(c);
    }
}

static void flush_urgent(cw_net *n)
{
    flush_ids(n, n->urgent.v, n->urgent.n); /* cannot grow the queues: writing queues nothing */
    n->urgent.n = 0;
    n->reads_unflushed = 0;
}

void cw_net_read_done_(cw_net *n)
{
    if (++n->reads_unflushed >= CW_NET_READS_PER_FLUSH && n->urgent.n) flush_urgent(n);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_net *n = arg;
    flush_urgent(n);
    size_t left = n->bulk.n - n->bulk.head;
    size_t k = left < CW_NET_FLUSH_CHUNK ? left : CW_NET_FLUSH_CHUNK;
    flush_ids(n, n->bulk.v + n->bulk.head, k); /* cannot grow the queue: writing queues nothing */
    n->bulk.head += k;
    if (n->bulk.head == n->bulk.n) {
        n->bulk.head = n->bulk.n = 0;
    } else {
        struct timeval zero = {0, 0};
        evtimer_add(n->flush_more, &zero); /* after the next poll for input */
    }
}

/* ---- answer order: frames that waited behind a hold (conn.c) ---------- */

void cw_net_schedule_resume_(cw_net *n, cw_conn *c)
{
    if (idq_push(&n->resume, c->id) != 0) {
        /* No room to queue it: the sweep resumes it (c->resume_due). */
        cw_log(CW_LOG_WARN, "conn_resume_deferred", CW_I("conn", (int64_t)c->id), CW_END);
        return;
    }
    event_active(n->resumer, EV_TIMEOUT, 0);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_net *n = arg;
    /* Handling a frame may queue more (a request held and released at once):
     * those wait for the next run; index, not pointer (the queue may grow). */
    size_t k = n->resume.n;
    for (size_t i = 0; i < k; i++) {
        cw_conn *c = cw_net_find(n, n->resume.v[i]);
        if (c) cw_conn_resume_(c);
    }
    n->resume.n -= k;
    if (n->resume.n) {
        memmove(n->resume.v, n->resume.v + k, sizeof *n->resume.v * n->resume.n);
        event_active(n->resumer, EV_TIMEOUT, 0);
    }
}

/* ---- idle and linger sweep -------------------------------------------- */

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_net *n = arg;
    uint64_t now = cw_now_ns();
    for (uint32_t i = 0; i < n->top; i++)
        if (n->slots[i]) cw_conn_sweep_(n->slots[i], now);
}

static struct timeval sweep_period(const cw_net_config *cfg)
{
    int ms = cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms / 4 : 1000;
    if (ms < 25) ms = 25;
    if (ms > 1000) ms = 1000;
    return (struct timeval){ms / 1000, (ms % 1000) * 1000};
}

/* ---- accepting -------------------------------------------------------- */

static void format_peer(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%d", ip, port);
    } else {
        snprintf(out, cap, "unknown");
    }
}

/* Over max_connections or the descriptor ceiling: one best-effort error
 * frame straight on the socket (no bufferevent, no allocation), then close.
 * Logged once per episode (net.h). */
static void refuse_busy(cw_net *n, evutil_socket_t fd, const char *peer, const char *why)
{
    static const char body[] = "{\"id\":null,\"error\":{\"code\":\"server_busy\","
                               "\"message\":\"server is at its connection limit\"}}";
    uint8_t frame[4 + sizeof body];
    cw_frame_header(frame, (uint32_t)(sizeof body - 1));
    memcpy(frame + 4, body, sizeof body - 1);
    ssize_t w = send(fd, frame, 4 + sizeof body - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    evutil_closesocket(fd);
    cw_net_count_perr_(n, CW_PROTO_SERVER_BUSY);
    cw_counter_add(n->m_disc[DISC_SERVER_BUSY], 1);
    if (n->busy_refused++ == 0)
        cw_log(CW_LOG_WARN, "conn_refused", CW_S("peer", peer), CW_S("reason", why),
               CW_I("max_connections", n->cfg.max_connections), CW_I("connections", n->count),
               CW_I("fd", fd), CW_I("fd_reserve", n->cfg.fd_reserve), CW_END);
}

/* The soft descriptor limit minus the reserve (net.h), LONG_MAX if none. */
static long fd_ceiling(int reserve)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > (rlim_t)LONG_MAX)
        return LONG_MAX;
    return (long)rl.rlim_cur - reserve;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    (void)l;
    (void)salen;
    cw_net *n = arg;
    char peer[56];
    format_peer(sa, peer, sizeof peer);
    if (n->count >= (size_t)n->cfg.max_connections) {
        refuse_busy(n, fd, peer, "max_connections");
        return;
    }
    if ((long)fd >= n->fd_ceiling) {
        refuse_busy(n, fd, peer, "fd_reserve");
        return;
    }
    if (n->busy_refused) {
        cw_log(CW_LOG_INFO, "conn_refused_end", CW_I("refused", n->busy_refused),
               CW_I("connections", n->count), CW_END);
        n->busy_refused = 0;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    cw_conn *c = cw_conn_new_(n, fd, peer, cw_now_ns());
    if (!c) {
        evutil_closesocket(fd);
        cw_log(CW_LOG_WARN, "conn_accept_failed", CW_S("peer", peer), CW_S("error", "enomem"),
               CW_END);
        return;
    }
    uint32_t slot;
    if (slot_alloc(n, &slot) != 0) {
        cw_conn_free_(c);
        cw_log(CW_LOG_WARN, "conn_accept_failed", CW_S("peer", peer), CW_S("error", "no slot"),
               CW_END);
        return;
    }
    c->slot = slot;
    c->id = (++n->seq << CW_NET_SLOT_BITS) | slot;
    n->slots[slot] = c;
    n->count++;
    cw_counter_add(n->m_accepted, 1);
    cw_gauge_set(n->m_conns, (double)n->count);
    cw_log(CW_LOG_DEBUG, "conn_open", CW_I("conn", (int64_t)c->id), CW_S("peer", peer), CW_END);
    if (n->h.on_open) n->h.on_open(n->h.ud, c);
}

static int listen_on(cw_net *n, cw_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", n->cfg.port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const char *host = n->host && *n->host ? n->host : NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return cw_error_set(err, CW_EINVAL, "cannot resolve %s: %s", host ? host : "*",
                            gai_strerror(gai));
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    n->listener = evconnlistener_new_bind(n->base, accept_cb, n, flags, 1024, res->ai_addr,
                                          (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (!n->listener)
        return cw_error_set(err, CW_EIO, "cannot listen on %s:%d: %s", host ? host : "*",
                            n->cfg.port, strerror(errno));
    /* A failed accept (EMFILE, …) pauses the listener instead of spinning. */
    n->guard = cw_listen_guard_new(n->listener, "game", n->metrics, err);
    if (!n->guard) return err ? err->code : CW_ENOMEM;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evconnlistener_get_fd(n->listener), (struct sockaddr *)&ss, &sl) == 0)
        n->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

static void ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

cw_net *cw_net_new(struct event_base *base, const cw_net_config *cfg, const cw_net_handler *h,
                   cw_metrics *metrics, cw_error *err)
{
    if (!base || !cfg || !h) {
        cw_error_set(err, CW_EINVAL, "cw_net_new: base, cfg and handler are required");
        return NULL;
    }
    if (cfg->max_frame == 0 || cfg->max_frame > UINT32_MAX || cfg->max_connections <= 0 ||
        cfg->max_output == 0 || cfg->fd_reserve < 0) {
        cw_error_set(err, CW_EINVAL,
                     "cw_net_new: max_frame (1..4 GiB), max_connections and max_output must be > "
                     "0, fd_reserve >= 0");
        return NULL;
    }
    cw_net *n = calloc(1, sizeof *n);
    if (!n) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        return NULL;
    }
    n->base = base;
    n->cfg = *cfg;
    if (n->cfg.max_connections > (int)CW_NET_SLOT_MASK)
        n->cfg.max_connections = (int)CW_NET_SLOT_MASK;
    if (n->cfg.close_linger_ms <= 0) n->cfg.close_linger_ms = 5000;
    /* One answer of the largest size must fit in an empty output buffer. */
    if (n->cfg.max_output < n->cfg.max_frame + CW_FRAME_HEADER)
        n->cfg.max_output = n->cfg.max_frame + CW_FRAME_HEADER;
    n->host = strdup(cfg->host ? cfg->host : "");
    n->cfg.host = n->host;
    n->h = *h;
    n->metrics = metrics;
    n->fd_ceiling = fd_ceiling(n->cfg.fd_reserve);
    n->reaper = event_new(base, -1, 0, reap_cb, n);
    n->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, n);
    n->flusher = event_new(base, -1, 0, flush_cb, n);
    n->flush_more = evtimer_new(base, flush_cb, n);
    n->resumer = event_new(base, -1, 0, resume_cb, n);
    if (!n->host || !n->reaper || !n->sweep || !n->flusher || !n->flush_more || !n->resumer) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        cw_net_free(n);
        return NULL;
    }
    if (listen_on(n, err) != 0) {
        cw_net_free(n);
        return NULL;
    }
    struct timeval tv = sweep_period(&n->cfg);
    event_add(n->sweep, &tv);
    ignore_sigpipe();
    metrics_init(n);
    cw_log(CW_LOG_INFO, "net_listening", CW_S("host", n->host), CW_I("port", n->port),
           CW_I("fd_ceiling", n->fd_ceiling == LONG_MAX ? -1 : n->fd_ceiling), CW_END);
    return n;
}

void cw_net_stop_accepting(cw_net *n)
{
    cw_listen_guard_free(n->guard);
    n->guard = NULL;
    if (n->listener) {
        evconnlistener_free(n->listener);
        n->listener = NULL;
    }
}

void cw_net_free(cw_net *n)
{
    if (!n) return;
    cw_net_stop_accepting(n);
    for (uint32_t i = 0; i < n->top; i++)
        if (n->slots[i]) cw_conn_kill_(n->slots[i], "shutdown");
    reap_all(n);
    cw_net_linger_free_all_(n);
    if (n->reaper) event_free(n->reaper);
    if (n->sweep) event_free(n->sweep);
    if (n->flusher) event_free(n->flusher);
    if (n->flush_more) event_free(n->flush_more);
    if (n->resumer) event_free(n->resumer);
    free(n->resume.v);
    free(n->urgent.v);
    free(n->bulk.v);
    free(n->slots);
    free(n->free_slots);
    cw_strbuf_free(&n->scratch);
    free(n->host);
    free(n);
}

void cw_net_broadcast(cw_net *n, const char *json, size_t len)
{
    if (len > n->cfg.max_frame) {
        cw_log(CW_LOG_WARN, "broadcast_too_large", CW_I("bytes", (int64_t)len),
               CW_I("max_frame", (int64_t)n->cfg.max_frame), CW_END);
        return;
    }
    cw_strbuf *b = &n->scratch;
    cw_strbuf_reset(b);
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)len);
    if (cw_strbuf_append(b, (const char *)hdr, 4) || cw_strbuf_append(b, json, len)) return;
    for (uint32_t i = 0; i < n->top; i++) {
        cw_conn *c = n->slots[i];
        if (c && c->state == CONN_OPEN) cw_conn_queue_(c, b->data, b->len);
    }
}

size_t cw_net_pending_output(const cw_net *n)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n->top; i++) {
        cw_conn *c = n->slots[i];
        if (c) total += cw_conn_pending(c);
    }
    return total;
}
