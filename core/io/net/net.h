/* net.h — the game's TCP front door: listener, connections, framing, limits.
 *
 * Wire format (docs/protocol.md): each frame is a 4-byte big-endian payload
 * length followed by that many bytes of UTF-8 JSON. Requests are objects with
 * a string "op" and an optional scalar "id"; responses echo the id.
 *
 * Ownership: cw_net owns every cw_conn. A cw_conn pointer is valid until its
 * on_close callback returns; keep the 64-bit id (cw_conn_id) to refer to a
 * connection later and look it up with cw_net_find. Everything runs on the
 * loop thread that owns the event_base; no function here is thread-safe.
 *
 * Errors on a connection never affect another: a malformed frame gets an
 * error frame and the connection stays open; an oversize length gets one
 * error frame and the connection is closed after it is flushed; a client
 * over its unsent-output cap is dropped.
 *
 * Callback rules: on_close is never called from inside a cw_net/cw_conn call
 * the handler makes (a close or a drop only marks the connection; the loop
 * reports it on its next iteration), so a handler may close or send from
 * anywhere without re-entrancy. on_request is not called for frames that
 * arrive after cw_conn_close. Writes to a peer that has gone away must not
 * kill the process: cw_net_new sets SIGPIPE to SIG_IGN if it is still SIG_DFL.
 *
 * Idle detection is a coarse periodic sweep (one timer per cw_net, period
 * idle_timeout/4 clamped to 25 ms..1 s), not a timer per connection: a sweep
 * over 10,000 connections costs tens of microseconds and frames cost no timer
 * updates. "Idle" means no complete frame received.
 *
 * Descriptors: a game connection is refused with `server_busy` (one error
 * frame, then closed) when max_connections are open, and also when accepting
 * it used up the descriptor reserve: when the accepted socket's descriptor
 * number is >= RLIMIT_NOFILE (soft, read at cw_net_new) - fd_reserve. The
 * kernel always hands out the lowest free descriptor, so an accepted
 * descriptor numbered d means descriptors 0..d-1 are all open: the check is
 * O(1), needs no counting, and game connections never hold a descriptor at
 * or above the ceiling — at least fd_reserve descriptors are always left for
 * the database, Redis, the admin console, HTTP and content files. (Without
 * a limit, RLIM_INFINITY, there is no ceiling.) Refusals come in episodes:
 * the first refusal after an accepted connection logs one warning
 * ("conn_refused", with the reason "max_connections" or "fd_reserve"); the
 * next accepted connection ends the episode with one info line
 * ("conn_refused_end", with how many were refused). Every refusal is counted
 * in chaos_protocol_errors_total{code="server_busy"}.
 *
 * When accept itself fails (EMFILE, ENFILE, ...), the listener pauses and
 * retries (core/io/listen: one warning per episode, counted in
 * chaos_accept_paused_total{listener="game"}).
 *
 * Request order: a connection's answers leave in the order of its requests.
 * A handler that answers later calls cw_conn_hold before returning and
 * cw_conn_release once the answer is queued; meanwhile no further frame of
 * that connection is handled (see cw_conn_hold).
 *
 * Frame limit in both directions: no frame the server sends is larger than
 * max_frame (what `hello` advertises). A reply that would be is replaced by an
 * `answer_too_large` error (logged); any other oversized send is dropped. */
#ifndef CW_IO_NET_H
#define CW_IO_NET_H

#include "core/base/err.h"
#include "core/base/metrics.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
typedef struct cw_net cw_net;
typedef struct cw_conn cw_conn;

