/* test_server.c — cw_net over real loopback sockets.
 *
 * The server runs on an event_base in this thread; clients are plain
 * sockets. Every client operation pumps the loop (EVLOOP_NONBLOCK) while it
 * waits, so the test is single-threaded and deterministic enough. */
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/net/frame.h"
#include "core/io/net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <malloc.h>
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

#define MAX_CLOSED 512
#define MAX_OPEN 512

typedef struct fx {
    struct event_base *base;
    cw_net *net;
    cw_metrics *metrics;
    int opened;
    uint64_t last_open_id;
    uint64_t open_ids[MAX_OPEN]; /* in accept order */
    int closed;
    uint64_t closed_ids[MAX_CLOSED];
    char closed_reasons[MAX_CLOSED][32];
    int probes;               /* "probe" requests handled */
    cw_conn *first_probe;     /* the connection of the first one */
    size_t first_pending[64]; /* its unsent bytes when probe i was handled */
    int flood_bytes;          /* bytes per "flood" request */
    int flood_elimit;         /* cw_conn_send returned CW_ELIMIT */
} fx;

static void on_open(void *ud, cw_conn *c)
{
    fx *f = ud;
    if (f->opened < MAX_OPEN) f->open_ids[f->opened] = cw_conn_id(c);
    f->opened++;
    f->last_open_id = cw_conn_id(c);
}

static void on_close(void *ud, cw_conn *c, const char *reason)
{
    fx *f = ud;
    if (f->closed < MAX_CLOSED) {
        f->closed_ids[f->closed] = cw_conn_id(c);
        snprintf(f->closed_reasons[f->closed], 32, "%s", reason);
    }
    f->closed++;
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    fx *f = ud;
    if (strcmp(req->op, "ping") == 0) {
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
    } else if (strcmp(req->op, "echo") == 0) {
        cw_conn_reply_ok(c, req->id_json, " { \"n\" : 1 } ", 13);
    } else if (strcmp(req->op, "empty") == 0) {
        cw_conn_reply_ok(c, req->id_json, "{}", 2);
    } else if (strcmp(req->op, "err") == 0) {
        cw_conn_reply_error(c, req->id_json, "custom", "a \"quoted\"\nline\x01 \\ end");
    } else if (strcmp(req->op, "bye") == 0) {
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
        cw_conn_close(c, "server_closed");
    } else if (strcmp(req->op, "bcast") == 0) { /* an event batch to everyone (bulk queue) */
        char frame[64];
        int n = snprintf(frame + 4, sizeof frame - 4, "{\"ev\":\"b\",\"n\":%s}", req->id_json);
        cw_frame_header((uint8_t *)frame, (uint32_t)n);
        for (int i = 0; i < f->opened && i < MAX_OPEN; i++) {
            cw_conn *to = cw_net_find(f->net, f->open_ids[i]);
            if (to) cw_conn_send_frames(to, frame, (size_t)n + 4, 1);
        }
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
    } else if (strcmp(req->op, "probe") == 0) {
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
        if (f->probes == 0) f->first_probe = c;
        if (f->probes < 64) f->first_pending[f->probes] = cw_conn_pending(f->first_probe);
        f->probes++;
    } else if (strcmp(req->op, "flood") == 0) {
        char *blob = malloc((size_t)f->flood_bytes + 16);
        int n = snprintf(blob, 16, "{\"x\":\"");
        memset(blob + n, 'x', (size_t)f->flood_bytes);
        memcpy(blob + n + f->flood_bytes, "\"}", 2);
        if (cw_conn_send(c, blob, (size_t)(n + f->flood_bytes + 2)) == CW_ELIMIT) f->flood_elimit++;
        free(blob);
    } else {
        cw_conn_reply_error(c, req->id_json, "unknown_op", req->op);
    }
}

static void fx_start(fx *f, const cw_net_config *cfg)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->metrics = cw_metrics_new();
    cw_net_handler h = {f, on_open, on_request, on_close};
    cw_error err;
    f->net = cw_net_new(f->base, cfg, &h, f->metrics, &err);
    if (!f->net) fail_msg("cw_net_new: %s", err.msg);
    assert_true(cw_net_port(f->net) > 0);
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
    cfg.rate = 0; /* unlimited unless a test sets it */
    return cfg;
}

