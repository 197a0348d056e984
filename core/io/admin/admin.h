/* admin.h — the operator console: a line protocol on a loopback TCP port.
 *
 * Every session must first send `auth <token>`; anything else first gets
 * {"ok":false,"error":{"code":"unauthorized",...}} and the connection is
 * closed. After auth, each line is `<command> [args…]` (split on spaces) and
 * gets exactly one line back: a JSON object with "ok": true plus fields, or
 * "ok": false with an "error" object. `help` is built in.
 *
 * Protocol details (docs/operations.md):
 *  - Lines end in LF or CRLF and hold at most CW_ADMIN_MAX_LINE bytes; a
 *    longer line gets a `line_too_long` error and the session is closed.
 *    Blank lines are ignored. A line with a NUL byte is a `bad_request`.
 *  - Tokens are compared in constant time. Every failed auth is counted and
 *    logged at warn with the peer address. After CW_ADMIN_AUTH_FAILS failed
 *    auths (from any peer) within CW_ADMIN_AUTH_WINDOW_S seconds the console
 *    locks for CW_ADMIN_AUTH_WINDOW_S seconds: each new connection gets the
 *    `unauthorized` error and is closed at once, whatever token it would
 *    send. The lock is global on purpose: it is simple, and on a loopback
 *    port every peer is the same host anyway.
 *  - At most CW_ADMIN_MAX_SESSIONS sessions are open at once; a further
 *    connection gets a `busy` error and is closed.
 *  - Built-ins: `help` (lists commands), `quit` (closes). The names `help`,
 *    `quit` and `auth` cannot be registered.
 *  - A failed accept (EMFILE: out of descriptors, …) pauses the listener
 *    and retries 100 ms later, logging once per episode (core/io/listen).
 *  - A session with no input for the idle timeout (10 minutes by default) gets
 *    an `idle_timeout` error and is closed.
 *  - Closing is flush-then-close: the last answer is written before the
 *    socket is closed. Answers are also written eagerly, so a handler that
 *    stops the loop (e.g. `shutdown`) still gets its answer out, and
 *    cw_admin_free flushes whatever is left (bounded, best effort) before it
 *    closes the open sessions.
 *  - Audit: every command that reaches a handler is logged once, when its
 *    outcome is known (a deferred one when it is answered, even if its
 *    session is gone): "msg":"admin command" with "peer", "session" (the
 *    session's number, from 1, also in "admin session authenticated"),
 *    "command", "args" (the words after the command, joined by spaces) and
 *    "ok"; a failure adds "error" (the code) and "message", at warn. Bytes
 *    that are not UTF-8 appear as the text \xNN and bidi controls or line
 *    separators as \uXXXX, in the log and in error messages alike.
 *    Unknown commands, `help`, `quit` and auth lines are not audited (failed
 *    auths have their own warn line; the token is never logged).
 *  - The console binds only to loopback: host must be an IPv4 literal in
 *    127.0.0.0/8, "::1" (or "[::1]"), or "localhost" (taken as 127.0.0.1).
 *    Anything else is refused with CW_EINVAL.
 *
 * Writes use the socket directly: the process must ignore SIGPIPE (the app
 * does, for every socket module).
 *
 * Ownership: cw_admin owns its listener and sessions; command handlers are
 * registered by the app and borrowed. Loop thread only. A handler must not
 * call cw_admin_free (stop the loop instead, then free). */
#ifndef CW_IO_ADMIN_H
#define CW_IO_ADMIN_H

#include "core/base/err.h"
#include "core/base/metrics.h"
#include "core/base/strbuf.h"

#include <stdint.h>

#define CW_ADMIN_MAX_LINE 4096
#define CW_ADMIN_MAX_ARGS 64
#define CW_ADMIN_AUTH_FAILS 5
#define CW_ADMIN_AUTH_WINDOW_S 60
#define CW_ADMIN_IDLE_MS (10 * 60 * 1000)
#define CW_ADMIN_MAX_SESSIONS 32

struct event_base;
typedef struct cw_admin cw_admin;

/* A handler appends the fields of its answer as JSON object members (no
 * braces, e.g. `"uptime_s":12,"connections":3`, possibly empty) to out and
 * returns 0; or returns a negative CW_E* code with err set, which the console
 * turns into {"ok":false,"error":{"code":…,"message":err->msg}} where code is
 * cw_err_name(rc) ("einval", "escript", …). On failure, members the handler
 * appended to out are kept after "error" — e.g. a failed reload answers
 * {"ok":false,"error":{…},"errors":["content/x.lua:3: …",…]}.
 * argv[0] is the command name; argv is borrowed for the call only. */
typedef int (*cw_admin_fn)(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err);

/* Deferred answers: a handler that can only answer later (a reload built on
 * a worker thread) calls cw_admin_defer during its call and returns
 * CW_ADMIN_DEFERRED; the session reads no further line until the answer is
 * given with cw_admin_answer(p, rc, fields, errmsg) — the same shape as a
 * handler's (rc 0 or a negative CW_E* code, fields as JSON members, errmsg
 * for a failure). The answer may also come while the handler still runs (a
 * callback that fired at once): it is then written when the handler
 * returns CW_ADMIN_DEFERRED, as an ordinary answer. Every deferral must be
 * answered exactly once (that frees
 * it), on the loop thread, even after the session or the console is gone:
 * the answer then goes nowhere. A peer that closes its side while waiting
 * still gets the answer before the session closes. A handler that deferred
 * and then fails before returning may return its error instead: the
 * deferral is then dropped (and p must not be used). */
#define CW_ADMIN_DEFERRED 1
typedef struct cw_admin_pending cw_admin_pending;
/* NULL outside a command handler, when the session already waits, or out of
 * memory: the handler should then answer at once. */
cw_admin_pending *cw_admin_defer(cw_admin *a);
void cw_admin_answer(cw_admin_pending *p, int rc, const char *fields, const char *errmsg);

/* Binds host:port (port 0 picks a free one). token must be non-empty; it is
 * copied. Returns NULL and fills err on failure. */
cw_admin *cw_admin_new(struct event_base *base, const char *host, int port, const char *token,
                       cw_error *err);
/* Safe with sessions open: flushes their pending answers, closes them. */
void cw_admin_free(cw_admin *a);
int cw_admin_port(const cw_admin *a);
/* name and help are copied. Registering a name twice replaces the handler.
 * name must be non-empty, without spaces, and not a built-in (CW_EINVAL). */
int cw_admin_register(cw_admin *a, const char *name, const char *help, cw_admin_fn fn, void *ud);

/* Overrides the idle timeout (ms > 0) for open and future sessions. */
void cw_admin_set_idle_timeout(cw_admin *a, int ms);
/* Failed auths since start (for status and metrics). */
uint64_t cw_admin_failed_auths(const cw_admin *a);
/* Open sessions (authenticated or not). */
int cw_admin_sessions(const cw_admin *a);
/* Counts the listener's accept pauses in m (borrowed; it must outlive a) as
 * chaos_accept_paused_total{listener="admin"}. */
void cw_admin_set_metrics(cw_admin *a, cw_metrics *m);
/* Failed accepts (each paused the listener) since start. */
uint64_t cw_admin_accept_pauses(const cw_admin *a);

#endif
