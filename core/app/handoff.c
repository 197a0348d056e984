/* handoff.c — a player goes to the process that owns its next zone: the
 * source saves the character at the destination, stores a one-time token in
 * Redis (handoff:<token>, cluster.handoff_ttl seconds) and sends the client
 * {"ev":"handoff",…}; the client connects to the target and sends
 * `resume {token}`. See cluster.h. */
#include "core/app/cluster.h"

#include "core/app/claims.h"
#include "core/app/script_app.h"
#include "core/app/trade_app.h"
#include "core/app/world_app.h"
#include "core/base/log.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"
#include "core/io/net/request.h"
#include "core/io/store/store.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_BYTES 24 /* 48 hex digits */

typedef struct ho {
    cw_server *s;
    int64_t id, account_id;
    uint64_t conn_id;
    char account[CW_NAME_MAX + 1];
    char owner[CW_CLUSTER_PROCESS_MAX + 1];
    char zone[CW_DEF_ID_MAX + 1], from_zone[CW_DEF_ID_MAX + 1];
    double x, y, from_x, from_y;
    int in_world, moved, held;
    const char *kind; /* "move" or "enter" (static strings) */
    cw_pending *p;
    char host[256];
    int port;
    char token[2 * TOKEN_BYTES + 1];
} ho;

/* ---- hand-offs in flight ---------------------------------------------------------- */

int cw_handoff_busy(cw_server *s, int64_t id)
{
    cw_cluster *k = s->cluster;
    for (int i = 0; k && i < k->nbusy; i++)
        if (k->busy[i] == id) return 1;
    return 0;
}

static int busy_add(cw_cluster *k, int64_t id)
{
    if (k->nbusy == k->capbusy) {
        int cap = k->capbusy ? k->capbusy * 2 : 8;
        int64_t *v = realloc(k->busy, sizeof *v * (size_t)cap);
        if (!v) return CW_ENOMEM;
        k->busy = v;
        k->capbusy = cap;
    }
    k->busy[k->nbusy++] = id;
    return 0;
}

static void busy_del(cw_cluster *k, int64_t id)
{
    for (int i = 0; k && i < k->nbusy; i++)
        if (k->busy[i] == id) {
            k->busy[i] = k->busy[--k->nbusy];
            return;
        }
}

static void finish(ho *h)
{
    cw_server *s = h->s;
    busy_del(s->cluster, h->id);
    cw_pending_free(h->p);
    if (h->held) {
        cw_conn *c = s->net ? cw_net_find(s->net, h->conn_id) : NULL;
        if (c) cw_conn_release(c);
    }
    free(h);
}

/* ---- failure: the player stays where it was ------------------------------------------ */

/* Back in the world where it stood, as after an enter_world. */
static void reattach(cw_server *s, ho *h, cw_player *pl)
{
    cw_conn *c = s->net ? cw_net_find(s->net, h->conn_id) : NULL;
    cw_session *se = cw_session_of(c);
    if (!se || se->account_id != h->account_id || se->char_id || s->stopping || pl->online)
        return; /* gone meanwhile: it stays saved, offline */
    pl->online = 1;
    pl->conn_id = h->conn_id;
    if (cw_world_app_enter(s, pl) < 0) {
        pl->online = 0;
        pl->conn_id = 0;
        return;
    }
    se->char_id = pl->id;
    cw_presence_enter(s, pl);
    cw_world_app_show(s, pl);
    cw_fire_enter_world(s, pl);
}

static void fail(ho *h, const char *code, const char *message)
{
    cw_server *s = h->s;
    if (s->cluster) s->cluster->failed++;
    cw_log(h->p ? CW_LOG_WARN : CW_LOG_DEBUG, "hand-off refused: the player stays",
           CW_I("character", h->id), CW_S("zone", h->zone), CW_S("owner", h->owner),
           CW_S("error", code), CW_END);
    if (h->moved) {
        cw_player *pl = cw_players_get(s->players, h->id);
        if (pl && !pl->stale) {
            /* the store may hold the destination already: the saver writes this back */
            snprintf(pl->zone, sizeof pl->zone, "%s", h->from_zone);
            pl->x = h->from_x;
            pl->y = h->from_y;
            cw_player_touch(pl);
            if (h->in_world) reattach(s, h, pl);
        }
    }
    if (h->p) cw_pending_error(h->p, code, message);
    /* the sweep (no request) tries again at the next refresh of the map */
    finish(h);
}

/* ---- success ---------------------------------------------------------------------------- */

