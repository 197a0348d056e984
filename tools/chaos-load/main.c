/* chaos-load — the load generator for the game port (single-threaded, libevent).
 *
 * Opens N connections (gradually, --connect-rate per second), sends
 * {"op":"ping","id":<n>} frames and matches the responses by id:
 *   closed loop (--mode closed): K requests in flight per connection; each
 *     answer sends the next one. Latency is from queuing to the answer.
 *   open loop (--mode open): R requests/s per connection on a fixed
 *     schedule (random phase; every send time rounded up to the 100 us slot
 *     of one timing wheel, see sched.c). Latency is measured from that
 *     *scheduled* send time, so a server stall or a late loop shows up as
 *     latency instead of silently slowing the sender (no coordinated
 *     omission).
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
 * the window; rps = requests / duration_s.
 *
 * --scenario play: each connection registers <prefix><index>, logs in,
 * creates a character (human warrior) and enters the world, then sends
 * `move` at --rate per second (open-loop schedule, latency from the
 * scheduled send) toward random targets inside a wall-free box of the meadow
 * (--box, see usage). Each step is the elapsed time since the previous move
 * times --speed times (1 - --margin), capped at one second of movement, so
 * the server's speed rule is respected. Pushed events are counted, not
 * parsed. The ramp ends when every connection has entered the world or
 * failed (or nothing progressed for 30 s). Output: see usage. */
#include "core/base/rng.h"
#include "tools/chaos-load/hist.h"
#include "tools/chaos-load/wire.h"

#include <math.h>
#include <event2/event.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "tools/chaos-load/load.h"

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int in_window(const load *L, uint64_t t)
{
    return t >= L->measure_start && t < L->measure_end; /* start is "never" until ramped */
}

/* ---- sending ---------------------------------------------------------- */

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
    uint8_t f[LW_FRAME_MAX];
    send_frame(c, f, lw_ping(f, seq));
}

int sending(const load *L, uint64_t now)
{
    return L->phase < PH_DRAIN && !(L->phase == PH_MEASURE && now >= L->measure_end);
}

/* The wheel reached c's next send (its slot boundary, the scheduled time). */
void open_tick(lconn *c, uint64_t now)
{
    load *L = c->L;
    if (c->up != 1) return;
    uint64_t t = cw_wheel_round(&L->wheel, c->next_ns);
    while (t <= now) {                   /* catch up: late sends keep their scheduled time */
        if (t >= L->measure_end) return; /* the schedule ends with the window */
        if (L->o.play)
            send_move(c, t, now);
        else
            send_ping(c, t);
        if (c->up != 1) return;
        c->next_ns += L->interval_ns;
        t = cw_wheel_round(&L->wheel, c->next_ns);
    }
    sched_add(L, &c->tick, t);
}

void start_sending(lconn *c)
{
    load *L = c->L;
    if (L->o.play) {
        play_register(c);
        return;
    }
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
        sched_add(L, &c->tick, cw_wheel_round(&L->wheel, c->next_ns));
    }
}

/* ---- receiving -------------------------------------------------------- */

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

void on_response(lconn *c, const char *p, size_t n, uint64_t now)
{
    load *L = c->L;
    if (L->o.play && n >= 6 && memcmp(p, "{\"ev\":", 6) == 0) {
        count_event(L, p, n, now);
        track_event(c, p, n, now);
        return;
    }
    if (L->o.play && n >= 11 && memcmp(p, "{\"id\":\"atk\"", 11) == 0) {
        if (!in_window(L, now)) return;
        const char *code = memmem(p, n, "\"code\":\"", 8);
        if (!code) {
            L->attacks_ok++;
        } else {
            L->attacks_refused++;
            if (!L->refused_code[0]) {
                code += 8;
                size_t k = 0;
                while (code + k < p + n && code[k] != '"' && k < sizeof L->refused_code - 1)
                    k++;
                memcpy(L->refused_code, code, k);
            }
        }
        return;
    }
    if (L->o.play && n >= 7 && memcmp(p, "{\"id\":\"", 7) == 0) {
        play_step(c, p, n, now);
        return;
    }
    int is_error = memmem(p, n, "\"error\":", 8) != NULL;
    if (is_error && !L->rate_warned && memmem(p, n, "\"rate_limited\"", 14)) {
        L->rate_warned = 1;
        fprintf(stderr, "chaos-load: the server answered rate_limited: it allows net.rate requests "
                        "per second per connection (hello reports it). Use --mode open with --rate "
                        "below that, or start the server with --set net.rate=0 to measure "
                        "throughput.\n");
    }
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
    int bad_move = is_error && L->o.play && memmem(p, n, "\"bad_move\"", 10) != NULL;
    if (bad_move) { /* snap back to where the server says we are */
        const char *from = memmem(p, n, "\"error\":", 8);
        double x = num_after(p, n, from, "\"x\":"), y = num_after(p, n, from, "\"y\":");
        if (!isnan(x) && !isnan(y)) {
            c->x = lw_grid(x);
            c->y = lw_grid(y);
        }
        static int shown;
        if (!shown++)
            fprintf(stderr, "chaos-load: first bad_move (further ones counted): %.*s\n", (int)n, p);
    }
    if (in_window(L, t)) {
        L->window_outstanding--;
        int dead = is_error && L->o.play && memmem(p, n, "\"code\":\"dead\"", 13) != NULL;
        if (dead) {
            L->dead_moves++;
            cw_hist_record(&L->hist, now > t ? now - t : 0);
        } else if (bad_move) {
            L->bad_moves++;
            cw_hist_record(&L->hist, now > t ? now - t : 0);
        } else if (is_error) {
            L->errors++;
        } else {
            L->requests++;
            cw_hist_record(&L->hist, now > t ? now - t : 0);
        }
    }
    if (L->o.closed && c->up == 1 && sending(L, now)) send_ping(c, now);
}

