/* ops_account.c — register, login, logout.
 *
 * Passwords are hashed and verified with Argon2id (libsodium crypto_pwhash_str,
 * cost auth.opslimit / auth.memlimit_kib) on the work pool, never on the loop.
 * Login answers `invalid_credentials` both for an unknown account and for a
 * wrong password, and an unknown account is verified against a dummy hash of
 * the same cost, so neither the answer nor its timing tells which. Account
 * names are case-insensitive: they are stored lower-cased. A banned account
 * (operator `ban`, admin_bans.c) with the right password gets `banned` with
 * the time left and the reason; the ban is read with the account. */
#include "core/app/accounts.h"
#include "core/app/claims.h"
#include "core/app/script_app.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"
#include "core/io/work/work.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct auth_job {
    cw_pending *pend;
    char name[CW_NAME_MAX + 1]; /* lower-cased */
    char *password;             /* wiped and freed when done */
    size_t password_len;
    char hash[crypto_pwhash_STRBYTES];
    int64_t account_id;
    int exists;
    int banned;          /* login: a ban in force (store.h cw_account) */
    int64_t ban_seconds; /* 0 = permanent */
    char ban_reason[256];
    int rc;                             /* of the hashing/verification */
    char nonce[CW_CLAIM_NONCE_LEN + 1]; /* the new session's claim (claims.h) */
    int rl_wait, rl_limited, rl_failed; /* shared login limits: answers due, verdicts */
    int claimed;                        /* the claim answered "go on" */
    unsigned long long opslimit;
    size_t memlimit;
} auth_job;

static void job_free(auth_job *j)
{
    if (!j) return;
    if (j->password) {
        sodium_memzero(j->password, j->password_len);
        free(j->password);
    }
    cw_pending_free(j->pend);
    free(j);
}

static void lower(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[n] = '\0';
}

/* Common checks of register and login: the fields, the session's state.
 * Returns a job, or NULL after answering the client. */
static auth_job *start(cw_server *s, cw_conn *c, const cw_request *req, int check_length_min)
{
    cw_session *se = cw_session_of(c);
    const char *name, *pw;
    size_t nlen, plen;
    if (!se) return NULL;
    if (cw_req_string(c, req, "name", &name, &nlen) ||
        cw_req_string(c, req, "password", &pw, &plen))
        return NULL;
    if (!cw_name_valid(name, nlen)) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "\"name\" must be 3 to 24 characters of A-Z, a-z, 0-9 and _");
        return NULL;
    }
    if (plen > CW_PASSWORD_MAX || (check_length_min && plen < CW_PASSWORD_MIN) ||
        memchr(pw, '\0', plen)) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "\"password\" must be 8 to 1024 bytes of UTF-8 without NUL");
        return NULL;
    }
    if (se->busy) {
        cw_conn_reply_error(c, req->id_json, "busy", "another request of this session is running");
        return NULL;
    }
    if (se->account_id) {
        cw_conn_reply_error(c, req->id_json, "already_logged_in", "log out first");
        return NULL;
    }
    auth_job *j = calloc(1, sizeof *j);
    if (j) {
        j->pend = cw_pending_new(s, c, req);
        j->password = malloc(plen + 1);
    }
    if (!j || !j->pend || !j->password) {
        job_free(j);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return NULL;
    }
    memcpy(j->password, pw, plen);
    j->password[plen] = '\0';
    j->password_len = plen;
    lower(j->name, name, nlen);
    j->opslimit = (unsigned long long)s->cfg.auth_opslimit;
    j->memlimit = (size_t)s->cfg.auth_memlimit_kib * 1024u;
    return j;
}

static void unbusy(auth_job *j)
{
    cw_conn *c = cw_pending_conn(j->pend);
    cw_session *se = cw_session_of(c);
    if (se) se->busy = 0;
}

static int submit(cw_server *s, auth_job *j, cw_work_fn fn, cw_work_fn done)
{
    if (s->work && cw_work_submit(s->work, fn, done, j) == 0) return 0;
    unbusy(j);
    cw_pending_error(j->pend, "unavailable", "the server is shutting down");
    job_free(j);
    return CW_ESTATE;
}

/* ---- register ------------------------------------------------------------------ */

static void register_stored(void *ud, int rc, const cw_account *acc)
{
    auth_job *j = ud;
    unbusy(j);
    if (rc == 0) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_printf(&b, "{\"account\":{\"id\":%lld,\"name\":", (long long)acc->id);
        cw_strbuf_json_str(&b, j->name);
        cw_strbuf_puts(&b, "}}");
        cw_pending_ok(j->pend, b.data, b.len);
        cw_strbuf_free(&b);
        cw_log(CW_LOG_INFO, "account registered", CW_S("account", j->name), CW_I("id", acc->id),
               CW_END);
    } else if (rc == CW_EEXIST) {
        cw_pending_error(j->pend, "name_taken", "an account with that name exists");
    } else {
        cw_pending_error(j->pend, "unavailable", "accounts are unavailable; try again later");
    }
    job_free(j);
}

