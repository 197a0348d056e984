/* trade_app.c — trades wired to the connections, the content and the
 * group commit (see trade_app.h): events to both sides, the `trade` hook
 * and its veto, the held confirm answered after both halves committed, and
 * the cancel rules' causes (leave, hit, range sweep). The rules themselves
 * live in core/game/trade. */
#include "core/app/trade_app.h"

#include "bindings/world.h"
#include "core/app/accounts.h"
#include "core/app/combat_app.h"
#include "core/app/world_app.h"
#include "core/base/log.h"
#include "core/game/world.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX 16
#define VETO_MSG_MAX 200

/* A trade whose two halves are queued: the held confirm and what each side
 * gave (the `trade_done` event), until both halves' callbacks came back. */
typedef struct committing {
    cw_trade t; /* a copy */
    uint64_t tok[2];
    int done[2];
    int failed; /* the first failing rc */
    cw_pending *p;
    char *gave[2]; /* offer JSON of each side, taken before the commit */
    struct committing *next;
} committing;

typedef struct cw_trade_app {
    cw_trades *ts;
    committing *commits;
    int veto_open; /* the `trade` hook is running */
    int vetoed;
    char veto_msg[VETO_MSG_MAX + 1];
} cw_trade_app;

static cw_trade_app *app_of(cw_server *s)
{
    return s->trade;
}

int cw_trade_app_new(cw_server *s, cw_error *err)
{
    cw_trade_app *a = calloc(1, sizeof *a);
    if (a) a->ts = cw_trades_new(s->players);
    if (!a || !a->ts) {
        free(a);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    s->trade = a;
    return 0;
}

static void committing_free(committing *k)
{
    cw_pending_free(k->p);
    free(k->gave[0]);
    free(k->gave[1]);
    free(k);
}

void cw_trade_app_free(cw_server *s)
{
    cw_trade_app *a = app_of(s);
    if (!a) return;
    while (a->commits) {
        committing *k = a->commits;
        a->commits = k->next;
        committing_free(k);
    }
    cw_trades_free(a->ts);
    free(a);
    s->trade = NULL;
}

cw_trades *cw_trade_app_trades(cw_server *s)
{
    return app_of(s) ? app_of(s)->ts : NULL;
}

int cw_trade_app_where(void *ud, int64_t char_id, int *zone, double *x, double *y)
{
    cw_server *s = ud;
    cw_world *w = cw_combat_app_world(s);
    cw_player *p = cw_players_get(s->players, char_id);
    cw_entity *e = w && p && p->online ? cw_world_find_player(w, char_id) : NULL;
    if (!e) return CW_ENOTFOUND;
    *zone = e->zone;
    *x = e->x;
    *y = e->y;
    return 0;
}

/* ---- events -------------------------------------------------------------------------------- */

/* {"items":[{uid,template,count}],"gold":N[,"locked":b,"confirmed":b]} */
static void offer_json(cw_strbuf *b, cw_player *p, const cw_trade_offer *o, int flags)
{
    cw_strbuf_puts(b, "{\"items\":[");
    for (int i = 0; i < o->nuids; i++) {
        cw_item *it = p ? cw_player_item(p, o->uids[i]) : NULL;
        cw_strbuf_printf(b, "%s{\"uid\":%lld,\"template\":", i ? "," : "", (long long)o->uids[i]);
        cw_strbuf_json_str(b, it ? it->tmpl : "");
        cw_strbuf_printf(b, ",\"count\":%lld}", (long long)(it ? it->stack : 0));
    }
    cw_strbuf_printf(b, "],\"gold\":%lld", (long long)o->gold);
    if (flags)
        cw_strbuf_printf(b, ",\"locked\":%s,\"confirmed\":%s", o->locked ? "true" : "false",
                         o->confirmed ? "true" : "false");
    cw_strbuf_puts(b, "}");
}

/* "with":{"character":id,"name":…,"entity":id|null} for the side facing other. */
static void with_json(cw_server *s, cw_strbuf *b, int64_t other)
{
    cw_player *o = cw_players_get(s->players, other);
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = w ? cw_world_find_player(w, other) : NULL;
    cw_strbuf_printf(b, "\"with\":{\"character\":%lld,\"name\":", (long long)other);
    cw_strbuf_json_str(b, o ? o->name : "");
    if (e)
        cw_strbuf_printf(b, ",\"entity\":%lld}", (long long)e->id);
    else
        cw_strbuf_puts(b, ",\"entity\":null}");
}

static void tell(cw_server *s, int64_t char_id, const cw_strbuf *b)
{
    cw_player *p = cw_players_get(s->players, char_id);
    if (p && p->online && b->data) cw_world_app_tell(s, p, b->data, b->len);
}

void cw_trade_app_tell_state(cw_server *s, const cw_trade *t)
{
    static const char *const names[] = {"", "asked", "open", "committing"};
    for (int side = 0; side < 2; side++) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_printf(&b, "{\"ev\":\"trade\",\"trade\":%llu,\"state\":\"%s\",\"asked\":%s,",
                         (unsigned long long)t->id, names[t->state], side ? "false" : "true");
        with_json(s, &b, t->who[1 - side]);
        cw_strbuf_puts(&b, ",\"mine\":");
        offer_json(&b, cw_players_get(s->players, t->who[side]), &t->offer[side], 1);
        cw_strbuf_puts(&b, ",\"theirs\":");
        offer_json(&b, cw_players_get(s->players, t->who[1 - side]), &t->offer[1 - side], 1);
        cw_strbuf_puts(&b, "}");
        tell(s, t->who[side], &b);
        cw_strbuf_free(&b);
    }
}

