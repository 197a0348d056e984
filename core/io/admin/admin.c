/* admin.c — the operator console (admin.h): listener, sessions, the line
 * protocol, auth with a global back-off, and the command table.
 *
 * A session moves OPEN → CLOSING → LINGER → freed. CLOSING means "the last
 * answer is queued": input is discarded and the session waits for the output
 * to drain. LINGER means the output is flushed and our side is shut down for
 * writing; the session waits (briefly) for the peer's EOF before closing, so
 * that unread input never turns our FIN into an RST that would destroy the
 * error line the peer has not read yet. */
#include "core/io/admin/admin.h"
#include "core/io/admin/internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/listen/listen.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
/* A closing session whose peer neither reads nor closes is dropped after this. */
#define CLOSE_TIMEOUT_S 5
/* Output a peer does not read while the session is open (a full socket buffer
 * and then some) times the session out. */
#define WRITE_TIMEOUT_S 30
/* cw_admin_free spends at most this long flushing every session's answers. */
#define FREE_FLUSH_MS 500
/* Enough for one full line plus a partial one; reading pauses above it. */
#define READ_HIGH_WM (2 * CW_ADMIN_MAX_LINE)
/* Locked-out or busy connections still get a lingering close, up to this many
 * sessions in total; past it they get a plain send-and-close. */
#define HARD_MAX_SESSIONS (2 * CW_ADMIN_MAX_SESSIONS)

static const char *const builtin_names[] = {"help", "quit", "auth"};

/* ---------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void wipe_free(char *p, size_t n)
{
    if (!p) return;
    volatile char *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
    free(p);
}

/* Constant time in the length of the expected token: no early exit on the
 * first differing byte, and the length check is folded into the result. */
static int token_eq(const char *want, size_t wlen, const char *got, size_t glen)
{
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < wlen; i++) {
        unsigned char g = i < glen ? (unsigned char)got[i] : 0;
        diff |= (unsigned char)want[i] ^ g;
    }
    return (wlen == glen) & (diff == 0);
}

static void format_peer(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, cap, "unknown");
    }
}

/* The security rule: the console listens on loopback only. We accept literal
 * loopback addresses (and "localhost" as 127.0.0.1) and never resolve names,
 * so a misconfigured host can not silently expose the console. */
static int loopback_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
                         cw_error *err)
{
    if (port < 0 || port > 65535)
        return cw_error_set(err, CW_EINVAL, "admin console: bad port %d", port);
    if (!host || !*host) return cw_error_set(err, CW_EINVAL, "admin console: empty host");
    memset(ss, 0, sizeof *ss);
    const char *h = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    char buf[INET6_ADDRSTRLEN + 2];
    size_t hl = strlen(h);
    if (h[0] == '[' && hl >= 2 && hl < sizeof buf && h[hl - 1] == ']') {
        memcpy(buf, h + 1, hl - 2);
        buf[hl - 2] = '\0';
        h = buf;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &in->sin_addr) == 1) {
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) {
            in->sin_family = AF_INET;
            in->sin_port = htons((uint16_t)port);
            *len = sizeof *in;
            return 0;
        }
    } else if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            *len = sizeof *in6;
            return 0;
        }
    }
    return cw_error_set(err, CW_EINVAL,
                        "refusing to bind the admin console to \"%s\": it must listen on a "
                        "loopback address (127.0.0.0/8 or ::1) only",
                        host);
}

/* ---------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------- */

static void session_free(admin_session *s)
{
    cw_admin *a = s->admin;
    if (s->prev)
        s->prev->next = s->next;
    else
        a->sessions = s->next;
    if (s->next) s->next->prev = s->prev;
    a->nsessions--;
    if (s->pending) s->pending->s = NULL; /* its answer, when it comes, goes nowhere */
    /* We close the socket ourselves: bufferevent_free only schedules the
     * bufferevent's finalizer, which would close it on a later loop pass —
     * never, when the loop has already stopped. The events are removed at
     * once, so closing here is safe. */
    evutil_socket_t fd = bufferevent_getfd(s->bev);
    bufferevent_free(s->bev);
    evutil_closesocket(fd);
    free(s);
}

