/* ops_trade.c — the trade ops (see trade_app.h): parse, call core/game/trade,
 * reply; every step that changes a trade sends both sides the `trade` event
 * (trade_app.c). Error codes (docs/protocol.md): not_in_world, bad_field,
 * bad_target, not_found, busy, out_of_range, no_trade, bad_state,
 * whole_stacks, item_busy, bad_offer, too_many_items, not_locked,
 * committing; trade_confirm also vetoed, inventory_full, unavailable,
 * txn_failed. */
#include "core/app/trade_app.h"

#include "core/app/accounts.h"
#include "core/app/combat_app.h"
#include "core/game/world.h"
#include "core/io/net/net.h"

#include <jansson.h>
#include <stdio.h>

/* The caller's loaded, online character, or NULL (answered not_in_world). */
static cw_player *me(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *p = se && se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    if (!p || !p->online || !cw_trade_app_trades(s)) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return NULL;
    }
    return p;
}

static void reply_state(cw_conn *c, const cw_request *req, const cw_trade *t, const char *state)
{
    char body[96];
    int n = snprintf(body, sizeof body, "{\"trade\":%llu,\"state\":\"%s\"}",
                     (unsigned long long)t->id, state);
    cw_conn_reply_ok(c, req->id_json, body, (size_t)n);
}

/* The common errors of the state machine. */
static void reply_rc(cw_conn *c, const cw_request *req, int rc)
{
    if (rc == CW_ENOTFOUND)
        cw_conn_reply_error(c, req->id_json, "no_trade", "you are not trading");
    else if (rc == CW_ESTATE)
        cw_conn_reply_error(c, req->id_json, "bad_state", "not now in this trade");
    else
        cw_conn_reply_error(c, req->id_json, "internal", cw_err_name(rc));
}

void cw_op_trade_request(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    int64_t target;
    if (cw_req_int(c, req, "target", &target) != 0) return;
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = w ? cw_world_find_player(w, p->id) : NULL;
    cw_entity *t = w ? cw_world_get(w, target) : NULL;
    if (!e) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return;
    }
    if (!t || t->kind != CW_ENT_PLAYER || t->zone != e->zone) {
        cw_conn_reply_error(c, req->id_json, "not_found", "no such player here");
        return;
    }
    if (t == e) {
        cw_conn_reply_error(c, req->id_json, "bad_target", "you cannot trade with yourself");
        return;
    }
    if (!cw_trade_near(cw_trade_app_where, s, p->id, t->ref)) {
        cw_conn_reply_error(c, req->id_json, "out_of_range", "come closer (10 units)");
        return;
    }
    cw_trade *tr = NULL;
    int rc = cw_trade_request(cw_trade_app_trades(s), p->id, t->ref, &tr);
    if (rc == CW_EBUSY)
        cw_conn_reply_error(c, req->id_json, "busy", "one of you is trading already");
    else if (rc == CW_ENOTFOUND)
        cw_conn_reply_error(c, req->id_json, "not_found", "no such player here");
    else if (rc != 0)
        reply_rc(c, req, rc);
    if (rc != 0) return;
    reply_state(c, req, tr, "asked");
    cw_trade_app_tell_state(s, tr);
}

void cw_op_trade_respond(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    json_t *v = json_object_get((json_t *)req->json, "accept");
    if (!json_is_boolean(v)) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "trade_respond needs \"accept\": a bool");
        return;
    }
    cw_trade copy;
    int rc = cw_trade_respond(cw_trade_app_trades(s), p->id, json_is_true(v), &copy);
    if (rc != 0) {
        reply_rc(c, req, rc);
        return;
    }
    if (json_is_true(v)) {
        reply_state(c, req, &copy, "open");
        cw_trade_app_tell_state(s, cw_trades_of(cw_trade_app_trades(s), p->id, NULL));
    } else {
        reply_state(c, req, &copy, "declined");
        cw_trade_app_tell_cancelled(s, &copy, CW_TRADE_END_DECLINED, NULL);
    }
}

