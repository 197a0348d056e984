/* trade.h — trades between two players: the state machine and the
 * reservations; the commit is cw_players_trade (players.h).
 *
 * A trade goes ASKED (one asked the other) → OPEN (accepted: both edit
 * their offers, lock, confirm) → COMMITTING (both confirmed: its two
 * transactions are queued as one fail-together group) → gone
 * (cw_trade_finish once the save answered, or cw_trade_cancel before the
 * commit). A character is in at most one trade. Changing an offer unlocks
 * (and unconfirms) both sides; confirming needs both sides locked.
 * Offered items are held (cw_item.hold = the trade's id): destroying,
 * moving or offering them elsewhere answers CW_EBUSY until the trade ends.
 * Offers take whole stacks only (an instance changes owner as it is).
 *
 * Ownership: cw_trades owns every cw_trade; a pointer stays valid until the
 * trade ends (cw_trade_cancel, cw_trade_finish) or cw_trades_free. It
 * refers to players by character id, looked up in the cw_players it was
 * given (which must outlive it). Pure state: no I/O, no clock; loop thread.
 * Returns 0 or a negative CW_E*: CW_EINVAL (bad argument), CW_ENOTFOUND
 * (no such player, trade, or item of that player), CW_ESTATE (not valid in
 * the trade's state, or not that player's turn), CW_EBUSY (a player
 * already trading; an item held by another trade), CW_ELIMIT (too many
 * items), CW_ENOMEM. */
#ifndef CW_GAME_TRADE_H
#define CW_GAME_TRADE_H

#include "core/base/err.h"
#include "core/game/players.h"

#include <stdint.h>

#define CW_TRADE_RANGE 10.0   /* both must stay within this distance */
#define CW_TRADE_ITEMS_MAX 12 /* item instances per offer */

typedef enum { CW_TRADE_ASKED = 1, CW_TRADE_OPEN, CW_TRADE_COMMITTING } cw_trade_state;

typedef struct cw_trade_offer {
    int64_t uids[CW_TRADE_ITEMS_MAX];
    int nuids;
    int64_t gold;
    int locked, confirmed;
} cw_trade_offer;

typedef struct cw_trade {
    uint64_t id;    /* > 0, never reused by this cw_trades */
    int64_t who[2]; /* who[0] asked who[1] */
    cw_trade_offer offer[2];
    cw_trade_state state;
    int queued; /* its transactions are queued (cw_trade_commit succeeded) */
} cw_trade;

typedef struct cw_trades cw_trades;

cw_trades *cw_trades_new(cw_players *ps);
/* Releases every hold (no trade commits). */
void cw_trades_free(cw_trades *ts);

/* The trade character id is in, or NULL. side gets 0 or 1 (may be NULL). */
cw_trade *cw_trades_of(cw_trades *ts, int64_t id, int *side);
/* 1 when two positions are close enough to trade (CW_TRADE_RANGE). */
int cw_trade_in_range(double ax, double ay, double bx, double by);

/* from asks to: a new ASKED trade. CW_EINVAL: from == to; CW_ENOTFOUND:
 * either is not loaded; CW_EBUSY: either is in a trade. */
int cw_trade_request(cw_trades *ts, int64_t from, int64_t to, cw_trade **out);
/* The asked player answers: accept → OPEN; decline → the trade ends (its
 * copy in *out when out is not NULL). CW_ENOTFOUND: no trade; CW_ESTATE: not
 * asked, or who asked. */
int cw_trade_respond(cw_trades *ts, int64_t who, int accept, cw_trade *out);
/* Replaces who's offer (OPEN only): uids (whole instances: committed, no
 * queued change, not held by another trade) and gold (0..what who has,
 * counting queued transactions). Unlocks both sides. Nothing changes on
 * error: CW_ENOTFOUND (an item who does not own), CW_EBUSY (held by another
 * trade), CW_EINVAL (a repeated uid, negative gold or more than who has),
 * CW_ELIMIT (more than CW_TRADE_ITEMS_MAX). */
int cw_trade_offer_set(cw_trades *ts, int64_t who, const int64_t *uids, int n, int64_t gold);
/* who locks its offer (OPEN). */
int cw_trade_lock(cw_trades *ts, int64_t who);
/* who confirms (OPEN, both locked). *both = 1 when the other had confirmed
 * too: the trade is COMMITTING and the caller commits it next. */
int cw_trade_confirm(cw_trades *ts, int64_t who, int *both);
/* Queues the trade's two transactions (cw_players_trade, reason given;
 * tokens for who[0]'s and who[1]'s halves). On error the trade is left
 * COMMITTING: the caller cancels it (cw_trade_abort). */
int cw_trade_commit(cw_trades *ts, cw_trade *t, const char *reason, uint64_t token0,
                    uint64_t token1);
/* Ends a trade that is not COMMITTING (by either player: trade_cancel; and
 * the leave and combat rules: a player who left the world, or took or dealt
 * a hit, ends its trade this way): holds released, the copy in *out. CW_ENOTFOUND: not
 * trading; CW_ESTATE: COMMITTING (too late: the save decides). */
int cw_trade_cancel(cw_trades *ts, int64_t who, cw_trade *out);
/* Why a trade ended before committing (cw_trade_end_name: the wire names). */
typedef enum {
    CW_TRADE_END_CANCELLED = 1, /* a player asked (trade_cancel) */
    CW_TRADE_END_DECLINED,      /* the asked player said no */
    CW_TRADE_END_LEFT,          /* a player disconnected or logged out */
    CW_TRADE_END_RANGE,         /* the players are apart (other zone, > CW_TRADE_RANGE) */
    CW_TRADE_END_COMBAT,        /* a player took or dealt a hit */
    CW_TRADE_END_VETOED,        /* content refused it */
    CW_TRADE_END_FAILED,        /* its commit failed or was refused */
} cw_trade_end;
const char *cw_trade_end_name(cw_trade_end why);

/* Where a player stands: 0 and its zone index and position, or nonzero when
 * it is not in the world. */
typedef int (*cw_trade_where_fn)(void *ud, int64_t char_id, int *zone, double *x, double *y);
/* 1 when a and b both stand in one zone within CW_TRADE_RANGE. */
int cw_trade_near(cw_trade_where_fn where, void *ud, int64_t a, int64_t b);
/* The range rule: ends every trade that is not COMMITTING whose players are
 * not near (cw_trade_near); each ended trade's copy goes to out (up to max;
 * the rest wait for the next sweep). Returns the count. */
int cw_trades_sweep(cw_trades *ts, cw_trade_where_fn where, void *ud, cw_trade *out, int max);

/* Ends trade id whatever its state (its commit was answered, or refused
 * before queueing): holds released. No-op for an unknown id. */
void cw_trade_finish(cw_trades *ts, uint64_t id);

#endif
