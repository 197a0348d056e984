/* test_order.c — answer order (cw_conn_hold / cw_conn_release) and the
 * outgoing frame limit (answer_too_large), over real loopback sockets.
 *
 * The server runs on an event_base in this thread; clients are plain
 * sockets and every wait pumps the loop. A "hold" request is answered later:
 * the handler holds the connection and the test answers and releases it. */
#include "core/base/metrics.h"
#include "core/io/net/frame.h"
#include "core/io/net/net.h"
#include "core/io/net/net_internal.h" /* white box: the waiting input's size */

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* ---- fixture ---------------------------------------------------------- */

#define MAX_HELD 8

typedef struct fx {
    struct event_base *base;
    cw_net *net;
    cw_metrics *metrics;
    uint64_t conn; /* the last connection opened */
    int nclosed;
    char closed_reason[32];
    /* held requests, oldest first */
    uint64_t held_conn[MAX_HELD];
    char held_id[MAX_HELD][32];
    int nheld;
    int send_rc, reply_rc;
} fx;

static void on_open(void *ud, cw_conn *c)
{
    ((fx *)ud)->conn = cw_conn_id(c);
}

static void on_close(void *ud, cw_conn *c, const char *reason)
{
    (void)c;
    fx *f = ud;
    f->nclosed++;
    snprintf(f->closed_reason, sizeof f->closed_reason, "%s", reason);
}

static json_int_t int_field(const cw_request *req, const char *name)
{
    return json_integer_value(json_object_get((json_t *)req->json, name));
}

/* A JSON object {"x":"xxx…"} of exactly n bytes (n >= 8) in a new buffer. */
static char *object_of(size_t n)
{
    char *b = malloc(n + 1);
    memcpy(b, "{\"x\":\"", 6);
    memset(b + 6, 'x', n - 8);
    memcpy(b + n - 2, "\"}", 3);
    return b;
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    fx *f = ud;
    if (strcmp(req->op, "ping") == 0) {
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
    } else if (strcmp(req->op, "hold") == 0) {
        assert_true(f->nheld < MAX_HELD);
        f->held_conn[f->nheld] = cw_conn_id(c);
        snprintf(f->held_id[f->nheld], sizeof f->held_id[0], "%s", req->id_json);
        f->nheld++;
        cw_conn_hold(c);
    } else if (strcmp(req->op, "hold_now") == 0) { /* held and answered at once */
        cw_conn_hold(c);
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
        cw_conn_release(c);
    } else if (strcmp(req->op, "big") == 0) { /* an ok body of "n" bytes */
        char *body = object_of((size_t)int_field(req, "n"));
        f->reply_rc = cw_conn_reply_ok(c, req->id_json, body, strlen(body));
        free(body);
    } else if (strcmp(req->op, "bigerr") == 0) { /* an error message of "n" bytes */
        size_t n = (size_t)int_field(req, "n");
        char *msg = malloc(n + 1);
        memset(msg, 'm', n);
        msg[n] = '\0';
        f->reply_rc = cw_conn_reply_error(c, req->id_json, "custom", msg);
        free(msg);
    } else if (strcmp(req->op, "send") == 0) { /* an unsolicited frame of "n" bytes */
        char *body = object_of((size_t)int_field(req, "n"));
        f->send_rc = cw_conn_send(c, body, strlen(body));
        free(body);
    } else {
        cw_conn_reply_error(c, req->id_json, "unknown_op", req->op);
    }
}

static void fx_start(fx *f, const cw_net_config *cfg)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    f->metrics = cw_metrics_new();
    cw_net_handler h = {f, on_open, on_request, on_close};
    cw_error err;
    f->net = cw_net_new(f->base, cfg, &h, f->metrics, &err);
    if (!f->net) fail_msg("cw_net_new: %s", err.msg);
}

