/* saver.c — write-behind. Changed characters are saved in batches (one
 * transaction each) every store.save_interval_ms (one batch per loop
 * iteration, so the requests read in between are answered), and on logout,
 * disconnect, takeover and shutdown.
 *
 * Leaving characters (cw_saver_flush) share batches: the flushes asked for
 * during one loop iteration, and while an earlier batch of them is in
 * flight, are gathered (sv->pending) and sent together at the end of the
 * iteration, up to BATCH_MAX characters a batch; a disconnect storm of K
 * players takes about K / BATCH_MAX batches. The callers waiting for a save
 * are kept by character id (sv->waiting), so a batch that ends revisits only
 * the characters it carried; characters whose session ended are candidates
 * to forget (sv->offline): dropped from memory once saved and waited for by
 * nobody, checked when their save ends and at every interval. No pass walks
 * every loaded player, except the interval's save and the shutdown's.
 *
 * Every save carries the row version the player's state is based on; a
 * stale write is refused by the store, logged here, and that character is
 * never saved again from this copy. A flush is answered only after the
 * transaction carrying its state committed (or with the error that stopped
 * it). When the database is unavailable the characters stay dirty and the
 * next interval tries again. Shutdown's final flush saves every dirty
 * character (cw_saver_flush_all).
 *
 * Value changes (transactions: gold, exp, level, script data) take the
 * group-commit path: every transaction queued during one loop iteration goes
 * into one database transaction at the end of that iteration, together with
 * its ledger rows, and the player and the operator hear about it only after
 * that transaction committed (players.h: applied on success only). A row
 * the database refuses fails alone (the store retries the batch without it,
 * store.h): its transactions fail and roll back, nobody is told of them, and
 * the character stays dirty; every other row of the batch commits.
 *
 * Items ride with the character: each item operation of a carried
 * transaction is a ledger row of kind "item" and each changed item
 * (created, stack changed, moved, destroyed) a version-checked item write,
 * in the same database transaction as the character row (store.h).
 *
 * Trades: the two halves of a trade are collected together
 * (cw_players_collect_with) and sent in one batch as one fail-together group
 * (cw_character.group): both characters, the items that change owner and
 * the ledger rows commit together or not at all. */
#include "core/app/accounts.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"
#include "core/sim/space/space.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 256

/* One caller of cw_saver_flush. */
typedef struct waiter {
    uint64_t target; /* saved_seq to reach */
    int failed;      /* rc of a failed save covering it */
    cw_done_fn cb;
    void *ud;
    struct waiter *next;
} waiter;

/* The waiters of one character, found by id through cw_saver.waiting. */
typedef struct wlist {
    int64_t id;
    waiter *head;
    int busy;                  /* its waiters are being answered (visit) */
    struct wlist *prev, *next; /* every wlist, for cw_saver_free */
} wlist;

/* A set of character ids: the ids (a removal moves the last one into its
 * place) and id -> index. */
typedef struct idset {
    int64_t *v;
    size_t n, cap;
    cw_idmap at;
} idset;

struct cw_saver {
    cw_server *s;
    struct event *timer, *commit_ev, *flush_ev;
    struct event *more; /* zero timer: the interval's next batch, after the next poll */
    cw_idmap waiting;   /* character id -> its wlist (the pointer as an integer) */
    wlist *wlists;
    idset pending; /* flushes gathered for the next shared batch */
    idset offline; /* sessions ended: forget these characters once saved */
    int inflight;
    int flushing; /* batches of gathered flushes in flight */
    cw_saver_stats st;
    cw_metric *m_ok, *m_stale, *m_failed, *m_batches, *m_dirty, *m_loaded, *m_avail, *m_queued;
    /* the final flush of a shutdown */
    int final;
    int final_rc;
    cw_done_fn final_cb;
    void *final_ud;
};

typedef struct batch {
    cw_server *s;
    int n;
    int flush; /* carries gathered flushes (counted in cw_saver.flushing) */
    uint64_t t0;
    int64_t ids[];
} batch;

static void visit(cw_server *s, int64_t id);
static void final_step(cw_server *s);

/* ---- id sets and waiter lists ---------------------------------------------- */

static int idset_has(const idset *set, int64_t id)
{
    return cw_idmap_get(&set->at, id, NULL);
}

