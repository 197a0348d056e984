/* claims.h — one live session per account across the cluster (core/app,
 * claims.c): the account's entry in Redis (account:<name> → server and session
 * nonce), the takeover of a session live on another server (kicked there
 * with logged_in_elsewhere, its characters saved before the answer), and the
 * re-claim after a reconnect. See claims.c for the protocol.
 *
 * Ownership: s->accounts->claims (cw_claims_start .. cw_claims_free); the
 * nonce of a session lives in cw_session.nonce. Loop thread only. Callbacks
 * (cw_done_fn) run exactly once; rc 0 means "go on", anything else that the
 * account could not be taken over (answer `unavailable`). */
#ifndef CW_APP_CLAIMS_H
#define CW_APP_CLAIMS_H

#include "core/app/accounts.h"

/* How long a login or resume waits for the other server's answer. */
#define CW_CLAIM_WAIT_MS 5000

typedef struct cw_claims cw_claims;

/* Creates the state and, with Redis, subscribes to chaos:account:<server>
 * and chaos:account (kicks for every server).
 * After cw_presence_start. 0, CW_ENOMEM, or the subscription's error. */
int cw_claims_start(cw_server *s, cw_error *err);
/* Shutdown, once the final save is done (the loop still runs): removes the
 * entries of every session here, so logins elsewhere need not ask. */
void cw_claims_shutdown(cw_server *s);
/* After cw_presence_free: waits still open get CW_EUNAVAIL. */
void cw_claims_free(cw_server *s);
/* A fresh random nonce (CW_CLAIM_NONCE_LEN hex digits). */
void cw_claim_new_nonce(char out[CW_CLAIM_NONCE_LEN + 1]);
/* Claims the account (its name; account_id is this server's id of it) for
 * a session to be with nonce: cb(ud, 0) once no other server holds it live
 * (at once without Redis, or while it is down — maybe synchronously),
 * cb(ud, CW_EUNAVAIL) when the other server did not release it in time or
 * could not save (the old entry is put back), CW_ENOMEM. Once claimed,
 * offline and saved copies of the account's characters here are dropped
 * (the rows may have changed elsewhere). */
void cw_claim_account(cw_server *s, int64_t account_id, const char *account, const char *nonce,
                      cw_done_fn cb, void *ud);
/* Removes the entry if it is still this one (a claim not used). */
void cw_claim_drop(cw_server *s, const char *account, const char *nonce);
/* The session's account ends here (logout, kick, close, hand-off): its entry
 * goes (if still its own) and se->nonce is cleared. Call before clearing
 * se->account_id. */
void cw_claim_unclaim(cw_server *s, cw_session *se);
/* After a reconnect (presence rebuild): claims every live session again;
 * one another server took meanwhile is kicked here. */
void cw_claims_rebuild(cw_server *s);
/* An operator's ban reaches every server: with Redis, publishes
 * {"op":"kick","account","reason":"banned","text","from"} on chaos:account,
 * and each other server kicks the account's session there (kicked banned,
 * the character saved as on logout). Without Redis nothing is sent (the ban
 * still holds at every login: it is in the database). */
void cw_claims_kick_banned(cw_server *s, const char *account, const char *text);
/* Appends ,"takeovers":{asked,released,timeouts,waiting} to a status object. */
void cw_claims_status(cw_server *s, cw_strbuf *out);

#endif
