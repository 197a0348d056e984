/* trade.c — the trade state machine and its item holds (see trade.h). A
 * small array of owned trades, searched linearly (a character is in at most
 * one trade; trades are few). Pure state, loop thread. */
#include "core/game/trade.h"

#include <stdlib.h>
#include <string.h>

struct cw_trades {
    cw_players *ps;
    cw_trade **v;
    int n, cap;
    uint64_t last_id;
};

cw_trades *cw_trades_new(cw_players *ps)
{
    cw_trades *ts = calloc(1, sizeof *ts);
    if (ts) ts->ps = ps;
    return ts;
}

static void release(cw_trades *ts, cw_trade *t)
{
    for (int s = 0; s < 2; s++) {
        cw_player *p = cw_players_get(ts->ps, t->who[s]);
        if (p && !t->queued) p->gold_held -= t->offer[s].gold;
        for (int i = 0; p && i < t->offer[s].nuids; i++) {
            cw_item *it = cw_player_item(p, t->offer[s].uids[i]);
            if (it && it->hold == t->id) it->hold = 0;
        }
    }
}

static void drop(cw_trades *ts, int k)
{
    release(ts, ts->v[k]);
    free(ts->v[k]);
    ts->v[k] = ts->v[--ts->n];
}

void cw_trades_free(cw_trades *ts)
{
    if (!ts) return;
    while (ts->n)
        drop(ts, ts->n - 1);
    free(ts->v);
    free(ts);
}

cw_trade *cw_trades_of(cw_trades *ts, int64_t id, int *side)
{
    for (int k = 0; k < ts->n; k++)
        for (int s = 0; s < 2; s++)
            if (ts->v[k]->who[s] == id) {
                if (side) *side = s;
                return ts->v[k];
            }
    return NULL;
}

int cw_trade_in_range(double ax, double ay, double bx, double by)
{
    double dx = ax - bx, dy = ay - by;
    return dx * dx + dy * dy <= CW_TRADE_RANGE * CW_TRADE_RANGE;
}

int cw_trade_request(cw_trades *ts, int64_t from, int64_t to, cw_trade **out)
{
    if (from == to) return CW_EINVAL;
    if (!cw_players_get(ts->ps, from) || !cw_players_get(ts->ps, to)) return CW_ENOTFOUND;
    if (cw_trades_of(ts, from, NULL) || cw_trades_of(ts, to, NULL)) return CW_EBUSY;
    if (ts->n == ts->cap) {
        int cap = ts->cap ? ts->cap * 2 : 8;
        cw_trade **v = realloc(ts->v, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        ts->v = v;
        ts->cap = cap;
    }
    cw_trade *t = calloc(1, sizeof *t);
    if (!t) return CW_ENOMEM;
    t->id = ++ts->last_id;
    t->who[0] = from;
    t->who[1] = to;
    t->state = CW_TRADE_ASKED;
    ts->v[ts->n++] = t;
    if (out) *out = t;
    return 0;
}

static int index_of(cw_trades *ts, const cw_trade *t)
{
    for (int k = 0; k < ts->n; k++)
        if (ts->v[k] == t) return k;
    return -1;
}

int cw_trade_respond(cw_trades *ts, int64_t who, int accept, cw_trade *out)
{
    int side;
    cw_trade *t = cw_trades_of(ts, who, &side);
    if (!t) return CW_ENOTFOUND;
    if (t->state != CW_TRADE_ASKED || side != 1) return CW_ESTATE;
    if (out) *out = *t;
    if (accept)
        t->state = CW_TRADE_OPEN;
    else
        drop(ts, index_of(ts, t));
    if (out && accept) *out = *t;
    return 0;
}

static void unlock_both(cw_trade *t)
{
    for (int s = 0; s < 2; s++)
        t->offer[s].locked = t->offer[s].confirmed = 0;
}

int cw_trade_offer_set(cw_trades *ts, int64_t who, const int64_t *uids, int n, int64_t gold)
{
    int side;
    cw_trade *t = cw_trades_of(ts, who, &side);
    if (!t) return CW_ENOTFOUND;
    if (t->state != CW_TRADE_OPEN) return CW_ESTATE;
    if (n < 0 || (n > 0 && !uids) || gold < 0) return CW_EINVAL;
    if (n > CW_TRADE_ITEMS_MAX) return CW_ELIMIT;
    cw_player *p = cw_players_get(ts->ps, who);
    if (!p) return CW_ENOTFOUND;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            if (uids[j] == uids[i]) return CW_EINVAL;
        cw_item *it = cw_player_item(p, uids[i]);
        if (!it || it->stack <= 0 || it->stack != it->committed || it->moved_from)
            return CW_ENOTFOUND;
        if (it->hold && it->hold != t->id) return CW_EBUSY;
    }
    cw_trade_offer *o = &t->offer[side];
    if (!cw_player_gold_can_give(p, gold - o->gold)) return CW_EINVAL;
    for (int i = 0; i < o->nuids; i++) {
        cw_item *it = cw_player_item(p, o->uids[i]);
        if (it && it->hold == t->id) it->hold = 0;
    }
    for (int i = 0; i < n; i++) {
        o->uids[i] = uids[i];
        cw_player_item(p, uids[i])->hold = t->id;
    }
    o->nuids = n;
    p->gold_held += gold - o->gold;
    o->gold = gold;
    unlock_both(t);
    return 0;
}

