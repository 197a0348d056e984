/* accounts.h — accounts, sessions, characters and write-behind saving: the
 * pieces of core/app that sit between the game connections, the store, the
 * password-hashing pool and the player table. Internal to core/app.
 *
 *   session.c        a session per connection (cw_conn ud); one live session
 *                    per account; name and password rules; async replies
 *   ratelimit.c      keyed token buckets (login attempts per account/address)
 *   ops_account.c    register, login, logout (login limits shared in Redis)
 *   claims.c         one live session per account across servers (claims.h)
 *   ops_character.c  characters, create_character, delete_character,
 *                    enter_world, move
 *   saver.c          write-behind: interval batches, flush one character,
 *                    group commit of value changes, the final flush
 *   admin_store.c    admin `grant`, `grant-status`; value transactions
 *                    (cw_txn_queue) and their outcome (cw_grant_done)
 *   admin_players.c  admin `kick`, `who`, `inspect`, `teleport`; the text
 *                    rule of operator-written text (cw_admin_text_arg)
 *   admin_bans.c     admin `ban`, `unban` (bans in the store, checked at login)
 *   chat_mutes.c     operator mutes shared through Redis (chat.h)
 *
 * Everything runs on the loop thread. Async work holds a connection's id,
 * never its pointer: a reply to a connection that has gone is dropped. */
#ifndef CW_APP_ACCOUNTS_H
#define CW_APP_ACCOUNTS_H

#include "core/app/server.h"
#include "core/base/tokenbucket.h"
#include "core/game/players.h"

#include <stddef.h>
#include <stdint.h>

struct cw_conn;
struct cw_request;

/* ---- sessions (session.c) ------------------------------------------------ */

/* Hex digits of a session's nonce (claims.h). */
#define CW_CLAIM_NONCE_LEN 32

typedef struct cw_session {
    uint64_t conn_id;
    int64_t account_id; /* 0 = not logged in */
    char account[CW_NAME_MAX + 1];
    int64_t char_id;                    /* the active character, 0 = none */
    int busy;                           /* a login/enter_world/logout is in flight */
    char addr[64];                      /* peer address without the port */
    char nonce[CW_CLAIM_NONCE_LEN + 1]; /* its account claim in Redis, "" = none (claims.h) */
    struct cw_session *prev, *next;
    /* The move path's cache (ops_world.c): the active character's player and entity,
     * valid while mv_pl is not NULL and mv_pl->id == char_id. mv_pl is cleared where
     * either goes away: the player's removal (players.c, through mv_pl->cached_by), the
     * entity's release (the world app), another session caching the player, the
     * session's close. */
    struct cw_player *mv_pl;
    struct cw_entity *mv_e;
} cw_session;

typedef struct cw_ratelimit cw_ratelimit;

typedef struct cw_accounts {
    cw_session *sessions;
    size_t nsessions, logged_in;
    cw_ratelimit *rl_account, *rl_addr;
    struct cw_claims *claims;  /* one session per account across servers (claims.h) */
    int shared_rl_down_logged; /* shared login limits fell back to the local ones */
    char dummy_hash[128];      /* verified against for unknown accounts (same cost) */
    cw_metric *m_login_ok, *m_login_invalid, *m_login_limited, *m_login_unavail, *m_login_banned;
    cw_metric *m_sessions;
} cw_accounts;

int cw_accounts_new(cw_server *s, cw_error *err);
void cw_accounts_free(cw_server *s);
void cw_session_open(cw_server *s, struct cw_conn *c);
void cw_session_close(cw_server *s, struct cw_conn *c);
cw_session *cw_session_of(struct cw_conn *c);
/* The move cache (see cw_session.mv_pl): cw_session_cache makes se the one
 * session caching pl (another session's cache of pl is cleared) with pl's
 * entity e; cw_session_uncache clears se's. */
void cw_session_cache(cw_session *se, struct cw_player *pl, struct cw_entity *e);
void cw_session_uncache(cw_session *se);
/* Sends {"ev":"kicked","reason":reason} and closes c after it (reason: a
 * short stable word, also the close reason). */
void cw_session_kick(struct cw_conn *c, const char *reason);
/* The same with "text" (a person's words: an operator's reason) when text
 * is not NULL or empty. */
void cw_session_kick_text(struct cw_conn *c, const char *reason, const char *text);
cw_session *cw_session_find_account(cw_server *s, int64_t account_id, const cw_session *except);
/* Leaves the world: the active character goes offline and is saved now
 * (cb(ud, rc) once saved or failed; cb may be NULL). */
