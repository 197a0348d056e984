/* http.h — the HTTP side door (libevent evhttp): health, metrics, admin REST.
 *
 * Ownership: cw_http owns the evhttp server; route handlers are borrowed.
 * Loop thread only. Unknown paths answer 404 with a JSON error body
 * ({"error":{"code":"not_found","message":…}}); a known path asked with any
 * method but GET answers 405 (code "method_not_allowed", header Allow: GET).
 * Routes match the path exactly; the query string is ignored. Every answer
 * carries Cache-Control: no-store. Requests are limited to 8 KiB of headers
 * and 64 KiB of body, and time out after 30 s. A failed accept (EMFILE: out
 * of descriptors, …) pauses the listener and retries 100 ms later, logging
 * once per episode (core/io/listen). There is no cap on open HTTP
 * connections (libevent 2.1's evhttp has none); idle ones time out.
 *
 * cw_http binds wherever it is told (metrics may need to be scraped from
 * another host): do not route anything that changes state here unless the
 * host is loopback. */
#ifndef CW_IO_HTTP_H
#define CW_IO_HTTP_H

#include "core/base/err.h"
#include "core/base/metrics.h"
#include "core/base/strbuf.h"

#include <stdint.h>

struct event_base;
typedef struct cw_http cw_http;

/* Fills body (and may set *content_type, default "application/json"; it must
 * outlive the call, e.g. a string literal) and returns the HTTP status code
 * to send. A status outside 100..599 is answered as 500. */
typedef int (*cw_http_fn)(void *ud, cw_strbuf *body, const char **content_type);

/* Binds host:port (port 0 picks a free one, see cw_http_port). Returns NULL
 * and fills err on failure (bad host, address in use, …). */
cw_http *cw_http_new(struct event_base *base, const char *host, int port, cw_error *err);
void cw_http_free(cw_http *h);
int cw_http_port(const cw_http *h);
/* Counts the listener's accept pauses in m (borrowed; it must outlive h) as
 * chaos_accept_paused_total{listener="http"}. */
void cw_http_set_metrics(cw_http *h, cw_metrics *m);
/* Failed accepts (each paused the listener) since start. */
uint64_t cw_http_accept_pauses(const cw_http *h);
/* Exact-path GET route; path is copied and must start with '/' (CW_EINVAL
 * otherwise). Routing a path twice replaces the handler. */
int cw_http_route(cw_http *h, const char *path, cw_http_fn fn, void *ud);

#endif
