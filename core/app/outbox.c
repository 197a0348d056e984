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

/* Arenas: NARENA in rotation, one per flush. A queued frame stays where it
 * was encoded until its arena comes round again (NARENA - 1 flushes later):
 * only frames still queued then (a held-back queue, or one that waits
 * longer than that for its player's reply) are copied forward. An item's
 * off holds its arena (top ARENA_BITS) and the offset in it. */
#define ARENA_BITS 3
#define NARENA (1 << ARENA_BITS)
#define OFF_BITS (32 - ARENA_BITS)
#define ARENA_MAX ((size_t)1 << OFF_BITS) /* bytes one arena may hold */

/* A queued event: a framed blob in the arena (len > 0); a move when subject
 * > 0 (its frame encoded once when the subject moved, with the position it
 * moved to: written only to a player who still sees the subject), another
 * event when subject is 0; or a slot coalesced away (len == 0). */
typedef struct item {
    int64_t subject;
    uint32_t off, len;
} item;

typedef struct box {
    int n, cap;
    int listed;     /* 1 + its index in o->due[due % NARENA] while listed, else 0 */
    cw_outbox *o;   /* whose lists (cw_outbox_release unlists the box) */
    uint64_t since; /* o->flushes when the queue last became non-empty */
    uint64_t due;   /* the flush that looks at it next (while listed) */
    int near_ok;    /* near_d2 computed (at flush near_at) */
    uint64_t near_at;
    double near_d2;    /* squared distance to the K-th nearest entity in view */
    uint64_t turns_at; /* the flush whose turn moves `turns` counts */
    int turns;
    item v[];
} box;

struct cw_outbox {
    cw_net *const *net;
    cw_world *w;
    size_t backlog;
    int max_items;
    int hold;
    int full, far, mid, cap; /* interest: see outbox.h (mid: the half-way tier's period) */
    struct owed {
        uint32_t since;
        int64_t id;
    } * owed; /* scratch: subjects whose turn a cap held back, longest first */
    int nowed, capowed;
    double *d2; /* scratch: squared distances to what one recipient sees */
    int capd2;
    uint64_t flushes;        /* cw_outbox_flush calls so far */
    uint64_t thinned_at;     /* the last flush window in which a thinned recipient was met */
    uint64_t turn_passes;    /* flushes that ran the turns (cw_outbox_turn_passes) */
    cw_strbuf arena[NARENA]; /* framed blobs and move encodings; cur is filled */
    int cur;
    uint64_t gen;    /* bumped when cur moves on: move encodings expire */
    uint64_t serial; /* one per coalescing pass (entity stamps) */
    /* The queues with news, by the flush that must look at each next: a
     * flush visits only the list of its own number (mod NARENA), not every
     * queue that is still young. NULL: released since it was listed. */
    struct due_list {
        cw_entity **v;
        int n, cap;
    } due[NARENA];
    size_t pending; /* items queued over all boxes */
    cw_metric *m_queued, *m_coalesced, *m_batches, *m_backlogged, *m_dropped, *m_overflow,
        *m_deferred;
};

/* An item's off for byte at of the current arena. */
static uint32_t ref_of(const cw_outbox *o, size_t at)
{
    return (uint32_t)o->cur << OFF_BITS | (uint32_t)at;
}

static const char *bytes_of(const cw_outbox *o, uint32_t off)
{
    return o->arena[off >> OFF_BITS].data + (off & (ARENA_MAX - 1));
}

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
    o->mid = (o->far + 1) / 2;
    o->cap = cfg && cfg->interest_cap > 0 ? cfg->interest_cap : 0;
    o->gen = 1;
    if (m) {
        o->m_deferred = cw_metrics_counter(
            m, "chaos_events_deferred_total",
            "moves of far subjects not queued: their observers get them at the subject's turn",
            NULL, NULL);
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
    for (int i = 0; i < NARENA; i++)
        cw_strbuf_free(&o->arena[i]);
    for (int k = 0; k < NARENA; k++) { /* the world may release the boxes later */
        for (int i = 0; i < o->due[k].n; i++) {
            box *b = o->due[k].v[i] ? o->due[k].v[i]->outbox : NULL;
            if (b) b->listed = 0;
        }
        free(o->due[k].v);
    }
    free(o->d2);
    free(o->owed);
    free(o);
}