static int idset_add(idset *set, int64_t id)
{
    if (idset_has(set, id)) return 0;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        int64_t *v = realloc(set->v, cap * sizeof *v);
        if (!v) return CW_ENOMEM;
        set->v = v;
        set->cap = cap;
    }
    int rc = cw_idmap_put(&set->at, id, (int64_t)set->n);
    if (rc == 0) set->v[set->n++] = id;
    return rc;
}

static void idset_del(idset *set, int64_t id)
{
    int64_t i;
    if (!cw_idmap_get(&set->at, id, &i)) return;
    cw_idmap_del(&set->at, id);
    int64_t last = set->v[--set->n];
    if ((size_t)i == set->n) return;
    set->v[i] = last;
    cw_idmap_put(&set->at, last, i); /* replaces after a removal: no allocation */
}

static void idset_free(idset *set)
{
    free(set->v);
    cw_idmap_free(&set->at);
    memset(set, 0, sizeof *set);
    cw_idmap_init(&set->at);
}

static wlist *wlist_of(cw_saver *sv, int64_t id)
{
    int64_t v;
    return cw_idmap_get(&sv->waiting, id, &v) ? (wlist *)(intptr_t)v : NULL;
}

/* id's wlist, made when it has none; NULL: out of memory. */
static wlist *wlist_get(cw_saver *sv, int64_t id)
{
    wlist *l = wlist_of(sv, id);
    if (l) return l;
    l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->id = id;
    if (cw_idmap_put(&sv->waiting, id, (int64_t)(intptr_t)l) != 0) {
        free(l);
        return NULL;
    }
    l->next = sv->wlists;
    if (l->next) l->next->prev = l;
    sv->wlists = l;
    return l;
}

static void wlist_drop(cw_saver *sv, wlist *l)
{
    cw_idmap_del(&sv->waiting, l->id);
    if (l->prev)
        l->prev->next = l->next;
    else
        sv->wlists = l->next;
    if (l->next) l->next->prev = l->prev;
    free(l);
}

/* The document a save writes: the stored one with the snapshot's gold and
 * exp set and its script data under "data" (each namespace's text spliced in
 * as it is: players.c checked it is a JSON object every reader accepts); the
 * rest is kept as loaded. Returns malloc'd text or NULL. */
static char *doc_for(const cw_player_snapshot *snap)
{
    json_t *o = snap->doc ? json_loads(snap->doc, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    if (!o) return NULL;
    json_object_set_new(o, "gold", json_integer((json_int_t)snap->gold));
    json_object_set_new(o, "exp", json_integer((json_int_t)snap->exp));
    json_object_del(o, "data");
    char *base = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!base || snap->ndata == 0) return base;
    size_t blen = strlen(base); /* "{…}" with at least gold and exp in it */
    cw_strbuf b = CW_STRBUF_INIT;
    int rc = cw_strbuf_append(&b, base, blen - 1);
    rc |= cw_strbuf_puts(&b, ",\"data\":{");
    for (int i = 0; i < snap->ndata; i++) {
        const cw_data_ns *d = &snap->data[i];
        rc |= cw_strbuf_printf(&b, "%s\"%s\":", i ? "," : "", d->ns); /* [a-z0-9_.]: no escapes */
        rc |= cw_strbuf_append(&b, d->json, d->len);
    }
    rc |= cw_strbuf_puts(&b, "}}");
    free(base);
    if (rc) {
        cw_strbuf_free(&b);
        return NULL;
    }
    return b.data; /* owned by the caller now */
}

static int can_save(cw_server *s)
{
    return s->store && !s->store_closing;
}

/* A copy the store refused as stale can never be saved again: whatever the
 * player does from now on would be lost. So the player is told and the
 * connection closed; logging in again loads the stored row afresh. */
static void kick_stale(cw_server *s, cw_player *p)
{
    cw_conn *c = p && p->online && s->net ? cw_net_find(s->net, p->conn_id) : NULL;
    if (c) cw_session_kick(c, "stale_copy");
}

/* A queued value change that waited for a save of id (or of a trade partner
 * of id) to end can be committed now. */
