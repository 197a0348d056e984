/* cache.h — Redis for sessions, presence and cross-server pub/sub, spoken through
 * hiredis' asynchronous API on the game loop (libevent adapter). See docs/redis.md
 * for the key layout.
 *
 * Redis is optional and never stops the game. cw_cache_new only parses the URL and
 * starts connecting; it succeeds while Redis is down and keeps retrying with
 * backoff (100 ms doubling to 5 s) for as long as the cache lives. Two connections
 * are kept: one for commands, one for SUBSCRIBE (hiredis requires a dedicated one).
 *
 * Threading: every function, and every callback, runs on the thread that runs the
 * event_base given to cw_cache_new. Nothing blocks except the name lookup of the
 * host in the URL (use an IP address where that matters).
 *
 * Ownership: the cache copies every string it is given. Strings passed to
 * callbacks are valid only during the callback.
 *
 * Errors: functions return 0 or a negative CW_E* code.
 *   - CW_EINVAL    bad argument (empty or over-long name, token, channel, …).
 *   - CW_EUNAVAIL  Redis is not connected right now. Nothing is queued: the app
 *                  keeps the local truth and republishes it from the rebuild
 *                  callback once Redis is back.
 *   - CW_ENOMEM    out of memory.
 * A lookup (…_get) that returns 0 calls its callback exactly once, later, from
 * the loop — with the answer, or with CW_EUNAVAIL if the connection is lost (or
 * the cache freed) first. A lookup that returns non-zero never calls it.
 * Callbacks must not call cw_cache_free. */
#ifndef CW_IO_CACHE_H
#define CW_IO_CACHE_H

#include "core/base/err.h"
#include "core/base/metrics.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct cw_cache cw_cache;

/* Longest server name, character name, session token or channel accepted. */
#define CW_CACHE_NAME_MAX 128

/* A parsed redis:// URL (also for tools that speak to Redis themselves:
 * chaosctl cluster). The strings are owned by it (cw_cache_url_clear). */
typedef struct cw_cache_url {
    char host[256];
    int port;
    int db;
    char *user;     /* NULL: AUTH <password> (or no AUTH) */
    char *password; /* NULL: no AUTH */
} cw_cache_url;
/* 0, or CW_EINVAL with err saying what is wrong (see cw_cache_new). */
int cw_cache_url_parse(const char *url, cw_cache_url *out, cw_error *err);
void cw_cache_url_clear(cw_cache_url *u);

/* url: redis://[[user]:password@]host[:port][/db] (port 6379, db 0 by default);
 * any other scheme (rediss://, unix://, …) is refused with CW_EINVAL.
 * server_name: this process' name in presence, 1..64 bytes of [A-Za-z0-9_.:-].
 * m: registry for the chaos_redis_* metrics, or NULL.
 * Returns NULL and sets err on a bad argument or out of memory only. */
cw_cache *cw_cache_new(struct event_base *base, const char *url, const char *server_name,
                       cw_metrics *m, cw_error *err);
/* Closes both connections. Pending lookups get CW_EUNAVAIL. NULL is allowed. */
void cw_cache_free(cw_cache *c);

/* 1 when the command connection is up and has answered (commands will be sent),
 * 0 otherwise. */
int cw_cache_available(const cw_cache *c);

/* ---- Presence: "is X online, and on which server" ------------------------------ */

/* Marks character_name (compared case-insensitively, ASCII) online on this server.
 * Overwrites an older entry from any server. */
int cw_cache_presence_set(cw_cache *c, const char *character_name, int64_t account_id);
/* Removes the entry — only if it still belongs to this server (a player who has
 * already moved on to another server stays online there). */
int cw_cache_presence_clear(cw_cache *c, const char *character_name);

/* rc: 0 (online; server and account set), CW_ENOTFOUND (offline, or its server
 * has stopped heart-beating), CW_EUNAVAIL / CW_EIO (no answer). server is NULL
 * unless rc is 0. */
typedef void (*cw_cache_presence_fn)(void *ud, int rc, const char *server, int64_t account_id);
int cw_cache_presence_get(cw_cache *c, const char *character_name, cw_cache_presence_fn cb,
                          void *ud);

/* fn runs after every (re)connect of the command connection, once this server's
 * old presence entries have been queued for removal: it should call
 * cw_cache_presence_set for everyone online here. fn NULL disables it. */
typedef void (*cw_cache_rebuild_fn)(void *ud, cw_cache *c);
void cw_cache_set_rebuild(cw_cache *c, cw_cache_rebuild_fn fn, void *ud);

/* ---- Sessions: session:<token> -> account id, with a TTL ------------------------ */

/* ttl_s: 1..(30 days). */
int cw_cache_session_set(cw_cache *c, const char *token, int64_t account_id, int ttl_s);
/* rc: 0 (account_id set), CW_ENOTFOUND (unknown or expired), CW_EUNAVAIL / CW_EIO. */
typedef void (*cw_cache_session_fn)(void *ud, int rc, int64_t account_id);
int cw_cache_session_get(cw_cache *c, const char *token, cw_cache_session_fn cb, void *ud);
int cw_cache_session_del(cw_cache *c, const char *token);

/* ---- Cluster: process announcements and hand-off tokens ------------------------ */

/* A lookup's answer: rc 0 (value, len set; binary, NUL-terminated), CW_ENOTFOUND
 * (no such key, or it expired), CW_EUNAVAIL / CW_EIO. */
typedef void (*cw_cache_value_fn)(void *ud, int rc, const char *value, size_t len);
/* A write's answer: rc 0, CW_EEXIST (hand-off token taken), CW_EUNAVAIL / CW_EIO. */
typedef void (*cw_cache_done_fn)(void *ud, int rc);

