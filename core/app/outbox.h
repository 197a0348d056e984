/* outbox.h — per-player event batching between the world and the sockets.
 *
 * World events (enter, leave, move, zone, hit) are not written to a player's
 * connection one by one: they are queued on the player's entity and written
 * as one append per flush — for everyone at the end of each world tick, and
 * for one player right after the reply to its own `move` (the reply goes
 * first, the events ride in the same socket write). Each event keeps its own
 * frame on the wire; only the number of buffer appends and socket writes
 * falls, from one per event to one per player per flush.
 *
 * Sharing: an event is encoded once into an arena and referenced by every
 * recipient. A `move` is encoded when its subject moves (the position it
 * moved to), once however many players receive it; writing a queue then
 * copies frames without looking any subject up.
 *
 * Coalescing: a queue that is held back (below) or grows past 1,024 events
 * keeps only the last queued move of each subject (its newest position) and
 * drops the moves of subjects that are gone; enter/leave/zone/hit are kept
 * in order. A held-back queue thus holds at most one move per entity in view
 * plus the edges. A move is only written to a player who sees its subject
 * at write time, so a move queued before a leave reveals nothing.
 *
 * Holding (hold_flushes > 0): cw_outbox_flush skips a queue whose oldest
 * event has not yet waited hold_flushes flushes, expecting the player's next
 * own request to carry it (cw_outbox_flush_one after its reply); a player
 * who sends nothing still gets its events, hold_flushes ticks late. This
 * trades event latency for socket writes.
 *
 * Interest (interest_full > 0, interest_far > 1): a recipient that sees
 * more than interest_full entities is "thinned": the moves of its
 * interest_full nearest (distance to the K-th nearest, measured every 4
 * flushes) and of the one it fights or that fights it (cw_entity.focus) are
 * queued as always; the move of a farther subject is not queued (counted in
 * chaos_events_deferred_total). Instead each subject has turns, staggered by
 * its id: every interest_far flushes, if it moved since its last such turn,
 * its move is queued for every thinned observer (also those that came near
 * since: a move left out while one was far is never lost; near ones that
 * already have this window's move are skipped); every ceil(interest_far / 2)
 * flushes for the thinned observers up to sqrt(2) times their K-th distance
 * (twice the area). At most interest_cap turn moves are queued for one
 * recipient per flush (0: no cap); a subject held back by the cap has its
 * turn again at the next flush, before the others. So a thinned recipient
 * holds every subject's exact position at most interest_far flushes after
 * the subject stopped. Turn moves are ordinary queued moves: encoded with the
 * position at the turn and written only while the recipient sees the subject;
 * enter, leave and the other events are never thinned.
 *
 * Backpressure: a player whose connection still has more than backlog_bytes
 * unsent is not appended to; its queue keeps coalescing, so a slow reader
 * gets the latest state when it catches up instead of a growing backlog.
 * A queue that still holds more than max_items after coalescing closes the
 * connection ("output_overflow").
 *
 * Ownership: the outbox borrows *net and world and stores each queue in
 * cw_entity.outbox; the world's release hook must call cw_outbox_release.
 * The queues with news are listed by entity pointer (each queue knows its
 * place in its list), by the flush that must next look at them: when they
 * stop being young, the next one for a held-back queue. So a flush visits
 * only the queues due at it, not every young one, and never looks an id
 * up; cw_outbox_release unlists a queue. Either may be freed first.
 * Loop thread only. Queuing functions return 0 or CW_ENOMEM (the event is
 * then lost for that player, counted in chaos_events_dropped_total). */
#ifndef CW_APP_OUTBOX_H
#define CW_APP_OUTBOX_H

#include "core/base/metrics.h"
#include "core/base/strbuf.h"
#include "core/game/world.h"
#include "core/io/net/net.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cw_outbox cw_outbox;

typedef struct cw_outbox_config {
    size_t backlog_bytes; /* 0: 64 KiB */
    int max_items;        /* 0: 65536 */
    int hold_flushes;     /* a queue may wait this many flushes for flush_one (0: none) */
    int interest_full;    /* K nearest subjects at full rate (0: interest off) */
    int interest_far;     /* far subjects' moves every this many flushes (<= 1: every flush) */
    int interest_cap;     /* far moves per batch (0: no cap) */
} cw_outbox_config;

/* net: where the server keeps its cw_net (it may still be NULL: nothing is
 * written until it is set). */
cw_outbox *cw_outbox_new(cw_net *const *net, cw_world *w, cw_metrics *m,
                         const cw_outbox_config *cfg);
void cw_outbox_free(cw_outbox *o);

/* Queues one encoded JSON event (no frame header) for the players
 * to[0..n) (other kinds are skipped). */
int cw_outbox_event(cw_outbox *o, const char *json, size_t len, cw_entity *const *to, int n);
/* Queues "subject moved" for the players to[0..n). */
int cw_outbox_move(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n);
/* Queue the world's enter / leave event of subject for the players to[0..n),
 * encoded once (cw_outbox_encode_enter / _leave) straight into the arena. */
int cw_outbox_enter(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n);
int cw_outbox_leave(cw_outbox *o, const cw_entity *subject, cw_entity *const *to, int n);

/* The wire's enter and leave events, appended to b without printf:
 *   {"ev":"enter","e":ID,"kind":"player"|"monster"|"npc","name":"..","x":X,"y":Y}
 *   {"ev":"leave","e":ID}
 * (coordinates as cw_strbuf_coord). 0 or CW_ENOMEM (b may then hold a part). */
int cw_outbox_encode_enter(cw_strbuf *b, const cw_entity *e);
int cw_outbox_encode_leave(cw_strbuf *b, const cw_entity *e);

/* Frees e's queue (the world's release hook calls this before it frees an
 * entity). */
void cw_outbox_release(cw_entity *e);

/* Writes e's queue to its connection now (unless backlogged). */
void cw_outbox_flush_one(cw_outbox *o, cw_entity *e);
/* Writes every non-empty queue (the end of a world tick). */
void cw_outbox_flush(cw_outbox *o);

/* Queued events not yet written, over all players. */
size_t cw_outbox_pending(const cw_outbox *o);
/* Flushes that ran the interest turns (a walk over every entity): only while
 * some recipient has been thinned within the last interest_far flushes. For
 * tests and benches. */
uint64_t cw_outbox_turn_passes(const cw_outbox *o);

#endif