static void handed_off(ho *h)
{
    cw_server *s = h->s;
    s->cluster->handed_off++;
    cw_player *pl = cw_players_get(s->players, h->id);
    /* Saved and offline here: the copy would be stale once the target saves. */
    if (pl && !pl->online && !pl->saving_seq && pl->saved_seq == pl->change_seq)
        cw_players_remove(s->players, h->id);
    cw_conn *c = s->net ? cw_net_find(s->net, h->conn_id) : NULL;
    cw_strbuf ev = CW_STRBUF_INIT, ans = CW_STRBUF_INIT;
    cw_strbuf_puts(&ev, "{\"ev\":\"handoff\",\"host\":");
    cw_strbuf_json_str(&ev, h->host);
    cw_strbuf_printf(&ev, ",\"port\":%d,\"token\":\"%s\",\"zone\":", h->port, h->token);
    cw_strbuf_json_str(&ev, h->zone);
    cw_strbuf_puts(&ev, "}");
    if (!strcmp(h->kind, "move")) {
        cw_strbuf_printf(&ans, "{\"x\":%.17g,\"y\":%.17g,\"zone\":", h->x, h->y);
        cw_strbuf_json_str(&ans, h->zone);
        cw_strbuf_puts(&ans, ",\"handoff\":true}");
    } else {
        /* {"handoff":{…}}: the event without its "ev" member */
        cw_strbuf_puts(&ans, "{\"handoff\":{");
        if (ev.data) cw_strbuf_puts(&ans, ev.data + strlen("{\"ev\":\"handoff\","));
        cw_strbuf_puts(&ans, "}");
    }
    if (h->p && ans.data) cw_pending_ok(h->p, ans.data, ans.len);
    cw_session *se = cw_session_of(c);
    if (c && ev.data) cw_conn_send(c, ev.data, ev.len);
    if (se && se->account_id) { /* the session ends here: logged out, without hooks */
        cw_claim_unclaim(s, se);
        se->account_id = 0;
        s->accounts->logged_in--;
        cw_gauge_set(s->accounts->m_sessions, (double)s->accounts->logged_in);
    }
    cw_log(CW_LOG_INFO, "character handed off", CW_I("character", h->id), CW_S("zone", h->zone),
           CW_S("owner", h->owner), CW_S("host", h->host), CW_I("port", h->port), CW_END);
    cw_strbuf_free(&ev);
    cw_strbuf_free(&ans);
    int64_t conn_id = h->conn_id;
    finish(h); /* answers are queued: release before the close */
    c = s->net ? cw_net_find(s->net, conn_id) : NULL;
    if (c) cw_conn_close(c, "handoff");
}

static void token_stored(void *ud, int rc)
{
    ho *h = ud;
    if (rc == CW_EEXIST)
        fail(h, "internal", "hand-off token collision; try again");
    else if (rc != 0)
        fail(h, "unavailable", "Redis is unavailable: the hand-off did not happen; try again");
    else
        handed_off(h);
}

static void saved(void *ud, int rc)
{
    ho *h = ud;
    cw_server *s = h->s;
    if (rc != 0) {
        fail(h, "unavailable", "the character could not be saved; try again");
        return;
    }
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(h->token, sizeof h->token, raw, sizeof raw);
    json_t *v = json_pack("{s:I, s:I, s:s, s:s, s:f, s:f, s:s}", "character", (json_int_t)h->id,
                          "account", (json_int_t)h->account_id, "account_name", h->account, "zone",
                          h->zone, "x", h->x, "y", h->y, "from", s->cfg.server_name);
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    rc = !text      ? CW_ENOMEM
         : s->cache ? cw_cache_handoff_put(s->cache, h->token, text, strlen(text),
                                           s->cfg.cluster_handoff_ttl, token_stored, h)
                    : CW_EUNAVAIL;
    free(text);
    if (rc != 0) token_stored(h, rc == CW_ENOMEM ? CW_EIO : rc);
}