static void fx_stop(fx *f)
{
    cw_net_free(f->net);
    cw_metrics_free(f->metrics);
    event_base_free(f->base);
}

static cw_net_config test_config(void)
{
    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.rate = 0;
    return cfg;
}

static void pump(fx *f, int ms)
{
    frame_reader_pump(f->base, ms);
}

/* Answers the oldest held request (ok) and releases its connection. */
static void fx_release(fx *f)
{
    assert_true(f->nheld > 0);
    cw_conn *c = cw_net_find(f->net, f->held_conn[0]);
    if (c) {
        cw_conn_reply_ok(c, f->held_id[0], NULL, 0);
        cw_conn_release(c);
    }
    f->nheld--;
    memmove(f->held_conn, f->held_conn + 1, sizeof f->held_conn[0] * (size_t)f->nheld);
    memmove(f->held_id, f->held_id + 1, sizeof f->held_id[0] * (size_t)f->nheld);
}

static double metric(fx *f, const char *name, const char *lk, const char *lv)
{
    return cw_metric_value(cw_metrics_counter(f->metrics, name, "", lk, lv));
}

/* ---- client ----------------------------------------------------------- */

typedef struct client {
    int fd;
    uint8_t buf[1 << 18];
    size_t len;
} client;

static client *client_open(fx *f)
{
    client *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_net_port(f->net));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pump(f, 5);
    return c;
}

static void client_close(client *c)
{
    close(c->fd);
    free(c);
}

/* Appends one frame of json to out (a growing buffer). */
static void frame_into(uint8_t **out, size_t *len, const char *json)
{
    size_t n = strlen(json);
    *out = realloc(*out, *len + 4 + n);
    cw_frame_header(*out + *len, (uint32_t)n);
    memcpy(*out + *len + 4, json, n);
    *len += 4 + n;
}

/* Sends bytes while pumping the loop (nothing blocks); returns bytes sent. */
static size_t send_pumped(fx *f, client *c, const void *p, size_t n, int timeout_ms)
{
    const uint8_t *b = p;
    size_t sent = 0;
    uint64_t end = frame_reader_ms() + (uint64_t)timeout_ms;
    while (sent < n && frame_reader_ms() < end) {
        ssize_t w = send(c->fd, b + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            sent += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            break;
        else
            poll(NULL, 0, 1);
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
    return sent;
}

/* Sends the frames of the given JSON texts in ONE write. */
static void send_frames(fx *f, client *c, int n, ...)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        frame_into(&buf, &len, va_arg(ap, const char *));
    va_end(ap);
    assert_int_equal(send_pumped(f, c, buf, len, 2000), len);
    free(buf);
}

/* Next frame into out (NUL-terminated): its length, -1 on EOF, -2 on timeout. */
static int read_frame(fx *f, client *c, char *out, size_t cap, int timeout_ms)
{
    return frame_reader_next(f->base, c->fd, c->buf, sizeof c->buf, &c->len, out, cap, timeout_ms);
}

static void expect_frame(fx *f, client *c, const char *expected)
{
    static char got[1 << 18];
    int n = read_frame(f, c, got, sizeof got, 3000);
    if (n < 0) fail_msg("expected %s, got %s", expected, n == -1 ? "EOF" : "timeout");
    assert_string_equal(got, expected);
}

/* Nothing arrives within ms (the connection stays open). */
static void expect_silence(fx *f, client *c, int ms)
{
    static char got[1 << 18];
    int n = read_frame(f, c, got, sizeof got, ms);
    if (n >= 0) fail_msg("expected nothing, got %s", got);
    assert_int_equal(n, -2);
}

/* The error code of the next frame; its id must be id_json. */
static const char *expect_error(fx *f, client *c, const char *id_json)
{
    static char code[64];
    static char got[1 << 18];
    int n = read_frame(f, c, got, sizeof got, 3000);
    if (n < 0) fail_msg("expected an error frame, got %s", n == -1 ? "EOF" : "timeout");
    json_t *j = json_loads(got, 0, NULL);
    assert_non_null(j);
    char *id = json_dumps(json_object_get(j, "id"), JSON_ENCODE_ANY);
    assert_string_equal(id, id_json);
    free(id);
    json_t *e = json_object_get(j, "error");
    assert_true(json_is_object(e));
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(e, "code")));
    json_decref(j);
    return code;
}