/* Writes straight to the socket when nothing is queued (so an answer is out
 * before the loop can be stopped), and queues whatever did not fit. */
void admin_session_send(admin_session *s, const char *p, size_t n)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    if (evbuffer_get_length(out) == 0) {
        ssize_t w = send(bufferevent_getfd(s->bev), p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
        /* On an error the rest is queued and the bufferevent reports it. */
    }
    if (n) bufferevent_write(s->bev, p, n);
}

static void session_start_close(admin_session *s)
{
    if (s->state != S_OPEN) return;
    s->state = S_CLOSING;
    struct timeval tv = {CLOSE_TIMEOUT_S, 0};
    bufferevent_set_timeouts(s->bev, &tv, &tv);
    /* Keep reading (and discarding) so the peer's EOF is seen. */
    bufferevent_enable(s->bev, EV_READ);
}

/* Moves a closing session on once its output is flushed. Returns 1 when the
 * session was freed. */
static int session_progress(admin_session *s)
{
    if (s->state != S_CLOSING || evbuffer_get_length(bufferevent_get_output(s->bev)) > 0) return 0;
    if (s->peer_eof) {
        session_free(s);
        return 1;
    }
    shutdown(bufferevent_getfd(s->bev), SHUT_WR);
    s->state = S_LINGER;
    return 0;
}

static void record_auth_failure(admin_session *s, const char *why)
{
    cw_admin *a = s->admin;
    uint64_t now = cw_now_ns();
    a->failed_total++;
    a->fail_ns[a->fail_head] = now;
    a->fail_head = (a->fail_head + 1) % CW_ADMIN_AUTH_FAILS;
    if (a->nfail < CW_ADMIN_AUTH_FAILS) a->nfail++;
    cw_log(CW_LOG_WARN, "admin auth failed", CW_S("peer", s->peer), CW_S("reason", why),
           CW_I("failed_total", a->failed_total), CW_END);
    /* Full ring: its oldest entry is the one the head points at. */
    if (a->nfail == CW_ADMIN_AUTH_FAILS &&
        now - a->fail_ns[a->fail_head] <= (uint64_t)CW_ADMIN_AUTH_WINDOW_S * NS_PER_S) {
        a->locked_until_ns = now + (uint64_t)CW_ADMIN_AUTH_WINDOW_S * NS_PER_S;
        a->nfail = a->fail_head = 0;
        cw_log(CW_LOG_WARN, "admin console locked after repeated auth failures",
               CW_I("failures", CW_ADMIN_AUTH_FAILS), CW_I("window_s", CW_ADMIN_AUTH_WINDOW_S),
               CW_I("locked_s", CW_ADMIN_AUTH_WINDOW_S), CW_END);
    }
}

static int console_locked(cw_admin *a)
{
    if (!a->locked_until_ns) return 0;
    if (cw_now_ns() < a->locked_until_ns) return 1;
    a->locked_until_ns = 0;
    return 0;
}

static void do_auth(admin_session *s, const char *p, cw_strbuf *reply)
{
    cw_admin *a = s->admin;
    if (strncmp(p, "auth", 4) == 0 && (p[4] == ' ' || p[4] == '\t')) {
        const char *tok = p + 5;
        while (*tok == ' ' || *tok == '\t')
            tok++;
        if (token_eq(a->token, a->token_len, tok, strlen(tok))) {
            s->authed = 1;
            cw_log(CW_LOG_INFO, "admin session authenticated", CW_S("peer", s->peer),
                   CW_I("session", (int64_t)s->id), CW_END);
            admin_reply_ok(reply);
            return;
        }
        record_auth_failure(s, "bad_token");
        admin_reply_error(reply, "unauthorized", "invalid token");
    } else {
        record_auth_failure(s, "no_auth");
        admin_reply_error(reply, "unauthorized",
                          "authentication required: send `auth <token>` first");
    }
    session_start_close(s);
}

