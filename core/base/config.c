#include "core/base/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(cw_config, f)

const cw_config_key cw_config_keys[] = {
    {"server.name", CW_CFG_STR, OFF(server_name), 0, 0, "chaos-1",
     "name this server reports in hello and status"},
    {"server.var_dir", CW_CFG_STR, OFF(var_dir), 0, 0, "var",
     "runtime data directory (admin token, database, logs)"},
    {"server.seed", CW_CFG_INT, OFF(seed), 0, 9.0e15, "0",
     "server random seed (0 = from the clock at start)"},
    {"log.level", CW_CFG_STR, OFF(log_level), 0, 0, "info", "debug, info, warn, error or off"},
    {"net.host", CW_CFG_STR, OFF(net_host), 0, 0, "127.0.0.1", "game listener address"},
    {"net.port", CW_CFG_INT, OFF(net_port), 0, 65535, "7777",
     "game listener port (0 = any free port)"},
    {"net.max_frame", CW_CFG_INT, OFF(net_max_frame), 16, 16777216, "65536",
     "largest accepted frame payload in bytes"},
    {"net.max_connections", CW_CFG_INT, OFF(net_max_connections), 1, 1000000, "20000",
     "concurrent game connections"},
    {"net.rate", CW_CFG_DBL, OFF(net_rate), 0, 1e9, "50",
     "requests per second per connection (0 = unlimited)"},
    {"net.burst", CW_CFG_DBL, OFF(net_burst), 1, 1e9, "100", "request burst per connection"},
    {"net.abuse_strikes", CW_CFG_INT, OFF(net_abuse_strikes), 1, 1000000, "20",
     "rate_limited answers within 10 s before disconnect"},
    {"net.idle_timeout_s", CW_CFG_INT, OFF(net_idle_timeout_s), 0, 86400, "300",
     "close a connection silent for this long (0 = never)"},
    {"net.max_output", CW_CFG_INT, OFF(net_max_output), 1024, 1073741824, "1048576",
     "unsent bytes per connection before it is dropped"},
    {"net.fd_reserve", CW_CFG_INT, OFF(net_fd_reserve), 0, 1000000, "64",
     "descriptors kept free for the database, admin and HTTP: the game refuses connections "
     "(server_busy) rather than use them"},
    {"admin.host", CW_CFG_STR, OFF(admin_host), 0, 0, "127.0.0.1",
     "admin console address (loopback only)"},
    {"admin.port", CW_CFG_INT, OFF(admin_port), 0, 65535, "7778", "admin console port (loopback)"},
    {"admin.token", CW_CFG_STR, OFF(admin_token), 0, 0, "",
     "admin token (empty = generate into <var_dir>/admin.token)"},
    {"http.host", CW_CFG_STR, OFF(http_host), 0, 0, "127.0.0.1", "HTTP address (health, metrics)"},
    {"http.port", CW_CFG_INT, OFF(http_port), 0, 65535, "7780", "HTTP port (health, metrics)"},
    {"lua.scripts_dir", CW_CFG_STR, OFF(lua_scripts_dir), 0, 0, "scripts",
     "engine Lua runtime directory"},
    {"lua.content_dir", CW_CFG_STR, OFF(lua_content_dir), 0, 0, "content",
     "game content directory"},
    {"lua.budget_ms", CW_CFG_INT, OFF(lua_budget_ms), 1, 60000, "50",
     "longest a single Lua call may run before it is interrupted"},
    {"lua.jit", CW_CFG_BOOL, OFF(lua_jit), 0, 1, "false",
     "enable the LuaJIT compiler (disables runaway-loop protection in compiled loops)"},
    {"lua.watch_ms", CW_CFG_INT, OFF(lua_watch_ms), 0, 3600000, "0",
     "poll scripts/content for changes and reload (0 = only on command)"},
    {"lua.data_max_kib", CW_CFG_INT, OFF(lua_data_max_kib), 1, 1048576, "64",
     "script data a character may hold, in KiB (all namespaces together)"},
    {"game.inventory_slots", CW_CFG_INT, OFF(game_inventory_slots), 1, 1000, "24",
     "inventory slots of every character"},
    {"lua.memory_mb", CW_CFG_INT, OFF(lua_memory_mb), 1, 65536, "256",
     "memory cap of one content generation's Lua state; an allocation past it is a Lua error"},
    {"store.url", CW_CFG_STR, OFF(store_url), 0, 0, "",
     "database: sqlite:PATH or postgres://user@host:port/db (empty = sqlite:<var_dir>/chaos.db)"},
    {"store.migrate", CW_CFG_BOOL, OFF(store_migrate), 0, 1, "false",
     "apply pending database migrations at start (otherwise refuse to start)"},
    {"store.save_interval_ms", CW_CFG_INT, OFF(store_save_interval_ms), 50, 3600000, "5000",
     "write-behind: how often changed characters are saved"},
    {"store.retry_deadline_ms", CW_CFG_INT, OFF(store_retry_deadline_ms), 0, 86400000, "30000",
     "how long a database call retries an unreachable database"},
    {"redis.url", CW_CFG_STR, OFF(redis_url), 0, 0, "",
     "Redis for presence and cross-server chat: redis://host:port (empty = off)"},
    {"cluster.advertise", CW_CFG_STR, OFF(cluster_advertise), 0, 0, "",
     "host:port clients of other processes are sent to on a hand-off (empty = net.host and "
     "the game port)"},
    {"cluster.handoff_ttl", CW_CFG_INT, OFF(cluster_handoff_ttl), 1, 3600, "30",
     "seconds a hand-off token stays valid"},
    {"cluster.refresh_ms", CW_CFG_INT, OFF(cluster_refresh_ms), 100, 600000, "2000",
     "how often the cluster map is re-read and this process announced in Redis"},
    {"auth.opslimit", CW_CFG_INT, OFF(auth_opslimit), 1, 100, "2",
     "Argon2id passes (libsodium opslimit) for new password hashes"},
    {"auth.memlimit_kib", CW_CFG_INT, OFF(auth_memlimit_kib), 8, 4194304, "19456",
     "Argon2id memory in KiB for new password hashes"},
    {"auth.workers", CW_CFG_INT, OFF(auth_workers), 1, 64, "2", "threads hashing passwords"},
    {"auth.login_rate_account", CW_CFG_DBL, OFF(auth_login_rate_account), 0, 1e6, "0.2",
     "login attempts per second per account (burst 5)"},
    {"auth.login_rate_addr", CW_CFG_DBL, OFF(auth_login_rate_addr), 0, 1e6, "1",
     "login attempts per second per client address (burst 10)"},
    /* At most 256: a `characters` answer of 256 rows of the longest names and ids stays inside a 64
       KiB frame. */
    {"account.max_characters", CW_CFG_INT, OFF(account_max_characters), 1, 256, "8",
     "characters one account may have (create_character answers too_many_characters past it)"},
    {"server.background_nice", CW_CFG_INT, OFF(background_nice), 0, 19, "10",
     "nice value of the background threads (store worker, password hashing, content builds): "
     "they get the core when the event loop leaves it idle; 0 = same priority as the loop"},
    {"server.shutdown_grace_ms", CW_CFG_INT, OFF(shutdown_grace_ms), 0, 600000, "2000",
     "how long shutdown waits to flush clients"},
    {"world.tick_hz", CW_CFG_INT, OFF(world_tick_hz), 1, 1000, "20",
     "world ticks per second (monsters, timed effects, event batches)"},
    {"world.event_delay_ms", CW_CFG_INT, OFF(world_event_delay_ms), 0, 10000, "200",
     "queued world events may wait this long for a player's next move reply to ride on, instead of "
     "a write of their own at the tick (0: written every tick)"},
    {"world.interest_full", CW_CFG_INT, OFF(world_interest_full), 0, 100000, "32",
     "a player who sees more entities than this gets the moves of this many nearest ones (and of "
     "whom it fights) every tick, the others' at a lower rate (0: everyone every tick)"},
    {"world.interest_far_ms", CW_CFG_INT, OFF(world_interest_far_ms), 0, 10000, "1000",
     "how often the moves of entities beyond the nearest world.interest_full are sent (half this "
     "up to 1.41 times the distance of the farthest of those; whole ticks, rounded down)"},
    {"world.interest_cap", CW_CFG_INT, OFF(world_interest_cap), 0, 100000, "32",
     "at most this many moves of such far entities queued for one player per tick (0: no cap); "
     "the others follow on the next ticks"},
    {"world.event_backlog_kib", CW_CFG_INT, OFF(world_event_backlog_kib), 1, 1048576, "64",
     "a player with more unsent than this gets no new event batch (its events coalesce)"},
};
const int cw_config_nkeys = (int)(sizeof cw_config_keys / sizeof cw_config_keys[0]);

