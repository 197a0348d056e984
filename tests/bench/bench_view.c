/* bench_view.c — the move path at the play field's density (issue 15):
 * 10,000 players in one 3,000 x 3,000 zone (view 50, about 9 players in
 * view each), every step ~1.7 units in a random direction. One op is one
 * validated cw_world_move: move check, grid, view refresh, and the events
 * queued in the outbox as the server queues them (enter/leave encoded once
 * per subject, moves as "subject moved"); every 2,500 moves the tick's
 * cw_outbox_flush runs (5 moves/s per player at 20 Hz). There are no
 * sockets: the flush finds no connection and empties the queues, so the
 * wire encoding of moves and the socket writes are not measured.
 *
 *   bench_view [moves] [conns]   (moves: default 200000, 0: setup only)
 *
 * With conns > 0 the first conns players have a real connection (a cw_net
 * on loopback, clients in this process that never read; the output cap and
 * the outbox backlog are raised so that nothing is held back or dropped):
 * the flush then encodes every batch into the connections' output buffers
 * as the server does, and each move is followed by the mover's own flush
 * (cw_outbox_flush_one, as the router does after the move's reply). The
 * loop never runs during the moves, so no socket write is measured.
 *
 * Prints ns per move. For instructions per move (stable on a noisy host),
 * count the instructions of two runs with different move counts (e.g.
 * valgrind --tool=cachegrind --cache-sim=no, or perf stat -e instructions:u
 * where the CPU exposes it) and divide the difference by the difference of
 * the move counts: the setup cancels out. */
#include "tests/bench/bench_world.h"
#include "core/app/outbox.h"
#include "core/base/clock.h"
#include "core/game/world.h"
#include "core/io/net/net.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 10000
#define FIELD 3000.0
#define VIEW 50.0
#define STEP 1.7
#define MOVES_PER_TICK 2500

static cw_outbox *outbox;
static uint64_t n_enter, n_leave, n_move;

static void on_enter(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_enter += (uint64_t)n;
    cw_outbox_enter(outbox, s, to, n);
}

static void on_leave(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_leave += (uint64_t)n;
    cw_outbox_leave(outbox, s, to, n);
}

static void on_move(void *ud, const cw_entity *s, cw_entity *const *to, int n)
{
    (void)ud;
    n_move += (uint64_t)n;
    cw_outbox_move(outbox, s, to, n);
}

static void on_release(void *ud, cw_entity *e)
{
    (void)ud;
    cw_outbox_release(e);
}

static uint64_t *conn_ids;
static int nconn;

static void on_open(void *ud, cw_conn *c)
{
    (void)ud;
    conn_ids[nconn++] = cw_conn_id(c);
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    (void)ud;
    (void)c;
    (void)req;
}

static void on_close(void *ud, cw_conn *c, const char *reason)
{
    (void)ud;
    (void)c;
    (void)reason;
}

/* A cw_net on loopback with conns clients connected (their descriptors in
 * *fds). NULL on failure. */
static cw_net *open_conns(struct event_base *base, int conns, int *fds)
{
    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.rate = 0;
    cfg.idle_timeout_ms = 0;
    cfg.max_connections = conns + 16;
    cfg.fd_reserve = 0;
    cfg.max_output = (size_t)1 << 40; /* nothing is written: it all stays queued */
    cw_net_handler h = {NULL, on_open, on_request, on_close};
    cw_error err = {0};
    cw_net *net = cw_net_new(base, &cfg, &h, NULL, &err);
    if (!net) {
        fprintf(stderr, "cw_net_new: %s\n", err.msg);
        return NULL;
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_net_port(net));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < conns; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0) {
            fprintf(stderr, "cannot connect client %d\n", i);
            return NULL;
        }
        if (i % 64 == 63) event_base_loop(base, EVLOOP_NONBLOCK); /* accept as we go */
    }
    for (int spins = 0; nconn < conns && spins < 100000; spins++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    if (nconn < conns) {
        fprintf(stderr, "only %d of %d connections accepted\n", nconn, conns);
        return NULL;
    }
    return net;
}

static double clampd(double v, double hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

int main(int argc, char **argv)
{
    long moves = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    int conns = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;
    if (moves < 0 || conns < 0 || conns > N) {
        fprintf(stderr, "usage: bench_view [moves] [conns <= %d]\n", N);
        return 2;
    }
    static cw_net *net = NULL;
    struct event_base *base = NULL;
    static int fds[N];
    if (conns > 0) {
        conn_ids = calloc((size_t)conns, sizeof *conn_ids);
        base = event_base_new();
        if (!conn_ids || !base || !(net = open_conns(base, conns, fds))) return 1;
    }
    cw_world_hooks h = {NULL, on_enter, on_leave, on_move, NULL, on_release, NULL};
    cw_world *w = cw_world_new(&h);
    cw_outbox_config ocfg = {(size_t)1 << 40, 0, 0, 0, 0, 0}; /* never backlogged */
    outbox = w ? cw_outbox_new(&net, w, NULL, &ocfg) : NULL;
    if (!outbox) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (bench_one_zone(w, "field", FIELD, VIEW)) return 1;
    static cw_entity *es[N];
    for (int i = 0; i < N; i++) {
        uint64_t owner = i < conns ? conn_ids[i] : (uint64_t)(i + 1) << 32; /* no such conn */
        cw_entity_init in = {CW_ENT_PLAYER, i + 1,      owner,      "walker",
                             "field",       rnd(FIELD), rnd(FIELD), 10.0};
        if (cw_world_add(w, &in, 0, &es[i]) != 0) {
            fprintf(stderr, "cannot add player %d\n", i + 1);
            return 1;
        }
    }
    for (int i = 0; i < N; i++)
        cw_world_show(w, es[i]);
    cw_outbox_flush(outbox);
    n_enter = n_leave = n_move = 0;
    uint64_t now = 1000000000ull, t0 = cw_now_ns();
    long refused = 0;
    for (long r = 0; r < moves; r++) {
        cw_entity *e = es[(int)rnd(N)];
        double a = rnd(2 * M_PI);
        double x = clampd(e->x + STEP * cos(a), FIELD), y = clampd(e->y + STEP * sin(a), FIELD);
        now += 20000000; /* 20 ms: the credit never runs out at 10 units/s */
        if (cw_world_move(w, e, x, y, now, NULL) != 0) refused++;
        if (conns > 0) cw_outbox_flush_one(outbox, e); /* the mover's own, after its reply */
        if ((r + 1) % MOVES_PER_TICK == 0) cw_outbox_flush(outbox);
    }
    double ns = moves ? (double)(cw_now_ns() - t0) / (double)moves : 0;
    double per = moves ? (double)moves : 1;
    printf("view: %d players (%d connected), %.0fx%.0f, view %.0f: %.1f ns/move; per move: "
           "%.2f move, %.3f enter, %.3f leave recipients; %ld refused; %.0f bytes queued\n",
           N, conns, FIELD, FIELD, VIEW, ns, (double)n_move / per, (double)n_enter / per,
           (double)n_leave / per, refused, net ? (double)cw_net_pending_output(net) : 0.0);
    cw_outbox_free(outbox);
    cw_world_free(w);
    if (net) {
        cw_net_free(net);
        for (int i = 0; i < conns; i++)
            close(fds[i]);
        event_base_free(base);
        free(conn_ids);
    }
    return 0;
}
