/* outbox.c — per-player event queues, coalescing and batched writes. See
 * outbox.h for the contract. */
#include "core/app/outbox.h"

#include "core/base/log.h"
#include "core/base/strbuf.h"
#include "core/io/net/frame.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BACKLOG (64u * 1024u)
#define DEFAULT_MAX_ITEMS 65536
#define FIRST_CAP 16
#define NEAR_REFRESH 4 /* flushes between two computations of a recipient's near radius */

/* A queued event: a framed blob in the arena (len > 0), a move of subject
 * (len == 0, subject > 0, encoded when written), or a slot coalesced away
 * (len == 0, subject 0). */
typedef struct item {
    int64_t subject;
    uint32_t off, len;
} item;

typedef struct box {
    int n, cap;
    int dirty;      /* listed in o->dirty */
    uint64_t since; /* o->flushes when the queue last became non-empty */
    int kept;       /* v[0..kept): moves left waiting by the last write (interest) */
    int64_t *wset;  /* the subjects of those moves (open addressing, 0: empty slot) */
    int wcap, wn;   /* wset's size (a power of two) and whether it holds any (wn > 0) */
    int near_ok;    /* near_d2 computed (at flush near_at) */
    uint64_t near_at;
    double near_d2; /* squared distance to the K-th nearest entity in view */
    item v[];
} box;

struct cw_outbox {
    cw_net *const *net;
    cw_world *w;
    size_t backlog;
    int max_items;
    int hold;
    int full, far, cap; /* interest: see outbox.h */
    double *d2;         /* scratch: squared distances to the entities one recipient sees */
    int capd2;
    unsigned char *plan; /* scratch: per item of the box being written (interest) */
    uint32_t *age;       /* scratch: how long each due far move has been held back */
    cw_entity **ent;     /* scratch: the subject of each move planned */
    int capplan;
    uint64_t flushes;   /* cw_outbox_flush calls so far */
    cw_strbuf arena[2]; /* framed blobs and move encodings; cur is live */
    int cur;
    uint64_t gen;    /* bumped when the arenas swap: move encodings expire */
    uint64_t serial; /* one per coalescing pass (entity stamps) */
    int64_t *dirty;  /* ids of players with a non-empty queue */
    int ndirty, capdirty;
    size_t pending; /* items queued over all boxes */
    cw_strbuf out;  /* one player's batch */
    cw_metric *m_queued, *m_coalesced, *m_batches, *m_backlogged, *m_dropped, *m_overflow,
        *m_deferred;
};

cw_outbox *cw_outbox_new(cw_net *const *net, cw_world *w, cw_metrics *m,
                         const cw_outbox_config *cfg)
{
    cw_outbox *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->net = net;
    o->w = w;
    o->backlog = cfg && cfg->backlog_bytes ? cfg->backlog_bytes : DEFAULT_BACKLOG;
    o->max_items = cfg && cfg->max_items > 0 ? cfg->max_items : DEFAULT_MAX_ITEMS;
    o->hold = cfg && cfg->hold_flushes > 0 ? cfg->hold_flushes : 0;
    o->full = cfg && cfg->interest_full > 0 ? cfg->interest_full : 0;
    o->far = cfg && cfg->interest_far > 1 ? cfg->interest_far : 1;
    o->cap = cfg && cfg->interest_cap > 0 ? cfg->interest_cap : 0;
    o->gen = 1;
    if (m) {
        o->m_deferred = cw_metrics_counter(
            m, "chaos_events_deferred_total",
            "moves of far subjects left waiting for their turn (interest management)", NULL, NULL);
        o->m_queued = cw_metrics_counter(m, "chaos_events_queued_total",
                                         "world events queued for a player", NULL, NULL);
        o->m_coalesced = cw_metrics_counter(
            m, "chaos_events_coalesced_total",
            "queued moves dropped: superseded by a later one, or their subject is gone", NULL,
            NULL);
        o->m_batches = cw_metrics_counter(m, "chaos_event_batches_total",
                                          "event batches appended to a connection", NULL, NULL);
        o->m_backlogged = cw_metrics_counter(
            m, "chaos_event_backlogged_total",
            "flushes held back because the connection had too much unsent", NULL, NULL);
        o->m_dropped = cw_metrics_counter(m, "chaos_events_dropped_total",
                                          "events lost to out-of-memory", NULL, NULL);
        o->m_overflow =
            cw_metrics_counter(m, "chaos_event_overflow_total",
                               "connections closed for an event queue over max_items", NULL, NULL);
    }
    return o;
}