static void pump(fx *f, int ms)
{
    frame_reader_pump(f->base, ms);
}

static double metric(fx *f, const char *name, const char *lk, const char *lv)
{
    /* looking up creates nothing new for existing series */
    return cw_metric_value(cw_metrics_counter(f->metrics, name, "", lk, lv));
}

/* ---- client ----------------------------------------------------------- */

typedef struct client {
    int fd;
    uint8_t buf[1 << 16];
    size_t len;
} client;

static client *client_open(fx *f, int rcvbuf)
{
    client *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf > 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_net_port(f->net));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

static void client_close(client *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c);
}

static void send_raw(client *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

/* Sends while pumping the loop, so a large write cannot deadlock the test.
 * Returns bytes sent before the peer reset the connection. */
static size_t send_pumped(fx *f, client *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t sent = 0;
    uint64_t end = frame_reader_ms() + 5000;
    while (sent < n && frame_reader_ms() < end) {
        ssize_t w = send(c->fd, b + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            sent += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            break;
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
    return sent;
}

static void send_frame(client *c, const char *json)
{
    uint8_t hdr[4];
    size_t n = strlen(json);
    cw_frame_header(hdr, (uint32_t)n);
    send_raw(c, hdr, 4);
    send_raw(c, json, n);
}

/* Next frame as a NUL-terminated string in out; returns its length, -1 on
 * EOF/reset, -2 on timeout. */
static int read_frame(fx *f, client *c, char *out, size_t cap, int timeout_ms)
{
    return frame_reader_next(f->base, c->fd, c->buf, sizeof c->buf, &c->len, out, cap, timeout_ms);
}

static void expect_frame(fx *f, client *c, const char *expected)
{
    char got[65536];
    int n = read_frame(f, c, got, sizeof got, 2000);
    if (n < 0) fail_msg("expected %s, got %s", expected, n == -1 ? "EOF" : "timeout");
    assert_string_equal(got, expected);
}

/* Reads one error frame and returns its code (static buffer). */
static const char *expect_error(fx *f, client *c, const char *id_json)
{
    static char code[64];
    char got[65536];
    int n = read_frame(f, c, got, sizeof got, 2000);
    if (n < 0) fail_msg("expected an error frame, got %s", n == -1 ? "EOF" : "timeout");
    json_error_t je;
    json_t *j = json_loads(got, 0, &je);
    assert_non_null(j);
    char *id = json_dumps(json_object_get(j, "id"), JSON_ENCODE_ANY);
    assert_string_equal(id, id_json);
    free(id);
    json_t *e = json_object_get(j, "error");
    assert_true(json_is_object(e));
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(e, "code")));
    assert_true(json_is_string(json_object_get(e, "message")));
    json_decref(j);
    return code;
}

static void expect_eof(fx *f, client *c)
{
    char got[65536];
    int n;
    while ((n = read_frame(f, c, got, sizeof got, 2000)) >= 0)
        ;
    if (n != -1) fail_msg("expected EOF, got timeout");
}

static const char *closed_reason(fx *f, uint64_t id)
{
    for (int i = 0; i < f->closed && i < MAX_CLOSED; i++)
        if (f->closed_ids[i] == id) return f->closed_reasons[i];
    return NULL;
}

/* Pumps until the server has accepted `n` connections in total. */
static uint64_t wait_opened(fx *f, int n)
{
    uint64_t end = frame_reader_ms() + 2000;
    while (f->opened < n && frame_reader_ms() < end)
        pump(f, 1);
    assert_int_equal(f->opened, n);
    return f->last_open_id;
}

/* Writes n framed pings with ids 0..n-1 into buf; returns the bytes. */
static size_t ping_batch(uint8_t *buf, int n)
{
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        char r[40];
        int len = snprintf(r, sizeof r, "{\"op\":\"ping\",\"id\":%d}", i);
        cw_frame_header(buf + off, (uint32_t)len);
        memcpy(buf + off + 4, r, (size_t)len);
        off += 4 + (size_t)len;
    }
    return off;
}

/* Expects the answers to pings 0..n-1, in order. */
static void expect_pongs(fx *f, client *c, int n)
{
    for (int i = 0; i < n; i++) {
        char want[40];
        snprintf(want, sizeof want, "{\"id\":%d,\"ok\":true}", i);
        expect_frame(f, c, want);
    }
}

