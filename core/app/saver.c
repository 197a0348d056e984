/* saver.c — write-behind. Changed characters are saved in batches (one
 * transaction each) every store.save_interval_ms, and at once on logout,
 * disconnect, takeover and shutdown. Every save carries the row version the
 * player's state is based on; a stale write is refused by the store, logged
 * here, and that character is never saved again from this copy. When the
 * database is unavailable the characters stay dirty and the next interval
 * tries again.
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

#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 256

typedef struct waiter {
    int64_t id;
    uint64_t target; /* saved_seq to reach */
    int failed;      /* rc of a failed save covering it */
    cw_done_fn cb;
    void *ud;
    struct waiter *next;
} waiter;

struct cw_saver {
    cw_server *s;
    struct event *timer, *commit_ev;
    waiter *waiters;
    int inflight;
    cw_saver_stats st;
    cw_metric *m_ok, *m_stale, *m_failed, *m_dirty, *m_loaded, *m_avail, *m_queued;
    /* the final flush of a shutdown */
    int final;
    int final_rc;
    cw_done_fn final_cb;
    void *final_ud;
};

typedef struct batch {
    cw_server *s;
    int n;
    uint64_t t0;
    int64_t ids[];
} batch;

static void service(cw_server *s);

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

static void batch_done(void *ud, int rc, const int *results, int n)
{
    batch *b = ud;
    cw_server *s = b->s;
    cw_saver *sv = s->saver;
    sv->inflight--;
    sv->st.batches++;
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
        if (r != 0)
            for (waiter *w = sv->waiters; w; w = w->next)
                if (w->id == b->ids[i]) w->failed = r;
        cw_players_saved(s->players, b->ids[i], r, 1, cw_grant_done, s);
    }
    if (rc != 0)
        cw_log(CW_LOG_WARN, "character save failed; characters stay dirty and are retried",
               CW_I("characters", b->n), CW_S("error", cw_err_name(rc)), CW_END);
    if (sv->final && rc != 0) sv->final_rc = rc;
    free(b);
    service(s);
}

static void save_snapshots(cw_server *s, cw_player_snapshot *snap, int n)
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
        b->t0 = cw_now_ns();
        for (int i = 0; i < n; i++)
            b->ids[i] = snap[i].id;
        sv->inflight++;
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
static void save_all(cw_server *s, int only_grants)
{
    if (!can_save(s)) return;
    cw_player_snapshot *snap = malloc(sizeof *snap * BATCH_MAX);
    if (!snap) return;
    int n;
    while ((n = cw_players_collect(s->players, snap, BATCH_MAX, only_grants)) > 0)
        save_snapshots(s, snap, n);
    free(snap);
}

/* p, and whoever its queued trades tie it to (one batch: they fail together). */
static void save_one(cw_server *s, cw_player *p)
{
    cw_player_snapshot snap[16];
    int n = can_save(s) ? cw_players_collect_with(s->players, p, snap, 16) : 0;
    if (n > 0) save_snapshots(s, snap, n);
}

/* After every batch: answer the waiters whose state is saved (or failed),
 * start the saves they still need, forget offline characters that are saved,
 * commit grants that waited for an in-flight save, and drive the final flush. */
static void remove_saved_offline(cw_player *p, void *ud)
{
    int64_t *ids = ud; /* ids[0] = count, then ids */
    if (!p->online && !p->saving_seq && (p->stale || !cw_player_dirty(p)) && ids[0] < BATCH_MAX)
        ids[1 + ids[0]++] = p->id;
}

static void has_grants(cw_player *p, void *ud)
{
    if (p->txns && !p->saving_seq && !p->stale) *(int *)ud = 1;
}

static void count_savable(cw_player *p, void *ud)
{
    if ((cw_player_dirty(p) && !p->stale) || p->saving_seq) (*(int *)ud)++;
}

