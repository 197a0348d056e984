/* cluster.c — what the cluster asks of Redis: each process' announcement
 * (cluster:process:<server>, with a TTL) and one-time hand-off tokens
 * (handoff:<token>, with a TTL, taken at most once by MULTI GET DEL EXEC).
 * Values are opaque bytes chosen by the app. See cache.h. */
#include "core/io/cache/internal.h"

#include "core/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTL_MAX_S (30 * 24 * 3600)

typedef struct vpending {
    cw_cache *cache;
    cw_cache_value_fn value_fn;
    cw_cache_done_fn done_fn;
    void *ud;
} vpending;

static int reply_failed(cw_cache *c, const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        cw_cache_count_error(c);
        cw_log(CW_LOG_WARN, "redis command failed", CW_S("server", c->server),
               CW_S("error", reply->str), CW_END);
    }
    return CW_EIO;
}

static int make_key(char *out, size_t cap, const char *prefix, const char *name)
{
    if (!cw_cache_valid_name(name)) return CW_EINVAL;
    snprintf(out, cap, "%s%s", prefix, name);
    return 0;
}

#define KEY_CAP (sizeof CW_KEY_CLUSTER_PROCESS + sizeof CW_KEY_HANDOFF + CW_CACHE_NAME_MAX)

/* ---- announcements ------------------------------------------------------------ */

int cw_cache_cluster_announce(cw_cache *c, const char *value, size_t len, int ttl_s)
{
    char key[KEY_CAP], ttl[16];
    if (!c || !value || len == 0 || ttl_s < 1 || ttl_s > TTL_MAX_S) return CW_EINVAL;
    make_key(key, sizeof key, CW_KEY_CLUSTER_PROCESS, c->server);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, value, "EX", ttl};
    size_t lens[] = {3, strlen(key), len, 2, strlen(ttl)};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 5, argv, lens);
}

int cw_cache_cluster_withdraw(cw_cache *c)
{
    char key[KEY_CAP];
    if (!c) return CW_EINVAL;
    make_key(key, sizeof key, CW_KEY_CLUSTER_PROCESS, c->server);
    const char *argv[] = {"DEL", key};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, argv, NULL);
}

/* A GET-like reply (also the first element of EXEC's array). */
static void value_reply(vpending *p, const redisReply *reply)
{
    if (!reply) {
        p->value_fn(p->ud, CW_EUNAVAIL, NULL, 0);
    } else if (reply->type == REDIS_REPLY_NIL) {
        p->value_fn(p->ud, CW_ENOTFOUND, NULL, 0);
    } else if (reply->type == REDIS_REPLY_STRING) {
        p->value_fn(p->ud, 0, reply->str, reply->len);
    } else {
        p->value_fn(p->ud, reply_failed(p->cache, reply), NULL, 0);
    }
}

static void on_value(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    vpending *p = priv;
    value_reply(p, r);
    free(p);
}

static vpending *vpending_new(cw_cache *c, cw_cache_value_fn vfn, cw_cache_done_fn dfn, void *ud)
{
    vpending *p = calloc(1, sizeof *p);
    if (p) *p = (vpending){.cache = c, .value_fn = vfn, .done_fn = dfn, .ud = ud};
    return p;
}

int cw_cache_cluster_process_get(cw_cache *c, const char *process, cw_cache_value_fn cb, void *ud)
{
    char key[KEY_CAP];
    if (!c || !cb || make_key(key, sizeof key, CW_KEY_CLUSTER_PROCESS, process) != 0)
        return CW_EINVAL;
    vpending *p = vpending_new(c, cb, NULL, ud);
    if (!p) return CW_ENOMEM;
    const char *argv[] = {"GET", key};
    int rc = cw_cache_send(&c->cmd, on_value, p, 2, argv, NULL);
    if (rc != 0) free(p);
    return rc;
}

/* ---- hand-off tokens ------------------------------------------------------------ */

static void on_put(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    vpending *p = priv;
    redisReply *reply = r;
    int rc;
    if (!reply)
        rc = CW_EUNAVAIL;
    else if (reply->type == REDIS_REPLY_NIL)
        rc = CW_EEXIST; /* NX: the token exists */
    else if (reply->type == REDIS_REPLY_STATUS)
        rc = 0;
    else
        rc = reply_failed(p->cache, reply);
    p->done_fn(p->ud, rc);
    free(p);
}

int cw_cache_handoff_put(cw_cache *c, const char *token, const char *value, size_t len, int ttl_s,
                         cw_cache_done_fn cb, void *ud)
{
    char key[KEY_CAP], ttl[16];
    if (!c || !cb || !value || len == 0 || ttl_s < 1 || ttl_s > TTL_MAX_S ||
        make_key(key, sizeof key, CW_KEY_HANDOFF, token) != 0)
        return CW_EINVAL;
    vpending *p = vpending_new(c, NULL, cb, ud);
    if (!p) return CW_ENOMEM;
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, value, "EX", ttl, "NX"};
    size_t lens[] = {3, strlen(key), len, 2, strlen(ttl), 2};
    int rc = cw_cache_send(&c->cmd, on_put, p, 6, argv, lens);
    if (rc != 0) free(p);
    return rc;
}

/* EXEC answers [GET's value, DEL's count]; nil when the transaction was
 * discarded. */
static void on_take(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    vpending *p = priv;
    redisReply *reply = r;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
        value_reply(p, reply->element[0]);
    else if (!reply)
        p->value_fn(p->ud, CW_EUNAVAIL, NULL, 0);
    else
        p->value_fn(p->ud, reply_failed(p->cache, reply), NULL, 0);
    free(p);
}

int cw_cache_handoff_take(cw_cache *c, const char *token, cw_cache_value_fn cb, void *ud)
{
    char key[KEY_CAP];
    if (!c || !cb || make_key(key, sizeof key, CW_KEY_HANDOFF, token) != 0) return CW_EINVAL;
    if (!cw_cache_available(c)) return CW_EUNAVAIL;
    vpending *p = vpending_new(c, cb, NULL, ud);
    if (!p) return CW_ENOMEM;
    /* Four commands on one connection, sent in one go: nothing else of
     * ours comes between them, and Redis runs GET and DEL as one. */
    const char *multi[] = {"MULTI"}, *get[] = {"GET", key}, *del[] = {"DEL", key},
               *exec[] = {"EXEC"};
    int rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 1, multi, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, get, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, del, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, on_take, p, 1, exec, NULL);
    if (rc != 0) free(p); /* only when the link died between two sends: Redis drops the MULTI */
    return rc;
}
