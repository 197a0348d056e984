/* players.c — the table of loaded characters and the write-behind
 * bookkeeping (movement is the world's: core/game/world.c) (see players.h). An array with two hash
 * indexes: id → slot, and a hash of the lower-cased name → slot (a name whose hash collides with
 * another's is found by a scan: rare, still correct). */
#include "core/game/players.h"

#include "core/game/player_items_internal.h"

#include "core/base/jsonvalid.h"
#include "core/base/text.h"
#include "core/sim/space/space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cw_players {
    cw_player **v;
    size_t n, cap;
    cw_idmap by_id, by_name; /* → index in v */
    cw_item_cb item_cb;
    void *item_ud;
    void (*remove_cb)(void *ud, cw_player *p);
    void *remove_ud;
    int64_t last_group; /* fail-together groups handed out */
};

int64_t cw_players_new_group(cw_players *ps)
{
    return ++ps->last_group;
}

void cw_players_on_item(cw_players *ps, cw_item_cb cb, void *ud)
{
    ps->item_cb = cb;
    ps->item_ud = ud;
}

static int64_t name_key(const char *name)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the ASCII-lowered bytes */
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        unsigned char ch = *c >= 'A' && *c <= 'Z' ? (unsigned char)(*c + 32) : *c;
        h = (h ^ ch) * 1099511628211ull;
    }
    return (int64_t)(h >> 1) + 1; /* > 0 */
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

cw_players *cw_players_new(void)
{
    cw_players *ps = calloc(1, sizeof(cw_players));
    if (!ps) return NULL;
    cw_idmap_init(&ps->by_id);
    cw_idmap_init(&ps->by_name);
    return ps;
}

static void txn_free(cw_txn *t)
{
    for (int k = 0; k < t->nundo; k++)
        free(t->undo[k].prev);
    free(t->undo);
    free(t->items);
    free(t);
}

static void free_txns(cw_txn *t)
{
    while (t) {
        cw_txn *next = t->next;
        txn_free(t);
        t = next;
    }
}

void cw_players_on_remove(cw_players *ps, void (*fn)(void *ud, cw_player *p), void *ud)
{
    ps->remove_cb = fn;
    ps->remove_ud = ud;
}

static void player_free(cw_player *p)
{
    if (p->cached_by) *p->cached_by = NULL; /* the session's cache forgets it */
    free_txns(p->txns);
    free_txns(p->txns_inflight);
    for (int i = 0; i < p->ndata; i++)
        free(p->data[i].json);
    free(p->data);
    cw_items_free(p);
    free(p->doc);
    free(p);
}

static int load_data(cw_player *p, const cw_txn_data *d, int n);

void cw_players_free(cw_players *ps)
{
    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++)
        player_free(ps->v[i]);
    free(ps->v);
    cw_idmap_free(&ps->by_id);
    cw_idmap_free(&ps->by_name);
    free(ps);
}

int cw_players_add(cw_players *ps, const cw_player_init *in, cw_player **out)
{
    if (cw_players_get(ps, in->id)) return CW_EEXIST;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        cw_player **v = realloc(ps->v, cap * sizeof *v);
        if (!v) return CW_ENOMEM;
        ps->v = v;
        ps->cap = cap;
    }
    cw_player *p = calloc(1, sizeof *p);
    if (!p) return CW_ENOMEM;
    p->doc = strdup(in->doc ? in->doc : "{}");
    if (!p->doc) {
        free(p);
        return CW_ENOMEM;
    }
    p->id = in->id;
    p->account_id = in->account_id;
    p->version = in->version;
    copy_str(p->name, sizeof p->name, in->name);
    copy_str(p->race, sizeof p->race, in->race);
    copy_str(p->job, sizeof p->job, in->job);
    copy_str(p->zone, sizeof p->zone, in->zone);
    p->level = in->level;
    p->x = in->x;
    p->y = in->y;
    p->gold = in->gold;
    p->exp = in->exp;
    int drc = in->ndata < 0 || (in->ndata > 0 && !in->data) ? CW_EINVAL
                                                            : load_data(p, in->data, in->ndata);
    if (drc == 0) drc = cw_items_load(p, in->items, in->nitems, in->inv_slots);
    if (drc != 0) {
        player_free(p);
        return drc;
    }
    int64_t nk = name_key(p->name);
    int rc = cw_idmap_put(&ps->by_id, p->id, (int64_t)ps->n);
    if (rc == 0 && !cw_idmap_get(&ps->by_name, nk, NULL))
        rc = cw_idmap_put(&ps->by_name, nk, (int64_t)ps->n);
    if (rc) {
        cw_idmap_del(&ps->by_id, p->id);
        player_free(p);
        return CW_ENOMEM;
    }
    ps->v[ps->n++] = p;
    if (out) *out = p;
    return 0;
}

