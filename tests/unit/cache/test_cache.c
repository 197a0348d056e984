/* test_cache.c — cw_cache against a real redis-server.
 *
 * Shared tests use $CHAOS_TEST_REDIS (started by tools/test.sh) or, when unset, a
 * private redis-server; every name, channel and token carries the pid, and the
 * database is derived from it, so parallel runs do not meet. The outage tests
 * always run their own redis-server on a free port so they can kill and restart
 * it. Without redis-server and without $CHAOS_TEST_REDIS only the argument tests
 * run, and a SKIP line says so. The loop is pumped without blocking, with
 * generous deadlines; nothing asserts on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/cache/cache.h"
#include "tests/unit/cache/pump.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000
#define RECONNECT_WAIT_MS 30000

/* ---- a private redis-server -------------------------------------------------- */

typedef struct redis_proc {
    pid_t pid;
    int port;
    char dir[64];
    const char *requirepass; /* NULL: none */
} redis_proc;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static int have_redis_server(void)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char *copy = strdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char full[4096];
        snprintf(full, sizeof full, "%s/redis-server", d);
        found = access(full, X_OK) == 0;
    }
    free(copy);
    return found;
}

static int ping(const char *host, int port)
{
    struct timeval tv = {1, 0};
    redisContext *rc = redisConnectWithTimeout(host, port, tv);
    int ok = 0;
    if (rc && !rc->err) {
        redisReply *r = redisCommand(rc, "PING");
        ok = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR); /* NOAUTH */
        if (r) freeReplyObject(r);
    }
    if (rc) redisFree(rc);
    return ok;
}

static int redis_prepare(redis_proc *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/cw-cache-test.XXXXXX");
    if (!mkdtemp(r->dir)) return -1;
    r->port = free_port();
    return r->port > 0 ? 0 : -1;
}

static int redis_start(redis_proc *r)
{
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", r->dir, "--daemonize", "no",
               r->requirepass ? "--requirepass" : (char *)NULL, r->requirepass, (char *)NULL);
        _exit(127);
    }
    r->pid = pid;
    uint64_t deadline = cw_now_ns() + (uint64_t)WAIT_MS * 1000000u;
    while (cw_now_ns() < deadline) {
        if (ping("127.0.0.1", r->port)) return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
        usleep(20000);
    }
    r->pid = 0;
    return -1;
}

static void redis_stop(redis_proc *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

static void redis_cleanup(redis_proc *r)
{
    redis_stop(r);
    if (r->dir[0]) {
        char f[128];
        snprintf(f, sizeof f, "%s/dump.rdb", r->dir);
        unlink(f);
        rmdir(r->dir);
        r->dir[0] = '\0';
    }
}

/* ---- environment shared by the tests -------------------------------------------- */

typedef struct env {
    int have_server;   /* redis-server is installed */
    int have_shared;   /* a shared Redis is reachable */
    redis_proc shared; /* ours, when $CHAOS_TEST_REDIS is unset */
    char url[256];     /* shared Redis, with our database */
    char host[128];
    int port, db;
    char tag[32];    /* unique per run */
    redis_proc priv; /* a test's own server, stopped by test_teardown even on failure */
} env;

static int group_setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    *state = e;
    e->have_server = have_redis_server();
    e->db = 1 + (int)(getpid() % 15);
    snprintf(e->tag, sizeof e->tag, "t%d", (int)getpid());
    const char *shared = getenv("CHAOS_TEST_REDIS");
    if (shared && *shared) {
        if (sscanf(shared, "redis://%127[^:/]:%d", e->host, &e->port) != 2) {
            fprintf(stderr, "CHAOS_TEST_REDIS must be redis://host:port, got %s\n", shared);
            return -1;
        }
    } else if (e->have_server) {
        if (redis_prepare(&e->shared) != 0 || redis_start(&e->shared) != 0) {
            fprintf(stderr, "could not start a private redis-server\n");
            return -1;
        }
        snprintf(e->host, sizeof e->host, "127.0.0.1");
        e->port = e->shared.port;
    } else {
        printf("SKIP: redis-server is not installed and CHAOS_TEST_REDIS is unset: "
               "only the argument tests run\n");
        return 0;
    }
    e->have_shared = 1;
    snprintf(e->url, sizeof e->url, "redis://%s:%d/%d", e->host, e->port, e->db);
    return 0;
}

