/* session.c — one session per game connection (the conn's ud): who is logged
 * in on it and which character it plays. Also the name rules, request field
 * helpers and replies that arrive after the request returned. */
#include "core/app/trade_app.h"
#include "core/app/accounts.h"
#include "core/app/claims.h"
#include "core/app/script_app.h"
#include "core/app/world_app.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/net/net.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cw_accounts_new(cw_server *s, cw_error *err)
{
    cw_accounts *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->accounts = a;
    /* Bursts as documented for auth.login_rate_*: 5 per account, 10 per address. */
    a->rl_account = cw_ratelimit_new(s->cfg.auth_login_rate_account, 5);
    a->rl_addr = cw_ratelimit_new(s->cfg.auth_login_rate_addr, 10);
    if (!a->rl_account || !a->rl_addr) return cw_error_set(err, CW_ENOMEM, "out of memory");
    /* Unknown accounts are verified against this hash, made at the same cost
     * as real ones, so the answer takes as long as for a wrong password. */
    char pw[32];
    randombytes_buf(pw, sizeof pw);
    if (crypto_pwhash_str_alg(
            a->dummy_hash, pw, sizeof pw, (unsigned long long)s->cfg.auth_opslimit,
            (size_t)s->cfg.auth_memlimit_kib * 1024u, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return cw_error_set(err, CW_ENOMEM,
                            "cannot hash a password at auth.opslimit=%d auth.memlimit_kib=%d",
                            s->cfg.auth_opslimit, s->cfg.auth_memlimit_kib);
    sodium_memzero(pw, sizeof pw);
    const char *res[] = {"ok", "invalid_credentials", "rate_limited", "unavailable", "banned"};
    cw_metric **m[] = {&a->m_login_ok, &a->m_login_invalid, &a->m_login_limited,
                       &a->m_login_unavail, &a->m_login_banned};
    for (int i = 0; i < 5; i++)
        *m[i] = cw_metrics_counter(s->metrics, "chaos_logins_total", "login attempts by result",
                                   "result", res[i]);
    a->m_sessions =
        cw_metrics_gauge(s->metrics, "chaos_sessions", "logged-in sessions", NULL, NULL);
    return 0;
}

void cw_accounts_free(cw_server *s)
{
    cw_accounts *a = s->accounts;
    if (!a) return;
    while (a->sessions) {
        cw_session *se = a->sessions;
        a->sessions = se->next;
        cw_session_uncache(se);
        free(se);
    }
    cw_ratelimit_free(a->rl_account);
    cw_ratelimit_free(a->rl_addr);
    free(a);
    s->accounts = NULL;
}

void cw_session_open(cw_server *s, cw_conn *c)
{
    cw_accounts *a = s->accounts;
    cw_session *se = calloc(1, sizeof *se);
    if (!se) {
        cw_conn_close(c, "server_closed");
        return;
    }
    se->conn_id = cw_conn_id(c);
    /* "ip:port" or "[v6]:port" → the address alone, the key of its bucket. */
    const char *peer = cw_conn_peer(c);
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= sizeof se->addr) n = sizeof se->addr - 1;
    memcpy(se->addr, peer, n);
    se->next = a->sessions;
    if (a->sessions) a->sessions->prev = se;
    a->sessions = se;
    a->nsessions++;
    cw_conn_set_ud(c, se);
}

cw_session *cw_session_of(cw_conn *c)
{
    return c ? cw_conn_ud(c) : NULL;
}

void cw_session_uncache(cw_session *se)
{
    /* mv_pl set means the player is alive and points back here (players.c
     * clears mv_pl before freeing it; a new cache clears the old one). */
    if (se->mv_pl && se->mv_pl->cached_by == &se->mv_pl) se->mv_pl->cached_by = NULL;
    se->mv_pl = NULL;
    se->mv_e = NULL;
}

void cw_session_cache(cw_session *se, cw_player *pl, cw_entity *e)
{
    cw_session_uncache(se);
    if (pl->cached_by) *pl->cached_by = NULL; /* another session's cache */
    pl->cached_by = &se->mv_pl;
    se->mv_pl = pl;
    se->mv_e = e;
}

cw_session *cw_session_find_account(cw_server *s, int64_t account_id, const cw_session *except)
{
    for (cw_session *se = s->accounts->sessions; se; se = se->next)
        if (se != except && se->account_id == account_id) return se;
    return NULL;
}

void cw_session_leave_world(cw_server *s, cw_session *se, cw_done_fn cb, void *ud)
{
    int64_t id = se->char_id;
    se->char_id = 0;
    cw_session_uncache(se);
    cw_player *p = id ? cw_players_get(s->players, id) : NULL;
    if (!p) {
        if (cb) cb(ud, 0);
        return;
    }
    cw_fire_logout(s, p);     /* while its handle still works */
    cw_trade_app_left(s, id); /* a trade not yet committing ends */
    p->online = 0;
    p->conn_id = 0;
    cw_world_app_leave(s, p); /* observers get `leave` */
    cw_presence_leave(s, p);
    cw_log(CW_LOG_INFO, "character left the world", CW_I("character", id), CW_S("name", p->name),
           CW_END);
    cw_saver_flush(s, id, cb, ud);
}

void cw_session_close(cw_server *s, cw_conn *c)
{
    cw_session *se = cw_session_of(c);
    if (!se) return;
    cw_conn_set_ud(c, NULL);
    cw_accounts *a = s->accounts;
    cw_session_leave_world(s, se, NULL, NULL);
    if (se->account_id) {
        cw_claim_unclaim(s, se);
        a->logged_in--;
        cw_gauge_set(a->m_sessions, (double)a->logged_in);
    }
    if (se->prev)
        se->prev->next = se->next;
    else
        a->sessions = se->next;
    if (se->next) se->next->prev = se->prev;
    a->nsessions--;
    cw_session_uncache(se);
    free(se);
}

int cw_name_valid(const char *name, size_t len)
{
    if (len < 3 || len > CW_NAME_MAX || strlen(name) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* ---- requests answered later ------------------------------------------------ */

cw_pending *cw_pending_new(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_pending *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->s = s;
    p->conn_id = cw_conn_id(c);
    p->id_json = strdup(req->id_json ? req->id_json : "null");
    if (!p->id_json) {
        free(p);
        return NULL;
    }
    cw_conn_hold(c); /* the connection's next requests wait for this answer */
    return p;
}

void cw_pending_free(cw_pending *p)
{
    if (!p) return;
    cw_conn *c = cw_pending_conn(p);
    if (c) cw_conn_release(c);
    free(p->id_json);
    free(p);
}

cw_conn *cw_pending_conn(const cw_pending *p)
{
    return p->s->net ? cw_net_find(p->s->net, p->conn_id) : NULL;
}

void cw_pending_ok(cw_pending *p, const char *body, size_t len)
{
    cw_conn *c = cw_pending_conn(p);
    if (c) cw_conn_reply_ok(c, p->id_json, body, len);
}

void cw_pending_error(cw_pending *p, const char *code, const char *message)
{
    cw_conn *c = cw_pending_conn(p);
    if (c) cw_conn_reply_error(c, p->id_json, code, message);
}

/* ---- request fields ------------------------------------------------------------ */

int cw_req_string(cw_conn *c, const cw_request *req, const char *field, const char **out,
                  size_t *len)
{
    json_t *v = json_object_get((json_t *)req->json, field);
    if (!json_is_string(v)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s needs \"%s\": a string", req->op, field);
        cw_conn_reply_error(c, req->id_json, "bad_field", msg);
        return CW_EINVAL;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int cw_req_int(cw_conn *c, const cw_request *req, const char *field, int64_t *out)
{
    json_t *v = json_object_get((json_t *)req->json, field);
    if (!json_is_integer(v)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s needs \"%s\": an integer", req->op, field);
        cw_conn_reply_error(c, req->id_json, "bad_field", msg);
        return CW_EINVAL;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

void cw_session_kick_text(cw_conn *c, const char *reason, const char *text)
{
    cw_strbuf ev = CW_STRBUF_INIT;
    int rc = cw_strbuf_puts(&ev, "{\"ev\":\"kicked\",\"reason\":");
    rc = rc ? rc : cw_strbuf_json_str(&ev, reason);
    if (text && text[0]) {
        rc = rc ? rc : cw_strbuf_puts(&ev, ",\"text\":");
        rc = rc ? rc : cw_strbuf_json_str(&ev, text);
    }
    rc = rc ? rc : cw_strbuf_puts(&ev, "}");
    if (rc == 0) cw_conn_send(c, ev.data, ev.len);
    cw_strbuf_free(&ev);
    cw_conn_close(c, reason);
}

void cw_session_kick(cw_conn *c, const char *reason)
{
    cw_session_kick_text(c, reason, NULL);
}

void cw_session_kick_out(cw_server *s, cw_session *se, const char *reason, const char *text,
                         cw_done_fn cb, void *ud)
{
    cw_conn *c = s->net ? cw_net_find(s->net, se->conn_id) : NULL;
    if (se->account_id) {
        cw_log(CW_LOG_INFO, "session ended by the server", CW_S("account", se->account),
               CW_S("reason", reason), CW_END);
        cw_claim_unclaim(s, se);
        se->account_id = 0;
        s->accounts->logged_in--;
        cw_gauge_set(s->accounts->m_sessions, (double)s->accounts->logged_in);
    }
    /* Saved as on logout; the connection is told and closed at once. */
    cw_session_leave_world(s, se, cb, ud);
    if (c) cw_session_kick_text(c, reason, text);
}

void cw_pending_error_fields(cw_pending *p, const char *code, const char *message,
                             const char *fields)
{
    cw_conn *c = cw_pending_conn(p);
    if (!c) return;
    cw_strbuf b = CW_STRBUF_INIT;
    int rc = cw_strbuf_printf(&b, "{\"id\":%s,\"error\":{\"code\":", p->id_json);
    rc = rc ? rc : cw_strbuf_json_str(&b, code);
    rc = rc ? rc : cw_strbuf_puts(&b, ",\"message\":");
    rc = rc ? rc : cw_strbuf_json_str(&b, message);
    if (fields && fields[0]) {
        rc = rc ? rc : cw_strbuf_puts(&b, ",");
        rc = rc ? rc : cw_strbuf_puts(&b, fields);
    }
    rc = rc ? rc : cw_strbuf_puts(&b, "}}");
    if (rc == 0)
        cw_conn_send(c, b.data, b.len);
    else
        cw_conn_reply_error(c, p->id_json, code, message);
    cw_strbuf_free(&b);
}
