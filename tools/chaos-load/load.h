/* load.h — chaos-load's shared state: options, connections, the run, and
 * the functions main.c (ping, phases), conn.c (sockets), sched.c (the
 * timing wheel's timer) and play.c (the play scenario) share.
 * Single-threaded; everything belongs to the one event loop. A connection
 * owns its socket, its two events and its input/output buffers; conn_lost
 * releases them (the lconn itself lives until the end of the run). */
#ifndef CW_TOOLS_LOAD_H
#define CW_TOOLS_LOAD_H

#include "core/base/rng.h"
#include "tools/chaos-load/hist.h"
#include "tools/chaos-load/wheel.h"

#include <event2/event.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define MAX_FRAME (1u << 20)
#define RAMP_SETTLE_NS (10ull * 1000000000ull)
#define DRAIN_NS (2ull * 1000000000ull)
#define PLAY_STALL_NS (30ull * 1000000000ull)
#define PLAY_PASSWORD "chaos-load-bench"
#define WHEEL_SLOT_NS 100000ull /* 100 us: the schedule's granularity */
#define WHEEL_SLOTS (1u << 14)  /* one revolution: 1.6 s */
#define IN_START 4096u          /* initial input buffer; grows up to 4 + MAX_FRAME */

enum { WN_SEND, WN_ATTACK }; /* cw_wnode.kind */

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
    int fd;            /* -1 when closed */
    struct event *rev; /* EV_READ|EV_PERSIST, added once connected */
    struct event *wev; /* EV_WRITE: the connect, then only while output is pending */
    int up;            /* 1 connected, -1 failed or dropped */
    uint8_t *in;       /* input: unparsed bytes at the front */
    uint32_t in_len, in_cap;
    uint8_t *out; /* output the socket refused, sent first */
    uint32_t out_len, out_cap;
    cw_wnode tick; /* open loop: the next send (kind WN_SEND) */
    cw_wnode atk;  /* fighters: the next attack (kind WN_ATTACK) */
    uint64_t next_seq;
    uint32_t outstanding;
    uint32_t mask; /* ring size - 1 */
    slot *ring;
    uint64_t next_ns; /* open loop: next send, unrounded (its slot boundary is the schedule) */
    /* play scenario */
    int index;
    int ps;              /* PS_* */
    uint64_t op_ns;      /* when the current login-phase request was sent */
    long long character; /* character id */
    double x, y;         /* position as the server last accepted it (or we sent); 1/100 grid */
    double tx, ty;       /* walk target, on the 1/100 grid */
    uint64_t last_move_ns;
    /* fighters: the monsters in view (from enter/move/leave events) */
    int fighter, stage, nmon;
    struct {
        long long e;
        double x, y;
    } mon[16];
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
    int spin; /* --spin: poll without ever sleeping in epoll_wait */
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
    cw_wheel wheel; /* open-loop sends and attacks */
    int wheel_fd;   /* timerfd, armed for the wheel's next slot */
    struct event *wheel_ev;
    uint64_t wheel_armed; /* the time wheel_fd is armed for; UINT64_MAX none */
    int wheel_running;    /* inside cw_wheel_run: arm once at its end */
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
int in_window(const load *L, uint64_t t);
int sending(const load *L, uint64_t now);
void start_sending(lconn *c);                                      /* once connected */
void on_response(lconn *c, const char *p, size_t n, uint64_t now); /* one frame */
void open_tick(lconn *c, uint64_t now);                            /* the wheel reached c->tick */

/* conn.c */
void connect_one(load *L);
/* Sends json as one frame (any length up to MAX_FRAME). */
void send_json(lconn *c, const char *json, size_t n);
/* Sends a whole frame (length header included): straight to the socket,
 * what it refuses is kept and flushed when writable. */
void send_frame(lconn *c, const uint8_t *f, size_t n);
void conn_lost(lconn *c); /* counts, prints nothing, closes */
void conn_free(lconn *c); /* end of run */

/* sched.c: the timing wheel behind one timerfd */
int sched_init(load *L); /* 0, or -1 with a message */
void sched_free(load *L);
/* Queues n at `due` (a slot boundary: cw_wheel_round). */
void sched_add(load *L, cw_wnode *n, uint64_t due);

/* play.c */
void send_move(lconn *c, uint64_t t, uint64_t now);
void attack_tick(lconn *c, uint64_t now); /* the wheel reached c->atk */
void play_register(lconn *c);
void play_step(lconn *c, const char *p, size_t n, uint64_t now);
void track_event(lconn *c, const char *p, size_t n, uint64_t now);
void count_event(load *L, const char *p, size_t n, uint64_t now);
double num_after(const char *p, size_t n, const char *from, const char *key);
void print_play(load *L);
double cpu_seconds(void); /* user + system CPU seconds of this process */

#endif
