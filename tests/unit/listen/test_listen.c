/* test_listen.c — the accept back-off guard on real listeners.
 *
 * Descriptors are exhausted for real: the soft RLIMIT_NOFILE is lowered to a
 * little above the lowest free descriptor and the rest is filled with
 * /dev/null, so accept() fails with EMFILE. A client socket made beforehand
 * connects (the kernel completes it in the backlog), which keeps the
 * listener readable: without the guard the loop would call accept() again
 * at once, thousands of times. */
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/listen/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
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

/* ---- helpers ------------------------------------------------------------ */

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
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK); /* one pass, even when spinning */
        poll(NULL, 0, 1);
    } while (now_ms() < end);
}

/* Every descriptor below a lowered soft limit, taken. */
typedef struct hog {
    int fds[256];
    int n;
    struct rlimit saved;
} hog;

static void hog_all(hog *h)
{
    h->n = 0;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &h->saved), 0);
    int probe = open("/dev/null", O_RDONLY);
    assert_true(probe >= 0);
    close(probe);
    struct rlimit rl = h->saved;
    rl.rlim_cur = (rlim_t)probe + 32;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int fd;
    while (h->n < 256 && (fd = open("/dev/null", O_RDONLY)) >= 0)
        h->fds[h->n++] = fd;
    assert_int_equal(errno, EMFILE);
}

static void hog_release(hog *h);

/* The one hog a test may hold: released by the teardown even when an
 * assertion failed half-way, so that the next test has descriptors. */
static hog g_hog;

static int release_hog(void **state)
{
    (void)state;
    if (g_hog.n) hog_release(&g_hog);
    cw_log_setup(CW_LOG_INFO, NULL);
    return 0;
}

static void hog_release(hog *h)
{
    for (int i = 0; i < h->n; i++)
        close(h->fds[i]);
    h->n = 0;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &h->saved), 0);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *ud)
{
    (void)l;
    (void)sa;
    (void)len;
    (*(int *)ud)++;
    close(fd);
}

static struct evconnlistener *listen_any(struct event_base *base, int *accepted, int *port)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(
        base, on_accept, accepted, LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sa, sizeof sa);
    assert_non_null(l);
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    assert_int_equal(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&got, &gl), 0);
    *port = ntohs(got.sin_port);
    return l;
}

static void connect_to(int fd, int port)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
}

/* Occurrences of needle in everything logged to f so far. */
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

/* ---- tests -------------------------------------------------------------- */

static void test_emfile_pauses_with_one_warning_and_recovers(void **state)
{
    (void)state;
    FILE *logf = tmpfile();
    assert_non_null(logf);
    cw_log_setup(CW_LOG_DEBUG, logf);
    struct event_base *base = event_base_new();
    cw_metrics *m = cw_metrics_new();
    int accepted = 0, port = 0;
    struct evconnlistener *l = listen_any(base, &accepted, &port);
    cw_error err;
    cw_listen_guard *g = cw_listen_guard_new(l, "test", m, &err);
    assert_non_null(g);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(client >= 0);

    hog *h = &g_hog;
    hog_all(h);
    connect_to(client, port);
    pump(base, 350);
    assert_int_equal(accepted, 0);
    uint64_t pauses = cw_listen_guard_pauses(g);
    /* One pause per CW_LISTEN_RETRY_MS at most; without the guard: thousands. */
    assert_true(pauses >= 1);
    assert_true(pauses <= 10);
    assert_true(cw_listen_guard_troubled(g));
    cw_metric *paused = cw_metrics_counter(m, "chaos_accept_paused_total", "", "listener", "test");
    assert_int_equal((uint64_t)cw_metric_value(paused), pauses);
    assert_int_equal(log_count(logf, "\"msg\":\"accept paused\""), 1);
    assert_int_equal(log_count(logf, "\"listener\":\"test\""), 1);
    assert_int_equal(log_count(logf, "\"errno\":24"), 1);

    hog_release(h);
    uint64_t end = now_ms() + 3000;
    while (accepted == 0 && now_ms() < end)
        pump(base, 10);
    assert_int_equal(accepted, 1);
    end = now_ms() + 5000;
    while (cw_listen_guard_troubled(g) && now_ms() < end)
        pump(base, 20);
    assert_false(cw_listen_guard_troubled(g));
    assert_int_equal(log_count(logf, "\"msg\":\"accept resumed\""), 1);
    assert_int_equal(log_count(logf, "\"msg\":\"accept paused\""), 1);

    close(client);
    cw_listen_guard_free(g);
    evconnlistener_free(l);
    cw_metrics_free(m);
    event_base_free(base);
    cw_log_setup(CW_LOG_INFO, NULL);
    fclose(logf);
}