static int grants_freed(cw_server *s, int64_t id)
{
    cw_player *p = cw_players_get(s->players, id);
    if (!p) return 0;
    if (p->txns && !p->saving_seq && !p->stale) return 1;
    for (const cw_txn *t = p->txns; t; t = t->next) {
        cw_player *o = t->counterpart ? cw_players_get(s->players, t->counterpart) : NULL;
        if (o && o->txns && !o->saving_seq && !o->stale) return 1;
    }
    return 0;
}

static void flush_soon(cw_saver *sv)
{
    if (!sv->flushing && sv->pending.n && sv->flush_ev) event_active(sv->flush_ev, EV_TIMEOUT, 0);
}

static void batch_done(void *ud, int rc, const int *results, int n)
{
    batch *b = ud;
    cw_server *s = b->s;
    cw_saver *sv = s->saver;
    sv->inflight--;
    sv->flushing -= b->flush;
    sv->st.batches++;
    cw_counter_add(sv->m_batches, 1);
    for (int i = 0; i < b->n; i++) {
        int r = rc ? rc : (results && i < n ? results[i] : CW_EIO);
        cw_player *p = cw_players_get(s->players, b->ids[i]);
        if (r == 0) {
            sv->st.saved++;
            cw_counter_add(sv->m_ok, 1);
        } else if (r == CW_ESTATE) {
            sv->st.stale++;
            cw_counter_add(sv->m_stale, 1);
            cw_log(CW_LOG_ERROR,
                   "stale character write refused: the stored row changed since it "
                   "was read; this copy is not saved again",
                   CW_I("character", b->ids[i]), CW_S("name", p ? p->name : ""),
                   CW_I("version", p ? p->version : 0), CW_END);
            kick_stale(s, p);
        } else {
            sv->st.failed++;
            cw_counter_add(sv->m_failed, 1);
        }
        wlist *l = r != 0 ? wlist_of(sv, b->ids[i]) : NULL;
        for (waiter *w = l ? l->head : NULL; w; w = w->next)
            w->failed = r;
        cw_players_saved(s->players, b->ids[i], r, 1, cw_grant_done, s);
    }
    if (rc != 0)
        cw_log(CW_LOG_WARN, "character save failed; characters stay dirty and are retried",
               CW_I("characters", b->n), CW_S("error", cw_err_name(rc)), CW_END);
    if (sv->final && rc != 0) sv->final_rc = rc;
    /* Only the characters this batch carried changed: answer their waiters,
     * forget the offline ones that are done, and commit the value changes that
     * waited for them. Work per batch: its size, not the number loaded. */
    for (int i = 0; i < b->n; i++)
        visit(s, b->ids[i]);
    int grants = 0;
    for (int i = 0; i < b->n && !grants; i++)
        grants = grants_freed(s, b->ids[i]);
    free(b);
    if (grants) cw_saver_commit_soon(s);
    flush_soon(sv);
    final_step(s);
}