void cw_trade_app_tell_cancelled(cw_server *s, const cw_trade *t, cw_trade_end why,
                                 const char *message)
{
    for (int side = 0; side < 2; side++) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_printf(&b, "{\"ev\":\"trade_cancelled\",\"trade\":%llu,\"reason\":\"%s\",",
                         (unsigned long long)t->id, cw_trade_end_name(why));
        with_json(s, &b, t->who[1 - side]);
        if (message) {
            cw_strbuf_puts(&b, ",\"message\":");
            cw_strbuf_json_str(&b, message);
        }
        cw_strbuf_puts(&b, "}");
        tell(s, t->who[side], &b);
        cw_strbuf_free(&b);
    }
    cw_log(CW_LOG_INFO, "trade cancelled", CW_I("trade", (int64_t)t->id), CW_I("from", t->who[0]),
           CW_I("to", t->who[1]), CW_S("reason", cw_trade_end_name(why)), CW_END);
}

static void tell_done(cw_server *s, const committing *k)
{
    for (int side = 0; side < 2; side++) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_printf(&b, "{\"ev\":\"trade_done\",\"trade\":%llu,", (unsigned long long)k->t.id);
        with_json(s, &b, k->t.who[1 - side]);
        cw_strbuf_printf(&b, ",\"gave\":%s,\"got\":%s}", k->gave[side] ? k->gave[side] : "null",
                         k->gave[1 - side] ? k->gave[1 - side] : "null");
        tell(s, k->t.who[side], &b);
        cw_strbuf_free(&b);
    }
}

/* ---- the veto and the commit --------------------------------------------------------------- */

void cw_trade_app_veto(cw_server *s, const char *message)
{
    cw_trade_app *a = app_of(s);
    if (!a || !a->veto_open || a->vetoed) return; /* outside the hook: nothing to refuse */
    a->vetoed = 1;
    snprintf(a->veto_msg, sizeof a->veto_msg, "%s", message ? message : "");
}

