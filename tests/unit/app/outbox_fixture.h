/* outbox_fixture.h — the fixture shared by the outbox tests (test_outbox.c,
 * test_outbox_model.c): a cw_net on 127.0.0.1 (port 0), a cw_world with one
 * zone whose hooks queue events through the outbox (enter/leave as small
 * JSON blobs, move as "subject moved"), and plain client sockets that read
 * the frames. The event_base is pumped with EVLOOP_NONBLOCK only when a test
 * wants the server's output to move, so a test keeps a connection
 * "backlogged" simply by not pumping. Include once per test executable. */
#ifndef CW_TEST_OUTBOX_FIXTURE_H
#define CW_TEST_OUTBOX_FIXTURE_H

#include "core/app/outbox.h"
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/game/world.h"
#include "core/game/zone.h"
#include "core/io/net/frame.h"
#include "core/io/net/net.h"

#include <arpa/inet.h>
#include <errno.h>
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

/* ---- fixture ---------------------------------------------------------- */

#define MAX_CLOSED 16

typedef struct fx {
    struct event_base *base;
    cw_net *net; /* the outbox gets &net, as the server's cw_net pointer */
    cw_metrics *metrics;
    cw_world *world;
    cw_outbox *outbox;
    int opened;
    uint64_t last_open_id;
    int closed;
    uint64_t closed_ids[MAX_CLOSED];
    char closed_reasons[MAX_CLOSED][32];
} fx;

static inline void on_open(void *ud, cw_conn *c)
{
    fx *f = ud;
    f->opened++;
    f->last_open_id = cw_conn_id(c);
}

static inline void on_close(void *ud, cw_conn *c, const char *reason)
{
    fx *f = ud;
    if (f->closed < MAX_CLOSED) {
        f->closed_ids[f->closed] = cw_conn_id(c);
        snprintf(f->closed_reasons[f->closed], 32, "%s", reason);
    }
    f->closed++;
}

static inline void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    (void)ud;
    cw_conn_reply_error(c, req->id_json, "unknown_op", req->op);
}

/* World hooks, as core/app/ops_world.c wires them. */
static inline void queue_edge(fx *f, const char *what, const cw_entity *e, cw_entity *const *to,
                              int n)
{
    char json[160];
    int len =
        strcmp(what, "enter") == 0
            ? snprintf(json, sizeof json, "{\"ev\":\"enter\",\"e\":%lld,\"x\":%.17g,\"y\":%.17g}",
                       (long long)e->id, e->x, e->y)
            : snprintf(json, sizeof json, "{\"ev\":\"%s\",\"e\":%lld}", what, (long long)e->id);
    assert_int_equal(cw_outbox_event(f->outbox, json, (size_t)len, to, n), 0);
}

static inline void ev_enter(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    queue_edge(ud, "enter", e, to, n);
}

static inline void ev_leave(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    queue_edge(ud, "leave", e, to, n);
}

static inline void ev_move(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    fx *f = ud;
    assert_int_equal(cw_outbox_move(f->outbox, e, to, n), 0);
}

static inline void ev_release(void *ud, cw_entity *e)
{
    (void)ud;
    cw_outbox_release(e);
}

static inline void fx_start(fx *f, const cw_outbox_config *ocfg)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->metrics = cw_metrics_new();
    assert_non_null(f->metrics);

    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.rate = 0;
    cfg.idle_timeout_ms = 0;
    cw_net_handler h = {f, on_open, on_request, on_close};
    cw_error err = {0};
    f->net = cw_net_new(f->base, &cfg, &h, f->metrics, &err);
    if (!f->net) fail_msg("cw_net_new: %s", err.msg);
    assert_true(cw_net_port(f->net) > 0);

    cw_world_hooks wh = {
        .ud = f, .enter = ev_enter, .leave = ev_leave, .move = ev_move, .release = ev_release};
    f->world = cw_world_new(&wh);
    assert_non_null(f->world);
    cw_zoneset zs = {0};
    zs.n = 1;
    zs.v = calloc(1, sizeof *zs.v);
    assert_non_null(zs.v);
    snprintf(zs.v[0].id, sizeof zs.v[0].id, "z1");
    snprintf(zs.v[0].name, sizeof zs.v[0].name, "Zone one");
    zs.v[0].width = zs.v[0].height = 1000;
    zs.v[0].view = 50;
    zs.v[0].spawn_x = zs.v[0].spawn_y = 500;
    zs.v[0].start = 1;
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
    assert_int_equal(cw_world_set_zones(f->world, &zs, &err), 0);

    f->outbox = cw_outbox_new(&f->net, f->world, f->metrics, ocfg);
    assert_non_null(f->outbox);
}

static inline void fx_stop(fx *f)
{
    cw_outbox_free(f->outbox);
    cw_world_free(f->world);
    cw_net_free(f->net);
    cw_metrics_free(f->metrics);
    event_base_free(f->base);
}

static inline double metric(fx *f, const char *name)
{
    return cw_metric_value(cw_metrics_counter(f->metrics, name, "", NULL, NULL));
}

static inline uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void pump(fx *f, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    do {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    } while (now_ms() < end);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static inline const char *closed_reason(fx *f, uint64_t id)
{
    for (int i = 0; i < f->closed && i < MAX_CLOSED; i++)
        if (f->closed_ids[i] == id) return f->closed_reasons[i];
    return NULL;
}

/* ---- clients ---------------------------------------------------------- */

typedef struct client {
    int fd;
    uint64_t id; /* the server-side cw_conn id */
    uint8_t buf[1 << 16];
    size_t len;
} client;

/* Connects and pumps until the server's on_open has fired for it. */
static inline client *client_open(fx *f)
{
    client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_net_port(f->net));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int want = f->opened + 1;
    uint64_t end = now_ms() + 2000;
    while (f->opened < want && now_ms() < end)
        pump(f, 1);
    assert_int_equal(f->opened, want);
    c->id = f->last_open_id;
    assert_non_null(cw_net_find(f->net, c->id));
    return c;
}

