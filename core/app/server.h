/* server.h — chaosd: the one struct that knows every subsystem.
 *
 * The server owns the event loop, the config, the metrics registry, the game
 * listener, the script host, the admin console and the HTTP endpoints. It is
 * the only mutable global state of the process (held by main's stack).
 * Functions return 0 or a negative CW_E* code with err filled. */
#ifndef CW_APP_SERVER_H
#define CW_APP_SERVER_H

#include "core/base/config.h"
#include "core/base/err.h"
#include "core/base/metrics.h"
#include "core/base/strbuf.h"

#include <stdint.h>

struct event_base;
struct event;
typedef struct cw_net cw_net;
typedef struct cw_host cw_host;
typedef struct cw_admin cw_admin;
typedef struct cw_http cw_http;
typedef struct cw_router cw_router;
typedef struct cw_store cw_store;
typedef struct cw_work cw_work;
typedef struct cw_players cw_players;
struct cw_accounts;
struct cw_saver;
struct cw_grants;
struct cw_chat;
struct cw_combat_app;

typedef struct cw_server {
    cw_config cfg;
    struct event_base *base;
    cw_metrics *metrics;
    cw_net *net;
    cw_host *host;
    cw_admin *admin;
    cw_http *http;
    cw_router *router;
    /* accounts and persistence (accounts.h) */
    cw_store *store;
    int store_closing;      /* no new store calls (the store is draining or gone) */
    cw_work *work;          /* password hashing */
    struct cw_cache *cache; /* Redis presence and pub/sub; NULL without redis.url */
    cw_players *players;
    struct cw_accounts *accounts;
    struct cw_saver *saver;
    struct cw_grants *grants;
    struct cw_world_app *world;   /* zones, entities, tick (world_app.h) */
    struct cw_chat *chat;         /* chat.c: rate limits, mutes */
    struct cw_combat_app *combat; /* monsters and combat (combat_app.h) */
    struct cw_script_app *script; /* the game wired to content (script_app.h) */
    struct cw_trade_app *trade;   /* trades between players (trade_app.h) */
    struct cw_guild_app *guild;   /* pending guild creations (guild_app.h) */
    /* guild rules from the content (rules.settings: guild_fee, guild_members,
     * guild_invite_s), set after every load; defaults until the first */
    struct {
        int64_t fee;
        int members;
        int invite_s;
    } guild_rules;
    struct cw_cluster *cluster; /* zone owners, announcement, hand-offs (cluster.h) */
    char admin_token[80];
    uint64_t start_ns;
    uint64_t seed;
    /* loop health */
    struct event *lag_ev;
    uint64_t lag_expected_ns;
    double loop_lag_s; /* last measured */
    double loop_lag_max_s;
    cw_metric *m_lag;
    /* hot reload by watching files */
    struct event *watch_ev;
    uint64_t watch_sig;
    /* shutdown */
    struct event *sig_term, *sig_int, *sig_hup;
    struct event *shutdown_ev;
    int stopping;
    int final_flush_done; /* the shutdown save of every character has finished */
    uint64_t stop_deadline_ns;
    int exit_code;
} cw_server;

/* Loads the content, binds every listener and writes the admin token.
 * On failure everything built so far is torn down. */
int cw_server_start(cw_server *s, cw_error *err);
/* Runs the loop until shutdown completes; returns the process exit code. */
int cw_server_run(cw_server *s);
/* Frees everything (safe after a failed start). */
void cw_server_free(cw_server *s);

/* Starts a graceful shutdown: stop accepting, tell clients, save every
 * character (waits for that final flush, however long the store takes up to
 * its retry deadline), flush the sockets, exit. */
void cw_server_shutdown(cw_server *s, const char *reason);
/* Reloads content; errors (one per line) appended to errors. */
int cw_server_reload(cw_server *s, cw_strbuf *errors);

/* admin_cmds.c: registers status, reload, shutdown on the console. */
int cw_server_admin_commands(cw_server *s);
/* token.c: the admin token from config, or read/generated in var_dir. */
int cw_server_admin_token(cw_server *s, cw_error *err);
/* config_file.c: applies a Lua config file (returns a nested table). */
int cw_config_load_lua(cw_config *cfg, const char *path, cw_error *err);
/* watch.c: fingerprint of the script and content trees (0 when unreadable). */
uint64_t cw_server_tree_signature(const cw_server *s);

/* router.c: the op table. C ops first, then the live generation's Lua ops. */
cw_router *cw_router_new(cw_server *s);
void cw_router_free(cw_router *r);
struct cw_conn;
struct cw_request;
void cw_router_dispatch(cw_router *r, struct cw_conn *c, const struct cw_request *req);

#endif
