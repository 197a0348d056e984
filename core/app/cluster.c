/* cluster.c — the cluster map, this process' announcement in Redis, and the
 * sweep that hands off players standing in a zone this process no longer
 * owns. See cluster.h. */
#include "core/app/cluster.h"

#include "core/app/claims.h"

#include "core/app/combat_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/game/world.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cw_cluster_owner(cw_server *s, const char *zone)
{
    cw_cluster *k = s->cluster;
    if (!k || !zone) return NULL;
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->rows[i].zone, zone) == 0)
            return strcmp(k->rows[i].process, s->cfg.server_name) == 0 ? NULL : k->rows[i].process;
    return NULL;
}

/* ---- the announcement ------------------------------------------------------------- */

static void count_online(cw_player *p, void *ud)
{
    if (p->online) ++*(int *)ud;
}

static void announce(cw_server *s)
{
    cw_cluster *k = s->cluster;
    if (!s->cache || !cw_cache_available(s->cache) || s->stopping) return;
    int players = 0;
    cw_players_each(s->players, count_online, &players);
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"name\":");
    cw_strbuf_json_str(&b, s->cfg.server_name);
    cw_strbuf_puts(&b, ",\"host\":");
    cw_strbuf_json_str(&b, k->host);
    cw_strbuf_printf(&b, ",\"port\":%d,\"players\":%d,\"at\":%lld,\"zones\":[", k->port, players,
                     (long long)cw_wall_ms());
    cw_world *w = cw_combat_app_world(s);
    const cw_zoneset *zs = w ? cw_world_zones(w) : NULL;
    int first = 1;
    for (int i = 0; zs && i < zs->n; i++) {
        const char *id = zs->v[i].id;
        if (!id[0] || cw_cluster_owner(s, id)) continue; /* a hole, or another's */
        if (!first) cw_strbuf_puts(&b, ",");
        cw_strbuf_json_str(&b, id);
        first = 0;
    }
    cw_strbuf_puts(&b, "]}");
    if (b.data) cw_cache_cluster_announce(s->cache, b.data, b.len, k->ttl_s);
    cw_strbuf_free(&b);
}

/* ---- the map ------------------------------------------------------------------------ */

static void sweep_one(cw_player *p, void *ud)
{
    cw_server *s = ud;
    if (!p->online || cw_handoff_busy(s, p->id)) return;
    const char *owner = cw_cluster_owner(s, p->zone);
    if (!owner) return;
    cw_log(CW_LOG_DEBUG, "zone owned by another process: handing the player off",
           CW_I("character", p->id), CW_S("zone", p->zone), CW_S("owner", owner), CW_END);
    cw_handoff_start(s, p->id, owner, p->zone, p->x, p->y, NULL, 1, "move");
}

static int same_map(const cw_cluster *k, const cw_cluster_row *rows, int n)
{
    if (k->n != n) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(k->rows[i].zone, rows[i].zone) || strcmp(k->rows[i].process, rows[i].process))
            return 0;
    return 1;
}

static void refresh(cw_server *s);

static void on_list(void *ud, int rc, const cw_cluster_row *rows, int n)
{
    cw_server *s = ud;
    cw_cluster *k = s->cluster;
    if (!k) return;
    k->listing = 0;
    if (rc != 0) {
        cw_log(k->loaded ? CW_LOG_DEBUG : CW_LOG_WARN,
               "cluster map not read: the last one stays in force", CW_S("error", cw_err_name(rc)),
               CW_END);
    } else if (!same_map(k, rows, n)) {
        cw_cluster_row *v = n ? malloc(sizeof *v * (size_t)n) : NULL;
        if (n && !v) {
            cw_log(CW_LOG_ERROR, "cluster map not applied: out of memory", CW_END);
        } else {
            if (n) memcpy(v, rows, sizeof *v * (size_t)n);
            free(k->rows);
            k->rows = v;
            k->n = n;
            cw_log(CW_LOG_INFO, "cluster map read", CW_I("rows", n), CW_END);
            /* monsters follow the zones: gone where another owns, spawned where hosted */
            if (!s->stopping) cw_combat_app_rehost(s);
        }
    }
    if (rc == 0) k->loaded = 1;
    if (!s->stopping && !s->store_closing) {
        /* without Redis nobody can be handed off: they stay until it is back */
        if (s->cache && cw_cache_available(s->cache)) cw_players_each(s->players, sweep_one, s);
        announce(s);
    }
    if (k->again) {
        k->again = 0;
        refresh(s);
    }
}