/* ---- tests ------------------------------------------------------------ */

static void test_ping_roundtrip(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    send_frame(c, "{\"op\":\"ping\",\"id\":1}");
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    send_frame(c, "{\"op\":\"echo\",\"id\":\"a\"}");
    expect_frame(&f, c, "{\"id\":\"a\",\"ok\":true,\"n\" : 1}");
    send_frame(c, "{\"op\":\"empty\",\"id\":9007199254740993}");
    expect_frame(&f, c, "{\"id\":9007199254740993,\"ok\":true}");
    send_frame(c, "{\"op\":\"ping\"}");
    expect_frame(&f, c, "{\"id\":null,\"ok\":true}");
    assert_int_equal(cw_net_count(f.net), 1);
    assert_int_equal(metric(&f, "chaos_frames_in_total", NULL, NULL), 4);
    assert_int_equal(metric(&f, "chaos_frames_out_total", NULL, NULL), 4);
    assert_true(metric(&f, "chaos_bytes_in_total", NULL, NULL) > 4 * 4);
    assert_int_equal(metric(&f, "chaos_connections_accepted_total", NULL, NULL), 1);
    client_close(c);
    pump(&f, 20);
    assert_int_equal(cw_net_count(f.net), 0);
    assert_int_equal(f.closed, 1);
    assert_string_equal(f.closed_reasons[0], "client_closed");
    assert_int_equal(metric(&f, "chaos_disconnects_total", "reason", "client_closed"), 1);
    fx_stop(&f);
}

/* Replies produced in one loop iteration leave in one socket write. */
static void test_one_write_per_iteration(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    wait_opened(&f, 1);
    char three[3 * 64];
    size_t n = 0;
    for (int i = 1; i <= 3; i++) {
        char json[48];
        int len = snprintf(json, sizeof json, "{\"op\":\"ping\",\"id\":%d}", i);
        three[n] = three[n + 1] = three[n + 2] = 0;
        three[n + 3] = (char)len;
        memcpy(three + n + 4, json, (size_t)len);
        n += 4 + (size_t)len;
    }
    send_raw(c, three, n); /* one segment: read and answered in one callback */
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":2,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":3,\"ok\":true}");
    assert_int_equal(metric(&f, "chaos_frames_out_total", NULL, NULL), 3);
    assert_int_equal(metric(&f, "chaos_socket_writes_total", NULL, NULL), 1);
    client_close(c);
    fx_stop(&f);
}

/* When a poll returns many readable sockets, answers are written after every
 * few reads, not once all of them were read and handled: the first request
 * of a large batch does not wait for the whole batch. */
static void test_answers_leave_during_a_large_read_batch(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    enum { N = 48 };
    client *cs[N];
    for (int i = 0; i < N; i++)
        cs[i] = client_open(&f, 0);
    wait_opened(&f, N);
    /* Two rounds: the first grows the poll's event array (libevent starts
     * with room for 32 and doubles it when a poll fills it), so that the
     * second round's requests all come back from one poll. */
    for (int round = 0; round < 2; round++) {
        f.probes = 0;
        for (int i = 0; i < N; i++)
            send_frame(cs[i], "{\"op\":\"probe\",\"id\":1}");
        poll(NULL, 0, 20); /* every request is in its socket before the loop runs */
        int iterations = 0;
        while (f.probes < N && iterations < 100) {
            event_base_loop(f.base, EVLOOP_ONCE);
            iterations++;
        }
        for (int i = 0; i < N; i++)
            expect_frame(&f, cs[i], "{\"id\":1,\"ok\":true}");
        if (round == 0) continue;
        assert_int_equal(iterations, 1);             /* one poll returned all of them */
        assert_true(f.first_pending[1] > 0);         /* answers are still written in groups */
        assert_int_equal(f.first_pending[N - 1], 0); /* the first left before the last was read */
    }
    for (int i = 0; i < N; i++)
        client_close(cs[i]);
    fx_stop(&f);
}

/* Event batches go out CW_NET_FLUSH_CHUNK connections per loop iteration;
 * batches queued while the first ones are still being written join the
 * queue behind them; every connection gets each batch once, in order. */