static void hash_job(void *arg)
{
    auth_job *j = arg;
    j->rc = crypto_pwhash_str_alg(j->hash, j->password, j->password_len, j->opslimit, j->memlimit,
                                  crypto_pwhash_ALG_ARGON2ID13);
}

static void hash_done(void *arg)
{
    auth_job *j = arg;
    cw_server *s = j->pend->s;
    if (j->rc != 0 || !s->store || s->store_closing) {
        unbusy(j);
        cw_pending_error(j->pend, j->rc ? "internal" : "unavailable",
                         j->rc ? "cannot hash the password" : "the server is shutting down");
        job_free(j);
        return;
    }
    cw_store_account_create(s->store, j->name, j->hash, register_stored, j);
}

void cw_op_register(cw_server *s, cw_conn *c, const cw_request *req)
{
    auth_job *j = start(s, c, req, 1);
    if (!j) return;
    cw_session *se = cw_session_of(c);
    /* Registering costs a hash too: it shares the per-address budget. */
    if (cw_ratelimit_take(s->accounts->rl_addr, se->addr, cw_now_ns()) != 0) {
        cw_conn_reply_error(c, req->id_json, "rate_limited", "too many attempts; wait a moment");
        job_free(j);
        return;
    }
    se->busy = 1;
    submit(s, j, hash_job, hash_done);
}

/* ---- login ---------------------------------------------------------------------- */

static void verify_job(void *arg)
{
    auth_job *j = arg;
    j->rc = crypto_pwhash_str_verify(j->hash, j->password, j->password_len);
}

static void complete_login(auth_job *j, cw_session *se, cw_conn *c)
{
    cw_server *s = j->pend->s;
    se->busy = 0;
    se->account_id = j->account_id;
    snprintf(se->account, sizeof se->account, "%s", j->name);
    snprintf(se->nonce, sizeof se->nonce, "%s", j->nonce);
    s->accounts->logged_in++;
    cw_gauge_set(s->accounts->m_sessions, (double)s->accounts->logged_in);
    cw_counter_add(s->accounts->m_login_ok, 1);
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_printf(&b, "{\"account\":{\"id\":%lld,\"name\":", (long long)j->account_id);
    cw_strbuf_json_str(&b, j->name);
    cw_strbuf_puts(&b, "}}");
    cw_pending_ok(j->pend, b.data, b.len);
    cw_strbuf_free(&b);
    cw_log(CW_LOG_INFO, "login", CW_S("account", j->name), CW_S("peer", cw_conn_peer(c)), CW_END);
    cw_fire_login(s, j->account_id, j->name);
    job_free(j);
}

typedef struct takeover {
    auth_job *j;
    uint64_t old_conn;
} takeover;

static void takeover_step(auth_job *j);

/* The account is ours across the cluster (or Redis is away): go on. */
static void login_claimed(void *ud, int rc)
{
    auth_job *j = ud;
    if (rc != 0) {
        unbusy(j);
        cw_counter_add(j->pend->s->accounts->m_login_unavail, 1);
        cw_pending_error(j->pend, "unavailable",
                         "the account's session on another server did not end; try again");
        job_free(j);
        return;
    }
    j->claimed = 1;
    takeover_step(j);
}

/* The old session's character is saved (or could not be): now tell the old
 * connection why and close it, then go on with the new login. */
static void takeover_saved(void *ud, int rc)
{
    takeover *t = ud;
    cw_server *s = t->j->pend->s;
    if (rc != 0)
        cw_log(CW_LOG_WARN, "takeover: character not saved yet; it stays in memory and is retried",
               CW_S("account", t->j->name), CW_S("error", cw_err_name(rc)), CW_END);
    cw_conn *old = s->net ? cw_net_find(s->net, t->old_conn) : NULL;
    if (old) cw_session_kick(old, "logged_in_elsewhere");
    auth_job *j = t->j;
    free(t);
    takeover_step(j);
}

