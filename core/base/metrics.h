/* metrics.h — counters, gauges and histograms, rendered in the Prometheus
 * text exposition format.
 *
 * A cw_metrics registry owns every metric in it; the handles it returns stay
 * valid until cw_metrics_free. Metrics are looked up or created by (name,
 * label value): look a handle up once (at start, or once per op) and keep it —
 * updates through a handle are a few instructions and never fail. A metric
 * family has at most one label key. Single-threaded: updated on the loop. */
#ifndef CW_BASE_METRICS_H
#define CW_BASE_METRICS_H

#include "core/base/strbuf.h"

#include <stdint.h>

typedef struct cw_metrics cw_metrics;
typedef struct cw_metric cw_metric;

cw_metrics *cw_metrics_new(void);
void cw_metrics_free(cw_metrics *m);

/* label_key/label_val may both be NULL for an unlabelled metric. Returns NULL
 * only when out of memory, or when name exists with another type. */
cw_metric *cw_metrics_counter(cw_metrics *m, const char *name, const char *help,
                              const char *label_key, const char *label_val);
cw_metric *cw_metrics_gauge(cw_metrics *m, const char *name, const char *help,
                            const char *label_key, const char *label_val);
/* bounds: ascending upper bounds (the +Inf bucket is implicit); NULL uses the
 * default latency buckets in seconds (50 µs … 10 s). */
cw_metric *cw_metrics_histogram(cw_metrics *m, const char *name, const char *help,
                                const char *label_key, const char *label_val,
                                const double *bounds, int nbounds);

/* All updates accept NULL handles (and then do nothing). */
void cw_counter_add(cw_metric *c, uint64_t n);
void cw_gauge_set(cw_metric *g, double v);
void cw_gauge_add(cw_metric *g, double v);
void cw_histogram_observe(cw_metric *h, double v);

double cw_metric_value(const cw_metric *mt);      /* counter or gauge value; histogram count */
uint64_t cw_histogram_count(const cw_metric *h);

/* Appends the whole registry in Prometheus text format. */
int cw_metrics_render(const cw_metrics *m, cw_strbuf *out);

#endif
