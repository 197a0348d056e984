/* ops_guild_members.c — guild_invite, guild_accept, guild_decline,
 * guild_leave, guild_kick, guild_rank, guild_disband (see guild_app.h), and
 * the guild id each online character carries (cw_player.guild_id).
 *
 * The ops that act on the caller's guild first read it (cw_store_guild_of:
 * the roster with ranks), check the caller's rank against the target's, then
 * submit the change; the answer and the guild_member event go out from the
 * change's store callback, i.e. after its commit. The store keeps the
 * invariants (one leader, one guild per character); a rank that changed
 * between the read and the change is caught there (CW_ESTATE, CW_ENOTFOUND). */
#include "core/app/guild_app.h"

#include "core/app/accounts.h"
#include "core/base/log.h"
#include "core/base/strbuf.h"
#include "core/game/players.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { OP_INVITE, OP_LEAVE, OP_KICK, OP_RANK, OP_DISBAND, OP_ACCEPT, OP_DECLINE };

/* One op in flight: made by the handler, passed through one or two store
 * calls, freed by the last callback (which answers). */
typedef struct gop {
    cw_server *s;
    cw_pending *pend;
    int kind;
    int64_t char_id; /* the caller */
    char actor[CW_NAME_MAX + 1];
    char target[CW_NAME_MAX + 1]; /* invite/kick/rank: as given, then the stored name */
    int64_t target_id;
    char rank[16]; /* rank: the new rank */
    int64_t guild_id;
    char gname[CW_GUILD_NAME_MAX + 1];
} gop;

static void gop_free(gop *o)
{
    cw_pending_free(o->pend);
    free(o);
}

static gop *gop_new(cw_server *s, cw_conn *c, const cw_request *req, const cw_player *p, int kind)
{
    gop *o = calloc(1, sizeof *o);
    if (o) o->pend = cw_pending_new(s, c, req);
    if (!o || !o->pend) {
        free(o);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return NULL;
    }
    o->s = s;
    o->kind = kind;
    o->char_id = p->id;
    snprintf(o->actor, sizeof o->actor, "%s", p->name);
    return o;
}

static void store_failed(gop *o, int rc)
{
    cw_pending_error(o->pend, rc == CW_EUNAVAIL ? "unavailable" : "internal", cw_err_name(rc));
}

/* 1 when the store can take the next step of o; else answers and 0. */
static int store_open(gop *o)
{
    if (o->s->store && !o->s->store_closing && !o->s->stopping) return 1;
    cw_pending_error(o->pend, "unavailable", "the server is shutting down");
    return 0;
}

static void answer_guild(gop *o, const cw_guild *g)
{
    cw_strbuf b = CW_STRBUF_INIT;
    int brc = cw_strbuf_puts(&b, "{\"guild\":");
    brc |= cw_guild_json(&b, g);
    brc |= cw_strbuf_puts(&b, "}");
    if (brc == 0)
        cw_pending_ok(o->pend, b.data, b.len);
    else
        cw_pending_error(o->pend, "internal", "out of memory");
    cw_strbuf_free(&b);
}

static void answer_body(gop *o, const char *body)
{
    cw_pending_ok(o->pend, body, strlen(body));
}

/* {"ev":"guild_member","guild":…,"name":…,"change":…[,"rank":…]} to the
 * online members of guild_id everywhere; clear as for cw_guild_send. */
static void member_event(cw_server *s, int64_t guild_id, const char *name, const char *change,
                         const char *rank, int64_t clear)
{
    if (s->stopping) return;
    cw_strbuf b = CW_STRBUF_INIT;
    int rc = cw_strbuf_printf(
        &b, "{\"ev\":\"guild_member\",\"guild\":%lld,\"name\":", (long long)guild_id);
    rc |= cw_strbuf_json_str(&b, name);
    rc |= cw_strbuf_printf(&b, ",\"change\":\"%s\"", change);
    if (rank) {
        rc |= cw_strbuf_puts(&b, ",\"rank\":");
        rc |= cw_strbuf_json_str(&b, rank);
    }
    rc |= cw_strbuf_puts(&b, "}");
    if (rc == 0) cw_guild_send(s, guild_id, b.data, b.len, clear);
    cw_strbuf_free(&b);
}

static const cw_guild_member *member_named(const cw_guild *g, const char *name)
{
    for (int i = 0; i < g->nmembers; i++)
        if (strcasecmp(g->members[i].name, name) == 0) return &g->members[i];
    return NULL;
}

