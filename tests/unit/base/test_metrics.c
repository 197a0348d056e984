/* test_metrics.c — registry semantics and the Prometheus text rendering. */
#include "core/base/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *render(cw_metrics *m, cw_strbuf *b)
{
    cw_strbuf_reset(b);
    assert_int_equal(cw_metrics_render(m, b), 0);
    return b->data ? b->data : "";
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("missing line:\n%s\nin:\n%s", needle, hay);
}

static void test_counter(void **state)
{
    (void)state;
    cw_metrics *m = cw_metrics_new();
    cw_strbuf b = CW_STRBUF_INIT;
    cw_metric *c = cw_metrics_counter(m, "chaos_x_total", "Things", NULL, NULL);
    assert_non_null(c);
    cw_counter_add(c, 3);
    cw_counter_add(c, 4);
    cw_counter_add(NULL, 1); /* NULL handles are allowed */
    assert_true(cw_metric_value(c) == 7);
    assert_ptr_equal(cw_metrics_counter(m, "chaos_x_total", "Things", NULL, NULL), c);
    const char *s = render(m, &b);
    assert_string_equal(s, "# HELP chaos_x_total Things\n# TYPE chaos_x_total counter\n"
                           "chaos_x_total 7\n");
    cw_strbuf_free(&b);
    cw_metrics_free(m);
}

static void test_labelled_counter_and_gauge(void **state)
{
    (void)state;
    cw_metrics *m = cw_metrics_new();
    cw_strbuf b = CW_STRBUF_INIT;
    cw_metric *a = cw_metrics_counter(m, "chaos_err_total", "Errors", "code", "bad_json");
    cw_metric *g = cw_metrics_gauge(m, "chaos_conns", "Conns", NULL, NULL);
    cw_metric *z = cw_metrics_counter(m, "chaos_err_total", "Errors", "code", "rate_limited");
    assert_ptr_not_equal(a, z);
    cw_counter_add(a, 2);
    cw_counter_add(z, 5);
    cw_gauge_set(g, 10);
    cw_gauge_add(g, -3);
    /* same name with another type is refused */
    assert_null(cw_metrics_gauge(m, "chaos_err_total", "", "code", "x"));
    const char *s = render(m, &b);
    /* one HELP/TYPE per family, the series adjacent even though created apart */
    assert_string_equal(s, "# HELP chaos_err_total Errors\n# TYPE chaos_err_total counter\n"
                           "chaos_err_total{code=\"bad_json\"} 2\n"
                           "chaos_err_total{code=\"rate_limited\"} 5\n"
                           "# HELP chaos_conns Conns\n# TYPE chaos_conns gauge\n"
                           "chaos_conns 7\n");
    cw_strbuf_free(&b);
    cw_metrics_free(m);
}

static void test_label_value_escaped(void **state)
{
    (void)state;
    cw_metrics *m = cw_metrics_new();
    cw_strbuf b = CW_STRBUF_INIT;
    cw_counter_add(cw_metrics_counter(m, "c_total", "h", "reason", "a\"b\\c\nd"), 1);
    assert_contains(render(m, &b), "c_total{reason=\"a\\\"b\\\\c\\nd\"} 1\n");
    /* Prometheus escapes only \\, \" and newline: a tab stays a raw tab, and
     * HELP text escapes backslash and newline. */
    cw_strbuf_reset(&b);
    cw_counter_add(cw_metrics_counter(m, "t_total", "line1\nback\\slash", "k", "x\ty"), 1);
    assert_contains(render(m, &b), "t_total{k=\"x\ty\"} 1\n");
    assert_contains(b.data, "# HELP t_total line1\\nback\\\\slash\n");
    cw_strbuf_free(&b);
    cw_metrics_free(m);
}

static void test_histogram(void **state)
{
    (void)state;
    cw_metrics *m = cw_metrics_new();
    cw_strbuf b = CW_STRBUF_INIT;
    const double bounds[] = {0.1, 0.5, 1};
    cw_metric *h = cw_metrics_histogram(m, "lat_seconds", "Latency", "op", "ping", bounds, 3);
    assert_non_null(h);
    cw_histogram_observe(h, 0.05); /* ≤0.1 */
    cw_histogram_observe(h, 0.1);  /* ≤0.1: bounds are inclusive */
    cw_histogram_observe(h, 0.3);  /* ≤0.5 */
    cw_histogram_observe(h, 2);    /* +Inf */
    assert_int_equal(cw_histogram_count(h), 4);
    assert_true(cw_metric_value(h) == 4);
    const char *s = render(m, &b);
    assert_string_equal(s, "# HELP lat_seconds Latency\n# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{op=\"ping\",le=\"0.1\"} 2\n"
                           "lat_seconds_bucket{op=\"ping\",le=\"0.5\"} 3\n"
                           "lat_seconds_bucket{op=\"ping\",le=\"1\"} 3\n"
                           "lat_seconds_bucket{op=\"ping\",le=\"+Inf\"} 4\n"
                           "lat_seconds_sum{op=\"ping\"} 2.4500000000000002\n"
                           "lat_seconds_count{op=\"ping\"} 4\n");
    cw_strbuf_free(&b);
    cw_metrics_free(m);
}

static void test_histogram_default_buckets_unlabelled(void **state)
{
    (void)state;
    cw_metrics *m = cw_metrics_new();
    cw_strbuf b = CW_STRBUF_INIT;
    cw_metric *h = cw_metrics_histogram(m, "d_seconds", "D", NULL, NULL, NULL, 0);
    cw_histogram_observe(h, 0.00004);
    cw_histogram_observe(h, 20);
    const char *s = render(m, &b);
    assert_contains(s, "d_seconds_bucket{le=\"5e-05\"} 1\n");
    assert_contains(s, "d_seconds_bucket{le=\"10\"} 1\n");
    assert_contains(s, "d_seconds_bucket{le=\"+Inf\"} 2\n");
    assert_contains(s, "d_seconds_count 2\n");
    /* buckets are cumulative: never decreasing down the list */
    unsigned long long prev = 0;
    for (const char *p = strstr(s, "_bucket"); p; p = strstr(p + 1, "_bucket")) {
        unsigned long long v = strtoull(strchr(p, ' ') + 1, NULL, 10);
        assert_true(v >= prev);
        prev = v;
    }
    assert_int_equal(prev, 2);
    cw_strbuf_free(&b);
    cw_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_labelled_counter_and_gauge),
        cmocka_unit_test(test_label_value_escaped),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_default_buckets_unlabelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
