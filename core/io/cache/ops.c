/* ops.c — what the game asks of Redis: presence, sessions, pub/sub. Every command
 * goes out in hiredis' argv form; no command text is ever assembled by hand.
 *
 * The presence scripts compare the owner recorded in the entry with this server
 * before deleting, so a server that cleans up late never removes a player who
 * has already arrived somewhere else. */
#include "core/io/cache/internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] presence hash, KEYS[2] this server's set; ARGV[1] name, ARGV[2] server. */
static const char SCRIPT_CLEAR_ONE[] =
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if v then\n"
    "  local ok, p = pcall(cjson.decode, v)\n"
    "  if not ok or type(p) ~= 'table' or p.server == ARGV[2] then\n"
    "    redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "  end\n"
    "end\n"
    "redis.call('SREM', KEYS[2], ARGV[1])\n"
    "return 0\n";

/* KEYS[1] presence hash, KEYS[2] this server's set; ARGV[1] server. */
static const char SCRIPT_CLEAR_ALL[] =
    "local names = redis.call('SMEMBERS', KEYS[2])\n"
    "for _, n in ipairs(names) do\n"
    "  local v = redis.call('HGET', KEYS[1], n)\n"
    "  if v then\n"
    "    local ok, p = pcall(cjson.decode, v)\n"
    "    if not ok or type(p) ~= 'table' or p.server == ARGV[1] then\n"
    "      redis.call('HDEL', KEYS[1], n)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "redis.call('DEL', KEYS[2])\n"
    "return #names\n";

/* KEYS[1] presence hash; ARGV[1] name, ARGV[2] the alive-key prefix.
 * Returns {server, entry} or nil when absent or when the owner stopped beating. */
static const char SCRIPT_GET[] =
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v then return false end\n"
    "local ok, p = pcall(cjson.decode, v)\n"
    "if not ok or type(p) ~= 'table' or type(p.server) ~= 'string' then return false end\n"
    "if redis.call('EXISTS', ARGV[2] .. p.server) == 0 then return false end\n"
    "return {p.server, v}\n";

typedef struct pending {
    cw_cache *cache;
    cw_cache_presence_fn presence_fn;
    cw_cache_session_fn session_fn;
    void *ud;
} pending;

int cw_cache_valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CW_CACHE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) return 0;
    }
    return 1;
}

/* Presence is keyed by the ASCII-lowercased name ("Alice" and "alice" are one). */
static void lower_name(const char *in, char out[CW_CACHE_NAME_MAX + 1])
{
    size_t i = 0;
    for (; in[i] && i < CW_CACHE_NAME_MAX; i++) {
        char ch = in[i];
        out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    out[i] = '\0';
}

static int reply_error(cw_cache *c, const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        cw_cache_count_error(c);
        cw_log(CW_LOG_WARN, "redis command failed", CW_S("server", c->server),
               CW_S("error", reply->str), CW_END);
    }
    return CW_EIO;
}

/* ---- connect-time work --------------------------------------------------------- */

static void on_heartbeat(redisAsyncContext *ac, void *r, void *priv)
{
    cw_cache *c = priv;
    c->hb_outstanding = 0;
    cw_cache_on_reply(ac, r, priv);
}

void cw_cache_heartbeat(cw_cache *c)
{
    char now[32], ttl[16];
    snprintf(now, sizeof now, "%" PRId64, cw_wall_ms());
    snprintf(ttl, sizeof ttl, "%d", CW_CACHE_HEARTBEAT_TTL_S);
    const char *argv[] = {"SET", c->alive_key, now, "EX", ttl};
    c->hb_sent_ns = cw_now_ns();
    if (cw_cache_send(&c->cmd, on_heartbeat, c, 5, argv, NULL) == 0) c->hb_outstanding = 1;
}

