/* ctl_cluster.c — `chaosctl cluster`: the cluster map (which process owns
 * which zone, table cluster_zones) and the processes announced in Redis.
 *
 *   chaosctl cluster list [--store URL] [--migrations DIR]
 *   chaosctl cluster set ZONE PROCESS [--store URL] [--migrations DIR]
 *   chaosctl cluster move ZONE PROCESS [--store URL] [--migrations DIR] [--redis URL]
 *   chaosctl cluster unset ZONE [--store URL] [--migrations DIR] [--redis URL]
 *   chaosctl cluster processes --redis URL
 *
 * Prints one JSON line. `move` is `set` followed by a notice on the Redis
 * channel chaos:cluster, so every process re-reads the map at once (without
 * --redis they notice within cluster.refresh_ms) and hands off the players
 * standing in the zone. Exit 0, 1 when the database or Redis fails (message
 * on stderr), 2 on bad usage. */
#include "tools/chaosctl/ctl.h"

#include "core/base/strbuf.h"
#include "core/io/cache/cache.h"
#include "core/io/store/store.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define NOTICE_CHANNEL "chaos:cluster" /* core/app/cluster.h: CW_CLUSTER_CHANNEL */
#define PROCESS_PREFIX "cluster:process:"

static const char usage[] =
    "usage: chaosctl cluster list|set|move|unset|processes …\n"
    "\n"
    "  list                  the cluster map: which process owns which zone\n"
    "  set ZONE PROCESS      PROCESS (a server.name) owns ZONE from now on\n"
    "  move ZONE PROCESS     set, then tell every process at once (needs --redis; without it\n"
    "                        they notice within cluster.refresh_ms); players in ZONE are\n"
    "                        handed off to PROCESS\n"
    "  unset ZONE            ZONE is hosted by every process again\n"
    "  processes             the processes announced in Redis (address, players, zones)\n"
    "\n"
    "  --store URL        sqlite:PATH or postgres://user@host:port/db (default "
    "sqlite:var/chaos.db)\n"
    "  --migrations DIR   root holding sqlite/ and postgres/ (default migrations)\n"
    "  --redis URL        redis://[[user]:password@]host[:port][/db]\n";

typedef struct opts {
    const char *store, *migrations, *redis;
    const char *words[3];
    int nwords;
} opts;

/* ---- Redis (blocking hiredis: a tool, not the game loop) ----------------------------- */

static redisContext *redis_open(const char *url)
{
    cw_cache_url u;
    cw_error err = {0};
    if (cw_cache_url_parse(url, &u, &err) != 0) {
        fprintf(stderr, "chaosctl cluster: --redis: %s\n", err.msg);
        return NULL;
    }
    struct timeval tv = {5, 0};
    redisContext *r = redisConnectWithTimeout(u.host, u.port, tv);
    int ok = r && !r->err;
    if (ok) redisSetTimeout(r, tv);
    if (ok && u.password) {
        redisReply *rep = u.user ? redisCommand(r, "AUTH %s %s", u.user, u.password)
                                 : redisCommand(r, "AUTH %s", u.password);
        ok = rep && rep->type != REDIS_REPLY_ERROR;
        freeReplyObject(rep);
    }
    if (ok && u.db) {
        redisReply *rep = redisCommand(r, "SELECT %d", u.db);
        ok = rep && rep->type != REDIS_REPLY_ERROR;
        freeReplyObject(rep);
    }
    if (!ok) {
        fprintf(stderr, "chaosctl cluster: cannot use Redis at %s:%d%s%s\n", u.host, u.port,
                r && r->err ? ": " : "", r && r->err ? r->errstr : "");
        if (r) redisFree(r);
        r = NULL;
    }
    cw_cache_url_clear(&u);
    return r;
}

static int notify(const char *url, const char *zone)
{
    redisContext *r = redis_open(url);
    if (!r) return 1;
    redisReply *rep = redisCommand(r, "PUBLISH %s %s", NOTICE_CHANNEL, zone);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    freeReplyObject(rep);
    redisFree(r);
    if (!ok) fprintf(stderr, "chaosctl cluster: the notice could not be published\n");
    return ok ? 0 : 1;
}

static int processes(const char *url)
{
    redisContext *r = redis_open(url);
    if (!r) return 1;
    json_t *list = json_array();
    char cursor[32] = "0";
    int rc = 0;
    do {
        redisReply *rep = redisCommand(r, "SCAN %s MATCH %s* COUNT 100", cursor, PROCESS_PREFIX);
        if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
            freeReplyObject(rep);
            rc = 1;
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
        redisReply *keys = rep->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            redisReply *v =
                redisCommand(r, "GET %b", keys->element[i]->str, (size_t)keys->element[i]->len);
            json_t *o =
                v && v->type == REDIS_REPLY_STRING ? json_loadb(v->str, v->len, 0, NULL) : NULL;
            if (json_is_object(o)) json_array_append(list, o);
            json_decref(o);
            freeReplyObject(v);
        }
        freeReplyObject(rep);
    } while (strcmp(cursor, "0") != 0);
    redisFree(r);
    if (rc) {
        fprintf(stderr, "chaosctl cluster: Redis did not answer the scan\n");
        json_decref(list);
        return 1;
    }
    json_t *out = json_pack("{s:o}", "processes", list);
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (text) printf("%s\n", text);
    free(text);
    return text ? 0 : 1;
}