typedef struct cw_net_config {
    const char *host;    /* listen address, e.g. "127.0.0.1" */
    int port;            /* 0 picks a free port (see cw_net_port) */
    size_t max_frame;    /* max payload bytes (default 65536) */
    int max_connections; /* further accepts get one `server_busy` error frame and are closed */
    double rate;         /* requests per second per connection (token bucket refill); <=0 = off */
    double burst;        /* bucket capacity */
    int abuse_strikes;   /* this many `rate_limited` answers within 10 s → disconnect */
    int idle_timeout_ms; /* no frame received for this long → closed (0 = never) */
    size_t max_output;   /* unsent bytes allowed per connection before it is dropped
                          * (raised to max_frame + 4 if lower: one answer always fits) */
    int close_linger_ms; /* cw_conn_close waits this long for the flush (default 5000) */
    int fd_reserve;      /* descriptors kept free for everything else (default 64; 0 = none) */
} cw_net_config;

/* A decoded request. Everything is borrowed for the duration of the callback. */
typedef struct cw_request {
    const char *op;      /* the "op" string */
    const char *id_json; /* the "id" value re-encoded as JSON text ("null" when absent) */
    void *json;          /* the parsed payload (jansson json_t *, an object); NULL for a
                            `move` read by the fast path (has_xy set, see request.h) */
    const char *payload; /* raw payload bytes (not NUL-terminated) */
    size_t len;
    int has_xy;  /* 1: json is NULL and x, y hold the request's "x" and "y" numbers */
    double x, y; /* as json_number_value would give them */
} cw_request;

typedef struct cw_net_handler {
    void *ud;
    /* A connection was accepted (after the max_connections check). */
    void (*on_open)(void *ud, cw_conn *c);
    /* A well-formed, rate-allowed request arrived. The handler answers with
     * cw_conn_reply_* now or later (look the conn up by id if later). */
    void (*on_request)(void *ud, cw_conn *c, const cw_request *req);
    /* The connection is going away; reason is a short stable word
     * ("client_closed", "idle_timeout", "frame_too_large", "output_overflow",
     * "rate_abuse", "shutdown", "server_closed", "io_error"). */
    void (*on_close)(void *ud, cw_conn *c, const char *reason);
} cw_net_handler;

/* Fills cfg with the documented defaults (host 127.0.0.1, port 7777, 64 KiB
 * frames, 20000 connections, 50 req/s burst 100, 20 strikes, 300 s idle,
 * 1 MiB output, a reserve of 64 descriptors). */
void cw_net_config_defaults(cw_net_config *cfg);

/* The process should also raise RLIMIT_NOFILE before accepting thousands of
 * connections, and fit max_connections to it (chaosd's job, see
 * core/base/fdlimit.h, not the library's). */

/* Creates the listener bound to cfg->host:cfg->port. metrics may be NULL.
 * Returns NULL and fills err on failure (address in use, …). */
cw_net *cw_net_new(struct event_base *base, const cw_net_config *cfg, const cw_net_handler *h,
                   cw_metrics *metrics, cw_error *err);
/* Closes every connection (reason "shutdown", without flushing) and frees. */
void cw_net_free(cw_net *n);

int cw_net_port(const cw_net *n);      /* the bound port */
size_t cw_net_count(const cw_net *n);  /* open connections */
void cw_net_stop_accepting(cw_net *n); /* closes the listening socket */
/* The connection with that id, or NULL once it has been dropped (a closing
 * connection that is still flushing is returned; sends to it give CW_ESTATE).
 * Ids are never reused: they increase with every accept. O(1). */
cw_conn *cw_net_find(cw_net *n, uint64_t id);
/* Sends one already-encoded JSON payload (framed here) to every connection. */
void cw_net_broadcast(cw_net *n, const char *json, size_t len);
/* Total unsent bytes across all connections (for graceful-shutdown flushing). */
size_t cw_net_pending_output(const cw_net *n);

uint64_t cw_conn_id(const cw_conn *c);
const char *cw_conn_peer(const cw_conn *c); /* "ip:port" */
/* Opaque per-connection slot for the layer above (session). */
void cw_conn_set_ud(cw_conn *c, void *ud);
void *cw_conn_ud(const cw_conn *c);

/* Frames and queues a JSON payload. Returns 0, or CW_ELIMIT if this pushed
 * the connection over max_output (it is then closed with "output_overflow"),
 * or CW_ESTATE if it is already closing, or CW_EINVAL (nothing sent, logged
 * as "conn_send_too_large") if len exceeds max_frame. */