void cw_cache_on_command_ready(cw_cache *c)
{
    c->hb_outstanding = 0;
    cw_cache_heartbeat(c);
    /* Replies come back in order on one connection, so the re-published entries
     * queued by the rebuild below land after this clean-up, never before. */
    const char *argv[] = {"EVAL",          SCRIPT_CLEAR_ALL,  "2",
                          CW_KEY_PRESENCE, c->server_set_key, c->server};
    cw_cache_send(&c->cmd, cw_cache_on_reply, c, 6, argv, NULL);
    cw_cache_accounts_clear_own(c);
    if (c->rebuild) c->rebuild(c->rebuild_ud, c);
}

/* ---- presence ------------------------------------------------------------------ */

int cw_cache_presence_set(cw_cache *c, const char *character_name, int64_t account_id)
{
    if (!c || !cw_cache_valid_name(character_name)) return CW_EINVAL;
    if (!cw_cache_available(c)) return CW_EUNAVAIL;
    char name[CW_CACHE_NAME_MAX + 1], entry[256];
    lower_name(character_name, name);
    /* The server name is restricted to [A-Za-z0-9_.:-]: nothing to escape. */
    snprintf(entry, sizeof entry,
             "{\"server\":\"%s\",\"account\":%" PRId64 ",\"since\":%" PRId64 "}", c->server,
             account_id, cw_wall_ms() / 1000);
    const char *hset[] = {"HSET", CW_KEY_PRESENCE, name, entry};
    int rc = cw_cache_send(&c->cmd, cw_cache_on_reply, c, 4, hset, NULL);
    if (rc != 0) return rc;
    const char *sadd[] = {"SADD", c->server_set_key, name};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 3, sadd, NULL);
}

int cw_cache_presence_clear(cw_cache *c, const char *character_name)
{
    if (!c || !cw_cache_valid_name(character_name)) return CW_EINVAL;
    char name[CW_CACHE_NAME_MAX + 1];
    lower_name(character_name, name);
    const char *argv[] = {"EVAL", SCRIPT_CLEAR_ONE, "2", CW_KEY_PRESENCE, c->server_set_key,
                          name,   c->server};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 7, argv, NULL);
}

static void on_presence(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    pending *p = priv;
    redisReply *reply = r;
    int rc;
    const char *server = NULL;
    int64_t account = 0;
    if (!reply) {
        rc = CW_EUNAVAIL;
    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = CW_ENOTFOUND;
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
               reply->element[0]->type == REDIS_REPLY_STRING &&
               reply->element[1]->type == REDIS_REPLY_STRING) {
        server = reply->element[0]->str;
        const char *acc = strstr(reply->element[1]->str, "\"account\":");
        if (acc) account = strtoll(acc + 10, NULL, 10);
        rc = 0;
    } else {
        rc = reply_error(p->cache, reply);
    }
    p->presence_fn(p->ud, rc, server, account);
    free(p);
}

int cw_cache_presence_get(cw_cache *c, const char *character_name, cw_cache_presence_fn cb,
                          void *ud)
{
    if (!c || !cb || !cw_cache_valid_name(character_name)) return CW_EINVAL;
    char name[CW_CACHE_NAME_MAX + 1];
    lower_name(character_name, name);
    pending *p = calloc(1, sizeof *p);
    if (!p) return CW_ENOMEM;
    *p = (pending){.cache = c, .presence_fn = cb, .ud = ud};
    const char *argv[] = {"EVAL", SCRIPT_GET, "1", CW_KEY_PRESENCE, name, CW_KEY_PRESENCE_ALIVE};
    int rc = cw_cache_send(&c->cmd, on_presence, p, 6, argv, NULL);
    if (rc != 0) free(p);
    return rc;
}

/* ---- sessions ------------------------------------------------------------------ */

static int session_key(const char *token, char key[sizeof CW_KEY_SESSION + CW_CACHE_NAME_MAX])
{
    if (!cw_cache_valid_name(token)) return CW_EINVAL;
    snprintf(key, sizeof CW_KEY_SESSION + CW_CACHE_NAME_MAX, "%s%s", CW_KEY_SESSION, token);
    return 0;
}