cw_player *cw_players_get(cw_players *ps, int64_t id)
{
    int64_t i;
    return cw_idmap_get(&ps->by_id, id, &i) ? ps->v[i] : NULL;
}

cw_player *cw_players_find_name(cw_players *ps, const char *name)
{
    int64_t i;
    if (cw_idmap_get(&ps->by_name, name_key(name), &i) && strcasecmp(ps->v[i]->name, name) == 0)
        return ps->v[i];
    for (size_t j = 0; j < ps->n; j++) /* a hash collision (or absent): scan */
        if (strcasecmp(ps->v[j]->name, name) == 0) return ps->v[j];
    return NULL;
}

void cw_players_remove(cw_players *ps, int64_t id)
{
    int64_t i;
    if (!cw_idmap_get(&ps->by_id, id, &i)) return;
    cw_player *p = ps->v[i];
    if (ps->remove_cb) ps->remove_cb(ps->remove_ud, p);
    int64_t nk = name_key(p->name), ni;
    cw_idmap_del(&ps->by_id, id);
    if (cw_idmap_get(&ps->by_name, nk, &ni) && ni == i) cw_idmap_del(&ps->by_name, nk);
    player_free(p);
    cw_player *last = ps->v[--ps->n];
    if ((size_t)i == ps->n) return;
    ps->v[i] = last; /* the last one takes the hole: re-point its indexes (replaces: no alloc) */
    cw_idmap_put(&ps->by_id, last->id, i);
    int64_t lk = name_key(last->name);
    if (cw_idmap_get(&ps->by_name, lk, &ni) && ni == (int64_t)ps->n)
        cw_idmap_put(&ps->by_name, lk, i);
}

size_t cw_players_count(const cw_players *ps)
{
    return ps->n;
}

size_t cw_players_dirty(const cw_players *ps)
{
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (cw_player_dirty(ps->v[i]) || ps->v[i]->saving_seq) n++;
    return n;
}

void cw_players_each(cw_players *ps, void (*fn)(cw_player *p, void *ud), void *ud)
{
    for (size_t i = 0; i < ps->n; i++)
        fn(ps->v[i], ud);
}

void cw_player_touch(cw_player *p)
{
    p->change_seq++;
}

int cw_player_dirty(const cw_player *p)
{
    return p->change_seq != p->saved_seq || p->txns != NULL;
}

/* ---- script data ------------------------------------------------------------ */

