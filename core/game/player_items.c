/* player_items.c — a character's item instances: loading, the item
 * operations of value transactions (planned against the live stacks, applied
 * at once, undone on failure, counted as committed only when the save that
 * carried them committed), in-character moves, and the write-behind marks
 * (see players.h and player_items_internal.h). Pure state, loop thread. */
#include "core/game/player_items_internal.h"

#include "core/base/jsonvalid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int def_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CW_DEF_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return 0;
    }
    return 1;
}

int cw_player_place_valid(const cw_player *p, const char *place)
{
    if (!place) return 0;
    if (strncmp(place, "inv:", 4) == 0) {
        const char *d = place + 4;
        size_t n = strlen(d);
        if (n == 0 || n > 4 || strspn(d, "0123456789") != n || (n > 1 && d[0] == '0')) return 0;
        return atoi(d) < p->inv_slots;
    }
    if (strncmp(place, "eq:", 3) == 0) {
        const char *s = place + 3;
        size_t n = strlen(s);
        if (n == 0 || n > 24) return 0;
        for (size_t i = 0; i < n; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                return 0;
        return 1;
    }
    return 0;
}

static int props_valid(const char *props)
{
    size_t n = props ? strlen(props) : 0;
    return props && n <= CW_ITEM_PROPS_MAX && cw_json_object_valid(props, n) == 0;
}

void cw_items_free(cw_player *p)
{
    for (int i = 0; i < p->nitems; i++)
        free(p->items[i].props);
    free(p->items);
    p->items = NULL;
    p->nitems = p->capitems = 0;
}

int cw_items_reserve(cw_player *p, int more)
{
    if (p->nitems + more <= p->capitems) return 0;
    int cap = p->capitems ? p->capitems : 8;
    while (cap < p->nitems + more)
        cap *= 2;
    cw_item *v = realloc(p->items, sizeof *v * (size_t)cap);
    if (!v) return CW_ENOMEM;
    p->items = v;
    p->capitems = cap;
    return 0;
}

cw_item *cw_player_item(cw_player *p, int64_t uid)
{
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i].uid == uid) return &p->items[i];
    return NULL;
}

cw_item *cw_player_item_at(cw_player *p, const char *place)
{
    for (int i = 0; i < p->nitems; i++)
        if (strcmp(p->items[i].place, place) == 0) return &p->items[i];
    return NULL;
}

int cw_items_load(cw_player *p, const cw_item_init *in, int n, int slots)
{
    p->inv_slots = slots > 0 ? slots : CW_INV_SLOTS_DEFAULT;
    if (slots < 0 || slots > CW_INV_SLOTS_MAX || n < 0 || (n > 0 && !in)) return CW_EINVAL;
    for (int i = 0; i < n; i++) {
        if (in[i].uid <= 0 || in[i].stack <= 0 || in[i].version < 0 || !def_id_valid(in[i].tmpl) ||
            !in[i].place || strlen(in[i].place) > CW_ITEM_PLACE_MAX ||
            !props_valid(in[i].props ? in[i].props : "{}"))
            return CW_EINVAL;
        for (int j = 0; j < i; j++)
            if (in[j].uid == in[i].uid) return CW_EINVAL;
    }
    if (cw_items_reserve(p, n)) return CW_ENOMEM;
    for (int i = 0; i < n; i++) {
        cw_item *it = &p->items[p->nitems];
        memset(it, 0, sizeof *it);
        it->props = strdup(in[i].props ? in[i].props : "{}");
        if (!it->props) return CW_ENOMEM; /* the caller frees p */
        it->uid = in[i].uid;
        it->stack = it->committed = in[i].stack;
        it->version = in[i].version;
        snprintf(it->tmpl, sizeof it->tmpl, "%s", in[i].tmpl);
        snprintf(it->place, sizeof it->place, "%s", in[i].place);
        p->nitems++;
    }
    return 0;
}

/* ---- planning a transaction's operations -------------------------------------- */

typedef struct fresh {
    int64_t uid, stack;
    int slot;
    const char *tmpl, *props;
} fresh;

typedef struct plan {
    int64_t *stack; /* live stacks of p->items as planned */
    fresh *fresh;
    int nfresh, capfresh;
    cw_txn_item_op *ops;
    int nops, capops;
} plan;

/* One entry per instance: a transaction that adds to and takes from the
 * same instance records the net change. */