/* The owner is announced: leave this world, save at the destination. */
static void got_owner(void *ud, int rc, const char *value, size_t len)
{
    ho *h = ud;
    cw_server *s = h->s;
    if (rc == CW_ENOTFOUND) {
        char msg[256];
        snprintf(msg, sizeof msg, "zone %s is hosted by process %s, which is not running", h->zone,
                 h->owner);
        fail(h, "zone_unavailable", msg);
        return;
    }
    if (rc != 0) {
        fail(h, "unavailable", "Redis is unavailable: zones of other processes cannot be reached");
        return;
    }
    json_t *o = json_loadb(value, len, 0, NULL);
    const char *host = json_string_value(json_object_get(o, "host"));
    json_int_t port = json_integer_value(json_object_get(o, "port"));
    int ok = host && host[0] && strlen(host) < sizeof h->host && port >= 1 && port <= 65535;
    if (ok) {
        snprintf(h->host, sizeof h->host, "%s", host);
        h->port = (int)port;
    }
    json_decref(o);
    if (!ok) {
        fail(h, "zone_unavailable", "the announcement of the zone's process is unreadable");
        return;
    }
    cw_player *pl = cw_players_get(s->players, h->id);
    cw_conn *c = s->net ? cw_net_find(s->net, h->conn_id) : NULL;
    cw_session *se = cw_session_of(c);
    int still = pl && se && se->account_id == h->account_id && !pl->stale &&
                (h->in_world ? pl->online && pl->conn_id == h->conn_id && se->char_id == h->id
                             : !pl->online && !se->char_id);
    if (!still || s->stopping || !s->store || s->store_closing) {
        fail(h, "unavailable", "the hand-off was overtaken (logged out, or shutting down)");
        return;
    }
    snprintf(h->from_zone, sizeof h->from_zone, "%s", pl->zone);
    h->from_x = pl->x;
    h->from_y = pl->y;
    if (h->in_world) {
        /* This process' world ends for it: its Lua state here (parties,
         * conversations) says goodbye as on logout; the target fires
         * enter_world and enter_zone. */
        cw_fire_logout(s, pl);
        cw_trade_app_left(s, h->id);
        pl->online = 0;
        pl->conn_id = 0;
        se->char_id = 0;
        cw_world_app_leave(s, pl);
        cw_presence_leave(s, pl);
    }
    snprintf(pl->zone, sizeof pl->zone, "%s", h->zone);
    pl->x = h->x;
    pl->y = h->y;
    cw_player_touch(pl);
    h->moved = 1;
    cw_saver_flush(s, h->id, saved, h);
}

void cw_handoff_start(cw_server *s, int64_t id, const char *owner, const char *zone, double x,
                      double y, cw_pending *p, int in_world, const char *kind)
{
    cw_player *pl = cw_players_get(s->players, id);
    ho *h = calloc(1, sizeof *h);
    if (!h || !pl || !s->cluster || busy_add(s->cluster, id) != 0) {
        if (p) cw_pending_error(p, "internal", !h ? "out of memory" : "no such character here");
        cw_pending_free(p);
        free(h);
        return;
    }
    h->s = s;
    h->id = id;
    h->p = p;
    h->in_world = in_world;
    h->kind = kind;
    h->x = x;
    h->y = y;
    snprintf(h->owner, sizeof h->owner, "%s", owner);
    snprintf(h->zone, sizeof h->zone, "%s", zone);
    h->conn_id = p ? p->conn_id : pl->conn_id;
    cw_conn *c = s->net ? cw_net_find(s->net, h->conn_id) : NULL;
    cw_session *se = cw_session_of(c);
    if (se) {
        h->account_id = se->account_id;
        snprintf(h->account, sizeof h->account, "%s", se->account);
    }
    if (!p && c) {
        cw_conn_hold(c); /* the sweep: its next requests wait for the outcome */
        h->held = 1;
    }
    if (!se) {
        fail(h, "unavailable", "the connection has gone");
        return;
    }
    int rc = s->cache ? cw_cache_cluster_process_get(s->cache, owner, got_owner, h) : CW_EUNAVAIL;
    if (rc != 0) got_owner(h, rc == CW_EINVAL ? CW_ENOTFOUND : CW_EUNAVAIL, NULL, 0);
}

/* ---- resume on the target ---------------------------------------------------------------- */

typedef struct resume_job {
    cw_pending *p;
    int64_t cid, aid;
    char account[CW_NAME_MAX + 1];
    char nonce[CW_CLAIM_NONCE_LEN + 1];
} resume_job;