int cw_cache_session_set(cw_cache *c, const char *token, int64_t account_id, int ttl_s)
{
    char key[sizeof CW_KEY_SESSION + CW_CACHE_NAME_MAX], val[32], ttl[16];
    if (!c || session_key(token, key) != 0 || ttl_s < 1 || ttl_s > 30 * 24 * 3600) return CW_EINVAL;
    snprintf(val, sizeof val, "%" PRId64, account_id);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, val, "EX", ttl};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 5, argv, NULL);
}

static void on_session(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    pending *p = priv;
    redisReply *reply = r;
    int rc;
    int64_t account = 0;
    if (!reply) {
        rc = CW_EUNAVAIL;
    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = CW_ENOTFOUND;
    } else if (reply->type == REDIS_REPLY_STRING) {
        char *end;
        errno = 0;
        long long v = strtoll(reply->str, &end, 10);
        rc = (errno == 0 && end != reply->str && *end == '\0') ? 0 : CW_EIO;
        if (rc == 0) account = v;
    } else {
        rc = reply_error(p->cache, reply);
    }
    p->session_fn(p->ud, rc, account);
    free(p);
}

int cw_cache_session_get(cw_cache *c, const char *token, cw_cache_session_fn cb, void *ud)
{
    char key[sizeof CW_KEY_SESSION + CW_CACHE_NAME_MAX];
    if (!c || !cb || session_key(token, key) != 0) return CW_EINVAL;
    pending *p = calloc(1, sizeof *p);
    if (!p) return CW_ENOMEM;
    *p = (pending){.cache = c, .session_fn = cb, .ud = ud};
    const char *argv[] = {"GET", key};
    int rc = cw_cache_send(&c->cmd, on_session, p, 2, argv, NULL);
    if (rc != 0) free(p);
    return rc;
}

int cw_cache_session_del(cw_cache *c, const char *token)
{
    char key[sizeof CW_KEY_SESSION + CW_CACHE_NAME_MAX];
    if (!c || session_key(token, key) != 0) return CW_EINVAL;
    const char *argv[] = {"DEL", key};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 2, argv, NULL);
}

/* ---- pub/sub ------------------------------------------------------------------- */

/* Called for the SUBSCRIBE confirmation, every message, and with NULL when the
 * subscriber connection goes away (the subscription is re-sent on reconnect). */
static void on_message(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    cw_cache_sub *s = priv;
    redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    redisReply *kind = reply->element[0], *chan = reply->element[1], *msg = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") != 0) return;
    if (chan->type != REDIS_REPLY_STRING || msg->type != REDIS_REPLY_STRING) return;
    s->fn(s->ud, chan->str, msg->str, msg->len);
}

int cw_cache_send_subscribe(cw_cache *c, cw_cache_sub *s)
{
    const char *argv[] = {"SUBSCRIBE", s->channel};
    return cw_cache_send(&c->sub, on_message, s, 2, argv, NULL);
}

int cw_cache_subscribe(cw_cache *c, const char *channel, cw_cache_msg_fn on_msg, void *ud)
{
    if (!c || !on_msg || !cw_cache_valid_name(channel)) return CW_EINVAL;
    cw_cache_sub **tail = &c->subs;
    for (; *tail; tail = &(*tail)->next)
        if (strcmp((*tail)->channel, channel) == 0) return CW_EEXIST;
    cw_cache_sub *s = calloc(1, sizeof *s);
    if (!s || !(s->channel = strdup(channel))) {
        free(s);
        return CW_ENOMEM;
    }
    s->cache = c;
    s->fn = on_msg;
    s->ud = ud;
    *tail = s;
    /* If the link is down (or dies now), conn_ready sends it later. */
    cw_cache_send_subscribe(c, s);
    return 0;
}

int cw_cache_publish(cw_cache *c, const char *channel, const char *msg, size_t len)
{
    if (!c || !cw_cache_valid_name(channel) || (!msg && len > 0)) return CW_EINVAL;
    const char *argv[] = {"PUBLISH", channel, msg ? msg : ""};
    size_t lens[] = {7, strlen(channel), len};
    return cw_cache_send(&c->cmd, cw_cache_on_reply, c, 3, argv, lens);
}