static int add_op(plan *pl, int64_t uid, int64_t delta, const char *tmpl)
{
    for (int i = 0; i < pl->nops; i++)
        if (pl->ops[i].uid == uid) {
            pl->ops[i].delta += delta;
            return 0;
        }
    if (pl->nops == pl->capops) {
        int cap = pl->capops ? pl->capops * 2 : 4;
        cw_txn_item_op *v = realloc(pl->ops, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        pl->ops = v;
        pl->capops = cap;
    }
    cw_txn_item_op *o = &pl->ops[pl->nops++];
    memset(o, 0, sizeof *o);
    o->uid = uid;
    o->delta = delta;
    snprintf(o->tmpl, sizeof o->tmpl, "%s", tmpl);
    return 0;
}

static int slot_free(const cw_player *p, const plan *pl, int k)
{
    char place[CW_ITEM_PLACE_MAX + 1];
    snprintf(place, sizeof place, "inv:%d", k);
    for (int i = 0; i < p->nitems; i++)
        if (strcmp(p->items[i].place, place) == 0) return 0;
    for (int i = 0; i < pl->nfresh; i++)
        if (pl->fresh[i].slot == k) return 0;
    return 1;
}

static int plan_create(cw_player *p, plan *pl, const cw_txn_item *op, const cw_txn_spec *t)
{
    const char *props = op->props ? op->props : "{}";
    if (!def_id_valid(op->tmpl) || op->count < 1 || op->count > ((int64_t)1 << 40) ||
        op->max_stack < 1 || !props_valid(props))
        return CW_EINVAL;
    int64_t left = op->count;
    for (int i = 0; left > 0 && i < p->nitems; i++) {
        cw_item *it = &p->items[i];
        int64_t room = op->max_stack - pl->stack[i];
        if (pl->stack[i] <= 0 || room <= 0 || strncmp(it->place, "inv:", 4) != 0 ||
            strcmp(it->tmpl, op->tmpl) != 0 || strcmp(it->props, props) != 0)
            continue;
        int64_t add = room < left ? room : left;
        pl->stack[i] += add;
        left -= add;
        if (add_op(pl, it->uid, add, it->tmpl)) return CW_ENOMEM;
    }
    for (int i = 0; left > 0 && i < pl->nfresh; i++) {
        fresh *f = &pl->fresh[i];
        int64_t room = op->max_stack - f->stack;
        if (room <= 0 || strcmp(f->tmpl, op->tmpl) != 0 || strcmp(f->props, props) != 0) continue;
        int64_t add = room < left ? room : left;
        f->stack += add;
        left -= add;
        if (add_op(pl, f->uid, add, f->tmpl)) return CW_ENOMEM;
    }
    while (left > 0) {
        int k = 0;
        while (k < p->inv_slots && !slot_free(p, pl, k))
            k++;
        if (k == p->inv_slots) return CW_EFULL;
        int64_t uid = t->new_uid ? t->new_uid(t->uid_ud) : 0;
        if (uid <= 0) return CW_EUNAVAIL;
        if (pl->nfresh == pl->capfresh) {
            int cap = pl->capfresh ? pl->capfresh * 2 : 4;
            fresh *v = realloc(pl->fresh, sizeof *v * (size_t)cap);
            if (!v) return CW_ENOMEM;
            pl->fresh = v;
            pl->capfresh = cap;
        }
        int64_t add = op->max_stack < left ? op->max_stack : left;
        pl->fresh[pl->nfresh++] = (fresh){uid, add, k, op->tmpl, props};
        left -= add;
        if (add_op(pl, uid, add, op->tmpl)) return CW_ENOMEM;
    }
    return 0;
}

static int plan_destroy(cw_player *p, plan *pl, const cw_txn_item *op)
{
    if (op->count < 1) return CW_EINVAL;
    for (int i = 0; i < p->nitems; i++) {
        if (p->items[i].uid != op->uid) continue;
        if (p->items[i].hold) return CW_EBUSY;
        if (pl->stack[i] < op->count) return CW_ENOTFOUND;
        pl->stack[i] -= op->count;
        return add_op(pl, op->uid, -op->count, p->items[i].tmpl);
    }
    return CW_ENOTFOUND;
}

static void plan_free(plan *pl)
{
    free(pl->stack);
    free(pl->fresh);
    free(pl->ops);
}

int cw_items_txn(cw_player *p, cw_txn *x, const cw_txn_spec *t)
{
    if (t->nitems == 0) return 0;
    if (t->nitems < 0 || !t->items) return CW_EINVAL;
    plan pl = {0};
    pl.stack = calloc((size_t)(p->nitems ? p->nitems : 1), sizeof *pl.stack);
    if (!pl.stack) return CW_ENOMEM;
    for (int i = 0; i < p->nitems; i++)
        pl.stack[i] = p->items[i].stack;
    int rc = 0;
    for (int i = 0; rc == 0 && i < t->nitems; i++) {
        const cw_txn_item *op = &t->items[i];
        rc = op->op == CW_TXN_ITEM_CREATE    ? plan_create(p, &pl, op, t)
             : op->op == CW_TXN_ITEM_DESTROY ? plan_destroy(p, &pl, op)
                                             : CW_EINVAL;
    }
    char **props = NULL;
    if (rc == 0 && pl.nfresh) {
        props = calloc((size_t)pl.nfresh, sizeof *props);
        rc = props && cw_items_reserve(p, pl.nfresh) == 0 ? 0 : CW_ENOMEM;
        for (int i = 0; rc == 0 && i < pl.nfresh; i++)
            if (!(props[i] = strdup(pl.fresh[i].props))) rc = CW_ENOMEM;
    }
    if (rc != 0) {
        for (int i = 0; props && i < pl.nfresh; i++)
            free(props[i]);
        free(props);
        plan_free(&pl);
        return rc;
    }
    /* Nothing can fail from here on. */
    for (int i = 0; i < p->nitems; i++)
        if (pl.stack[i] != p->items[i].stack) {
            p->items[i].stack = pl.stack[i];
            p->items[i].seq = ++p->item_seq;
        }
    for (int i = 0; i < pl.nfresh; i++) {
        cw_item *it = &p->items[p->nitems++];
        memset(it, 0, sizeof *it);
        it->uid = pl.fresh[i].uid;
        it->stack = pl.fresh[i].stack;
        it->props = props[i];
        snprintf(it->tmpl, sizeof it->tmpl, "%s", pl.fresh[i].tmpl);
        snprintf(it->place, sizeof it->place, "inv:%d", pl.fresh[i].slot);
        it->seq = ++p->item_seq;
    }
    free(props);
    x->items = pl.ops;
    x->nitems = pl.nops;
    pl.ops = NULL;
    plan_free(&pl);
    return 0;
}

void cw_items_undo(cw_player *p, const cw_txn *t)
{
    for (int k = t->nitems - 1; k >= 0; k--) {
        cw_item *it = cw_player_item(p, t->items[k].uid);
        if (!it) continue;
        it->stack -= t->items[k].delta;
        it->seq = ++p->item_seq;
        if (t->counterpart && it->stack > 0) it->moved_to = 0;    /* a trade's giving undone */
        if (t->counterpart && it->stack == 0) it->moved_from = 0; /* never received */
    }
}

int cw_items_negative(cw_player *p, const cw_txn *t)
{
    for (int k = 0; k < t->nitems; k++) {
        cw_item *it = cw_player_item(p, t->items[k].uid);
        if (t->items[k].delta < 0 && it && it->stack < 0) return 1;
    }
    return 0;
}

int cw_player_item_move(cw_player *p, int64_t uid, const char *place)
{
    cw_item *it = cw_player_item(p, uid);
    if (!it || it->committed <= 0 || it->stack <= 0) return CW_ENOTFOUND;
    if (it->hold) return CW_EBUSY;
    if (!cw_player_place_valid(p, place)) return CW_EINVAL;
    cw_item *other = cw_player_item_at(p, place);
    if (other == it) return 0;
    if (other) return CW_EEXIST;
    snprintf(it->place, sizeof it->place, "%s", place);
    it->seq = ++p->item_seq;
    cw_player_touch(p);
    return 0;
}

/* ---- write-behind ------------------------------------------------------------ */

void cw_items_collect(cw_player *p)
{
    for (int i = 0; i < p->nitems; i++) {
        cw_item *it = &p->items[i];
        if (it->seq == it->saved_seq) continue;
        it->saving_seq = it->seq;
        it->saving_stack = it->stack;
        it->saving_version = it->version;
    }
}

void cw_items_saved(cw_player *p, int rc)
{
    for (int i = 0; i < p->nitems; i++) {
        cw_item *it = &p->items[i];
        if (!it->saving_seq) continue;
        if (rc == 0) {
            it->saved_seq = it->saving_seq;
            if (it->saving_stack == 0)
                it->version = 0; /* deleted, or never stored */
            else
                it->version = it->saving_version + 1;
            it->moved_from = 0; /* a received instance is stored as ours now */
        }
        it->saving_seq = 0;
    }
}

void cw_items_commit(cw_player *p, const cw_txn *t, cw_item_cb cb, void *ud)
{
    for (int k = 0; k < t->nitems; k++) {
        cw_item *it = cw_player_item(p, t->items[k].uid);
        if (!it) continue;
        it->committed += t->items[k].delta;
        if (cb && t->items[k].delta) cb(p, it, t->items[k].delta, ud);
    }
}

void cw_items_compact(cw_player *p)
{
    int j = 0;
    for (int i = 0; i < p->nitems; i++) {
        cw_item *it = &p->items[i];
        if (it->stack == 0 && it->version == 0 && it->seq == it->saved_seq && it->committed == 0 &&
            !it->saving_seq) {
            free(it->props);
            continue;
        }
        if (i != j) p->items[j] = *it;
        j++;
    }
    p->nitems = j;
}
