/* world_app.h — the live world wired to the game connections (ops_world.c):
 * zones and race speeds compiled from the live content generation, the
 * world's events encoded once per event and queued for every observer in
 * the outbox (written per tick, outbox.h), the
 * `move` op, and the fixed-rate world tick. Internal to core/app; loop
 * thread only. Functions return 0 or a negative CW_E* code. */
#ifndef CW_APP_WORLD_APP_H
#define CW_APP_WORLD_APP_H

#include "core/app/server.h"
#include "core/game/players.h"

struct cw_conn;
struct cw_entity;
struct cw_request;

/* Builds the world from the live generation (a content without zones is an
 * error) and starts the tick (world.tick_hz). */
int cw_world_app_start(cw_server *s, cw_error *err);
/* After a successful reload: rebuilds zones and race speeds; players whose
 * zone disappeared go to the start zone's spawn. A failure keeps the old
 * tables (logged). */
void cw_world_app_reload(cw_server *s);
void cw_world_app_free(cw_server *s);

/* admin_events.c: registers `event start|stop ID`, `event list`; and, once
 * the content and the store are up, hands every stored hand start/stop back
 * to the event engine (asynchronous; failures are logged). */
int cw_events_admin_commands(cw_server *s);
void cw_events_restore(cw_server *s);

/* Where a new character starts: the start zone's id and a spawn point
 * (spread over the spawn radius when the zone has one). */
void cw_world_app_start_point(cw_server *s, const char **zone, double *x, double *y);
/* Places an entering character (its saved position if standable in its
 * zone, else the spawn; pl's zone/x/y are updated). Returns the entity id
 * (> 0) or a negative code. Nobody is told until cw_world_app_show. */
int64_t cw_world_app_enter(cw_server *s, cw_player *pl);
/* Sends the enter events both ways for pl's entity. */
void cw_world_app_show(cw_server *s, const cw_player *pl);
/* The move speed (units/s) the server allows pl's entity; 0 when it is not in the world. */
double cw_world_app_speed(cw_server *s, const cw_player *pl);
/* Removes pl's entity: observers get `leave`. */
void cw_world_app_leave(cw_server *s, const cw_player *pl);
/* Calls fn for every player whose entity is in pl's view (not pl itself):
 * the area-of-interest set the world keeps. Returns how many, or
 * CW_ENOTFOUND when pl has no entity in the world. */
int cw_world_app_each_in_view(cw_server *s, const cw_player *pl, void (*fn)(cw_player *p, void *ud),
                              void *ud);
/* The `move` op. */
void cw_op_move(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* The `zone_info` op: the character's zone geometry (bounds, safe, blocked, portals),
 * optionally only what lies within `radius` (a square) of the character. */
void cw_op_zone_info(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* Writes the events queued for c's player, if it is in the world (called
 * before handling any request but `move`, so replies keep their order
 * after the events that happened before them). */
void cw_world_app_flush_conn(cw_server *s, struct cw_conn *c);
/* An event for pl alone (gold, exp…): queued behind its world events when
 * pl is in the world, else sent at once if it is online. */
void cw_world_app_tell(cw_server *s, const cw_player *pl, const char *json, size_t len);
/* A player entity's position and zone into its character record (saved
 * behind), after anything but a move changed them (a teleport). */
void cw_world_app_sync(cw_server *s, const struct cw_entity *e);
/* The per-player event queues (outbox.h); NULL before start. */
struct cw_outbox *cw_world_app_outbox(cw_server *s);
/* Appends "world":{…} (with a leading comma) to a status object. */
void cw_world_app_status(cw_server *s, cw_strbuf *out);

#endif