int cw_player_data_ns_valid(const char *ns)
{
    size_t n = 0;
    if (!ns) return 0;
    for (; ns[n]; n++) {
        char c = ns[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return 0;
        if (n >= CW_DATA_NS_MAX) return 0;
    }
    return n > 0;
}

static cw_data_ns *data_find(const cw_player *p, const char *ns)
{
    for (int i = 0; i < p->ndata; i++)
        if (strcmp(p->data[i].ns, ns) == 0) return &p->data[i];
    return NULL;
}

static int data_reserve(cw_player *p, int more)
{
    if (p->ndata + more <= p->capdata) return 0;
    int cap = p->capdata ? p->capdata : 4;
    while (cap < p->ndata + more)
        cap *= 2;
    cw_data_ns *v = realloc(p->data, sizeof *v * (size_t)cap);
    if (!v) return CW_ENOMEM;
    p->data = v;
    p->capdata = cap;
    return 0;
}

/* A fresh entry at the end (room reserved). */
static cw_data_ns *data_append(cw_player *p, const char *ns)
{
    cw_data_ns *e = &p->data[p->ndata++];
    memset(e, 0, sizeof *e);
    snprintf(e->ns, sizeof e->ns, "%s", ns);
    return e;
}

/* Removes e, keeping the order of the others. */
static void data_remove(cw_player *p, cw_data_ns *e)
{
    p->data_bytes -= strlen(e->ns) + e->len;
    free(e->json);
    int i = (int)(e - p->data);
    memmove(e, e + 1, sizeof *e * (size_t)(p->ndata - i - 1));
    p->ndata--;
}

static char *copy_json(const char *json, size_t len)
{
    char *c = malloc(len + 1);
    if (!c) return NULL;
    memcpy(c, json, len);
    c[len] = 0;
    return c;
}

static int entry_valid(const cw_txn_data *d)
{
    return d->ns && cw_player_data_ns_valid(d->ns) && d->json && d->len < SIZE_MAX / 4 &&
           cw_json_object_valid(d->json, d->len) == 0;
}

/* What the data size becomes with these entries (an entry superseded by a
 * later one for the same namespace does not count). */
static size_t size_after(const cw_player *p, const cw_txn_data *d, int n);

/* Loading (cw_players_add): entries go in as they are, no cap, no touch. */
static int load_data(cw_player *p, const cw_txn_data *d, int n)
{
    for (int i = 0; i < n; i++)
        if (!entry_valid(&d[i])) return CW_EINVAL;
    if (data_reserve(p, n)) return CW_ENOMEM;
    for (int i = 0; i < n; i++) {
        char *json = copy_json(d[i].json, d[i].len);
        if (!json) return CW_ENOMEM; /* the caller frees p */
        cw_data_ns *e = data_find(p, d[i].ns);
        if (e) {
            p->data_bytes -= e->len;
            free(e->json);
        } else {
            e = data_append(p, d[i].ns);
            p->data_bytes += strlen(e->ns);
        }
        e->json = json;
        e->len = d[i].len;
        e->seq = ++p->data_seq;
        p->data_bytes += e->len;
    }
    return 0;
}

const char *cw_player_data_get(const cw_player *p, const char *ns)
{
    const cw_data_ns *e = ns ? data_find(p, ns) : NULL;
    return e ? e->json : NULL;
}

size_t cw_player_data_size(const cw_player *p)
{
    return p->data_bytes;
}

void cw_player_data_each(const cw_player *p, void (*fn)(const char *ns, const char *json, void *ud),
                         void *ud)
{
    for (int i = 0; i < p->ndata; i++)
        fn(p->data[i].ns, p->data[i].json, ud);
}

int cw_player_data_set(cw_player *p, const char *ns, const char *json, size_t len, size_t cap)
{
    cw_txn_data d = {ns, json, len};
    if (!entry_valid(&d)) return CW_EINVAL;
    size_t size = size_after(p, &d, 1);
    if (size > cap && size > p->data_bytes) return CW_ELIMIT;
    char *copy = copy_json(json, len);
    cw_data_ns *e = data_find(p, ns);
    if (!copy || (!e && data_reserve(p, 1))) {
        free(copy);
        return CW_ENOMEM;
    }
    if (!e) e = data_append(p, ns);
    free(e->json);
    e->json = copy;
    e->len = len;
    e->seq = ++p->data_seq;
    p->data_bytes = size;
    cw_player_touch(p);
    return 0;
}

/* ---- transactions ------------------------------------------------------------ */

#define VALUE_MAX ((int64_t)1 << 53) /* stays exact in a JSON double */

static int superseded(const cw_txn_data *d, int n, int i)
{
    for (int j = i + 1; j < n; j++)
        if (strcmp(d[i].ns, d[j].ns) == 0) return 1;
    return 0;
}

static size_t size_after(const cw_player *p, const cw_txn_data *d, int n)
{
    size_t size = p->data_bytes;
    for (int i = 0; i < n; i++) {
        if (superseded(d, n, i)) continue;
        size_t nl = strlen(d[i].ns);
        const cw_data_ns *e = data_find(p, d[i].ns);
        if (e) size -= nl + e->len;
        size += nl + d[i].len;
    }
    return size;
}

static void queued_totals(const cw_player *p, int64_t *gold, int64_t *exp)
{
    *gold = *exp = 0;
    for (const cw_txn *t = p->txns_inflight; t; t = t->next) {
        *gold += t->gold;
        *exp += t->exp;
    }
    for (const cw_txn *t = p->txns; t; t = t->next) {
        *gold += t->gold;
        *exp += t->exp;
    }
}

static int in_range(int64_t committed, int64_t queued, int64_t delta)
{
    if (delta < -VALUE_MAX || delta > VALUE_MAX) return 0;
    int64_t total = committed + queued + delta; /* each term within ±2^53·few: no overflow */
    return total >= 0 && total <= VALUE_MAX;
}

const char *cw_txn_reason_problem(const char *reason)
{
    if (!reason) return "is missing";
    cw_text_verdict v = cw_text_check(reason, strlen(reason), CW_GRANT_REASON_MAX);
    return v == CW_TEXT_OK ? NULL : cw_text_verdict_message(v);
}

int cw_player_txn(cw_player *p, const cw_txn_spec *t, uint64_t token, size_t cap)
{
    if (!t) return CW_EINVAL;
    if (p->stale) return CW_ESTATE;
    if (t->level < 0 || t->ndata < 0 || (t->ndata > 0 && !t->data)) return CW_EINVAL;
    if (t->reason && cw_txn_reason_problem(t->reason)) return CW_EINVAL;
    int64_t qgold, qexp;
    queued_totals(p, &qgold, &qexp);
    if (!in_range(p->gold, qgold, t->gold) || !in_range(p->exp, qexp, t->exp)) return CW_EINVAL;
    if (t->gold < 0 && !in_range(p->gold - p->gold_held, qgold, t->gold)) return CW_EBUSY;
    const cw_txn_data *d = t->data;
    int n = t->ndata, uniq = 0, fresh = 0;
    for (int i = 0; i < n; i++)
        if (!entry_valid(&d[i])) return CW_EINVAL;
    size_t size = size_after(p, d, n);
    if (n > 0 && size > cap && size > p->data_bytes) return CW_ELIMIT;
    for (int i = 0; i < n; i++) {
        if (superseded(d, n, i)) continue;
        uniq++;
        fresh += data_find(p, d[i].ns) == NULL;
    }
    /* Everything that can fail is allocated before anything changes. */
    cw_txn *x = calloc(1, sizeof *x);
    char **copies = calloc((size_t)(uniq ? uniq : 1), sizeof *copies);
    int ok = x && copies && data_reserve(p, fresh) == 0;
    if (ok && uniq) ok = (x->undo = calloc((size_t)uniq, sizeof *x->undo)) != NULL;
    for (int i = 0, k = 0; ok && i < n; i++)
        if (!superseded(d, n, i)) ok = (copies[k++] = copy_json(d[i].json, d[i].len)) != NULL;
    int irc = ok ? cw_items_txn(p, x, t) : CW_ENOMEM; /* applied when it succeeds */
    if (irc != 0) {
        for (int k = 0; copies && k < uniq; k++)
            free(copies[k]);
        free(copies);
        if (x) free(x->undo);
        free(x);
        return irc;
    }
    x->gold = t->gold;
    x->exp = t->exp;
    x->level = t->level;
    x->token = token;
    snprintf(x->reason, sizeof x->reason, "%s", t->reason ? t->reason : "");
    for (int i = 0, k = 0; i < n; i++) {
        if (superseded(d, n, i)) continue;
        cw_txn_undo *u = &x->undo[k];
        cw_data_ns *e = data_find(p, d[i].ns);
        snprintf(u->ns, sizeof u->ns, "%s", d[i].ns);
        if (e) {
            u->prev = e->json;
            u->prev_len = e->len;
            u->prev_seq = e->seq;
        } else {
            e = data_append(p, d[i].ns);
        }
        e->json = copies[k++];
        e->len = d[i].len;
        e->seq = u->seq = ++p->data_seq;
    }
    x->nundo = uniq;
    p->data_bytes = size;
    free(copies);
    /* Append: transactions commit in the order they were made. */
    cw_txn **tail = &p->txns;
    while (*tail)
        tail = &(*tail)->next;
    *tail = x;
    return 0;
}

int cw_players_gold_fits(const cw_player *p, int64_t delta)
{
    int64_t qgold, qexp;
    queued_totals(p, &qgold, &qexp);
    return in_range(p->gold, qgold, delta);
}

void cw_players_enqueue(cw_player *p, cw_txn *x)
{
    cw_txn **tail = &p->txns;
    while (*tail)
        tail = &(*tail)->next;
    *tail = x;
}

int cw_player_grant(cw_player *p, int64_t delta, uint64_t token, const char *reason)
{
    cw_txn_spec t = {.gold = delta, .reason = reason};
    return cw_player_txn(p, &t, token, SIZE_MAX);
}

/* The undo record of a live (not rolled back) transaction other than skip
 * that replaced the value written as seq in namespace ns. */
static cw_txn_undo *successor(cw_txn *const *lists, int nlists, const cw_txn *skip, const char *ns,
                              uint64_t seq)
{
    for (int l = 0; l < nlists; l++)
        for (cw_txn *t = lists[l]; t; t = t->next) {
            if (t == skip || t->done) continue;
            for (int k = 0; k < t->nundo; k++)
                if (t->undo[k].prev_seq == seq && strcmp(t->undo[k].ns, ns) == 0)
                    return &t->undo[k];
        }
    return NULL;
}

/* Takes t's data writes back. A namespace still holding t's value gets its
 * previous value; one rewritten since by another transaction hands t's
 * previous value on to that transaction's undo (so its own rollback restores
 * the right thing); one rewritten by cw_player_data_set keeps that value. */
static void rollback(cw_player *p, cw_txn *t, cw_txn *const *lists, int nlists)
{
    for (int k = t->nundo - 1; k >= 0; k--) {
        cw_txn_undo *u = &t->undo[k];
        cw_data_ns *e = data_find(p, u->ns);
        if (e && e->seq == u->seq) {
            if (u->prev) {
                p->data_bytes = p->data_bytes - e->len + u->prev_len;
                free(e->json);
                e->json = u->prev;
                e->len = u->prev_len;
                e->seq = u->prev_seq;
            } else {
                data_remove(p, e);
            }
            u->prev = NULL;
        } else {
            cw_txn_undo *v = successor(lists, nlists, t, u->ns, u->seq);
            if (v) {
                free(v->prev);
                v->prev = u->prev;
                v->prev_len = u->prev_len;
                v->prev_seq = u->prev_seq;
                u->prev = NULL;
            }
        }
        free(u->prev);
        u->prev = NULL;
    }
    cw_items_undo(p, t);
    t->done = 1;
}

static cw_txn *reverse(cw_txn *t)
{
    cw_txn *out = NULL;
    while (t) {
        cw_txn *next = t->next;
        t->next = out;
        out = t;
        t = next;
    }
    return out;
}

/* ---- saving -------------------------------------------------------------- */

int cw_players_collect_one(cw_player *p, cw_player_snapshot *s)
{
    if (p->saving_seq || p->stale || !cw_player_dirty(p)) return 0;
    s->id = p->id;
    s->account_id = p->account_id;
    s->version = p->version;
    memcpy(s->name, p->name, sizeof s->name);
    memcpy(s->race, p->race, sizeof s->race);
    memcpy(s->job, p->job, sizeof s->job);
    memcpy(s->zone, p->zone, sizeof s->zone);
    s->x = p->x;
    s->y = p->y;
    /* The transactions queued now ride with this save. */
    p->txns_inflight = p->txns;
    p->txns = NULL;
    s->gold = p->gold;
    s->exp = p->exp;
    int top = 0;
    for (const cw_txn *t = p->txns_inflight; t; t = t->next) {
        s->gold += t->gold;
        s->exp += t->exp;
        if (t->level > top) top = t->level;
    }
    s->level = top ? top : p->level;
    s->txns = p->txns_inflight;
    s->doc = p->doc;
    s->data = p->data;
    s->ndata = p->ndata;
    cw_items_collect(p);
    s->items = p->items;
    s->nitems = p->nitems;
    /* A save with transactions always advances the sequence, so it is never
     * mistaken for "nothing to save". */
    if (p->txns_inflight && p->change_seq == p->saved_seq) p->change_seq++;
    s->seq = p->change_seq;
    s->group = 0;
    p->saving_seq = p->change_seq;
    return 1;
}

#define GROUP_MAX CW_PLAYERS_GROUP_MAX

/* The players p's queued trades tie it to, transitively (p first). Returns
 * the count, or -1 when there are more than max. */
static int closure(cw_players *ps, cw_player *p, cw_player **out, int max)
{
    int n = 0;
    out[n++] = p;
    for (int k = 0; k < n; k++)
        for (const cw_txn *t = out[k]->txns; t; t = t->next) {
            if (!t->group) continue;
            cw_player *o = cw_players_get(ps, t->counterpart);
            if (!o) continue;
            int seen = 0;
            for (int j = 0; j < n; j++)
                seen |= out[j] == o;
            if (seen) continue;
            if (n == max) return -1;
            out[n++] = o;
        }
    return n;
}

/* A received instance is written as an update of the giver's stored row:
 * the version it has there, checked with the giver as the owner. */
static void take_versions(cw_players *ps, cw_player *p)
{
    for (int i = 0; i < p->nitems; i++) {
        cw_item *it = &p->items[i];
        if (!it->moved_from || !it->saving_seq || it->saving_stack <= 0 || it->version) continue;
        cw_player *from = cw_players_get(ps, it->moved_from);
        cw_item *src = from ? cw_player_item(from, it->uid) : NULL;
        it->saving_version = src ? src->version : 0;
    }
}

int cw_players_collect_with(cw_players *ps, cw_player *p, cw_player_snapshot *out, int max)
{
    cw_player *g[GROUP_MAX];
    int n = closure(ps, p, g, GROUP_MAX);
    if (n < 0 || n > max) return 0;
    if (n == 1) return cw_players_collect_one(p, out);
    for (int k = 0; k < n; k++)
        if (g[k]->saving_seq || g[k]->stale) return 0;
    int got = 0;
    for (int k = 0; k < n; k++)
        got += cw_players_collect_one(g[k], &out[got]);
    for (int k = 0; k < got; k++) {
        out[k].group = p->id;
        take_versions(ps, cw_players_get(ps, out[k].id));
    }
    return got;
}

int cw_players_collect(cw_players *ps, cw_player_snapshot *out, int max, int only_grants)
{
    int n = 0;
    for (size_t i = 0; i < ps->n && n < max; i++) {
        cw_player *p = ps->v[i];
        if (only_grants && !p->txns) continue;
        n += cw_players_collect_with(ps, p, &out[n], max - n);
    }
    return n;
}

/* Trades whose half on one side failed (see drop_halves). */
typedef struct dropped {
    int64_t partner[GROUP_MAX], group[GROUP_MAX];
    int n;
} dropped;

static void report(cw_player *p, cw_txn *list, int rc, cw_grant_cb cb, void *ud, dropped *d)
{
    while (list) {
        cw_txn *t = list;
        list = t->next;
        if (rc != 0 && t->group && d && d->n < GROUP_MAX) {
            d->partner[d->n] = t->counterpart;
            d->group[d->n++] = t->group;
        }
        if (cb) cb(t->token, rc, p, t->gold, t->exp, t->level, ud);
        txn_free(t);
    }
}

/* After a failure: the carried transactions are rolled back (newest first),
 * then every queued one that no longer fits (or all of them, stale) too. */
static void fail_txns(cw_player *p, cw_txn *carried, int rc, cw_grant_cb cb, void *ud, dropped *d)
{
    cw_txn *rev = reverse(carried);
    for (cw_txn *t = rev; t; t = t->next) {
        cw_txn *lists[2] = {rev, p->txns};
        rollback(p, t, lists, 2);
    }
    carried = reverse(rev);
    cw_txn **tail = &carried;
    while (*tail)
        tail = &(*tail)->next;
    int64_t gold = p->gold, exp = p->exp;
    for (cw_txn **q = &p->txns; *q;) {
        cw_txn *t = *q;
        if (rc != CW_ESTATE && in_range(gold, 0, t->gold) && in_range(exp, 0, t->exp) &&
            !cw_items_negative(p, t)) {
            gold += t->gold;
            exp += t->exp;
            q = &t->next;
            continue;
        }
        cw_txn *lists[2] = {p->txns, carried};
        rollback(p, t, lists, 2);
        *q = t->next; /* unlinked after its rollback looked at the queue */
        t->next = NULL;
        *tail = t;
        tail = &t->next;
    }
    report(p, carried, rc, cb, ud, d);
}

/* The other half of a failed trade that is still queued (not carried by a
 * save: a carried half fails with the save it rides in) fails too, so a
 * trade never commits on one side only. */
static void drop_halves(cw_players *ps, dropped *d, int rc, cw_grant_cb cb, void *ud)
{
    for (int k = 0; k < d->n; k++) {
        cw_player *o = cw_players_get(ps, d->partner[k]);
        if (!o) continue;
        for (cw_txn **q = &o->txns; *q; q = &(*q)->next) {
            cw_txn *t = *q;
            if (t->group != d->group[k]) continue;
            *q = t->next;
            t->next = NULL;
            dropped more = {0};
            fail_txns(o, t, rc == CW_ESTATE ? CW_EABORT : rc, cb, ud, &more);
            break;
        }
    }
}

void cw_players_saved(cw_players *ps, int64_t id, int rc, int fail_grants, cw_grant_cb cb, void *ud)
{
    cw_player *p = cw_players_get(ps, id);
    if (!p || !p->saving_seq) return;
    cw_txn *carried = p->txns_inflight;
    p->txns_inflight = NULL;
    if (rc == 0) {
        p->version++;
        p->saved_seq = p->saving_seq;
    } else if (rc == CW_ESTATE) {
        p->stale = 1;
    }
    p->saving_seq = 0;
    cw_items_saved(p, rc);
    if (rc != 0 && rc != CW_ESTATE && !fail_grants) {
        /* Not saved: the carried transactions go back to the front of the queue. */
        cw_txn **tail = &carried;
        while (*tail)
            tail = &(*tail)->next;
        *tail = p->txns;
        p->txns = carried;
        return;
    }
    if (rc != 0) {
        dropped d = {0};
        fail_txns(p, carried, rc, cb, ud, &d);
        drop_halves(ps, &d, rc, cb, ud);
        return;
    }
    /* Committed: each applies in order and is reported right after. */
    int top = 0;
    while (carried) {
        cw_txn *t = carried;
        carried = t->next;
        p->gold += t->gold;
        p->exp += t->exp;
        if (t->level > top) top = t->level;
        if (top) p->level = top;
        cw_items_commit(p, t, ps->item_cb, ps->item_ud);
        if (cb) cb(t->token, 0, p, t->gold, t->exp, t->level, ud);
        txn_free(t);
    }
    cw_items_compact(p);
}
