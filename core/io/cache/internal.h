/* internal.h — structures shared by the files of core/io/cache only. */
#ifndef CW_CACHE_INTERNAL_H
#define CW_CACHE_INTERNAL_H

#include "core/io/cache/cache.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <stdint.h>

#define CW_CACHE_SERVER_MAX 64
#define CW_CACHE_BACKOFF_MIN_MS 100
#define CW_CACHE_BACKOFF_MAX_MS 5000
#define CW_CACHE_CONNECT_TIMEOUT_MS 5000 /* TCP connect + handshake */
#define CW_CACHE_HEARTBEAT_MS 1000       /* presence:alive:<server> refresh */
#define CW_CACHE_HEARTBEAT_TTL_S 4       /* a silent server is offline after this */
#define CW_CACHE_REPLY_TIMEOUT_MS 5000   /* an unanswered heartbeat drops the link */

/* Key names, also documented in docs/redis.md. */
#define CW_KEY_PRESENCE "presence"
#define CW_KEY_PRESENCE_SERVER "presence:server:"
#define CW_KEY_PRESENCE_ALIVE "presence:alive:"
#define CW_KEY_SESSION "session:"
#define CW_KEY_CLUSTER_PROCESS "cluster:process:"
#define CW_KEY_HANDOFF "handoff:"
#define CW_KEY_ACCOUNT "account:"
#define CW_KEY_ACCOUNT_SERVER "account:server:"
#define CW_KEY_COUNTER "counter:"
#define CW_KEY_MUTE "mute:"
#define CW_KEY_MUTES "mutes"

typedef enum { CONN_IDLE = 0, CONN_CONNECTING, CONN_READY } cw_conn_state;

/* One of the two Redis connections. IDLE: no context, a retry may be armed.
 * CONNECTING: a context exists; TCP connect or the AUTH/SELECT/PING handshake is
 * in flight. READY: the handshake answered; commands may be sent. */
typedef struct cw_cache_conn {
    cw_cache *cache;
    const char *role; /* "command" or "subscriber", for logs */
    int is_sub;
    redisAsyncContext *ac;
    cw_conn_state state;
    int handshake_failed;
    int dying;        /* being freed by us: refuse new commands */
    char reason[160]; /* why the current attempt ended, when we know better than hiredis */
    struct event *retry;
    int backoff_ms;
    uint64_t since_ns; /* when the current state began */
    int fail_streak;   /* failed attempts since the last READY */
    int ever_ready;
} cw_cache_conn;

typedef struct cw_cache_sub {
    cw_cache *cache;
    char *channel;
    cw_cache_msg_fn fn;
    void *ud;
    struct cw_cache_sub *next;
} cw_cache_sub;

struct cw_cache {
    struct event_base *base;
    cw_cache_url url;
    char server[CW_CACHE_SERVER_MAX + 1];
    char server_set_key[sizeof(CW_KEY_PRESENCE_SERVER) + CW_CACHE_SERVER_MAX];
    char alive_key[sizeof(CW_KEY_PRESENCE_ALIVE) + CW_CACHE_SERVER_MAX];
    char account_set_key[sizeof(CW_KEY_ACCOUNT_SERVER) + CW_CACHE_SERVER_MAX];
    cw_cache_conn cmd, sub;
    struct event *tick;
    int hb_outstanding;
    uint64_t hb_sent_ns;
    cw_cache_rebuild_fn rebuild;
    void *rebuild_ud;
    cw_cache_sub *subs;
    int closing;
    cw_metric *m_available, *m_reconnects, *m_errors, *m_commands;
};

/* url.c: cw_cache_url_parse / cw_cache_url_clear are in cache.h */

/* cache.c */
/* Sends one command on conn (argv form) if it may take one: 0, or CW_EUNAVAIL. */
int cw_cache_send(cw_cache_conn *conn, redisCallbackFn *fn, void *priv, int argc, const char **argv,
                  const size_t *lens);
/* Reply callback for fire-and-forget commands (priv = the cw_cache): counts and
 * logs error replies. */
void cw_cache_on_reply(redisAsyncContext *ac, void *reply, void *priv);
void cw_cache_count_error(cw_cache *c);

/* ops.c */
/* Called once the command connection is READY: heartbeat, clear this server's
 * old presence, then the app's rebuild. */
void cw_cache_on_command_ready(cw_cache *c);
void cw_cache_heartbeat(cw_cache *c);
/* shared.c: queues the removal of this server's old account entries (on
 * every connect of the command connection, before the app's rebuild). */
void cw_cache_accounts_clear_own(cw_cache *c);
/* Called once the subscriber connection is READY, and by subscribe. */
int cw_cache_send_subscribe(cw_cache *c, cw_cache_sub *s);
/* 1 if s is acceptable as a name/token/channel: 1..CW_CACHE_NAME_MAX bytes, no
 * control characters. */
int cw_cache_valid_name(const char *s);

#endif