/* Submits one batch of n snapshots (flush: it carries gathered flushes). */
static void save_snapshots(cw_server *s, cw_player_snapshot *snap, int n, int flush)
{
    if (n <= 0) return;
    cw_saver *sv = s->saver;
    cw_character *chs = calloc((size_t)n, sizeof *chs);
    char **docs = calloc((size_t)n, sizeof *docs);
    batch *b = malloc(sizeof *b + sizeof(int64_t) * (size_t)n);
    /* Every transaction this save carries becomes ledger rows in its database
     * transaction: one of kind "gold" and one of kind "exp" for the deltas it has. */
    int nled = 0, nit = 0;
    for (int i = 0; i < n; i++) {
        for (const cw_txn *t = snap[i].txns; t; t = t->next) {
            nled += (t->gold != 0) + (t->exp != 0) + (t->gold_sent != 0);
            for (int k = 0; k < t->nitems; k++)
                nled += t->items[k].delta != 0;
        }
        nit += snap[i].nitems;
    }
    cw_ledger_entry *led = calloc((size_t)(nled ? nled : 1), sizeof *led);
    cw_item_row *rows = calloc((size_t)(nit ? nit : 1), sizeof *rows);
    int ok = chs && docs && b && led && rows;
    cw_ledger_entry *next_led = led;
    cw_item_row *next_row = rows;
    for (int i = 0; ok && i < n; i++) {
        docs[i] = doc_for(&snap[i]);
        ok = docs[i] != NULL;
        cw_ledger_entry *first = next_led;
        for (const cw_txn *t = snap[i].txns; t; t = t->next) {
            /* A trade's half writes the gold it sent and the items it received, each
             * with from/to; the other half (same group, same batch) writes the rest. */
            if (t->counterpart && t->gold_sent)
                *next_led++ = (cw_ledger_entry){.kind = "gold",
                                                .amount = t->gold_sent,
                                                .reason = t->reason,
                                                .counterpart = t->counterpart};
            if (t->gold && !t->counterpart)
                *next_led++ =
                    (cw_ledger_entry){.kind = "gold", .amount = t->gold, .reason = t->reason};
            if (t->exp)
                *next_led++ =
                    (cw_ledger_entry){.kind = "exp", .amount = t->exp, .reason = t->reason};
            for (int k = 0; k < t->nitems; k++)
                if (t->items[k].delta && !(t->counterpart && t->items[k].delta < 0))
                    *next_led++ = (cw_ledger_entry){.kind = "item",
                                                    .reason = t->reason,
                                                    .item_id = t->items[k].uid,
                                                    .item_template = t->items[k].tmpl,
                                                    .item_stack = t->items[k].delta,
                                                    .counterpart = t->counterpart};
        }
        /* every changed item: a version-checked write with the row */
        cw_item_row *first_row = next_row;
        for (int k = 0; k < snap[i].nitems; k++) {
            const cw_item *it = &snap[i].items[k];
            if (!it->saving_seq || (it->saving_version == 0 && it->saving_stack == 0)) continue;
            if (it->moved_to && it->saving_stack == 0) continue; /* the receiver writes it */
            *next_row++ = (cw_item_row){.uid = it->uid,
                                        .template_id = it->tmpl,
                                        .stack = it->saving_stack,
                                        .place = it->place,
                                        .props = it->props,
                                        .version = it->saving_version,
                                        .prev_owner = it->moved_from};
        }
        chs[i] = (cw_character){
            .id = snap[i].id,
            .account_id = snap[i].account_id,
            .name = snap[i].name,
            .race = snap[i].race,
            .job = snap[i].job,
            .level = snap[i].level,
            .zone = snap[i].zone,
            .x = snap[i].x,
            .y = snap[i].y,
            .doc = docs[i],
            .version = snap[i].version,
            .ledger = first,
            .nledger = (int)(next_led - first),
            .items = first_row,
            .nitems = (int)(next_row - first_row),
            .group = snap[i].group,
        };
    }
    if (!ok) {
        for (int i = 0; i < n; i++)
            cw_players_saved(s->players, snap[i].id, CW_ENOMEM, 1, cw_grant_done, s);
        free(b);
    } else {
        b->s = s;
        b->n = n;
        b->flush = flush;
        b->t0 = cw_now_ns();
        for (int i = 0; i < n; i++)
            b->ids[i] = snap[i].id;
        sv->inflight++;
        sv->flushing += flush;
        cw_store_characters_save(s->store, chs, n, batch_done, b); /* copies its arguments */
    }
    for (int i = 0; docs && i < n; i++)
        free(docs[i]);
    free(docs);
    free(chs);
    free(led);
    free(rows);
}

/* Saves every character that needs it, in batches; only_grants: the group commit. */
/* One batch of the changed characters (at most BATCH_MAX); how many. */
static int save_batch(cw_server *s)
{
    if (!can_save(s)) return 0;
    cw_player_snapshot *snap = malloc(sizeof *snap * BATCH_MAX);
    if (!snap) return 0;
    int n = cw_players_collect(s->players, snap, BATCH_MAX, 0);
    if (n > 0) save_snapshots(s, snap, n, 0);
    free(snap);
    return n;
}

/* The interval's save goes one batch per loop iteration: encoding thousands
 * of characters in one go held the loop for milliseconds (7 ms for 5,000),
 * and every request that arrived meanwhile waited. A zero timer runs after
 * the next poll, so the requests read in between are answered first. */
static void save_next_batch(cw_server *s)
{
    cw_saver *sv = s->saver;
    if (save_batch(s) == BATCH_MAX) {
        struct timeval zero = {0, 0};
        evtimer_add(sv->more, &zero);
    }
}

static void on_more(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    save_next_batch(arg);
}

