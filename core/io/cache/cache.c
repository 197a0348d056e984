/* cache.c — the life of the two Redis connections: connect, handshake, retry
 * with backoff, heartbeat; and the cw_cache itself.
 *
 * hiredis frees an async context itself when a connect fails or the link drops
 * (after calling our connect/disconnect callback), so conn->ac is forgotten in
 * those callbacks and never freed here. We free a context ourselves only from a
 * timer or from cw_cache_free, never from inside a hiredis callback. */
#include "core/io/cache/internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t ms_since(uint64_t t_ns)
{
    return (cw_now_ns() - t_ns) / 1000000u;
}

void cw_cache_count_error(cw_cache *c)
{
    cw_counter_add(c->m_errors, 1);
}

/* ---- connection state machine -------------------------------------------------- */

static void conn_start(cw_cache_conn *conn);

static void conn_arm_retry(cw_cache_conn *conn)
{
    int ms = conn->backoff_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(conn->retry, &tv);
    conn->backoff_ms = ms * 2 > CW_CACHE_BACKOFF_MAX_MS ? CW_CACHE_BACKOFF_MAX_MS : ms * 2;
}

/* The context is gone (or never was): go IDLE and arm the retry. */
static void conn_failed(cw_cache_conn *conn, const char *why)
{
    cw_cache *c = conn->cache;
    int was_ready = conn->state == CONN_READY;
    if (conn->reason[0]) why = conn->reason;
    conn->ac = NULL;
    conn->state = CONN_IDLE;
    conn->since_ns = cw_now_ns();
    conn->dying = 0;
    if (!conn->is_sub) {
        c->hb_outstanding = 0;
        cw_gauge_set(c->m_available, 0);
    }
    if (c->closing) return;
    cw_cache_count_error(c);
    if (was_ready) {
        cw_log(CW_LOG_WARN, "redis disconnected", CW_S("conn", conn->role),
               CW_S("host", c->url.host), CW_I("port", c->url.port), CW_S("server", c->server),
               CW_S("reason", why), CW_END);
        conn->backoff_ms = CW_CACHE_BACKOFF_MIN_MS;
    } else {
        /* One warning per outage; the retries after it go to debug. */
        conn->fail_streak++;
        cw_log(conn->fail_streak == 1 ? CW_LOG_WARN : CW_LOG_DEBUG, "redis connect failed",
               CW_S("conn", conn->role), CW_S("host", c->url.host), CW_I("port", c->url.port),
               CW_S("reason", why), CW_I("attempt", conn->fail_streak),
               CW_I("retry_ms", conn->backoff_ms), CW_END);
    }
    conn_arm_retry(conn);
}

static void conn_lost(cw_cache_conn *conn, const char *why)
{
    if (conn->ac) conn_failed(conn, why);
}

/* Frees the context from outside any hiredis callback (timer, cw_cache_free). */
static void conn_drop(cw_cache_conn *conn, const char *why)
{
    if (!conn->ac) return;
    snprintf(conn->reason, sizeof conn->reason, "%s", why);
    conn->dying = 1;
    redisAsyncFree(conn->ac); /* calls on_disconnect if the link was up … */
    conn_lost(conn, why);     /* … and if it was not, we do it here */
}

static void conn_ready(cw_cache_conn *conn)
{
    cw_cache *c = conn->cache;
    int again = conn->ever_ready;
    conn->state = CONN_READY;
    conn->since_ns = cw_now_ns();
    conn->fail_streak = 0;
    conn->ever_ready = 1;
    conn->backoff_ms = CW_CACHE_BACKOFF_MIN_MS;
    cw_log(CW_LOG_INFO, "redis connected", CW_S("conn", conn->role), CW_S("host", c->url.host),
           CW_I("port", c->url.port), CW_I("db", c->url.db), CW_S("server", c->server),
           CW_B("reconnect", again), CW_END);
    if (conn->is_sub) {
        for (cw_cache_sub *s = c->subs; s; s = s->next)
            cw_cache_send_subscribe(c, s);
        return;
    }
    cw_gauge_set(c->m_available, 1);
    if (again) cw_counter_add(c->m_reconnects, 1);
    cw_cache_on_command_ready(c);
}

/* Replies to AUTH and SELECT: an error ends the attempt (the retry follows). */
static void on_handshake(redisAsyncContext *ac, void *r, void *priv)
{
    cw_cache_conn *conn = priv;
    redisReply *reply = r;
    if (!reply || conn->ac != ac || reply->type != REDIS_REPLY_ERROR) return;
    if (!conn->handshake_failed) {
        snprintf(conn->reason, sizeof conn->reason, "handshake refused: %s", reply->str);
        conn->handshake_failed = 1;
        redisAsyncDisconnect(ac); /* clean: after the pending replies */
    }
}