/* Writes cluster:process:<this server> = value (len > 0 bytes) with a TTL of
 * ttl_s (1..30 days) seconds: the process is "announced" while it exists.
 * Fire and forget. */
int cw_cache_cluster_announce(cw_cache *c, const char *value, size_t len, int ttl_s);
/* Deletes this server's announcement (shutdown). Fire and forget. */
int cw_cache_cluster_withdraw(cw_cache *c);
/* The announcement of process (a server name), or CW_ENOTFOUND. */
int cw_cache_cluster_process_get(cw_cache *c, const char *process, cw_cache_value_fn cb, void *ud);
/* Stores handoff:<token> = value for ttl_s seconds, only if no such token
 * exists (CW_EEXIST). token: a name as for presence (1..CW_CACHE_NAME_MAX). */
int cw_cache_handoff_put(cw_cache *c, const char *token, const char *value, size_t len, int ttl_s,
                         cw_cache_done_fn cb, void *ud);
/* Reads and deletes handoff:<token> atomically (MULTI GET DEL EXEC): of any
 * number of takers of one token, exactly one gets rc 0; the others, and
 * everyone after the TTL, get CW_ENOTFOUND. */
int cw_cache_handoff_take(cw_cache *c, const char *token, cw_cache_value_fn cb, void *ud);

/* ---- Account sessions: account:<name> -> "<server> <nonce>" --------------------- */

/* The live session of an account across the cluster: which server holds it
 * and that session's nonce (1..64 bytes of [A-Za-z0-9], chosen by the app).
 * Entries have no TTL: each server removes its own on logout (release) and,
 * on every (re)connect of the command connection, every entry it still owns
 * (the set account:server:<server>) before the rebuild callback runs. An
 * entry of a server whose heartbeat (presence:alive:<server>) has expired is
 * reported with alive 0: a server killed with -9 locks nobody out. */
#define CW_CACHE_NONCE_MAX 64

/* The answer of a claim: rc 0 with the entry it replaced (prev_server NULL
 * when there was none; else prev_nonce set and prev_alive 1 while that
 * server heart-beats), or CW_EUNAVAIL / CW_EIO. */
typedef void (*cw_cache_claim_fn)(void *ud, int rc, const char *prev_server, const char *prev_nonce,
                                  int prev_alive);
/* Writes account:<account> = "<this server> <nonce>" and returns, in one
 * step, the entry it replaced. account: an account name (compared
 * case-insensitively, ASCII; a name, not an id, so that servers on separate
 * databases never mix two accounts up). */
int cw_cache_account_claim(cw_cache *c, const char *account, const char *nonce,
                           cw_cache_claim_fn cb, void *ud);
/* Only if account:<account> is still "<this server> <nonce>": replaces it
 * with "<put_server> <put_nonce>" (a claim undone), or deletes it when
 * put_server is NULL (logout). Fire and forget. */
int cw_cache_account_release(cw_cache *c, const char *account, const char *nonce,
                             const char *put_server, const char *put_nonce);

/* ---- Shared counters: counter:<name>, a fixed window ---------------------------- */

/* rc 0 with the count in this window (1 for the first), or CW_EUNAVAIL / CW_EIO. */
typedef void (*cw_cache_count_fn)(void *ud, int rc, int64_t count);
/* Adds 1 to counter:<name>, created with a TTL of window_s (1..86400) seconds
 * when absent (MULTI SET NX EX, INCR, EXEC: no script). name: as a channel. */
int cw_cache_counter_incr(cw_cache *c, const char *name, int window_s, cw_cache_count_fn cb,
                          void *ud);
/* Whether server still heart-beats (presence:alive:<server> exists): cb gets
 * rc 0 with count 1 or 0, or CW_EUNAVAIL / CW_EIO. */
int cw_cache_server_alive(cw_cache *c, const char *server, cw_cache_count_fn cb, void *ud);

/* ---- Chat mutes: mute:<name> with the mute's TTL, indexed by the set mutes ----- */

/* name: a character name (compared case-insensitively, ASCII); value: opaque
 * bytes (len > 0); ttl_s 1..(366 days). Fire and forget. */
int cw_cache_mute_set(cw_cache *c, const char *name, const char *value, size_t len, int ttl_s);
int cw_cache_mute_del(cw_cache *c, const char *name);
/* Every live mute: each(ud, name, value, len, ttl_s) per mute, then
 * done(ud, rc) exactly once (rc 0, CW_EUNAVAIL or CW_EIO; each is not called
 * unless rc is 0). Expired names are dropped from the index on the way. */
typedef void (*cw_cache_mute_fn)(void *ud, const char *name, const char *value, size_t len,
                                 int ttl_s);
int cw_cache_mutes_list(cw_cache *c, cw_cache_mute_fn each, cw_cache_done_fn done, void *ud);

/* ---- Pub/sub (a separate subscriber connection) -------------------------------- */

/* msg is binary (len bytes, NUL-terminated for convenience). */
typedef void (*cw_cache_msg_fn)(void *ud, const char *channel, const char *msg, size_t len);
/* Registers on_msg for channel, at most one handler per channel (CW_EEXIST).
 * Works while Redis is down: the subscription is (re)issued on every connect. */
int cw_cache_subscribe(cw_cache *c, const char *channel, cw_cache_msg_fn on_msg, void *ud);
/* Fire and forget: messages published while Redis is down are dropped (CW_EUNAVAIL). */
int cw_cache_publish(cw_cache *c, const char *channel, const char *msg, size_t len);

#endif