uint64_t cw_outbox_turn_passes(const cw_outbox *o)
{
    return o->turn_passes;
}

size_t cw_outbox_pending(const cw_outbox *o)
{
    return o->pending;
}

/* The first flush that must look at a queue non-empty since `since`: when
 * it stops being young, or, when it waits longer than the arenas take to
 * come round, when its oldest frames' arena is about to be reused (carry). */
static uint64_t due_of(const cw_outbox *o, uint64_t since)
{
    uint64_t wait = o->hold < NARENA - 1 ? (uint64_t)o->hold : NARENA - 1;
    return since + wait;
}

/* Lists e's box for the flush numbered due (at most NARENA - 1 ahead). */
static int list_box(cw_outbox *o, cw_entity *e, box *b, uint64_t due)
{
    struct due_list *l = &o->due[due % NARENA];
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 256;
        cw_entity **v = realloc(l->v, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = e;
    b->listed = l->n;
    b->due = due;
    return 0;
}

void cw_outbox_release(cw_entity *e)
{
    box *b = e->outbox;
    if (b && b->listed) { /* unlisted: the flush never sees the freed box */
        b->o->due[b->due % NARENA].v[b->listed - 1] = NULL;
        b->o->pending -= (size_t)b->n;
    }
    free(e->outbox);
    e->outbox = NULL;
}

static void coalesce(cw_outbox *o, box *b);
static int move_frame(cw_outbox *o, cw_entity *s, uint32_t *off, uint32_t *len);

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
        nb->n = nb->listed = nb->near_ok = nb->turns = 0;
        nb->near_at = nb->turns_at = 0;
        nb->near_d2 = 0;
        nb->o = o;
    }
    nb->cap = cap;
    e->outbox = nb;
    return nb;
}

/* Queues it for e; counted by the caller in chaos_events_queued_total
 * (push_count) so a fan-out costs one counter update. */
static int push_count(cw_outbox *o, cw_entity *e, item it)
{
    box *b = e->outbox;
    if (!b || b->n == b->cap || !b->listed) {
        b = room(o, e);
        if (!b || (!b->listed && list_box(o, e, b, due_of(o, o->flushes)) != 0)) {
            cw_counter_add(o->m_dropped, 1);
            return CW_ENOMEM;
        }
    }
    /* A queue emptied by its player's reply stays listed for its old due
     * flush, which is never later than the new one: that flush lists it
     * again for the new one. */
    if (b->n == 0) b->since = o->flushes;
    b->v[b->n++] = it;
    o->pending++;
    return 0;
}

static int push(cw_outbox *o, cw_entity *e, item it)
{
    int rc = push_count(o, e, it);
    if (rc == 0) cw_counter_add(o->m_queued, 1);
    return rc;
}

int cw_outbox_event(cw_outbox *o, const char *json, size_t len, cw_entity *const *to, int n)
{
    if (n <= 0) return 0;
    if (len == 0 || len > UINT32_MAX - 4) return CW_EINVAL;
    cw_strbuf *a = &o->arena[o->cur];
    size_t off = a->len;
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)len);
    if (off + 4 + len > ARENA_MAX || cw_strbuf_append(a, (const char *)hdr, 4) ||
        cw_strbuf_append(a, json, len)) {
        a->len = off;
        cw_counter_add(o->m_dropped, (uint64_t)n);
        return CW_ENOMEM;
    }
    int rc = 0;
    for (int i = 0; i < n; i++)
        if (to[i]->kind == CW_ENT_PLAYER)
            rc |= push(o, to[i], (item){0, ref_of(o, off), (uint32_t)(len + 4)});
    return rc ? CW_ENOMEM : 0;
}

/* ---- enter and leave ------------------------------------------------------------------- */