static int group_teardown(void **state)
{
    env *e = *state;
    redis_cleanup(&e->shared);
    free(e);
    return 0;
}

static int test_teardown(void **state)
{
    env *e = *state;
    redis_cleanup(&e->priv);
    return 0;
}

/* A blocking client on the shared database, to look behind the module's back. */
static redisContext *sync_client(const env *e)
{
    struct timeval tv = {5, 0};
    redisContext *rc = redisConnectWithTimeout(e->host, e->port, tv);
    assert_non_null(rc);
    assert_int_equal(rc->err, 0);
    redisReply *r = redisCommand(rc, "SELECT %d", e->db);
    assert_non_null(r);
    freeReplyObject(r);
    return rc;
}

static long long sync_int(redisContext *rc, const char *fmt, const char *a, const char *b)
{
    redisReply *r = b ? redisCommand(rc, fmt, a, b) : redisCommand(rc, fmt, a);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* ---- pumping the loop ------------------------------------------------------------ */

static int never(void *ud)
{
    (void)ud;
    return 0;
}

static void pump_for(struct event_base *base, int ms)
{
    pump_until(base, never, NULL, ms);
}

static int is_available(void *ud)
{
    return cw_cache_available(ud);
}

static int is_unavailable(void *ud)
{
    return !cw_cache_available(ud);
}

static void wait_available(struct event_base *base, cw_cache *c)
{
    assert_true(pump_until(base, is_available, c, WAIT_MS));
}

/* Waits until `want` clients subscribe to channel (the subscription is live). */
static void wait_numsub(struct event_base *base, const env *e, const char *channel, int want)
{
    redisContext *rc = sync_client(e);
    uint64_t deadline = cw_now_ns() + (uint64_t)RECONNECT_WAIT_MS * 1000000u;
    long long n = -1;
    for (;;) {
        redisReply *r = redisCommand(rc, "PUBSUB NUMSUB %s", channel);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        n = r->element[1]->integer;
        freeReplyObject(r);
        if (n == want || cw_now_ns() > deadline) break;
        pump_for(base, 20);
    }
    redisFree(rc);
    assert_int_equal(n, want);
}

/* ---- async results ------------------------------------------------------------- */

typedef struct presence_res {
    int calls, rc;
    char server[80];
    int64_t account;
} presence_res;

static void on_presence(void *ud, int rc, const char *server, int64_t account)
{
    presence_res *r = ud;
    r->calls++;
    r->rc = rc;
    snprintf(r->server, sizeof r->server, "%s", server ? server : "");
    r->account = account;
}

static int presence_done(void *ud)
{
    return ((presence_res *)ud)->calls > 0;
}

/* Looks name up through c; returns the callback's rc (the call must succeed). */
static int lookup(struct event_base *base, cw_cache *c, const char *name, presence_res *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cw_cache_presence_get(c, name, on_presence, r), 0);
    assert_true(pump_until(base, presence_done, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
    return r->rc;
}

typedef struct session_res {
    int calls, rc;
    int64_t account;
} session_res;

static void on_session(void *ud, int rc, int64_t account)
{
    session_res *r = ud;
    r->calls++;
    r->rc = rc;
    r->account = account;
}

static int session_done(void *ud)
{
    return ((session_res *)ud)->calls > 0;
}

static int session_lookup(struct event_base *base, cw_cache *c, const char *token, session_res *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cw_cache_session_get(c, token, on_session, r), 0);
    assert_true(pump_until(base, session_done, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
    return r->rc;
}

typedef struct inbox {
    int count;
    char channel[128];
    char msg[256];
    size_t len;
} inbox;

static void on_msg(void *ud, const char *channel, const char *msg, size_t len)
{
    inbox *in = ud;
    in->count++;
    snprintf(in->channel, sizeof in->channel, "%s", channel);
    in->len = len;
    memcpy(in->msg, msg, len < sizeof in->msg ? len : sizeof in->msg);
}

typedef struct count_target {
    inbox *in;
    int want;
} count_target;

static int inbox_has(void *ud)
{
    count_target *t = ud;
    return t->in->count >= t->want;
}

static cw_cache *new_cache(struct event_base *base, const char *url, const char *server,
                           cw_metrics *m)
{
    cw_error err = {0};
    cw_cache *c = cw_cache_new(base, url, server, m, &err);
    if (!c) fprintf(stderr, "cw_cache_new: %s\n", err.msg);
    assert_non_null(c);
    return c;
}

/* ---- tests --------------------------------------------------------------------- */

static void expect_refused(struct event_base *base, const char *url, const char *server,
                           const char *needle)
{
    cw_error err = {0};
    cw_cache *c = cw_cache_new(base, url, server, NULL, &err);
    if (c) fprintf(stderr, "accepted: url=%s server=%s\n", url ? url : "(null)", server);
    assert_null(c);
    assert_int_equal(err.code, CW_EINVAL);
    if (needle && !strstr(err.msg, needle)) fprintf(stderr, "message: %s\n", err.msg);
    if (needle) assert_non_null(strstr(err.msg, needle));
}

static void test_arguments(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    expect_refused(base, "http://127.0.0.1:6379", "s1", "http");
    expect_refused(base, "rediss://127.0.0.1:6379", "s1", "rediss");
    expect_refused(base, "unix:///tmp/redis.sock", "s1", "unix");
    expect_refused(base, "127.0.0.1:6379", "s1", "redis://");
    expect_refused(base, "redis://", "s1", "host");
    expect_refused(base, "redis://127.0.0.1:0", "s1", "port");
    expect_refused(base, "redis://127.0.0.1:70000", "s1", "port");
    expect_refused(base, "redis://127.0.0.1:6379/x", "s1", "database");
    expect_refused(base, "redis://127.0.0.1:6379?db=1", "s1", "query");
    expect_refused(base, "redis://nocolon@127.0.0.1", "s1", "password");
    expect_refused(base, NULL, "s1", NULL);
    expect_refused(base, "redis://127.0.0.1", "", "server name");
    expect_refused(base, "redis://127.0.0.1", "has space", "server name");
    char longname[66];
    memset(longname, 'a', 65); /* one over the limit */
    longname[65] = '\0';
    expect_refused(base, "redis://127.0.0.1", longname, "server name");
    longname[64] = '\0'; /* at the limit: fine */
    cw_cache_free(new_cache(base, "redis://127.0.0.1:1", longname, NULL));
    cw_error err = {0};
    assert_null(cw_cache_new(NULL, "redis://127.0.0.1", "s1", NULL, &err));
    assert_int_equal(err.code, CW_EINVAL);

    /* Credentials, IPv6 and a database parse; nothing listens on the port, which
     * is not an error: every call reports CW_EUNAVAIL and nothing blocks. */
    char url[128];
    int port = free_port();
    snprintf(url, sizeof url, "redis://user:p@ss@127.0.0.1:%d/3", port);
    cw_cache *c = new_cache(base, url, "s1", NULL);
    cw_cache_free(c);
    snprintf(url, sizeof url, "redis://[::1]:%d", port);
    c = new_cache(base, url, "s1", NULL);
    cw_cache_free(c);

    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    c = new_cache(base, url, "s1", NULL);
    pump_for(base, 50);
    assert_int_equal(cw_cache_available(c), 0);
    assert_int_equal(cw_cache_presence_set(c, "Hero", 1), CW_EUNAVAIL);
    assert_int_equal(cw_cache_presence_clear(c, "Hero"), CW_EUNAVAIL);
    presence_res pr = {0};
    assert_int_equal(cw_cache_presence_get(c, "Hero", on_presence, &pr), CW_EUNAVAIL);
    session_res sr = {0};
    assert_int_equal(cw_cache_session_get(c, "tok", on_session, &sr), CW_EUNAVAIL);
    assert_int_equal(cw_cache_session_set(c, "tok", 1, 60), CW_EUNAVAIL);
    assert_int_equal(cw_cache_session_del(c, "tok"), CW_EUNAVAIL);
    assert_int_equal(cw_cache_publish(c, "ch", "x", 1), CW_EUNAVAIL);
    inbox in = {0};
    assert_int_equal(cw_cache_subscribe(c, "ch", on_msg, &in), 0);
    assert_int_equal(cw_cache_subscribe(c, "ch", on_msg, &in), CW_EEXIST);
    /* Bad arguments are refused before availability is considered. */
    assert_int_equal(cw_cache_presence_set(c, "", 1), CW_EINVAL);
    assert_int_equal(cw_cache_presence_set(c, "bad\nname", 1), CW_EINVAL);
    assert_int_equal(cw_cache_presence_get(c, "Hero", NULL, NULL), CW_EINVAL);
    assert_int_equal(cw_cache_session_set(c, "tok", 1, 0), CW_EINVAL);
    assert_int_equal(cw_cache_publish(c, "", "x", 1), CW_EINVAL);
    pump_for(base, 50);
    assert_int_equal(pr.calls + sr.calls, 0); /* refused lookups never call back */
    cw_cache_free(c);
    cw_cache_free(NULL);
    event_base_free(base);
}

static void test_presence(void **state)
{
    env *e = *state;
    if (!e->have_shared) skip();
    struct event_base *base = event_base_new();
    char server[64], hero[64], hero_lc[64], other[64];
    snprintf(server, sizeof server, "%s-a", e->tag);
    snprintf(hero, sizeof hero, "Hero%s", e->tag);
    snprintf(hero_lc, sizeof hero_lc, "hero%s", e->tag);
    snprintf(other, sizeof other, "Nobody%s", e->tag);
    cw_cache *a = new_cache(base, e->url, server, NULL);
    wait_available(base, a);

    presence_res r;
    assert_int_equal(lookup(base, a, hero, &r), CW_ENOTFOUND);
    assert_string_equal(r.server, "");

    const int64_t big = 9007199254740993LL; /* 2^53 + 1: survives no double */
    assert_int_equal(cw_cache_presence_set(a, hero, big), 0);
    assert_int_equal(lookup(base, a, hero_lc, &r), 0); /* case-insensitive */
    assert_string_equal(r.server, server);
    assert_true(r.account == big);

    /* The stored layout is the one docs/redis.md promises. */
    redisContext *rc = sync_client(e);
    redisReply *v = redisCommand(rc, "HGET presence %s", hero_lc);
    assert_non_null(v);
    assert_int_equal(v->type, REDIS_REPLY_STRING);
    char want[128];
    snprintf(want, sizeof want, "{\"server\":\"%s\",\"account\":%lld,\"since\":", server,
             (long long)big);
    assert_non_null(strstr(v->str, want));
    freeReplyObject(v);
    char set_key[96];
    snprintf(set_key, sizeof set_key, "presence:server:%s", server);
    assert_int_equal(sync_int(rc, "SISMEMBER %s %s", set_key, hero_lc), 1);
    char alive_key[96];
    snprintf(alive_key, sizeof alive_key, "presence:alive:%s", server);
    assert_int_equal(sync_int(rc, "EXISTS %s", alive_key, NULL), 1);

    assert_int_equal(lookup(base, a, other, &r), CW_ENOTFOUND);

    assert_int_equal(cw_cache_presence_clear(a, hero), 0);
    assert_int_equal(lookup(base, a, hero, &r), CW_ENOTFOUND);
    assert_int_equal(sync_int(rc, "HEXISTS presence %s", hero_lc, NULL), 0);
    assert_int_equal(sync_int(rc, "SISMEMBER %s %s", set_key, hero_lc), 0);
    redisFree(rc);

    /* Freeing answers a pending lookup, exactly once, with CW_EUNAVAIL. */
    memset(&r, 0, sizeof r);
    assert_int_equal(cw_cache_presence_get(a, hero, on_presence, &r), 0);
    cw_cache_free(a);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.rc, CW_EUNAVAIL);
    event_base_free(base);
}

static void test_presence_two_servers(void **state)
{
    env *e = *state;
    if (!e->have_shared) skip();
    struct event_base *base = event_base_new();
    char sa[64], sb[64], x[64], y[64];
    snprintf(sa, sizeof sa, "%s-one", e->tag);
    snprintf(sb, sizeof sb, "%s-two", e->tag);
    snprintf(x, sizeof x, "Xena%s", e->tag);
    snprintf(y, sizeof y, "Yuri%s", e->tag);
    cw_cache *a = new_cache(base, e->url, sa, NULL);
    cw_cache *b = new_cache(base, e->url, sb, NULL);
    wait_available(base, a);
    wait_available(base, b);

    /* Two connections are not ordered with each other: a lookup on the writer's
     * own connection proves its write has been applied before the other looks. */
    presence_res r;
    assert_int_equal(cw_cache_presence_set(a, x, 1), 0);
    assert_int_equal(lookup(base, a, x, &r), 0);
    assert_int_equal(cw_cache_presence_set(b, y, 2), 0);
    assert_int_equal(lookup(base, b, y, &r), 0);
    assert_int_equal(lookup(base, b, x, &r), 0);
    assert_string_equal(r.server, sa);
    assert_true(r.account == 1);
    assert_int_equal(lookup(base, a, y, &r), 0);
    assert_string_equal(r.server, sb);
    assert_true(r.account == 2);

    /* b cannot clear a's player ... */
    assert_int_equal(cw_cache_presence_clear(b, x), 0);
    assert_int_equal(lookup(base, b, x, &r), 0);
    assert_string_equal(r.server, sa);
    /* ... and once x has moved to b, a's late clean-up leaves it alone. */
    assert_int_equal(cw_cache_presence_set(b, x, 1), 0);
    assert_int_equal(lookup(base, b, x, &r), 0);
    assert_string_equal(r.server, sb);
    assert_int_equal(cw_cache_presence_clear(a, x), 0);
    assert_int_equal(lookup(base, a, x, &r), 0);
    assert_string_equal(r.server, sb);

    /* A server whose heartbeat key is gone (it stopped) has nobody online. */
    cw_cache_free(b);
    redisContext *rc = sync_client(e);
    char alive[96];
    snprintf(alive, sizeof alive, "presence:alive:%s", sb);
    assert_int_equal(sync_int(rc, "DEL %s", alive, NULL), 1);
    redisFree(rc);
    assert_int_equal(lookup(base, a, y, &r), CW_ENOTFOUND);
    assert_int_equal(lookup(base, a, x, &r), CW_ENOTFOUND);
    cw_cache_free(a);
    event_base_free(base);
    rc = sync_client(e); /* b left without clearing: tidy the shared database */
    char xl[64], yl[64];
    snprintf(xl, sizeof xl, "xena%s", e->tag);
    snprintf(yl, sizeof yl, "yuri%s", e->tag);
    assert_int_equal(sync_int(rc, "HDEL presence %s %s", xl, yl), 2);
    redisFree(rc);
}

static void test_sessions(void **state)
{
    env *e = *state;
    if (!e->have_shared) skip();
    struct event_base *base = event_base_new();
    char server[64], tok[64], tok2[64], key[96];
    snprintf(server, sizeof server, "%s-sess", e->tag);
    snprintf(tok, sizeof tok, "tok-%s-long", e->tag);
    snprintf(tok2, sizeof tok2, "tok-%s-short", e->tag);
    cw_cache *c = new_cache(base, e->url, server, NULL);
    wait_available(base, c);

    session_res r;
    assert_int_equal(session_lookup(base, c, tok, &r), CW_ENOTFOUND);
    assert_int_equal(cw_cache_session_set(c, tok, 77, 60), 0);
    assert_int_equal(session_lookup(base, c, tok, &r), 0);
    assert_true(r.account == 77);

    redisContext *rc = sync_client(e);
    snprintf(key, sizeof key, "session:%s", tok);
    long long ttl = sync_int(rc, "TTL %s", key, NULL);
    assert_true(ttl > 0 && ttl <= 60);
    redisFree(rc);

    assert_int_equal(cw_cache_session_del(c, tok), 0);
    assert_int_equal(session_lookup(base, c, tok, &r), CW_ENOTFOUND);

    /* ttl 1 s: present now, gone within a generous deadline. */
    assert_int_equal(cw_cache_session_set(c, tok2, 5, 1), 0);
    assert_int_equal(session_lookup(base, c, tok2, &r), 0);
    assert_true(r.account == 5);
    uint64_t deadline = cw_now_ns() + 10000000000ull;
    int rc2 = 0;
    while (cw_now_ns() < deadline) {
        pump_for(base, 200);
        rc2 = session_lookup(base, c, tok2, &r);
        if (rc2 == CW_ENOTFOUND) break;
    }
    assert_int_equal(rc2, CW_ENOTFOUND);
    cw_cache_free(c);
    event_base_free(base);
}

static void test_pubsub(void **state)
{
    env *e = *state;
    if (!e->have_shared) skip();
    struct event_base *base = event_base_new();
    char sa[64], sb[64], chan[64];
    snprintf(sa, sizeof sa, "%s-pa", e->tag);
    snprintf(sb, sizeof sb, "%s-pb", e->tag);
    snprintf(chan, sizeof chan, "chat:%s", e->tag);
    cw_cache *a = new_cache(base, e->url, sa, NULL);
    cw_cache *b = new_cache(base, e->url, sb, NULL);
    inbox in = {0};
    assert_int_equal(cw_cache_subscribe(a, chan, on_msg, &in), 0);
    wait_available(base, b);
    wait_numsub(base, e, chan, 1);

    static const char msg[] = "hello\0world"; /* binary: a NUL inside */
    assert_int_equal(cw_cache_publish(b, chan, msg, sizeof msg - 1), 0);
    count_target t = {&in, 1};
    assert_true(pump_until(base, inbox_has, &t, WAIT_MS));
    assert_int_equal(in.count, 1);
    assert_string_equal(in.channel, chan);
    assert_int_equal(in.len, sizeof msg - 1);
    assert_memory_equal(in.msg, msg, sizeof msg - 1);

    /* A server hears its own publications too (it is just another subscriber). */
    wait_available(base, a);
    assert_int_equal(cw_cache_publish(a, chan, "again", 5), 0);
    t.want = 2;
    assert_true(pump_until(base, inbox_has, &t, WAIT_MS));
    assert_int_equal(in.len, 5);
    assert_memory_equal(in.msg, "again", 5);
    cw_cache_free(a);
    cw_cache_free(b);
    event_base_free(base);
}

/* The app side of the rebuild: what it believes is online here. */
typedef struct roster {
    int rebuilds;
    const char *names[4];
    int n;
    int last_rc;
} roster;

static void on_rebuild(void *ud, cw_cache *c)
{
    roster *r = ud;
    r->rebuilds++;
    for (int i = 0; i < r->n; i++)
        r->last_rc |= cw_cache_presence_set(c, r->names[i], 100 + i);
}

typedef struct rebuild_target {
    cw_cache *c;
    roster *r;
    int want;
} rebuild_target;

static int rebuilt(void *ud)
{
    rebuild_target *t = ud;
    return cw_cache_available(t->c) && t->r->rebuilds >= t->want;
}

static double metric(cw_metrics *m, const char *name, int gauge)
{
    cw_metric *h = gauge ? cw_metrics_gauge(m, name, "", NULL, NULL)
                         : cw_metrics_counter(m, name, "", NULL, NULL);
    assert_non_null(h);
    return cw_metric_value(h);
}

static void test_down_at_start(void **state)
{
    env *e = *state;
    if (!e->have_server) skip();
    redis_proc *rp = &e->priv;
    assert_int_equal(redis_prepare(rp), 0);
    struct event_base *base = event_base_new();
    cw_metrics *m = cw_metrics_new();
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp->port);
    cw_cache *c = new_cache(base, url, "late-starter", m);
    roster ro = {0};
    cw_cache_set_rebuild(c, on_rebuild, &ro);

    pump_for(base, 500);
    assert_int_equal(cw_cache_available(c), 0);
    assert_int_equal(ro.rebuilds, 0);
    assert_true(metric(m, "chaos_redis_available", 1) == 0);
    assert_true(metric(m, "chaos_redis_errors_total", 0) >= 1); /* refused connects */

    assert_int_equal(redis_start(rp), 0);
    rebuild_target t = {c, &ro, 1};
    assert_true(pump_until(base, rebuilt, &t, RECONNECT_WAIT_MS));
    assert_int_equal(ro.rebuilds, 1);
    assert_true(metric(m, "chaos_redis_available", 1) == 1);
    assert_true(metric(m, "chaos_redis_reconnects_total", 0) == 0); /* first connect */
    assert_true(metric(m, "chaos_redis_commands_total", 0) > 0);

    cw_cache_free(c);
    assert_true(metric(m, "chaos_redis_available", 1) == 0);
    cw_metrics_free(m);
    event_base_free(base);
    redis_cleanup(rp);
}

static void test_outage(void **state)
{
    env *e = *state;
    if (!e->have_server) skip();
    redis_proc *rp = &e->priv;
    assert_int_equal(redis_prepare(rp), 0);
    assert_int_equal(redis_start(rp), 0);
    struct event_base *base = event_base_new();
    cw_metrics *m = cw_metrics_new();
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp->port);
    cw_cache *a = new_cache(base, url, "zone-a", m);
    cw_cache *b = new_cache(base, url, "zone-b", NULL);
    roster ro = {.names = {"Hero"}, .n = 1};
    cw_cache_set_rebuild(a, on_rebuild, &ro);
    inbox in = {0};
    assert_int_equal(cw_cache_subscribe(a, "world", on_msg, &in), 0);
    rebuild_target t = {a, &ro, 1};
    assert_true(pump_until(base, rebuilt, &t, WAIT_MS));
    assert_int_equal(ro.last_rc, 0);
    wait_available(base, b);
    presence_res r;
    assert_int_equal(lookup(base, a, "hero", &r), 0); /* a's writes are applied */
    assert_int_equal(lookup(base, b, "hero", &r), 0);
    assert_string_equal(r.server, "zone-a");

    /* A lookup in flight when Redis dies is answered, with CW_EUNAVAIL. */
    presence_res inflight = {0};
    assert_int_equal(cw_cache_presence_get(a, "Hero", on_presence, &inflight), 0);
    redis_stop(rp);
    assert_true(pump_until(base, presence_done, &inflight, WAIT_MS));
    assert_int_equal(inflight.calls, 1);
    assert_int_equal(inflight.rc, CW_EUNAVAIL);
    assert_true(pump_until(base, is_unavailable, a, WAIT_MS));
    assert_true(metric(m, "chaos_redis_available", 1) == 0);

    /* The game goes on: every call returns at once with CW_EUNAVAIL. */
    ro.names[ro.n++] = "Latecomer"; /* entered the world during the outage */
    assert_int_equal(cw_cache_presence_set(a, "Latecomer", 101), CW_EUNAVAIL);
    memset(&r, 0, sizeof r);
    assert_int_equal(cw_cache_presence_get(a, "Hero", on_presence, &r), CW_EUNAVAIL);
    assert_int_equal(cw_cache_session_set(a, "tok", 1, 60), CW_EUNAVAIL);
    assert_int_equal(cw_cache_publish(a, "world", "lost", 4), CW_EUNAVAIL);
    pump_for(base, 300);
    assert_int_equal(r.calls, 0);
    assert_int_equal(cw_cache_available(a), 0);

    /* Redis comes back empty: the rebuild republishes everyone. */
    assert_int_equal(redis_start(rp), 0);
    t.want = 2;
    assert_true(pump_until(base, rebuilt, &t, RECONNECT_WAIT_MS));
    assert_int_equal(ro.rebuilds, 2);
    assert_int_equal(ro.last_rc, 0);
    assert_true(metric(m, "chaos_redis_available", 1) == 1);
    assert_true(metric(m, "chaos_redis_reconnects_total", 0) == 1);
    assert_true(metric(m, "chaos_redis_errors_total", 0) >= 1);
    assert_true(pump_until(base, is_available, b, RECONNECT_WAIT_MS));
    assert_int_equal(lookup(base, a, "latecomer", &r), 0); /* a's writes are applied */
    assert_int_equal(lookup(base, b, "HERO", &r), 0);
    assert_string_equal(r.server, "zone-a");
    assert_true(r.account == 100);
    assert_int_equal(lookup(base, b, "latecomer", &r), 0);
    assert_string_equal(r.server, "zone-a");
    assert_true(r.account == 101);

    /* The subscription is back: a message published now arrives. */
    env priv = {0};
    snprintf(priv.host, sizeof priv.host, "127.0.0.1");
    priv.port = rp->port;
    wait_numsub(base, &priv, "world", 1);
    assert_int_equal(cw_cache_publish(b, "world", "back", 4), 0);
    count_target ct = {&in, 1};
    assert_true(pump_until(base, inbox_has, &ct, WAIT_MS));
    assert_int_equal(in.count, 1); /* "lost" was never delivered */
    assert_int_equal(in.len, 4);
    assert_memory_equal(in.msg, "back", 4);

    cw_cache_free(a);
    cw_cache_free(b);
    cw_metrics_free(m);
    event_base_free(base);
    redis_cleanup(rp);
}