int cw_conn_send(cw_conn *c, const char *json, size_t len);
/* Queues bytes that already are whole frames (header + payload each, nframes
 * of them: counted in the frame metrics) in one append. Same returns as
 * cw_conn_send; the caller guarantees the framing. */
int cw_conn_send_frames(cw_conn *c, const void *frames, size_t len, size_t nframes);
/* Writing frames straight into c's output buffer (no intermediate copy):
 * cw_conn_out_reserve returns room for len bytes at the end of c's unsent
 * output (valid until the next call on c or on its cw_net), or NULL when c is
 * not open (closing or dropped) or the memory could not be had (c is then
 * dropped with "io_error", as a send would). The caller writes whole frames
 * (header + payload each) there and calls cw_conn_out_commit with the bytes
 * written (len <= the reserved length; 0: nothing queued) and how many frames
 * they are. The commit counts them (frames and bytes out), queues c for
 * writing (bulk: with the event batches, as cw_conn_send_frames; else with the
 * replies, as cw_conn_send) and applies the max_output rule: returns 0,
 * CW_ELIMIT (over max_output: c is closed with "output_overflow"), CW_EINVAL
 * (len over the reservation: nothing queued) or CW_ESTATE (c is no longer
 * open). One reservation at a time; no other send to c in between. */
char *cw_conn_out_reserve(cw_conn *c, size_t len);
int cw_conn_out_commit(cw_conn *c, size_t len, size_t nframes, int bulk);
/* Bytes queued for c and not yet written to its socket. */
size_t cw_conn_pending(const cw_conn *c);
/* {"id":<id_json>,"ok":true} merged with body, body being a JSON object's text
 * ("{...}") or NULL. The body's members are spliced after "ok":true as they
 * are (not re-validated; they must not repeat "id"/"ok"). id_json NULL = null.
 * CW_EINVAL if body does not look like an object (nothing sent).
 * A reply whose payload would exceed max_frame is not sent: the client gets
 * {"id":<id_json>,"error":{"code":"answer_too_large",…}} instead (id null if
 * even that would not fit), it is logged ("conn_answer_too_large") and
 * counted, and the call returns CW_EINVAL. */
int cw_conn_reply_ok(cw_conn *c, const char *id_json, const char *body, size_t body_len);
/* {"id":<id_json>,"error":{"code":code,"message":message}}; code and message
 * are JSON-escaped here (they must be UTF-8). Same size guard as above. */
int cw_conn_reply_error(cw_conn *c, const char *id_json, const char *code, const char *message);
/* Answer order. cw_conn_hold: the request being handled will be answered
 * later; from now on no further frame of c is handled (on_request is not
 * called) until every hold is released (holds nest: a counter). Its bytes
 * wait: read into c's input buffer up to one maximum frame (max_frame + 4),
 * then left in the kernel (TCP pushes back on the client). cw_conn_release:
 * call once the held answer is queued; when the last hold goes, the waiting
 * frames are handled, in order, from a later loop iteration (never from
 * inside cw_conn_release). While held:
 *   - the connection is not idle (the idle clock restarts at the release);
 *   - the rate limit charges the waiting frames when they are handled, but
 *     the time held is credited (rate x seconds held, spent before the
 *     bucket), so a client that kept to the rate is not refused for frames
 *     that waited;
 *   - a peer that half-closes still gets the answers to what it sent: the
 *     EOF is acted on once the waiting frames are handled.
 * Release on a closing connection is harmless; on a dropped one, do not call
 * (look it up with cw_net_find). */
void cw_conn_hold(cw_conn *c);
void cw_conn_release(cw_conn *c);
/* Holds in force on c (0 = taking frames). */
int cw_conn_holds(const cw_conn *c);
/* Stops reading, flushes queued output, then closes (on_close gets reason,
 * copied, at most 31 bytes). Gives up after close_linger_ms. Idempotent. */
void cw_conn_close(cw_conn *c, const char *reason);

#endif
