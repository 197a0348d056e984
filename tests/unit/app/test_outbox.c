/* test_outbox.c — core/app/outbox over a real cw_net on loopback.
 *
 * The fixture is what the app wires together: a cw_net on 127.0.0.1 (port 0),
 * a cw_world with one zone whose hooks queue events through the outbox
 * (enter/leave as small JSON blobs, move as "subject moved"), and plain
 * client sockets that read the frames. The event_base is pumped with
 * EVLOOP_NONBLOCK only when a test wants the server's output to move, so a
 * test can keep a connection "backlogged" simply by not pumping. */
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

static void on_open(void *ud, cw_conn *c)
{
    fx *f = ud;
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
    (void)ud;
    cw_conn_reply_error(c, req->id_json, "unknown_op", req->op);
}

/* World hooks, as core/app/ops_world.c wires them. */
static void queue_edge(fx *f, const char *what, const cw_entity *e, cw_entity *const *to, int n)
{
    char json[160];
    int len =
        strcmp(what, "enter") == 0
            ? snprintf(json, sizeof json, "{\"ev\":\"enter\",\"e\":%lld,\"x\":%.17g,\"y\":%.17g}",
                       (long long)e->id, e->x, e->y)
            : snprintf(json, sizeof json, "{\"ev\":\"%s\",\"e\":%lld}", what, (long long)e->id);
    assert_int_equal(cw_outbox_event(f->outbox, json, (size_t)len, to, n), 0);
}

static void ev_enter(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    queue_edge(ud, "enter", e, to, n);
}

static void ev_leave(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    queue_edge(ud, "leave", e, to, n);
}

static void ev_move(void *ud, const cw_entity *e, cw_entity *const *to, int n)
{
    fx *f = ud;
    assert_int_equal(cw_outbox_move(f->outbox, e, to, n), 0);
}

static void ev_release(void *ud, cw_entity *e)
{
    (void)ud;
    cw_outbox_release(e);
}

static void fx_start(fx *f, const cw_outbox_config *ocfg)
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

static void fx_stop(fx *f)
{
    cw_outbox_free(f->outbox);
    cw_world_free(f->world);
    cw_net_free(f->net);
    cw_metrics_free(f->metrics);
    event_base_free(f->base);
}