/* AUTH is part of the handshake: a wrong password never makes the cache available
 * (and is retried with backoff), the right one does. */
static void test_auth(void **state)
{
    env *e = *state;
    if (!e->have_server) skip();
    redis_proc *rp = &e->priv;
    assert_int_equal(redis_prepare(rp), 0);
    rp->requirepass = "s3cret";
    assert_int_equal(redis_start(rp), 0);
    struct event_base *base = event_base_new();
    cw_metrics *m = cw_metrics_new();
    char url[96];
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d", rp->port);
    cw_cache *bad = new_cache(base, url, "auth-bad", m);
    snprintf(url, sizeof url, "redis://:s3cret@127.0.0.1:%d/2", rp->port);
    cw_cache *good = new_cache(base, url, "auth-good", NULL);
    wait_available(base, good);
    pump_for(base, 1000);
    assert_int_equal(cw_cache_available(bad), 0);
    assert_true(metric(m, "chaos_redis_errors_total", 0) >= 2); /* refused, and retried */
    assert_int_equal(cw_cache_session_set(good, "auth-tok", 9, 60), 0);
    session_res sr;
    assert_int_equal(session_lookup(base, good, "auth-tok", &sr), 0);
    assert_true(sr.account == 9);
    cw_cache_free(bad);
    cw_cache_free(good);
    cw_metrics_free(m);
    event_base_free(base);
    redis_cleanup(rp);
}