/* ---- phases ----------------------------------------------------------- */

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

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    load *L = arg;
    uint64_t now = now_ns();
    if (L->phase == PH_RAMP && L->o.play) {
        int done = L->attempted == L->o.connections &&
                   L->entered + L->login_failed + L->lost_playing >= L->o.connections;
        if (L->last_progress_ns == 0) L->last_progress_ns = now;
        if (done || now - L->last_progress_ns > PLAY_STALL_NS) {
            fprintf(stderr, "chaos-load: %d/%d entered in %.1f s (%d failed), warmup %.1f s\n",
                    L->entered, L->o.connections, (double)(now - L->t0) / 1e9, L->login_failed,
                    L->o.warmup);
            if (!L->entered_all_ns) L->entered_all_ns = now;
            L->phase = PH_WARMUP;
            L->measure_start = now + (uint64_t)(L->o.warmup * 1e9);
            L->measure_end = L->measure_start + (uint64_t)(L->o.duration * 1e9);
        }
    } else if (L->phase == PH_RAMP) {
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
    if (L->phase == PH_WARMUP && now >= L->measure_start) {
        L->phase = PH_MEASURE;
        L->cpu_start = cpu_seconds();
        if (L->o.play) fprintf(stderr, "chaos-load: measuring %.1f s\n", L->o.duration);
    }
    if (L->phase == PH_MEASURE && now >= L->measure_end) {
        L->cpu_end = cpu_seconds();
        if (L->o.play) fprintf(stderr, "chaos-load: measure window over\n");
        L->phase = PH_DRAIN;
        L->drain_end = now + DRAIN_NS;
    }
    if (L->phase == PH_DRAIN && (L->window_outstanding == 0 || now >= L->drain_end)) {
        L->phase = PH_DONE;
        if (L->o.play)
            print_play(L);
        else
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
          "  --spin             poll the sockets without ever sleeping (uses the whole core):\n"
          "                     on loopback a sender pays for waking the receiver, so a\n"
          "                     sleeping generator makes every server answer pay a wake-up\n"
          "                     that a client on another machine pays on its own CPU\n"
          "  --scenario ping|play  ping (default): the above; play: see below\n"
          "  --help             this text\n"
          "Output: one JSON line {mode, connections, connected, errors, requests,\n"
          "duration_s, rps, p50_us, p90_us, p99_us, p999_us, max_us}. Open-loop latency\n"
          "is measured from the scheduled send time (no coordinated omission).\n"
          "\n"
          "--scenario play: every connection registers <prefix><index> (password fixed),\n"
          "logs in, creates a human warrior of the same name, enters the world, then sends\n"
          "`move` --rate times per second (open loop; default 5 in this scenario) toward\n"
          "random targets in a wall-free box. Options:\n"
          "  --prefix NAME      account/character name prefix (default bot)\n"
          "  --speed U          the race's move_speed in units/s (default 10, human)\n"
          "  --margin F         fraction of the speed budget left unused (default 0.15)\n"
          "  --box X0,Y0,X1,Y1  walk area (default 10,310,590,990: the meadow west of its\n"
          "                     wall at x 600..620, north of its cave portal at 300,300)\n"
          "  --fighters F       the first F connections fight: they walk north from the\n"
          "                     spawn to (500,650), then inside x 10..990, y 610..990 (wall-\n"
          "                     free) toward the nearest monster they saw in an `enter` event\n"
          "                     (else the meadow wolves' home 700,700), and send `attack` at\n"
          "                     it once a second (default 0)\n"
          "Pushed events are counted, not parsed. Move latency: send -> ok or bad_move.\n"
          "Output: {scenario, connections, entered, connected, login_failed, rate,\n"
          "duration_s, moves, move_rps, bad_moves, errors, p50_us..max_us (move acks),\n"
          "events_rx, events_rx_per_s, ev_bytes_rx_per_s, ev_move, ev_enter, ev_leave,\n"
          "ev_other, login_s (start until all entered), registers_per_s, logins_per_s,\n"
          "login_p50_ms, login_p99_ms, fighters, attacks, attacks_ok, attacks_refused,\n"
          "first_refusal, attack_no_monster, dead_moves, box, client_cpu_pct}.\n"
          "RLIMIT_NOFILE is raised to the hard limit at start.\n",
          f);
}

