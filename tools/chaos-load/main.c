/* chaos-load — the load generator for the game port (single-threaded, libevent).
 *
 * Opens N connections (gradually, --connect-rate per second), sends
 * {"op":"ping","id":<n>} frames and matches the responses by id:
 *   closed loop (--mode closed): K requests in flight per connection; each
 *     answer sends the next one. Latency is from queuing to the answer.
 *   open loop (--mode open): R requests/s per connection on a fixed
 *     schedule (one timer per connection, random phase). Latency is measured
 *     from the *scheduled* send time, so a server stall shows up as latency
 *     instead of silently slowing the sender (no coordinated omission).
 * Phases: ramp (all connections attempted and settled, max 10 s), warmup
 * (--warmup s, not recorded), measure (--duration s), drain (up to 2 s for
 * answers to requests sent in the window; unanswered ones count as errors).
 * A request belongs to the window by its (scheduled) send time.
 *
 * Prints one JSON line on stdout:
 *   {"mode","connections","connected","errors","requests","duration_s","rps",
 *    "p50_us","p90_us","p99_us","p999_us","max_us"}
 * connected: connections established at the end of the measurement;
 * errors: error frames + unmatched answers + failed/dropped connections +
 * unanswered or unsendable (backlog full) requests; requests: ok answers in
 * the window; rps = requests / duration_s. */
#include "core/base/rng.h"
#include "tools/chaos-load/hist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (1u << 20)
#define RAMP_SETTLE_NS (10ull * 1000000000ull)
#define DRAIN_NS (2ull * 1000000000ull)

enum { PH_RAMP, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

typedef struct slot {
    uint64_t seq; /* 0 = free */
    uint64_t t_ns;
} slot;

typedef struct load load;

typedef struct lconn {
    load *L;
    struct bufferevent *bev;
    struct event *timer; /* open loop */
    int up;              /* 1 connected, -1 failed or dropped */
    uint64_t next_seq;
    uint32_t outstanding;
    uint32_t mask; /* ring size - 1 */
    slot *ring;
    uint64_t next_ns; /* open loop: next scheduled send */
} lconn;

typedef struct opts {
    const char *host;
    int port;
    int connections;
    int closed; /* 1 closed loop, 0 open loop */
    int inflight;
    double rate;
    double duration;
    double warmup;
    double connect_rate;
    int hello;
} opts;

struct load {
    opts o;
    struct event_base *base;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    lconn *conns;
    int attempted, connected, failed;
    int phase;
    uint64_t t0, ramp_last_ns, measure_start, measure_end, drain_end;
    uint64_t interval_ns;
    uint64_t window_outstanding; /* sent in the window, not yet answered */
    uint64_t errors, requests;
    int hello_warned;
    struct event *ramp_ev, *tick_ev;
    cw_rng rng;
    cw_hist hist;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timeval tv_ns(uint64_t ns)
{
    return (struct timeval){(time_t)(ns / 1000000000ull), (suseconds_t)(ns % 1000000000ull / 1000)};
}

static int in_window(const load *L, uint64_t t)
{
    return t >= L->measure_start && t < L->measure_end; /* start is "never" until ramped */
}

/* ---- sending ---------------------------------------------------------- */

static void send_json(lconn *c, const char *json, size_t n)
{
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, hdr, 4);
    evbuffer_add(out, json, n);
}

/* Sends one ping stamped t (queue time, or the schedule in open loop). */
static void send_ping(lconn *c, uint64_t t)
{
    load *L = c->L;
    slot *s = &c->ring[c->next_seq & c->mask];
    if (s->seq != 0) { /* backlog full: the oldest is still unanswered */
        if (in_window(L, t)) L->errors++;
        return;
    }
    uint64_t seq = c->next_seq++;
    s->seq = seq;
    s->t_ns = t;
    c->outstanding++;
    if (in_window(L, t)) L->window_outstanding++;
    char json[64];
    int n = snprintf(json, sizeof json, "{\"op\":\"ping\",\"id\":%llu}", (unsigned long long)seq);
    send_json(c, json, (size_t)n);
}

static int sending(const load *L, uint64_t now)
{
    return L->phase < PH_DRAIN && !(L->phase == PH_MEASURE && now >= L->measure_end);
}

static void open_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lconn *c = arg;
    load *L = c->L;
    uint64_t now = now_ns();
    if (c->up != 1) return;
    while (c->next_ns <= now) { /* catch up: late sends keep their scheduled time */
        if (c->next_ns >= L->measure_end) return; /* the schedule ends with the window */
        send_ping(c, c->next_ns);
        c->next_ns += L->interval_ns;
    }
    struct timeval tv = tv_ns(c->next_ns - now);
    evtimer_add(c->timer, &tv);
}

