/* claims.c — one live session per account across the cluster (Redis).
 *
 * Every login and resume claims the account: account:<name> names this server
 * and the new session's nonce (cw_cache_account_claim returns the entry it
 * replaced). When that entry was a live session on another server, this
 * server publishes {"op":"takeover",…} on that server's channel
 * chaos:account:<server> and waits (at most CW_CLAIM_WAIT_MS) for
 * {"op":"released",…} on its own: the other server kicks its session
 * (`kicked` logged_in_elsewhere), saves every loaded character of the account
 * and only then answers, so the character is never loaded here before it is
 * saved there. An entry of a server whose heartbeat expired (killed, hung) is
 * passed over at once. A refusal (no answer in time, or the other server could
 * not save) puts the old entry back: the next attempt asks again.
 *
 * Entries have no TTL: a session's entry is removed when it ends here
 * (cw_claim_unclaim), the cache clears this server's old entries on every
 * reconnect, and cw_claims_rebuild then claims the sessions live here again —
 * a session another server took over meanwhile is kicked here. Without Redis,
 * or while it is down, a claim goes on at once (one session per account per
 * process, as before; logged once per outage). Loop thread only. */
#include "core/app/claims.h"

#include "core/app/cluster.h"
#include "core/base/log.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHANNEL_PREFIX "chaos:account:"
#define BROADCAST_CHANNEL "chaos:account" /* kicks every server applies */

typedef struct waiter {
    cw_server *s;
    int64_t account_id; /* this server's id of the account */
    char account[CW_NAME_MAX + 1];
    char nonce[CW_CLAIM_NONCE_LEN + 1];
    char prev_server[CW_CACHE_NAME_MAX + 1], prev_nonce[CW_CACHE_NONCE_MAX + 1];
    cw_done_fn cb;
    void *ud;
    struct event *timer;
    int alive_asked; /* a heartbeat lookup will still call on_alive with this waiter */
    int ended;       /* finished while that lookup was out: on_alive only frees it */
    struct waiter *next;
} waiter;

struct cw_claims {
    char channel[sizeof CHANNEL_PREFIX + CW_CACHE_NAME_MAX];
    waiter *waiting;
    int down_logged; /* "Redis is down: claims are local" said once per outage */
    uint64_t takeovers, released, timeouts;
};

void cw_claim_new_nonce(char out[CW_CLAIM_NONCE_LEN + 1])
{
    unsigned char raw[CW_CLAIM_NONCE_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, CW_CLAIM_NONCE_LEN + 1, raw, sizeof raw);
}

/* A server name as chaosd accepts it: 1..64 of [A-Za-z0-9_.:-]. */
static int valid_server(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 64) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || strchr("_.:-", n[i])))
            return 0;
    return 1;
}