static int parse_opts(int argc, char **argv, opts *o)
{
    *o = (opts){.host = "127.0.0.1",
                .port = 7777,
                .connections = 100,
                .closed = 1,
                .inflight = 1,
                .rate = 10,
                .duration = 10,
                .warmup = 1,
                .connect_rate = 1000};
    o->prefix = "bot";
    o->speed = 10;
    o->margin = 0.15;
    o->box[0] = 10;
    o->box[1] = 310;
    o->box[2] = 590;
    o->box[3] = 990;
    int rate_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--hello") == 0) {
            o->hello = 1;
            continue;
        } else if (strcmp(a, "--spin") == 0) {
            o->spin = 1;
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
            o->rate = atof(v), rate_set = 1;
        else if (strcmp(a, "--scenario") == 0 && (!strcmp(v, "ping") || !strcmp(v, "play")))
            o->play = strcmp(v, "play") == 0;
        else if (strcmp(a, "--prefix") == 0)
            o->prefix = v;
        else if (strcmp(a, "--fighters") == 0)
            o->fighters = atoi(v);
        else if (strcmp(a, "--speed") == 0)
            o->speed = atof(v);
        else if (strcmp(a, "--margin") == 0)
            o->margin = atof(v);
        else if (strcmp(a, "--box") == 0 &&
                 sscanf(v, "%lf,%lf,%lf,%lf", &o->box[0], &o->box[1], &o->box[2], &o->box[3]) == 4)
            ;
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
    if (o->play) {
        o->closed = 0; /* moves run on the open-loop schedule */
        if (!rate_set) o->rate = 5;
        size_t pl = strlen(o->prefix);
        char digits[16];
        int dl = snprintf(digits, sizeof digits, "%d", o->connections - 1);
        if (pl < 1 || pl + (size_t)dl > 24 ||
            strspn(o->prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                              "qrstuvwxyz0123456789_") != pl) {
            fprintf(stderr, "chaos-load: --prefix must be A-Z a-z 0-9 _ and leave names of at "
                            "most 24 characters\n");
            return -1;
        }
        if (!(o->speed > 0) || !(o->margin >= 0 && o->margin < 1) || o->box[0] < 0 ||
            o->box[1] < 0 || o->box[2] <= o->box[0] || o->box[3] <= o->box[1]) {
            fprintf(stderr, "chaos-load: bad --speed, --margin or --box\n");
            return -1;
        }
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
    cw_hist_init(&L->login_hist);
    L->interval_ns = (uint64_t)(1e9 / L->o.rate);
    if (L->interval_ns == 0) L->interval_ns = 1;
    uint32_t rs = ring_size(&L->o);
    L->conns = calloc((size_t)L->o.connections, sizeof *L->conns);
    for (int i = 0; i < L->o.connections; i++) {
        L->conns[i].fd = -1;
        L->conns[i].mask = rs - 1;
        L->conns[i].ring = calloc(rs, sizeof(slot));
        if (!L->conns[i].ring) {
            fprintf(stderr, "chaos-load: out of memory\n");
            return 1;
        }
    }
    /* plain epoll timeouts for the 10 ms housekeeping: the sends run on
     * the wheel's own timerfd (sched.c), precise to the slot */
    L->wheel_fd = -1;
    L->base = event_base_new();
    if (!L->base) {
        fprintf(stderr, "chaos-load: cannot create the event loop\n");
        return 1;
    }
    if (sched_init(L) != 0) return 1;
    L->t0 = now_ns();
    L->measure_start = L->measure_end = UINT64_MAX;
    L->ramp_ev = evtimer_new(L->base, ramp_cb, L);
    L->tick_ev = event_new(L->base, -1, EV_PERSIST, tick_cb, L);
    struct timeval tick = {0, 10000};
    event_add(L->tick_ev, &tick);
    ramp_cb(-1, 0, L);
    if (L->o.spin) /* never blocks: the loop polls until the run is over */
        while (L->phase != PH_DONE && event_base_loop(L->base, EVLOOP_NONBLOCK) >= 0)
            ;
    else
        event_base_dispatch(L->base);

    for (int i = 0; i < L->o.connections; i++)
        conn_free(&L->conns[i]);
    event_free(L->ramp_ev);
    event_free(L->tick_ev);
    sched_free(L);
    event_base_free(L->base);
    int rc = L->requests + L->bad_moves > 0 ? 0 : 1;
    free(L->conns);
    free(L);
    return rc;
}
