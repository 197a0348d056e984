/* wheel.c — see wheel.h. */
#include "tools/chaos-load/wheel.h"

#include <stdlib.h>

int cw_wheel_init(cw_wheel *w, uint64_t width_ns, uint32_t slots, uint64_t now_ns)
{
    *w = (cw_wheel){0};
    if (width_ns == 0 || slots < 64 || (slots & (slots - 1)) != 0) return -1;
    w->width = width_ns;
    w->mask = slots - 1;
    w->cur = now_ns / width_ns;
    w->slot = calloc(slots, sizeof *w->slot);
    w->bits = calloc(slots / 64, sizeof *w->bits);
    if (!w->slot || !w->bits) {
        cw_wheel_free(w);
        return -1;
    }
    return 0;
}

void cw_wheel_free(cw_wheel *w)
{
    free(w->slot);
    free(w->bits);
    *w = (cw_wheel){0};
}

uint64_t cw_wheel_round(const cw_wheel *w, uint64_t t)
{
    uint64_t r = t % w->width;
    return r ? t - r + w->width : t;
}

static void link_at(cw_wheel *w, uint32_t i, cw_wnode *n)
{
    n->next = w->slot[i];
    w->slot[i] = n;
    w->bits[i >> 6] |= 1ull << (i & 63);
}

void cw_wheel_add(cw_wheel *w, cw_wnode *n, uint64_t due)
{
    uint64_t s = due / w->width;
    if (s < w->cur) s = w->cur; /* already late: the next slot run */
    n->due = due;
    n->queued = 1;
    w->count++;
    link_at(w, (uint32_t)(s & w->mask), n);
}

size_t cw_wheel_run(cw_wheel *w, uint64_t now, void (*fire)(cw_wnode *n, void *ud), void *ud)
{
    uint64_t end = now / w->width;
    if (end < w->cur) return 0;
    uint64_t s = w->cur;
    if (end - s > w->mask) s = end - w->mask; /* late by a revolution: every slot once */
    size_t fired = 0;
    for (; s <= end; s++) {
        uint32_t i = (uint32_t)(s & w->mask);
        w->cur = s + 1; /* a node queued by fire() for a slot run already lands in a later one */
        if (!(w->bits[i >> 6] & (1ull << (i & 63)))) continue;
        cw_wnode *list = w->slot[i];
        w->slot[i] = NULL;
        w->bits[i >> 6] &= ~(1ull << (i & 63));
        while (list) {
            cw_wnode *n = list;
            list = n->next;
            if (n->due > now) { /* a later revolution's */
                link_at(w, i, n);
                continue;
            }
            n->queued = 0;
            n->next = NULL;
            w->count--;
            fired++;
            fire(n, ud);
        }
    }
    w->cur = end + 1;
    return fired;
}

uint64_t cw_wheel_next(const cw_wheel *w)
{
    if (w->count == 0) return UINT64_MAX;
    uint32_t nwords = (w->mask + 1) / 64;
    uint32_t start = (uint32_t)(w->cur & w->mask);
    /* the first set bit at or after start, circularly */
    for (uint32_t k = 0; k <= nwords; k++) {
        uint32_t word = ((start >> 6) + k) % nwords;
        uint64_t b = w->bits[word];
        if (k == 0) b &= ~0ull << (start & 63);
        if (k == nwords) b &= (start & 63) ? ~(~0ull << (start & 63)) : 0;
        if (!b) continue;
        uint32_t i = word * 64 + (uint32_t)__builtin_ctzll(b);
        uint64_t dist = (uint64_t)((i - start) & w->mask);
        return (w->cur + dist) * w->width;
    }
    return UINT64_MAX; /* not reached: count > 0 means a bit is set */
}