static void start_sending(lconn *c)
{
    load *L = c->L;
    if (L->o.hello) {
        static const char hello[] = "{\"op\":\"hello\",\"version\":1,\"id\":\"hello\"}";
        send_json(c, hello, sizeof hello - 1);
    }
    if (L->o.closed) {
        uint64_t t = now_ns();
        for (int i = 0; i < L->o.inflight; i++)
            send_ping(c, t);
    } else {
        uint64_t phase = (uint64_t)(cw_rng_double(&L->rng) * (double)L->interval_ns);
        c->next_ns = now_ns() + phase;
        struct timeval tv = tv_ns(phase);
        evtimer_add(c->timer, &tv);
    }
}

/* ---- receiving -------------------------------------------------------- */

static void conn_lost(lconn *c)
{
    load *L = c->L;
    if (c->up == 1) L->connected--;
    if (c->up != -1) L->failed++;
    c->up = -1;
    /* its unanswered requests in the window are errors */
    for (uint32_t i = 0; i <= c->mask; i++)
        if (c->ring[i].seq && in_window(L, c->ring[i].t_ns)) {
            L->errors++;
            L->window_outstanding--;
        }
    memset(c->ring, 0, sizeof(slot) * (c->mask + 1));
    c->outstanding = 0;
    L->errors++;
    if (c->timer) evtimer_del(c->timer);
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
}

/* Finds "id":<digits> in a response; 0 if absent or not a number. */
static uint64_t response_id(const char *p, size_t n)
{
    const char *k = memmem(p, n, "\"id\":", 5);
    if (!k) return 0;
    k += 5;
    uint64_t v = 0;
    int digits = 0;
    while (k < p + n && *k >= '0' && *k <= '9') {
        v = v * 10 + (uint64_t)(*k - '0');
        k++;
        digits++;
    }
    return digits ? v : 0;
}

static void on_response(lconn *c, const char *p, size_t n, uint64_t now)
{
    load *L = c->L;
    int is_error = memmem(p, n, "\"error\":", 8) != NULL;
    uint64_t seq = response_id(p, n);
    if (seq == 0) {
        if (memmem(p, n, "\"id\":\"hello\"", 12)) {
            if (is_error && !L->hello_warned++)
                fprintf(stderr, "chaos-load: hello refused (further ones not shown): %.*s\n",
                        (int)n, p);
        } else {
            L->errors++; /* unmatched (event frames have no id: count them too) */
        }
        return;
    }
    slot *s = &c->ring[seq & c->mask];
    if (s->seq != seq) {
        L->errors++;
        return;
    }
    uint64_t t = s->t_ns;
    s->seq = 0;
    c->outstanding--;
    if (in_window(L, t)) {
        L->window_outstanding--;
        if (is_error) {
            L->errors++;
        } else {
            L->requests++;
            cw_hist_record(&L->hist, now > t ? now - t : 0);
        }
    }
    if (L->o.closed && c->up == 1 && sending(L, now)) send_ping(c, now);
}

static void readcb(struct bufferevent *bev, void *arg)
{
    lconn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint64_t now = now_ns();
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        uint8_t h[4];
        if (avail < 4) return;
        evbuffer_copyout(in, h, 4);
        size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (len > MAX_FRAME) {
            fprintf(stderr, "chaos-load: frame of %zu bytes from server, dropping conn\n", len);
            conn_lost(c);
            return;
        }
        if (avail < 4 + len) return;
        const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)(4 + len)) + 4;
        on_response(c, p, len, now);
        evbuffer_drain(in, 4 + len);
        if (c->up != 1) return;
    }
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    lconn *c = arg;
    load *L = c->L;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->up = 1;
        L->connected++;
        start_sending(c);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (L->phase < PH_DONE && c->up == 1)
            fprintf(stderr, "chaos-load: connection lost: %s\n",
                    what & BEV_EVENT_EOF ? "closed by server"
                                         : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        else if (c->up == 0)
            fprintf(stderr, "chaos-load: connect failed: %s\n",
                    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        conn_lost(c);
    }
}

/* ---- phases ----------------------------------------------------------- */