static double metric(fx *f, const char *name)
{
    return cw_metric_value(cw_metrics_counter(f->metrics, name, "", NULL, NULL));
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pump(fx *f, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    do {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    } while (now_ms() < end);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static const char *closed_reason(fx *f, uint64_t id)
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
static client *client_open(fx *f)
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

static void client_close(client *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c);
}

/* Next frame's payload, NUL-terminated, into out; returns its length, -1 on
 * EOF/reset, -2 on timeout. Pumps the loop while it waits. */
static int read_frame(fx *f, client *c, char *out, size_t cap, int timeout_ms)
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

static void next_ev(fx *f, client *c, ev *out)
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

static void expect_ev(fx *f, client *c, const char *what, int64_t id)
{
    ev v;
    next_ev(f, c, &v);
    if (strcmp(v.ev, what) != 0 || v.e != id)
        fail_msg("expected %s of %lld, got %s", what, (long long)id, v.raw);
}

static void expect_move(fx *f, client *c, int64_t id, double x, double y)
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
static void expect_silence(fx *f, client *c, int ms)
{
    char got[512];
    int n = read_frame(f, c, got, sizeof got, ms);
    if (n >= 0) fail_msg("expected no frame, got %s", got);
    assert_int_equal(n, -2);
    assert_int_equal(c->len, 0);
}

static void expect_eof(fx *f, client *c)
{
    char got[512];
    int n = read_frame(f, c, got, sizeof got, 2000);
    if (n >= 0) fail_msg("expected EOF, got %s", got);
    if (n != -1) fail_msg("expected EOF, got a timeout");
}

/* Pumps until the server has handed every queued byte of c to the kernel. */
static void drain_server(fx *f, uint64_t conn_id)
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

static cw_entity *add(fx *f, cw_ent_kind kind, int64_t ref, uint64_t owner, double x, double y)
{
    cw_entity_init in = {kind, ref, owner, kind == CW_ENT_PLAYER ? "p" : "m", "z1", x, y, 10};
    cw_entity *e = NULL;
    assert_int_equal(cw_world_add(f->world, &in, 0, &e), 0);
    assert_non_null(e);
    assert_true(e->x == x && e->y == y);
    assert_int_equal(cw_world_show(f->world, e), 0);
    return e;
}

static cw_entity *add_player(fx *f, int64_t ref, uint64_t owner, double x, double y)
{
    return add(f, CW_ENT_PLAYER, ref, owner, x, y);
}

static cw_entity *add_monster(fx *f, double x, double y)
{
    return add(f, CW_ENT_MONSTER, 0, 0, x, y);
}

static void relocate(fx *f, cw_entity *e, double x, double y)
{
    assert_int_equal(cw_world_relocate(f->world, e, x, y), 0);
}

/* ---- tests ------------------------------------------------------------ */

/* Events are only queued until a flush; the flush writes them as separate
 * frames, edges then moves in the order they were queued, in one append. */
static void test_flush_writes_queued_events_in_order(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *a = add_monster(&f, 510, 500);
    cw_entity *b = add_monster(&f, 490, 500);
    relocate(&f, a, 520, 500);
    relocate(&f, b, 480, 505);

    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    assert_int_equal(metric(&f, "chaos_events_queued_total"), 4);
    pump(&f, 20);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), 0);
    expect_silence(&f, c, 50);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 0);

    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_true(cw_conn_pending(cw_net_find(f.net, c->id)) > 0);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 4);
    expect_ev(&f, c, "enter", a->id);
    expect_ev(&f, c, "enter", b->id);
    expect_move(&f, c, a->id, 520, 500);
    expect_move(&f, c, b->id, 480, 505);
    expect_silence(&f, c, 50);

    /* an empty flush writes nothing */
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    expect_silence(&f, c, 20);
    client_close(c);
    fx_stop(&f);
}

/* A move is encoded when written, from the subject's position then: several
 * queued moves of one subject all carry its latest position, as one shared
 * encoding. A queue that is not held back is written as it is (outbox.h:
 * only held-back queues, or queues past 1,024 events, drop earlier moves). */
static void test_queued_moves_carry_the_position_at_write_time(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", s->id);

    for (int i = 1; i <= 5; i++)
        relocate(&f, s, 500 + 3 * i, 510 + i);
    assert_int_equal(cw_outbox_pending(f.outbox), 5);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 0);
    ev first;
    next_ev(&f, c, &first);
    assert_string_equal(first.ev, "move");
    assert_int_equal(first.e, s->id);
    assert_true(first.x == 515 && first.y == 515);
    for (int i = 2; i <= 5; i++) {
        ev v;
        next_ev(&f, c, &v);
        assert_int_equal(v.len, first.len);
        assert_memory_equal(v.raw, first.raw, (size_t)v.len);
    }
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* Five moves of one subject while the connection is held back: after the
 * flush that writes them, exactly one move frame, with the last position;
 * chaos_events_coalesced_total counts the 4 dropped. */
static void test_held_back_moves_coalesce_to_the_last(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* enter: unsent until the loop runs */
    size_t unsent = cw_conn_pending(cw_net_find(f.net, c->id));
    assert_true(unsent > 1);

    for (int i = 1; i <= 5; i++)
        relocate(&f, s, 500 + 3 * i, 510 + i);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 4);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), unsent);

    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 4);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 2);
    expect_move(&f, c, s->id, 515, 515);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* move, move, leave, enter, move, move of one subject. Written as queued,
 * the edges keep their order and every move carries the final position (no
 * stale position is ever written). Held back, only the last move survives:
 * leave, enter, move(final). */
