/* test_out_reserve.c — frames written straight into a connection's output
 * (cw_conn_out_reserve / cw_conn_out_commit) over a real loopback socket:
 * what is committed arrives whole and in order, the frame and byte counters
 * count exactly what was committed, the output cap closes the connection,
 * and a closing or dropped connection refuses. */
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/net/frame.h"
#include "core/io/net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/net/frame_reader.h"

typedef struct fx {
    struct event_base *base;
    cw_net *net;
    cw_metrics *metrics;
    cw_conn *conn; /* the last accepted, until closed */
    uint64_t conn_id;
    char closed_reason[32];
    int fd; /* the client side */
    uint8_t buf[1 << 16];
    size_t len;
} fx;

static void on_open(void *ud, cw_conn *c)
{
    fx *f = ud;
    f->conn = c;
    f->conn_id = cw_conn_id(c);
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    (void)ud;
    cw_conn_reply_ok(c, req->id_json, NULL, 0);
}

static void on_close(void *ud, cw_conn *c, const char *reason)
{
    fx *f = ud;
    if (c == f->conn) f->conn = NULL;
    snprintf(f->closed_reason, sizeof f->closed_reason, "%s", reason);
}

static void pump(fx *f, int ms)
{
    frame_reader_pump(f->base, ms);
}

static void fx_start(fx *f, size_t max_frame, size_t max_output)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->metrics = cw_metrics_new();
    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.rate = 0;
    if (max_frame) cfg.max_frame = max_frame;
    if (max_output) cfg.max_output = max_output;
    cw_net_handler h = {f, on_open, on_request, on_close};
    cw_error err;
    f->net = cw_net_new(f->base, &cfg, &h, f->metrics, &err);
    if (!f->net) fail_msg("cw_net_new: %s", err.msg);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_net_port(f->net));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    uint64_t end = frame_reader_ms() + 2000;
    while (!f->conn && frame_reader_ms() < end)
        pump(f, 1);
    assert_non_null(f->conn);
}

static void fx_stop(fx *f)
{
    close(f->fd);
    cw_net_free(f->net);
    cw_metrics_free(f->metrics);
    event_base_free(f->base);
}

static double counter(fx *f, const char *name)
{
    return cw_metric_value(cw_metrics_counter(f->metrics, name, "", NULL, NULL));
}

/* Writes one frame with payload json at p; returns its length. */
static size_t put_frame(char *p, const char *json)
{
    size_t n = strlen(json);
    cw_frame_header((uint8_t *)p, (uint32_t)n);
    memcpy(p + 4, json, n);
    return n + 4;
}

/* The next frame's payload (NUL-terminated in out), -1 at EOF, -2 on timeout. */
static int read_frame(fx *f, char *out, size_t cap)
{
    return frame_reader_next(f->base, f->fd, f->buf, sizeof f->buf, &f->len, out, cap, 2000);
}

static void expect_frame(fx *f, const char *want)
{
    char got[4096];
    int n = read_frame(f, got, sizeof got);
    if (n < 0) fail_msg("expected %s, got %s", want, n == -1 ? "EOF" : "timeout");
    assert_string_equal(got, want);
}

static void ping(fx *f, const char *id)
{
    char req[64], want[64];
    int n = snprintf(req, sizeof req, "{\"op\":\"ping\",\"id\":%s}", id);
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)n);
    assert_int_equal(send(f->fd, hdr, 4, 0), 4);
    assert_int_equal(send(f->fd, req, (size_t)n, 0), n);
    snprintf(want, sizeof want, "{\"id\":%s,\"ok\":true}", id);
    expect_frame(f, want);
}

