/* shared.c — state several servers share through Redis: the live session of
 * each account (account:<name>, with this server's index account:server:<me>),
 * fixed-window counters (counter:<name>) and chat mutes (mute:<name> with a
 * TTL, indexed by the set mutes). See cache.h and docs/redis.md. */
#include "core/io/cache/internal.h"

#include "core/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTER_WINDOW_MAX_S 86400
#define MUTE_TTL_MAX_S (366 * 24 * 3600)

/* KEYS[1] account:<name>, KEYS[2] this server's set; ARGV[1] the new value,
 * ARGV[2] the alive-key prefix, ARGV[3] the name. Returns the replaced entry as
 * {server, nonce, alive} or nil. */
static const char SCRIPT_CLAIM[] = "local old = redis.call('GET', KEYS[1])\n"
                                   "redis.call('SET', KEYS[1], ARGV[1])\n"
                                   "redis.call('SADD', KEYS[2], ARGV[3])\n"
                                   "if not old then return false end\n"
                                   "local srv, nonce = string.match(old, '^(%S+) (%S+)$')\n"
                                   "if not srv then return false end\n"
                                   "return {srv, nonce, redis.call('EXISTS', ARGV[2] .. srv)}\n";

/* KEYS[1] account:<name>, KEYS[2] this server's set; ARGV[1] the value
 * expected, ARGV[2] the value to put ('' deletes), ARGV[3] the name. */
static const char SCRIPT_RELEASE[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                     "  if ARGV[2] == '' then redis.call('DEL', KEYS[1])\n"
                                     "  else redis.call('SET', KEYS[1], ARGV[2]) end\n"
                                     "  redis.call('SREM', KEYS[2], ARGV[3])\n"
                                     "end\n"
                                     "return 0\n";

/* KEYS[1] this server's set; ARGV[1] the account key prefix, ARGV[2] server. */
static const char SCRIPT_CLEAR_OWN[] =
    "local ids = redis.call('SMEMBERS', KEYS[1])\n"
    "local mine = ARGV[2] .. ' '\n"
    "for _, id in ipairs(ids) do\n"
    "  local v = redis.call('GET', ARGV[1] .. id)\n"
    "  if v and string.sub(v, 1, #mine) == mine then redis.call('DEL', ARGV[1] .. id) end\n"
    "end\n"
    "redis.call('DEL', KEYS[1])\n"
    "return #ids\n";

/* KEYS[1] the mutes set; ARGV[1] the mute key prefix. Returns a flat list
 * name, value, ttl, … of the live mutes. */
static const char SCRIPT_MUTES[] = "local out = {}\n"
                                   "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
                                   "  local v = redis.call('GET', ARGV[1] .. n)\n"
                                   "  local t = redis.call('TTL', ARGV[1] .. n)\n"
                                   "  if v and t > 0 then\n"
                                   "    out[#out + 1] = n; out[#out + 1] = v; out[#out + 1] = t\n"
                                   "  else\n"
                                   "    redis.call('SREM', KEYS[1], n)\n"
                                   "  end\n"
                                   "end\n"
                                   "return out\n";

typedef struct spending {
    cw_cache *cache;
    cw_cache_claim_fn claim_fn;
    cw_cache_count_fn count_fn;
    cw_cache_mute_fn mute_fn;
    cw_cache_done_fn done_fn;
    void *ud;
} spending;

static int failed(cw_cache *c, const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        cw_cache_count_error(c);
        cw_log(CW_LOG_WARN, "redis command failed", CW_S("server", c->server),
               CW_S("error", reply->str), CW_END);
    }
    return CW_EIO;
}

static int valid_nonce(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len == 0 || len > CW_CACHE_NONCE_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = n[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return 0;
    }
    return 1;
}

