/* load.h — chaos-load's shared state: options, connections, the run, and
 * the functions main.c (ping, phases) and play.c (the play scenario) share.
 * Single-threaded; everything belongs to the one event loop. */
#ifndef CW_TOOLS_LOAD_H
#define CW_TOOLS_LOAD_H

#include "core/base/rng.h"
#include "tools/chaos-load/hist.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define MAX_FRAME (1u << 20)
#define RAMP_SETTLE_NS (10ull * 1000000000ull)
#define DRAIN_NS (2ull * 1000000000ull)
#define PLAY_STALL_NS (30ull * 1000000000ull)
#define PLAY_PASSWORD "chaos-load-bench"

/* play scenario: the state of one connection */
enum { PS_CONNECT, PS_REG, PS_LOGIN, PS_CREATE, PS_CHARS, PS_ENTER, PS_PLAY, PS_FAILED };

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
    /* play scenario */
    int index;
    int ps;              /* PS_* */
    uint64_t op_ns;      /* when the current login-phase request was sent */
    long long character; /* character id */
    double x, y;         /* position as the server last accepted it (or we sent) */
    double tx, ty;       /* walk target */
    uint64_t last_move_ns;
    /* fighters: the monsters in view (from enter/move/leave events) */
    int fighter, stage, nmon;
    struct {
        long long e;
        double x, y;
    } mon[16];
    struct event *atk_timer;
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
    int play; /* --scenario play */
    int fighters;
    const char *prefix;
    double speed, margin;
    double box[4]; /* x0, y0, x1, y1 */
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
    int hello_warned, rate_warned;
    struct event *ramp_ev, *tick_ev;
    cw_rng rng;
    cw_hist hist;
    /* play scenario */
    int entered, login_failed, lost_playing, errors_shown;
    uint64_t last_progress_ns, entered_all_ns;
    uint64_t n_reg, n_login, n_create, n_enter;
    uint64_t t_first_reg, t_last_reg, t_first_login, t_last_login;
    uint64_t bad_moves, moves_sent;
    uint64_t ev_total, ev_bytes, ev_enter, ev_leave, ev_move, ev_other;
    uint64_t attacks, attacks_ok, attacks_refused, no_monster, dead_moves;
    char refused_code[32];
    cw_hist login_hist;        /* login request -> ok */
    double cpu_start, cpu_end; /* this process's CPU seconds at the window's edges */
};

/* main.c */
uint64_t now_ns(void);
struct timeval tv_ns(uint64_t ns);
int in_window(const load *L, uint64_t t);
void send_json(lconn *c, const char *json, size_t n);
int sending(const load *L, uint64_t now);

/* play.c */
void send_move(lconn *c, uint64_t t);
void play_register(lconn *c);
void play_step(lconn *c, const char *p, size_t n, uint64_t now);
void track_event(lconn *c, const char *p, size_t n);
void count_event(load *L, const char *p, size_t n);
double num_after(const char *p, size_t n, const char *from, const char *key);
void print_play(load *L);
double cpu_seconds(void); /* user + system CPU seconds of this process */

#endif