/* The PING closing the handshake: its answer proves the link works. */
static void on_handshake_ping(redisAsyncContext *ac, void *r, void *priv)
{
    cw_cache_conn *conn = priv;
    redisReply *reply = r;
    on_handshake(ac, r, priv);
    if (!reply || conn->ac != ac || conn->handshake_failed || reply->type == REDIS_REPLY_ERROR)
        return;
    conn_ready(conn);
}

static int handshake_send(cw_cache_conn *conn, redisCallbackFn *fn, int argc, const char **argv)
{
    cw_counter_add(conn->cache->m_commands, 1);
    return redisAsyncCommandArgv(conn->ac, fn, conn, argc, argv, NULL) == REDIS_OK ? 0 : -1;
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    cw_cache_conn *conn = cac->data;
    if (conn->ac != cac) return;
    if (status != REDIS_OK) {
        conn_lost(conn, cac->errstr ? cac->errstr : "connect failed");
        return;
    }
    cw_cache *c = conn->cache;
    redisAsyncContext *ac = conn->ac;
    redisEnableKeepAlive(&ac->c); /* notice a silent peer within about a minute */
    int rc = 0;
    if (c->url.password) {
        const char *a3[] = {"AUTH", c->url.user, c->url.password};
        const char *a2[] = {"AUTH", c->url.password};
        rc |= c->url.user ? handshake_send(conn, on_handshake, 3, a3)
                          : handshake_send(conn, on_handshake, 2, a2);
    }
    if (!conn->is_sub && c->url.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", c->url.db);
        const char *a[] = {"SELECT", db};
        rc |= handshake_send(conn, on_handshake, 2, a);
    }
    const char *ping[] = {"PING"};
    rc |= handshake_send(conn, on_handshake_ping, 1, ping);
    if (rc != 0 && !conn->handshake_failed) {
        snprintf(conn->reason, sizeof conn->reason, "could not queue the handshake");
        conn->handshake_failed = 1;
        redisAsyncDisconnect(ac);
    }
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
    cw_cache_conn *conn = cac->data;
    if (conn->ac != cac) return;
    conn_lost(conn, status == REDIS_OK ? "closed" : (cac->errstr ? cac->errstr : "error"));
}

static void conn_start(cw_cache_conn *conn)
{
    cw_cache *c = conn->cache;
    conn->reason[0] = '\0';
    conn->handshake_failed = 0;
    conn->dying = 0;
    /* Name resolution in here is blocking (hiredis 0.14): use an IP in production. */
    redisAsyncContext *ac = redisAsyncConnect(c->url.host, c->url.port);
    if (!ac || ac->err) {
        char why[sizeof conn->reason];
        snprintf(why, sizeof why, "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        conn_failed(conn, why);
        return;
    }
    ac->data = conn;
    if (redisLibeventAttach(ac, c->base) != REDIS_OK) {
        redisAsyncFree(ac);
        conn_failed(conn, "cannot attach to the event loop");
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    conn->ac = ac;
    conn->state = CONN_CONNECTING;
    conn->since_ns = cw_now_ns();
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_cache_conn *conn = arg;
    if (!conn->ac && !conn->cache->closing) conn_start(conn);
}

/* Once a second: time out stuck connects, refresh the heartbeat, and drop a
 * command link whose heartbeat went unanswered (a hung or partitioned Redis). */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_cache *c = arg;
    cw_cache_conn *conns[2] = {&c->cmd, &c->sub};
    for (int i = 0; i < 2; i++)
        if (conns[i]->state == CONN_CONNECTING &&
            ms_since(conns[i]->since_ns) > CW_CACHE_CONNECT_TIMEOUT_MS)
            conn_drop(conns[i], "connect timed out");
    if (c->cmd.state != CONN_READY) return;
    if (c->hb_outstanding && ms_since(c->hb_sent_ns) > CW_CACHE_REPLY_TIMEOUT_MS) {
        conn_drop(&c->cmd, "no reply to heartbeat");
        conn_drop(&c->sub, "command connection stopped answering");
    } else if (!c->hb_outstanding && ms_since(c->hb_sent_ns) >= CW_CACHE_HEARTBEAT_MS) {
        cw_cache_heartbeat(c);
    }
}

/* ---- commands ------------------------------------------------------------------ */

int cw_cache_send(cw_cache_conn *conn, redisCallbackFn *fn, void *priv, int argc, const char **argv,
                  const size_t *lens)
{
    if (conn->cache->closing || conn->state != CONN_READY || conn->dying || !conn->ac)
        return CW_EUNAVAIL;
    if (redisAsyncCommandArgv(conn->ac, fn, priv, argc, argv, lens) != REDIS_OK) return CW_EUNAVAIL;
    cw_counter_add(conn->cache->m_commands, 1);
    return 0;
}

void cw_cache_on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    cw_cache *c = priv;
    redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ERROR) return;
    cw_cache_count_error(c);
    cw_log(CW_LOG_WARN, "redis command failed", CW_S("server", c->server),
           CW_S("error", reply->str), CW_END);
}