static void unlink_waiter(cw_claims *k, waiter *w)
{
    for (waiter **pp = &k->waiting; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

typedef struct ids {
    int64_t account_id;
    int64_t *v;
    int n, cap;
} ids;

static void collect(cw_player *p, void *ud)
{
    ids *x = ud;
    if (p->account_id != x->account_id) return;
    if (x->n == x->cap) {
        int cap = x->cap ? x->cap * 2 : 4;
        int64_t *v = realloc(x->v, sizeof *v * (size_t)cap);
        if (!v) return;
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = p->id;
}

/* Copies that are offline and saved are dropped: the next owner of the
 * account changes the rows, which makes them stale. */
static void drop_clean_copies(cw_server *s, int64_t account_id)
{
    ids x = {.account_id = account_id};
    cw_players_each(s->players, collect, &x);
    for (int i = 0; i < x.n; i++) {
        cw_player *p = cw_players_get(s->players, x.v[i]);
        if (p && !p->online && !p->saving_seq && p->saved_seq == p->change_seq &&
            !cw_handoff_busy(s, p->id))
            cw_players_remove(s->players, p->id);
    }
    free(x.v);
}

/* Ends a wait: the callback runs last (it may claim again). */
static void finish_wait(waiter *w, int rc)
{
    cw_server *s = w->s;
    unlink_waiter(s->accounts->claims, w);
    if (w->timer) event_free(w->timer);
    w->timer = NULL;
    if (rc != 0 && s->cache)
        cw_cache_account_release(s->cache, w->account, w->nonce, w->prev_server, w->prev_nonce);
    if (rc == 0) drop_clean_copies(s, w->account_id);
    cw_done_fn cb = w->cb;
    void *ud = w->ud;
    if (w->alive_asked)
        w->ended = 1; /* on_alive frees it */
    else
        free(w);
    cb(ud, rc);
}

/* The silent server's heartbeat, asked after the wait: a server that died
 * meanwhile (killed, hung) stops heart-beating within CW_CACHE_HEARTBEAT_TTL_S,
 * shorter than the wait, so its account is taken over now; one that still
 * heart-beats keeps it (the login answers unavailable). */
static void on_alive(void *ud, int rc, int64_t alive)
{
    waiter *w = ud;
    w->alive_asked = 0;
    if (w->ended) { /* released (or the server stopped) while we asked */
        free(w);
        return;
    }
    if (rc == 0 && !alive) {
        cw_log(CW_LOG_WARN, "takeover: the other server is gone; the account is taken over",
               CW_S("account", w->account), CW_S("server", w->prev_server), CW_END);
        finish_wait(w, 0);
        return;
    }
    cw_log(CW_LOG_WARN, "takeover: the other server did not release the account in time",
           CW_S("account", w->account), CW_S("server", w->prev_server), CW_END);
    finish_wait(w, CW_EUNAVAIL);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    waiter *w = arg;
    w->s->accounts->claims->timeouts++;
    if (w->s->cache && cw_cache_server_alive(w->s->cache, w->prev_server, on_alive, w) == 0) {
        w->alive_asked = 1;
        return;
    }
    on_alive(w, CW_EUNAVAIL, 1);
}

static int publish(cw_server *s, const char *server, json_t *msg)
{
    char channel[sizeof CHANNEL_PREFIX + CW_CACHE_NAME_MAX];
    snprintf(channel, sizeof channel, "%s%s", CHANNEL_PREFIX, server);
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    int rc = text ? cw_cache_publish(s->cache, channel, text, strlen(text)) : CW_ENOMEM;
    free(text);
    return rc;
}

typedef struct claim_req {
    cw_server *s;
    int64_t account_id;
    char account[CW_NAME_MAX + 1];
    char nonce[CW_CLAIM_NONCE_LEN + 1];
    cw_done_fn cb;
    void *ud;
} claim_req;

static void claimed(void *ud, int rc, const char *prev_server, const char *prev_nonce, int alive)
{
    claim_req *r = ud;
    cw_server *s = r->s;
    cw_claims *k = s->accounts ? s->accounts->claims : NULL;
    cw_done_fn cb = r->cb;
    void *cbud = r->ud;
    if (rc == 0 && s->stopping && s->cache) /* written, but not used: put the old one back */
        cw_cache_account_release(s->cache, r->account, r->nonce,
                                 prev_server && alive ? prev_server : NULL, prev_nonce);
    if (rc != 0 || !k || s->stopping) {
        if (k && !k->down_logged && !s->stopping) {
            k->down_logged = 1;
            cw_log(CW_LOG_WARN,
                   "Redis is unavailable: one session per account holds on this server only",
                   CW_S("error", cw_err_name(rc)), CW_END);
        }
        free(r);
        cb(cbud, s->stopping ? CW_EUNAVAIL : 0);
        return;
    }
    k->down_logged = 0;
    if (!prev_server || !alive || !strcmp(prev_server, s->cfg.server_name)) {
        /* nobody, a dead server, or this one (the local takeover did it) */
        drop_clean_copies(s, r->account_id);
        free(r);
        cb(cbud, 0);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (w) {
        w->s = s;
        w->account_id = r->account_id;
        snprintf(w->account, sizeof w->account, "%s", r->account);
        snprintf(w->nonce, sizeof w->nonce, "%s", r->nonce);
        snprintf(w->prev_server, sizeof w->prev_server, "%s", prev_server);
        snprintf(w->prev_nonce, sizeof w->prev_nonce, "%s", prev_nonce);
        w->cb = cb;
        w->ud = cbud;
        w->timer = evtimer_new(s->base, on_timeout, w);
    }
    free(r);
    if (!w || !w->timer) {
        if (w) free(w);
        cb(cbud, CW_ENOMEM);
        return;
    }
    w->next = k->waiting;
    k->waiting = w;
    struct timeval tv = {CW_CLAIM_WAIT_MS / 1000, (CW_CLAIM_WAIT_MS % 1000) * 1000};
    evtimer_add(w->timer, &tv);
    k->takeovers++;
    cw_log(CW_LOG_INFO, "takeover: asking the other server to end the account's session",
           CW_S("account", w->account), CW_S("server", w->prev_server), CW_END);
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s}", "op", "takeover", "account", w->account,
                            "nonce", w->nonce, "from", s->cfg.server_name);
    if (publish(s, w->prev_server, msg) != 0) finish_wait(w, CW_EUNAVAIL);
}

void cw_claim_account(cw_server *s, int64_t account_id, const char *account, const char *nonce,
                      cw_done_fn cb, void *ud)
{
    if (!s->cache || !s->accounts->claims) {
        cb(ud, 0);
        return;
    }
    claim_req *r = calloc(1, sizeof *r);
    if (!r) {
        cb(ud, CW_ENOMEM);
        return;
    }
    *r = (claim_req){.s = s, .account_id = account_id, .cb = cb, .ud = ud};
    snprintf(r->account, sizeof r->account, "%s", account);
    snprintf(r->nonce, sizeof r->nonce, "%s", nonce);
    int rc = cw_cache_account_claim(s->cache, account, nonce, claimed, r);
    if (rc != 0) claimed(r, rc, NULL, NULL, 0);
}

void cw_claim_drop(cw_server *s, const char *account, const char *nonce)
{
    if (s->cache && account && account[0] && nonce && nonce[0])
        cw_cache_account_release(s->cache, account, nonce, NULL, NULL);
}

void cw_claim_unclaim(cw_server *s, cw_session *se)
{
    if (se->nonce[0]) cw_claim_drop(s, se->account, se->nonce);
    se->nonce[0] = '\0';
}

/* ---- the other side: a takeover asked of this server -------------------------------- */

typedef struct release_job {
    cw_server *s;
    int64_t account_id; /* 0: no session here */
    char account[CW_NAME_MAX + 1];
    char nonce[CW_CACHE_NONCE_MAX + 1];
    char to[CW_CACHE_NAME_MAX + 1];
    int left, failed;
} release_job;

static void release_answer(release_job *j)
{
    cw_server *s = j->s;
    if (!j->failed && j->account_id) drop_clean_copies(s, j->account_id);
    if (s->accounts && s->accounts->claims) s->accounts->claims->released++;
    cw_log(CW_LOG_INFO, "takeover: account released to another server", CW_S("account", j->account),
           CW_S("to", j->to), CW_I("saved", !j->failed), CW_END);
    json_t *msg = json_pack("{s:s, s:s, s:s, s:b}", "op", "released", "account", j->account,
                            "nonce", j->nonce, "saved", !j->failed);
    if (s->cache)
        publish(s, j->to, msg);
    else
        json_decref(msg);
    free(j);
}

static void one_saved(void *ud, int rc)
{
    release_job *j = ud;
    if (rc != 0) j->failed = 1;
    if (--j->left == 0) release_answer(j);
}

static cw_session *find_by_name(cw_server *s, const char *account)
{
    for (cw_session *se = s->accounts->sessions; se; se = se->next)
        if (se->account_id && !strcasecmp(se->account, account)) return se;
    return NULL;
}

static void takeover_asked(cw_server *s, const char *account, const char *nonce, const char *from)
{
    release_job *j = calloc(1, sizeof *j);
    if (!j) return; /* the other side times out and refuses its login */
    j->s = s;
    snprintf(j->account, sizeof j->account, "%s", account);
    snprintf(j->nonce, sizeof j->nonce, "%s", nonce);
    snprintf(j->to, sizeof j->to, "%s", from);
    cw_session *se = find_by_name(s, account);
    if (se) {
        j->account_id = se->account_id;
        cw_log(CW_LOG_INFO, "takeover: the account logged in on another server",
               CW_S("account", se->account), CW_S("server", from), CW_END);
        se->nonce[0] = '\0'; /* the entry is the other server's now */
        cw_session_kick_out(s, se, "logged_in_elsewhere", NULL, NULL, NULL);
    }
    /* Every loaded character of the account is saved before the answer: the
     * one just kicked, and any other still in memory (a hand-off in flight,
     * an unsaved logout). */
    ids x = {.account_id = j->account_id};
    if (j->account_id) cw_players_each(s->players, collect, &x);
    j->left = 1;
    for (int i = 0; i < x.n; i++) {
        j->left++;
        cw_saver_flush(s, x.v[i], one_saved, j);
    }
    free(x.v);
    one_saved(j, 0);
}

static void released_heard(cw_server *s, const char *nonce, int saved)
{
    cw_claims *k = s->accounts->claims;
    for (waiter *w = k->waiting; w; w = w->next)
        if (!strcmp(w->nonce, nonce)) {
            if (!saved)
                cw_log(CW_LOG_WARN, "takeover: the other server could not save the character",
                       CW_S("account", w->account), CW_S("server", w->prev_server), CW_END);
            finish_wait(w, saved ? 0 : CW_EUNAVAIL);
            return;
        }
}

static void on_message(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    /* Also while stopping: until the final save is done, the entries here
     * still stand, and a takeover still gets its answer after a save. */
    if (!s->accounts || !s->accounts->claims) return;
    json_t *o = json_loadb(msg, len, 0, NULL);
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *nonce = json_string_value(json_object_get(o, "nonce"));
    const char *account = json_string_value(json_object_get(o, "account"));
    if (!op || !nonce || strlen(nonce) > CW_CACHE_NONCE_MAX || !account ||
        !cw_name_valid(account, strlen(account))) {
        cw_log(CW_LOG_WARN, "account channel: unreadable message", CW_END);
    } else if (!strcmp(op, "takeover")) {
        const char *from = json_string_value(json_object_get(o, "from"));
        if (from && valid_server(from)) takeover_asked(s, account, nonce, from);
    } else if (!strcmp(op, "released")) {
        released_heard(s, nonce, json_is_true(json_object_get(o, "saved")));
    }
    json_decref(o);
}

/* ---- after a reconnect: claim what lives here again ----------------------------------- */

typedef struct reclaim {
    cw_server *s;
    uint64_t conn_id;
    int64_t account_id;
    char account[CW_NAME_MAX + 1];
    char nonce[CW_CLAIM_NONCE_LEN + 1];
} reclaim;

static void reclaimed(void *ud, int rc, const char *prev_server, const char *prev_nonce, int alive)
{
    reclaim *r = ud;
    cw_server *s = r->s;
    if (rc == 0 && prev_server && alive && strcmp(prev_server, s->cfg.server_name) != 0 &&
        !s->stopping && s->net) {
        /* Another server took the account over while Redis was away from us:
         * its entry goes back, and the session here ends. */
        cw_cache_account_release(s->cache, r->account, r->nonce, prev_server, prev_nonce);
        cw_conn *c = cw_net_find(s->net, r->conn_id);
        cw_session *se = cw_session_of(c);
        if (se && se->account_id == r->account_id && !strcmp(se->nonce, r->nonce)) {
            se->nonce[0] = '\0';
            cw_session_kick_out(s, se, "logged_in_elsewhere", NULL, NULL, NULL);
        }
    }
    free(r);
}

void cw_claims_rebuild(cw_server *s)
{
    if (!s->cache || !s->accounts) return;
    for (cw_session *se = s->accounts->sessions; se; se = se->next) {
        if (!se->account_id || !se->nonce[0]) continue;
        reclaim *r = calloc(1, sizeof *r);
        if (!r) return;
        *r = (reclaim){.s = s, .conn_id = se->conn_id, .account_id = se->account_id};
        snprintf(r->account, sizeof r->account, "%s", se->account);
        snprintf(r->nonce, sizeof r->nonce, "%s", se->nonce);
        if (cw_cache_account_claim(s->cache, se->account, se->nonce, reclaimed, r) != 0) free(r);
    }
}

void cw_claims_shutdown(cw_server *s)
{
    if (!s->accounts) return;
    for (cw_session *se = s->accounts->sessions; se; se = se->next)
        if (se->account_id) cw_claim_unclaim(s, se);
}

void cw_claims_kick_banned(cw_server *s, const char *account, const char *text)
{
    if (!s->cache) return;
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:s}", "op", "kick", "account", account, "reason",
                            "banned", "text", text ? text : "", "from", s->cfg.server_name);
    char *out = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    int rc = out ? cw_cache_publish(s->cache, BROADCAST_CHANNEL, out, strlen(out)) : CW_ENOMEM;
    free(out);
    if (rc != 0)
        cw_log(CW_LOG_WARN, "ban not sent to the other servers (it holds at their next login)",
               CW_S("account", account), CW_S("error", cw_err_name(rc)), CW_END);
}

