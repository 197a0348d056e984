/* ctl_world_store.c — what the offline world keeps beside the game: the
 * events sent to each character (for chaos.sim.events) and an in-memory
 * store standing in for the database, with the commit that chaosd's group
 * commit does (cw_players_collect, then cw_players_saved): value
 * transactions are applied only when it succeeds, and a commit made to fail
 * drops them and rolls their data back. See ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECT_BATCH 32

/* ---- events sent to characters -------------------------------------------------------------- */

ctl_box *ctl_box_of(ctl_world *w, int64_t char_id, int create)
{
    for (int i = 0; i < w->nboxes; i++)
        if (w->boxes[i].char_id == char_id) return &w->boxes[i];
    if (!create) return NULL;
    if (w->nboxes == w->capboxes) {
        int cap = w->capboxes ? w->capboxes * 2 : 8;
        ctl_box *v = realloc(w->boxes, sizeof *v * (size_t)cap);
        if (!v) return NULL;
        w->boxes = v;
        w->capboxes = cap;
    }
    ctl_box *b = &w->boxes[w->nboxes++];
    memset(b, 0, sizeof *b);
    b->char_id = char_id;
    return b;
}

void ctl_box_add(ctl_world *w, int64_t char_id, const char *json, size_t len)
{
    ctl_box *b = ctl_box_of(w, char_id, 1);
    if (!b) return;
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 16;
        char **v = realloc(b->v, sizeof *v * (size_t)cap);
        if (!v) return;
        b->v = v;
        b->cap = cap;
    }
    char *s = malloc(len + 1);
    if (!s) return;
    memcpy(s, json, len);
    s[len] = '\0';
    b->v[b->n++] = s;
}

void ctl_box_clear(ctl_box *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->v[i]);
    b->n = 0;
}

/* ---- the store ------------------------------------------------------------------------------ */

static void row_free_data(ctl_row_ns *d, int n)
{
    for (int i = 0; i < n; i++)
        free(d[i].json);
    free(d);
}

const ctl_row *ctl_store_get(ctl_world *w, int64_t char_id)
{
    for (int i = 0; i < w->nrows; i++)
        if (w->rows[i].id == char_id) return &w->rows[i];
    return NULL;
}

/* Replaces (or adds) the row of r->id; takes r->data. */
static int store_set(ctl_world *w, ctl_row *r)
{
    ctl_row *at = (ctl_row *)ctl_store_get(w, r->id);
    if (!at) {
        if (w->nrows == w->caprows) {
            int cap = w->caprows ? w->caprows * 2 : 8;
            ctl_row *v = realloc(w->rows, sizeof *v * (size_t)cap);
            if (!v) {
                row_free_data(r->data, r->ndata);
                return CW_ENOMEM;
            }
            w->rows = v;
            w->caprows = cap;
        }
        at = &w->rows[w->nrows++];
    } else {
        row_free_data(at->data, at->ndata);
    }
    *at = *r;
    return 0;
}

/* Copies data entries (ns, json) into a new array. */
static int copy_data(const cw_data_ns *d, int n, ctl_row_ns **out)
{
    *out = calloc((size_t)n + 1, sizeof **out);
    if (!*out) return CW_ENOMEM;
    for (int i = 0; i < n; i++) {
        snprintf((*out)[i].ns, sizeof(*out)[i].ns, "%s", d[i].ns);
        (*out)[i].json = strdup(d[i].json ? d[i].json : "{}");
        if (!(*out)[i].json) {
            row_free_data(*out, i);
            *out = NULL;
            return CW_ENOMEM;
        }
    }
    return 0;
}

int ctl_store_put(ctl_world *w, const cw_player *p)
{
    ctl_row r = {.id = p->id,
                 .gold = p->gold,
                 .exp = p->exp,
                 .level = p->level,
                 .x = p->x,
                 .y = p->y,
                 .ndata = p->ndata};
    snprintf(r.zone, sizeof r.zone, "%s", p->zone);
    int rc = copy_data(p->data, p->ndata, &r.data);
    return rc ? rc : store_set(w, &r);
}

void ctl_store_free(ctl_world *w)
{
    for (int i = 0; i < w->nboxes; i++) {
        ctl_box_clear(&w->boxes[i]);
        free(w->boxes[i].v);
    }
    free(w->boxes);
    for (int i = 0; i < w->nrows; i++)
        row_free_data(w->rows[i].data, w->rows[i].ndata);
    free(w->rows);
    free(w->levels);
    free(w->dones);
    w->boxes = NULL;
    w->rows = NULL;
    w->levels = NULL;
    w->dones = NULL;
    w->nboxes = w->nrows = w->nlevels = w->ndones = 0;
    w->capdones = 0;
}

/* ---- the commit ----------------------------------------------------------------------------- */

typedef struct txn_ctx {
    ctl_world *w;
    int last_level; /* the character's level before the transaction at hand */
    int64_t char_id;
} txn_ctx;