int cw_trade_lock(cw_trades *ts, int64_t who)
{
    int side;
    cw_trade *t = cw_trades_of(ts, who, &side);
    if (!t) return CW_ENOTFOUND;
    if (t->state != CW_TRADE_OPEN) return CW_ESTATE;
    t->offer[side].locked = 1;
    return 0;
}

int cw_trade_confirm(cw_trades *ts, int64_t who, int *both)
{
    int side;
    cw_trade *t = cw_trades_of(ts, who, &side);
    if (both) *both = 0;
    if (!t) return CW_ENOTFOUND;
    if (t->state != CW_TRADE_OPEN || !t->offer[0].locked || !t->offer[1].locked) return CW_ESTATE;
    t->offer[side].confirmed = 1;
    if (t->offer[0].confirmed && t->offer[1].confirmed) {
        t->state = CW_TRADE_COMMITTING;
        if (both) *both = 1;
    }
    return 0;
}

int cw_trade_commit(cw_trades *ts, cw_trade *t, const char *reason, uint64_t token0,
                    uint64_t token1)
{
    if (!t || t->state != CW_TRADE_COMMITTING) return CW_ESTATE;
    cw_player *a = cw_players_get(ts->ps, t->who[0]);
    cw_player *b = cw_players_get(ts->ps, t->who[1]);
    if (!a || !b) return CW_ENOTFOUND;
    cw_trade_give ga = {t->offer[0].uids, t->offer[0].nuids, t->offer[0].gold, token0};
    cw_trade_give gb = {t->offer[1].uids, t->offer[1].nuids, t->offer[1].gold, token1};
    /* the held gold is what this trade spends */
    a->gold_held -= ga.gold;
    b->gold_held -= gb.gold;
    int rc = cw_players_trade(ts->ps, a, &ga, b, &gb, reason, t->id);
    if (rc != 0) {
        a->gold_held += ga.gold;
        b->gold_held += gb.gold;
    } else {
        t->queued = 1; /* the held gold is spent: nothing to release */
    }
    return rc;
}

int cw_trade_cancel(cw_trades *ts, int64_t who, cw_trade *out)
{
    cw_trade *t = cw_trades_of(ts, who, NULL);
    if (!t) return CW_ENOTFOUND;
    if (t->state == CW_TRADE_COMMITTING) return CW_ESTATE;
    if (out) *out = *t;
    drop(ts, index_of(ts, t));
    return 0;
}

void cw_trade_finish(cw_trades *ts, uint64_t id)
{
    for (int k = 0; k < ts->n; k++)
        if (ts->v[k]->id == id) {
            drop(ts, k);
            return;
        }
}

const char *cw_trade_end_name(cw_trade_end why)
{
    switch (why) {
    case CW_TRADE_END_CANCELLED:
        return "cancelled";
    case CW_TRADE_END_DECLINED:
        return "declined";
    case CW_TRADE_END_LEFT:
        return "left";
    case CW_TRADE_END_RANGE:
        return "out_of_range";
    case CW_TRADE_END_COMBAT:
        return "combat";
    case CW_TRADE_END_VETOED:
        return "vetoed";
    case CW_TRADE_END_FAILED:
        return "txn_failed";
    }
    return "cancelled";
}

int cw_trade_near(cw_trade_where_fn where, void *ud, int64_t a, int64_t b)
{
    int za, zb;
    double ax, ay, bx, by;
    if (!where || where(ud, a, &za, &ax, &ay) != 0 || where(ud, b, &zb, &bx, &by) != 0) return 0;
    return za == zb && cw_trade_in_range(ax, ay, bx, by);
}

int cw_trades_sweep(cw_trades *ts, cw_trade_where_fn where, void *ud, cw_trade *out, int max)
{
    int n = 0;
    for (int k = 0; k < ts->n && n < max;) {
        cw_trade *t = ts->v[k];
        if (t->state == CW_TRADE_COMMITTING || cw_trade_near(where, ud, t->who[0], t->who[1])) {
            k++;
            continue;
        }
        out[n++] = *t;
        drop(ts, k); /* moves the last trade into k */
    }
    return n;
}