/* The account is this session's across the cluster: log in, enter. */
static void resume_claimed(void *ud, int rc)
{
    resume_job *r = ud;
    cw_pending *p = r->p;
    cw_server *s = p->s;
    cw_session *se = cw_session_of(cw_pending_conn(p));
    if (se) se->busy = 0;
    if (!se || rc != 0 || se->account_id || !s->cluster) {
        if (rc == 0) cw_claim_drop(s, r->account, r->nonce);
        if (!se)
            cw_log(CW_LOG_WARN, "resume: the connection went away with a taken token",
                   CW_I("character", r->cid), CW_END);
        else
            cw_pending_error(p, "unavailable",
                             "the account's session on another server did not end; log in again");
        cw_pending_free(p);
        free(r);
        return;
    }
    se->account_id = r->aid;
    snprintf(se->account, sizeof se->account, "%s", r->account);
    snprintf(se->nonce, sizeof se->nonce, "%s", r->nonce);
    s->accounts->logged_in++;
    cw_gauge_set(s->accounts->m_sessions, (double)s->accounts->logged_in);
    s->cluster->resumed++;
    cw_log(CW_LOG_INFO, "resume: hand-off token taken", CW_S("account", se->account),
           CW_I("character", r->cid), CW_END);
    /* A copy left here by an earlier visit is older than the saved row. */
    cw_player *pl = cw_players_get(s->players, r->cid);
    if (pl && !pl->online && !pl->saving_seq && pl->saved_seq == pl->change_seq)
        cw_players_remove(s->players, r->cid);
    int64_t cid = r->cid;
    free(r);
    cw_enter_world_load(s, se, cid, p);
}

/* An older session of the account here has ended and saved: now the
 * account's claim across the cluster. */
static void resume_local_done(void *ud, int rc)
{
    (void)rc; /* not saved: it stays in memory and is retried, and is reused */
    resume_job *r = ud;
    cw_claim_new_nonce(r->nonce);
    cw_claim_account(r->p->s, r->aid, r->account, r->nonce, resume_claimed, r);
}

static int token_valid(const char *t, size_t len)
{
    if (len < 16 || len > 128 || strlen(t) != len) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f'))) return 0;
    return 1;
}

static void took(void *ud, int rc, const char *value, size_t len)
{
    cw_pending *p = ud;
    cw_server *s = p->s;
    cw_session *se = cw_session_of(cw_pending_conn(p));
    if (se && rc != 0) se->busy = 0;
    if (!se) {
        if (rc == 0)
            cw_log(CW_LOG_WARN, "resume: the connection went away with a taken token", CW_END);
        cw_pending_free(p);
        return;
    }
    if (rc != 0) {
        if (rc == CW_ENOTFOUND)
            cw_pending_error(p, "bad_token", "the token is unknown, already used or expired");
        else
            cw_pending_error(p, "unavailable", "Redis is unavailable; try again");
        cw_pending_free(p);
        return;
    }
    json_t *o = json_loadb(value, len, 0, NULL);
    json_int_t cid = json_integer_value(json_object_get(o, "character"));
    json_int_t aid = json_integer_value(json_object_get(o, "account"));
    const char *acc = json_string_value(json_object_get(o, "account_name"));
    if (cid <= 0 || aid <= 0 || !acc || !cw_name_valid(acc, strlen(acc))) {
        json_decref(o);
        se->busy = 0;
        cw_pending_error(p, "bad_token", "the token carries no character");
        cw_pending_free(p);
        return;
    }
    resume_job *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(o);
        se->busy = 0;
        cw_pending_error(p, "internal", "out of memory");
        cw_pending_free(p);
        return;
    }
    r->p = p;
    r->cid = (int64_t)cid;
    r->aid = (int64_t)aid;
    snprintf(r->account, sizeof r->account, "%s", acc);
    json_decref(o);
    /* One live session per account on this process: an older one ends
     * (saved first), then the claim across the cluster. */
    cw_session *old = cw_session_find_account(s, r->aid, se);
    if (old)
        cw_session_kick_out(s, old, "logged_in_elsewhere", NULL, resume_local_done, r);
    else
        resume_local_done(r, 0);
}

void cw_op_resume(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    const char *token;
    size_t len;
    if (cw_req_string(c, req, "token", &token, &len)) return;
    if (!token_valid(token, len)) {
        cw_conn_reply_error(c, req->id_json, "bad_token", "\"token\" is not a hand-off token");
        return;
    }
    if (se->busy) {
        cw_conn_reply_error(c, req->id_json, "busy", "another request of this session is running");
        return;
    }
    if (se->account_id) {
        cw_conn_reply_error(c, req->id_json, "logged_in", "resume needs a fresh connection");
        return;
    }
    if (!s->cache || !s->cluster || !s->store || s->store_closing) {
        cw_conn_reply_error(c, req->id_json, "unavailable", "hand-offs need Redis");
        return;
    }
    cw_pending *p = cw_pending_new(s, c, req);
    if (!p) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    se->busy = 1;
    int rc = cw_cache_handoff_take(s->cache, token, took, p);
    if (rc != 0) {
        se->busy = 0;
        cw_pending_error(p, "unavailable", "Redis is unavailable; try again");
        cw_pending_free(p);
    }
}