/* A Redis that stops answering (SIGSTOP) without closing the socket: the
 * heartbeat notices, the links are dropped, and everything comes back after. */
static void test_hung_redis(void **state)
{
    env *e = *state;
    if (!e->have_server) skip();
    redis_proc *rp = &e->priv;
    assert_int_equal(redis_prepare(rp), 0);
    assert_int_equal(redis_start(rp), 0);
    struct event_base *base = event_base_new();
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp->port);
    cw_cache *a = new_cache(base, url, "frozen", NULL);
    roster ro = {.names = {"Sleeper"}, .n = 1};
    cw_cache_set_rebuild(a, on_rebuild, &ro);
    inbox in = {0};
    assert_int_equal(cw_cache_subscribe(a, "frozen-chan", on_msg, &in), 0);
    rebuild_target t = {a, &ro, 1};
    assert_true(pump_until(base, rebuilt, &t, WAIT_MS));

    kill(rp->pid, SIGSTOP);
    assert_true(pump_until(base, is_unavailable, a, RECONNECT_WAIT_MS));
    assert_int_equal(cw_cache_presence_set(a, "Sleeper", 1), CW_EUNAVAIL);
    pump_for(base, 1500); /* let a reconnect attempt hang on the frozen server */
    kill(rp->pid, SIGCONT);

    t.want = 2;
    assert_true(pump_until(base, rebuilt, &t, RECONNECT_WAIT_MS));
    presence_res r;
    assert_int_equal(lookup(base, a, "sleeper", &r), 0);
    assert_string_equal(r.server, "frozen");
    env priv = {0};
    snprintf(priv.host, sizeof priv.host, "127.0.0.1");
    priv.port = rp->port;
    wait_numsub(base, &priv, "frozen-chan", 1);
    assert_int_equal(cw_cache_publish(a, "frozen-chan", "thaw", 4), 0);
    count_target ct = {&in, 1};
    assert_true(pump_until(base, inbox_has, &ct, WAIT_MS));
    assert_memory_equal(in.msg, "thaw", 4);

    cw_cache_free(a);
    event_base_free(base);
    redis_cleanup(rp);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cw_log_setup(getenv("CHAOS_TEST_VERBOSE") ? CW_LOG_DEBUG : CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_presence),
        cmocka_unit_test(test_presence_two_servers),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_pubsub),
        cmocka_unit_test_teardown(test_down_at_start, test_teardown),
        cmocka_unit_test_teardown(test_outage, test_teardown),
        cmocka_unit_test_teardown(test_auth, test_teardown),
        cmocka_unit_test_teardown(test_hung_redis, test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