static void takeover_step(auth_job *j)
{
    cw_server *s = j->pend->s;
    cw_conn *c = cw_pending_conn(j->pend);
    cw_session *se = cw_session_of(c);
    if (!se) { /* the new connection went away meanwhile */
        if (j->claimed) cw_claim_drop(s, j->name, j->nonce);
        job_free(j);
        return;
    }
    cw_session *old = cw_session_find_account(s, j->account_id, se);
    if (!old && !j->claimed) {
        /* This server's sessions are settled: now the other servers'. */
        cw_claim_new_nonce(j->nonce);
        cw_claim_account(s, j->account_id, j->name, j->nonce, login_claimed, j);
        return;
    }
    if (!old) {
        complete_login(j, se, c);
        return;
    }
    takeover *t = calloc(1, sizeof *t);
    if (!t) {
        se->busy = 0;
        cw_pending_error(j->pend, "internal", "out of memory");
        job_free(j);
        return;
    }
    t->j = j;
    t->old_conn = old->conn_id;
    cw_log(CW_LOG_INFO, "login takes over a session", CW_S("account", j->name),
           CW_I("old_conn", (int64_t)old->conn_id), CW_END);
    /* The old session stops being logged in now; its character is saved
     * before its connection is closed. */
    cw_claim_unclaim(s, old);
    old->account_id = 0;
    s->accounts->logged_in--;
    cw_session_leave_world(s, old, takeover_saved, t);
}

/* A banned account with the right password: `banned`, with the time left
 * and the operator's reason (only the password's owner learns of the ban). */
static void refuse_banned(auth_job *j)
{
    cw_server *s = j->pend->s;
    cw_strbuf msg = CW_STRBUF_INIT, fields = CW_STRBUF_INIT;
    if (j->ban_seconds > 0) {
        cw_strbuf_printf(&msg, "this account is banned for %lld more second%s",
                         (long long)j->ban_seconds, j->ban_seconds == 1 ? "" : "s");
        cw_strbuf_printf(&fields, "\"seconds\":%lld,\"reason\":", (long long)j->ban_seconds);
    } else {
        cw_strbuf_puts(&msg, "this account is banned permanently");
        cw_strbuf_puts(&fields, "\"permanent\":true,\"reason\":");
    }
    if (j->ban_reason[0]) {
        cw_strbuf_puts(&msg, ": ");
        cw_strbuf_puts(&msg, j->ban_reason);
    }
    cw_strbuf_json_str(&fields, j->ban_reason);
    cw_counter_add(s->accounts->m_login_banned, 1);
    cw_pending_error_fields(j->pend, "banned", msg.data ? msg.data : "this account is banned",
                            fields.data);
    cw_log(CW_LOG_INFO, "login refused: banned", CW_S("account", j->name),
           CW_I("seconds", j->ban_seconds), CW_END);
    cw_strbuf_free(&msg);
    cw_strbuf_free(&fields);
}

static void verify_done(void *arg)
{
    auth_job *j = arg;
    cw_server *s = j->pend->s;
    if (!j->exists || j->rc != 0) {
        unbusy(j);
        cw_counter_add(s->accounts->m_login_invalid, 1);
        cw_pending_error(j->pend, "invalid_credentials", "wrong account name or password");
        cw_log(CW_LOG_INFO, "login refused", CW_S("account", j->name), CW_END);
        job_free(j);
        return;
    }
    if (j->banned) {
        unbusy(j);
        refuse_banned(j);
        job_free(j);
        return;
    }
    takeover_step(j);
}

static void account_got(void *ud, int rc, const cw_account *acc)
{
    auth_job *j = ud;
    cw_server *s = j->pend->s;
    if (rc == 0 && acc && acc->pwhash && strlen(acc->pwhash) < sizeof j->hash) {
        j->exists = 1;
        j->account_id = acc->id;
        snprintf(j->hash, sizeof j->hash, "%s", acc->pwhash);
        j->banned = acc->banned;
        j->ban_seconds = acc->ban_seconds;
        snprintf(j->ban_reason, sizeof j->ban_reason, "%s", acc->ban_reason ? acc->ban_reason : "");
    } else if (rc == 0 || rc == CW_ENOTFOUND) {
        /* Same work as a real account: verify against the dummy hash. */
        j->exists = 0;
        snprintf(j->hash, sizeof j->hash, "%s", s->accounts->dummy_hash);
    } else {
        unbusy(j);
        cw_counter_add(s->accounts->m_login_unavail, 1);
        cw_pending_error(j->pend, "unavailable", "accounts are unavailable; try again later");
        job_free(j);
        return;
    }
    submit(s, j, verify_job, verify_done);
}

/* The limits passed: read the account. */
static void login_go(auth_job *j)
{
    cw_server *s = j->pend->s;
    if (!cw_pending_conn(j->pend)) { /* gone meanwhile */
        job_free(j);
        return;
    }
    if (!s->store || s->store_closing) {
        unbusy(j);
        cw_pending_error(j->pend, "unavailable", "the server is shutting down");
        job_free(j);
        return;
    }
    cw_store_account_get(s->store, j->name, account_got, j);
}

static void login_limited(auth_job *j)
{
    unbusy(j);
    cw_counter_add(j->pend->s->accounts->m_login_limited, 1);
    cw_pending_error(j->pend, "rate_limited", "too many login attempts; wait a moment");
    job_free(j);
}