static inline void client_close(client *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c);
}

/* Next frame's payload, NUL-terminated, into out; returns its length, -1 on
 * EOF/reset, -2 on timeout. Pumps the loop while it waits. */
static inline int read_frame(fx *f, client *c, char *out, size_t cap, int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (c->len >= CW_FRAME_HEADER) {
            uint32_t n = cw_frame_read_header(c->buf); /* 4-byte big-endian length */
            assert_true(n < sizeof c->buf - CW_FRAME_HEADER);
            if (c->len >= CW_FRAME_HEADER + (size_t)n) {
                assert_true(n < cap);
                memcpy(out, c->buf + CW_FRAME_HEADER, n);
                out[n] = '\0';
                size_t used = CW_FRAME_HEADER + (size_t)n;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                return (int)n;
            }
        }
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return -1;
        if (r > 0) {
            c->len += (size_t)r;
            continue;
        }
        if (now_ms() > end) return -2;
        poll(NULL, 0, 1);
    }
}

/* A decoded event frame. */
typedef struct ev {
    char raw[512];
    int len;
    char ev[16];
    int64_t e;
    int has_xy;
    double x, y;
} ev;

static inline void next_ev(fx *f, client *c, ev *out)
{
    memset(out, 0, sizeof *out);
    out->len = read_frame(f, c, out->raw, sizeof out->raw, 2000);
    if (out->len < 0)
        fail_msg("expected an event frame, got %s", out->len == -1 ? "EOF" : "timeout");
    json_error_t je;
    json_t *j = json_loads(out->raw, 0, &je);
    if (!j) fail_msg("frame is not JSON (%s): %s", je.text, out->raw);
    assert_true(json_is_object(j));
    const char *name = json_string_value(json_object_get(j, "ev"));
    assert_non_null(name);
    snprintf(out->ev, sizeof out->ev, "%s", name);
    json_t *e = json_object_get(j, "e");
    assert_true(json_is_integer(e));
    out->e = (int64_t)json_integer_value(e);
    json_t *x = json_object_get(j, "x"), *y = json_object_get(j, "y");
    if (json_is_number(x) && json_is_number(y)) {
        out->has_xy = 1;
        out->x = json_number_value(x);
        out->y = json_number_value(y);
    }
    json_decref(j);
}

static inline void expect_ev(fx *f, client *c, const char *what, int64_t id)
{
    ev v;
    next_ev(f, c, &v);
    if (strcmp(v.ev, what) != 0 || v.e != id)
        fail_msg("expected %s of %lld, got %s", what, (long long)id, v.raw);
}

static inline void expect_move(fx *f, client *c, int64_t id, double x, double y)
{
    ev v;
    next_ev(f, c, &v);
    if (strcmp(v.ev, "move") != 0 || v.e != id)
        fail_msg("expected move of %lld, got %s", (long long)id, v.raw);
    assert_true(v.has_xy);
    assert_true(v.x == x);
    assert_true(v.y == y);
}

/* Nothing (not even part of a frame) arrives within ms. */
static inline void expect_silence(fx *f, client *c, int ms)
{
    char got[512];
    int n = read_frame(f, c, got, sizeof got, ms);
    if (n >= 0) fail_msg("expected no frame, got %s", got);
    assert_int_equal(n, -2);
    assert_int_equal(c->len, 0);
}

static inline void expect_eof(fx *f, client *c)
{
    char got[512];
    int n = read_frame(f, c, got, sizeof got, 2000);
    if (n >= 0) fail_msg("expected EOF, got %s", got);
    if (n != -1) fail_msg("expected EOF, got a timeout");
}

/* Pumps until the server has handed every queued byte of c to the kernel. */
static inline void drain_server(fx *f, uint64_t conn_id)
{
    uint64_t end = now_ms() + 2000;
    cw_conn *c;
    while ((c = cw_net_find(f->net, conn_id)) && cw_conn_pending(c) > 0 && now_ms() < end)
        pump(f, 1);
    c = cw_net_find(f->net, conn_id);
    assert_non_null(c);
    assert_int_equal(cw_conn_pending(c), 0);
}

/* ---- entities --------------------------------------------------------- */

static inline cw_entity *add(fx *f, cw_ent_kind kind, int64_t ref, uint64_t owner, double x,
                             double y)
{
    cw_entity_init in = {kind, ref, owner, kind == CW_ENT_PLAYER ? "p" : "m", "z1", x, y, 10};
    cw_entity *e = NULL;
    assert_int_equal(cw_world_add(f->world, &in, 0, &e), 0);
    assert_non_null(e);
    assert_true(e->x == x && e->y == y);
    assert_int_equal(cw_world_show(f->world, e), 0);
    return e;
}

static inline cw_entity *add_player(fx *f, int64_t ref, uint64_t owner, double x, double y)
{
    return add(f, CW_ENT_PLAYER, ref, owner, x, y);
}

static inline cw_entity *add_monster(fx *f, double x, double y)
{
    return add(f, CW_ENT_MONSTER, 0, 0, x, y);
}

static inline void relocate(fx *f, cw_entity *e, double x, double y)
{
    assert_int_equal(cw_world_relocate(f->world, e, x, y), 0);
}

#endif