static void test_event_batches_in_chunks(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    enum { N = 300 }; /* more than one chunk of 256 */
    client *cs[N];
    for (int i = 0; i < N; i++)
        cs[i] = client_open(&f, 0);
    wait_opened(&f, N);
    send_frame(cs[0], "{\"op\":\"bcast\",\"id\":1}");
    poll(NULL, 0, 20);
    event_base_loop(f.base, EVLOOP_ONCE); /* read it, queue 300 batches, write the first 256 */
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, f.open_ids[1])), 0);
    assert_true(cw_conn_pending(cw_net_find(f.net, f.open_ids[N - 1])) > 0);
    send_frame(cs[1], "{\"op\":\"bcast\",\"id\":2}"); /* queued behind the unwritten 44 */
    for (int i = 0; i < N; i++) {
        expect_frame(&f, cs[i], "{\"ev\":\"b\",\"n\":1}");
        if (i == 0) expect_frame(&f, cs[i], "{\"id\":1,\"ok\":true}");
        expect_frame(&f, cs[i], "{\"ev\":\"b\",\"n\":2}");
        if (i == 1) expect_frame(&f, cs[i], "{\"id\":2,\"ok\":true}");
    }
    pump(&f, 20);
    for (int i = 0; i < N; i++) { /* nothing more: each batch was written once */
        char extra[64];
        assert_int_equal(read_frame(&f, cs[i], extra, sizeof extra, 0), -2);
        client_close(cs[i]);
    }
    fx_stop(&f);
}

static void test_error_frame_escaping(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    send_frame(c, "{\"op\":\"err\",\"id\":[1]}"); /* bad id → bad_field, id null */
    assert_string_equal(expect_error(&f, c, "null"), "bad_field");
    send_frame(c, "{\"op\":\"err\",\"id\":\"e\"}");
    char got[4096];
    assert_true(read_frame(&f, c, got, sizeof got, 2000) > 0);
    json_t *j = json_loads(got, 0, NULL);
    assert_non_null(j);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "custom");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "a \"quoted\"\nline\x01 \\ end");
    json_decref(j);
    client_close(c);
    fx_stop(&f);
}

static void test_split_and_batched_frames(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    /* header byte by byte, payload in three pieces, the loop running between */
    const char *req = "{\"op\":\"ping\",\"id\":\"split\"}";
    uint8_t hdr[4];
    cw_frame_header(hdr, (uint32_t)strlen(req));
    for (int i = 0; i < 4; i++) {
        send_raw(c, hdr + i, 1);
        pump(&f, 5);
    }
    send_raw(c, req, 5);
    pump(&f, 5);
    send_raw(c, req + 5, 10);
    pump(&f, 5);
    assert_int_equal(metric(&f, "chaos_frames_in_total", NULL, NULL), 0);
    send_raw(c, req + 15, strlen(req) - 15);
    expect_frame(&f, c, "{\"id\":\"split\",\"ok\":true}");

    /* 200 frames in one write, answered in order */
    static uint8_t batch[200 * 40];
    send_raw(c, batch, ping_batch(batch, 200));
    expect_pongs(&f, c, 200);
    /* a zero-length frame is bad_json, and the connection stays usable */
    uint8_t zero[4] = {0, 0, 0, 0};
    send_raw(c, zero, 4);
    assert_string_equal(expect_error(&f, c, "null"), "bad_json");
    send_frame(c, "[1]");
    assert_string_equal(expect_error(&f, c, "null"), "not_object");
    send_frame(c, "{\"id\":4}");
    assert_string_equal(expect_error(&f, c, "4"), "missing_op");
    send_frame(c, "{\"op\":\"ping\",\"id\":5}");
    expect_frame(&f, c, "{\"id\":5,\"ok\":true}");
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "bad_json"), 1);
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "missing_op"), 1);
    client_close(c);
    fx_stop(&f);
}

/* Far more than one read's worth (16 KiB) arriving at once, and nothing
 * after it: every frame is still read and answered, in order (a socket
 * reported readable once must be read until it is empty). */
static void test_input_larger_than_a_read_is_all_answered(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    enum { N = 3000 };
    static uint8_t batch[N * 40];
    size_t off = ping_batch(batch, N);
    assert_true(off > 4 * 16384);
    assert_int_equal(send_pumped(&f, c, batch, off), off);
    expect_pongs(&f, c, N);
    assert_int_equal(metric(&f, "chaos_frames_in_total", NULL, NULL), N);
    client_close(c);
    fx_stop(&f);
}