/* items: [{uid, count}] with count = the instance's whole stack (or absent). */
static int parse_items(cw_conn *c, const cw_request *req, cw_player *p, int64_t *uids, int *n)
{
    json_t *items = json_object_get((json_t *)req->json, "items"); /* absent: none */
    int ok = !items || json_is_array(items);
    size_t k = items && ok ? json_array_size(items) : 0;
    if (ok && k > CW_TRADE_ITEMS_MAX) {
        char msg[80];
        snprintf(msg, sizeof msg, "at most %d items per offer", CW_TRADE_ITEMS_MAX);
        cw_conn_reply_error(c, req->id_json, "too_many_items", msg);
        return -1;
    }
    for (size_t i = 0; ok && i < k; i++) {
        json_t *o = json_array_get(items, i);
        json_t *u = json_object_get(o, "uid"), *cnt = json_object_get(o, "count");
        ok = json_is_integer(u) && (!cnt || json_is_integer(cnt));
        if (!ok) break;
        uids[i] = (int64_t)json_integer_value(u);
        cw_item *it = cw_player_item(p, uids[i]);
        if (cnt && it && it->stack > 0 && json_integer_value(cnt) != it->stack) {
            char msg[120];
            snprintf(msg, sizeof msg, "trades move whole stacks only: item %lld has %lld",
                     (long long)uids[i], (long long)it->stack);
            cw_conn_reply_error(c, req->id_json, "whole_stacks", msg);
            return -1;
        }
    }
    if (!ok) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "trade_offer needs \"items\": [{\"uid\": id, \"count\": n}] and "
                            "\"gold\": an integer");
        return -1;
    }
    *n = (int)k;
    return 0;
}

void cw_op_trade_offer(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    json_t *g = json_object_get((json_t *)req->json, "gold");
    if (g && !json_is_integer(g)) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "\"gold\" is an integer");
        return;
    }
    int64_t uids[CW_TRADE_ITEMS_MAX];
    int n = 0;
    if (parse_items(c, req, p, uids, &n) != 0) return;
    cw_trades *ts = cw_trade_app_trades(s);
    int rc = cw_trade_offer_set(ts, p->id, uids, n, g ? (int64_t)json_integer_value(g) : 0);
    if (rc == CW_EBUSY) {
        cw_conn_reply_error(c, req->id_json, "item_busy", "an item is offered in another trade");
        return;
    }
    if (rc == CW_ENOTFOUND && cw_trades_of(ts, p->id, NULL)) {
        cw_conn_reply_error(c, req->id_json, "not_found",
                            "no such item of yours (or it is not settled yet)");
        return;
    }
    if (rc == CW_EINVAL) {
        cw_conn_reply_error(c, req->id_json, "bad_offer",
                            "a repeated item, negative gold, or more gold than you can give");
        return;
    }
    if (rc == CW_ELIMIT) {
        cw_conn_reply_error(c, req->id_json, "too_many_items", "too many items");
        return;
    }
    if (rc != 0) {
        reply_rc(c, req, rc);
        return;
    }
    cw_trade *t = cw_trades_of(ts, p->id, NULL);
    reply_state(c, req, t, "open");
    cw_trade_app_tell_state(s, t);
}

void cw_op_trade_lock(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    cw_trades *ts = cw_trade_app_trades(s);
    int rc = cw_trade_lock(ts, p->id);
    if (rc != 0) {
        reply_rc(c, req, rc);
        return;
    }
    cw_trade *t = cw_trades_of(ts, p->id, NULL);
    reply_state(c, req, t, "open");
    cw_trade_app_tell_state(s, t);
}

void cw_op_trade_confirm(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    cw_trades *ts = cw_trade_app_trades(s);
    int both = 0;
    int rc = cw_trade_confirm(ts, p->id, &both);
    cw_trade *t = cw_trades_of(ts, p->id, NULL);
    if (rc == CW_ESTATE && t && t->state == CW_TRADE_OPEN) {
        cw_conn_reply_error(c, req->id_json, "not_locked", "both offers must be locked first");
        return;
    }
    if (rc != 0) {
        reply_rc(c, req, rc);
        return;
    }
    if (!both) {
        reply_state(c, req, t, "open");
        cw_trade_app_tell_state(s, t);
        return;
    }
    cw_trade_app_commit(s, c, req, t); /* answers, now or after the commit */
}

void cw_op_trade_cancel(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = me(s, c, req);
    if (!p) return;
    cw_trade copy;
    int rc = cw_trade_cancel(cw_trade_app_trades(s), p->id, &copy);
    if (rc == CW_ESTATE) {
        cw_conn_reply_error(c, req->id_json, "committing", "too late: the trade is being saved");
        return;
    }
    if (rc != 0) {
        reply_rc(c, req, rc);
        return;
    }
    reply_state(c, req, &copy, "cancelled");
    cw_trade_app_tell_cancelled(s, &copy, CW_TRADE_END_CANCELLED, NULL);
}