static void save_all(cw_server *s, int only_grants)
{
    if (!can_save(s)) return;
    cw_player_snapshot *snap = malloc(sizeof *snap * BATCH_MAX);
    if (!snap) return;
    int n;
    while ((n = cw_players_collect(s->players, snap, BATCH_MAX, only_grants)) > 0)
        save_snapshots(s, snap, n, 0);
    free(snap);
}

/* What waiter w of player p (NULL: gone) is answered now; 1: keep waiting.
 * A player with nothing unsaved and no save in flight is in the database. */
static int answer_for(cw_server *s, const waiter *w, const cw_player *p)
{
    if (!p || p->saved_seq >= w->target || (!cw_player_dirty(p) && !p->saving_seq)) return 0;
    if (w->failed) return w->failed;
    if (p->stale) return CW_ESTATE;
    if (!can_save(s)) return CW_EUNAVAIL;
    return 1;
}

/* Queues id for the next shared batch of flushes. Out of memory: the
 * character stays dirty; the next interval saves it and that batch's
 * completion answers its waiters. */
static void want_save(cw_server *s, int64_t id)
{
    cw_saver *sv = s->saver;
    if (idset_add(&sv->pending, id) == 0) flush_soon(sv);
}

/* Forgets id's character when it is offline, saved (or stale: never saved
 * again) and nobody waits on it; an offline one not done yet stays a
 * candidate (sv->offline) until then. */
static void try_forget(cw_server *s, int64_t id)
{
    cw_saver *sv = s->saver;
    cw_player *p = cw_players_get(s->players, id);
    if (!p || p->online) {
        idset_del(&sv->offline, id);
        return;
    }
    if (!p->saving_seq && (p->stale || !cw_player_dirty(p)) && !wlist_of(sv, id)) {
        idset_del(&sv->offline, id);
        cw_players_remove(s->players, id);
        return;
    }
    idset_add(&sv->offline, id); /* out of memory: decided when id is visited again */
}

/* After a save of id ended (or could not start): answers the waiters whose
 * state is saved or cannot be, queues the save the others still need, and
 * forgets the character when it is done. Callbacks may flush again. */
static void visit(cw_server *s, int64_t id)
{
    cw_saver *sv = s->saver;
    wlist *l = wlist_of(sv, id);
    if (l && !l->busy) {
        waiter *list = l->head, *keep = NULL, **tail = &keep;
        l->head = NULL;
        l->busy = 1;
        while (list) {
            waiter *w = list;
            list = w->next;
            w->next = NULL;
            int rc = answer_for(s, w, cw_players_get(s->players, id));
            if (rc == 1) {
                *tail = w;
                tail = &w->next;
                continue;
            }
            if (w->cb) w->cb(w->ud, rc);
            free(w);
        }
        *tail = l->head; /* the waiters the callbacks added */
        l->head = keep;
        l->busy = 0;
        cw_player *p = cw_players_get(s->players, id);
        if (!l->head)
            wlist_drop(sv, l);
        else if (p && !p->saving_seq)
            want_save(s, id);
    }
    try_forget(s, id);
}

/* End of a loop iteration (and after the flush batches in flight ended):
 * every flush gathered since goes out in shared batches of up to BATCH_MAX.
 * A character tied by a trade to a save in flight waits for the next batch
 * to end; one with nothing left to save is answered at once. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    cw_saver *sv = s->saver;
    if (sv->flushing || sv->pending.n == 0) return;
    cw_player_snapshot *snap = malloc(sizeof *snap * BATCH_MAX);
    int64_t *answer = malloc(sizeof *answer * sv->pending.n);
    if (!snap || !answer) { /* retried at the next batch's end or interval */
        free(snap);
        free(answer);
        return;
    }
    idset ids = sv->pending;
    memset(&sv->pending, 0, sizeof sv->pending);
    cw_idmap_init(&sv->pending.at);
    size_t nanswer = 0;
    int n = 0;
    for (size_t i = 0; i < ids.n; i++) {
        cw_player *p = cw_players_get(s->players, ids.v[i]);
        if (p && p->saving_seq) continue; /* that batch's end visits it */
        if (!p || p->stale || !can_save(s) || !cw_player_dirty(p)) {
            answer[nanswer++] = ids.v[i];
            continue;
        }
        if (n + CW_PLAYERS_GROUP_MAX > BATCH_MAX) {
            save_snapshots(s, snap, n, 1);
            n = 0;
        }
        int got = cw_players_collect_with(s->players, p, snap + n, BATCH_MAX - n);
        if (got == 0) idset_add(&sv->pending, ids.v[i]); /* no new activation: no spinning */
        n += got;
    }
    save_snapshots(s, snap, n, 1);
    free(snap);
    idset_free(&ids);
    for (size_t i = 0; i < nanswer; i++)
        visit(s, answer[i]);
    free(answer);
}

