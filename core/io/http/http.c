/* http.c — the HTTP side door (http.h) on libevent's evhttp.
 *
 * One generic callback does the routing, rather than evhttp_set_cb, so that
 * every answer — including 404 and 405 — is ours and is JSON. */
#include "core/io/http/http.h"

#include "core/base/log.h"
#include "core/io/listen/listen.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_HEADERS_SIZE 8192
#define MAX_BODY_SIZE 65536
#define TIMEOUT_S 30

typedef struct http_route {
    char *path;
    cw_http_fn fn;
    void *ud;
} http_route;

struct cw_http {
    struct evhttp *http;
    cw_listen_guard *guard; /* accept back-off on evhttp's listener */
    int port;
    http_route *routes;
    int nroutes, caproutes;
};

static http_route *find_route(cw_http *h, const char *path)
{
    for (int i = 0; i < h->nroutes; i++)
        if (strcmp(h->routes[i].path, path) == 0) return &h->routes[i];
    return NULL;
}

/* Sends body (may be NULL) with the given status; frees nothing. */
static void send_body(struct evhttp_request *req, int status, const char *ctype, const char *body,
                      size_t len)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", ctype);
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    struct evbuffer *buf = evbuffer_new();
    if (buf && len) evbuffer_add(buf, body, len);
    evhttp_send_reply(req, status, NULL, buf);
    if (buf) evbuffer_free(buf);
}

static void send_error(struct evhttp_request *req, int status, const char *code, const char *msg)
{
    cw_strbuf b = CW_STRBUF_INIT;
    int rc = cw_strbuf_puts(&b, "{\"error\":{\"code\":");
    rc = rc ? rc : cw_strbuf_json_str(&b, code);
    rc = rc ? rc : cw_strbuf_puts(&b, ",\"message\":");
    rc = rc ? rc : cw_strbuf_json_str(&b, msg);
    rc = rc ? rc : cw_strbuf_puts(&b, "}}\n");
    if (rc)
        send_body(req, status, "application/json", "", 0);
    else
        send_body(req, status, "application/json", b.data, b.len);
    cw_strbuf_free(&b);
}

static void dispatch(struct evhttp_request *req, void *ud)
{
    cw_http *h = ud;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path) path = "/";
    http_route *r = find_route(h, path);
    if (!r) {
        cw_strbuf msg = CW_STRBUF_INIT;
        int rc = cw_strbuf_printf(&msg, "no route for %s", path);
        send_error(req, HTTP_NOTFOUND, "not_found", rc ? "no such route" : msg.data);
        cw_strbuf_free(&msg);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
        send_error(req, HTTP_BADMETHOD, "method_not_allowed", "only GET is allowed here");
        return;
    }
    cw_strbuf body = CW_STRBUF_INIT;
    const char *ctype = "application/json";
    int status = r->fn(r->ud, &body, &ctype);
    if (status < 100 || status > 599) {
        cw_log(CW_LOG_ERROR, "http handler returned a bad status", CW_S("path", path),
               CW_I("status", status), CW_END);
        send_error(req, HTTP_INTERNAL, "internal", "handler failed");
    } else {
        send_body(req, status, ctype ? ctype : "application/json", body.data, body.len);
    }
    cw_strbuf_free(&body);
}

cw_http *cw_http_new(struct event_base *base, const char *host, int port, cw_error *err)
{
    if (!base || !host || !*host || port < 0 || port > 65535) {
        cw_error_set(err, CW_EINVAL, "http: bad arguments (host %s, port %d)", host ? host : "-",
                     port);
        return NULL;
    }
    cw_http *h = calloc(1, sizeof *h);
    if (!h || !(h->http = evhttp_new(base))) {
        free(h);
        cw_error_set(err, CW_ENOMEM, "http: out of memory");
        return NULL;
    }
    /* Accept every method so that we, not evhttp, answer the wrong ones. */
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(h->http, MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(h->http, MAX_BODY_SIZE);
    evhttp_set_timeout(h->http, TIMEOUT_S);
    evhttp_set_gencb(h->http, dispatch, h);

    errno = 0;
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
    if (!sock) {
        int e = errno;
        cw_error_set(err, CW_EIO, "http: cannot listen on %s:%d: %s", host, port,
                     e ? strerror(e) : "bind failed");
        cw_http_free(h);
        return NULL;
    }
    /* evhttp's listener has no error callback of its own: a failed accept
     * (EMFILE, …) would be retried at once, forever, with a libevent warning
     * each time. The guard pauses it instead. */
    h->guard = cw_listen_guard_new(evhttp_bound_socket_get_listener(sock), "http", NULL, err);
    if (!h->guard) {
        cw_http_free(h);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &len) != 0) {
        cw_error_set(err, CW_EIO, "http: getsockname: %s", strerror(errno));
        cw_http_free(h);
        return NULL;
    }
    h->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    cw_log(CW_LOG_INFO, "http listening", CW_S("host", host), CW_I("port", h->port), CW_END);
    return h;
}

void cw_http_free(cw_http *h)
{
    if (!h) return;
    cw_listen_guard_free(h->guard);
    if (h->http) evhttp_free(h->http);
    for (int i = 0; i < h->nroutes; i++)
        free(h->routes[i].path);
    free(h->routes);
    free(h);
}

int cw_http_port(const cw_http *h)
{
    return h ? h->port : 0;
}

void cw_http_set_metrics(cw_http *h, cw_metrics *m)
{
    if (h) cw_listen_guard_set_metrics(h->guard, m);
}

uint64_t cw_http_accept_pauses(const cw_http *h)
{
    return h ? cw_listen_guard_pauses(h->guard) : 0;
}

int cw_http_route(cw_http *h, const char *path, cw_http_fn fn, void *ud)
{
    if (!h || !path || path[0] != '/' || !fn) return CW_EINVAL;
    http_route *r = find_route(h, path);
    if (!r) {
        if (h->nroutes == h->caproutes) {
            int cap = h->caproutes ? h->caproutes * 2 : 8;
            http_route *v = realloc(h->routes, (size_t)cap * sizeof *v);
            if (!v) return CW_ENOMEM;
            h->routes = v;
            h->caproutes = cap;
        }
        size_t n = strlen(path) + 1;
        char *p = malloc(n);
        if (!p) return CW_ENOMEM;
        memcpy(p, path, n);
        r = &h->routes[h->nroutes++];
        r->path = p;
    }
    r->fn = fn;
    r->ud = ud;
    return 0;
}
