/* test_fd_reserve.c — the game listener keeps fd_reserve descriptors free.
 *
 * The soft RLIMIT_NOFILE is lowered to a little above the lowest free
 * descriptor before cw_net_new reads it, so a handful of connections reach
 * the ceiling (limit - fd_reserve). Clients live in this process too: each
 * takes a descriptor beside the server's. */
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/net/frame.h"
#include "core/io/net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define RESERVE 64
#define ROOM 12 /* descriptors between the lowest free one and the ceiling */

static struct rlimit g_saved;
static int g_lowered;

static int restore_limit(void **state)
{
    (void)state;
    if (g_lowered) setrlimit(RLIMIT_NOFILE, &g_saved);
    g_lowered = 0;
    cw_log_setup(CW_LOG_INFO, NULL);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pump(struct event_base *base, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    do {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    } while (now_ms() < end);
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    (void)ud;
    cw_conn_reply_ok(c, req->id_json, NULL, 0);
}

static int client_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Sends a ping and returns the answer's payload (static), or "" on EOF. */
static const char *ping(struct event_base *base, int fd)
{
    static char payload[512];
    const char *body = "{\"op\":\"ping\",\"id\":1}";
    uint8_t frame[64];
    cw_frame_header(frame, (uint32_t)strlen(body));
    memcpy(frame + 4, body, strlen(body));
    (void)!send(fd, frame, 4 + strlen(body), MSG_NOSIGNAL);
    uint8_t buf[600];
    size_t len = 0;
    uint64_t end = now_ms() + 3000;
    while (now_ms() < end) {
        pump(base, 1);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) != 1) continue;
        ssize_t r = recv(fd, buf + len, sizeof buf - len, 0);
        if (r <= 0) return "";
        len += (size_t)r;
        if (len >= 4) {
            uint32_t n =
                (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
            if (n < sizeof payload && len >= 4 + n) {
                memcpy(payload, buf + 4, n);
                payload[n] = '\0';
                return payload;
            }
        }
    }
    fail_msg("no answer to ping");
    return "";
}

static int log_count(FILE *f, const char *needle)
{
    fflush(f);
    long size = ftell(f);
    char *buf = calloc(1, (size_t)size + 1);
    rewind(f);
    size_t got = fread(buf, 1, (size_t)size, f);
    buf[got] = '\0';
    fseek(f, 0, SEEK_END);
    int n = 0;
    for (const char *p = buf; (p = strstr(p, needle)); p++)
        n++;
    free(buf);
    return n;
}

static void test_refuses_at_the_ceiling_and_keeps_the_reserve(void **state)
{
    (void)state;
    FILE *logf = tmpfile();
    assert_non_null(logf);
    cw_log_setup(CW_LOG_INFO, logf);
    struct event_base *base = event_base_new();
    cw_metrics *m = cw_metrics_new();

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &g_saved), 0);
    int probe = open("/dev/null", O_RDONLY);
    assert_true(probe >= 0);
    close(probe);
    struct rlimit rl = g_saved;
    rl.rlim_cur = (rlim_t)(probe + ROOM + RESERVE);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    g_lowered = 1;

    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.rate = 0;
    assert_int_equal(cfg.fd_reserve, RESERVE);
    cw_net_handler h = {NULL, NULL, on_request, NULL};
    cw_error err;
    cw_net *n = cw_net_new(base, &cfg, &h, m, &err);
    assert_non_null(n);
    int port = cw_net_port(n);

    int fds[ROOM + 4], nfds = 0;
    const char *busy = NULL;
    while (nfds < ROOM + 4) {
        int fd = client_open(port);
        fds[nfds++] = fd;
        const char *ans = ping(base, fd);
        if (strstr(ans, "\"ok\":true")) continue;
        busy = ans;
        break;
    }
    assert_non_null(busy);
    assert_non_null(strstr(busy, "\"code\":\"server_busy\""));
    size_t accepted = cw_net_count(n);
    assert_true(accepted >= 2);
    assert_true(accepted < ROOM);
    /* The reserve is left: the rest of the process can still open files. */
    int spare[RESERVE - 4];
    for (int i = 0; i < RESERVE - 4; i++) {
        spare[i] = open("/dev/null", O_RDONLY);
        assert_true(spare[i] >= 0);
    }
    for (int i = 0; i < RESERVE - 4; i++)
        close(spare[i]);

    /* More refusals: still one warning for the episode. */
    for (int i = 0; i < 2; i++) {
        int fd = client_open(port);
        assert_non_null(strstr(ping(base, fd), "server_busy"));
        close(fd);
    }
    assert_int_equal(log_count(logf, "\"msg\":\"conn_refused\""), 1);
    assert_int_equal(log_count(logf, "\"reason\":\"fd_reserve\""), 1);
    assert_int_equal(cw_metric_value(cw_metrics_counter(m, "chaos_protocol_errors_total", "",
                                                        "code", "server_busy")),
                     3);
    assert_int_equal(cw_net_count(n), accepted);

    /* A player leaves: its low descriptor is free again, and a newcomer fits. */
    close(fds[0]);
    uint64_t end = now_ms() + 3000;
    while (cw_net_count(n) == accepted && now_ms() < end)
        pump(base, 5);
    assert_int_equal(cw_net_count(n), accepted - 1);
    int newcomer = client_open(port);
    assert_non_null(strstr(ping(base, newcomer), "\"ok\":true"));
    assert_int_equal(log_count(logf, "\"msg\":\"conn_refused_end\""), 1);
    assert_int_equal(log_count(logf, "\"refused\":3"), 1);

    close(newcomer);
    for (int i = 1; i < nfds; i++)
        close(fds[i]);
    cw_net_free(n);
    cw_metrics_free(m);
    event_base_free(base);
    restore_limit(NULL);
    fclose(logf);
}

static void test_negative_reserve_is_refused(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    cw_net_config cfg;
    cw_net_config_defaults(&cfg);
    cfg.port = 0;
    cfg.fd_reserve = -1;
    cw_net_handler h = {NULL, NULL, on_request, NULL};
    cw_error err;
    assert_null(cw_net_new(base, &cfg, &h, NULL, &err));
    assert_int_equal(err.code, CW_EINVAL);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_refuses_at_the_ceiling_and_keeps_the_reserve, restore_limit),
        cmocka_unit_test(test_negative_reserve_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