static const char *kind_name(cw_ent_kind k)
{
    return k == CW_ENT_PLAYER ? "player" : k == CW_ENT_MONSTER ? "monster" : "npc";
}

#define PUTS(b, lit) cw_strbuf_append((b), (lit), sizeof(lit) - 1)

/* A JSON string: runs of characters that need no escape go in one append. */
static int json_str(cw_strbuf *b, const char *str)
{
    const unsigned char *p = (const unsigned char *)str, *run = p;
    if (PUTS(b, "\"")) return CW_ENOMEM;
    for (; *p; p++) {
        char tmp[8];
        const char *rep = cw_json_escape_char(*p, tmp);
        if (!rep) continue;
        if ((p > run && cw_strbuf_append(b, (const char *)run, (size_t)(p - run))) ||
            cw_strbuf_puts(b, rep))
            return CW_ENOMEM;
        run = p + 1;
    }
    if (p > run && cw_strbuf_append(b, (const char *)run, (size_t)(p - run))) return CW_ENOMEM;
    return PUTS(b, "\"");
}

int cw_outbox_encode_enter(cw_strbuf *b, const cw_entity *e)
{
    return PUTS(b, "{\"ev\":\"enter\",\"e\":") || cw_strbuf_i64(b, (long long)e->id) ||
                   PUTS(b, ",\"kind\":\"") || cw_strbuf_puts(b, kind_name(e->kind)) ||
                   PUTS(b, "\",\"name\":") || json_str(b, e->name) || PUTS(b, ",\"x\":") ||
                   cw_strbuf_coord(b, e->x) || PUTS(b, ",\"y\":") || cw_strbuf_coord(b, e->y) ||
                   PUTS(b, "}")
               ? CW_ENOMEM
               : 0;
}

int cw_outbox_encode_leave(cw_strbuf *b, const cw_entity *e)
{
    return PUTS(b, "{\"ev\":\"leave\",\"e\":") || cw_strbuf_i64(b, (long long)e->id) || PUTS(b, "}")
               ? CW_ENOMEM
               : 0;
}

/* Encodes subject's event (enc) as one framed blob in the arena and queues
 * it for the players among to[0..n). */
static int queue_encoded(cw_outbox *o, int (*enc)(cw_strbuf *, const cw_entity *),
                         const cw_entity *subject, cw_entity *const *to, int n)
{
    if (n <= 0) return 0;
    cw_strbuf *a = &o->arena[o->cur];
    size_t off = a->len;
    if (cw_strbuf_append(a, "\0\0\0\0", 4) || enc(a, subject) || a->len > ARENA_MAX) {
        a->len = off;
        cw_counter_add(o->m_dropped, (uint64_t)n);
        return CW_ENOMEM;
    }
    uint32_t len = (uint32_t)(a->len - off);
    cw_frame_header((uint8_t *)a->data + off, len - 4);
    uint32_t ref = ref_of(o, off);
    int rc = 0;
    uint64_t queued = 0;
    for (int i = 0; i < n; i++) {
        if (to[i]->kind != CW_ENT_PLAYER) continue;
        if (push_count(o, to[i], (item){0, ref, len}) == 0)
            queued++;
        else
            rc = CW_ENOMEM;
    }
    cw_counter_add(o->m_queued, queued);
    return rc;
}

int cw_outbox_enter(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n)
{
    return queue_encoded(o, cw_outbox_encode_enter, subject, to, n);
}

int cw_outbox_leave(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n)
{
    return queue_encoded(o, cw_outbox_encode_leave, subject, to, n);
}

/* ---- interest ----------------------------------------------------------------------------- */

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

/* 1 when interest management thins r's moves: it sees more than K. */
static int thinned(const cw_outbox *o, const cw_entity *r)
{
    return o->full > 0 && o->far > 1 && r->kind == CW_ENT_PLAYER && r->nseen > o->full;
}