/* Two guarded listeners: each error finds its own guard (the table). */
static void test_each_listener_finds_its_guard(void **state)
{
    (void)state;
    cw_log_setup(CW_LOG_OFF, NULL);
    struct event_base *base = event_base_new();
    int acc_a = 0, acc_b = 0, port_a = 0, port_b = 0;
    struct evconnlistener *la = listen_any(base, &acc_a, &port_a);
    struct evconnlistener *lb = listen_any(base, &acc_b, &port_b);
    cw_listen_guard *ga = cw_listen_guard_new(la, "a", NULL, NULL);
    cw_listen_guard *gb = cw_listen_guard_new(lb, "b", NULL, NULL);
    assert_non_null(ga);
    assert_non_null(gb);
    int ca = socket(AF_INET, SOCK_STREAM, 0);
    int cb = socket(AF_INET, SOCK_STREAM, 0);
    hog *h = &g_hog;
    hog_all(h);
    connect_to(cb, port_b);
    pump(base, 150);
    assert_int_equal(cw_listen_guard_pauses(ga), 0);
    assert_true(cw_listen_guard_pauses(gb) >= 1);
    connect_to(ca, port_a);
    pump(base, 150);
    assert_true(cw_listen_guard_pauses(ga) >= 1);
    hog_release(h);
    uint64_t end = now_ms() + 3000;
    while ((acc_a == 0 || acc_b == 0) && now_ms() < end)
        pump(base, 10);
    assert_int_equal(acc_a, 1);
    assert_int_equal(acc_b, 1);
    close(ca);
    close(cb);
    cw_listen_guard_free(ga);
    cw_listen_guard_free(gb);
    evconnlistener_free(la);
    evconnlistener_free(lb);
    event_base_free(base);
    cw_log_setup(CW_LOG_INFO, NULL);
}

/* Freeing a guard in the middle of an episode leaves nothing armed. */
static void test_free_while_paused(void **state)
{
    (void)state;
    cw_log_setup(CW_LOG_OFF, NULL);
    struct event_base *base = event_base_new();
    int accepted = 0, port = 0;
    struct evconnlistener *l = listen_any(base, &accepted, &port);
    cw_listen_guard *g = cw_listen_guard_new(l, "gone", NULL, NULL);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    hog *h = &g_hog;
    hog_all(h);
    connect_to(client, port);
    pump(base, 50);
    assert_true(cw_listen_guard_troubled(g));
    cw_listen_guard_free(g);
    evconnlistener_free(l);
    hog_release(h);
    pump(base, 150); /* a timer left behind would fire on freed memory here */
    assert_int_equal(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
    close(client);
    event_base_free(base);
    cw_log_setup(CW_LOG_INFO, NULL);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    cw_error err;
    assert_null(cw_listen_guard_new(NULL, "x", NULL, &err));
    assert_int_equal(err.code, CW_EINVAL);
    struct event_base *base = event_base_new();
    int accepted = 0, port = 0;
    struct evconnlistener *l = listen_any(base, &accepted, &port);
    assert_null(cw_listen_guard_new(l, "", NULL, &err));
    assert_int_equal(err.code, CW_EINVAL);
    cw_listen_guard_free(NULL);
    assert_int_equal(cw_listen_guard_pauses(NULL), 0);
    evconnlistener_free(l);
    event_base_free(base);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_emfile_pauses_with_one_warning_and_recovers, release_hog),
        cmocka_unit_test_teardown(test_each_listener_finds_its_guard, release_hog),
        cmocka_unit_test_teardown(test_free_while_paused, release_hog),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