static void test_edges_keep_order_around_moves(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);

    /* not held back */
    relocate(&f, s, 520, 500); /* move (in view) */
    relocate(&f, s, 522, 502); /* move */
    relocate(&f, s, 800, 800); /* leave */
    relocate(&f, s, 515, 505); /* enter */
    relocate(&f, s, 525, 500); /* move */
    relocate(&f, s, 530, 500); /* move */
    assert_int_equal(cw_outbox_pending(f.outbox), 6);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c, s->id, 530, 500);
    expect_move(&f, c, s->id, 530, 500);
    expect_ev(&f, c, "leave", s->id);
    expect_ev(&f, c, "enter", s->id);
    expect_move(&f, c, s->id, 530, 500);
    expect_move(&f, c, s->id, 530, 500);
    expect_silence(&f, c, 20);
    drain_server(&f, c->id);

    /* held back behind an unsent blob */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":9}";
    cw_entity *o = cw_world_get(f.world, 1);
    assert_non_null(o);
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    relocate(&f, s, 531, 500); /* move */
    relocate(&f, s, 532, 501); /* move */
    relocate(&f, s, 900, 900); /* leave */
    relocate(&f, s, 516, 506); /* enter */
    relocate(&f, s, 526, 501); /* move */
    relocate(&f, s, 533, 502); /* move */
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 3);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_ev(&f, c, "leave", s->id);
    expect_ev(&f, c, "enter", s->id);
    expect_move(&f, c, s->id, 533, 502);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* Two observers of one move get the same bytes, also when one of them was
 * flushed early with flush_one and the subject moved on before the tick. */
static void test_observers_get_identical_move_frames(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    assert_true(c1->id != c2->id);
    cw_entity *o1 = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *o2 = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 2);
    expect_ev(&f, c1, "enter", o2->id);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o1->id);
    expect_ev(&f, c2, "enter", s->id);

    relocate(&f, s, 512.25, 507.5);
    assert_int_equal(cw_outbox_pending(f.outbox), 2);
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 4);
    ev m1, m2;
    next_ev(&f, c1, &m1);
    next_ev(&f, c2, &m2);
    assert_string_equal(m1.ev, "move");
    assert_int_equal(m1.e, s->id);
    assert_true(m1.x == 512.25 && m1.y == 507.5);
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);

    /* flush_one encodes s at one position; s moves on before the tick's
     * flush (same arena generation): the new position is encoded afresh */
    relocate(&f, s, 513, 508);
    cw_outbox_flush_one(f.outbox, o1);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    expect_move(&f, c1, s->id, 513, 508);
    expect_silence(&f, c2, 20);
    relocate(&f, s, 514.5, 509);
    cw_outbox_flush(f.outbox);
    next_ev(&f, c1, &m1);
    assert_string_equal(m1.ev, "move");
    assert_true(m1.x == 514.5 && m1.y == 509);
    for (int i = 0; i < 2; i++) { /* o2 had both moves queued: both say 514.5 */
        next_ev(&f, c2, &m2);
        assert_int_equal(m1.len, m2.len);
        assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    }
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);

    /* a player moving: the other one hears it, itself does not */
    relocate(&f, o1, 495, 500);
    cw_outbox_flush(f.outbox);
    expect_move(&f, c2, o1->id, 495, 500);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* A connection with more than backlog_bytes unsent is not appended to; its
 * queue coalesces, and catches up with the latest position. */
static void test_backlogged_connection_is_held_back(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* batch 1: enter; the loop is not run, so it stays unsent */
    cw_conn *conn = cw_net_find(f.net, c->id);
    size_t unsent = cw_conn_pending(conn);
    assert_true(unsent > 1);

    relocate(&f, s, 520, 500);
    relocate(&f, s, 525, 505);
    relocate(&f, s, 530, 510);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_conn_pending(conn), unsent);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 1);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 2);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    /* flush_one is held back the same way */
    cw_outbox_flush_one(f.outbox, o);
    assert_int_equal(cw_conn_pending(conn), unsent);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);

    expect_ev(&f, c, "enter", s->id); /* pumps: batch 1 goes out */
    drain_server(&f, c->id);
    expect_silence(&f, c, 20);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 2);
    expect_move(&f, c, s->id, 530, 510);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* "More than backlog_bytes unsent": exactly backlog_bytes unsent is not held
 * back, one byte more is. */