static void do_help(cw_admin *a, cw_strbuf *reply)
{
    static const char *const builtin_help[] = {"list the commands", "close this session"};
    cw_strbuf line = CW_STRBUF_INIT;
    int rc = cw_strbuf_puts(&line, "{\"ok\":true,\"commands\":[");
    for (int i = 0; i < a->ncmds + 2 && rc == 0; i++) {
        const char *name = i < a->ncmds ? a->cmds[i].name : builtin_names[i - a->ncmds];
        const char *help = i < a->ncmds ? a->cmds[i].help : builtin_help[i - a->ncmds];
        rc = cw_strbuf_puts(&line, i ? ",{\"name\":" : "{\"name\":");
        rc = rc ? rc : cw_strbuf_json_str(&line, name);
        rc = rc ? rc : cw_strbuf_puts(&line, ",\"help\":");
        rc = rc ? rc : cw_strbuf_json_str(&line, help);
        rc = rc ? rc : cw_strbuf_puts(&line, "}");
    }
    rc = rc ? rc : cw_strbuf_puts(&line, "]}");
    admin_reply_commit(reply, &line, rc);
}

static admin_cmd *find_cmd(cw_admin *a, const char *name)
{
    for (int i = 0; i < a->ncmds; i++)
        if (strcmp(a->cmds[i].name, name) == 0) return &a->cmds[i];
    return NULL;
}

/* The words after the command, joined by single spaces (the audit's "args"). */
static char *join_args(int argc, char **argv)
{
    cw_strbuf b = CW_STRBUF_INIT;
    for (int i = 1; i < argc; i++)
        if ((i > 1 && cw_strbuf_puts(&b, " ")) || cw_strbuf_puts(&b, argv[i])) {
            cw_strbuf_free(&b);
            return NULL;
        }
    return b.data; /* NULL when there are no arguments */
}

static void do_command(admin_session *s, int argc, char **argv, cw_strbuf *reply)
{
    cw_admin *a = s->admin;
    admin_cmd *c = find_cmd(a, argv[0]);
    if (!c) {
        cw_strbuf msg = CW_STRBUF_INIT;
        int rc = cw_strbuf_printf(&msg, "unknown command \"%s\" (try `help`)", argv[0]);
        admin_reply_error(reply, "unknown_command", rc ? "unknown command" : msg.data);
        cw_strbuf_free(&msg);
        return;
    }
    cw_admin_fn fn = c->fn; /* the handler may register commands (realloc) */
    void *ud = c->ud;
    /* Joined before the call: a handler may change its argv in place. */
    char *args = join_args(argc, argv);
    cw_strbuf fields = CW_STRBUF_INIT;
    cw_error e = {0, ""};
    a->current = s;
    int hrc = fn(ud, argc, argv, &fields, &e);
    a->current = NULL;
    if (hrc == CW_ADMIN_DEFERRED && s->pending && s->pending->answered) {
        /* Answered before the handler returned: an ordinary answer. */
        cw_admin_pending *p = s->pending;
        s->pending = NULL;
        admin_audit(s->peer, s->id, argv[0], args, p->rc, p->errmsg);
        admin_answer_line(reply, p->rc, p->errmsg, p->fields, p->fields ? strlen(p->fields) : 0);
        admin_pending_free(p);
        free(args);
        cw_strbuf_free(&fields);
        return;
    }
    if (hrc == CW_ADMIN_DEFERRED && s->pending) {
        cw_admin_pending *p = s->pending;
        snprintf(p->command, sizeof p->command, "%s", argv[0]);
        p->args = args; /* audited with the answer */
        cw_log(CW_LOG_DEBUG, "admin command deferred", CW_S("peer", s->peer),
               CW_I("session", (int64_t)s->id), CW_S("command", argv[0]), CW_END);
        cw_strbuf_free(&fields);
        return;
    }
    if (s->pending) { /* deferred, then failed at once: the deferral is dropped */
        admin_pending_free(s->pending);
        s->pending = NULL;
    }
    if (hrc == CW_ADMIN_DEFERRED) hrc = cw_error_set(&e, CW_ESTATE, "the command gave no answer");
    admin_audit(s->peer, s->id, argv[0], args, hrc, e.msg);
    free(args);
    admin_answer_line(reply, hrc, e.msg, fields.data, fields.len);
    cw_strbuf_free(&fields);
}

