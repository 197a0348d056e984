/* router.c — one table of ops the core answers itself; anything else goes to
 * the live content generation, or gets `unknown_op`. Every op is counted and
 * timed per name (unknown names share one series so a client cannot inflate
 * the metrics). */
#include "core/app/server.h"

#include "core/app/accounts.h"
#include "core/app/cluster.h"
#include "core/app/world_app.h"
#include "core/app/combat_app.h"
#include "core/app/script_app.h"
#include "core/app/trade_app.h"
#include "core/app/guild_app.h"

#include "core/base/clock.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PROTOCOL_VERSION 1

typedef struct op_stats {
    char *name;
    cw_metric *count;
    cw_metric *latency;
} op_stats;

typedef void (*core_op_fn)(cw_router *r, cw_conn *c, const cw_request *req);

struct cw_router {
    cw_server *s;
    op_stats *ops;
    int nops, capops;
    op_stats unknown;
};

static void op_hello(cw_router *r, cw_conn *c, const cw_request *req)
{
    json_t *v = json_object_get((json_t *)req->json, "version");
    if (!json_is_integer(v)) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "hello needs \"version\": an integer protocol version");
        return;
    }
    if (json_integer_value(v) != PROTOCOL_VERSION) {
        char msg[128];
        snprintf(msg, sizeof msg, "protocol %lld is not supported; this server speaks %d",
                 (long long)json_integer_value(v), PROTOCOL_VERSION);
        cw_conn_reply_error(c, req->id_json, "unsupported_version", msg);
        return;
    }
    const cw_config *cfg = &r->s->cfg;
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_printf(&b, "{\"protocol\":%d,\"server\":", PROTOCOL_VERSION);
    cw_strbuf_json_str(&b, cfg->server_name);
    cw_strbuf_printf(&b,
                     ",\"generation\":%u,\"limits\":{\"max_frame\":%d,\"rate\":%g,\"burst\":%g,"
                     "\"idle_timeout_s\":%d}}",
                     cw_host_generation(r->s->host), cfg->net_max_frame, cfg->net_rate,
                     cfg->net_burst, cfg->net_idle_timeout_s);
    cw_conn_reply_ok(c, req->id_json, b.data, b.len);
    cw_strbuf_free(&b);
}

static void op_ping(cw_router *r, cw_conn *c, const cw_request *req)
{
    (void)r;
    cw_conn_reply_ok(c, req->id_json, NULL, 0);
}

enum { ANYONE, LOGGED_IN };

static const struct {
    const char *name;
    core_op_fn fn;     /* router ops */
    cw_core_op_fn acc; /* account and character ops (accounts.h) */
    int needs;
} core_ops[] = {
    {"hello", op_hello, NULL, ANYONE},
    {"ping", op_ping, NULL, ANYONE},
    {"register", NULL, cw_op_register, ANYONE},
    {"login", NULL, cw_op_login, ANYONE},
    {"logout", NULL, cw_op_logout, LOGGED_IN},
    {"characters", NULL, cw_op_characters, LOGGED_IN},
    {"create_character", NULL, cw_op_create_character, LOGGED_IN},
    {"delete_character", NULL, cw_op_delete_character, LOGGED_IN},
    {"enter_world", NULL, cw_op_enter_world, LOGGED_IN},
    {"resume", NULL, cw_op_resume, ANYONE},
    {"move", NULL, cw_op_move, LOGGED_IN},
    {"zone_info", NULL, cw_op_zone_info, LOGGED_IN},
    {"whereis", NULL, cw_op_whereis, LOGGED_IN},
    {"chat", NULL, cw_op_chat, LOGGED_IN},
    {"attack", NULL, cw_op_attack, LOGGED_IN},
    {"cast", NULL, cw_op_cast, LOGGED_IN},
    {"interact", NULL, cw_op_interact, LOGGED_IN},
    {"trade_request", NULL, cw_op_trade_request, LOGGED_IN},
    {"trade_respond", NULL, cw_op_trade_respond, LOGGED_IN},
    {"trade_offer", NULL, cw_op_trade_offer, LOGGED_IN},
    {"trade_lock", NULL, cw_op_trade_lock, LOGGED_IN},
    {"trade_confirm", NULL, cw_op_trade_confirm, LOGGED_IN},
    {"trade_cancel", NULL, cw_op_trade_cancel, LOGGED_IN},
    {"guild_create", NULL, cw_op_guild_create, LOGGED_IN},
    {"guild_roster", NULL, cw_op_guild_roster, LOGGED_IN},
    {"guild_invite", NULL, cw_op_guild_invite, LOGGED_IN},
    {"guild_accept", NULL, cw_op_guild_accept, LOGGED_IN},
    {"guild_decline", NULL, cw_op_guild_decline, LOGGED_IN},
    {"guild_leave", NULL, cw_op_guild_leave, LOGGED_IN},
    {"guild_kick", NULL, cw_op_guild_kick, LOGGED_IN},
    {"guild_rank", NULL, cw_op_guild_rank, LOGGED_IN},
    {"guild_disband", NULL, cw_op_guild_disband, LOGGED_IN},
};

