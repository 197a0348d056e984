/* memory.c — allocation through the registry's hooks, and name interning.
 *
 * Every byte the engine owns goes through cw_stats_allocator so callers can
 * count allocations (the benchmark proves a resolve makes none) or inject
 * failures (tests prove a failed call leaves the object untouched). */
#include <stdlib.h>
#include <string.h>

#include "core/sim/stats/stats_internal.h"

void *st_realloc(const cw_stats_allocator *al, void *p, size_t size)
{
    return al->realloc(al->ud, p, size);
}

void st_free(const cw_stats_allocator *al, void *p)
{
    if (p) al->free(al->ud, p);
}

int st_reserve(const cw_stats_allocator *al, void **arr, uint32_t *cap, size_t need, size_t elem,
               cw_error *err)
{
    if (need <= *cap) return 0;
    if (need > UINT32_MAX / 2) return cw_error_set(err, CW_ELIMIT, "stats: too many elements");
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need)
        ncap *= 2;
    void *p = st_realloc(al, *arr, ncap * elem);
    if (!p) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    *arr = p;
    *cap = (uint32_t)ncap;
    return 0;
}

void *st_dup(const cw_stats_allocator *al, const void *src, size_t n, size_t elem, int *fail)
{
    if (n == 0) return NULL;
    void *p = st_realloc(al, NULL, n * elem);
    if (!p) {
        *fail = 1;
        return NULL;
    }
    memcpy(p, src, n * elem);
    return p;
}

/* ---- symbol table: FNV-1a, open addressing, load <= 1/2 ---- */

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

void st_symtab_free(const cw_stats_allocator *al, st_symtab *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        st_free(al, t->names[i]);
    st_free(al, t->names);
    st_free(al, t->slots);
    memset(t, 0, sizeof *t);
}

uint32_t st_symtab_find(const st_symtab *t, const char *name)
{
    if (!t->nslots || !name) return CW_STATS_NONE;
    uint32_t mask = t->nslots - 1;
    for (uint32_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slots[i];
        if (!v) return CW_STATS_NONE;
        if (strcmp(t->names[v - 1], name) == 0) return v - 1;
    }
}

static int rehash(const cw_stats_allocator *al, st_symtab *t, uint32_t nslots, cw_error *err)
{
    uint32_t *slots = st_realloc(al, NULL, (size_t)nslots * sizeof *slots);
    if (!slots) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    memset(slots, 0, (size_t)nslots * sizeof *slots);
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = hash_str(t->names[id]) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = id + 1;
    }
    st_free(al, t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

int st_check_name(const char *name, const char *what, cw_error *err)
{
    if (!name) return cw_error_set(err, CW_EINVAL, "%s: missing name", what);
    size_t len = strlen(name);
    if (len == 0) return cw_error_set(err, CW_EINVAL, "%s: empty name", what);
    if (len > CW_STATS_MAX_NAME)
        return cw_error_set(err, CW_ELIMIT, "%s: name longer than %d bytes", what,
                            CW_STATS_MAX_NAME);
    return 0;
}

int st_symtab_intern(const cw_stats_allocator *al, st_symtab *t, const char *name, uint32_t *id,
                     cw_error *err)
{
    uint32_t found = st_symtab_find(t, name);
    if (found != CW_STATS_NONE) {
        *id = found;
        return 0;
    }
    int rc;
    if ((size_t)(t->n + 1) * 2 > t->nslots &&
        (rc = rehash(al, t, t->nslots ? t->nslots * 2 : 64, err)) < 0)
        return rc;
    if ((rc = st_reserve(al, (void **)&t->names, &t->cap, t->n + 1, sizeof *t->names, err)) < 0)
        return rc;
    size_t len = strlen(name);
    char *copy = st_realloc(al, NULL, len + 1);
    if (!copy) return cw_error_set(err, CW_ENOMEM, "stats: out of memory");
    memcpy(copy, name, len + 1);
    uint32_t mask = t->nslots - 1, i = hash_str(name) & mask;
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = t->n + 1;
    t->names[t->n] = copy;
    *id = t->n++;
    return 0;
}