/* ---- lifecycle ----------------------------------------------------------------- */

static int valid_server_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CW_CACHE_SERVER_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == ':' || ch == '-'))
            return 0;
    }
    return 1;
}

static void conn_init(cw_cache *c, cw_cache_conn *conn, const char *role, int is_sub)
{
    conn->cache = c;
    conn->role = role;
    conn->is_sub = is_sub;
    conn->backoff_ms = CW_CACHE_BACKOFF_MIN_MS;
    conn->retry = evtimer_new(c->base, on_retry, conn);
}

cw_cache *cw_cache_new(struct event_base *base, const char *url, const char *server_name,
                       cw_metrics *m, cw_error *err)
{
    if (!base) {
        cw_error_set(err, CW_EINVAL, "cache: no event base");
        return NULL;
    }
    if (!valid_server_name(server_name)) {
        cw_error_set(err, CW_EINVAL, "cache: server name must be 1..%d of [A-Za-z0-9_.:-]",
                     CW_CACHE_SERVER_MAX);
        return NULL;
    }
    cw_cache *c = calloc(1, sizeof *c);
    if (!c) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        return NULL;
    }
    if (cw_cache_url_parse(url, &c->url, err) != 0) {
        free(c);
        return NULL;
    }
    c->base = base;
    snprintf(c->server, sizeof c->server, "%s", server_name);
    snprintf(c->server_set_key, sizeof c->server_set_key, "%s%s", CW_KEY_PRESENCE_SERVER,
             server_name);
    snprintf(c->alive_key, sizeof c->alive_key, "%s%s", CW_KEY_PRESENCE_ALIVE, server_name);
    snprintf(c->account_set_key, sizeof c->account_set_key, "%s%s", CW_KEY_ACCOUNT_SERVER,
             server_name);
    if (m) { /* without a registry the handles stay NULL: updates are no-ops */
        c->m_available = cw_metrics_gauge(m, "chaos_redis_available",
                                          "1 when the Redis command connection is up", NULL, NULL);
        c->m_reconnects = cw_metrics_counter(m, "chaos_redis_reconnects_total",
                                             "Redis command connection re-established", NULL, NULL);
        c->m_errors = cw_metrics_counter(
            m, "chaos_redis_errors_total",
            "Redis connect failures, lost connections and error replies", NULL, NULL);
        c->m_commands =
            cw_metrics_counter(m, "chaos_redis_commands_total", "Redis commands sent", NULL, NULL);
    }
    cw_gauge_set(c->m_available, 0);

    conn_init(c, &c->cmd, "command", 0);
    conn_init(c, &c->sub, "subscriber", 1);
    c->tick = event_new(base, -1, EV_PERSIST, on_tick, c);
    if (!c->cmd.retry || !c->sub.retry || !c->tick) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        cw_cache_free(c);
        return NULL;
    }
    struct timeval second = {1, 0};
    event_add(c->tick, &second);
    conn_start(&c->cmd);
    conn_start(&c->sub);
    return c;
}

void cw_cache_free(cw_cache *c)
{
    if (!c) return;
    c->closing = 1;
    /* Pending lookups are answered (CW_EUNAVAIL) from inside these two calls. */
    conn_drop(&c->cmd, "closing");
    conn_drop(&c->sub, "closing");
    if (c->tick) event_free(c->tick);
    if (c->cmd.retry) event_free(c->cmd.retry);
    if (c->sub.retry) event_free(c->sub.retry);
    cw_gauge_set(c->m_available, 0);
    for (cw_cache_sub *s = c->subs, *next; s; s = next) {
        next = s->next;
        free(s->channel);
        free(s);
    }
    cw_cache_url_clear(&c->url);
    free(c);
}

int cw_cache_available(const cw_cache *c)
{
    return c && !c->closing && c->cmd.state == CONN_READY && !c->cmd.dying;
}

void cw_cache_set_rebuild(cw_cache *c, cw_cache_rebuild_fn fn, void *ud)
{
    if (!c) return;
    c->rebuild = fn;
    c->rebuild_ud = ud;
}