/* Squared distance within which r gets every move: to the K-th nearest
 * entity it sees, measured again every NEAR_REFRESH flushes (staggered by
 * r's id); INFINITY when out of memory. b is r's queue. */
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
    /* the next measure (NEAR_REFRESH flushes on), spread over the flushes */
    b->near_at = b->near_ok ? o->flushes : o->flushes - (uint64_t)r->id % NEAR_REFRESH;
    b->near_ok = 1;
    return d;
}

/* Every how many flushes r gets the moves of s: 1 for the K nearest and
 * for the one r fights or that fights r; o->mid up to sqrt(2) times that
 * distance (twice the area); o->far beyond. */
static int period_of(cw_outbox *o, cw_entity *r, const cw_entity *s)
{
    if (s->id == r->focus || s->focus == r->id) return 1;
    box *b = room(o, r);
    if (!b) return 1;
    double near = near_d2(o, r, b), d = dist2(r, s);
    if (d <= near) return 1;
    return d <= 2 * near ? o->mid : o->far;
}

int cw_outbox_move(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n)
{
    int rc = 0;
    uint64_t deferred = 0, queued = 0;
    /* The world's own (non-const) entity: its encoder scratch is ours. */
    cw_entity *s = (cw_entity *)subject;
    item it = {s->id, 0, 0}; /* its frame: encoded for the first recipient */
    for (int i = 0; i < n; i++) {
        if (to[i]->kind != CW_ENT_PLAYER) continue;
        /* a far subject's move reaches r at the subject's turn (turn_of) */
        if (thinned(o, to[i])) o->thinned_at = o->flushes;
        if (thinned(o, to[i]) && period_of(o, to[i], subject) > 1) {
            deferred++;
            continue;
        }
        if (it.len == 0 && move_frame(o, s, &it.off, &it.len) != 0) {
            cw_counter_add(o->m_dropped, 1);
            rc = CW_ENOMEM;
        } else if (push_count(o, to[i], it) != 0) { /* counted as dropped there */
            rc = CW_ENOMEM;
        } else {
            queued++;
        }
    }
    s->enc.moved_at = o->flushes;
    cw_counter_add(o->m_queued, queued);
    cw_counter_add(o->m_deferred, deferred);
    return rc;
}

/* Pushes s's move to r as a turn move (under the cap). 0, or 1 when capped. */
static int turn_push(cw_outbox *o, cw_entity *r, const cw_entity *s)
{
    box *b = room(o, r);
    if (!b) return 0; /* out of memory: counted as dropped by push */
    if (b->turns_at != o->flushes) {
        b->turns_at = o->flushes;
        b->turns = 0;
    }
    if (o->cap && b->turns >= o->cap) return 1;
    b->turns++;
    item it = {s->id, 0, 0};
    if (move_frame(o, (cw_entity *)s, &it.off, &it.len) != 0) {
        cw_counter_add(o->m_dropped, 1);
        return 0;
    }
    push(o, r, it);
    return 0;
}

/* At the flush: s's turns. Every o->far flushes (staggered by id), if it
 * moved since the last such turn, its move goes to every thinned observer
 * (the far ones, and any that came near since: a move of s left out while r
 * was far is never lost); every o->mid flushes, to the thinned observers in
 * the middle tier. A capped observer makes the turn repeat next time. */
static void turn_of(cw_outbox *o, cw_entity *s)
{
    uint32_t owed = s->enc.owed;
    uint64_t f = o->flushes + (uint64_t)s->id;
    int full = (owed || f % (uint64_t)o->far == 0) && s->moves != s->enc.full_moves;
    int mid = !full && o->mid > 1 && f % (uint64_t)o->mid == 0 && s->moves != s->enc.mid_moves;
    s->enc.owed = 0;
    if (!full && !mid) return;
    int capped = 0;
    for (int i = 0; i < s->nseen; i++) {
        cw_entity *r = cw_world_get(o->w, s->seen[i]);
        if (!r || !thinned(o, r)) continue; /* not thinned: it had every move */
        o->thinned_at = o->flushes;
        int p = period_of(o, r, s);
        /* near ones have it already unless it moved in an earlier window */
        if (full ? p > 1 || s->enc.moved_at != o->flushes : p == o->mid)
            capped |= turn_push(o, r, s);
    }
    if (capped) {
        /* owed since this flush (or still since the first time) */
        uint32_t mark = (uint32_t)o->flushes + 1u;
        if (full) s->enc.owed = owed ? owed : mark ? mark : 1u;
        return;
    }
    s->enc.mid_moves = s->moves;
    if (full) s->enc.full_moves = s->moves;
}