static void test_frame_too_large(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_frame = 1024;
    fx_start(&f, &cfg);
    client *ok = client_open(&f, 0);
    client *c = client_open(&f, 0);
    uint64_t id = wait_opened(&f, 2);
    /* exactly max is fine */
    static char big[1025];
    memset(big, ' ', 1024);
    memcpy(big, "{\"op\":\"ping\",\"id\":1}", 20);
    big[1024] = '\0';
    send_frame(c, big);
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    /* max + 1: one error frame then EOF; what follows is ignored */
    uint8_t hdr[4];
    cw_frame_header(hdr, 1025);
    send_raw(c, hdr, 4);
    send_raw(c, "{\"op\":\"ping\"}", 13);
    assert_string_equal(expect_error(&f, c, "null"), "frame_too_large");
    expect_eof(&f, c);
    pump(&f, 10);
    assert_non_null(closed_reason(&f, id));
    assert_string_equal(closed_reason(&f, id), "frame_too_large");
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "frame_too_large"), 1);
    /* the other connection is unaffected */
    send_frame(ok, "{\"op\":\"ping\",\"id\":2}");
    expect_frame(&f, ok, "{\"id\":2,\"ok\":true}");
    /* the client keeps sending the oversize payload: it must still get the
     * error frame (lingering close, no RST while it is unread) */
    client *e = client_open(&f, 0);
    static uint8_t junk[256 * 1024];
    memset(junk, 'j', sizeof junk);
    cw_frame_header(junk, 300000);
    send_pumped(&f, e, junk, sizeof junk);
    for (int i = 0; i < 50; i++) { /* still sending after the server has closed */
        send_pumped(&f, e, junk, 4096);
        pump(&f, 2);
    }
    assert_string_equal(expect_error(&f, e, "null"), "frame_too_large");
    expect_eof(&f, e);
    /* after our FIN the server still drains (no RST): late writes succeed */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(send_pumped(&f, e, junk, 4096), 4096);
        pump(&f, 2);
    }
    client_close(e);
    /* 0xFFFFFFFF as well */
    client *d = client_open(&f, 0);
    uint8_t ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    send_raw(d, ff, 4);
    assert_string_equal(expect_error(&f, d, "null"), "frame_too_large");
    expect_eof(&f, d);
    client_close(d);
    client_close(c);
    client_close(ok);
    fx_stop(&f);
}

static void test_rate_limited(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.rate = 1;
    cfg.burst = 2;
    cfg.abuse_strikes = 0; /* never disconnect */
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    for (int i = 0; i < 5; i++) {
        char r[64];
        snprintf(r, sizeof r, "{\"op\":\"ping\",\"id\":%d}", i);
        send_frame(c, r);
    }
    expect_frame(&f, c, "{\"id\":0,\"ok\":true}");
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    assert_string_equal(expect_error(&f, c, "2"), "rate_limited");
    assert_string_equal(expect_error(&f, c, "3"), "rate_limited");
    assert_string_equal(expect_error(&f, c, "4"), "rate_limited");
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "rate_limited"), 3);
    /* a second later there is a token again */
    pump(&f, 1100);
    send_frame(c, "{\"op\":\"ping\",\"id\":6}");
    expect_frame(&f, c, "{\"id\":6,\"ok\":true}");
    assert_int_equal(f.closed, 0);
    client_close(c);
    fx_stop(&f);
}

static void test_rate_abuse_disconnects(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.rate = 0.5;
    cfg.burst = 1;
    cfg.abuse_strikes = 3;
    fx_start(&f, &cfg);
    client *other = client_open(&f, 0);
    client *c = client_open(&f, 0);
    uint64_t id = wait_opened(&f, 2);
    for (int i = 0; i < 6; i++) {
        char r[64];
        snprintf(r, sizeof r, "{\"op\":\"ping\",\"id\":%d}", i);
        send_frame(c, r);
    }
    expect_frame(&f, c, "{\"id\":0,\"ok\":true}");
    for (int i = 1; i <= 3; i++) {
        char idj[8];
        snprintf(idj, sizeof idj, "%d", i);
        assert_string_equal(expect_error(&f, c, idj), "rate_limited");
    }
    expect_eof(&f, c); /* the 3rd strike closes; frames 4 and 5 are never answered */
    pump(&f, 10);
    assert_non_null(closed_reason(&f, id));
    assert_string_equal(closed_reason(&f, id), "rate_abuse");
    assert_int_equal(metric(&f, "chaos_disconnects_total", "reason", "rate_abuse"), 1);
    send_frame(other, "{\"op\":\"ping\",\"id\":7}");
    expect_frame(&f, other, "{\"id\":7,\"ok\":true}");
    client_close(c);
    client_close(other);
    fx_stop(&f);
}