static void count_savable(cw_player *p, void *ud)
{
    if ((cw_player_dirty(p) && !p->stale) || p->saving_seq) (*(int *)ud)++;
}

/* Drives the final flush of a shutdown once nothing is in flight. */
static void final_step(cw_server *s)
{
    cw_saver *sv = s->saver;
    if (!sv->final || sv->inflight) return;
    int left = 0; /* a walk over every player: only at shutdown */
    cw_players_each(s->players, count_savable, &left);
    if (left && sv->final_rc == 0 && can_save(s)) {
        save_all(s, 0);
        return;
    }
    sv->final = 0;
    if (left)
        cw_log(CW_LOG_ERROR, "shutdown: characters could not be saved", CW_I("characters", left),
               CW_S("error", cw_err_name(sv->final_rc ? sv->final_rc : CW_EUNAVAIL)), CW_END);
    if (sv->final_cb)
        sv->final_cb(sv->final_ud, left ? (sv->final_rc ? sv->final_rc : CW_EUNAVAIL) : 0);
}

void cw_saver_flush(cw_server *s, int64_t id, cw_done_fn cb, void *ud)
{
    cw_saver *sv = s->saver;
    cw_player *p = sv ? cw_players_get(s->players, id) : NULL;
    int rc = !p || (!cw_player_dirty(p) && !p->saving_seq) ? 0
             : p->stale                                    ? CW_ESTATE
             : !can_save(s)                                ? CW_EUNAVAIL
                                                           : 1;
    waiter *w = rc == 1 ? calloc(1, sizeof *w) : NULL;
    wlist *l = w ? wlist_get(sv, id) : NULL;
    if (rc == 1 && !l) {
        free(w);
        rc = CW_ENOMEM;
    }
    if (rc != 1) {
        if (p && !p->online) try_forget(s, id); /* forget it if clean */
        if (cb) cb(ud, rc);
        return;
    }
    /* Transactions queued now ride with the next save, which bumps the sequence. */
    w->target = p->change_seq + (p->txns && p->change_seq == p->saved_seq ? 1 : 0);
    w->cb = cb;
    w->ud = ud;
    w->next = l->head;
    l->head = w;
    if (!p->online) idset_add(&sv->offline, id); /* out of memory: decided at its visit */
    if (!p->saving_seq) want_save(s, id);
}

static void on_commit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    save_all(arg, 1);
}

void cw_saver_commit_soon(cw_server *s)
{
    if (s->saver && s->saver->commit_ev) event_active(s->saver->commit_ev, EV_TIMEOUT, 0);
}

static void on_interval(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    cw_saver *sv = s->saver;
    save_next_batch(s);
    /* The candidates to forget (backwards: a removal moves the last one, already seen, into
     * its place); and the flushes that waited for a trade partner's save. */
    for (size_t i = sv->offline.n; i-- > 0;)
        if (i < sv->offline.n) try_forget(s, sv->offline.v[i]);
    flush_soon(sv);
    uint64_t now = cw_now_ns();
    cw_ratelimit_prune(s->accounts->rl_account, now);
    cw_ratelimit_prune(s->accounts->rl_addr, now);
    cw_gauge_set(sv->m_dirty, (double)cw_players_dirty(s->players));
    cw_gauge_set(sv->m_loaded, (double)cw_players_count(s->players));
    if (s->store) {
        cw_store_stats st;
        cw_store_get_stats(s->store, &st);
        cw_gauge_set(sv->m_avail, st.available ? 1 : 0);
        cw_gauge_set(sv->m_queued, st.queued);
    }
}

