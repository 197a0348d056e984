/* player_trade.c — the two transactions of a trade between two loaded
 * characters (see cw_players_trade in players.h): checked on both sides
 * first, then applied at once to the live state and queued as one
 * fail-together group, so the save writes both characters, the items that
 * change owner and the ledger rows in one database transaction or not at
 * all. Pure state, loop thread. */
#include "core/game/player_items_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX ((int64_t)1 << 53)

/* A free inventory slot of p not in used[0..nused). -1 when none. */
static int free_slot(cw_player *p, const int *used, int nused)
{
    for (int k = 0; k < p->inv_slots; k++) {
        char place[CW_ITEM_PLACE_MAX + 1];
        snprintf(place, sizeof place, "inv:%d", k);
        if (cw_player_item_at(p, place)) continue;
        int taken = 0;
        for (int j = 0; j < nused; j++)
            taken |= used[j] == k;
        if (!taken) return k;
    }
    return -1;
}

/* Checks what one side gives: whole, committed, settled, stored instances. */
static int check_give(cw_player *p, const cw_trade_give *g, uint64_t hold)
{
    if (g->gold < 0 || g->gold > VALUE_MAX || g->nuids < 0 || (g->nuids > 0 && !g->uids))
        return CW_EINVAL;
    for (int i = 0; i < g->nuids; i++) {
        for (int j = 0; j < i; j++)
            if (g->uids[j] == g->uids[i]) return CW_EINVAL;
        cw_item *it = cw_player_item(p, g->uids[i]);
        if (!it || it->stack <= 0 || it->stack != it->committed || it->version <= 0 ||
            it->moved_from)
            return CW_ENOTFOUND;
        if (it->hold && it->hold != hold) return CW_EBUSY;
    }
    return 0;
}

static cw_txn *new_half(const cw_trade_give *give, const cw_trade_give *take, const char *reason,
                        int64_t counterpart, int64_t group)
{
    cw_txn *x = calloc(1, sizeof *x);
    int n = give->nuids + take->nuids;
    if (x && n > 0 && !(x->items = calloc((size_t)n, sizeof *x->items))) {
        free(x);
        return NULL;
    }
    if (!x) return NULL;
    x->gold = take->gold - give->gold;
    x->gold_sent = give->gold;
    x->token = give->token;
    x->counterpart = counterpart;
    x->group = group;
    snprintf(x->reason, sizeof x->reason, "%s", reason ? reason : "");
    return x;
}

/* Moves the instances of g from `from` to `to` (slots chosen already):
 * from keeps a tombstone (moved_to), to gets a copy (moved_from). */
static void move_items(cw_player *from, cw_player *to, const cw_trade_give *g, const int *slots,
                       char **props, cw_txn *xf, cw_txn *xt)
{
    for (int i = 0; i < g->nuids; i++) {
        cw_item *src = cw_player_item(from, g->uids[i]);
        int64_t count = src->stack;
        cw_item *dst = &to->items[to->nitems++];
        memset(dst, 0, sizeof *dst);
        dst->uid = src->uid;
        memcpy(dst->tmpl, src->tmpl, sizeof dst->tmpl);
        dst->stack = count;
        dst->props = props[i];
        snprintf(dst->place, sizeof dst->place, "inv:%d", slots[i]);
        dst->moved_from = from->id;
        dst->seq = ++to->item_seq;
        src->stack = 0;
        src->hold = 0;
        src->moved_to = to->id;
        src->seq = ++from->item_seq;
        xf->items[xf->nitems++] = (cw_txn_item_op){.uid = src->uid, .delta = -count};
        memcpy(xf->items[xf->nitems - 1].tmpl, src->tmpl, sizeof src->tmpl);
        xt->items[xt->nitems++] = (cw_txn_item_op){.uid = src->uid, .delta = count};
        memcpy(xt->items[xt->nitems - 1].tmpl, src->tmpl, sizeof src->tmpl);
    }
}

/* Slots and props copies for what `to` receives from g. */
static int prepare(cw_player *to, const cw_trade_give *g, cw_player *from, int *slots, char **props)
{
    for (int i = 0; i < g->nuids; i++) {
        slots[i] = free_slot(to, slots, i);
        if (slots[i] < 0) return CW_EFULL;
        props[i] = strdup(cw_player_item(from, g->uids[i])->props);
        if (!props[i]) return CW_ENOMEM;
    }
    return cw_items_reserve(to, g->nuids);
}

int cw_player_gold_can_give(const cw_player *p, int64_t gold)
{
    if (gold <= 0) return 1;
    return gold <= VALUE_MAX && cw_players_gold_fits(p, -(p->gold_held + gold));
}

int cw_players_trade(cw_players *ps, cw_player *a, const cw_trade_give *ga, cw_player *b,
                     const cw_trade_give *gb, const char *reason, uint64_t hold)
{
    if (!ps || !a || !b || !ga || !gb || a == b || a->id == b->id) return CW_EINVAL;
    if (reason && cw_txn_reason_problem(reason)) return CW_EINVAL;
    if (a->stale || b->stale) return CW_ESTATE;
    int rc = check_give(a, ga, hold);
    if (rc == 0) rc = check_give(b, gb, hold);
    if (rc != 0) return rc;
    if (!cw_players_gold_fits(a, gb->gold - ga->gold) ||
        !cw_players_gold_fits(b, ga->gold - gb->gold))
        return CW_EINVAL;
    int na = ga->nuids, nb = gb->nuids;
    int *slots = calloc((size_t)(na + nb + 1), sizeof *slots);
    char **props = calloc((size_t)(na + nb + 1), sizeof *props);
    cw_txn *xa = new_half(ga, gb, reason, b->id, 0);
    cw_txn *xb = new_half(gb, ga, reason, a->id, 0);
    rc = slots && props && xa && xb ? 0 : CW_ENOMEM;
    if (rc == 0) rc = prepare(b, ga, a, slots, props);           /* what b receives */
    if (rc == 0) rc = prepare(a, gb, b, slots + na, props + na); /* what a receives */
    if (rc != 0) {
        for (int i = 0; props && i < na + nb; i++)
            free(props[i]);
        free(props);
        free(slots);
        if (xa) free(xa->items);
        if (xb) free(xb->items);
        free(xa);
        free(xb);
        return rc;
    }
    /* Nothing can fail from here on. */
    xa->group = xb->group = cw_players_new_group(ps);
    move_items(a, b, ga, slots, props, xa, xb);
    move_items(b, a, gb, slots + na, props + na, xb, xa);
    free(slots);
    free(props);
    cw_players_enqueue(a, xa);
    cw_players_enqueue(b, xb);
    return 0;
}