static const char *rank_of(const cw_guild *g, int64_t char_id)
{
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i].character_id == char_id) return g->members[i].rank;
    return "";
}

static void log_change(const gop *o, const char *what)
{
    cw_log(CW_LOG_INFO, what, CW_I("guild", o->guild_id), CW_I("by", o->char_id),
           CW_S("target", o->target), CW_END);
}

/* ---- step 2: the change committed ------------------------------------------------------ */

static void on_invited(void *ud, int rc, const cw_guild_invite *inv)
{
    gop *o = ud;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(o->pend, "not_found", "no character of that name");
    } else if (rc == CW_EEXIST) {
        cw_pending_error(o->pend, "in_guild", "that character is in a guild already");
    } else if (rc == CW_ELIMIT) {
        cw_pending_error(o->pend, "guild_full", "the guild has no room");
    } else if (rc != 0) {
        store_failed(o, rc);
    } else {
        cw_strbuf b = CW_STRBUF_INIT;
        int brc =
            cw_strbuf_printf(&b, "{\"invite\":{\"guild\":%lld,\"name\":", (long long)inv->guild_id);
        brc |= cw_strbuf_json_str(&b, inv->character_name);
        brc |= cw_strbuf_printf(&b, ",\"expires_at\":%lld}}", (long long)inv->expires_at);
        if (brc == 0)
            cw_pending_ok(o->pend, b.data, b.len);
        else
            cw_pending_error(o->pend, "internal", "out of memory");
        cw_strbuf_reset(&b);
        brc = cw_strbuf_printf(
            &b, "{\"ev\":\"guild_invite\",\"guild\":%lld,\"name\":", (long long)inv->guild_id);
        brc |= cw_strbuf_json_str(&b, inv->guild_name);
        brc |= cw_strbuf_puts(&b, ",\"inviter\":");
        brc |= cw_strbuf_json_str(&b, o->actor);
        brc |= cw_strbuf_puts(&b, "}");
        if (brc == 0 && !o->s->stopping) cw_guild_send_to(o->s, inv->character_id, b.data, b.len);
        cw_strbuf_free(&b);
        snprintf(o->target, sizeof o->target, "%s", inv->character_name);
        log_change(o, "guild invite");
    }
    gop_free(o);
}

static void on_removed(void *ud, int rc, const cw_guild *g)
{
    gop *o = ud;
    int kick = o->kind == OP_KICK;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(o->pend, kick ? "not_found" : "no_guild",
                         kick ? "no member of that name" : "you are in no guild");
    } else if (rc == CW_ESTATE) {
        cw_pending_error(o->pend, kick ? "not_permitted" : "leader_must_transfer",
                         kick ? "the leader cannot be kicked"
                              : "hand the lead to another member first (guild_rank)");
    } else if (rc != 0) {
        store_failed(o, rc);
    } else {
        if (kick)
            answer_guild(o, g);
        else
            answer_body(o, "{\"left\":true}");
        member_event(o->s, o->guild_id, o->target, kick ? "kicked" : "left", NULL, o->target_id);
        log_change(o, kick ? "guild kick" : "guild leave");
    }
    gop_free(o);
}

static void on_ranked(void *ud, int rc, const cw_guild *g)
{
    gop *o = ud;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(o->pend, "not_found", "no member of that name");
    } else if (rc == CW_ESTATE) {
        cw_pending_error(o->pend, "not_permitted", "the leader's rank changes only by a hand-over");
    } else if (rc != 0) {
        store_failed(o, rc);
    } else {
        answer_guild(o, g);
        member_event(o->s, o->guild_id, o->target, "rank", o->rank, 0);
        if (strcmp(o->rank, "leader") == 0)
            member_event(o->s, o->guild_id, o->actor, "rank", "officer", 0);
        cw_log(CW_LOG_INFO, "guild rank", CW_I("guild", o->guild_id), CW_I("by", o->char_id),
               CW_S("target", o->target), CW_S("rank", o->rank), CW_END);
    }
    gop_free(o);
}

static void on_deleted(void *ud, int rc, const cw_guild *g)
{
    gop *o = ud;
    (void)g;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(o->pend, "no_guild", "you are in no guild");
    } else if (rc != 0) {
        store_failed(o, rc);
    } else {
        answer_body(o, "{\"disbanded\":true}");
        member_event(o->s, o->guild_id, o->actor, "disbanded", NULL, -1);
        cw_log(CW_LOG_INFO, "guild disbanded", CW_I("guild", o->guild_id), CW_S("name", o->gname),
               CW_I("by", o->char_id), CW_END);
    }
    gop_free(o);
}