static op_stats *stats_for(cw_router *r, const char *op)
{
    for (int i = 0; i < r->nops; i++)
        if (strcmp(r->ops[i].name, op) == 0) return &r->ops[i];
    if (r->nops == r->capops) {
        int cap = r->capops ? r->capops * 2 : 16;
        op_stats *v = realloc(r->ops, sizeof *v * (size_t)cap);
        if (!v) return &r->unknown;
        r->ops = v;
        r->capops = cap;
    }
    op_stats *st = &r->ops[r->nops];
    st->name = strdup(op);
    if (!st->name) return &r->unknown;
    st->count =
        cw_metrics_counter(r->s->metrics, "chaos_requests_total", "requests by op", "op", op);
    st->latency = cw_metrics_histogram(r->s->metrics, "chaos_request_seconds",
                                       "request handling time by op", "op", op, NULL, 0);
    r->nops++;
    return st;
}

cw_router *cw_router_new(cw_server *s)
{
    cw_router *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->s = s;
    r->unknown.count =
        cw_metrics_counter(s->metrics, "chaos_requests_total", "requests by op", "op", "(unknown)");
    r->unknown.latency =
        cw_metrics_histogram(s->metrics, "chaos_request_seconds", "request handling time by op",
                             "op", "(unknown)", NULL, 0);
    for (size_t i = 0; i < sizeof core_ops / sizeof core_ops[0]; i++) {
        stats_for(r, core_ops[i].name);
        cw_host_reserve_op(s->host, core_ops[i].name);
    }
    return r;
}

void cw_router_free(cw_router *r)
{
    if (!r) return;
    for (int i = 0; i < r->nops; i++)
        free(r->ops[i].name);
    free(r->ops);
    free(r);
}

void cw_router_dispatch(cw_router *r, cw_conn *c, const cw_request *req)
{
    uint64_t t0 = cw_now_ns();
    op_stats *st = NULL;
    if (r->s->stopping) {
        cw_conn_reply_error(c, req->id_json, "shutting_down", "the server is shutting down");
        return;
    }
    /* A reply never overtakes the world events this player already has
     * waiting — except a move's, which goes first: the mover's own answer is
     * the latency that matters. What the request itself caused (a hit, a
     * portal's events) rides right after the reply, in the same write. */
    int is_move = strcmp(req->op, "move") == 0;
    if (!is_move) cw_world_app_flush_conn(r->s, c);
    for (size_t i = 0; i < sizeof core_ops / sizeof core_ops[0]; i++)
        if (strcmp(core_ops[i].name, req->op) == 0) {
            st = &r->ops[i]; /* core ops were registered first, in table order */
            cw_session *se = cw_session_of(c);
            if (core_ops[i].needs == LOGGED_IN && (!se || !se->account_id))
                cw_conn_reply_error(c, req->id_json, "not_logged_in", "log in first");
            else if (core_ops[i].fn)
                core_ops[i].fn(r, c, req);
            else if (se)
                core_ops[i].acc(r->s, c, req);
            else
                cw_conn_reply_error(c, req->id_json, "internal", "no session");
            break;
        }
    if (!st) {
        if (cw_host_has_op(r->s->host, req->op)) {
            st = stats_for(r, req->op);
            cw_script_app_call_op(r->s, c, req);
        } else {
            st = &r->unknown;
            char msg[160];
            snprintf(msg, sizeof msg, "no op named \"%.100s\"", req->op);
            cw_conn_reply_error(c, req->id_json, "unknown_op", msg);
        }
    }
    cw_script_app_flush_events(r->s); /* hooks of what the request caused */
    cw_world_app_flush_conn(r->s, c);
    cw_counter_add(st->count, 1);
    cw_histogram_observe(st->latency, (double)(cw_now_ns() - t0) / 1e9);
}