/* ---- the map (the store, synchronous) --------------------------------------------------- */

typedef struct out {
    int rc;
    cw_strbuf line;
} out;

static void on_list(void *ud, int rc, const cw_cluster_row *rows, int n)
{
    out *o = ud;
    o->rc = rc;
    if (rc != 0) return;
    cw_strbuf_puts(&o->line, "{\"zones\":[");
    for (int i = 0; i < n; i++) {
        cw_strbuf_puts(&o->line, i ? ",{\"zone\":" : "{\"zone\":");
        cw_strbuf_json_str(&o->line, rows[i].zone);
        cw_strbuf_puts(&o->line, ",\"process\":");
        cw_strbuf_json_str(&o->line, rows[i].process);
        cw_strbuf_printf(&o->line, ",\"updated_at\":%lld}", (long long)rows[i].updated_at);
    }
    cw_strbuf_puts(&o->line, "]}");
}

static void on_set(void *ud, int rc)
{
    ((out *)ud)->rc = rc;
}

static int map_command(const char *cmd, const opts *o)
{
    cw_store_config cfg = {o->store, o->migrations, 0, NULL, NULL, 0};
    cw_error err = {0};
    cw_store *s = cw_store_open(&cfg, &err);
    if (!s) {
        fprintf(stderr, "chaosctl cluster: %s\n", err.msg);
        return 1;
    }
    out r = {CW_EIO, CW_STRBUF_INIT};
    const char *zone = o->nwords > 0 ? o->words[0] : NULL;
    const char *proc = o->nwords > 1 ? o->words[1] : NULL;
    if (!strcmp(cmd, "list"))
        cw_store_cluster_list(s, on_list, &r); /* synchronous store: answered on return */
    else
        cw_store_cluster_set(s, zone, proc, on_set, &r);
    cw_store_close(s);
    if (r.rc == CW_EINVAL) {
        fprintf(stderr,
                "chaosctl cluster: zone (1..%d) and process (1..%d) names without "
                "spaces or control characters\n",
                CW_CLUSTER_ZONE_MAX, CW_CLUSTER_PROCESS_MAX);
        cw_strbuf_free(&r.line);
        return 2;
    }
    if (r.rc == CW_ENOTFOUND) {
        fprintf(stderr, "chaosctl cluster: zone %s has no owner (hosted by every process)\n", zone);
        return 1;
    }
    if (r.rc != 0) {
        fprintf(stderr, "chaosctl cluster: the database failed (%s)\n", cw_err_name(r.rc));
        cw_strbuf_free(&r.line);
        return 1;
    }
    if (!strcmp(cmd, "list")) {
        printf("%s\n", r.line.data ? r.line.data : "{\"zones\":[]}");
        cw_strbuf_free(&r.line);
        return 0;
    }
    int notified = 0;
    if (o->redis && strcmp(cmd, "set") != 0) {
        if (notify(o->redis, zone) != 0) {
            fprintf(stderr, "chaosctl cluster: the map is changed; processes notice within "
                            "cluster.refresh_ms\n");
            return 1;
        }
        notified = 1;
    }
    json_t *line = json_pack("{s:b, s:s, s:o, s:b}", "ok", 1, "zone", zone, "process",
                             proc ? json_string(proc) : json_null(), "notified", notified);
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (text) printf("%s\n", text);
    free(text);
    return 0;
}

int ctl_cluster_main(int argc, char **argv)
{
    opts o = {"sqlite:var/chaos.db", "migrations", NULL, {NULL}, 0};
    const char *cmd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--store") && i + 1 < argc) {
            o.store = argv[++i];
        } else if (!strcmp(a, "--migrations") && i + 1 < argc) {
            o.migrations = argv[++i];
        } else if (!strcmp(a, "--redis") && i + 1 < argc) {
            o.redis = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "chaosctl cluster: unknown option \"%s\"\n%s", a, usage);
            return 2;
        } else if (!cmd) {
            cmd = a;
        } else if (o.nwords < 3) {
            o.words[o.nwords++] = a;
        } else {
            fprintf(stderr, "chaosctl cluster: too many arguments\n%s", usage);
            return 2;
        }
    }
    int want = !cmd                                                ? -1
               : !strcmp(cmd, "list") || !strcmp(cmd, "processes") ? 0
               : !strcmp(cmd, "unset")                             ? 1
               : !strcmp(cmd, "set") || !strcmp(cmd, "move")       ? 2
                                                                   : -1;
    if (want < 0 || o.nwords != want) {
        fprintf(stderr, "chaosctl cluster: %s\n%s",
                want < 0 ? "expected list, set, move, unset or processes" : "wrong arguments",
                usage);
        return 2;
    }
    if (!strcmp(cmd, "processes")) {
        if (!o.redis) {
            fprintf(stderr, "chaosctl cluster processes: --redis URL is needed\n");
            return 2;
        }
        return processes(o.redis);
    }
    return map_command(cmd, &o);
}
