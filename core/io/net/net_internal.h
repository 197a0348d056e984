/* net_internal.h — private structures shared by server.c and conn.c. Not part
 * of the API: nothing outside core/io/net includes this. */
#ifndef CW_IO_NET_INTERNAL_H
#define CW_IO_NET_INTERNAL_H

#include "core/base/metrics.h"
#include "core/base/strbuf.h"
#include "core/base/tokenbucket.h"
#include "core/io/net/net.h"

#include <stdint.h>

struct bufferevent;
struct event;
struct evconnlistener;

/* Connection ids are (accept sequence << CW_NET_SLOT_BITS) | slot: strictly
 * increasing, never reused, and the low bits index the slot table. */
#define CW_NET_SLOT_BITS 24
#define CW_NET_SLOT_MASK ((1u << CW_NET_SLOT_BITS) - 1)
#define CW_NET_ABUSE_WINDOW_NS (10ull * 1000000000ull)
/* After a graceful close has flushed: how long to wait for the peer's FIN. */
#define CW_NET_LINGER_MS 2000

typedef struct cw_linger cw_linger;

/* Connections written per flusher run from the bulk queue (event batches);
 * the rest waits for the next loop iteration, so reading and answering
 * requests goes on between chunks (about 3 ms of writes each). */
#define CW_NET_FLUSH_CHUNK 256
/* Answers are written after at most this many reads, not only once the
 * whole batch the poll returned was read: after a stall the poll returns
 * thousands of readable sockets, and the first request read would otherwise
 * wait for every other one to be read and handled before its answer leaves. */
#define CW_NET_READS_PER_FLUSH 32
enum { FLUSH_URGENT = 1, FLUSH_BULK = 2 };

typedef struct cw_idq {
    uint64_t *v;
    size_t head, n, cap; /* the queued ids are v[head, n) */
} cw_idq;

enum { CONN_OPEN, CONN_CLOSING, CONN_DEAD };

/* Metric label sets (index = enum order). */
enum {
    PERR_BAD_JSON,
    PERR_NOT_OBJECT,
    PERR_MISSING_OP,
    PERR_BAD_FIELD,
    PERR_FRAME_TOO_LARGE,
    PERR_RATE_LIMITED,
    PERR_SERVER_BUSY,
    PERR_INTERNAL,
    PERR_ANSWER_TOO_LARGE,
    PERR_COUNT
};
enum {
    DISC_CLIENT_CLOSED,
    DISC_IDLE_TIMEOUT,
    DISC_FRAME_TOO_LARGE,
    DISC_OUTPUT_OVERFLOW,
    DISC_RATE_ABUSE,
    DISC_SHUTDOWN,
    DISC_SERVER_CLOSED,
    DISC_IO_ERROR,
    DISC_SERVER_BUSY,
    DISC_COUNT
};

struct cw_conn {
    cw_net *net;
    struct bufferevent *bev;
    uint64_t id;
    uint32_t slot;
    uint8_t state;
    uint8_t graceful;       /* DEAD after a completed flush: linger instead of a hard close */
    char reason[32];        /* why it is closing / was dropped */
    uint64_t last_frame_ns; /* accept time until the first frame */
    uint64_t deadline_ns;   /* CLOSING: give up flushing at this time */
    struct event *rev;      /* our read event on the socket (conn.c: reading) */
    struct event *wev;      /* our write event: added only while the socket refuses output */
    int fd;                 /* the socket (owned by bev) */
    uint8_t in_kept;        /* bev's input buffer holds bytes (a partial frame, or frames held) */
    cw_strbuf out;          /* unsent output is out.data[out_off, out.len); freed when empty */
    size_t out_off;
    size_t out_reserved; /* bytes handed out by cw_conn_out_reserve, not yet committed */
    uint8_t wblocked;    /* wev is added: the socket was full (or a close is draining) */
    cw_tokenbucket tb;
    uint64_t *strikes; /* ring of rate_limited times, allocated on first strike */
    int nstrikes, strike_pos;
    uint8_t in_flushq; /* FLUSH_URGENT | FLUSH_BULK: listed in those flush queues */
    /* answer order (cw_conn_hold) */
    int holds;          /* requests answered later, still unanswered */
    uint8_t paused;     /* held with a full input buffer: rev removed, the kernel keeps the rest */
    uint8_t eof;        /* the peer half-closed while held: acted on after the waiting frames */
    uint8_t resume_due; /* released, waiting frames not handled yet (the sweep's fallback) */
    uint64_t held_ns;   /* when the first hold began */
    double credit;      /* rate-limit tokens for the time held (spent before the bucket) */
    void *ud;
    cw_conn *next_dead; /* reap list */
    char peer[56];
};