/* One complete line (without its terminator). */
static void handle_line(admin_session *s, char *line, size_t n, cw_strbuf *reply)
{
    if (memchr(line, '\0', n)) {
        if (!s->authed) {
            record_auth_failure(s, "bad_line");
            admin_reply_error(reply, "unauthorized", "authentication required");
            session_start_close(s);
        } else {
            admin_reply_error(reply, "bad_request", "line contains a NUL byte");
        }
        return;
    }
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) return; /* blank lines are ignored */
    if (!s->authed) {
        do_auth(s, p, reply);
        return;
    }
    char *argv[CW_ADMIN_MAX_ARGS + 1];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(p, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (argc == CW_ADMIN_MAX_ARGS) {
            admin_reply_error(reply, "bad_request", "too many arguments");
            return;
        }
        argv[argc++] = t;
    }
    argv[argc] = NULL;
    if (strcmp(argv[0], "help") == 0) {
        do_help(s->admin, reply);
    } else if (strcmp(argv[0], "quit") == 0) {
        admin_reply_ok(reply);
        session_start_close(s);
    } else {
        do_command(s, argc, argv, reply);
    }
}

static void read_cb(struct bufferevent *bev, void *ud)
{
    admin_session *s = ud;
    struct evbuffer *in = bufferevent_get_input(bev);
    cw_strbuf reply = CW_STRBUF_INIT;
    while (s->state == S_OPEN && !s->pending) {
        size_t n;
        char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
        if (!line) {
            /* A partial line may still end in the '\r' of its CRLF. */
            if (evbuffer_get_length(in) > CW_ADMIN_MAX_LINE + 1) {
                admin_reply_error(&reply, "line_too_long", "line longer than 4096 bytes");
                session_start_close(s);
            }
            break;
        }
        if (n > CW_ADMIN_MAX_LINE) {
            admin_reply_error(&reply, "line_too_long", "line longer than 4096 bytes");
            session_start_close(s);
        } else {
            handle_line(s, line, n, &reply);
        }
        free(line);
    }
    if (reply.len) admin_session_send(s, reply.data, reply.len);
    cw_strbuf_free(&reply);
    if (s->state != S_OPEN) {
        evbuffer_drain(in, evbuffer_get_length(in));
        session_progress(s);
    }
}

void admin_session_resume(admin_session *s)
{
    if (s->peer_eof) {
        session_start_close(s);
        session_progress(s);
        return;
    }
    read_cb(s->bev, s);
}

static void write_cb(struct bufferevent *bev, void *ud)
{
    (void)bev;
    session_progress(ud);
}

static void event_cb(struct bufferevent *bev, short what, void *ud)
{
    admin_session *s = ud;
    if (what & BEV_EVENT_ERROR) {
        session_free(s);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        if (s->state == S_LINGER) {
            session_free(s);
            return;
        }
        s->peer_eof = 1;
        if (s->pending) { /* the answer still goes out (admin_session_resume) */
            bufferevent_disable(bev, EV_READ);
            return;
        }
        session_start_close(s);
        bufferevent_disable(bev, EV_READ);
        session_progress(s);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        if (s->state == S_OPEN && (what & BEV_EVENT_READING)) {
            static const char idle[] = "{\"ok\":false,\"error\":{\"code\":\"idle_timeout\","
                                       "\"message\":\"session idle for too long\"}}\n";
            cw_log(CW_LOG_INFO, "admin session idle, closing", CW_S("peer", s->peer), CW_END);
            admin_session_send(s, idle, sizeof idle - 1);
            session_start_close(s);
            session_progress(s);
            return;
        }
        session_free(s);
    }
}

