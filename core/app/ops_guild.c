/* ops_guild.c — guild_create and guild_roster (see guild_app.h):
 * guild_create pays its fee through the value-transaction path and answers
 * after the commit; guild_roster reads the caller's guild from the store. */
#include "core/app/guild_app.h"

#include "core/app/accounts.h"
#include "core/base/log.h"
#include "core/base/strbuf.h"
#include "core/base/text.h"
#include "core/game/players.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"

#include <stdio.h>
#include <stdlib.h>

/* A creation: made by the op, passed through the store call, then kept in
 * the app's list (keyed by token) until the fee's commit answered. */
typedef struct creation {
    cw_server *s;
    cw_pending *pend;
    int64_t char_id, guild_id;
    int64_t fee; /* the rule when it was asked: what it pays */
    uint64_t token;
    char name[CW_GUILD_NAME_MAX + 1];
    struct creation *next;
} creation;

struct cw_guild_app {
    creation *waiting; /* fee queued, commit not answered yet */
};

static void creation_free(creation *cr)
{
    cw_pending_free(cr->pend);
    free(cr);
}

static double rule(const char *name, double v, double lo, double hi, double dflt)
{
    if (v == -1) return dflt; /* not given */
    if (v >= lo && v <= hi && v == (double)(int64_t)v) return v;
    cw_log(CW_LOG_WARN, "guild rule out of range: default kept", CW_S("rule", name), CW_END);
    return dflt;
}

void cw_guild_app_rules(cw_server *s, double fee, double members, double invite_s)
{
    s->guild_rules.fee = (int64_t)rule("guild_fee", fee, 0, 1e12, CW_GUILD_FEE);
    s->guild_rules.members =
        (int)rule("guild_members", members, 1, CW_GUILD_MEMBERS_MAX, CW_GUILD_MEMBERS);
    s->guild_rules.invite_s =
        (int)rule("guild_invite_s", invite_s, 1, 30 * 86400, CW_GUILD_INVITE_TTL_S);
}

cw_player *cw_guild_caller(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *p = se && se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    if (!p || !p->online) {
        cw_conn_reply_error(c, req->id_json, "not_in_world", "enter_world first");
        return NULL;
    }
    if (!s->store || s->store_closing || s->stopping) {
        cw_conn_reply_error(c, req->id_json, "unavailable", "the server is shutting down");
        return NULL;
    }
    return p;
}

static void on_undone(void *ud, int rc, const cw_guild *g)
{
    (void)ud;
    if (rc != 0)
        cw_log(CW_LOG_ERROR, "guild creation not undone", CW_I("guild", g->id),
               CW_S("error", cw_err_name(rc)), CW_END);
}

/* The fee was not paid: the guild goes again. */
static void undo(creation *cr)
{
    cw_server *s = cr->s;
    if (s->store && !s->store_closing)
        cw_store_guild_delete(s->store, cr->guild_id, on_undone, NULL);
    else
        cw_log(CW_LOG_ERROR, "guild creation not undone: store closing",
               CW_I("guild", cr->guild_id), CW_END);
}

static void on_fee_recorded(void *ud, int rc, const cw_guild *g)
{
    (void)ud;
    if (rc != 0)
        cw_log(CW_LOG_ERROR, "guild fee not recorded", CW_I("guild", g->id),
               CW_S("error", cw_err_name(rc)), CW_END);
}

static void no_gold(cw_pending *pend, int64_t fee)
{
    char msg[96];
    snprintf(msg, sizeof msg, "a guild costs %lld gold", (long long)fee);
    cw_pending_error(pend, "no_gold", msg);
}

/* The fee committed (or there was none): the founder's guild id, the fee on
 * record, the answer. */
static void founded(cw_server *s, creation *cr)
{
    if (s->store && !s->store_closing && cr->fee > 0)
        cw_store_guild_set_fee(s->store, cr->guild_id, cr->fee, on_fee_recorded, NULL);
    cw_player *p = cw_players_get(s->players, cr->char_id);
    if (p) p->guild_id = cr->guild_id; /* guild chat from now on */
    cw_strbuf b = CW_STRBUF_INIT;
    int brc = cw_strbuf_printf(&b, "{\"guild\":{\"id\":%lld,\"name\":", (long long)cr->guild_id);
    brc |= cw_strbuf_json_str(&b, cr->name);
    brc |= cw_strbuf_printf(&b, ",\"fee\":%lld}}", (long long)cr->fee);
    if (brc == 0)
        cw_pending_ok(cr->pend, b.data, b.len);
    else
        cw_pending_error(cr->pend, "internal", "out of memory");
    cw_strbuf_free(&b);
    cw_log(CW_LOG_INFO, "guild created", CW_I("guild", cr->guild_id), CW_S("name", cr->name),
           CW_I("leader", cr->char_id), CW_I("fee", cr->fee), CW_I("grant", (int64_t)cr->token),
           CW_END);
}

