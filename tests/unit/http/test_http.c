/* test_http.c — cw_http over a real loopback socket. The client speaks
 * HTTP/1.0 (the server closes after each answer) on a non-blocking socket
 * and pumps the event loop while it waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/http/http.h"

#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 3000

typedef struct fixture {
    struct event_base *base;
    cw_http *http;
    int hits;
} fixture;

typedef struct response {
    int status;
    char headers[4096];
    char body[4096];
} response;

static int h_health(void *ud, cw_strbuf *body, const char **ctype)
{
    (void)ctype; /* default content type */
    fixture *f = ud;
    f->hits++;
    cw_strbuf_puts(body, "{\"status\":\"ok\"}");
    return 200;
}

static int h_metrics(void *ud, cw_strbuf *body, const char **ctype)
{
    (void)ud;
    *ctype = "text/plain; version=0.0.4";
    cw_strbuf_puts(body, "chaos_up 1\n");
    return 503;
}

static int h_bad(void *ud, cw_strbuf *body, const char **ctype)
{
    (void)ud;
    (void)body;
    (void)ctype;
    return -1;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->base = event_base_new();
    cw_error err = {0, ""};
    f->http = cw_http_new(f->base, "127.0.0.1", 0, &err);
    if (!f->http) {
        fprintf(stderr, "cw_http_new: %s\n", err.msg);
        return -1;
    }
    assert_int_equal(cw_http_route(f->http, "/health", h_health, f), 0);
    assert_int_equal(cw_http_route(f->http, "/metrics", h_metrics, f), 0);
    assert_int_equal(cw_http_route(f->http, "/bad", h_bad, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cw_http_free(f->http);
    event_base_free(f->base);
    free(f);
    return 0;
}

/* Sends raw request text and reads until the server closes; parses the
 * status line, headers and body into r. */
static void request(fixture *f, const char *raw, response *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_http_port(f->http));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, raw, strlen(raw), MSG_NOSIGNAL), (ssize_t)strlen(raw));

    char buf[8192];
    size_t len = 0;
    uint64_t deadline = cw_now_ns() + (uint64_t)WAIT_MS * 1000000ull;
    for (;;) {
        assert_true(cw_now_ns() < deadline);
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 2) <= 0) continue;
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, MSG_DONTWAIT);
        if (n == 0) break;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        assert_true(n > 0);
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';

    memset(r, 0, sizeof *r);
    assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
    char *end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    size_t hl = (size_t)(end - buf);
    assert_true(hl < sizeof r->headers);
    memcpy(r->headers, buf, hl);
    snprintf(r->body, sizeof r->body, "%s", end + 4);
}

static const char *header(response *r, const char *name)
{
    static char val[256];
    char want[64];
    snprintf(want, sizeof want, "\r\n%s:", name);
    const char *p = strcasestr(r->headers, want);
    if (!p) return NULL;
    p += strlen(want);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\r\n");
    snprintf(val, sizeof val, "%.*s", (int)n, p);
    return val;
}

static void expect_header(response *r, const char *name, const char *want)
{
    const char *v = header(r, name);
    if (!v) fail_msg("no %s header in:\n%s", name, r->headers);
    assert_string_equal(v, want);
}

static void test_route_hit(void **state)
{
    fixture *f = *state;
    assert_true(cw_http_port(f->http) > 0);
    response r;
    request(f, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "Content-Length", "15");
    assert_int_equal(f->hits, 1);
}

static void test_query_string_ignored(void **state)
{
    fixture *f = *state;
    response r;
    request(f, "GET /health?verbose=1 HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(f->hits, 1);
}

static void test_custom_status_and_content_type(void **state)
{
    fixture *f = *state;
    response r;
    request(f, "GET /metrics HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 503);
    expect_header(&r, "Content-Type", "text/plain; version=0.0.4");
    assert_string_equal(r.body, "chaos_up 1\n");
}

static void test_unknown_path_404_json(void **state)
{
    fixture *f = *state;
    response r;
    request(f, "GET /nope HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    expect_header(&r, "Content-Type", "application/json");
    assert_non_null(strstr(r.body, "{\"error\":{\"code\":\"not_found\""));
    assert_non_null(strstr(r.body, "/nope"));
    /* Exact match only: a prefix or a longer path is not the route. */
    request(f, "GET /health/x HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    request(f, "GET /heal HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(f->hits, 0);
}

static void test_non_get_405(void **state)
{
    fixture *f = *state;
    response r;
    request(f, "POST /health HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}", &r);
    assert_int_equal(r.status, 405);
    expect_header(&r, "Allow", "GET");
    expect_header(&r, "Content-Type", "application/json");
    assert_non_null(strstr(r.body, "\"code\":\"method_not_allowed\""));
    request(f, "DELETE /health HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    request(f, "PATCH /health HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_int_equal(f->hits, 0);
}

static void test_bad_handler_status_is_500(void **state)
{
    fixture *f = *state;
    response r;
    request(f, "GET /bad HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body, "\"code\":\"internal\""));
}

static void test_route_rules_and_replace(void **state)
{
    fixture *f = *state;
    assert_int_equal(cw_http_route(f->http, "health", h_health, f), CW_EINVAL);
    assert_int_equal(cw_http_route(f->http, "/x", NULL, f), CW_EINVAL);
    assert_int_equal(cw_http_route(f->http, "/health", h_metrics, f), 0);
    response r;
    request(f, "GET /health HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 503);
    assert_int_equal(f->hits, 0);
}

static void test_bind_errors(void **state)
{
    fixture *f = *state;
    cw_error err = {0, ""};
    assert_null(cw_http_new(f->base, "127.0.0.1", cw_http_port(f->http), &err));
    assert_int_equal(err.code, CW_EIO);
    assert_non_null(strstr(err.msg, "cannot listen"));
    assert_null(cw_http_new(f->base, "127.0.0.1", 70000, &err));
    assert_int_equal(err.code, CW_EINVAL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cw_log_setup(CW_LOG_OFF, NULL);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_route_hit),
        T(test_query_string_ignored),
        T(test_custom_status_and_content_type),
        T(test_unknown_path_404_json),
        T(test_non_get_405),
        T(test_bad_handler_status_is_500),
        T(test_route_rules_and_replace),
        T(test_bind_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
