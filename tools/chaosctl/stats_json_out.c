/* stats_json_out.c — writes a stat snapshot as the interchange JSON (see
 * stats_json.h). Split from stats_json.c, which reads the input side. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "tools/chaosctl/stats_json.h"

/* ---- output ----
 * Written by hand rather than through json_dumps so each number gets the
 * shortest text that reads back to the same double (0.3, not 0.29999999999999999). */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_key(sbuf *b, const char *key)
{
    char esc[6 * CW_STATS_MAX_NAME + 8];
    size_t n = cw_json_escape(esc, sizeof esc, key ? key : "?");
    sb_put(b, "\"", 1);
    sb_put(b, esc, n);
    sb_put(b, "\": ", 3);
}

static void sb_num(sbuf *b, double v)
{
    char t[40];
    if (!isfinite(v)) {
        sb_str(b, "null");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    sb_str(b, t);
}

typedef struct named {
    const char *name;
    size_t index;
} named;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* kind: 0 values, 1 bounds, 2 packs. Returns indices sorted by name (caller frees). */
static named *sorted_names(const cw_stats_registry *reg, const void *arr, size_t n, int kind)
{
    named *v = calloc(n + 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = kind == 0 ? cw_stats_dim_name(reg, ((const cw_stats_value *)arr)[i].dim)
                           : kind == 1
                               ? cw_stats_dim_name(reg, ((const cw_stats_bounds *)arr)[i].dim)
                               : cw_stats_symbol_name(reg, ((const cw_stats_pack *)arr)[i].name);
        v[i] = (named){name ? name : "?", i};
    }
    qsort(v, n, sizeof *v, cmp_named);
    return v;
}

static void put_values(sbuf *b, const cw_stats_registry *reg, const cw_stats_value *v, size_t n)
{
    named *order = sorted_names(reg, v, n, 0);
    if (!order) {
        b->oom = 1;
        return;
    }
    sb_str(b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i) sb_str(b, ", ");
        sb_key(b, order[i].name);
        sb_num(b, v[order[i].index].value);
    }
    sb_str(b, "}");
    free(order);
}

char *cw_stats_json_snapshot_text(const cw_stats_registry *reg, const cw_stats_snapshot *s)
{
    sbuf b = {0};
    sb_str(&b, "{\"primary\": ");
    put_values(&b, reg, s->primary, s->nprimary);
    sb_str(&b, ", \"derived\": ");
    put_values(&b, reg, s->derived, s->nderived);
    sb_str(&b, ", \"caps_used\": {");
    named *order = sorted_names(reg, s->caps_used, s->ncaps_used, 1);
    for (size_t i = 0; order && i < s->ncaps_used; i++) {
        const cw_stats_bounds *bd = &s->caps_used[order[i].index];
        if (i) sb_str(&b, ", ");
        sb_key(&b, order[i].name);
        sb_str(&b, "{\"min\": ");
        sb_num(&b, bd->min);
        sb_str(&b, ", \"max\": ");
        sb_num(&b, bd->max);
        sb_str(&b, "}");
    }
    b.oom |= !order;
    free(order);
    sb_str(&b, "}, \"context\": {");
    order = sorted_names(reg, s->context, s->ncontext, 2);
    for (size_t i = 0; order && i < s->ncontext; i++) {
        const cw_stats_pack *p = &s->context[order[i].index];
        if (i) sb_str(&b, ", ");
        sb_key(&b, order[i].name);
        sb_str(&b, "{\"additive_percent\": ");
        sb_num(&b, p->additive_percent);
        sb_str(&b, ", \"multipliers\": [");
        for (size_t k = 0; k < p->nmultipliers; k++) {
            if (k) sb_str(&b, ", ");
            sb_num(&b, p->multipliers[k]);
        }
        sb_str(&b, "], \"post_add\": ");
        sb_num(&b, p->post_add);
        sb_str(&b, "}");
    }
    b.oom |= !order;
    free(order);
    char ver[32];
    snprintf(ver, sizeof ver, "}, \"version\": %llu}", (unsigned long long)s->version);
    sb_str(&b, ver);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
