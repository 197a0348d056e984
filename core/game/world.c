/* world.c — entity table, per-zone grids and area-of-interest bookkeeping
 * (zone sets and instance zones: world_zones.c). */
#include "core/game/world_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof(cw_entity, enc.len) + sizeof(uint32_t) <= 64,
               "a neighbour's hot fields fit in its first cache line");

cw_world *cw_world_new(const cw_world_hooks *hooks)
{
    cw_world *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    if (hooks) w->hooks = *hooks;
    w->next_id = 1;
    cw_idmap_init(&w->by_id);
    cw_idmap_init(&w->by_player);
    return w;
}

void cw_world_free_grids_(cw_grid **grids, int n)
{
    for (int i = 0; grids && i < n; i++)
        cw_grid_free(grids[i]);
    free(grids);
}

void cw_world_free(cw_world *w)
{
    if (!w) return;
    for (int i = 0; i < w->nall; i++) {
        if (w->hooks.release) w->hooks.release(w->hooks.ud, w->all[i]);
        free(w->all[i]->seen);
        free(w->all[i]);
    }
    free(w->all);
    cw_world_free_grids_(w->grids, w->zones.n);
    cw_zoneset_free(&w->zones);
    cw_idmap_free(&w->by_id);
    cw_idmap_free(&w->by_player);
    free(w->near);
    free(w->r_enter);
    free(w->r_leave);
    free(w->r_move);
    free(w->gone);
    free(w->dirty);
    free(w);
}

const cw_zoneset *cw_world_zones(const cw_world *w)
{
    return &w->zones;
}

cw_entity *cw_world_get(const cw_world *w, int64_t id)
{
    int64_t v; /* by_id holds the entity's address: one lookup, no hop through w->all */
    return cw_idmap_get(&w->by_id, id, &v) ? (cw_entity *)(intptr_t)v : NULL;
}

cw_entity *cw_world_find_player(const cw_world *w, int64_t ref)
{
    int64_t id;
    return cw_idmap_get(&w->by_player, ref, &id) ? cw_world_get(w, id) : NULL;
}

size_t cw_world_count(const cw_world *w)
{
    return (size_t)w->nall;
}

const cw_zone *cw_world_zone_of(const cw_world *w, const cw_entity *e)
{
    return &w->zones.v[e->zone];
}

/* ---- sorted id sets --------------------------------------------------------------- */

/* Sorts v[0..n) by id, in place: quicksort (median of three, the smaller
 * side first by recursion) down to short runs, then insertion. No
 * comparison callback: this runs once per move, over the mover's view. */