static void test_backlog_threshold_is_more_than(void **state)
{
    (void)state;
    for (int over = 0; over <= 1; over++) {
        fx f;
        char enter[160];
        /* the enter frame of the first monster (id 2) at (510,500) */
        int n = snprintf(enter, sizeof enter, "{\"ev\":\"enter\",\"e\":2,\"x\":510,\"y\":500}");
        size_t frame = CW_FRAME_HEADER + (size_t)n;
        fx_start(&f, &(cw_outbox_config){.backlog_bytes = frame - (size_t)over});
        client *c = client_open(&f);
        add_player(&f, 1, c->id, 500, 500);
        cw_entity *s = add_monster(&f, 510, 500);
        assert_int_equal(s->id, 2);
        cw_outbox_flush(f.outbox);
        cw_conn *conn = cw_net_find(f.net, c->id);
        assert_int_equal(cw_conn_pending(conn), frame);
        relocate(&f, s, 520, 500);
        cw_outbox_flush(f.outbox);
        if (over) { /* frame > backlog_bytes: held back */
            assert_int_equal(cw_conn_pending(conn), frame);
            assert_int_equal(cw_outbox_pending(f.outbox), 1);
            assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 1);
        } else {
            assert_true(cw_conn_pending(conn) > frame);
            assert_int_equal(cw_outbox_pending(f.outbox), 0);
            assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 0);
        }
        char got[512];
        assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), n);
        assert_string_equal(got, enter);
        drain_server(&f, c->id);
        cw_outbox_flush(f.outbox);
        expect_move(&f, c, s->id, 520, 500);
        expect_silence(&f, c, 20);
        client_close(c);
        fx_stop(&f);
    }
}

/* One move, written to a fast observer in one flush and to a held-back one
 * in the next (the subject did not move in between): the encoding of the
 * first flush lives in a swapped-out arena, so the second is encoded afresh
 * and both observers get the same, correct frame. */