/* ---- coalescing and writing ------------------------------------------------------------- */

/* Keeps only the last move of each subject in b (the earlier ones are
 * superseded by its newer position), and drops moves of subjects that are
 * gone (their leave is queued). In place. */
static void coalesce(cw_outbox *o, box *b)
{
    uint64_t serial = ++o->serial;
    int dropped = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        item *it = &b->v[i];
        if (it->len == 0 || it->subject == 0) continue;
        cw_entity *s = cw_world_get(o->w, it->subject);
        if (!s || s->enc.stamp == serial) {
            it->subject = 0;
            it->len = 0;
            dropped++;
        } else {
            s->enc.stamp = serial;
        }
    }
    if (!dropped) return;
    int k = 0;
    for (int i = 0; i < b->n; i++)
        if (b->v[i].len != 0) b->v[k++] = b->v[i];
    b->n = k;
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
    if (cw_strbuf_append(a, "\0\0\0\0", 4) || cw_strbuf_puts(a, "{\"ev\":\"move\",\"e\":") ||
        cw_strbuf_i64(a, (long long)s->id) || cw_strbuf_puts(a, ",\"x\":") ||
        cw_strbuf_coord(a, s->x) || cw_strbuf_puts(a, ",\"y\":") || cw_strbuf_coord(a, s->y) ||
        cw_strbuf_puts(a, "}") || a->len > ARENA_MAX) {
        a->len = at;
        return CW_ENOMEM;
    }
    cw_frame_header((uint8_t *)a->data + at, (uint32_t)(a->len - at - 4));
    s->enc.key = key;
    s->enc.off = ref_of(o, at);
    s->enc.len = (uint32_t)(a->len - at);
    *off = s->enc.off;
    *len = s->enc.len;
    return 0;
}

static void clear(cw_outbox *o, box *b)
{
    o->pending -= (size_t)b->n;
    b->n = 0;
}

/* Writes b (r's queue) to c as one append, straight into c's output
 * buffer: the frames still due are picked first (moves of subjects r no
 * longer sees are left out), then copied once from the arena to c. No
 * subject is looked up: a move's frame was encoded when it moved. */
static void write_box(cw_outbox *o, cw_entity *r, box *b, cw_conn *c)
{
    size_t total = 0;
    int k = 0;
    for (int i = 0; i < b->n; i++) {
        item it = b->v[i];
        if (it.len == 0) continue; /* coalesced away */
        /* A move only to a player who sees the subject now: a move queued
         * before a leave must not reveal where the subject went. */
        if (it.subject && !cw_entity_sees(o->w, r, it.subject)) continue;
        b->v[k++] = it; /* in place: the box is emptied below */
        total += it.len;
    }
    int frames = k;
    clear(o, b);
    if (frames == 0) return;
    char *dst = cw_conn_out_reserve(c, total);
    if (!dst) return; /* c is closing, or was dropped for want of memory */
    for (int i = 0; i < frames; i++) {
        memcpy(dst, bytes_of(o, b->v[i].off), b->v[i].len);
        dst += b->v[i].len;
    }
    cw_counter_add(o->m_batches, 1);
    cw_conn_out_commit(c, total, (size_t)frames, 1);
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
    return 0;
}

void cw_outbox_flush_one(cw_outbox *o, cw_entity *e)
{
    flush_box(o, e); /* emptied or not, it stays listed until its due flush */
}

/* Copies the frames of a box that stays queued out of the arena about to
 * be reused (index old) to the end of the current one. */