/* A refusal for a connection we will not serve (lock-out, too many). */
static void refuse(cw_admin *a, evutil_socket_t fd, const char *peer, const char *code,
                   const char *msg)
{
    cw_strbuf line = CW_STRBUF_INIT;
    admin_reply_error(&line, code, msg);
    cw_log(CW_LOG_WARN, "admin connection refused", CW_S("peer", peer), CW_S("reason", code),
           CW_END);
    if (a->nsessions < HARD_MAX_SESSIONS) {
        struct bufferevent *bev = bufferevent_socket_new(a->base, fd, 0);
        admin_session *s = bev ? calloc(1, sizeof *s) : NULL;
        if (s) {
            s->admin = a;
            s->bev = bev;
            snprintf(s->peer, sizeof s->peer, "%s", peer);
            s->next = a->sessions;
            if (a->sessions) a->sessions->prev = s;
            a->sessions = s;
            a->nsessions++;
            bufferevent_setcb(bev, read_cb, write_cb, event_cb, s);
            session_start_close(s);
            if (line.len) admin_session_send(s, line.data, line.len);
            session_progress(s);
            cw_strbuf_free(&line);
            return;
        }
        if (bev) bufferevent_free(bev);
        evutil_closesocket(fd);
        cw_strbuf_free(&line);
        return;
    }
    if (line.data) (void)!send(fd, line.data, line.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    evutil_closesocket(fd);
    cw_strbuf_free(&line);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *ud)
{
    (void)lis;
    (void)socklen;
    cw_admin *a = ud;
    char peer[INET6_ADDRSTRLEN + 16];
    format_peer(sa, peer, sizeof peer);
    if (console_locked(a)) {
        refuse(a, fd, peer, "unauthorized",
               "too many failed auth attempts: the console is locked, try again later");
        return;
    }
    if (a->nsessions >= CW_ADMIN_MAX_SESSIONS) {
        refuse(a, fd, peer, "busy", "too many admin sessions");
        return;
    }
    struct bufferevent *bev = bufferevent_socket_new(a->base, fd, 0);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    admin_session *s = calloc(1, sizeof *s);
    if (!s) {
        bufferevent_free(bev);
        evutil_closesocket(fd);
        return;
    }
    s->admin = a;
    s->bev = bev;
    s->id = ++a->sessions_opened;
    memcpy(s->peer, peer, sizeof s->peer);
    s->next = a->sessions;
    if (a->sessions) a->sessions->prev = s;
    a->sessions = s;
    a->nsessions++;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, s);
    bufferevent_setwatermark(bev, EV_READ, 0, READ_HIGH_WM);
    struct timeval rtv = {a->idle_ms / 1000, (a->idle_ms % 1000) * 1000};
    struct timeval wtv = {WRITE_TIMEOUT_S, 0};
    bufferevent_set_timeouts(bev, &rtv, &wtv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    cw_log(CW_LOG_DEBUG, "admin connection", CW_S("peer", peer), CW_I("session", (int64_t)s->id),
           CW_END);
}

/* ---------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------- */

cw_admin *cw_admin_new(struct event_base *base, const char *host, int port, const char *token,
                       cw_error *err)
{
    if (!base || !token || !*token) {
        cw_error_set(err, CW_EINVAL, "admin console: %s", base ? "empty token" : "no event base");
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t slen = 0;
    if (loopback_addr(host, port, &ss, &slen, err)) return NULL;
    cw_admin *a = calloc(1, sizeof *a);
    if (!a || !(a->token = dup_str(token))) {
        free(a);
        cw_error_set(err, CW_ENOMEM, "admin console: out of memory");
        return NULL;
    }
    a->token_len = strlen(token);
    a->base = base;
    a->idle_ms = CW_ADMIN_IDLE_MS;
    a->lis = evconnlistener_new_bind(
        base, accept_cb, a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16,
        (struct sockaddr *)&ss, (int)slen);
    if (!a->lis) {
        int e = errno;
        cw_error_set(err, CW_EIO, "admin console: cannot listen on %s:%d: %s", host, port,
                     strerror(e));
        cw_admin_free(a);
        return NULL;
    }
    /* A failed accept (EMFILE, …) pauses the listener instead of spinning. */
    a->guard = cw_listen_guard_new(a->lis, "admin", NULL, err);
    if (!a->guard) {
        cw_admin_free(a);
        return NULL;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(evconnlistener_get_fd(a->lis), (struct sockaddr *)&bound, &blen) != 0) {
        cw_error_set(err, CW_EIO, "admin console: getsockname: %s", strerror(errno));
        cw_admin_free(a);
        return NULL;
    }
    a->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    cw_log(CW_LOG_INFO, "admin console listening", CW_S("host", host), CW_I("port", a->port),
           CW_END);
    return a;
}

/* Best effort, bounded by deadline: sends what the session still has queued. */
static void flush_now(admin_session *s, uint64_t deadline_ns)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    size_t len = evbuffer_get_length(out);
    if (!len || s->state == S_LINGER) return;
    char *buf = malloc(len);
    if (!buf) return;
    evbuffer_copyout(out, buf, len);
    evutil_socket_t fd = bufferevent_getfd(s->bev);
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        uint64_t now = cw_now_ns();
        if ((w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || now >= deadline_ns) break;
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, (int)((deadline_ns - now) / NS_PER_MS) + 1);
    }
    free(buf);
}