void cw_outbox_free(cw_outbox *o)
{
    if (!o) return;
    cw_strbuf_free(&o->arena[0]);
    cw_strbuf_free(&o->arena[1]);
    cw_strbuf_free(&o->out);
    free(o->dirty);
    free(o->d2);
    free(o->plan);
    free(o->age);
    free(o->ent);
    free(o);
}

size_t cw_outbox_pending(const cw_outbox *o)
{
    return o->pending;
}

static int mark_dirty(cw_outbox *o, cw_entity *e, box *b)
{
    if (b->dirty) return 0;
    if (o->ndirty == o->capdirty) {
        int cap = o->capdirty ? o->capdirty * 2 : 256;
        int64_t *v = realloc(o->dirty, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        o->dirty = v;
        o->capdirty = cap;
    }
    o->dirty[o->ndirty++] = e->id;
    b->dirty = 1;
    return 0;
}

void cw_outbox_release(cw_entity *e)
{
    box *b = e->outbox;
    if (b) free(b->wset);
    free(e->outbox);
    e->outbox = NULL;
}

static void coalesce(cw_outbox *o, box *b);

/* ---- queuing --------------------------------------------------------------------------- */

/* Room for one more item in e's box (allocating or growing it). */
static box *room(cw_outbox *o, cw_entity *e)
{
    box *b = e->outbox;
    if (b && b->n < b->cap) return b;
    if (b && b->n >= 1024) { /* before growing a big queue, drop superseded moves */
        coalesce(o, b);
        if (b->n < b->cap) return b;
    }
    int cap = b ? b->cap * 2 : FIRST_CAP;
    box *nb = realloc(b, sizeof *nb + sizeof(item) * (size_t)cap);
    if (!nb) return NULL;
    if (!b) {
        nb->n = nb->dirty = nb->near_ok = nb->kept = nb->wcap = nb->wn = 0;
        nb->wset = NULL;
        nb->near_at = 0;
        nb->near_d2 = 0;
    }
    nb->cap = cap;
    e->outbox = nb;
    return nb;
}

static int push(cw_outbox *o, cw_entity *e, item it)
{
    box *b = room(o, e);
    if (!b || mark_dirty(o, e, b) != 0) {
        cw_counter_add(o->m_dropped, 1);
        return CW_ENOMEM;
    }
    if (b->n == 0) b->since = o->flushes;
    b->v[b->n++] = it;
    o->pending++;
    cw_counter_add(o->m_queued, 1);
    return 0;
}

int cw_outbox_event(cw_outbox *o, const char *json, size_t len, cw_entity *const *to, int n)
{
    if (n <= 0) return 0;
    if (len == 0 || len > UINT32_MAX - 4) return CW_EINVAL;
    cw_strbuf *a = &o->arena[o->cur];
    size_t off = a->len;
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)len);
    if (off + 4 + len > UINT32_MAX || cw_strbuf_append(a, (const char *)hdr, 4) ||
        cw_strbuf_append(a, json, len)) {
        a->len = off;
        cw_counter_add(o->m_dropped, (uint64_t)n);
        return CW_ENOMEM;
    }
    int rc = 0;
    for (int i = 0; i < n; i++)
        if (to[i]->kind == CW_ENT_PLAYER)
            rc |= push(o, to[i], (item){0, (uint32_t)off, (uint32_t)(len + 4)});
    return rc ? CW_ENOMEM : 0;
}

static size_t wslot(int64_t id, int cap)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) & (size_t)(cap - 1);
}

/* 1 when b has a move of id waiting for its turn (from its last write). */
static int waiting(const box *b, int64_t id)
{
    if (!b || b->wn == 0) return 0;
    for (size_t k = wslot(id, b->wcap);; k = (k + 1) & (size_t)(b->wcap - 1)) {
        if (b->wset[k] == id) return 1;
        if (b->wset[k] == 0) return 0;
    }
}