static void expect_eof(fx *f, client *c)
{
    static char got[1 << 18];
    int n;
    while ((n = read_frame(f, c, got, sizeof got, 3000)) >= 0)
        ;
    if (n != -1) fail_msg("expected EOF, got a timeout");
}

/* ---- answer order ------------------------------------------------------ */

static void test_frames_behind_a_held_request_wait_for_its_answer(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 3, "{\"op\":\"hold\",\"id\":1}", "{\"op\":\"ping\",\"id\":2}",
                "{\"op\":\"ping\",\"id\":3}");
    expect_silence(&f, c, 150); /* the pings are not answered before the held request */
    assert_int_equal(cw_conn_holds(cw_net_find(f.net, f.conn)), 1);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":2,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":3,\"ok\":true}");
    assert_int_equal(cw_conn_holds(cw_net_find(f.net, f.conn)), 0);
    client_close(c);
    fx_stop(&f);
}

static void test_each_held_request_stops_the_frames_behind_it(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 5, "{\"op\":\"hold\",\"id\":1}", "{\"op\":\"ping\",\"id\":2}",
                "{\"op\":\"hold\",\"id\":3}", "{\"op\":\"hold_now\",\"id\":4}",
                "{\"op\":\"ping\",\"id\":5}");
    pump(&f, 50);
    assert_int_equal(f.nheld, 1);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":2,\"ok\":true}");
    expect_silence(&f, c, 100); /* 4 and 5 wait behind 3 */
    assert_int_equal(f.nheld, 1);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":3,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":4,\"ok\":true}"); /* held and released at once: in line */
    expect_frame(&f, c, "{\"id\":5,\"ok\":true}");
    client_close(c);
    fx_stop(&f);
}

static void test_other_connections_are_not_held(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *a = client_open(&f);
    client *b = client_open(&f);
    send_frames(&f, a, 2, "{\"op\":\"hold\",\"id\":1}", "{\"op\":\"ping\",\"id\":2}");
    send_frames(&f, b, 1, "{\"op\":\"ping\",\"id\":7}");
    expect_frame(&f, b, "{\"id\":7,\"ok\":true}");
    fx_release(&f);
    expect_frame(&f, a, "{\"id\":1,\"ok\":true}");
    expect_frame(&f, a, "{\"id\":2,\"ok\":true}");
    client_close(a);
    client_close(b);
    fx_stop(&f);
}

#define NPINGS 5000

static void test_waiting_input_is_bounded_then_all_handled(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 1024;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 1, "{\"op\":\"hold\",\"id\":0}");
    pump(&f, 20);
    /* NPINGS pings (~140 KB) behind it: the server keeps at most about one
     * frame plus one read of them; the rest stays in the kernel. */
    uint8_t *buf = NULL;
    size_t len = 0;
    char json[64];
    for (int i = 1; i <= NPINGS; i++) {
        snprintf(json, sizeof json, "{\"op\":\"ping\",\"id\":%d}", i);
        frame_into(&buf, &len, json);
    }
    size_t sent = send_pumped(&f, c, buf, len, 300);
    pump(&f, 50);
    assert_true(sent > cfg.max_frame + CW_FRAME_HEADER + 16384);
    cw_conn *conn = cw_net_find(f.net, f.conn);
    size_t waiting = evbuffer_get_length(bufferevent_get_input(conn->bev));
    assert_true(waiting > 0);
    assert_true(waiting <= cfg.max_frame + CW_FRAME_HEADER + 16384);
    assert_int_equal(conn->paused, 1);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":0,\"ok\":true}");
    /* Keep sending what the kernel refused earlier while reading answers. */
    size_t off = sent;
    char got[256];
    for (int i = 1; i <= NPINGS; i++) {
        if (off < len) off += send_pumped(&f, c, buf + off, len - off, 5);
        int n = read_frame(&f, c, got, sizeof got, 3000);
        if (n < 0) fail_msg("answer %d missing", i);
        snprintf(json, sizeof json, "{\"id\":%d,\"ok\":true}", i);
        assert_string_equal(got, json);
    }
    free(buf);
    client_close(c);
    fx_stop(&f);
}