static void test_reserve_commit_in_order_and_counted(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, 0, 0);
    double frames0 = counter(&f, "chaos_frames_out_total");
    double bytes0 = counter(&f, "chaos_bytes_out_total");
    /* a direct send first: the reserved frames go behind it */
    assert_int_equal(cw_conn_send(f.conn, "{\"n\":0}", 7), 0);
    char *p = cw_conn_out_reserve(f.conn, 100);
    assert_non_null(p);
    size_t len = put_frame(p, "{\"n\":1}");
    len += put_frame(p + len, "{\"n\":2}");
    assert_int_equal(cw_conn_out_commit(f.conn, len, 2, 1), 0);
    assert_int_equal(cw_conn_pending(f.conn), 11 + len);
    assert_int_equal(counter(&f, "chaos_frames_out_total") - frames0, 3);
    assert_int_equal(counter(&f, "chaos_bytes_out_total") - bytes0, 11 + len);
    expect_frame(&f, "{\"n\":0}");
    expect_frame(&f, "{\"n\":1}");
    expect_frame(&f, "{\"n\":2}");
    /* committing less than reserved: only the committed bytes leave (the
     * reply to the ping is the very next frame) */
    p = cw_conn_out_reserve(f.conn, 4096);
    assert_non_null(p);
    len = put_frame(p, "{\"n\":3}");
    put_frame(p + len, "{\"never\":1}"); /* written, not committed */
    assert_int_equal(cw_conn_out_commit(f.conn, len, 1, 0), 0);
    expect_frame(&f, "{\"n\":3}");
    ping(&f, "7");
    /* committing nothing queues nothing */
    assert_non_null(cw_conn_out_reserve(f.conn, 64));
    double frames1 = counter(&f, "chaos_frames_out_total");
    assert_int_equal(cw_conn_out_commit(f.conn, 0, 0, 1), 0);
    assert_int_equal(counter(&f, "chaos_frames_out_total"), frames1);
    ping(&f, "8");
    fx_stop(&f);
}

static void test_commit_over_reservation_refused(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, 0, 0);
    char *p = cw_conn_out_reserve(f.conn, 16);
    assert_non_null(p);
    size_t len = put_frame(p, "{\"n\":1}");
    assert_int_equal(cw_conn_out_commit(f.conn, 17, 1, 1), CW_EINVAL);
    assert_int_equal(cw_conn_pending(f.conn), 0);
    /* a commit without a reservation is over it too */
    assert_int_equal(cw_conn_out_commit(f.conn, len, 1, 1), CW_EINVAL);
    ping(&f, "1"); /* nothing of the above reached the wire */
    fx_stop(&f);
}

static void test_overflow_closes(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, 1024, 2048);
    uint64_t id = f.conn_id;
    char *p = cw_conn_out_reserve(f.conn, 4000);
    assert_non_null(p);
    char json[600];
    memset(json, 'x', sizeof json);
    memcpy(json, "{\"s\":\"", 6);
    memcpy(json + sizeof json - 3, "\"}", 3);
    size_t len = 0;
    for (int i = 0; i < 5; i++) /* 5 x 601 bytes: over the 2048-byte cap */
        len += put_frame(p + len, json);
    assert_int_equal(cw_conn_out_commit(f.conn, len, 5, 1), CW_ELIMIT);
    /* dropped: a further reservation is refused */
    assert_null(cw_conn_out_reserve(f.conn, 16));
    pump(&f, 5);
    assert_null(cw_net_find(f.net, id));
    assert_string_equal(f.closed_reason, "output_overflow");
    fx_stop(&f);
}

static void test_closing_connection_refuses(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, 0, 0);
    cw_conn *c = f.conn;
    char *p = cw_conn_out_reserve(c, 64);
    assert_non_null(p);
    size_t len = put_frame(p, "{\"n\":1}");
    cw_conn_close(c, "server_closed");
    /* the connection closed between reserve and commit */
    assert_int_equal(cw_conn_out_commit(c, len, 1, 1), CW_ESTATE);
    assert_null(cw_conn_out_reserve(c, 64));
    char got[64];
    assert_int_equal(read_frame(&f, got, sizeof got), -1); /* EOF, no frame */
    assert_string_equal(f.closed_reason, "server_closed");
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_commit_in_order_and_counted),
        cmocka_unit_test(test_commit_over_reservation_refused),
        cmocka_unit_test(test_overflow_closes),
        cmocka_unit_test(test_closing_connection_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
