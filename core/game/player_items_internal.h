/* player_items_internal.h — internal: the item half of a player's state
 * (player_items.c), called by players.c at the points where a transaction
 * is queued, rolled back, carried by a save and committed. Not a public
 * interface: see players.h for the model. Loop thread only. */
#ifndef CW_GAME_PLAYER_ITEMS_INTERNAL_H
#define CW_GAME_PLAYER_ITEMS_INTERNAL_H

#include "core/game/players.h"

void cw_items_free(cw_player *p);
/* Loading: copies the stored items; slots 0 = default. CW_EINVAL, CW_ENOMEM. */
int cw_items_load(cw_player *p, const cw_item_init *in, int n, int slots);
/* Plans t's item operations against the live stacks and applies them,
 * recording them in x->items. All or nothing: on error nothing changed. */
int cw_items_txn(cw_player *p, cw_txn *x, const cw_txn_spec *t);
/* Takes t's item operations back (live stacks). */
void cw_items_undo(cw_player *p, const cw_txn *t);
/* 1 when t destroys from an instance whose live stack is now below 0 (an
 * earlier transaction it depended on was rolled back). */
int cw_items_negative(cw_player *p, const cw_txn *t);
/* A save starts: marks every changed instance as carried by it. */
void cw_items_collect(cw_player *p);
/* The save ended (rc as for cw_players_saved). */
void cw_items_saved(cw_player *p, int rc);
/* t committed: its operations reach the committed counts; cb per operation. */
void cw_items_commit(cw_player *p, const cw_txn *t, cw_item_cb cb, void *ud);
/* Room for more instances in p->items. CW_ENOMEM. */
int cw_items_reserve(cw_player *p, int more);
/* Drops tombstones whose removal is stored (after a successful save). */
void cw_items_compact(cw_player *p);

/* ---- shared by players.c and player_trade.c ---- */
/* 1 when committed + queued gold + delta stays in [0, 2^53]. */
int cw_players_gold_fits(const cw_player *p, int64_t delta);
/* Appends x to p's queue. */
void cw_players_enqueue(cw_player *p, cw_txn *x);
/* A fresh fail-together group id (> 0). */
int64_t cw_players_new_group(cw_players *ps);

#endif