static void lower_copy(const char *in, char out[CW_CACHE_NAME_MAX + 1])
{
    size_t i = 0;
    for (; in[i] && i < CW_CACHE_NAME_MAX; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

static spending *spending_new(cw_cache *c, void *ud)
{
    spending *p = calloc(1, sizeof *p);
    if (p) {
        p->cache = c;
        p->ud = ud;
    }
    return p;
}

/* ---- account sessions ------------------------------------------------------------- */

#define ACCOUNT_KEY_CAP (sizeof CW_KEY_ACCOUNT + CW_CACHE_NAME_MAX)
#define ENTRY_CAP (CW_CACHE_SERVER_MAX + CW_CACHE_NONCE_MAX + 2)

static void on_claim(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    spending *p = priv;
    redisReply *reply = r;
    if (!reply) {
        p->claim_fn(p->ud, CW_EUNAVAIL, NULL, NULL, 0);
    } else if (reply->type == REDIS_REPLY_NIL) {
        p->claim_fn(p->ud, 0, NULL, NULL, 0);
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
               reply->element[0]->type == REDIS_REPLY_STRING &&
               reply->element[1]->type == REDIS_REPLY_STRING &&
               reply->element[2]->type == REDIS_REPLY_INTEGER) {
        p->claim_fn(p->ud, 0, reply->element[0]->str, reply->element[1]->str,
                    reply->element[2]->integer != 0);
    } else {
        p->claim_fn(p->ud, failed(p->cache, reply), NULL, NULL, 0);
    }
    free(p);
}

int cw_cache_account_claim(cw_cache *c, const char *account, const char *nonce,
                           cw_cache_claim_fn cb, void *ud)
{
    if (!c || !cb || !cw_cache_valid_name(account) || !valid_nonce(nonce)) return CW_EINVAL;
    char key[ACCOUNT_KEY_CAP], val[ENTRY_CAP], id[CW_CACHE_NAME_MAX + 1];
    lower_copy(account, id);
    snprintf(key, sizeof key, "%s%s", CW_KEY_ACCOUNT, id);
    snprintf(val, sizeof val, "%s %s", c->server, nonce);
    spending *p = spending_new(c, ud);
    if (!p) return CW_ENOMEM;
    p->claim_fn = cb;
    const char *argv[] = {"EVAL", SCRIPT_CLAIM,          "2", key, c->account_set_key,
                          val,    CW_KEY_PRESENCE_ALIVE, id};
    int rc = cw_cache_send(&c->cmd, on_claim, p, 8, argv, NULL);
    if (rc != 0) free(p);
    return rc;
}

int cw_cache_account_release(cw_cache *c, const char *account, const char *nonce,
                             const char *put_server, const char *put_nonce)
{
    if (!c || !cw_cache_valid_name(account) || !valid_nonce(nonce)) return CW_EINVAL;
    if (put_server &&
        (!cw_cache_valid_name(put_server) || strlen(put_server) > CW_CACHE_SERVER_MAX ||
         strchr(put_server, ' ') || !valid_nonce(put_nonce)))
        return CW_EINVAL;
    char key[ACCOUNT_KEY_CAP], mine[ENTRY_CAP], put[ENTRY_CAP] = "", id[CW_CACHE_NAME_MAX + 1];
    lower_copy(account, id);
    snprintf(key, sizeof key, "%s%s", CW_KEY_ACCOUNT, id);
    snprintf(mine, sizeof mine, "%s %s", c->server, nonce);
    if (put_server) snprintf(put, sizeof put, "%s %s", put_server, put_nonce);
    const char *argv[] = {"EVAL", SCRIPT_RELEASE, "2", key, c->account_set_key, mine, put, id};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 8, argv, NULL);
}

void cw_cache_accounts_clear_own(cw_cache *c)
{
    const char *argv[] = {"EVAL",         SCRIPT_CLEAR_OWN, "1", c->account_set_key,
                          CW_KEY_ACCOUNT, c->server};
    cw_cache_send(&c->cmd, cw_cache_on_reply, c, 6, argv, NULL);
}

/* ---- counters ------------------------------------------------------------------------ */

static void on_count(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    spending *p = priv;
    redisReply *reply = r;
    if (!reply)
        p->count_fn(p->ud, CW_EUNAVAIL, 0);
    else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
             reply->element[1]->type == REDIS_REPLY_INTEGER)
        p->count_fn(p->ud, 0, (int64_t)reply->element[1]->integer);
    else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
        p->count_fn(p->ud, failed(p->cache, reply->element[1]), 0);
    else
        p->count_fn(p->ud, failed(p->cache, reply), 0);
    free(p);
}

static void on_exists(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    spending *p = priv;
    redisReply *reply = r;
    if (!reply)
        p->count_fn(p->ud, CW_EUNAVAIL, 0);
    else if (reply->type == REDIS_REPLY_INTEGER)
        p->count_fn(p->ud, 0, reply->integer ? 1 : 0);
    else
        p->count_fn(p->ud, failed(p->cache, reply), 0);
    free(p);
}

int cw_cache_server_alive(cw_cache *c, const char *server, cw_cache_count_fn cb, void *ud)
{
    char key[sizeof CW_KEY_PRESENCE_ALIVE + CW_CACHE_NAME_MAX];
    if (!c || !cb || !cw_cache_valid_name(server)) return CW_EINVAL;
    if (!cw_cache_available(c)) return CW_EUNAVAIL;
    snprintf(key, sizeof key, "%s%s", CW_KEY_PRESENCE_ALIVE, server);
    spending *p = spending_new(c, ud);
    if (!p) return CW_ENOMEM;
    p->count_fn = cb;
    const char *ex[] = {"EXISTS", key};
    int rc = cw_cache_send(&c->cmd, on_exists, p, 2, ex, NULL);
    if (rc != 0) free(p);
    return rc;
}