static void add_done(ctl_world *w, int64_t char_id, uint64_t token, int rc)
{
    if (w->ndones == w->capdones) {
        int cap = w->capdones ? w->capdones * 2 : 8;
        ctl_done *v = realloc(w->dones, sizeof *v * (size_t)cap);
        if (!v) return;
        w->dones = v;
        w->capdones = cap;
    }
    w->dones[w->ndones++] = (ctl_done){char_id, token, rc};
}

static void add_level(ctl_world *w, int64_t char_id, int from, int to)
{
    if (w->nlevels == w->caplevels) {
        int cap = w->caplevels ? w->caplevels * 2 : 8;
        ctl_level *v = realloc(w->levels, sizeof *v * (size_t)cap);
        if (!v) return;
        w->levels = v;
        w->caplevels = cap;
    }
    w->levels[w->nlevels++] = (ctl_level){char_id, from, to};
}

/* One transaction's outcome: the player hears of committed gold and exp
 * (events "exp" and "gold", as chaosd's cw_grant_done tells them). */
static void on_txn(uint64_t token, int rc, const cw_player *p, int64_t gold, int64_t exp, int level,
                   void *ud)
{
    txn_ctx *c = ud;
    add_done(c->w, c->char_id, token, rc);
    if (rc != 0 || !p) return;
    if (level > 0 && p->level > c->last_level && p->online)
        add_level(c->w, p->id, c->last_level, p->level);
    c->last_level = p->level;
    if (!p->online) return;
    char ev[160];
    if (exp || level) {
        int n = snprintf(ev, sizeof ev, "{\"ev\":\"exp\",\"exp\":%lld,\"level\":%d,\"delta\":%lld}",
                         (long long)p->exp, p->level, (long long)exp);
        ctl_box_add(c->w, p->id, ev, (size_t)n);
    }
    if (gold) {
        int n = snprintf(ev, sizeof ev, "{\"ev\":\"gold\",\"gold\":%lld,\"delta\":%lld}",
                         (long long)p->gold, (long long)gold);
        ctl_box_add(c->w, p->id, ev, (size_t)n);
    }
}

int ctl_commit(ctl_world *w, int *failed, cw_error *err)
{
    int fail = w->fail_next;
    w->fail_next = 0;
    if (failed) *failed = fail;
    ctl_row *st = NULL;
    int n = 0, cap = 0, rc = 0;
    cw_player_snapshot snap[COLLECT_BATCH];
    int k;
    /* Every snapshot is copied before the next cw_players_* call (they borrow). */
    while (rc == 0 && (k = cw_players_collect(w->ps, snap, COLLECT_BATCH, 0)) > 0) {
        if (n + k > cap) {
            int ncap = cap ? cap * 2 : COLLECT_BATCH;
            while (ncap < n + k)
                ncap *= 2;
            ctl_row *v = realloc(st, sizeof *v * (size_t)ncap);
            if (!v) {
                rc = CW_ENOMEM;
                break;
            }
            st = v;
            cap = ncap;
        }
        for (int i = 0; i < k; i++) {
            ctl_row *r = &st[n++];
            *r = (ctl_row){.id = snap[i].id,
                           .gold = snap[i].gold,
                           .exp = snap[i].exp,
                           .level = snap[i].level,
                           .x = snap[i].x,
                           .y = snap[i].y,
                           .ndata = snap[i].ndata};
            snprintf(r->zone, sizeof r->zone, "%s", snap[i].zone);
            if (copy_data(snap[i].data, snap[i].ndata, &r->data) != 0) rc = CW_ENOMEM;
        }
    }
    /* Out of memory: the collected players get a failed save (retried at the next commit). */
    int save_rc = rc ? CW_ENOMEM : fail ? CW_EUNAVAIL : 0;
    for (int i = 0; i < n; i++) {
        cw_player *p = cw_players_get(w->ps, st[i].id);
        txn_ctx c = {w, p ? p->level : 0, st[i].id};
        cw_players_saved(w->ps, st[i].id, save_rc, 1, on_txn, &c);
        if (save_rc == 0)
            store_set(w, &st[i]);
        else
            row_free_data(st[i].data, st[i].ndata);
    }
    free(st);
    /* level_up, once the commit is over (a hook may queue the next transaction) */
    for (int i = 0; i < w->nlevels; i++) {
        cw_player *p = cw_players_get(w->ps, w->levels[i].char_id);
        if (!p || !p->online) continue;
        cw_hook_event ev = {.hook = "level_up",
                            .char_id = p->id,
                            .level = w->levels[i].to,
                            .old_level = w->levels[i].from};
        ctl_fire(w, &ev, 0);
    }
    w->nlevels = 0;
    /* commit: each transaction's outcome, as chaosd tells it after the commit */
    for (int i = 0; i < w->ndones; i++) {
        ctl_done d = w->dones[i];
        cw_hook_event ev = {.hook = "commit",
                            .char_id = cw_players_get(w->ps, d.char_id) ? d.char_id : 0,
                            .token = d.token,
                            .ok = d.rc == 0};
        ctl_fire(w, &ev, 0);
    }
    w->ndones = 0;
    ctl_flush(w);
    return rc ? cw_error_set(err, rc, "out of memory: the commit failed") : 0;
}