static void test_max_connections(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_connections = 2;
    fx_start(&f, &cfg);
    client *a = client_open(&f, 0);
    client *b = client_open(&f, 0);
    wait_opened(&f, 2);
    client *c = client_open(&f, 0);
    assert_string_equal(expect_error(&f, c, "null"), "server_busy");
    expect_eof(&f, c);
    assert_int_equal(cw_net_count(f.net), 2);
    assert_int_equal(f.opened, 2);
    assert_int_equal(metric(&f, "chaos_protocol_errors_total", "code", "server_busy"), 1);
    /* a and b still work; after a leaves there is room again */
    send_frame(b, "{\"op\":\"ping\",\"id\":1}");
    expect_frame(&f, b, "{\"id\":1,\"ok\":true}");
    client_close(a);
    pump(&f, 20);
    assert_int_equal(cw_net_count(f.net), 1);
    client *d = client_open(&f, 0);
    send_frame(d, "{\"op\":\"ping\",\"id\":2}");
    expect_frame(&f, d, "{\"id\":2,\"ok\":true}");
    client_close(c);
    client_close(d);
    client_close(b);
    fx_stop(&f);
}

/* Output the socket cannot take at once waits in the connection's buffer and
 * leaves, whole and in order, as the reader catches up; the answer queued
 * after it comes last; the connection stays open and its buffer empties. */
static void test_full_socket_drains_in_order(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_output = 64u << 20;
    fx_start(&f, &cfg);
    f.flood_bytes = 60000;
    client *c = client_open(&f, 4096);
    uint64_t id = wait_opened(&f, 1);
    cw_conn *sc = cw_net_find(f.net, id);
    assert_non_null(sc);
    int floods = 0; /* until the socket refuses some (the kernel sizes its buffer: MiBs) */
    while (cw_conn_pending(sc) == 0 && floods < 400) {
        for (int i = 0; i < 10; i++)
            send_frame(c, "{\"op\":\"flood\"}");
        floods += 10;
        pump(&f, 20);
    }
    assert_true(cw_conn_pending(sc) > 0);
    send_frame(c, "{\"op\":\"ping\",\"id\":\"last\"}");
    pump(&f, 20);
    static char frame[61000];
    for (int i = 0; i < floods; i++) {
        int n = read_frame(&f, c, frame, sizeof frame, 5000);
        assert_int_equal(n, 6 + 60000 + 2);
        assert_memory_equal(frame, "{\"x\":\"xxxx", 10);
        assert_memory_equal(frame + n - 3, "x\"}", 3);
    }
    expect_frame(&f, c, "{\"id\":\"last\",\"ok\":true}");
    assert_int_equal(cw_conn_pending(sc), 0);
    assert_true(metric(&f, "chaos_socket_writes_total", NULL, NULL) > 2);
    send_frame(c, "{\"op\":\"ping\",\"id\":2}"); /* and it goes on as before */
    expect_frame(&f, c, "{\"id\":2,\"ok\":true}");
    assert_int_equal(f.closed, 0);
    client_close(c);
    fx_stop(&f);
}