static void test_held_connection_is_not_idle(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.idle_timeout_ms = 100;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 1, "{\"op\":\"hold\",\"id\":1}");
    pump(&f, 500); /* five idle timeouts while the server owes the answer */
    assert_int_equal(f.nclosed, 0);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    /* Silent after the answer: idle again, closed. */
    expect_eof(&f, c);
    assert_string_equal(f.closed_reason, "idle_timeout");
    client_close(c);
    fx_stop(&f);
}

static void test_time_held_is_credited_to_the_rate_limit(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.rate = 10; /* one request per 100 ms */
    cfg.burst = 1;
    cfg.abuse_strikes = 1000;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 1, "{\"op\":\"hold\",\"id\":0}");
    /* Five pings, 200 ms apart: half the allowed rate, sent while held. */
    char json[64];
    for (int i = 1; i <= 5; i++) {
        pump(&f, 200);
        snprintf(json, sizeof json, "{\"op\":\"ping\",\"id\":%d}", i);
        send_frames(&f, c, 1, json);
    }
    pump(&f, 50);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":0,\"ok\":true}");
    for (int i = 1; i <= 5; i++) {
        snprintf(json, sizeof json, "{\"id\":%d,\"ok\":true}", i);
        expect_frame(&f, c, json);
    }
    /* The credit does not last: twenty at once now are over the rate. */
    uint8_t *buf = NULL;
    size_t len = 0;
    for (int i = 0; i < 20; i++)
        frame_into(&buf, &len, "{\"op\":\"ping\",\"id\":9}");
    assert_int_equal(send_pumped(&f, c, buf, len, 2000), len);
    free(buf);
    int limited = 0;
    char got[256];
    for (int i = 0; i < 20; i++) {
        assert_true(read_frame(&f, c, got, sizeof got, 3000) > 0);
        if (strstr(got, "rate_limited")) limited++;
    }
    assert_true(limited > 0);
    client_close(c);
    fx_stop(&f);
}

static void test_half_close_while_held_still_gets_every_answer(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 2, "{\"op\":\"hold\",\"id\":1}", "{\"op\":\"ping\",\"id\":2}");
    shutdown(c->fd, SHUT_WR);
    pump(&f, 100);
    assert_int_equal(f.nclosed, 0);
    fx_release(&f);
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":2,\"ok\":true}");
    expect_eof(&f, c);
    pump(&f, 20);
    assert_int_equal(f.nclosed, 1);
    assert_string_equal(f.closed_reason, "client_closed");
    client_close(c);
    fx_stop(&f);
}

static void test_close_while_held_drops_the_waiting_frames(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 2, "{\"op\":\"hold\",\"id\":1}", "{\"op\":\"ping\",\"id\":2}");
    pump(&f, 50);
    cw_conn_close(cw_net_find(f.net, f.conn), "server_closed");
    fx_release(&f); /* answering a closing connection: nothing sent, no harm */
    expect_eof(&f, c);
    pump(&f, 20);
    assert_string_equal(f.closed_reason, "server_closed");
    client_close(c);
    fx_stop(&f);
}

/* ---- the outgoing frame limit ----------------------------------------- */