static void connect_one(load *L)
{
    lconn *c = &L->conns[L->attempted++];
    c->L = L;
    c->next_seq = 1;
    c->bev = bufferevent_socket_new(L->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!L->o.closed) c->timer = evtimer_new(L->base, open_timer_cb, c);
    bufferevent_setcb(c->bev, readcb, NULL, eventcb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&L->addr, (int)L->addrlen) != 0) {
        fprintf(stderr, "chaos-load: connect: %s\n", strerror(errno));
        conn_lost(c);
    }
}

static void ramp_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    load *L = arg;
    /* every 10 ms, the connections due by now at --connect-rate */
    double elapsed = (double)(now_ns() - L->t0) / 1e9;
    int due = (int)(elapsed * L->o.connect_rate) + 1;
    while (L->attempted < L->o.connections && L->attempted < due)
        connect_one(L);
    if (L->attempted < L->o.connections) {
        struct timeval tv = {0, 10000};
        evtimer_add(L->ramp_ev, &tv);
    } else {
        L->ramp_last_ns = now_ns();
    }
}

static void print_result(load *L)
{
    double dur = (double)(L->measure_end - L->measure_start) / 1e9;
    L->errors += L->window_outstanding; /* never answered */
    double us = 1e3;
    printf("{\"mode\":\"%s\",\"connections\":%d,\"connected\":%d,\"errors\":%llu,"
           "\"requests\":%llu,\"duration_s\":%.3f,\"rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
           "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
           L->o.closed ? "closed" : "open", L->o.connections, L->connected,
           (unsigned long long)L->errors, (unsigned long long)L->requests, dur,
           dur > 0 ? (double)L->requests / dur : 0.0, (double)cw_hist_quantile(&L->hist, 0.50) / us,
           (double)cw_hist_quantile(&L->hist, 0.90) / us,
           (double)cw_hist_quantile(&L->hist, 0.99) / us,
           (double)cw_hist_quantile(&L->hist, 0.999) / us, (double)L->hist.max / us);
    fflush(stdout);
}

/* 10 ms housekeeping tick: moves between phases. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    load *L = arg;
    uint64_t now = now_ns();
    if (L->phase == PH_RAMP) {
        int settled =
            L->attempted == L->o.connections && (L->connected + L->failed >= L->o.connections ||
                                                 now - L->ramp_last_ns > RAMP_SETTLE_NS);
        if (settled) {
            fprintf(stderr, "chaos-load: %d/%d connected, warmup %.1f s\n", L->connected,
                    L->o.connections, L->o.warmup);
            L->phase = PH_WARMUP;
            L->measure_start = now + (uint64_t)(L->o.warmup * 1e9);
            L->measure_end = L->measure_start + (uint64_t)(L->o.duration * 1e9);
        }
    }
    if (L->phase == PH_WARMUP && now >= L->measure_start) L->phase = PH_MEASURE;
    if (L->phase == PH_MEASURE && now >= L->measure_end) {
        L->phase = PH_DRAIN;
        L->drain_end = now + DRAIN_NS;
    }
    if (L->phase == PH_DRAIN && (L->window_outstanding == 0 || now >= L->drain_end)) {
        L->phase = PH_DONE;
        print_result(L);
        event_base_loopbreak(L->base);
    }
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: chaos-load [options]\n"
          "Load generator for the Chaos World game port: ping frames, latency histogram.\n"
          "  --host H           server address (default 127.0.0.1)\n"
          "  --port P           server port (default 7777)\n"
          "  --connections N    connections to open (default 100)\n"
          "  --mode closed|open closed: fixed requests in flight per connection;\n"
          "                     open: fixed request rate per connection (default closed)\n"
          "  --inflight K       closed loop: requests in flight per connection (default 1)\n"
          "  --rate R           open loop: requests per second per connection (default 10)\n"
          "  --duration S       measured seconds (default 10)\n"
          "  --warmup S         seconds run before measuring, not recorded (default 1)\n"
          "  --connect-rate C   new connections per second during the ramp (default 1000)\n"
          "  --hello            send {\"op\":\"hello\",\"version\":1} first on each connection\n"
          "  --help             this text\n"
          "Output: one JSON line {mode, connections, connected, errors, requests,\n"
          "duration_s, rps, p50_us, p90_us, p99_us, p999_us, max_us}. Open-loop latency\n"
          "is measured from the scheduled send time (no coordinated omission).\n"
          "RLIMIT_NOFILE is raised to the hard limit at start.\n",
          f);
}

static int parse_opts(int argc, char **argv, opts *o)
{
    *o = (opts){"127.0.0.1", 7777, 100, 1, 1, 10, 10, 1, 1000, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--hello") == 0) {
            o->hello = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "chaos-load: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--host") == 0)
            o->host = v;
        else if (strcmp(a, "--port") == 0)
            o->port = atoi(v);
        else if (strcmp(a, "--connections") == 0)
            o->connections = atoi(v);
        else if (strcmp(a, "--mode") == 0 && (!strcmp(v, "closed") || !strcmp(v, "open")))
            o->closed = strcmp(v, "closed") == 0;
        else if (strcmp(a, "--inflight") == 0)
            o->inflight = atoi(v);
        else if (strcmp(a, "--rate") == 0)
            o->rate = atof(v);
        else if (strcmp(a, "--duration") == 0)
            o->duration = atof(v);
        else if (strcmp(a, "--warmup") == 0)
            o->warmup = atof(v);
        else if (strcmp(a, "--connect-rate") == 0)
            o->connect_rate = atof(v);
        else {
            fprintf(stderr, "chaos-load: bad option %s %s\n", a, v);
            return -1;
        }
    }
    if (o->connections < 1 || o->inflight < 1 || o->rate <= 0 || o->duration <= 0 ||
        o->warmup < 0 || o->connect_rate <= 0 || o->port <= 0 || o->port > 65535) {
        fprintf(stderr, "chaos-load: connections, inflight, rate, duration, connect-rate and "
                        "port must be positive\n");
        return -1;
    }
    return 0;
}

static uint32_t ring_size(const opts *o)
{
    /* closed: K in flight; open: up to ~2 s of backlog (16..4096) */
    double want = o->closed ? o->inflight : o->rate * 2;
    uint32_t n = 16;
    while (n < want && n < (1u << 20))
        n *= 2;
    if (!o->closed && n > 4096) n = 4096;
    return n;
}

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)need + 16)
        fprintf(stderr, "chaos-load: warning: RLIMIT_NOFILE %llu < %d connections\n",
                (unsigned long long)rl.rlim_cur, need);
}

