/* listen.h — accept back-off for libevent listeners (game, admin, HTTP).
 *
 * When accept() fails with a non-retriable error (EMFILE/ENFILE: no
 * descriptor left; ENOBUFS/ENOMEM; anything else), the pending connection
 * stays in the kernel's backlog and the listening socket stays readable: a
 * level-triggered loop would call accept() again at once, forever, spinning
 * a core and — when libevent's default handler runs — printing a line per
 * attempt. A guard attached to the listener stops that: on a failed accept
 * it disables the listener and re-enables it CW_LISTEN_RETRY_MS later, for
 * as long as accepts keep failing.
 *
 * An "episode" is a run of failures with less than CW_LISTEN_QUIET_MS between
 * a re-enable and the next failure. Each episode logs one warning when it
 * starts ("accept paused", with the listener's name and the error) and one
 * info line when it ends ("accept resumed", with how long it lasted and how
 * many times accepting was paused), never a line per attempt. Every pause is
 * counted in chaos_accept_paused_total{listener="<name>"}.
 *
 * Ownership: the guard borrows the listener and the metrics registry; free
 * the guard before either. The guard installs the listener's error callback
 * (replacing any other): the callback is found again from the listener in a
 * small process-wide table (libevent hands the error callback the
 * listener's own user data, which for evhttp's listener is the evhttp, not
 * ours). The table is mutex-protected; everything else runs on the loop
 * thread that owns the listener's event_base. */
#ifndef CW_IO_LISTEN_H
#define CW_IO_LISTEN_H

#include "core/base/err.h"
#include "core/base/metrics.h"

#include <stdint.h>

#define CW_LISTEN_RETRY_MS 100
#define CW_LISTEN_QUIET_MS 1000

struct evconnlistener;
typedef struct cw_listen_guard cw_listen_guard;

/* Attaches a guard to lis. name (copied, at most 31 bytes kept) labels the
 * log lines and the metric; metrics may be NULL (and may be set later).
 * Returns NULL and fills err on bad arguments or out of memory. */
cw_listen_guard *cw_listen_guard_new(struct evconnlistener *lis, const char *name,
                                     cw_metrics *metrics, cw_error *err);
/* Detaches (the listener gets no error callback) and frees. NULL is fine. If
 * the listener is paused it stays disabled: the owner is about to free it. */
void cw_listen_guard_free(cw_listen_guard *g);
/* Counts pauses in m from now on (NULL stops counting). */
void cw_listen_guard_set_metrics(cw_listen_guard *g, cw_metrics *m);
/* Failed accepts (= pauses) since the guard was made. */
uint64_t cw_listen_guard_pauses(const cw_listen_guard *g);
/* 1 while an episode is going on (paused, or re-enabled and not yet quiet). */
int cw_listen_guard_troubled(const cw_listen_guard *g);

#endif