static void test_reply_over_the_frame_limit_becomes_answer_too_large(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 4096;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    /* {"id":1,"ok":true,<members>} with a body of n bytes is n + 17 bytes. */
    char json[128];
    snprintf(json, sizeof json, "{\"op\":\"big\",\"id\":1,\"n\":%d}", 4096 - 17);
    send_frames(&f, c, 1, json);
    static char got[8192];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 3000), 4096); /* exactly the limit */
    assert_int_equal(f.reply_rc, 0);
    snprintf(json, sizeof json, "{\"op\":\"big\",\"id\":2,\"n\":%d}", 4096 - 16);
    send_frames(&f, c, 1, json);
    assert_string_equal(expect_error(&f, c, "2"), "answer_too_large");
    assert_int_equal(f.reply_rc, CW_EINVAL);
    send_frames(&f, c, 1, "{\"op\":\"bigerr\",\"id\":\"e\",\"n\":5000}");
    assert_string_equal(expect_error(&f, c, "\"e\""), "answer_too_large");
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "answer_too_large"), 2);
    /* The connection stays. */
    send_frames(&f, c, 1, "{\"op\":\"ping\",\"id\":3}");
    expect_frame(&f, c, "{\"id\":3,\"ok\":true}");
    client_close(c);
    fx_stop(&f);
}

static void test_an_id_too_long_for_the_error_is_answered_with_null(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 1024;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    /* A 950-byte id: the request fits, its answer (and the error) do not. */
    char *id = malloc(951);
    memset(id, 'i', 950);
    id[950] = '\0';
    char *json = malloc(1200);
    snprintf(json, 1200, "{\"op\":\"big\",\"id\":\"%s\",\"n\":100}", id);
    send_frames(&f, c, 1, json);
    assert_string_equal(expect_error(&f, c, "null"), "answer_too_large");
    free(id);
    free(json);
    client_close(c);
    fx_stop(&f);
}

static void test_send_over_the_frame_limit_is_dropped(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 2048;
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 2, "{\"op\":\"send\",\"n\":2049}", "{\"op\":\"ping\",\"id\":1}");
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}"); /* nothing came before it */
    assert_int_equal(f.send_rc, CW_EINVAL);
    send_frames(&f, c, 1, "{\"op\":\"send\",\"n\":2048}");
    static char got[4096];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 3000), 2048);
    assert_int_equal(f.send_rc, 0);
    client_close(c);
    fx_stop(&f);
}

static void test_one_answer_of_the_largest_size_never_overflows(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 65536;
    cfg.max_output = 1024; /* below one frame: raised to max_frame + 4 */
    fx_start(&f, &cfg);
    client *c = client_open(&f);
    send_frames(&f, c, 1, "{\"op\":\"big\",\"id\":1,\"n\":60000}");
    static char got[1 << 17];
    assert_true(read_frame(&f, c, got, sizeof got, 3000) > 60000);
    assert_int_equal(f.nclosed, 0);
    client_close(c);
    fx_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_behind_a_held_request_wait_for_its_answer),
        cmocka_unit_test(test_each_held_request_stops_the_frames_behind_it),
        cmocka_unit_test(test_other_connections_are_not_held),
        cmocka_unit_test(test_waiting_input_is_bounded_then_all_handled),
        cmocka_unit_test(test_held_connection_is_not_idle),
        cmocka_unit_test(test_time_held_is_credited_to_the_rate_limit),
        cmocka_unit_test(test_half_close_while_held_still_gets_every_answer),
        cmocka_unit_test(test_close_while_held_drops_the_waiting_frames),
        cmocka_unit_test(test_reply_over_the_frame_limit_becomes_answer_too_large),
        cmocka_unit_test(test_an_id_too_long_for_the_error_is_answered_with_null),
        cmocka_unit_test(test_send_over_the_frame_limit_is_dropped),
        cmocka_unit_test(test_one_answer_of_the_largest_size_never_overflows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
