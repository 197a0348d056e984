/* players.c — the table of loaded characters and the write-behind
 * bookkeeping (movement is the world's: core/game/world.c) (see players.h). An array with two hash
 * indexes: id → slot, and a hash of the lower-cased name → slot (a name whose hash collides with
 * another's is found by a scan: rare, still correct). */
#include "core/game/players.h"

#include "core/sim/space/space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cw_players {
    cw_player **v;
    size_t n, cap;
    cw_idmap by_id, by_name; /* → index in v */
};

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

static void free_grants(cw_grant *g)
{
    while (g) {
        cw_grant *next = g->next;
        free(g);
        g = next;
    }
}

static void player_free(cw_player *p)
{
    free_grants(p->grants);
    free_grants(p->grants_inflight);
    free(p->doc);
    free(p);
}

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
    return p->change_seq != p->saved_seq || p->grants != NULL;
}

/* ---- value --------------------------------------------------------------- */

static int64_t queued_total(const cw_grant *g)
{
    int64_t sum = 0;
    for (; g; g = g->next)
        sum += g->delta;
    return sum;
}

#define GOLD_MAX ((int64_t)1 << 53) /* stays exact in a JSON double */

int cw_player_grant(cw_player *p, int64_t delta, uint64_t token, const char *reason)
{
    if (delta <= -GOLD_MAX || delta >= GOLD_MAX) return CW_EINVAL;
    int64_t total = p->gold + queued_total(p->grants) + queued_total(p->grants_inflight) + delta;
    if (total < 0 || total >= GOLD_MAX) return CW_EINVAL;
    cw_grant *g = calloc(1, sizeof *g);
    if (!g) return CW_ENOMEM;
    g->delta = delta;
    g->token = token;
    snprintf(g->reason, sizeof g->reason, "%s", reason ? reason : "");
    /* Append: grants commit in the order they were made. */
    cw_grant **tail = &p->grants;
    while (*tail)
        tail = &(*tail)->next;
    *tail = g;
    return 0;
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
    s->level = p->level;
    s->x = p->x;
    s->y = p->y;
    /* The grants queued now ride with this save. */
    p->grants_inflight = p->grants;
    p->grants = NULL;
    s->gold = p->gold + queued_total(p->grants_inflight);
    s->grants = p->grants_inflight;
    s->doc = p->doc;
    /* A save with grants always advances the sequence, so it is never
     * mistaken for "nothing to save". */
    if (p->grants_inflight && p->change_seq == p->saved_seq) p->change_seq++;
    s->seq = p->change_seq;
    p->saving_seq = p->change_seq;
    return 1;
}

int cw_players_collect(cw_players *ps, cw_player_snapshot *out, int max, int only_grants)
{
    int n = 0;
    for (size_t i = 0; i < ps->n && n < max; i++) {
        cw_player *p = ps->v[i];
        if (only_grants && !p->grants) continue;
        n += cw_players_collect_one(p, &out[n]);
    }
    return n;
}

void cw_players_saved(cw_players *ps, int64_t id, int rc, int fail_grants, cw_grant_cb cb, void *ud)
{
    cw_player *p = cw_players_get(ps, id);
    if (!p || !p->saving_seq) return;
    cw_grant *carried = p->grants_inflight;
    p->grants_inflight = NULL;
    if (rc == 0) {
        p->version++;
        p->saved_seq = p->saving_seq;
        p->gold += queued_total(carried);
    } else if (rc == CW_ESTATE) {
        p->stale = 1;
    }
    p->saving_seq = 0;
    if (rc != 0 && rc != CW_ESTATE && !fail_grants) {
        /* Not saved: the carried grants go back to the front of the queue. */
        cw_grant **tail = &carried;
        while (*tail)
            tail = &(*tail)->next;
        *tail = p->grants;
        p->grants = carried;
        return;
    }
    /* Each committed grant reports the gold right after it. */
    int64_t gold = rc == 0 ? p->gold - queued_total(carried) : p->gold;
    while (carried) {
        cw_grant *g = carried;
        carried = g->next;
        if (rc == 0) gold += g->delta;
        if (cb) cb(g->token, rc, gold, g->delta, ud);
        free(g);
    }
}
