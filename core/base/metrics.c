#include "core/base/metrics.h"

#include "core/base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_COUNTER, M_GAUGE, M_HISTOGRAM };

#define CW_HIST_MAX 24

struct cw_metric {
    int type;
    char *name;
    char *help;
    char *label_key;
    char *label_val;
    double value; /* counter / gauge */
    int nbounds;
    double bounds[CW_HIST_MAX];
    uint64_t buckets[CW_HIST_MAX + 1]; /* per-bucket (not cumulative) counts, last is +Inf */
    uint64_t count;
    double sum;
    cw_metric *next;
};

struct cw_metrics {
    cw_metric *head;
    cw_metric *tail;
};

static const double default_bounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                        0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                        0.5,     1,      2.5,     5,      10};

cw_metrics *cw_metrics_new(void)
{
    return calloc(1, sizeof(cw_metrics));
}

void cw_metrics_free(cw_metrics *m)
{
    if (!m)
        return;
    cw_metric *mt = m->head;
    while (mt) {
        cw_metric *next = mt->next;
        free(mt->name);
        free(mt->help);
        free(mt->label_key);
        free(mt->label_val);
        free(mt);
        mt = next;
    }
    free(m);
}

static int same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static cw_metric *get(cw_metrics *m, int type, const char *name, const char *help,
                      const char *lk, const char *lv)
{
    for (cw_metric *mt = m->head; mt; mt = mt->next) {
        if (strcmp(mt->name, name) == 0) {
            if (mt->type != type)
                return NULL;
            if (same(mt->label_key, lk) && same(mt->label_val, lv))
                return mt;
        }
    }
    cw_metric *mt = calloc(1, sizeof *mt);
    if (!mt)
        return NULL;
    mt->type = type;
    mt->name = strdup(name);
    mt->help = strdup(help ? help : "");
    mt->label_key = dup_or_null(lk);
    mt->label_val = dup_or_null(lv);
    if (!mt->name || !mt->help || (lk && !mt->label_key) || (lv && !mt->label_val)) {
        free(mt->name);
        free(mt->help);
        free(mt->label_key);
        free(mt->label_val);
        free(mt);
        return NULL;
    }
    /* Keep a family's series adjacent so rendering emits HELP/TYPE once. */
    cw_metric *prev = NULL;
    for (cw_metric *it = m->head; it; it = it->next)
        if (strcmp(it->name, name) == 0)
            prev = it;
    if (prev) {
        mt->next = prev->next;
        prev->next = mt;
        if (m->tail == prev)
            m->tail = mt;
    } else if (m->tail) {
        m->tail->next = mt;
        m->tail = mt;
    } else {
        m->head = m->tail = mt;
    }
    return mt;
}

cw_metric *cw_metrics_counter(cw_metrics *m, const char *name, const char *help, const char *lk,
                              const char *lv)
{
    return get(m, M_COUNTER, name, help, lk, lv);
}

cw_metric *cw_metrics_gauge(cw_metrics *m, const char *name, const char *help, const char *lk,
                            const char *lv)
{
    return get(m, M_GAUGE, name, help, lk, lv);
}

cw_metric *cw_metrics_histogram(cw_metrics *m, const char *name, const char *help, const char *lk,
                                const char *lv, const double *bounds, int nbounds)
{
    cw_metric *mt = get(m, M_HISTOGRAM, name, help, lk, lv);
    if (mt && mt->nbounds == 0) {
        if (!bounds) {
            bounds = default_bounds;
            nbounds = (int)(sizeof default_bounds / sizeof default_bounds[0]);
        }
        if (nbounds > CW_HIST_MAX)
            nbounds = CW_HIST_MAX;
        memcpy(mt->bounds, bounds, sizeof(double) * (size_t)nbounds);
        mt->nbounds = nbounds;
    }
    return mt;
}

void cw_counter_add(cw_metric *c, uint64_t n)
{
    if (c)
        c->value += (double)n;
}

void cw_gauge_set(cw_metric *g, double v)
{
    if (g)
        g->value = v;
}

void cw_gauge_add(cw_metric *g, double v)
{
    if (g)
        g->value += v;
}

void cw_histogram_observe(cw_metric *h, double v)
{
    if (!h)
        return;
    int i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += v;
}

double cw_metric_value(const cw_metric *mt)
{
    if (!mt)
        return 0;
    return mt->type == M_HISTOGRAM ? (double)mt->count : mt->value;
}

uint64_t cw_histogram_count(const cw_metric *h)
{
    return h ? h->count : 0;
}

/* Prometheus text format escaping: label values escape backslash, double
 * quote and newline; HELP text escapes backslash and newline. Nothing else. */
static int prom_escape(cw_strbuf *out, const char *s, int quote)
{
    int rc = 0;
    for (; *s; s++) {
        if (*s == '\\')
            rc |= cw_strbuf_puts(out, "\\\\");
        else if (*s == '\n')
            rc |= cw_strbuf_puts(out, "\\n");
        else if (*s == '"' && quote)
            rc |= cw_strbuf_puts(out, "\\\"");
        else
            rc |= cw_strbuf_append(out, s, 1);
    }
    return rc;
}

static int labels(cw_strbuf *out, const cw_metric *mt, const char *le)
{
    int rc = 0;
    if (!mt->label_key && !le)
        return 0;
    rc |= cw_strbuf_puts(out, "{");
    if (mt->label_key) {
        rc |= cw_strbuf_printf(out, "%s=\"", mt->label_key);
        rc |= prom_escape(out, mt->label_val ? mt->label_val : "", 1);
        rc |= cw_strbuf_puts(out, "\"");
    }
    if (le)
        rc |= cw_strbuf_printf(out, "%sle=\"%s\"", mt->label_key ? "," : "", le);
    rc |= cw_strbuf_puts(out, "}");
    return rc;
}

int cw_metrics_render(const cw_metrics *m, cw_strbuf *out)
{
    static const char *types[] = {"counter", "gauge", "histogram"};
    int rc = 0;
    const char *family = NULL;
    for (const cw_metric *mt = m->head; mt; mt = mt->next) {
        if (!family || strcmp(family, mt->name) != 0) {
            family = mt->name;
            rc |= cw_strbuf_printf(out, "# HELP %s ", mt->name);
            rc |= prom_escape(out, mt->help, 0);
            rc |= cw_strbuf_printf(out, "\n# TYPE %s %s\n", mt->name, types[mt->type]);
        }
        if (mt->type != M_HISTOGRAM) {
            rc |= cw_strbuf_puts(out, mt->name);
            rc |= labels(out, mt, NULL);
            rc |= cw_strbuf_printf(out, " %.17g\n", mt->value);
            continue;
        }
        uint64_t cum = 0;
        char le[64];
        for (int i = 0; i <= mt->nbounds; i++) {
            cum += mt->buckets[i];
            if (i < mt->nbounds)
                snprintf(le, sizeof le, "%g", mt->bounds[i]);
            else
                snprintf(le, sizeof le, "+Inf");
            rc |= cw_strbuf_printf(out, "%s_bucket", mt->name);
            rc |= labels(out, mt, le);
            rc |= cw_strbuf_printf(out, " %llu\n", (unsigned long long)cum);
        }
        rc |= cw_strbuf_printf(out, "%s_sum", mt->name);
        rc |= labels(out, mt, NULL);
        rc |= cw_strbuf_printf(out, " %.17g\n%s_count", mt->sum, mt->name);
        rc |= labels(out, mt, NULL);
        rc |= cw_strbuf_printf(out, " %llu\n", (unsigned long long)mt->count);
    }
    return rc ? CW_ENOMEM : 0;
}