static void on_created(void *ud, int rc, const cw_guild *g)
{
    creation *cr = ud;
    cw_server *s = cr->s;
    if (rc == CW_EEXIST) {
        cw_pending_error(cr->pend, "name_taken", "a guild of that name exists");
    } else if (rc == CW_ESTATE) {
        cw_pending_error(cr->pend, "in_guild", "you are in a guild already");
    } else if (rc != 0) {
        cw_pending_error(cr->pend, rc == CW_EUNAVAIL ? "unavailable" : "internal", cw_err_name(rc));
    }
    if (rc != 0) {
        creation_free(cr);
        return;
    }
    cr->guild_id = g->id;
    cw_player *p = s->stopping ? NULL : cw_players_get(s->players, cr->char_id);
    if (!p || !s->guild) {
        cw_pending_error(cr->pend, "unavailable", "your character is gone");
        undo(cr);
        creation_free(cr);
        return;
    }
    if (cr->fee == 0) { /* a free guild: nothing to pay, nothing to wait for */
        founded(s, cr);
        creation_free(cr);
        return;
    }
    char reason[96];
    snprintf(reason, sizeof reason, "guild fee");
    cw_txn_spec t = {.gold = -cr->fee, .reason = reason};
    int qrc = cw_player_gold_can_give(p, cr->fee) ? cw_txn_queue(s, p, &t, &cr->token) : CW_EINVAL;
    if (qrc != 0) {
        if (qrc == CW_EINVAL)
            no_gold(cr->pend, cr->fee);
        else
            cw_pending_error(cr->pend, qrc == CW_EUNAVAIL ? "unavailable" : "internal",
                             cw_err_name(qrc));
        undo(cr);
        creation_free(cr);
        return;
    }
    cr->next = s->guild->waiting;
    s->guild->waiting = cr;
    cw_saver_commit_soon(s);
}

void cw_op_guild_create(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = cw_guild_caller(s, c, req);
    if (!p) return;
    const char *name;
    size_t len;
    if (cw_req_string(c, req, "name", &name, &len) != 0) return;
    cw_text_verdict v = cw_text_check(name, len, CW_GUILD_NAME_MAX);
    if (v != CW_TEXT_OK) {
        char msg[128];
        snprintf(msg, sizeof msg, "the guild name %s (printable UTF-8, 1..%d bytes)",
                 cw_text_verdict_message(v), CW_GUILD_NAME_MAX);
        cw_conn_reply_error(c, req->id_json, "bad_name", msg);
        return;
    }
    /* Checked before the store is asked, and again when the fee is queued. */
    int64_t fee = s->guild_rules.fee;
    if (fee > 0 && !cw_player_gold_can_give(p, fee)) {
        char msg[96];
        snprintf(msg, sizeof msg, "a guild costs %lld gold", (long long)fee);
        cw_conn_reply_error(c, req->id_json, "no_gold", msg);
        return;
    }
    if (!s->guild && !(s->guild = calloc(1, sizeof *s->guild))) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    creation *cr = calloc(1, sizeof *cr);
    if (cr) cr->pend = cw_pending_new(s, c, req);
    if (!cr || !cr->pend) {
        free(cr);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cr->s = s;
    cr->char_id = p->id;
    cr->fee = fee;
    snprintf(cr->name, sizeof cr->name, "%.*s", (int)len, name);
    cw_store_guild_create(s->store, cr->name, p->id, on_created, cr);
}

int cw_guild_app_txn_done(cw_server *s, uint64_t token, int rc)
{
    if (!s->guild || token == 0) return 0;
    creation **at = &s->guild->waiting;
    while (*at && (*at)->token != token)
        at = &(*at)->next;
    creation *cr = *at;
    if (!cr) return 0;
    *at = cr->next;
    if (rc != 0) {
        cw_pending_error(cr->pend, "txn_failed", "the fee was not paid; no guild");
        undo(cr);
    } else {
        founded(s, cr);
    }
    creation_free(cr);
    return 1;
}

int cw_guild_json(cw_strbuf *b, const cw_guild *g)
{
    int brc = cw_strbuf_printf(b, "{\"id\":%lld,\"name\":", (long long)g->id);
    brc |= cw_strbuf_json_str(b, g->name);
    brc |= cw_strbuf_printf(b, ",\"leader\":%lld,\"fee\":%lld,\"members\":[",
                            (long long)g->leader_id, (long long)g->fee);
    for (int i = 0; i < g->nmembers; i++) {
        brc |= cw_strbuf_printf(b, "%s{\"id\":%lld,\"name\":", i ? "," : "",
                                (long long)g->members[i].character_id);
        brc |= cw_strbuf_json_str(b, g->members[i].name);
        brc |= cw_strbuf_puts(b, ",\"rank\":");
        brc |= cw_strbuf_json_str(b, g->members[i].rank);
        brc |= cw_strbuf_puts(b, "}");
    }
    brc |= cw_strbuf_puts(b, "]}");
    return brc ? CW_ENOMEM : 0;
}

/* Roster: the pending answered with the guild as JSON. */
static void on_roster(void *ud, int rc, const cw_guild *g)
{
    cw_pending *pend = ud;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(pend, "no_guild", "you are in no guild");
    } else if (rc != 0) {
        cw_pending_error(pend, rc == CW_EUNAVAIL ? "unavailable" : "internal", cw_err_name(rc));
    } else {
        cw_strbuf b = CW_STRBUF_INIT;
        int brc = cw_strbuf_puts(&b, "{\"guild\":");
        brc |= cw_guild_json(&b, g);
        brc |= cw_strbuf_puts(&b, "}");
        if (brc == 0)
            cw_pending_ok(pend, b.data, b.len);
        else
            cw_pending_error(pend, "internal", "out of memory");
        cw_strbuf_free(&b);
    }
    cw_pending_free(pend);
}

void cw_op_guild_roster(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_player *p = cw_guild_caller(s, c, req);
    if (!p) return;
    cw_pending *pend = cw_pending_new(s, c, req);
    if (!pend) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cw_store_guild_of(s->store, p->id, on_roster, pend);
}

void cw_guild_app_free(cw_server *s)
{
    if (!s->guild) return;
    while (s->guild->waiting) {
        creation *cr = s->guild->waiting;
        s->guild->waiting = cr->next;
        cw_pending_error(cr->pend, "unavailable", "the server is shutting down");
        creation_free(cr);
    }
    free(s->guild);
    s->guild = NULL;
}