/* This server's own buckets: without Redis, or while it does not answer. */
static int local_limits(cw_server *s, auth_job *j, const char *addr)
{
    uint64_t now = cw_now_ns();
    return cw_ratelimit_take(s->accounts->rl_addr, addr, now) != 0 ||
           cw_ratelimit_take(s->accounts->rl_account, j->name, now) != 0;
}

/* Shared limits: attempts counted in Redis per fixed window of
 * LOGIN_WINDOW_S seconds; the budget of a window is the bucket's burst plus
 * what its rate refills in the window. */
#define LOGIN_WINDOW_S 60

static int64_t window_budget(double rate, double burst)
{
    return (int64_t)(burst + rate * LOGIN_WINDOW_S);
}

static void rl_answer(auth_job *j, int rc, int64_t count, int64_t budget)
{
    if (rc != 0)
        j->rl_failed = 1;
    else if (count > budget)
        j->rl_limited = 1;
    if (--j->rl_wait > 0) return;
    cw_server *s = j->pend->s;
    cw_session *se = cw_session_of(cw_pending_conn(j->pend));
    if (!se) {
        job_free(j);
        return;
    }
    if (j->rl_failed && !j->rl_limited) {
        if (!s->accounts->shared_rl_down_logged) {
            s->accounts->shared_rl_down_logged = 1;
            cw_log(CW_LOG_WARN, "Redis does not answer: login limits are counted here only",
                   CW_END);
        }
        if (local_limits(s, j, se->addr)) {
            login_limited(j);
            return;
        }
    } else if (!j->rl_failed) {
        s->accounts->shared_rl_down_logged = 0;
    }
    if (j->rl_limited)
        login_limited(j);
    else
        login_go(j);
}

static void rl_addr_counted(void *ud, int rc, int64_t count)
{
    auth_job *j = ud;
    cw_server *s = j->pend->s;
    rl_answer(j, rc, count, window_budget(s->cfg.auth_login_rate_addr, 10));
}

static void rl_account_counted(void *ud, int rc, int64_t count)
{
    auth_job *j = ud;
    cw_server *s = j->pend->s;
    rl_answer(j, rc, count, window_budget(s->cfg.auth_login_rate_account, 5));
}

void cw_op_login(cw_server *s, cw_conn *c, const cw_request *req)
{
    auth_job *j = start(s, c, req, 0);
    if (!j) return;
    cw_session *se = cw_session_of(c);
    se->busy = 1;
    if (s->cache && cw_cache_available(s->cache)) {
        /* Counted across the cluster: each answer comes back later (a key
         * whose rate is 0 is not limited, as with the local buckets). */
        char key[CW_NAME_MAX + 96];
        j->rl_wait = 1;
        if (s->cfg.auth_login_rate_addr > 0) {
            snprintf(key, sizeof key, "login:addr:%s", se->addr);
            j->rl_wait++;
            if (cw_cache_counter_incr(s->cache, key, LOGIN_WINDOW_S, rl_addr_counted, j) != 0)
                rl_answer(j, CW_EUNAVAIL, 0, 0);
        }
        if (s->cfg.auth_login_rate_account > 0) {
            snprintf(key, sizeof key, "login:account:%s", j->name);
            j->rl_wait++;
            if (cw_cache_counter_incr(s->cache, key, LOGIN_WINDOW_S, rl_account_counted, j) != 0)
                rl_answer(j, CW_EUNAVAIL, 0, 0);
        }
        rl_answer(j, 0, 0, INT64_MAX); /* the extra count: the last answer decides */
        return;
    }
    if (local_limits(s, j, se->addr)) {
        login_limited(j);
        return;
    }
    login_go(j);
}

/* ---- logout ----------------------------------------------------------------------- */

static void logout_saved(void *ud, int rc)
{
    cw_pending *p = ud;
    cw_conn *c = cw_pending_conn(p);
    cw_session *se = cw_session_of(c);
    if (se) se->busy = 0;
    cw_pending_ok(p, rc == 0 ? "{\"saved\":true}" : "{\"saved\":false}", rc == 0 ? 14 : 15);
    cw_pending_free(p);
}

void cw_op_logout(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    if (se->busy) {
        cw_conn_reply_error(c, req->id_json, "busy", "another request of this session is running");
        return;
    }
    cw_pending *p = cw_pending_new(s, c, req);
    if (!p) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cw_log(CW_LOG_INFO, "logout", CW_S("account", se->account), CW_END);
    cw_claim_unclaim(s, se);
    se->account_id = 0;
    s->accounts->logged_in--;
    cw_gauge_set(s->accounts->m_sessions, (double)s->accounts->logged_in);
    se->busy = 1;
    /* Answered once the character is saved (saved:false when the database
     * is away: the character stays in memory and is retried). */
    cw_session_leave_world(s, se, logout_saved, p);
}