/* Rebuilds b's set of waiting subjects from v[0..kept). */
static void index_waiting(box *b)
{
    b->wn = 0;
    if (b->kept == 0) return;
    int cap = 64;
    while (cap < 2 * b->kept)
        cap *= 2;
    if (b->wcap < cap || b->wcap > 4 * cap) { /* grows, and shrinks when the crowd thins */
        int64_t *v = realloc(b->wset, sizeof *v * (size_t)cap);
        if (!v) return; /* no set: moves are queued as without one */
        b->wset = v;
        b->wcap = cap;
    }
    memset(b->wset, 0, sizeof *b->wset * (size_t)b->wcap);
    for (int i = 0; i < b->kept; i++) {
        size_t k = wslot(b->v[i].subject, b->wcap);
        while (b->wset[k] != 0 && b->wset[k] != b->v[i].subject)
            k = (k + 1) & (size_t)(b->wcap - 1);
        b->wset[k] = b->v[i].subject;
    }
    b->wn = b->kept;
}

static int period_of(const cw_outbox *o, const cw_entity *r, const cw_entity *s, double near);

int cw_outbox_move(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (to[i]->kind != CW_ENT_PLAYER) continue;
        box *b = to[i]->outbox;
        /* Its move already waits for its turn (written then, with the position
         * then, after everything queued since): unless it came near. */
        if (waiting(b, subject->id) && period_of(o, to[i], subject, b->near_d2) > 1) continue;
        rc |= push(o, to[i], (item){subject->id, 0, 0});
    }
    return rc ? CW_ENOMEM : 0;
}

/* ---- coalescing and writing ------------------------------------------------------------- */

/* Keeps only the last move of each subject in b (the others are
 * superseded: a move is encoded with the position at write time), and drops
 * moves of subjects that are gone (their leave is queued). A dropped move
 * that the interest cap held back passes its place in line to the one kept.
 * In place. */
static void coalesce(cw_outbox *o, box *b)
{
    uint64_t serial = ++o->serial;
    int dropped = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        item *it = &b->v[i];
        if (it->len != 0 || it->subject == 0) continue;
        cw_entity *s = cw_world_get(o->w, it->subject);
        if (!s || s->enc.stamp == serial) {
            item *kept = s ? &b->v[s->enc.idx] : NULL;
            if (kept && it->off && (!kept->off || (int32_t)(kept->off - it->off) > 0))
                kept->off = it->off; /* the earlier turn */
            it->subject = 0;
            dropped++;
        } else {
            s->enc.stamp = serial;
            s->enc.idx = (uint32_t)i;
        }
    }
    if (!dropped) return;
    int k = 0, kept = 0;
    for (int i = 0; i < b->n; i++)
        if (b->v[i].len != 0 || b->v[i].subject != 0) {
            kept += i < b->kept;
            b->v[k++] = b->v[i];
        }
    b->n = k;
    b->kept = kept;
    o->pending -= (size_t)dropped;
    cw_counter_add(o->m_coalesced, (uint64_t)dropped);
}

/* The framed move event of s at its current position, encoded at most once
 * per position and arena generation. Returns 0 and the arena slice. */
static int move_frame(cw_outbox *o, cw_entity *s, uint32_t *off, uint32_t *len)
{
    uint64_t key = (o->gen << 32) | s->moves;
    if (s->enc.key == key && s->enc.len) {
        *off = s->enc.off;
        *len = s->enc.len;
        return 0;
    }
    cw_strbuf *a = &o->arena[o->cur];
    size_t at = a->len;
    if (cw_strbuf_append(a, "\0\0\0\0", 4) ||
        cw_strbuf_printf(a, "{\"ev\":\"move\",\"e\":%lld,\"x\":", (long long)s->id) ||
        cw_strbuf_coord(a, s->x) || cw_strbuf_puts(a, ",\"y\":") || cw_strbuf_coord(a, s->y) ||
        cw_strbuf_puts(a, "}") || a->len > UINT32_MAX) {
        a->len = at;
        return CW_ENOMEM;
    }
    cw_frame_header((uint8_t *)a->data + at, (uint32_t)(a->len - at - 4));
    s->enc.key = key;
    s->enc.off = (uint32_t)at;
    s->enc.len = (uint32_t)(a->len - at);
    *off = s->enc.off;
    *len = s->enc.len;
    return 0;
}