static void test_output_overflow_drops_only_the_slow_reader(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.max_output = 64 * 1024;
    fx_start(&f, &cfg);
    f.flood_bytes = 4096;
    client *fast = client_open(&f, 0);
    wait_opened(&f, 1);
    client *slow = client_open(&f, 4096); /* never reads */
    uint64_t slow_id = wait_opened(&f, 2);
    int pings = 0;
    uint64_t end = frame_reader_ms() + 10000;
    while (!closed_reason(&f, slow_id) && frame_reader_ms() < end) {
        /* 4 x 4 KiB per round stays under the cap within one read: the
         * overflow comes from unsent bytes piling up, not from one burst */
        for (int i = 0; i < 4; i++)
            send_frame(slow, "{\"op\":\"flood\"}");
        char r[64];
        snprintf(r, sizeof r, "{\"op\":\"ping\",\"id\":%d}", pings);
        send_frame(fast, r);
        char want[64];
        snprintf(want, sizeof want, "{\"id\":%d,\"ok\":true}", pings);
        expect_frame(&f, fast, want);
        pings++;
        pump(&f, 1);
    }
    assert_non_null(closed_reason(&f, slow_id));
    assert_string_equal(closed_reason(&f, slow_id), "output_overflow");
    assert_int_equal(f.flood_elimit, 1);
    assert_null(cw_net_find(f.net, slow_id));
    assert_int_equal(metric(&f, "chaos_disconnects_total", "reason", "output_overflow"), 1);
    /* the fast client keeps being served */
    send_frame(fast, "{\"op\":\"ping\",\"id\":\"after\"}");
    expect_frame(&f, fast, "{\"id\":\"after\",\"ok\":true}");
    assert_true(pings > 3);
    print_message("slow reader dropped after %d rounds\n", pings);
    client_close(slow);
    client_close(fast);
    fx_stop(&f);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    cfg.idle_timeout_ms = 150;
    fx_start(&f, &cfg);
    client *idle = client_open(&f, 0);
    uint64_t idle_id = wait_opened(&f, 1);
    client *busy = client_open(&f, 0);
    uint64_t busy_id = wait_opened(&f, 2);
    /* busy sends a frame every 50 ms for 400 ms and must survive */
    for (int i = 0; i < 8; i++) {
        char r[64], want[64];
        snprintf(r, sizeof r, "{\"op\":\"ping\",\"id\":%d}", i);
        snprintf(want, sizeof want, "{\"id\":%d,\"ok\":true}", i);
        send_frame(busy, r);
        expect_frame(&f, busy, want);
        pump(&f, 50);
    }
    expect_eof(&f, idle);
    assert_non_null(closed_reason(&f, idle_id));
    assert_string_equal(closed_reason(&f, idle_id), "idle_timeout");
    assert_null(closed_reason(&f, busy_id));
    client_close(idle);
    client_close(busy);
    fx_stop(&f);
}

static void test_close_after_flush(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c = client_open(&f, 0);
    uint64_t id = wait_opened(&f, 1);
    /* two requests in one write: bye is answered, the ping after it is not */
    send_frame(c, "{\"op\":\"bye\",\"id\":1}");
    send_frame(c, "{\"op\":\"ping\",\"id\":2}");
    expect_frame(&f, c, "{\"id\":1,\"ok\":true}");
    expect_eof(&f, c);
    pump(&f, 10);
    assert_string_equal(closed_reason(&f, id), "server_closed");
    assert_int_equal(metric(&f, "chaos_frames_out_total", NULL, NULL), 1);
    client_close(c);
    fx_stop(&f);
}

static void test_find_broadcast_and_ids(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *a = client_open(&f, 0);
    uint64_t ida = wait_opened(&f, 1);
    client *b = client_open(&f, 0);
    uint64_t idb = wait_opened(&f, 2);
    assert_true(idb > ida);
    cw_conn *ca = cw_net_find(f.net, ida);
    assert_non_null(ca);
    assert_int_equal(cw_conn_id(ca), ida);
    assert_non_null(strstr(cw_conn_peer(ca), "127.0.0.1:"));
    int tag = 42;
    cw_conn_set_ud(ca, &tag);
    assert_ptr_equal(cw_conn_ud(ca), &tag);
    assert_null(cw_net_find(f.net, ida + 1));
    assert_null(cw_net_find(f.net, 0));
    /* direct send, reply_ok with a bad body, broadcast */
    assert_int_equal(cw_conn_send(ca, "{\"ev\":\"hi\"}", 11), 0);
    assert_int_equal(cw_conn_reply_ok(ca, "1", "[1]", 3), CW_EINVAL);
    assert_true(cw_net_pending_output(f.net) >= 15);
    cw_net_broadcast(f.net, "{\"ev\":\"all\"}", 12);
    expect_frame(&f, a, "{\"ev\":\"hi\"}");
    expect_frame(&f, a, "{\"ev\":\"all\"}");
    expect_frame(&f, b, "{\"ev\":\"all\"}");
    pump(&f, 10);
    assert_int_equal(cw_net_pending_output(f.net), 0);
    /* once closed, the id no longer resolves and sends are refused */
    cw_conn_close(ca, "kicked");
    assert_int_equal(cw_conn_send(ca, "{}", 2), CW_ESTATE);
    expect_eof(&f, a);
    pump(&f, 10);
    assert_null(cw_net_find(f.net, ida));
    assert_string_equal(closed_reason(&f, ida), "kicked");
    assert_int_equal(metric(&f, "chaos_disconnects_total", "reason", "kicked"), 1);
    /* a new connection reuses the slot but gets a new, larger id */
    client *c = client_open(&f, 0);
    uint64_t idc = wait_opened(&f, 3);
    assert_true(idc > idb);
    assert_null(cw_net_find(f.net, ida));
    assert_non_null(cw_net_find(f.net, idc));
    client_close(a);
    client_close(b);
    client_close(c);
    fx_stop(&f);
}

