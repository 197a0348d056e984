/* fdlimit.h — fitting the game's connection count to the open-file limit.
 *
 * Every game connection is a descriptor, and so is everything else the server
 * opens (database, Redis, admin and HTTP connections, content files, the
 * event loop's own). At start, chaosd raises its soft RLIMIT_NOFILE to the
 * hard limit and lowers net.max_connections, if needed, to limit - reserve
 * (net.fd_reserve), so that the configured count never promises more than the
 * process can open. (The game listener also enforces the reserve on every
 * accept: core/io/net/net.h.)
 *
 * Limits are long long; -1 stands for "unlimited" (RLIM_INFINITY). No state,
 * no allocation; cw_fdlimit_apply changes the process's soft limit. */
#ifndef CW_BASE_FDLIMIT_H
#define CW_BASE_FDLIMIT_H

typedef struct cw_fdlimit {
    long long soft_before; /* the soft limit found */
    long long soft;        /* the soft limit after raising it */
    long long hard;
    int max_connections; /* what fits: min(want, soft - reserve), 0 if nothing does */
    int lowered;         /* 1 when max_connections < want */
} cw_fdlimit;

/* Pure: the game connections that fit under limit (-1 = unlimited) with
 * reserve descriptors kept for the rest: min(want, limit - reserve), never
 * below 0. want and reserve below 0 count as 0. */
int cw_fdlimit_fit(int want, int reserve, long long limit);

/* Raises the soft RLIMIT_NOFILE to the hard limit (or, when that is refused,
 * as far as want + reserve + 256), then fits want into it; fills out.
 * Returns 0; CW_ELIMIT when not a single connection fits (max_connections is
 * then 0); CW_EIO when the limit cannot be read. Logs nothing: the caller
 * reports (it knows the setting names). */
int cw_fdlimit_apply(int want, int reserve, cw_fdlimit *out);

#endif