static void clear(cw_outbox *o, box *b)
{
    o->pending -= (size_t)b->n;
    b->n = b->kept = b->wn = 0;
}

static double dist2(const cw_entity *a, const cw_entity *b)
{
    double dx = a->x - b->x, dy = a->y - b->y;
    return dx * dx + dy * dy;
}

/* The k-th smallest of v[0..n) (0-based; v is reordered). */
static double kth(double *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Squared distance within which r gets every move: to the K-th nearest
 * entity it sees (INFINITY when it sees K or fewer, or out of memory). */
static double near_d2(cw_outbox *o, const cw_entity *r, box *b)
{
    if (b->near_ok && o->flushes - b->near_at < NEAR_REFRESH) return b->near_d2;
    double d = INFINITY;
    if (r->nseen > o->capd2) {
        double *v = realloc(o->d2, sizeof *v * (size_t)r->nseen);
        if (v) {
            o->d2 = v;
            o->capd2 = r->nseen;
        }
    }
    if (r->nseen <= o->capd2) {
        int n = 0;
        for (int i = 0; i < r->nseen; i++) {
            const cw_entity *s = cw_world_get(o->w, r->seen[i]);
            if (s) o->d2[n++] = dist2(r, s);
        }
        if (n > o->full) d = kth(o->d2, n, o->full - 1);
    }
    b->near_d2 = d;
    b->near_at = o->flushes;
    b->near_ok = 1;
    return d;
}

/* Every how many flushes r gets the moves of s (1: every flush). */
static int period_of(const cw_outbox *o, const cw_entity *r, const cw_entity *s, double near)
{
    if (s->id == r->focus || s->focus == r->id) return 1;
    double d = dist2(r, s);
    if (d <= near) return 1;
    return d <= 2 * near ? (o->far + 1) / 2 : o->far; /* twice the area: half the wait */
}

/* A waiting move's turn: it.off holds 1 + the flush (low 32 bits) of its
 * turn (0: not looked at yet). Marks compare modulo 2^32. */
static uint32_t mark_of(uint64_t flush)
{
    uint32_t m = (uint32_t)flush + 1u;
    return m ? m : 1u;
}

static int mark_later(uint32_t m, uint32_t now)
{
    return (int32_t)(m - now) > 0;
}

/* Per item of the box being written (interest on): what to do with it. */
enum { SKIP, SEND, DUE, WAIT };

static int grow_plan(cw_outbox *o, int n)
{
    if (n <= o->capplan) return 0;
    int cap = o->capplan ? o->capplan : 64;
    while (cap < n)
        cap *= 2;
    unsigned char *p = realloc(o->plan, (size_t)cap);
    if (p) o->plan = p;
    uint32_t *a = p ? realloc(o->age, sizeof *a * (size_t)cap) : NULL;
    if (a) o->age = a;
    cw_entity **e = a ? realloc(o->ent, sizeof *e * (size_t)cap) : NULL;
    if (e) o->ent = e;
    if (!e) return CW_ENOMEM;
    o->capplan = cap;
    return 0;
}

/* Decides, for every item of b, whether it goes in this batch (interest
 * on): edges always; moves of near subjects always; far ones on their turn,
 * at most o->cap of them, the longest waiting first. A move whose turn is
 * still ahead costs no lookup. Of several moves of one subject only the last
 * is written (it carries the position now), with the earliest turn. Backwards,
 * so the last of each subject is met first. 0 or CW_ENOMEM. */
static int plan(cw_outbox *o, const cw_entity *r, box *b, double near)
{
    if (grow_plan(o, b->n) != 0) return CW_ENOMEM;
    uint64_t serial = ++o->serial;
    uint32_t now = mark_of(o->flushes);
    int ndue = 0, dropped = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        item *it = &b->v[i];
        o->plan[i] = SEND;
        if (it->len != 0) continue;
        if (it->off && mark_later(it->off, now)) {
            o->plan[i] = WAIT; /* not its turn yet */
            continue;
        }
        /* whether r still sees s is asked when it is written (add_item) */
        cw_entity *s = it->subject ? cw_world_get(o->w, it->subject) : NULL;
        o->ent[i] = s;
        if (s && s->enc.stamp == serial) { /* a later move of s is kept */
            int k = (int)s->enc.idx;
            item *kept = &b->v[k];
            if (it->off && o->plan[k] != SEND) { /* its turn came: the later one goes now */
                if (o->plan[k] == WAIT || mark_later(kept->off, it->off)) kept->off = it->off;
                o->plan[k] = DUE;
            }
            s = NULL;
            dropped++;
        }
        if (!s) {
            o->plan[i] = SKIP;
            continue;
        }
        s->enc.stamp = serial;
        s->enc.idx = (uint32_t)i;
        int p = period_of(o, r, s, near);
        if (p == 1) continue;
        if (!it->off) { /* first look: its next turn */
            uint64_t wait = (uint64_t)p - (o->flushes + (uint64_t)s->id) % (uint64_t)p;
            it->off = mark_of(o->flushes + wait % (uint64_t)p);
        }
        o->plan[i] = mark_later(it->off, now) ? WAIT : DUE;
    }
    if (dropped) cw_counter_add(o->m_coalesced, (uint64_t)dropped);
    for (int i = 0; i < b->n; i++)
        if (o->plan[i] == DUE) ndue++;
    if (!o->cap || ndue <= o->cap) return 0;
    /* keep the o->cap that waited longest: the cap-th largest wait, and how
     * many of that wait may still go */
    uint32_t *a = o->age;
    int n = 0;
    for (int i = 0; i < b->n; i++)
        if (o->plan[i] == DUE) a[n++] = now - b->v[i].off;
    int lo = 0, hi = n - 1, k = o->cap - 1; /* k-th largest, in place */
    while (lo < hi) {
        uint32_t pv = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] > pv)
                i++;
            while (a[j] < pv)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    uint32_t thr = a[k];
    int older = 0;
    for (int i = 0; i < n; i++)
        older += a[i] > thr;
    int ties = o->cap - older;
    for (int i = 0; i < b->n; i++) {
        if (o->plan[i] != DUE) continue;
        uint32_t age = now - b->v[i].off;
        if (age > thr || (age == thr && ties-- > 0)) continue;
        o->plan[i] = WAIT; /* its mark stays: first in line next time */
    }
    return 0;
}