/* Fires the `trade` hook over copies of both offers: 1 when content vetoed. */
static int fire_veto(cw_server *s, const cw_trade *t)
{
    cw_trade_app *a = app_of(s);
    if (!s->host || !cw_host_has_hooks(s->host, "trade")) return 0;
    cw_hook_offer_item items[2][CW_TRADE_ITEMS_MAX];
    cw_hook_offer offers[2];
    for (int side = 0; side < 2; side++) {
        cw_player *p = cw_players_get(s->players, t->who[side]);
        const cw_trade_offer *o = &t->offer[side];
        for (int i = 0; i < o->nuids; i++) {
            cw_item *it = p ? cw_player_item(p, o->uids[i]) : NULL;
            items[side][i] =
                (cw_hook_offer_item){o->uids[i], it ? it->stack : 0, it ? it->tmpl : ""};
        }
        offers[side] = (cw_hook_offer){t->who[side], o->gold, items[side], o->nuids};
    }
    cw_hook_event ev = {.hook = "trade", .char_id = t->who[0], .offers = offers};
    a->veto_open = 1;
    a->vetoed = 0;
    a->veto_msg[0] = 0;
    cw_hook_result r;
    memset(&r, 0, sizeof r);
    cw_host_fire(s->host, ev.hook, cw_bind_push_event, &ev, CW_HOOK_VETO, &r);
    a->veto_open = 0;
    if (r.refused && !a->vetoed) { /* `return false, "reason"` */
        a->vetoed = 1;
        snprintf(a->veto_msg, sizeof a->veto_msg, "%.*s", (int)(sizeof a->veto_msg - 1), r.reason);
    }
    return a->vetoed;
}

static char *offer_text(cw_server *s, const cw_trade *t, int side)
{
    cw_strbuf b = CW_STRBUF_INIT;
    offer_json(&b, cw_players_get(s->players, t->who[side]), &t->offer[side], 0);
    return b.data; /* owned by the caller (NULL when out of memory) */
}

/* The trade ends before its commit: both told, the confirm answered. */
static void end_now(cw_server *s, cw_conn *c, const cw_request *req, const cw_trade *t,
                    cw_trade_end why, const char *code, const char *message)
{
    cw_trade copy = *t;
    cw_trade_finish(app_of(s)->ts, t->id);
    cw_trade_app_tell_cancelled(s, &copy, why, message);
    cw_conn_reply_error(c, req->id_json, code, message);
}

void cw_trade_app_commit(cw_server *s, cw_conn *c, const cw_request *req, cw_trade *t)
{
    cw_trade_app *a = app_of(s);
    uint64_t id = t->id;
    int64_t who0 = t->who[0], who1 = t->who[1];
    int vetoed = fire_veto(s, t);
    /* The hook may have done anything but change the trade: look again. */
    int side;
    t = cw_trades_of(a->ts, who0, &side);
    if (!t || t->id != id || side != 0) {
        cw_conn_reply_error(c, req->id_json, "no_trade", "the trade is gone");
        return;
    }
    if (vetoed) {
        char msg[VETO_MSG_MAX + 1];
        snprintf(msg, sizeof msg, "%s", a->veto_msg[0] ? a->veto_msg : "the trade was refused");
        end_now(s, c, req, t, CW_TRADE_END_VETOED, "vetoed", msg);
        return;
    }
    if (!cw_trade_near(cw_trade_app_where, s, who0, who1)) {
        end_now(s, c, req, t, CW_TRADE_END_RANGE, "out_of_range", "you are too far apart");
        return;
    }
    committing *k = calloc(1, sizeof *k);
    if (k) {
        k->gave[0] = offer_text(s, t, 0);
        k->gave[1] = offer_text(s, t, 1);
        k->p = cw_pending_new(s, c, req);
    }
    if (!k || !k->gave[0] || !k->gave[1] || !k->p) {
        if (k) committing_free(k);
        end_now(s, c, req, t, CW_TRADE_END_FAILED, "internal", "out of memory");
        return;
    }
    int rc = s->stopping || !s->store || s->store_closing ? CW_EUNAVAIL
                                                          : cw_trade_queue(s, a->ts, t, k->tok);
    if (rc != 0) {
        cw_pending_free(k->p); /* answered below, in order: nothing was held yet */
        k->p = NULL;
        committing_free(k);
        if (rc == CW_EUNAVAIL)
            end_now(s, c, req, t, CW_TRADE_END_FAILED, "unavailable",
                    "trades are unavailable (the database is unavailable); try again");
        else if (rc == CW_EFULL)
            end_now(s, c, req, t, CW_TRADE_END_FAILED, "inventory_full",
                    "an inventory has no room for what it would receive");
        else
            end_now(s, c, req, t, CW_TRADE_END_FAILED, "txn_failed", cw_err_name(rc));
        return;
    }
    k->t = *t;
    k->next = a->commits;
    a->commits = k;
    cw_log(CW_LOG_INFO, "trade queued", CW_I("trade", (int64_t)id), CW_I("from", who0),
           CW_I("to", who1), CW_I("token0", (int64_t)k->tok[0]), CW_I("token1", (int64_t)k->tok[1]),
           CW_END);
    cw_trade_app_tell_state(s, t);
    cw_saver_commit_soon(s);
}