const cw_config_key *cw_config_find(const char *key)
{
    for (int i = 0; i < cw_config_nkeys; i++)
        if (strcmp(cw_config_keys[i].key, key) == 0) return &cw_config_keys[i];
    return NULL;
}

static int set_key(cw_config *cfg, const cw_config_key *k, const char *value, cw_error *err)
{
    char *base = (char *)cfg + k->offset;
    char *end = NULL;
    switch (k->type) {
    case CW_CFG_STR: {
        char *s = strdup(value);
        if (!s) return cw_error_set(err, CW_ENOMEM, "out of memory");
        free(*(char **)base);
        *(char **)base = s;
        return 0;
    }
    case CW_CFG_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes"))
            *(int *)base = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no"))
            *(int *)base = 0;
        else
            return cw_error_set(err, CW_EINVAL, "%s: expected true or false, got \"%s\"", k->key,
                                value);
        return 0;
    case CW_CFG_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end)
            return cw_error_set(err, CW_EINVAL, "%s: expected an integer, got \"%s\"", k->key,
                                value);
        if ((double)v < k->min || (double)v > k->max)
            return cw_error_set(err, CW_EINVAL, "%s: %lld is out of range [%.0f, %.0f]", k->key, v,
                                k->min, k->max);
        if (k->offset == OFF(seed))
            *(long long *)base = v;
        else
            *(int *)base = (int)v;
        return 0;
    }
    case CW_CFG_DBL: {
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(v))
            return cw_error_set(err, CW_EINVAL, "%s: expected a number, got \"%s\"", k->key, value);
        if (v < k->min || v > k->max)
            return cw_error_set(err, CW_EINVAL, "%s: %g is out of range [%g, %g]", k->key, v,
                                k->min, k->max);
        *(double *)base = v;
        return 0;
    }
    }
    return cw_error_set(err, CW_EINVAL, "%s: bad key type", k->key);
}

