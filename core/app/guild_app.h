/* guild_app.h — guilds on the wire: C handlers because they wait for the
 * database (core/io/store guilds and guild_invites). Every answer comes after
 * the store committed the change.
 *
 *   ops_guild.c          guild_create (pays the fee (s->guild_rules) through the
 *                        value-transaction path: gold and ledger row in one
 *                        commit; a creation whose payment fails is undone by
 *                        cw_store_guild_delete), guild_roster, the roster JSON.
 *   ops_guild_members.c  invite, accept, decline, leave, kick, rank, disband;
 *                        each online character's guild id (cw_player.guild_id:
 *                        loaded with the character at enter_world, set by create/accept, cleared by
 *                        the member events).
 *   guild_bus.c          events and guild chat to the online members of a guild:
 *                        those on this server at once, those on other servers
 *                        through core/io/cache pub/sub (channel CW_GUILD_CHANNEL)
 *                        when redis.url is set.
 *
 * Ranks: "leader" (one), "officer", "member". Who may do what: invite —
 * leader or officer; kick — the leader anyone but itself, an officer members
 * only; rank — the leader only ("leader" hands the lead over, the old leader
 * becomes officer); disband — the leader only (the founding fee is not
 * refunded); leave — anyone but a leader with other members (a leader alone
 * disbands).
 *
 * Ownership: the server owns the guild app (s->guild, made on first use,
 * freed by cw_guild_app_free); a pending op owns its cw_pending until its
 * store callback answered. Loop thread only. Functions return 0 or a
 * negative CW_E* code.
 *
 * Error codes (docs/protocol.md): not_in_world, bad_field, bad_name,
 * name_taken, in_guild, no_gold, no_guild, not_permitted, not_found,
 * guild_full, no_invite, leader_must_transfer, txn_failed, unavailable,
 * internal. */
#ifndef CW_APP_GUILD_APP_H
#define CW_APP_GUILD_APP_H

#include "core/app/server.h"
#include "core/base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

/* The guild rules' defaults; the content's rules.settings (guild_fee,
 * guild_members, guild_invite_s) replace them after every load. */
#define CW_GUILD_FEE 100               /* gold a new guild costs its founder */
#define CW_GUILD_MEMBERS 100           /* members a guild may have (<= CW_GUILD_MEMBERS_MAX) */
#define CW_GUILD_INVITE_TTL_S 600      /* seconds an invite stays open */
#define CW_GUILD_CHANNEL "chaos:guild" /* pub/sub channel of guild events and chat */

struct cw_conn;
struct cw_request;
struct cw_guild;
struct cw_player;

/* Sets s->guild_rules from the content's rules.settings (each number -1
 * when the content gives none: the default). A value out of range (fee
 * 0..10^12, members 1..CW_GUILD_MEMBERS_MAX, invite_s 1..30 days) keeps
 * the default and is logged. */
void cw_guild_app_rules(cw_server *s, double fee, double members, double invite_s);

/* guild_create {name}: ok {guild:{id,name,fee}} after the fee committed. */
void cw_op_guild_create(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_roster: ok {guild:{id,name,leader,fee,members:[{id,name,rank}]}}
 * or no_guild. */
void cw_op_guild_roster(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_invite {name}: ok {invite:{guild,name,expires_at}} (name: the
 * invitee's stored name; expires_at: UTC seconds); the invitee, if online
 * anywhere, gets the event guild_invite {guild,name,inviter}. Errors:
 * no_guild, not_permitted, not_found, in_guild, guild_full, bad_field. */
void cw_op_guild_invite(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_accept {guild} (the guild's id, or its name): joins on a live
 * invite, consuming it in the same transaction. ok {guild:…roster…}; the
 * members get guild_member joined. Errors: no_invite (none, expired, or no
 * such guild), in_guild, guild_full, bad_field. */
void cw_op_guild_accept(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_decline {guild}: drops the invite. ok {declined:true}; no_invite. */
void cw_op_guild_decline(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_leave: ok {left:true} (members: guild_member left), or — a leader
 * alone — ok {disbanded:true}. Errors: no_guild, leader_must_transfer. */
void cw_op_guild_leave(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_kick {name}: ok {guild:…roster…}; members (and the kicked one):
 * guild_member kicked. Errors: no_guild, not_found (no member of that
 * name), not_permitted. */
void cw_op_guild_kick(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_rank {name, rank}: ok {guild:…roster…}; members: guild_member rank
 * (and, on a hand-over, one more for the old leader, now officer). Errors:
 * no_guild, not_permitted, not_found, bad_field (unknown rank). */
void cw_op_guild_rank(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* guild_disband: ok {disbanded:true}; members: guild_member disbanded. The
 * fee is not refunded. Errors: no_guild, not_permitted. */
void cw_op_guild_disband(cw_server *s, struct cw_conn *c, const struct cw_request *req);

/* The caller's loaded, online character, or NULL when answered
 * (not_in_world; unavailable while the store closes). */
struct cw_player *cw_guild_caller(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* {"id":…,"name":…,"leader":…,"fee":…,"members":[{id,name,rank}…]} into b.
 * 0 or CW_ENOMEM. */
int cw_guild_json(cw_strbuf *b, const struct cw_guild *g);
/* The group commit's outcome for token (cw_grant_done): 1 when the token
 * paid a guild creation (handled here), else 0. */
int cw_guild_app_txn_done(cw_server *s, uint64_t token, int rc);
/* Answers every pending creation `unavailable` and frees the app. */
void cw_guild_app_free(cw_server *s);

/* ---- guild_bus.c ---- */

/* Subscribes to CW_GUILD_CHANNEL when redis.url is set. */
int cw_guild_bus_start(cw_server *s, cw_error *err);
/* Queues frame to every online member of guild_id here and, with Redis,
 * publishes it for the other servers. clear: 0 keeps guild ids; a
 * character id clears that character's guild id after the delivery; -1
 * clears every member's (disband) — on every server. Returns the number of
 * players reached here. */
int cw_guild_send(cw_server *s, int64_t guild_id, const char *frame, size_t len, int64_t clear);
/* Queues frame to character char_id wherever it is online (here, or with
 * Redis on any server). */
void cw_guild_send_to(cw_server *s, int64_t char_id, const char *frame, size_t len);

#endif