struct cw_net {
    struct event_base *base;
    cw_net_config cfg;
    char *host; /* cfg.host points here */
    cw_net_handler h;
    struct evconnlistener *listener;
    struct event *sweep;           /* idle / linger sweep */
    struct event *reaper;          /* runs on_close + frees dead connections */
    struct cw_listen_guard *guard; /* pauses accepting after EMFILE (core/io/listen) */
    struct event *flusher;         /* writes queued output once per loop iteration */
    struct event *flush_more;      /* zero timer: the rest of the bulk queue, next iteration */
    cw_idq urgent, bulk;           /* ids of connections with output to write (see conn.c) */
    unsigned reads_unflushed;      /* reads since the answers were last written */
    struct event *resumer;         /* handles the frames that waited behind a hold */
    cw_idq resume;                 /* ids of connections whose last hold was released */
    int port;
    long fd_ceiling;       /* an accepted descriptor >= this is refused (LONG_MAX: none) */
    uint64_t busy_refused; /* refusals in the current busy episode (0 = none) */

    cw_conn **slots;      /* slot table; NULL = free */
    uint32_t nslots;      /* allocated */
    uint32_t top;         /* slots [0, top) have been used */
    uint32_t *free_slots; /* stack of free slot indices below top */
    uint32_t nfree;
    size_t count;       /* connections in the table (any state) */
    uint64_t seq;       /* accept sequence */
    cw_conn *dead;      /* reap list */
    cw_linger *lingers; /* closed connections waiting for the peer's FIN (linger.c) */

    cw_strbuf scratch; /* reply building */

    cw_metrics *metrics;
    cw_metric *m_conns, *m_accepted, *m_frames_in, *m_frames_out, *m_bytes_in, *m_bytes_out;
    cw_metric *m_writes;
    cw_metric *m_perr[PERR_COUNT];
    cw_metric *m_disc[DISC_COUNT];
};

/* conn.c */
cw_conn *cw_conn_new_(cw_net *n, int fd, const char *peer, uint64_t now_ns);
void cw_conn_free_(cw_conn *c);
void cw_conn_kill_(cw_conn *c, const char *reason); /* drop now, no flush; reaped later */
void cw_conn_want_write_(
    cw_conn *c); /* write from the write event (socket full, or no flush queue room) */
int cw_conn_queue_(cw_conn *c, const void *frame, size_t len); /* header included; urgent */
void cw_conn_sweep_(cw_conn *c, uint64_t now_ns);
void cw_conn_flush_(cw_conn *c);  /* the flusher's write of c's output */
void cw_conn_resume_(cw_conn *c); /* the resumer: frames that waited behind a hold */

/* linger.c */
void cw_net_linger_(cw_net *n, struct bufferevent *bev); /* takes ownership */
void cw_net_linger_free_all_(cw_net *n);

/* server.c */
void cw_net_count_perr_(cw_net *n, const char *code);
void cw_net_schedule_reap_(cw_net *n, cw_conn *c);
/* which: FLUSH_URGENT (replies, direct sends) or FLUSH_BULK (event batches) */
void cw_net_schedule_flush_(cw_net *n, cw_conn *c, int which);
/* After each read: every CW_NET_READS_PER_FLUSH reads, writes the answers
 * queued so far (the flusher writes the rest at the end of the iteration). */
void cw_net_read_done_(cw_net *n);
void cw_net_schedule_resume_(cw_net *n, cw_conn *c);

#endif