int main(int argc, char **argv)
{
    load *L = calloc(1, sizeof *L);
    if (!L || parse_opts(argc, argv, &L->o) != 0) {
        usage(stderr);
        return 2;
    }
    raise_nofile(L->o.connections);
    signal(SIGPIPE, SIG_IGN);
    char port[16];
    snprintf(port, sizeof port, "%d", L->o.port);
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(L->o.host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "chaos-load: %s: %s\n", L->o.host, gai_strerror(gai));
        return 1;
    }
    memcpy(&L->addr, res->ai_addr, res->ai_addrlen);
    L->addrlen = res->ai_addrlen;
    freeaddrinfo(res);

    cw_rng_seed(&L->rng, now_ns() ^ (uint64_t)getpid());
    cw_hist_init(&L->hist);
    L->interval_ns = (uint64_t)(1e9 / L->o.rate);
    if (L->interval_ns == 0) L->interval_ns = 1;
    uint32_t rs = ring_size(&L->o);
    L->conns = calloc((size_t)L->o.connections, sizeof *L->conns);
    for (int i = 0; i < L->o.connections; i++) {
        L->conns[i].mask = rs - 1;
        L->conns[i].ring = calloc(rs, sizeof(slot));
        if (!L->conns[i].ring) {
            fprintf(stderr, "chaos-load: out of memory\n");
            return 1;
        }
    }
    /* timerfd-backed timers: open-loop sends are scheduled to the
     * microsecond instead of epoll's millisecond timeout granularity */
    struct event_config *ecfg = event_config_new();
    event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    L->base = event_base_new_with_config(ecfg);
    event_config_free(ecfg);
    if (!L->base) {
        fprintf(stderr, "chaos-load: cannot create the event loop\n");
        return 1;
    }
    L->t0 = now_ns();
    L->measure_start = L->measure_end = UINT64_MAX;
    L->ramp_ev = evtimer_new(L->base, ramp_cb, L);
    L->tick_ev = event_new(L->base, -1, EV_PERSIST, tick_cb, L);
    struct timeval tick = {0, 10000};
    event_add(L->tick_ev, &tick);
    ramp_cb(-1, 0, L);
    event_base_dispatch(L->base);

    for (int i = 0; i < L->o.connections; i++) {
        lconn *c = &L->conns[i];
        if (c->bev) bufferevent_free(c->bev);
        if (c->timer) event_free(c->timer);
        free(c->ring);
    }
    event_free(L->ramp_ev);
    event_free(L->tick_ev);
    event_base_free(L->base);
    int rc = L->requests > 0 ? 0 : 1;
    free(L->conns);
    free(L);
    return rc;
}