static void test_free_closes_everything(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *c[5];
    for (int i = 0; i < 5; i++)
        c[i] = client_open(&f, 0);
    wait_opened(&f, 5);
    cw_conn_send(cw_net_find(f.net, f.last_open_id), "{\"unsent\":1}", 12);
    cw_net_free(f.net);
    f.net = NULL;
    assert_int_equal(f.closed, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(f.closed_reasons[i], "shutdown");
    for (int i = 0; i < 5; i++)
        client_close(c[i]);
    cw_metrics_free(f.metrics);
    event_base_free(f.base);
}

static void test_port_in_use(void **state)
{
    (void)state;
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    cw_net_config again = test_config();
    again.port = cw_net_port(f.net);
    cw_net_handler h = {NULL, NULL, NULL, NULL};
    cw_error err = {0};
    assert_null(cw_net_new(f.base, &again, &h, NULL, &err));
    assert_int_equal(err.code, CW_EIO);
    assert_non_null(strstr(err.msg, "cannot listen"));
    fx_stop(&f);
}

/* Per idle connection heap (our struct + bufferevent + evbuffers), after each
 * connection has done one request/response. Kernel socket buffers are not
 * counted. Skipped under ASan, whose allocator mallinfo does not see. */
static void test_memory_per_idle_connection(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    enum { N = 300 };
    fx f;
    cw_net_config cfg = test_config();
    fx_start(&f, &cfg);
    client *warm = client_open(&f, 0); /* first connection grows shared buffers */
    send_frame(warm, "{\"op\":\"ping\",\"id\":0}");
    expect_frame(&f, warm, "{\"id\":0,\"ok\":true}");
    static client *cs[N];
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < N; i++) {
        cs[i] = client_open(&f, 0);
        send_frame(cs[i], "{\"op\":\"ping\",\"id\":1}");
        expect_frame(&f, cs[i], "{\"id\":1,\"ok\":true}");
    }
    pump(&f, 20);
    struct mallinfo2 after = mallinfo2();
    /* the clients' own buffers are 64 KiB each: subtract them */
    double per =
        ((double)after.uordblks - (double)before.uordblks - N * (double)sizeof(client)) / N;
    print_message("heap per idle connection: %.0f bytes\n", per);
    assert_true(per > 0);
    assert_true(per < 10 * 1024);
    for (int i = 0; i < N; i++)
        client_close(cs[i]);
    client_close(warm);
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_WARN, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_roundtrip),
        cmocka_unit_test(test_one_write_per_iteration),
        cmocka_unit_test(test_answers_leave_during_a_large_read_batch),
        cmocka_unit_test(test_event_batches_in_chunks),
        cmocka_unit_test(test_error_frame_escaping),
        cmocka_unit_test(test_split_and_batched_frames),
        cmocka_unit_test(test_input_larger_than_a_read_is_all_answered),
        cmocka_unit_test(test_frame_too_large),
        cmocka_unit_test(test_rate_limited),
        cmocka_unit_test(test_rate_abuse_disconnects),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_full_socket_drains_in_order),
        cmocka_unit_test(test_output_overflow_drops_only_the_slow_reader),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_close_after_flush),
        cmocka_unit_test(test_find_broadcast_and_ids),
        cmocka_unit_test(test_free_closes_everything),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_memory_per_idle_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