static int carry(cw_outbox *o, box *b, int old)
{
    cw_strbuf *a = &o->arena[o->cur];
    for (int i = 0; i < b->n; i++) {
        item *it = &b->v[i];
        if (it->len == 0 || (int)(it->off >> OFF_BITS) != old) continue;
        size_t at = a->len;
        if (at + it->len > ARENA_MAX || cw_strbuf_append(a, bytes_of(o, it->off), it->len) != 0)
            return CW_ENOMEM;
        it->off = ref_of(o, at);
    }
    return 0;
}

static void collect_owed(cw_entity *s, void *ud)
{
    cw_outbox *o = ud;
    if (!s->enc.owed) return;
    if (o->nowed == o->capowed) {
        int cap = o->capowed ? o->capowed * 2 : 64;
        struct owed *v = realloc(o->owed, sizeof *v * (size_t)cap);
        if (!v) return; /* it goes with the others, in table order */
        o->owed = v;
        o->capowed = cap;
    }
    /* by age: insertion into the sorted list (few: only what a cap held back) */
    int i = o->nowed++;
    uint32_t now = (uint32_t)o->flushes + 1u;
    while (i > 0 && now - o->owed[i - 1].since < now - s->enc.owed) {
        o->owed[i] = o->owed[i - 1];
        i--;
    }
    o->owed[i] = (struct owed){s->enc.owed, s->id};
}

static void turn_rest(cw_entity *s, void *ud)
{
    if (!s->enc.owed) turn_of(ud, s);
}

/* The subjects' turns of this flush: first those a cap held back, the
 * longest waiting first, then the others. */
static void turns(cw_outbox *o)
{
    /* Turns only serve thinned recipients. When none has been met for longer
     * than a whole period (every subject that moved since had its turn, and
     * a turn held back by the cap needs a thinned recipient, which would have
     * been met), the two walks over every entity are skipped: a spread-out
     * zone, where nobody sees more than interest_full, pays nothing. A
     * subject's bookkeeping left stale meanwhile costs at most one extra turn
     * move with its current position when thinning starts again. */
    if (o->flushes - o->thinned_at > (uint64_t)o->far + 1) return;
    o->turn_passes++;
    o->nowed = 0;
    cw_world_each(o->w, collect_owed, o);
    for (int i = 0; i < o->nowed; i++) {
        cw_entity *s = cw_world_get(o->w, o->owed[i].id);
        if (s) turn_of(o, s);
    }
    cw_world_each(o->w, turn_rest, o);
}

void cw_outbox_flush(cw_outbox *o)
{
    if (o->full > 0 && o->far > 1) turns(o);
    int next = (o->cur + 1) % NARENA; /* reused from the next flush on */
    uint64_t now = o->flushes;
    struct due_list *l = &o->due[now % NARENA];
    /* Every queue listed here is looked at; one that stays queued is listed
     * again for a later flush (never this one's list: at most NARENA - 1
     * ahead, at least one). The list is re-read at each step: a queue that
     * gets its first event meanwhile may be appended to it. */
    for (int i = 0; i < l->n; i++) {
        cw_entity *e = l->v[i]; /* NULL: released since it was listed */
        box *b = e ? e->outbox : NULL;
        if (!b) continue;
        b->listed = 0;
        if (b->n == 0) continue; /* its player's reply took it */
        int young = now - b->since < (uint64_t)o->hold;
        if ((young || flush_box(o, e)) && carry(o, b, next) == 0) {
            /* young: due when it stops being young (or its frames' arena
             * comes round); held back: looked at again next flush */
            uint64_t due = young ? due_of(o, b->since) : now + 1;
            if (due <= now) due = now + 1; /* waits longer than the arenas: carried each flush */
            if (list_box(o, e, b, due) == 0) continue;
        }
        if (b->n) { /* could not carry or list it: lose its events rather than point at garbage */
            cw_counter_add(o->m_dropped, (uint64_t)b->n);
            clear(o, b);
        }
    }
    l->n = 0;
    cw_strbuf_reset(&o->arena[next]);
    o->cur = next;
    o->gen++;
    o->flushes++;
}
