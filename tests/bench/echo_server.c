/* echo_server.c — the ping-throughput baseline for cw_net and chaosd.
 *
 *   echo_server [--host H] [--port P] [--cwnet]
 *
 * Default (raw) mode is a bare single-threaded libevent server with no
 * chaos code on the request path: one bufferevent per connection (TCP_NODELAY),
 * and for every frame it
 *   1. reads the 4-byte big-endian length (frames over 64 KiB close the
 *      connection), waits for the whole frame, makes it contiguous
 *      (evbuffer_pullup);
 *   2. parses the payload with jansson (json_loadb, JSON_REJECT_DUPLICATES),
 *      as cw_net does, and takes "id" (null when absent);
 *   3. encodes the id back to text (json_dumpb, JSON_ENCODE_ANY) and writes
 *      one frame {"id":<id>,"ok":true} into the output buffer.
 * No op check, rate limit, metrics, idle sweep or connection table: that is
 * the overhead cw_net adds and this baseline leaves out.
 *
 * --cwnet runs the same protocol through cw_net itself (limits off: rate 0,
 * no idle timeout; a metrics registry attached as in chaosd) with a handler
 * that answers "ping" with cw_conn_reply_ok ("hello" with {"version":1}) and
 * anything else with unknown_op. Comparing the two isolates cw_net's cost from the router's.
 *
 * Runs until SIGINT/SIGTERM. Raises RLIMIT_NOFILE to the hard limit. */
#include "core/base/log.h"
#include "core/base/metrics.h"
#include "core/io/net/net.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MAX_FRAME 65536

/* ---- raw libevent mode ------------------------------------------------ */

static void raw_readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        uint8_t h[4];
        if (avail < 4) return;
        evbuffer_copyout(in, h, 4);
        size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (len > MAX_FRAME) {
            bufferevent_free(bev);
            return;
        }
        if (avail < 4 + len) return;
        const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)(4 + len)) + 4;
        json_t *root = json_loadb(p, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
        const json_t *id = root ? json_object_get(root, "id") : NULL;
        char frame[4 + 128] = "\0\0\0\0{\"id\":";
        size_t n = 10;
        size_t idn = id ? json_dumpb(id, frame + n, 64, JSON_ENCODE_ANY) : 0;
        if (idn == 0 || idn > 64) {
            memcpy(frame + n, "null", 4);
            idn = 4;
        }
        n += idn;
        memcpy(frame + n, ",\"ok\":true}", 11);
        n += 11;
        uint32_t plen = (uint32_t)(n - 4);
        frame[0] = (char)(plen >> 24);
        frame[1] = (char)(plen >> 16);
        frame[2] = (char)(plen >> 8);
        frame[3] = (char)plen;
        json_decref(root);
        evbuffer_drain(in, 4 + len);
        evbuffer_add(out, frame, n);
    }
}

static void raw_eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

static void raw_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl,
                       void *arg)
{
    (void)l;
    (void)sa;
    (void)sl;
    struct event_base *base = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, raw_readcb, NULL, raw_eventcb, NULL);
    bufferevent_enable(bev, EV_READ);
}

/* ---- cw_net mode ------------------------------------------------------ */

static void net_request(void *ud, cw_conn *c, const cw_request *req)
{
    (void)ud;
    if (strcmp(req->op, "ping") == 0)
        cw_conn_reply_ok(c, req->id_json, NULL, 0);
    else if (strcmp(req->op, "hello") == 0)
        cw_conn_reply_ok(c, req->id_json, "{\"version\":1}", 13);
    else
        cw_conn_reply_error(c, req->id_json, "unknown_op", "unknown op");
}

/* ---- main ------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 7778, cwnet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--cwnet") == 0)
            cwnet = 1;
        else {
            fprintf(stderr, "usage: %s [--host H] [--port P] [--cwnet]\n", argv[0]);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);

    struct evconnlistener *l = NULL;
    cw_net *net = NULL;
    cw_metrics *metrics = NULL;
    if (cwnet) {
        cw_log_setup(CW_LOG_WARN, NULL);
        cw_net_config cfg;
        cw_net_config_defaults(&cfg);
        cfg.host = host;
        cfg.port = port;
        cfg.rate = 0;
        cfg.idle_timeout_ms = 0;
        cfg.max_connections = 1000000;
        metrics = cw_metrics_new();
        cw_net_handler h = {NULL, NULL, net_request, NULL};
        cw_error err;
        net = cw_net_new(base, &cfg, &h, metrics, &err);
        if (!net) {
            fprintf(stderr, "echo_server: %s\n", err.msg);
            return 1;
        }
    } else {
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
            fprintf(stderr, "echo_server: --host must be an IPv4 address\n");
            return 2;
        }
        l = evconnlistener_new_bind(base, raw_accept, base,
                                    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                    (struct sockaddr *)&sa, sizeof sa);
        if (!l) {
            perror("echo_server: listen");
            return 1;
        }
    }
    fprintf(stderr, "echo_server: %s mode on %s:%d\n", cwnet ? "cw_net" : "raw", host, port);
    event_base_dispatch(base);
    if (net) cw_net_free(net);
    if (l) evconnlistener_free(l);
    cw_metrics_free(metrics);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(base);
    return 0;
}