static void test_held_back_move_is_encoded_afresh(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    cw_entity *o1 = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *o2 = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c1, "enter", o2->id);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o1->id);
    expect_ev(&f, c2, "enter", s->id);
    drain_server(&f, c1->id);
    drain_server(&f, c2->id);

    /* o2 gets a blob of its own and is left unsent: backlogged */
    static const char hit[] =
        "{\"ev\":\"hit\",\"e\":5,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o2, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_true(cw_conn_pending(cw_net_find(f.net, c2->id)) > 1);

    relocate(&f, s, 512.125, 506.75);
    cw_outbox_flush(f.outbox); /* o1 written, o2 held back */
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    ev m1, m2;
    next_ev(&f, c1, &m1);
    drain_server(&f, c1->id);
    char got[512];
    assert_int_equal(read_frame(&f, c2, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    drain_server(&f, c2->id);
    expect_silence(&f, c2, 20);

    /* the next flush: other traffic goes through the new arena first */
    static const char other[] =
        "{\"ev\":\"hit\",\"e\":6,\"pad\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}";
    assert_int_equal(cw_outbox_event(f.outbox, other, strlen(other), &o1, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(read_frame(&f, c1, got, sizeof got, 2000), (int)strlen(other));
    assert_string_equal(got, other);
    next_ev(&f, c2, &m2);
    assert_string_equal(m1.ev, "move");
    assert_int_equal(m1.e, s->id);
    assert_true(m1.x == 512.125 && m1.y == 506.75);
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* Held-back blobs live in the arena that each flush swaps out: they must be
 * carried over (twice here) and come out intact and in order. */
static void test_backlogged_blobs_survive_arena_swaps(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    size_t unsent = cw_conn_pending(cw_net_find(f.net, c->id));
    assert_true(unsent > 1);

    relocate(&f, s, 520, 500);
    cw_entity *t = add_monster(&f, 490, 500); /* enter t: a blob */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":7,\"text\":\"a blob that must survive\"}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    /* more traffic in between, so the old arena would be overwritten */
    cw_entity *u = add_monster(&f, 505, 510);
    relocate(&f, s, 521, 501);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), unsent);
    assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 2);

    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    /* queued: move s, enter t, hit, enter u, move s → the earlier move s is gone */
    expect_ev(&f, c, "enter", t->id);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    expect_ev(&f, c, "enter", u->id);
    expect_move(&f, c, s->id, 521, 501);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* Many subjects moving in and out of view at random. The client applies the
 * frames (enter only when unseen, leave and move only when seen) and, once
 * the queue is empty and everything read, its picture (who is in view,
 * where) is exactly the world's. With held_back, the client reads only in
 * some rounds, so flushes alternate between held back (coalescing, carrying
 * blobs) and written. The subjects are picked at random among many entities
 * so that their ids are scattered. */
#define NFILL 1200
#define NSUB 48

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int sees(const cw_entity *o, int64_t id)
{
    for (int i = 0; i < o->nseen; i++)
        if (o->seen[i] == id) return 1;
    return 0;
}

static void place_random(fx *f, cw_entity *e, uint64_t *seed)
{
    if (rnd(seed) % 10 < 7) /* in view of (500,500), view 50 */
        relocate(f, e, 470 + (double)(rnd(seed) % 61), 470 + (double)(rnd(seed) % 61));
    else
        relocate(f, e, 700 + (double)(rnd(seed) % 200), 600 + (double)(rnd(seed) % 150));
}

typedef struct model {
    int index_of[NFILL + 2];
    cw_entity *sub[NSUB];
    int known[NSUB];
    double kx[NSUB], ky[NSUB];
} model;

static void model_apply(model *m, const ev *v, int round)
{
    assert_true(v->e >= 2 && v->e < NFILL + 2);
    int i = m->index_of[v->e];
    if (i < 0) fail_msg("round %d: event of a non-subject: %s", round, v->raw);
    if (strcmp(v->ev, "enter") == 0) {
        if (m->known[i]) fail_msg("round %d: enter of %lld in view", round, (long long)v->e);
        assert_true(v->has_xy);
        m->known[i] = 1;
        m->kx[i] = v->x;
        m->ky[i] = v->y;
    } else if (strcmp(v->ev, "leave") == 0) {
        if (!m->known[i]) fail_msg("round %d: leave of %lld not in view", round, (long long)v->e);
        m->known[i] = 0;
    } else {
        assert_string_equal(v->ev, "move");
        if (!m->known[i]) fail_msg("round %d: move of %lld not in view", round, (long long)v->e);
        m->kx[i] = v->x;
        m->ky[i] = v->y;
    }
}

static void model_check(model *m, const cw_entity *o, int round)
{
    for (int i = 0; i < NSUB; i++) {
        const cw_entity *s = m->sub[i];
        int in = sees(o, s->id);
        if (m->known[i] != in)
            fail_msg("round %d: subject %lld in view %d, client thinks %d", round, (long long)s->id,
                     in, m->known[i]);
        if (in && (m->kx[i] != s->x || m->ky[i] != s->y))
            fail_msg("round %d: subject %lld at %g,%g, client has %g,%g", round, (long long)s->id,
                     s->x, s->y, m->kx[i], m->ky[i]);
    }
}

static void run_model(int held_back, uint64_t seed)
{
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = held_back ? 1 : 0});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    static model m;
    memset(&m, 0, sizeof m);
    static int64_t fill[NFILL];
    for (int i = 0; i < NFILL; i++) { /* far from o: no events */
        fill[i] =
            add_monster(&f, (double)(rnd(&seed) % 1000), 800 + (double)(rnd(&seed) % 200))->id;
        m.index_of[fill[i]] = -1;
    }
    for (int i = 0; i < NSUB; i++) {
        int k;
        do
            k = (int)(rnd(&seed) % NFILL);
        while (m.index_of[fill[k]] >= 0);
        m.sub[i] = cw_world_get(f.world, fill[k]);
        m.index_of[fill[k]] = i;
        place_random(&f, m.sub[i], &seed);
    }
    int unread = 0, checked = 0, held = 0;
    for (int round = 0; round < 150; round++) {
        int ops = round == 0 ? 0 : 1 + (int)(rnd(&seed) % 60);
        for (int k = 0; k < ops; k++)
            place_random(&f, m.sub[rnd(&seed) % NSUB], &seed);
        double before = metric(&f, "chaos_frames_out_total");
        double held_before = metric(&f, "chaos_event_backlogged_total");
        cw_outbox_flush(f.outbox);
        held += metric(&f, "chaos_event_backlogged_total") > held_before;
        unread += (int)(metric(&f, "chaos_frames_out_total") - before);
        if (held_back && rnd(&seed) % 3 == 0) continue; /* not read: the next flush is held */
        for (; unread > 0; unread--) {
            ev v;
            next_ev(&f, c, &v);
            model_apply(&m, &v, round);
        }
        drain_server(&f, c->id);
        if (cw_outbox_pending(f.outbox) != 0) continue;
        checked++;
        model_check(&m, o, round);
    }
    /* catch up: read, flush what was held back, read */
    for (int k = 0; k < 3; k++) {
        for (; unread > 0; unread--) {
            ev v;
            next_ev(&f, c, &v);
            model_apply(&m, &v, 150 + k);
        }
        drain_server(&f, c->id);
        double before = metric(&f, "chaos_frames_out_total");
        cw_outbox_flush(f.outbox);
        unread += (int)(metric(&f, "chaos_frames_out_total") - before);
    }
    assert_int_equal(unread, 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    model_check(&m, o, 999);
    expect_silence(&f, c, 20);
    print_message(
        "%s: %.0f frames, %d rounds checked, %d flushes held back, %.0f moves coalesced\n",
        held_back ? "held back" : "fast reader", metric(&f, "chaos_frames_out_total"), checked,
        held, metric(&f, "chaos_events_coalesced_total"));
    assert_true(checked > 10);
    if (held_back) {
        assert_true(held > 10);
        assert_true(metric(&f, "chaos_events_coalesced_total") > 0);
    } else {
        assert_int_equal(held, 0);
    }
    client_close(c);
    fx_stop(&f);
}

static void test_random_moves_and_edges_match_the_world(void **state)
{
    (void)state;
    run_model(0, 0x9E3779B97F4A7C15ull);
}

static void test_random_moves_and_edges_held_back(void **state)
{
    (void)state;
    run_model(1, 0x2545F4914F6CDD1Dull);
}

/* A backlogged queue over max_items (after coalescing) closes the connection
 * with output_overflow; at max_items exactly it is kept. */
static void test_backlogged_queue_over_max_items_closes(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1, .max_items = 4});
    client *c = client_open(&f);
    client *other = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* batch 1 (enter s) stays unsent */
    cw_conn *conn = cw_net_find(f.net, c->id);
    size_t unsent = cw_conn_pending(conn);
    assert_true(unsent > 1);

    char json[64];
    for (int i = 0; i < 3; i++) {
        int n = snprintf(json, sizeof json, "{\"ev\":\"hit\",\"e\":%lld,\"n\":%d}",
                         (long long)s->id, i);
        assert_int_equal(cw_outbox_event(f.outbox, json, (size_t)n, &o, 1), 0);
        relocate(&f, s, 511 + i, 500);
    }
    /* 3 blobs + 3 moves coalesce to 4 items = max_items: held, not closed */
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    assert_int_equal(metric(&f, "chaos_event_overflow_total"), 0);
    assert_int_equal(cw_conn_pending(conn), unsent);

    int n =
        snprintf(json, sizeof json, "{\"ev\":\"hit\",\"e\":%lld,\"n\":%d}", (long long)s->id, 3);
    assert_int_equal(cw_outbox_event(f.outbox, json, (size_t)n, &o, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_event_overflow_total"), 1);
    assert_int_equal(cw_conn_pending(conn), unsent); /* nothing appended */

    /* the close flushes batch 1 and nothing else */
    expect_ev(&f, c, "enter", s->id);
    expect_eof(&f, c);
    uint64_t end = now_ms() + 2000;
    while (!closed_reason(&f, c->id) && now_ms() < end)
        pump(&f, 1);
    assert_non_null(closed_reason(&f, c->id));
    assert_string_equal(closed_reason(&f, c->id), "output_overflow");
    assert_null(cw_net_find(f.net, c->id));
    assert_null(closed_reason(&f, other->id));
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    client_close(c);
    client_close(other);
    fx_stop(&f);
}

/* A player removed with events queued: its queue goes with it. */
static void test_removed_recipient_is_forgotten(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    cw_entity *o = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *p = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    int64_t pid = p->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c1, "enter", pid);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o->id);
    expect_ev(&f, c2, "enter", s->id);

    relocate(&f, s, 511, 505); /* move for o and p */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":3}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &p, 1), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    assert_int_equal(cw_world_remove(f.world, pid), 0); /* leave p → o */
    assert_null(cw_world_get(f.world, pid));
    /* more entities after the removal (the freed memory may be reused) */
    cw_entity *t = add_monster(&f, 495, 495);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c1, s->id, 511, 505);
    expect_ev(&f, c1, "leave", pid);
    expect_ev(&f, c1, "enter", t->id);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 50);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 3);

    relocate(&f, t, 496, 496);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c1, t->id, 496, 496);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* A subject removed after its move was queued: its move is skipped, the
 * leave is written, other subjects' moves are unaffected; held back, the
 * same. */