static void service(cw_server *s)
{
    cw_saver *sv = s->saver;
    waiter *list = sv->waiters, *keep = NULL;
    sv->waiters = NULL;
    while (list) {
        waiter *w = list;
        list = w->next;
        cw_player *p = cw_players_get(s->players, w->id);
        int rc = 1; /* 1 = keep waiting */
        if (!p || p->saved_seq >= w->target)
            rc = 0;
        else if (w->failed)
            rc = w->failed;
        else if (p->stale)
            rc = CW_ESTATE;
        else if (!can_save(s))
            rc = CW_EUNAVAIL;
        if (rc == 1) {
            w->next = keep;
            keep = w;
            if (!p->saving_seq) save_one(s, p);
            continue;
        }
        if (w->cb) w->cb(w->ud, rc);
        free(w);
    }
    /* Waiters added by the callbacks above are already in sv->waiters. */
    while (keep) {
        waiter *w = keep;
        keep = w->next;
        w->next = sv->waiters;
        sv->waiters = w;
    }
    int64_t ids[1 + BATCH_MAX] = {0};
    cw_players_each(s->players, remove_saved_offline, ids);
    for (int64_t i = 0; i < ids[0]; i++) {
        int waited = 0;
        for (waiter *w = sv->waiters; w; w = w->next)
            waited |= w->id == ids[1 + i];
        if (!waited) cw_players_remove(s->players, ids[1 + i]);
    }
    int grants = 0;
    cw_players_each(s->players, has_grants, &grants);
    if (grants) cw_saver_commit_soon(s);
    if (sv->final && sv->inflight == 0) {
        int left = 0;
        cw_players_each(s->players, count_savable, &left);
        if (left && sv->final_rc == 0 && can_save(s)) {
            save_all(s, 0);
        } else {
            sv->final = 0;
            if (left)
                cw_log(CW_LOG_ERROR, "shutdown: characters could not be saved",
                       CW_I("characters", left),
                       CW_S("error", cw_err_name(sv->final_rc ? sv->final_rc : CW_EUNAVAIL)),
                       CW_END);
            if (sv->final_cb)
                sv->final_cb(sv->final_ud, left ? (sv->final_rc ? sv->final_rc : CW_EUNAVAIL) : 0);
        }
    }
}

void cw_saver_flush(cw_server *s, int64_t id, cw_done_fn cb, void *ud)
{
    cw_saver *sv = s->saver;
    cw_player *p = cw_players_get(s->players, id);
    if (!p || !sv || (!cw_player_dirty(p) && !p->saving_seq)) {
        if (p && sv && !p->online) service(s); /* forget it if clean */
        if (cb) cb(ud, 0);
        return;
    }
    if (p->stale || !can_save(s)) {
        if (cb) cb(ud, p->stale ? CW_ESTATE : CW_EUNAVAIL);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        if (cb) cb(ud, CW_ENOMEM);
        return;
    }
    w->id = id;
    /* Transactions queued now ride with the next save, which bumps the sequence. */
    w->target = p->change_seq + (p->txns && p->change_seq == p->saved_seq ? 1 : 0);
    w->cb = cb;
    w->ud = ud;
    w->next = sv->waiters;
    sv->waiters = w;
    if (!p->saving_seq) save_one(s, p);
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
    save_all(s, 0);
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
    service(s); /* finishes at once when nothing needed saving */
}

int cw_saver_new(cw_server *s, cw_error *err)
{
    cw_saver *sv = calloc(1, sizeof *sv);
    if (!sv) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->saver = sv;
    sv->s = s;
    sv->commit_ev = event_new(s->base, -1, 0, on_commit, s);
    sv->timer = event_new(s->base, -1, EV_PERSIST, on_interval, s);
    if (!sv->commit_ev || !sv->timer) return cw_error_set(err, CW_ENOMEM, "out of memory");
    int ms = s->cfg.store_save_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(sv->timer, &tv);
    const char *h = "character saves by result";
    sv->m_ok = cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "ok");
    sv->m_stale =
        cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "stale");
    sv->m_failed =
        cw_metrics_counter(s->metrics, "chaos_character_saves_total", h, "result", "failed");
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
    while (sv->waiters) {
        waiter *w = sv->waiters;
        sv->waiters = w->next;
        if (w->cb) w->cb(w->ud, CW_EUNAVAIL);
        free(w);
    }
    if (sv->timer) event_free(sv->timer);
    if (sv->commit_ev) event_free(sv->commit_ev);
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