int cw_cache_counter_incr(cw_cache *c, const char *name, int window_s, cw_cache_count_fn cb,
                          void *ud)
{
    char key[sizeof CW_KEY_COUNTER + CW_CACHE_NAME_MAX], ttl[16];
    if (!c || !cb || !cw_cache_valid_name(name) || window_s < 1 || window_s > COUNTER_WINDOW_MAX_S)
        return CW_EINVAL;
    if (!cw_cache_available(c)) return CW_EUNAVAIL;
    snprintf(key, sizeof key, "%s%s", CW_KEY_COUNTER, name);
    snprintf(ttl, sizeof ttl, "%d", window_s);
    spending *p = spending_new(c, ud);
    if (!p) return CW_ENOMEM;
    p->count_fn = cb;
    /* One connection, sent in one go: the window starts with the first
     * attempt (SET NX EX) and INCR keeps its TTL. */
    const char *multi[] = {"MULTI"}, *set[] = {"SET", key, "0", "EX", ttl, "NX"},
               *incr[] = {"INCR", key}, *exec[] = {"EXEC"};
    int rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 1, multi, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 6, set, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, incr, NULL);
    if (rc == 0) rc = cw_cache_send(&c->cmd, on_count, p, 1, exec, NULL);
    if (rc != 0) free(p);
    return rc;
}

/* ---- mutes ----------------------------------------------------------------------------- */

int cw_cache_mute_set(cw_cache *c, const char *name, const char *value, size_t len, int ttl_s)
{
    char lname[CW_CACHE_NAME_MAX + 1], key[sizeof CW_KEY_MUTE + CW_CACHE_NAME_MAX], ttl[16];
    if (!c || !cw_cache_valid_name(name) || !value || len == 0 || ttl_s < 1 ||
        ttl_s > MUTE_TTL_MAX_S)
        return CW_EINVAL;
    lower_copy(name, lname);
    snprintf(key, sizeof key, "%s%s", CW_KEY_MUTE, lname);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *set[] = {"SET", key, value, "EX", ttl};
    size_t lens[] = {3, strlen(key), len, 2, strlen(ttl)};
    int rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 5, set, lens);
    if (rc != 0) return rc;
    const char *sadd[] = {"SADD", CW_KEY_MUTES, lname};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 3, sadd, NULL);
}

int cw_cache_mute_del(cw_cache *c, const char *name)
{
    char lname[CW_CACHE_NAME_MAX + 1], key[sizeof CW_KEY_MUTE + CW_CACHE_NAME_MAX];
    if (!c || !cw_cache_valid_name(name)) return CW_EINVAL;
    lower_copy(name, lname);
    snprintf(key, sizeof key, "%s%s", CW_KEY_MUTE, lname);
    const char *del[] = {"DEL", key};
    int rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, del, NULL);
    if (rc != 0) return rc;
    const char *srem[] = {"SREM", CW_KEY_MUTES, lname};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 3, srem, NULL);
}

static void on_mutes(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    spending *p = priv;
    redisReply *reply = r;
    int rc = 0;
    if (!reply) {
        rc = CW_EUNAVAIL;
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements % 3 == 0) {
        for (size_t i = 0; i + 2 < reply->elements; i += 3) {
            redisReply *n = reply->element[i], *v = reply->element[i + 1],
                       *t = reply->element[i + 2];
            if (n->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
                t->type != REDIS_REPLY_INTEGER || t->integer < 1 || t->integer > MUTE_TTL_MAX_S)
                continue;
            p->mute_fn(p->ud, n->str, v->str, v->len, (int)t->integer);
        }
    } else {
        rc = failed(p->cache, reply);
    }
    p->done_fn(p->ud, rc);
    free(p);
}

int cw_cache_mutes_list(cw_cache *c, cw_cache_mute_fn each, cw_cache_done_fn done, void *ud)
{
    if (!c || !each || !done) return CW_EINVAL;
    spending *p = spending_new(c, ud);
    if (!p) return CW_ENOMEM;
    p->mute_fn = each;
    p->done_fn = done;
    const char *argv[] = {"EVAL", SCRIPT_MUTES, "1", CW_KEY_MUTES, CW_KEY_MUTE};
    int rc = cw_cache_send(&c->cmd, on_mutes, p, 5, argv, NULL);
    if (rc != 0) free(p);
    return rc;
}