typedef void (*cw_done_fn)(void *ud, int rc);
void cw_session_leave_world(cw_server *s, cw_session *se, cw_done_fn cb, void *ud);
/* Ends se on the server's initiative (operator kick, ban): the session is
 * logged out, its character leaves the world and is saved as on logout
 * (cb(ud, rc) once saved; may be NULL), and the connection gets
 * {"ev":"kicked","reason":reason[,"text":text]} and is closed after it. */
void cw_session_kick_out(cw_server *s, cw_session *se, const char *reason, const char *text,
                         cw_done_fn cb, void *ud);

/* Rules: 3..24 of [A-Za-z0-9_]. Passwords: CW_PASSWORD_MIN..MAX bytes, no NUL. */
#define CW_PASSWORD_MIN 8
#define CW_PASSWORD_MAX 1024
int cw_name_valid(const char *name, size_t len);

/* A request answered later: the connection id and a copy of the request id.
 * It keeps the request's place in line (docs/protocol.md, request order):
 * cw_pending_new holds the connection (cw_conn_hold: its later requests
 * wait) and cw_pending_free releases it, so answer before freeing — every
 * pending is freed exactly once, answered or not. */
typedef struct cw_pending {
    cw_server *s;
    uint64_t conn_id;
    char *id_json;
} cw_pending;
/* Returns NULL when out of memory (the caller answers `internal`). */
cw_pending *cw_pending_new(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* Releases the connection's hold (if it is still there); NULL is a no-op. */
void cw_pending_free(cw_pending *p);
/* The connection if still there (and not closing), else NULL. */
struct cw_conn *cw_pending_conn(const cw_pending *p);
void cw_pending_ok(cw_pending *p, const char *body, size_t len);
void cw_pending_error(cw_pending *p, const char *code, const char *message);
/* An error with more members in the error object: fields is JSON object
 * members without braces (`"seconds":12`), spliced after "message". */
void cw_pending_error_fields(cw_pending *p, const char *code, const char *message,
                             const char *fields);

/* A string field of the request: 0 and out, len; or replies bad_field. */
int cw_req_string(struct cw_conn *c, const struct cw_request *req, const char *field,
                  const char **out, size_t *len);
int cw_req_int(struct cw_conn *c, const struct cw_request *req, const char *field, int64_t *out);

/* ---- rate limits (ratelimit.c) ---- */

cw_ratelimit *cw_ratelimit_new(double rate, double burst);
void cw_ratelimit_free(cw_ratelimit *rl);
/* Takes one token from key's bucket (created full). 0 = allowed. */
int cw_ratelimit_take(cw_ratelimit *rl, const char *key, uint64_t now_ns);
/* Drops buckets that are full again (idle keys). */
void cw_ratelimit_prune(cw_ratelimit *rl, uint64_t now_ns);

/* ---- ops (ops_account.c, ops_character.c) ---- */

typedef void (*cw_core_op_fn)(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_register(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_login(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_logout(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_characters(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_create_character(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_delete_character(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_enter_world(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_move(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_zone_info(cw_server *s, struct cw_conn *c, const struct cw_request *req);
void cw_op_whereis(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* {"id":…,"name":…,…} of a loaded character, appended to out. */
void cw_player_json(cw_strbuf *out, const cw_player *p);

/* ---- presence (presence.c): Redis when redis.url is set --------------------- */

int cw_presence_start(cw_server *s, cw_error *err);
void cw_presence_enter(cw_server *s, const cw_player *p);
void cw_presence_leave(cw_server *s, const cw_player *p);
/* Clears everyone online here from Redis (shutdown, while the loop runs). */
void cw_presence_shutdown(cw_server *s);
void cw_presence_free(cw_server *s);
/* {"ev":"announce","text":…} to every client of every server (or of this
 * one without Redis). */
int cw_presence_announce(cw_server *s, const char *text);

/* ---- saving (saver.c) ------------------------------------------------------- */

typedef struct cw_saver cw_saver;
int cw_saver_new(cw_server *s, cw_error *err);
void cw_saver_free(cw_server *s);
/* Saves character id (if it has unsaved changes) at the end of this loop
 * iteration, in a batch shared with the other flushes of the iteration (or
 * of the time an earlier such batch is in flight); cb(ud, rc) once, when the
 * state as of this call is in the database (rc 0) or could not be saved
 * (CW_ESTATE stale copy, CW_EUNAVAIL, CW_ENOMEM, the store's error). cb may
 * run before this returns (nothing to save, or refused at once). An offline
 * character is forgotten once saved and waited for by nobody. */
void cw_saver_flush(cw_server *s, int64_t id, cw_done_fn cb, void *ud);
/* Schedules the group commit of queued value changes at the end of this
 * loop iteration (every grant of one iteration in one transaction). */
void cw_saver_commit_soon(cw_server *s);
/* Shutdown: saves every dirty character; cb once nothing is left to save
 * or the store gave up (rc: 0 or the last failure). */
void cw_saver_flush_all(cw_server *s, cw_done_fn cb, void *ud);
/* Committed or failed value transactions are reported here (admin_store.c):
 * logged, recorded for grant-status, and the player told ("gold" and "exp"
 * events) only once committed. A cw_grant_cb (players.h). */
/* cw_item_cb of the player table: the events item_added / item_removed
 * (after the commit) and a log line. */
void cw_item_done(const cw_player *p, const cw_item *it, int64_t delta, void *ud);
void cw_grant_done(uint64_t token, int rc, const cw_player *p, int64_t gold_delta,
                   int64_t exp_delta, int level, void *ud);
/* Appends the "store" status object members (no braces). */
void cw_saver_status(cw_server *s, cw_strbuf *out);
/* Counters for status: characters saved, refused as stale, not saved; store
 * batches (one transaction each) of character saves ended. */
typedef struct cw_saver_stats {
    uint64_t saved, stale, failed, batches;
} cw_saver_stats;
void cw_saver_get_stats(cw_server *s, cw_saver_stats *st);

/* ---- chat (chat.c, admin_chat.c; state in chat.h) --------------------------- */

typedef struct cw_chat cw_chat;
/* Creates s->chat and, with Redis, subscribes to the world channel and this
 * server's whisper inbox. Call after cw_presence_start. 0 or CW_ENOMEM. */
int cw_chat_start(cw_server *s, cw_error *err);
/* After cw_presence_free (no pub/sub callback may run after this). */
void cw_chat_free(cw_server *s);
void cw_op_chat(cw_server *s, struct cw_conn *c, const struct cw_request *req);
/* Registers `mute`, `unmute` and `mutes` on the console. */
int cw_chat_admin_commands(cw_server *s);

/* ---- operator commands (admin_players.c, admin_bans.c) ---------------------- */

/* The longest operator-written reason (kick, ban, mute), in bytes. */
#define CW_OPERATOR_TEXT_MAX 127
/* The longest announcement, in bytes. */
#define CW_ANNOUNCE_MAX 512
/* Joins the console words argv[from..argc) with single spaces into out and
 * holds them to the text policy (core/base/text.h, at most max bytes).
 * 0 (out left empty when there are no words), CW_EINVAL with err naming
 * `what` and the problem, or CW_ENOMEM. */
int cw_admin_text_arg(int argc, char **argv, int from, size_t max, const char *what, cw_strbuf *out,
                      cw_error *err);
/* Registers `kick`, `who`, `inspect`, `teleport`. */
int cw_players_admin_commands(cw_server *s);
/* Registers `ban`, `unban`. */
int cw_bans_admin_commands(cw_server *s);
/* A ban's DURATION: "30s", "30m", "12h", "7d" (a whole number > 0 and one
 * unit, at most 3650 days) → seconds; "none" or "permanent" → 0.
 * CW_EINVAL for anything else. */
int cw_ban_duration_parse(const char *text, int64_t *seconds);

/* ---- admin (admin_store.c) -------------------------------------------------- */

int cw_admin_store_commands(cw_server *s);
void cw_grants_free(cw_server *s);
/* Queues a value transaction on p (cw_player_txn with the data cap of
 * lua.data_max_kib) under a new grant number (*token, may be NULL), to be
 * committed by the next group commit: call cw_saver_commit_soon after. The
 * player is told of its gold and exp after the commit (cw_grant_done).
 * Grant numbers never repeat, also across restarts (reserved from the
 * database in blocks). t->reason is required and must pass
 * cw_txn_reason_problem (the text policy, at most CW_GRANT_REASON_MAX bytes).
 * Returns cw_player_txn's codes (CW_EINVAL also for a NULL t or a refused
 * reason), CW_EUNAVAIL when no grant number could be reserved (the database
 * is unavailable; a block is asked for again), or CW_ESTATE when the server
 * has no grant table (not started) or p is stale. */
int cw_txn_queue(cw_server *s, cw_player *p, const cw_txn_spec *t, uint64_t *token);

#endif
