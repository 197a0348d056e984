/* trade_app.h — trades between players over the wire (core/app): the six
 * trade ops (ops_trade.c: parse, call core/game/trade, reply), and the
 * rest in trade_app.c: the `trade` / `trade_done` / `trade_cancelled`
 * events to both sides, the `trade` hook's veto, the commit (both halves
 * queued as one fail-together group under two grant numbers; the confirm
 * that completed the trade is answered only once both halves' callbacks
 * came back), and the cancel rules wired to their causes (disconnect or
 * logout, the range sweep at every world tick, a hit taken or dealt).
 *
 * Ownership: the server owns the trade app (s->trade) and, through it, the
 * cw_trades table and every held confirm reply; it is created after the
 * player table and freed before it (freeing releases every hold; a held
 * reply is dropped unanswered, as the connections are gone by then).
 * Loop thread only. Ops answer errors on the wire (docs/protocol.md);
 * functions returning int give 0 or a negative CW_E*. */
#ifndef CW_APP_TRADE_APP_H
#define CW_APP_TRADE_APP_H

#include "core/app/server.h"
#include "core/game/trade.h"

struct cw_conn;
struct cw_request;
struct cw_entity;

int cw_trade_app_new(cw_server *s, cw_error *err);
void cw_trade_app_free(cw_server *s);
/* The trade table (NULL before cw_trade_app_new). */
cw_trades *cw_trade_app_trades(cw_server *s);

/* ---- ops (ops_trade.c) ---- */
void cw_op_trade_request(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_trade_respond(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_trade_offer(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_trade_lock(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_trade_confirm(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_trade_cancel(cw_server *s, struct cw_conn *c, const struct cw_request *req);

/* ---- trade_app.c ---- */
/* cw_trade_where_fn over the live world (ud: the server). */
int cw_trade_app_where(void *ud, int64_t char_id, int *zone, double *x, double *y);
/* Sends the `trade` event (state and both offers) to both players of t. */
void cw_trade_app_tell_state(cw_server *s, const cw_trade *t);
/* Sends `trade_cancelled` {reason, message?} to both players of the ended
 * trade copy t. */
void cw_trade_app_tell_cancelled(cw_server *s, const cw_trade *t, cw_trade_end why,
                                 const char *message);
/* Both confirmed (t is COMMITTING): fires the `trade` hook, then queues the
 * commit. Answers the confirm: held until both halves' callbacks came back
 * (ok, or `txn_failed`), or at once with `vetoed`, `out_of_range`,
 * `inventory_full`, `unavailable` or `txn_failed` (the trade ended and both
 * were told). */
void cw_trade_app_commit(cw_server *s, struct cw_conn *c, const struct cw_request *req,
                         cw_trade *t);
/* The group commit's outcome for token (cw_grant_done): 1 when the token is
 * one half of a trade (handled here), else 0. */
int cw_trade_app_txn_done(cw_server *s, uint64_t token, int rc);
/* The cancel rules' causes. */
void cw_trade_app_left(cw_server *s, int64_t char_id); /* disconnect, logout */
void cw_trade_app_hit(cw_server *s, const struct cw_entity *from, const struct cw_entity *to);
void cw_trade_app_tick(cw_server *s); /* the range sweep */
/* script_app.c's cw_bind_game.trade_veto: a `trade` hook set ev.veto. */
void cw_trade_app_veto(cw_server *s, const char *message);

/* admin_store.c: takes two grant numbers and queues t's commit
 * (cw_trade_commit, ledger reason "trade"); tok[0] is t->who[0]'s half.
 * CW_EUNAVAIL when no grant number is available; else as cw_trade_commit. */
int cw_trade_queue(cw_server *s, cw_trades *ts, cw_trade *t, uint64_t tok[2]);

#endif