static void sort_hits(cw_grid_hit *v, int n)
{
    while (n > 16) {
        int64_t a = v[0].id, b = v[n / 2].id, c = v[n - 1].id;
        int64_t p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        int i = 0, j = n - 1;
        while (i <= j) {
            while (v[i].id < p)
                i++;
            while (v[j].id > p)
                j--;
            if (i <= j) {
                cw_grid_hit t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        /* v[0..j] <= p <= v[i..n) */
        if (j + 1 < n - i) {
            sort_hits(v, j + 1);
            v += i;
            n -= i;
        } else {
            sort_hits(v + i, n - i);
            n = j + 1;
        }
    }
    for (int i = 1; i < n; i++) {
        cw_grid_hit x = v[i];
        int j = i;
        while (j > 0 && v[j - 1].id > x.id) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* The index of id in the sorted v[0..n), or -1. */
static int find_id(const int64_t *v, int n, int64_t id)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == id ? lo : -1;
}

static int seen_insert(cw_entity *e, int64_t id)
{
    if (e->nseen == e->capseen) {
        int cap = e->capseen ? e->capseen * 2 : 8;
        int64_t *v = realloc(e->seen, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        e->seen = v;
        e->capseen = cap;
    }
    int i = e->nseen;
    while (i > 0 && e->seen[i - 1] > id) {
        e->seen[i] = e->seen[i - 1];
        i--;
    }
    if (i > 0 && e->seen[i - 1] == id) { /* already there: undo the shift */
        memmove(&e->seen[i], &e->seen[i + 1], sizeof(int64_t) * (size_t)(e->nseen - i));
        return 0;
    }
    e->seen[i] = id;
    e->nseen++;
    return 0;
}

int cw_entity_sees(const cw_world *w, const cw_entity *e, int64_t id)
{
    if (find_id(e->seen, e->nseen, id) < 0) return 0;
    if (w->ngone == 0) return 1; /* no removal pending: every id in a seen set is alive */
    const cw_entity *o = cw_world_get(w, id);
    return o && o->dirty >= 0; /* -1: being removed */
}

static void seen_erase(cw_entity *e, int64_t id)
{
    int k = find_id(e->seen, e->nseen, id);
    if (k < 0) return;
    size_t i = (size_t)k;
    memmove(e->seen + i, e->seen + i + 1, sizeof(int64_t) * ((size_t)e->nseen - i - 1));
    e->nseen--;
}

/* ---- removals pending compaction ------------------------------------------------------ */

#define GONE_MAX 65536 /* pending removals that make cw_world_remove compact at once */

/* Room for one more removed id and for n more dirty entities (never more
 * than there are entities). */
static int reserve_pending(cw_world *w, int n)
{
    if (w->ngone == w->capgone) {
        int cap = w->capgone ? w->capgone * 2 : 64;
        int64_t *v = realloc(w->gone, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        w->gone = v;
        w->capgone = cap;
    }
    int need = w->ndirty + n < w->nall ? w->ndirty + n : w->nall;
    if (need > w->capdirty) {
        int cap = w->capdirty ? w->capdirty : 64;
        while (cap < need)
            cap *= 2;
        cw_entity **v = realloc(w->dirty, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        w->dirty = v;
        w->capdirty = cap;
    }
    return 0;
}

/* e's seen set may hold an id in w->gone (room reserved). */
static void mark_dirty(cw_world *w, cw_entity *e)
{
    if (e->dirty != 0) return;
    w->dirty[w->ndirty++] = e;
    e->dirty = w->ndirty;
}

/* e's seen set holds no removed id any more (or e goes away). */
static void drop_dirty(cw_world *w, cw_entity *e)
{
    if (e->dirty <= 0) return;
    int i = e->dirty - 1;
    cw_entity *last = w->dirty[--w->ndirty];
    w->dirty[i] = last;
    last->dirty = i + 1;
    e->dirty = 0;
}

/* The first index in [from, n) of the sorted v whose value is >= id (n when
 * none): steps of 1, 2, 4... from `from`, then a binary search, so a short
 * skip costs little and a long one log of its length. */
static int gallop(const int64_t *v, int n, int from, int64_t id, uint64_t *work)
{
    int lo = from, hi = from, step = 1;
    while (hi < n && v[hi] < id) { /* v[0..hi] < id */
        lo = hi + 1;
        hi += step;
        step *= 2;
        (*work)++;
    }
    if (hi > n) hi = n;
    while (lo < hi) { /* v[..lo) < id; hi == n or v[hi] >= id */
        int mid = lo + (hi - lo) / 2;
        (*work)++;
        if (v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Drops from the sorted s[0..n) every id of the sorted gone[0..ng), in
 * place; returns the new n. A galloping merge: each side skips ahead by
 * gallop, and the runs of s that stay move down with one memmove each, so a
 * few removals from a long view cost O(K log n) plus the copy, and many
 * removals against a short view O(n log K). */
static int seen_compact(int64_t *s, int n, const int64_t *gone, int ng, uint64_t *work)
{
    int i = 0, g = 0, k = 0; /* kept: s[0..k); still to read: s[i..n), gone[g..ng) */
    while (i < n && g < ng) {
        if (s[i] < gone[g]) { /* a run that stays */
            int j = gallop(s, n, i, gone[g], work);
            if (k != i) memmove(s + k, s + i, sizeof *s * (size_t)(j - i));
            *work += (uint64_t)(k != i ? j - i : 0);
            k += j - i;
            i = j;
        } else if (s[i] > gone[g]) {
            g = gallop(gone, ng, g, s[i], work);
        } else { /* removed: dropped */
            i++;
            g++;
        }
    }
    if (k != i && i < n) {
        memmove(s + k, s + i, sizeof *s * (size_t)(n - i));
        *work += (uint64_t)(n - i);
    }
    return k + (n - i);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void cw_world_compact(cw_world *w)
{
    if (w->ngone == 0) return;
    qsort(w->gone, (size_t)w->ngone, sizeof *w->gone, cmp_id);
    for (int i = 0; i < w->ndirty; i++) {
        cw_entity *e = w->dirty[i];
        e->nseen = seen_compact(e->seen, e->nseen, w->gone, w->ngone, &w->view_work);
        e->dirty = 0;
    }
    w->ndirty = 0;
    w->ngone = 0;
}

uint64_t cw_world_view_work(const cw_world *w)
{
    return w->view_work;
}

static int reserve_recips(cw_world *w, int n)
{
    if (n <= w->caprecip) return 0;
    int cap = w->caprecip ? w->caprecip : 64;
    while (cap < n)
        cap *= 2;
    cw_entity **a = realloc(w->r_enter, sizeof *a * (size_t)cap);
    if (!a) return CW_ENOMEM;
    w->r_enter = a;
    a = realloc(w->r_leave, sizeof *a * (size_t)cap);
    if (!a) return CW_ENOMEM;
    w->r_leave = a;
    a = realloc(w->r_move, sizeof *a * (size_t)cap);
    if (!a) return CW_ENOMEM;
    w->r_move = a;
    w->caprecip = cap;
    return 0;
}

/* What is within view of e (itself excluded), sorted by id, into w->near. */
static int query_near(cw_world *w, const cw_entity *e, int *out_n)
{
    const cw_zone *z = &w->zones.v[e->zone];
    for (;;) {
        int n = cw_grid_query_hits(w->grids[e->zone], e->x, e->y, z->view, w->near, w->capnear);
        if (n <= w->capnear) {
            int k = 0;
            for (int i = 0; i < n; i++)
                if (w->near[i].id != e->id) w->near[k++] = w->near[i];
            sort_hits(w->near, k);
            *out_n = k;
            return 0;
        }
        int cap = w->capnear ? w->capnear : 64;
        while (cap < n)
            cap *= 2;
        cw_grid_hit *v = realloc(w->near, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        w->near = v;
        w->capnear = cap;
    }
}

static void emit(cw_world *w, void (*fn)(void *, const cw_entity *, cw_entity *const *, int),
                 const cw_entity *subject, cw_entity **to, int n)
{
    if (fn && n > 0) fn(w->hooks.ud, subject, to, n);
}

/* Recomputes e's view against the grid, emitting the edges. moved: observers
 * that keep seeing e hear a move. */
int cw_world_refresh_(cw_world *w, cw_entity *e, int moved)
{
    int nb, rc = query_near(w, e, &nb);
    if (rc) return rc;
    if ((rc = reserve_recips(w, nb + e->nseen)) != 0) return rc;
    int ne = 0, nl = 0, nm = 0, i = 0, j = 0;
    int self_player = e->kind == CW_ENT_PLAYER;
    while (i < nb || j < e->nseen) {
        int64_t b = i < nb ? w->near[i].id : INT64_MAX, s = j < e->nseen ? e->seen[j] : INT64_MAX;
        if (b == s) {
            cw_entity *o = w->near[i].data; /* the grid holds each entity's own pointer */
            if (o->kind == CW_ENT_PLAYER) w->r_move[nm++] = o;
            i++, j++;
        } else if (b < s) { /* newly in view */
            cw_entity *o = w->near[i].data;
            i++;
            if (seen_insert(o, e->id) != 0) continue;
            if (o->kind == CW_ENT_PLAYER) w->r_enter[ne++] = o;
            if (self_player) emit(w, w->hooks.enter, o, &e, 1);
        } else { /* out of view */
            cw_entity *o = cw_world_get(w, s);
            j++;
            if (!o) continue; /* removed, pending compaction */
            seen_erase(o, e->id);
            if (o->kind == CW_ENT_PLAYER) w->r_leave[nl++] = o;
            if (self_player) emit(w, w->hooks.leave, o, &e, 1);
        }
    }
    /* e->seen becomes the new set. */
    if (nb > e->capseen) {
        int64_t *v = realloc(e->seen, sizeof *v * (size_t)nb);
        if (!v) return CW_ENOMEM;
        e->seen = v;
        e->capseen = nb;
    }
    for (int k = 0; k < nb; k++)
        e->seen[k] = w->near[k].id;
    e->nseen = nb; /* only living ids now; if e is dirty, its compaction finds nothing to drop */
    emit(w, w->hooks.leave, e, w->r_leave, nl);
    emit(w, w->hooks.enter, e, w->r_enter, ne);
    if (moved) emit(w, w->hooks.move, e, w->r_move, nm);
    return 0;
}

/* Drops everything e sees. A transfer (removing 0) erases e from each
 * observer's set and tells both sides; it fails whole (CW_ENOMEM) before any
 * change. A removal tells the observers only and leaves e's id in their sets
 * for cw_world_compact (they are marked dirty), or erases it at once when the
 * pending lists cannot grow; it always completes. */
int cw_world_hide_(cw_world *w, cw_entity *e, int removing)
{
    int rc = reserve_recips(w, e->nseen);
    if (rc && !removing) return rc;
    int defer = removing && e->nseen > 0 && reserve_pending(w, e->nseen) == 0;
    if (defer) w->gone[w->ngone++] = e->id;
    int nl = 0;
    for (int j = 0; j < e->nseen; j++) {
        cw_entity *o = cw_world_get(w, e->seen[j]);
        if (!o) continue; /* removed, pending compaction */
        if (defer) {
            mark_dirty(w, o);
        } else {
            w->view_work += (uint64_t)o->nseen; /* at most: the search and the shift */
            seen_erase(o, e->id);
        }
        if (rc) continue; /* no room for the recipients: no events */
        if (o->kind == CW_ENT_PLAYER) w->r_leave[nl++] = o;
        if (!removing && e->kind == CW_ENT_PLAYER) emit(w, w->hooks.leave, o, &e, 1);
    }
    w->view_work += (uint64_t)e->nseen;
    e->nseen = 0;
    drop_dirty(w, e);
    emit(w, w->hooks.leave, e, w->r_leave, nl);
    return 0;
}

/* ---- entities --------------------------------------------------------------------- */

/* seed: for the spawn point when (x,y) cannot be kept (cw_zone_spawn_point). */
void cw_world_place_(const cw_zoneset *zs, const char *zone, double x, double y, uint64_t seed,
                     int *zi, double *ox, double *oy)
{
    int i = zone ? cw_zoneset_find(zs, zone) : -1;
    if (i < 0) {
        i = zs->start;
        cw_zone_spawn_point(&zs->v[i], seed, &x, &y);
    } else if (!cw_zone_standable(&zs->v[i], x, y)) {
        cw_zone_spawn_point(&zs->v[i], seed, &x, &y);
    }
    *zi = i;
    *ox = x;
    *oy = y;
}

int cw_world_add(cw_world *w, const cw_entity_init *in, uint64_t now_ns, cw_entity **out)
{
    if (w->zones.n == 0) return CW_ESTATE;
    if (in->kind == CW_ENT_PLAYER && cw_idmap_get(&w->by_player, in->ref, NULL)) return CW_EEXIST;
    if (w->nall == w->capall) {
        int cap = w->capall ? w->capall * 2 : 64;
        cw_entity **v = realloc(w->all, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        w->all = v;
        w->capall = cap;
    }
    /* on a cache line of its own: see the layout note on cw_entity */
    size_t size = (sizeof(cw_entity) + 63) / 64 * 64;
    cw_entity *e = aligned_alloc(64, size);
    if (!e) return CW_ENOMEM;
    memset(e, 0, size);
    e->id = w->next_id;
    e->kind = in->kind;
    e->ref = in->ref;
    e->owner = in->owner;
    snprintf(e->name, sizeof e->name, "%s", in->name ? in->name : "");
    e->speed = in->speed;
    e->move_ns = now_ns;
    cw_world_place_(&w->zones, in->zone, in->x, in->y, (uint64_t)e->id ^ now_ns, &e->zone, &e->x,
                    &e->y);
    e->slot = w->nall;
    int rc = cw_idmap_put(&w->by_id, e->id, (int64_t)(intptr_t)e);
    if (rc == 0 && in->kind == CW_ENT_PLAYER) rc = cw_idmap_put(&w->by_player, in->ref, e->id);
    if (rc == 0) rc = cw_grid_insert_data(w->grids[e->zone], e->id, e->x, e->y, e);
    if (rc) {
        cw_idmap_del(&w->by_id, e->id);
        if (in->kind == CW_ENT_PLAYER) cw_idmap_del(&w->by_player, in->ref);
        free(e);
        return rc;
    }
    w->all[w->nall++] = e;
    w->next_id++;
    if (out) *out = e;
    return 0;
}

int cw_world_show(cw_world *w, cw_entity *e)
{
    return cw_world_refresh_(w, e, 0);
}

int cw_world_remove(cw_world *w, int64_t id)
{
    cw_entity *e = cw_world_get(w, id);
    if (!e) return CW_ENOTFOUND;
    drop_dirty(w, e);
    e->dirty = -1; /* being removed: cw_entity_sees answers 0 for it */
    cw_world_hide_(w, e, 1);
    if (w->ngone >= GONE_MAX) cw_world_compact(w); /* a world nobody ticks stays bounded */
    cw_grid_remove(w->grids[e->zone], e->id);
    cw_idmap_del(&w->by_id, e->id);
    if (e->kind == CW_ENT_PLAYER) cw_idmap_del(&w->by_player, e->ref);
    cw_entity *last = w->all[--w->nall];
    if (last != e) {
        last->slot = e->slot;
        w->all[e->slot] = last;
    }
    if (w->hooks.release) w->hooks.release(w->hooks.ud, e);
    free(e->seen);
    free(e);
    return 0;
}

int cw_world_transfer(cw_world *w, cw_entity *e, int zi, double x, double y)
{
    if (zi < 0 || zi >= w->zones.n || !w->grids[zi]) return CW_EINVAL;
    int rc = cw_world_hide_(w, e, 0);
    if (rc) return rc;
    cw_grid_remove(w->grids[e->zone], e->id);
    e->zone = zi;
    e->x = x;
    e->y = y;
    e->moves++;
    if ((rc = cw_grid_insert_data(w->grids[zi], e->id, x, y, e)) != 0) return rc;
    if (w->hooks.zone) w->hooks.zone(w->hooks.ud, e);
    return cw_world_refresh_(w, e, 0);
}

int cw_world_move(cw_world *w, cw_entity *e, double x, double y, uint64_t now_ns,
                  cw_move_verdict *why)
{
    const cw_zone *z = &w->zones.v[e->zone];
    double elapsed = now_ns > e->move_ns ? (double)(now_ns - e->move_ns) / 1e9 : 0;
    e->credit_s = cw_move_refill(e->credit_s, elapsed, CW_MOVE_BURST_SECONDS);
    e->move_ns = now_ns;
    cw_move_area area = {z->width, z->height, z->blocked, z->nblocked};
    cw_move_verdict v = cw_move_check(&area, e->speed, &e->credit_s, e->x, e->y, x, y);
    if (why) *why = v;
    if (v != CW_MOVE_OK) return CW_EINVAL;
    const cw_portal *p = cw_zone_portal_at(z, x, y);
    if (p && p->to_index >= 0) {
        if (w->hooks.portal && w->hooks.portal(w->hooks.ud, e, p)) return CW_EBUSY;
        return cw_world_transfer(w, e, p->to_index, p->to_x, p->to_y);
    }
    int rc = cw_grid_move(w->grids[e->zone], e->id, x, y);
    if (rc) return rc; /* out of memory: e stays where it was */
    e->x = x;
    e->y = y;
    e->moves++;
    return cw_world_refresh_(w, e, 1);
}

int cw_world_relocate(cw_world *w, cw_entity *e, double x, double y)
{
    if (!cw_zone_standable(&w->zones.v[e->zone], x, y)) return CW_EINVAL;
    int rc = cw_grid_move(w->grids[e->zone], e->id, x, y);
    if (rc) return rc;
    e->x = x;
    e->y = y;
    e->moves++;
    return cw_world_refresh_(w, e, 1);
}

int cw_world_query(const cw_world *w, int zi, double x, double y, double r, int64_t *out, int max)
{
    if (zi < 0 || zi >= w->zones.n || !w->grids[zi]) return 0;
    return cw_grid_query(w->grids[zi], x, y, r, out, max);
}

/* ---- tick ------------------------------------------------------------------------- */

void cw_world_tick(cw_world *w, uint64_t now_ns)
{
    (void)now_ns; /* monsters and timed effects will run here */
    cw_world_compact(w);
    w->ticks++;
}

uint64_t cw_world_ticks(const cw_world *w)
{
    return w->ticks;
}

void cw_world_each(cw_world *w, void (*fn)(cw_entity *e, void *ud), void *ud)
{
    for (int i = 0; i < w->nall; i++)
        fn(w->all[i], ud);
}