int cw_trade_app_txn_done(cw_server *s, uint64_t token, int rc)
{
    cw_trade_app *a = app_of(s);
    if (!a || !token) return 0;
    committing **pk = &a->commits;
    int side = -1;
    for (; *pk; pk = &(*pk)->next) {
        side = (*pk)->tok[0] == token ? 0 : (*pk)->tok[1] == token ? 1 : -1;
        if (side >= 0) break;
    }
    if (!*pk) return 0;
    committing *k = *pk;
    k->done[side] = 1;
    if (rc != 0 && !k->failed) k->failed = rc;
    if (!k->done[0] || !k->done[1]) return 1;
    *pk = k->next;
    cw_trade_finish(a->ts, k->t.id);
    cw_conn *conn = cw_pending_conn(k->p);
    if (conn) cw_world_app_flush_conn(s, conn); /* after the gold and item events */
    if (k->failed) {
        cw_trade_app_tell_cancelled(s, &k->t, CW_TRADE_END_FAILED,
                                    "the trade could not be saved; nothing changed hands");
        if (conn) cw_world_app_flush_conn(s, conn);
        cw_pending_error(k->p, "txn_failed", "the trade could not be saved; nothing changed hands");
    } else {
        tell_done(s, k);
        if (conn) cw_world_app_flush_conn(s, conn);
        char body[64];
        int n = snprintf(body, sizeof body, "{\"trade\":%llu,\"state\":\"done\"}",
                         (unsigned long long)k->t.id);
        cw_pending_ok(k->p, body, (size_t)n);
        cw_log(CW_LOG_INFO, "trade committed", CW_I("trade", (int64_t)k->t.id),
               CW_I("from", k->t.who[0]), CW_I("to", k->t.who[1]), CW_END);
    }
    committing_free(k);
    return 1;
}

/* ---- the cancel rules' causes -------------------------------------------------------------- */

static void interrupt(cw_server *s, int64_t char_id, cw_trade_end why)
{
    cw_trade_app *a = app_of(s);
    cw_trade copy;
    if (a && cw_trade_cancel(a->ts, char_id, &copy) == 0)
        cw_trade_app_tell_cancelled(s, &copy, why, NULL);
}

void cw_trade_app_left(cw_server *s, int64_t char_id)
{
    interrupt(s, char_id, CW_TRADE_END_LEFT);
}

void cw_trade_app_hit(cw_server *s, const cw_entity *from, const cw_entity *to)
{
    if (from && from->kind == CW_ENT_PLAYER) interrupt(s, from->ref, CW_TRADE_END_COMBAT);
    if (to && to->kind == CW_ENT_PLAYER) interrupt(s, to->ref, CW_TRADE_END_COMBAT);
}

void cw_trade_app_tick(cw_server *s)
{
    cw_trade_app *a = app_of(s);
    if (!a) return;
    cw_trade out[SWEEP_MAX];
    int n = cw_trades_sweep(a->ts, cw_trade_app_where, s, out, SWEEP_MAX);
    for (int i = 0; i < n; i++)
        cw_trade_app_tell_cancelled(s, &out[i], CW_TRADE_END_RANGE, NULL);
}