/* A move queued before the subject walked out of view is not written: the
 * observer must not learn where it went (another zone, after a portal). */
static void test_move_before_leave_reveals_nothing(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    int64_t sid = s->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    relocate(&f, s, 520, 500); /* queues a move */
    relocate(&f, s, 900, 900); /* out of view: queues the leave */
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "leave", sid);
    expect_silence(&f, c, 50);
    /* back in view: the enter, then moves again */
    relocate(&f, s, 505, 505);
    relocate(&f, s, 506, 506);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    expect_move(&f, c, sid, 506, 506);
    client_close(c);
    fx_stop(&f);
}

static void test_move_of_removed_subject_is_skipped(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_entity *t = add_monster(&f, 490, 500);
    cw_entity *u = add_monster(&f, 500, 490);
    int64_t sid = s->id, uid = u->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    expect_ev(&f, c, "enter", t->id);
    expect_ev(&f, c, "enter", uid);
    drain_server(&f, c->id);

    relocate(&f, s, 520, 500);
    relocate(&f, t, 480, 500);
    assert_int_equal(cw_world_remove(f.world, sid), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 3 + 2);
    expect_move(&f, c, t->id, 480, 500);
    expect_ev(&f, c, "leave", sid);
    expect_silence(&f, c, 20);
    drain_server(&f, c->id);

    /* held back: the coalescing pass drops the move of the gone subject */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":4}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    relocate(&f, u, 500, 480);
    relocate(&f, t, 481, 500);
    assert_int_equal(cw_world_remove(f.world, uid), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 2);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 1);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c, t->id, 481, 500);
    expect_ev(&f, c, "leave", uid);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_writes_queued_events_in_order),
        cmocka_unit_test(test_queued_moves_carry_the_position_at_write_time),
        cmocka_unit_test(test_held_back_moves_coalesce_to_the_last),
        cmocka_unit_test(test_edges_keep_order_around_moves),
        cmocka_unit_test(test_observers_get_identical_move_frames),
        cmocka_unit_test(test_backlogged_connection_is_held_back),
        cmocka_unit_test(test_backlog_threshold_is_more_than),
        cmocka_unit_test(test_held_back_move_is_encoded_afresh),
        cmocka_unit_test(test_backlogged_blobs_survive_arena_swaps),
        cmocka_unit_test(test_random_moves_and_edges_match_the_world),
        cmocka_unit_test(test_random_moves_and_edges_held_back),
        cmocka_unit_test(test_backlogged_queue_over_max_items_closes),
        cmocka_unit_test(test_removed_recipient_is_forgotten),
        cmocka_unit_test(test_move_before_leave_reveals_nothing),
        cmocka_unit_test(test_move_of_removed_subject_is_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