/* Appends item it of r's queue to o->out (a move: encoded now, if r still
 * sees its subject). Returns 1 when a frame was added, 0 when skipped, -1
 * out of memory. */
static int add_item(cw_outbox *o, const cw_entity *r, item it, cw_entity *s)
{
    if (it.len == 0) {
        /* Only to a player who sees the subject now: a move queued before a
         * leave must not reveal where the subject went. */
        if (!s || !cw_entity_sees(r, s->id) || move_frame(o, s, &it.off, &it.len) != 0)
            return 0; /* out of sight or gone */
    }
    /* move_frame may have grown (moved) the arena: index it afresh. */
    return cw_strbuf_append(&o->out, o->arena[o->cur].data + it.off, it.len) == 0 ? 1 : -1;
}

/* Writes b (r's queue) to c as one append. With interest on, the moves of
 * far subjects whose turn has not come stay in b; a waiting move whose turn
 * came is written after the newer events, so that it never precedes an
 * enter of its subject queued since it began to wait. */
static void write_box(cw_outbox *o, cw_entity *r, box *b, cw_conn *c)
{
    int interest = o->full > 0 && o->far > 1 && r->nseen > o->full;
    double near = interest ? near_d2(o, r, b) : INFINITY;
    if (near == INFINITY || plan(o, r, b, near) != 0) interest = 0;
    cw_strbuf_reset(&o->out);
    size_t frames = 0;
    int failed = 0;
    /* the events queued since the last write, then the moves that waited */
    int from = interest ? b->kept : 0;
    for (int pass = 0; pass < 2 && !failed; pass++) {
        int lo = pass ? 0 : from, hi = pass ? from : b->n;
        for (int i = lo; i < hi; i++) {
            if (interest && o->plan[i] == WAIT) continue;
            item it = b->v[i];
            cw_entity *s = NULL;
            if (it.len == 0)
                s = interest     ? (o->plan[i] == SKIP ? NULL : o->ent[i])
                    : it.subject ? cw_world_get(o->w, it.subject)
                                 : NULL;
            int rc = add_item(o, r, it, s);
            if (rc < 0) {
                failed = 1;
                break;
            }
            frames += (size_t)rc;
        }
    }
    int keep = 0;
    for (int i = 0; interest && i < b->n; i++)
        if (o->plan[i] == WAIT) b->v[keep++] = b->v[i];
    if (failed) cw_counter_add(o->m_dropped, (uint64_t)(b->n - keep) - frames);
    o->pending -= (size_t)(b->n - keep);
    b->n = b->kept = keep;
    index_waiting(b);
    if (keep) {
        b->since = o->flushes;
        cw_counter_add(o->m_deferred, (uint64_t)keep);
    }
    if (frames == 0) return;
    cw_counter_add(o->m_batches, 1);
    cw_conn_send_frames(c, o->out.data, o->out.len, frames);
}