/* ---- step 1: the caller's guild read ---------------------------------------------------- */

static void not_permitted(gop *o, const char *msg)
{
    cw_pending_error(o->pend, "not_permitted", msg);
    gop_free(o);
}

static void on_mine(void *ud, int rc, const cw_guild *g)
{
    gop *o = ud;
    if (rc != 0) {
        if (rc == CW_ENOTFOUND)
            cw_pending_error(o->pend, "no_guild", "you are in no guild");
        else
            store_failed(o, rc);
        gop_free(o);
        return;
    }
    if (!store_open(o)) {
        gop_free(o);
        return;
    }
    cw_store *st = o->s->store;
    o->guild_id = g->id;
    snprintf(o->gname, sizeof o->gname, "%s", g->name);
    const char *mine = rank_of(g, o->char_id);
    int leader = strcmp(mine, "leader") == 0, officer = strcmp(mine, "officer") == 0;
    const cw_guild_member *t = NULL;
    if (o->kind == OP_KICK || o->kind == OP_RANK) {
        t = member_named(g, o->target);
        if (!t) {
            cw_pending_error(o->pend, "not_found", "no member of that name");
            gop_free(o);
            return;
        }
        o->target_id = t->character_id;
        snprintf(o->target, sizeof o->target, "%s", t->name);
    }
    switch (o->kind) {
    case OP_INVITE:
        if (!leader && !officer) {
            not_permitted(o, "only the leader or an officer invites");
            return;
        }
        if (g->nmembers >= o->s->guild_rules.members) {
            cw_pending_error(o->pend, "guild_full", "the guild has no room");
            gop_free(o);
            return;
        }
        cw_store_guild_invite(st, g->id, o->char_id, o->target,
                              (int64_t)time(NULL) + o->s->guild_rules.invite_s,
                              o->s->guild_rules.members, on_invited, o);
        return;
    case OP_LEAVE:
        snprintf(o->target, sizeof o->target, "%s", o->actor);
        o->target_id = o->char_id;
        if (leader && g->nmembers > 1) {
            cw_pending_error(o->pend, "leader_must_transfer",
                             "hand the lead to another member first (guild_rank)");
            gop_free(o);
        } else if (leader) {
            cw_store_guild_delete(st, g->id, on_deleted, o); /* alone: the guild goes */
        } else {
            cw_store_guild_remove(st, g->id, o->char_id, on_removed, o);
        }
        return;
    case OP_KICK:
        if (t->character_id == o->char_id) {
            not_permitted(o, "you cannot kick yourself (guild_leave)");
            return;
        }
        if (!leader && !(officer && strcmp(t->rank, "member") == 0)) {
            not_permitted(o, "the leader kicks anyone, an officer members only");
            return;
        }
        cw_store_guild_remove(st, g->id, t->character_id, on_removed, o);
        return;
    case OP_RANK:
        if (!leader) {
            not_permitted(o, "only the leader sets ranks");
            return;
        }
        if (t->character_id == o->char_id) {
            not_permitted(o, "hand the lead over instead: rank \"leader\" on another member");
            return;
        }
        cw_store_guild_set_rank(st, g->id, t->character_id, o->rank, on_ranked, o);
        return;
    default: /* OP_DISBAND */
        if (!leader) {
            not_permitted(o, "only the leader disbands the guild");
            return;
        }
        cw_store_guild_delete(st, g->id, on_deleted, o);
        return;
    }
}

/* ---- the handlers ------------------------------------------------------------------------ */

/* A valid character name in field, copied into out; or answered bad_field. */
static int name_field(cw_conn *c, const cw_request *req, const char *field, char *out, size_t cap)
{
    const char *v;
    size_t len;
    if (cw_req_string(c, req, field, &v, &len) != 0) return CW_EINVAL;
    if (!cw_name_valid(v, len) || len >= cap) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s \"%s\" is not a character name", req->op, field);
        cw_conn_reply_error(c, req->id_json, "bad_field", msg);
        return CW_EINVAL;
    }
    snprintf(out, cap, "%.*s", (int)len, v);
    return 0;
}

