/* idmap.c — int64 → int64 hash map with linear probing and backward-shift
 * deletion (no tombstones, so lookups stay short under churn). */
#include "core/sim/space/space.h"

#include <stdlib.h>

static size_t slot_of(int64_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

void cw_idmap_init(cw_idmap *m)
{
    m->v = NULL;
    m->cap = m->n = 0;
}

void cw_idmap_free(cw_idmap *m)
{
    free(m->v);
    cw_idmap_init(m);
}

static int grow(cw_idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    cw_idmap_pair *v = calloc(cap, sizeof *v);
    if (!v) return CW_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].key) continue;
        size_t j = slot_of(m->v[i].key, cap);
        while (v[j].key)
            j = (j + 1) & (cap - 1);
        v[j] = m->v[i];
    }
    free(m->v);
    m->v = v;
    m->cap = cap;
    return 0;
}

int cw_idmap_put(cw_idmap *m, int64_t key, int64_t val)
{
    if (key <= 0) return CW_EINVAL;
    if ((m->n + 1) * 4 > m->cap * 3) {
        int rc = grow(m);
        if (rc) return rc;
    }
    size_t i = slot_of(key, m->cap);
    while (m->v[i].key && m->v[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->v[i].key) m->n++;
    m->v[i] = (cw_idmap_pair){key, val};
    return 0;
}

static size_t find(const cw_idmap *m, int64_t key)
{
    if (!m->cap || key <= 0) return (size_t)-1;
    size_t i = slot_of(key, m->cap);
    while (m->v[i].key) {
        if (m->v[i].key == key) return i;
        i = (i + 1) & (m->cap - 1);
    }
    return (size_t)-1;
}

int cw_idmap_get(const cw_idmap *m, int64_t key, int64_t *val)
{
    size_t i = find(m, key);
    if (i == (size_t)-1) return 0;
    if (val) *val = m->v[i].val;
    return 1;
}

int cw_idmap_del(cw_idmap *m, int64_t key)
{
    size_t i = find(m, key);
    if (i == (size_t)-1) return CW_ENOTFOUND;
    size_t mask = m->cap - 1;
    /* Backward shift: pull later members of the probe run into the hole. */
    for (size_t j = (i + 1) & mask; m->v[j].key; j = (j + 1) & mask) {
        size_t home = slot_of(m->v[j].key, m->cap);
        /* j may move to i when its home is not in (i, j] (cyclically). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->v[i] = m->v[j];
            i = j;
        }
    }
    m->v[i].key = 0;
    m->n--;
    return 0;
}