static void refresh(cw_server *s)
{
    cw_cluster *k = s->cluster;
    if (!k || !s->store || s->store_closing) return;
    if (k->listing) {
        k->again = 1;
        return;
    }
    k->listing = 1;
    cw_store_cluster_list(s->store, on_list, s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    refresh(arg);
}

static void on_notice(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    (void)msg;
    (void)len;
    refresh(ud); /* whatever it says: read the map again */
}

/* "host:port" (the last colon splits; [v6] brackets are kept as given). */
static int parse_advertise(const char *text, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= cap) return CW_EINVAL;
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || v < 1 || v > 65535) return CW_EINVAL;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    *port = (int)v;
    return 0;
}

int cw_cluster_start(cw_server *s, cw_error *err)
{
    cw_cluster *k = calloc(1, sizeof *k);
    if (!k) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->cluster = k;
    const char *adv = s->cfg.cluster_advertise;
    if (adv && adv[0]) {
        if (parse_advertise(adv, k->host, sizeof k->host, &k->port) != 0)
            return cw_error_set(err, CW_EINVAL,
                                "cluster.advertise: \"%s\" is not host:port (port 1..65535)", adv);
    } else {
        snprintf(k->host, sizeof k->host, "%s", s->cfg.net_host);
        k->port = cw_net_port(s->net);
    }
    int refresh_ms = s->cfg.cluster_refresh_ms > 0 ? s->cfg.cluster_refresh_ms : 2000;
    k->ttl_s = (3 * refresh_ms + 999) / 1000;
    if (k->ttl_s < 5) k->ttl_s = 5;
    k->timer = event_new(s->base, -1, EV_PERSIST, on_timer, s);
    if (!k->timer) return cw_error_set(err, CW_ENOMEM, "out of memory");
    struct timeval tv = {refresh_ms / 1000, (refresh_ms % 1000) * 1000};
    event_add(k->timer, &tv);
    if (s->cache) {
        int rc = cw_cache_subscribe(s->cache, CW_CLUSTER_CHANNEL, on_notice, s);
        if (rc) return cw_error_set(err, rc, "cannot subscribe to %s", CW_CLUSTER_CHANNEL);
    }
    refresh(s);
    return 0;
}

void cw_cluster_shutdown(cw_server *s)
{
    if (s->cluster && s->cache) cw_cache_cluster_withdraw(s->cache);
}

void cw_cluster_free(cw_server *s)
{
    cw_cluster *k = s->cluster;
    if (!k) return;
    if (k->timer) event_free(k->timer);
    free(k->rows);
    free(k->busy);
    free(k);
    s->cluster = NULL;
}

void cw_cluster_status(cw_server *s, cw_strbuf *out)
{
    cw_cluster *k = s->cluster;
    if (!k) return;
    cw_strbuf_puts(out, ",\"cluster\":{\"advertise\":");
    cw_strbuf_json_str(out, k->host);
    cw_strbuf_printf(out, ",\"port\":%d,\"map_loaded\":%s,\"map\":{", k->port,
                     k->loaded ? "true" : "false");
    for (int i = 0; i < k->n; i++) {
        if (i) cw_strbuf_puts(out, ",");
        cw_strbuf_json_str(out, k->rows[i].zone);
        cw_strbuf_puts(out, ":");
        cw_strbuf_json_str(out, k->rows[i].process);
    }
    cw_strbuf_printf(out, "},\"handoffs_out\":%llu,\"resumed\":%llu,\"handoff_failures\":%llu",
                     (unsigned long long)k->handed_off, (unsigned long long)k->resumed,
                     (unsigned long long)k->failed);
    cw_claims_status(s, out);
    cw_strbuf_puts(out, "}");
}