void cw_admin_free(cw_admin *a)
{
    if (!a) return;
    cw_listen_guard_free(a->guard);
    if (a->lis) evconnlistener_free(a->lis);
    uint64_t deadline = cw_now_ns() + FREE_FLUSH_MS * NS_PER_MS;
    while (a->sessions) {
        flush_now(a->sessions, deadline);
        session_free(a->sessions);
    }
    for (int i = 0; i < a->ncmds; i++) {
        free(a->cmds[i].name);
        free(a->cmds[i].help);
    }
    free(a->cmds);
    wipe_free(a->token, a->token_len);
    free(a);
}

int cw_admin_port(const cw_admin *a)
{
    return a ? a->port : 0;
}

int cw_admin_register(cw_admin *a, const char *name, const char *help, cw_admin_fn fn, void *ud)
{
    if (!a || !name || !*name || !fn || strpbrk(name, " \t\r\n")) return CW_EINVAL;
    for (size_t i = 0; i < sizeof builtin_names / sizeof builtin_names[0]; i++)
        if (strcmp(name, builtin_names[i]) == 0) return CW_EINVAL;
    char *h = dup_str(help ? help : "");
    if (!h) return CW_ENOMEM;
    admin_cmd *c = find_cmd(a, name);
    if (c) {
        free(c->help);
    } else {
        if (a->ncmds == a->capcmds) {
            int cap = a->capcmds ? a->capcmds * 2 : 8;
            admin_cmd *v = realloc(a->cmds, (size_t)cap * sizeof *v);
            if (!v) {
                free(h);
                return CW_ENOMEM;
            }
            a->cmds = v;
            a->capcmds = cap;
        }
        char *n = dup_str(name);
        if (!n) {
            free(h);
            return CW_ENOMEM;
        }
        c = &a->cmds[a->ncmds++];
        c->name = n;
    }
    c->help = h;
    c->fn = fn;
    c->ud = ud;
    return 0;
}

void cw_admin_set_idle_timeout(cw_admin *a, int ms)
{
    if (!a || ms <= 0) return;
    a->idle_ms = ms;
    struct timeval rtv = {ms / 1000, (ms % 1000) * 1000};
    struct timeval wtv = {WRITE_TIMEOUT_S, 0};
    for (admin_session *s = a->sessions; s; s = s->next)
        if (s->state == S_OPEN) bufferevent_set_timeouts(s->bev, &rtv, &wtv);
}

uint64_t cw_admin_failed_auths(const cw_admin *a)
{
    return a ? a->failed_total : 0;
}

int cw_admin_sessions(const cw_admin *a)
{
    return a ? a->nsessions : 0;
}

void cw_admin_set_metrics(cw_admin *a, cw_metrics *m)
{
    if (a) cw_listen_guard_set_metrics(a->guard, m);
}

uint64_t cw_admin_accept_pauses(const cw_admin *a)
{
    return a ? cw_listen_guard_pauses(a->guard) : 0;
}