int cw_config_set(cw_config *cfg, const char *key, const char *value, cw_error *err)
{
    const cw_config_key *k = cw_config_find(key);
    if (!k) return cw_error_set(err, CW_EINVAL, "unknown setting \"%s\"", key);
    return set_key(cfg, k, value, err);
}

int cw_config_init(cw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < cw_config_nkeys; i++) {
        cw_error err;
        int rc = set_key(cfg, &cw_config_keys[i], cw_config_keys[i].def, &err);
        if (rc) return rc;
    }
    return 0;
}

void cw_config_free(cw_config *cfg)
{
    for (int i = 0; i < cw_config_nkeys; i++)
        if (cw_config_keys[i].type == CW_CFG_STR) {
            char **p = (char **)((char *)cfg + cw_config_keys[i].offset);
            free(*p);
            *p = NULL;
        }
}

/* "net.max_frame" <-> "NET_MAX_FRAME" */
static void env_name(const char *key, char *out, size_t cap)
{
    size_t n = 0;
    for (; *key && n + 1 < cap; key++)
        out[n++] = *key == '.' ? '_' : (char)toupper((unsigned char)*key);
    out[n] = '\0';
}

int cw_config_apply_env(cw_config *cfg, char **envp, const char *const *ignore, cw_strbuf *unknown,
                        cw_error *err)
{
    for (char **e = envp; e && *e; e++) {
        if (strncmp(*e, "CHAOS_", 6) != 0) continue;
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - *e);
        int skip = 0;
        for (const char *const *ig = ignore; ig && *ig; ig++)
            if (strlen(*ig) == nlen && strncmp(*ig, *e, nlen) == 0) skip = 1;
        if (skip) continue;
        const cw_config_key *found = NULL;
        for (int i = 0; i < cw_config_nkeys && !found; i++) {
            char name[96];
            env_name(cw_config_keys[i].key, name, sizeof name);
            if (strlen(name) == nlen - 6 && strncmp(name, *e + 6, nlen - 6) == 0)
                found = &cw_config_keys[i];
        }
        if (!found) {
            if (unknown) {
                if (unknown->len) cw_strbuf_puts(unknown, " ");
                cw_strbuf_append(unknown, *e, nlen);
            }
            continue;
        }
        int rc = set_key(cfg, found, eq + 1, err);
        if (rc) return rc;
    }
    return 0;
}

int cw_config_get(const cw_config *cfg, const char *key, char *buf, size_t cap)
{
    const cw_config_key *k = cw_config_find(key);
    if (!k) return CW_ENOTFOUND;
    const char *base = (const char *)cfg + k->offset;
    switch (k->type) {
    case CW_CFG_STR:
        snprintf(buf, cap, "%s", *(char *const *)base);
        break;
    case CW_CFG_BOOL:
        snprintf(buf, cap, "%s", *(const int *)base ? "true" : "false");
        break;
    case CW_CFG_INT:
        if (k->offset == OFF(seed))
            snprintf(buf, cap, "%lld", *(const long long *)base);
        else
            snprintf(buf, cap, "%d", *(const int *)base);
        break;
    case CW_CFG_DBL:
        snprintf(buf, cap, "%g", *(const double *)base);
        break;
    }
    return 0;
}
