/* cluster.h — several chaosd processes sharing one world (core/app): the
 * cluster map (which process owns which zone, table cluster_zones), each
 * process' announcement in Redis, and the hand-off of a player to the process
 * that owns the zone it goes to. Internal to core/app; loop thread only.
 *
 *   cluster.c  the map (re-read every cluster.refresh_ms and at once on a
 *              notice on the Redis channel chaos:cluster), the announcement
 *              cluster:process:<server.name> (address, players, zones; TTL
 *              3 × refresh, at least 5 s), and the sweep that hands off
 *              players standing in a zone this process no longer owns
 *   handoff.c  the hand-off (save, one-time token in Redis, `handoff` event,
 *              close) and the `resume` op that takes the token on the target
 *
 * A zone without a row in the map is hosted by every process, so one process
 * with an empty map (or no Redis) behaves as a lone server. The server owns
 * s->cluster; the map is a copy refreshed whole. Hand-offs in flight hold the
 * character's id only, never a pointer: every step looks it up again.
 * Functions return 0 or a negative CW_E* code. */
#ifndef CW_APP_CLUSTER_H
#define CW_APP_CLUSTER_H

#include "core/app/accounts.h"
#include "core/app/server.h"

#include <stdint.h>

#define CW_CLUSTER_CHANNEL "chaos:cluster" /* a message: re-read the map now */

struct event;
struct cw_cluster_row;

typedef struct cw_cluster {
    struct cw_cluster_row *rows; /* the map as last read, by zone */
    int n;
    int loaded;         /* read at least once */
    int listing, again; /* a read in flight; another asked for meanwhile */
    struct event *timer;
    int ttl_s;      /* of the announcement */
    char host[256]; /* advertised to clients of other processes */
    int port;
    int64_t *busy; /* characters with a hand-off in flight (handoff.c) */
    int nbusy, capbusy;
    uint64_t handed_off, resumed, failed;
} cw_cluster;

/* Reads the map (asynchronously), arms the refresh timer and, with Redis,
 * announces this process and subscribes to CW_CLUSTER_CHANNEL. Call once the
 * store, the cache, the world and the game listener exist. */
int cw_cluster_start(cw_server *s, cw_error *err);
/* Shutdown (while the loop runs): withdraws the announcement. */
void cw_cluster_shutdown(cw_server *s);
/* After cw_presence_free (no cache callback runs any more). */
void cw_cluster_free(cw_server *s);

/* NULL when zone is hosted here (no row, or this process' row); else the
 * owner's name (valid until the next refresh). */
const char *cw_cluster_owner(cw_server *s, const char *zone);
/* Appends ,"cluster":{…} to a status object. */
void cw_cluster_status(cw_server *s, cw_strbuf *out);

/* ---- handoff.c ---------------------------------------------------------------- */

/* Hands character id to owner, arriving in zone at (x, y).
 *   p: the request to answer (a `move` through a portal, an enter_world, a
 *      resume), taken over (freed here); NULL for the sweep.
 *   in_world: 1 when the character is in this world now (it leaves it: the
 *      leave_zone and logout hooks fire, observers get `leave`), 0 when it
 *      was only loaded.
 *   kind: "move" (the answer is the move's: x, y, zone and "handoff":true) or
 *      "enter" (the answer is {"handoff":{host,port,token,zone}}).
 * The owner's announcement is read first: not announced → `zone_unavailable`,
 * Redis down → `unavailable`, and nothing changes. Then the character is
 * saved at the destination and a token stored; a failure there puts the
 * character back where it was. On success the client gets the answer, then
 * {"ev":"handoff","host","port","token","zone"}, and the connection closes
 * after it. */
void cw_handoff_start(cw_server *s, int64_t id, const char *owner, const char *zone, double x,
                      double y, cw_pending *p, int in_world, const char *kind);
/* 1 while a hand-off of character id is in flight here. */
int cw_handoff_busy(cw_server *s, int64_t id);
/* `resume {token}`: takes the token (once), logs the account in and enters
 * the world with the character (the answer is enter_world's). */
void cw_op_resume(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* enter_world's last step (ops_character.c), for resume: loads character id
 * of the session's account and enters it, answering p (taken over). */
void cw_enter_world_load(cw_server *s, cw_session *se, int64_t id, cw_pending *p);

#endif