/* Flushes e's box unless its connection is backlogged. Returns 1 when the
 * box was held back. */
static int flush_box(cw_outbox *o, cw_entity *e)
{
    box *b = e->outbox;
    if (!b || b->n == 0) return 0;
    cw_conn *c = e->owner && *o->net ? cw_net_find(*o->net, e->owner) : NULL;
    if (!c) {
        clear(o, b);
        return 0;
    }
    if (cw_conn_pending(c) > o->backlog) {
        coalesce(o, b);
        cw_counter_add(o->m_backlogged, 1);
        if (b->n > o->max_items) {
            cw_log(CW_LOG_WARN, "event_queue_overflow", CW_I("conn", (int64_t)e->owner),
                   CW_I("queued", b->n), CW_END);
            cw_counter_add(o->m_overflow, 1);
            clear(o, b);
            cw_conn_close(c, "output_overflow");
            return 0;
        }
        return 1;
    }
    write_box(o, e, b, c);
    return b->n > 0; /* far moves left waiting (interest): stays listed */
}

void cw_outbox_flush_one(cw_outbox *o, cw_entity *e)
{
    flush_box(o, e); /* if it stays non-empty it is still listed as dirty */
}

/* Moves the blobs of a held-back box into the next arena. */
static int carry(cw_outbox *o, box *b, cw_strbuf *next)
{
    for (int i = 0; i < b->n; i++) {
        item *it = &b->v[i];
        if (it->len == 0) continue;
        size_t at = next->len;
        if (at + it->len > UINT32_MAX ||
            cw_strbuf_append(next, o->arena[o->cur].data + it->off, it->len) != 0)
            return CW_ENOMEM;
        it->off = (uint32_t)at;
    }
    return 0;
}

void cw_outbox_flush(cw_outbox *o)
{
    cw_strbuf *next = &o->arena[!o->cur];
    cw_strbuf_reset(next);
    int keep = 0;
    size_t left = 0;
    for (int i = 0; i < o->ndirty; i++) {
        cw_entity *e = cw_world_get(o->w, o->dirty[i]);
        box *b = e ? e->outbox : NULL;
        if (!b) continue;
        int young = b->n > 0 && o->flushes - b->since < (uint64_t)o->hold;
        if ((young || flush_box(o, e)) && carry(o, b, next) == 0) {
            o->dirty[keep++] = e->id; /* held (back): stays listed */
            left += (size_t)b->n;
            continue;
        }
        if (b->n) { /* could not carry its blobs: lose them rather than point at garbage */
            cw_counter_add(o->m_dropped, (uint64_t)b->n);
            clear(o, b);
        }
        b->dirty = 0;
    }
    o->ndirty = keep;
    o->pending = left; /* also forgets the queues of players removed since */
    cw_strbuf_reset(&o->arena[o->cur]);
    o->cur = !o->cur;
    o->gen++;
    o->flushes++;
}