/* The common start: caller, name and rank fields, then the caller's guild. */
static void start(cw_server *s, cw_conn *c, const cw_request *req, int kind)
{
    cw_player *p = cw_guild_caller(s, c, req);
    if (!p) return;
    char target[CW_NAME_MAX + 1] = "", rank[16] = "";
    if ((kind == OP_INVITE || kind == OP_KICK || kind == OP_RANK) &&
        name_field(c, req, "name", target, sizeof target) != 0)
        return;
    if (kind == OP_RANK) {
        const char *v;
        size_t len;
        if (cw_req_string(c, req, "rank", &v, &len) != 0) return;
        if (strcmp(v, "leader") != 0 && strcmp(v, "officer") != 0 && strcmp(v, "member") != 0) {
            cw_conn_reply_error(
                c, req->id_json, "bad_field",
                "guild_rank \"rank\" must be \"leader\", \"officer\" or \"member\"");
            return;
        }
        snprintf(rank, sizeof rank, "%s", v);
    }
    gop *o = gop_new(s, c, req, p, kind);
    if (!o) return;
    memcpy(o->target, target, sizeof target);
    memcpy(o->rank, rank, sizeof rank);
    cw_store_guild_of(s->store, p->id, on_mine, o);
}

void cw_op_guild_invite(cw_server *s, cw_conn *c, const cw_request *req)
{
    start(s, c, req, OP_INVITE);
}

void cw_op_guild_leave(cw_server *s, cw_conn *c, const cw_request *req)
{
    start(s, c, req, OP_LEAVE);
}

void cw_op_guild_kick(cw_server *s, cw_conn *c, const cw_request *req)
{
    start(s, c, req, OP_KICK);
}

void cw_op_guild_rank(cw_server *s, cw_conn *c, const cw_request *req)
{
    start(s, c, req, OP_RANK);
}

void cw_op_guild_disband(cw_server *s, cw_conn *c, const cw_request *req)
{
    start(s, c, req, OP_DISBAND);
}

/* ---- accept / decline: by invite, not by rank --------------------------------------------- */

static void on_answered(void *ud, int rc, const cw_guild *g)
{
    gop *o = ud;
    if (rc == CW_ENOTFOUND) {
        cw_pending_error(o->pend, "no_invite", "no open invite from that guild");
    } else if (rc == CW_EEXIST) {
        cw_pending_error(o->pend, "in_guild", "you are in a guild already");
    } else if (rc == CW_ELIMIT) {
        cw_pending_error(o->pend, "guild_full", "the guild has no room");
    } else if (rc != 0) {
        store_failed(o, rc);
    } else if (o->kind == OP_DECLINE) {
        answer_body(o, "{\"declined\":true}");
    } else {
        o->guild_id = g->id;
        cw_player *p = o->s->stopping ? NULL : cw_players_get(o->s->players, o->char_id);
        if (p) p->guild_id = g->id;
        answer_guild(o, g);
        member_event(o->s, g->id, o->actor, "joined", NULL, 0);
        snprintf(o->target, sizeof o->target, "%s", o->actor);
        log_change(o, "guild join");
    }
    gop_free(o);
}

static void accept_or_decline(cw_server *s, cw_conn *c, const cw_request *req, int kind)
{
    cw_player *p = cw_guild_caller(s, c, req);
    if (!p) return;
    json_t *v = json_object_get((json_t *)req->json, "guild");
    int64_t id = 0;
    const char *name = NULL;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        id = (int64_t)json_integer_value(v);
    } else if (json_is_string(v) && json_string_length(v) > 0 &&
               json_string_length(v) <= CW_GUILD_NAME_MAX) {
        name = json_string_value(v);
    } else {
        char msg[96];
        snprintf(msg, sizeof msg, "%s \"guild\" must be a guild id or name", req->op);
        cw_conn_reply_error(c, req->id_json, "bad_field", msg);
        return;
    }
    gop *o = gop_new(s, c, req, p, kind);
    if (!o) return;
    int64_t now = (int64_t)time(NULL);
    if (kind == OP_ACCEPT)
        cw_store_guild_accept(s->store, id, name, p->id, now, s->guild_rules.members, on_answered,
                              o);
    else
        cw_store_guild_decline(s->store, id, name, p->id, now, on_answered, o);
}

void cw_op_guild_accept(cw_server *s, cw_conn *c, const cw_request *req)
{
    accept_or_decline(s, c, req, OP_ACCEPT);
}

void cw_op_guild_decline(cw_server *s, cw_conn *c, const cw_request *req)
{
    accept_or_decline(s, c, req, OP_DECLINE);
}
