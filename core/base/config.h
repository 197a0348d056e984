/* config.h — the server's settings: one flat table of typed keys.
 *
 * Sources, lowest precedence first: built-in defaults, the Lua config file
 * (read by core/app, which calls cw_config_set for each key), CHAOS_* environment
 * variables (CHAOS_NET_PORT sets "net.port"), then command-line flags.
 * Every key is listed with its help in cw_config_keys, so --help and the docs
 * stay in step with the code.
 *
 * Ownership: cw_config owns its strings (freed by cw_config_free). Setting an
 * unknown key or an unparsable/out-of-range value returns CW_EINVAL with a
 * message naming the key, and leaves the config unchanged. */
#ifndef CW_BASE_CONFIG_H
#define CW_BASE_CONFIG_H

#include "core/base/err.h"
#include "core/base/strbuf.h"

#include <stddef.h>

typedef struct cw_config {
    char *server_name;
    int background_nice; /* server.background_nice (core/base/thread.h) */
    char *var_dir;
    char *log_level;
    /* game TCP */
    char *net_host;
    int net_port;
    int net_max_frame;
    int net_max_connections;
    double net_rate;
    double net_burst;
    int net_abuse_strikes;
    int net_idle_timeout_s;
    int net_max_output;
    int net_fd_reserve;
    /* admin console */
    char *admin_host;
    int admin_port;
    char *admin_token;
    /* HTTP */
    char *http_host;
    int http_port;
    /* Lua */
    char *lua_scripts_dir;
    char *lua_content_dir;
    int lua_budget_ms;
    int lua_jit;
    int lua_watch_ms;
    int lua_data_max_kib;     /* per-character script data cap */
    int game_inventory_slots; /* inventory slots per character */
    int lua_memory_mb;
    /* persistence */
    char *store_url;
    int store_migrate;
    int store_save_interval_ms;
    int store_retry_deadline_ms;
    char *redis_url;
    /* cluster (core/app/cluster.c) */
    char *cluster_advertise;
    int cluster_handoff_ttl;
    int cluster_refresh_ms;
    /* accounts */
    int auth_opslimit;
    int auth_memlimit_kib;
    int auth_workers;
    double auth_login_rate_account;
    double auth_login_rate_addr;
    int account_max_characters; /* characters one account may have */
    /* lifecycle */
    int shutdown_grace_ms;

    int world_tick_hz;
    int world_event_backlog_kib;
    int world_event_delay_ms;
    int world_interest_full;
    int world_interest_far_ms;
    int world_interest_cap;
    long long seed;
} cw_config;

enum { CW_CFG_STR, CW_CFG_INT, CW_CFG_DBL, CW_CFG_BOOL };

typedef struct cw_config_key {
    const char *key; /* "net.port" */
    int type;
    size_t offset;
    double min, max; /* for numbers */
    const char *def; /* default, as text */
    const char *help;
} cw_config_key;

extern const cw_config_key cw_config_keys[];
extern const int cw_config_nkeys;

/* Fills every key with its default. Returns 0 or CW_ENOMEM. */
int cw_config_init(cw_config *cfg);
void cw_config_free(cw_config *cfg);
/* Sets key from its text form ("7777", "true", "0.5", "abc"). */
int cw_config_set(cw_config *cfg, const char *key, const char *value, cw_error *err);
/* Applies every CHAOS_<KEY> variable of envp (NULL-terminated, "K=V").
 * Variables named in `ignore` (NULL-terminated) belong to the tools and are
 * skipped. Any other CHAOS_ variable that names no setting is not fatal (the
 * environment is shared with other programs) but its name is appended to
 * `unknown` (space-separated, may be NULL) so the caller can warn: a typo
 * must not pass silently. A bad value for a known key is an error. */
int cw_config_apply_env(cw_config *cfg, char **envp, const char *const *ignore, cw_strbuf *unknown,
                        cw_error *err);
/* Looks up a key's descriptor, NULL when unknown. */
const cw_config_key *cw_config_find(const char *key);
/* Writes the value of key as text into buf. */
int cw_config_get(const cw_config *cfg, const char *key, char *buf, size_t cap);

#endif