void cw_saver_flush_all(cw_server *s, cw_done_fn cb, void *ud)
{
    cw_saver *sv = s->saver;
    if (!sv) {
        if (cb) cb(ud, 0);
        return;
    }
    sv->final = 1;
    sv->final_rc = 0;
    sv->final_cb = cb;
    sv->final_ud = ud;
    save_all(s, 0);
    final_step(s); /* finishes at once when nothing needed saving */
}

int cw_saver_new(cw_server *s, cw_error *err)
{
    cw_saver *sv = calloc(1, sizeof *sv);
    if (!sv) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->saver = sv;
    sv->s = s;
    cw_idmap_init(&sv->waiting);
    cw_idmap_init(&sv->pending.at);
    cw_idmap_init(&sv->offline.at);
    sv->commit_ev = event_new(s->base, -1, 0, on_commit, s);
    sv->flush_ev = event_new(s->base, -1, 0, on_flush, s);
    sv->timer = event_new(s->base, -1, EV_PERSIST, on_interval, s);
    sv->more = evtimer_new(s->base, on_more, s);
    if (!sv->commit_ev || !sv->flush_ev || !sv->timer || !sv->more)
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    int ms = s->cfg.store_save_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(sv->timer, &tv);
    const char *h = "character saves by result";
    sv->m_ok = cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "ok");
    sv->m_stale =
        cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "stale");
    sv->m_failed =
        cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "failed");
    sv->m_batches =
        cw_metrics_counter(s->metrics, "chaos_character_save_batches_total",
                           "store batches (transactions) of character saves ended", NULL, NULL);
    sv->m_dirty = cw_metrics_gauge(s->metrics, "chaos_characters_dirty",
                                   "characters with changes not yet saved", NULL, NULL);
    sv->m_loaded =
        cw_metrics_gauge(s->metrics, "chaos_characters_loaded",
                         "characters in memory (online, or offline and unsaved)", NULL, NULL);
    sv->m_avail = cw_metrics_gauge(s->metrics, "chaos_store_available",
                                   "1 when the last database call succeeded", NULL, NULL);
    sv->m_queued =
        cw_metrics_gauge(s->metrics, "chaos_store_queued", "store jobs waiting", NULL, NULL);
    return 0;
}

void cw_saver_free(cw_server *s)
{
    cw_saver *sv = s->saver;
    if (!sv) return;
    while (sv->wlists) {
        wlist *l = sv->wlists;
        waiter *w = l->head;
        wlist_drop(sv, l);
        while (w) {
            waiter *next = w->next;
            if (w->cb) w->cb(w->ud, CW_EUNAVAIL);
            free(w);
            w = next;
        }
    }
    cw_idmap_free(&sv->waiting);
    idset_free(&sv->pending);
    idset_free(&sv->offline);
    if (sv->timer) event_free(sv->timer);
    if (sv->more) event_free(sv->more);
    if (sv->commit_ev) event_free(sv->commit_ev);
    if (sv->flush_ev) event_free(sv->flush_ev);
    free(sv);
    s->saver = NULL;
}

void cw_saver_get_stats(cw_server *s, cw_saver_stats *st)
{
    memset(st, 0, sizeof *st);
    if (s->saver) *st = s->saver->st;
}

void cw_saver_status(cw_server *s, cw_strbuf *out)
{
    cw_store_stats st = {0};
    if (s->store) cw_store_get_stats(s->store, &st);
    cw_saver_stats sv;
    cw_saver_get_stats(s, &sv);
    cw_strbuf_puts(out, "\"backend\":");
    cw_strbuf_json_str(out, s->store ? cw_store_backend(s->store) : "none");
    cw_strbuf_printf(out,
                     ",\"available\":%s,\"queued\":%d,\"retries\":%llu,\"failures\":%llu,"
                     "\"dirty_characters\":%zu,\"loaded_characters\":%zu,\"saves\":%llu,"
                     "\"stale_saves\":%llu,\"failed_saves\":%llu,\"save_batches\":%llu",
                     st.available ? "true" : "false", st.queued, (unsigned long long)st.retries,
                     (unsigned long long)st.failures,
                     s->players ? cw_players_dirty(s->players) : (size_t)0,
                     s->players ? cw_players_count(s->players) : (size_t)0,
                     (unsigned long long)sv.saved, (unsigned long long)sv.stale,
                     (unsigned long long)sv.failed, (unsigned long long)sv.batches);
}
