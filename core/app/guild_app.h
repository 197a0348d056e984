/* guild_app.h — guild ops on the wire (ops_guild.c): C handlers because
 * they wait for the database (core/io/store guilds). guild_create charges
 * CW_GUILD_FEE gold through the value-transaction path (cw_txn_queue: gold
 * and ledger row in one commit) and answers only once that committed; a
 * creation whose payment fails is undone (cw_store_guild_delete).
 *
 * Ownership: the server owns the guild app (s->guild, made on first use,
 * freed by cw_guild_app_free); a pending creation owns its cw_pending.
 * Loop thread only. Functions return 0 or a negative CW_E* code.
 *
 * Error codes (docs/protocol.md): not_in_world, bad_field, bad_name,
 * name_taken, in_guild, no_gold, no_guild, txn_failed, unavailable,
 * internal. */
#ifndef CW_APP_GUILD_APP_H
#define CW_APP_GUILD_APP_H

#include "core/app/server.h"

#include <stdint.h>

#define CW_GUILD_FEE 100 /* gold a new guild costs its founder */

struct cw_conn;
struct cw_request;

/* guild_create {name}: ok {guild:{id,name,fee}} after the fee committed. */
void cw_op_guild_create(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_roster: ok {guild:{id,name,leader,fee,members:[{id,name,rank}]}}
 * or no_guild. */
void cw_op_guild_roster(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* The group commit's outcome for token (cw_grant_done): 1 when the token
 * paid a guild creation (handled here), else 0. */
int cw_guild_app_txn_done(cw_server *s, uint64_t token, int rc);
/* Answers every pending creation `unavailable` and frees the app. */
void cw_guild_app_free(cw_server *s);

#endif