/* chaos:account: a ban given on another server kicks the account's session
 * here. Only "banned" is accepted: the channel carries nothing else. */
static void on_broadcast(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    if (!s->accounts || s->stopping) return;
    json_t *o = json_loadb(msg, len, 0, NULL);
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *account = json_string_value(json_object_get(o, "account"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    const char *text = json_string_value(json_object_get(o, "text"));
    const char *from = json_string_value(json_object_get(o, "from"));
    if (!op || strcmp(op, "kick") != 0 || !account || !reason || strcmp(reason, "banned") != 0 ||
        !from) {
        cw_log(CW_LOG_WARN, "account channel: unreadable message", CW_END);
    } else if (strcmp(from, s->cfg.server_name) != 0) { /* the origin kicked its own already */
        for (cw_session *se = s->accounts->sessions; se; se = se->next) {
            if (se->account_id == 0 || strcasecmp(se->account, account) != 0) continue;
            cw_log(CW_LOG_INFO, "account banned on another server: kicked here",
                   CW_S("account", se->account), CW_S("server", from), CW_END);
            cw_session_kick_out(s, se, "banned", text ? text : "", NULL, NULL);
            break;
        }
    }
    json_decref(o);
}

int cw_claims_start(cw_server *s, cw_error *err)
{
    cw_claims *k = calloc(1, sizeof *k);
    if (!k) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->accounts->claims = k;
    snprintf(k->channel, sizeof k->channel, "%s%s", CHANNEL_PREFIX, s->cfg.server_name);
    if (!s->cache) return 0;
    int rc = cw_cache_subscribe(s->cache, k->channel, on_message, s);
    if (rc != 0) return cw_error_set(err, rc, "cannot subscribe to %s", k->channel);
    rc = cw_cache_subscribe(s->cache, BROADCAST_CHANNEL, on_broadcast, s);
    if (rc != 0) return cw_error_set(err, rc, "cannot subscribe to %s", BROADCAST_CHANNEL);
    return 0;
}

void cw_claims_status(cw_server *s, cw_strbuf *out)
{
    cw_claims *k = s->accounts ? s->accounts->claims : NULL;
    if (!k) return;
    int waiting = 0;
    for (waiter *w = k->waiting; w; w = w->next)
        waiting++;
    cw_strbuf_printf(out,
                     ",\"takeovers\":{\"asked\":%llu,\"released\":%llu,\"timeouts\":%llu,"
                     "\"waiting\":%d}",
                     (unsigned long long)k->takeovers, (unsigned long long)k->released,
                     (unsigned long long)k->timeouts, waiting);
}

void cw_claims_free(cw_server *s)
{
    cw_claims *k = s->accounts ? s->accounts->claims : NULL;
    if (!k) return;
    while (k->waiting)
        finish_wait(k->waiting, CW_EUNAVAIL);
    free(k);
    s->accounts->claims = NULL;
}
