/* ops_character.c — characters, create_character, delete_character,
 * enter_world (move: ops_world.c). Races and jobs are content: create_character asks the
 * live generation whether the ids exist (cw_host_has_def). */
#include "core/app/accounts.h"
#include "core/app/cluster.h"
#include "core/app/script_app.h"
#include "core/app/world_app.h"

#include "core/base/clock.h"
#include "core/base/jsonvalid.h"
#include "core/base/log.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"
#include "core/script/host.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int store_ready(cw_server *s, cw_conn *c, const cw_request *req)
{
    if (s->store && !s->store_closing) return 1;
    cw_conn_reply_error(c, req->id_json, "unavailable", "the server is shutting down");
    return 0;
}

static void unavailable(cw_pending *p)
{
    cw_pending_error(p, "unavailable", "characters are unavailable; try again later");
}

/* A stored document taken apart for cw_players_add: gold and exp (the
 * committed values; anything but a non-negative integer counts as 0), the
 * script data namespaces under "data" (an entry with a bad name or a value
 * that is not an object cw_json_object_valid accepts is dropped and logged), and the rest of the
 * document without "data" (the saver writes gold, exp and data back at every save). The namespace
 * names point into d->json_data: valid until doc_parts_free. */
typedef struct doc_parts {
    int64_t gold, exp;
    char *rest;
    json_t *json_data;
    cw_txn_data *data;
    int ndata;
} doc_parts;

static int64_t doc_count(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

static void doc_parts_free(doc_parts *d)
{
    for (int i = 0; i < d->ndata; i++)
        free((char *)d->data[i].json);
    free(d->data);
    free(d->rest);
    json_decref(d->json_data);
}

static int doc_split(const char *doc, int64_t char_id, doc_parts *d)
{
    memset(d, 0, sizeof *d);
    json_t *o = doc ? json_loads(doc, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    if (!o) return CW_ENOMEM;
    d->gold = doc_count(o, "gold");
    d->exp = doc_count(o, "exp");
    json_t *data = json_object_get(o, "data");
    if (json_is_object(data)) d->json_data = json_incref(data);
    json_object_del(o, "data");
    d->rest = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    size_t n = json_object_size(d->json_data);
    if (!d->rest || (n && !(d->data = calloc(n, sizeof *d->data)))) return CW_ENOMEM;
    const char *ns;
    json_t *v;
    json_object_foreach(d->json_data, ns, v)
    {
        if (!json_is_object(v) || !cw_player_data_ns_valid(ns)) {
            cw_log(CW_LOG_WARN, "stored script data dropped: bad namespace or not an object",
                   CW_I("character", char_id), CW_S("namespace", ns), CW_END);
            continue;
        }
        char *text = json_dumps(v, JSON_COMPACT);
        if (!text) return CW_ENOMEM;
        if (cw_json_object_valid(text, strlen(text)) != 0) { /* e.g. nested too deep */
            cw_log(CW_LOG_WARN, "stored script data dropped: not accepted as script data",
                   CW_I("character", char_id), CW_S("namespace", ns), CW_END);
            free(text);
            continue;
        }
        d->data[d->ndata++] = (cw_txn_data){ns, text, strlen(text)};
    }
    return 0;
}

void cw_player_json(cw_strbuf *b, const cw_player *p)
{
    cw_strbuf_printf(b, "{\"id\":%lld,\"name\":", (long long)p->id);
    cw_strbuf_json_str(b, p->name);
    cw_strbuf_puts(b, ",\"race\":");
    cw_strbuf_json_str(b, p->race);
    cw_strbuf_puts(b, ",\"job\":");
    cw_strbuf_json_str(b, p->job);
    cw_strbuf_printf(b, ",\"level\":%d,\"zone\":", p->level);
    cw_strbuf_json_str(b, p->zone);
    cw_strbuf_printf(b, ",\"x\":%.17g,\"y\":%.17g,\"gold\":%lld,\"exp\":%lld}", p->x, p->y,
                     (long long)p->gold, (long long)p->exp);
}

static void row_json(cw_strbuf *b, const cw_character *ch)
{
    cw_strbuf_printf(b, "{\"id\":%lld,\"name\":", (long long)ch->id);
    cw_strbuf_json_str(b, ch->name);
    cw_strbuf_puts(b, ",\"race\":");
    cw_strbuf_json_str(b, ch->race);
    cw_strbuf_puts(b, ",\"job\":");
    cw_strbuf_json_str(b, ch->job);
    cw_strbuf_printf(b, ",\"level\":%d}", ch->level);
}

/* ---- characters ------------------------------------------------------------------ */

static void listed(void *ud, int rc, const cw_character *chs, int n)
{
    cw_pending *p = ud;
    if (rc != 0) {
        unavailable(p);
    } else {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_puts(&b, "{\"characters\":[");
        for (int i = 0; i < n; i++) {
            if (i) cw_strbuf_puts(&b, ",");
            row_json(&b, &chs[i]);
        }
        cw_strbuf_puts(&b, "]}");
        cw_pending_ok(p, b.data, b.len);
        cw_strbuf_free(&b);
    }
    cw_pending_free(p);
}

void cw_op_characters(cw_server *s, cw_conn *c, const cw_request *req)
{
    if (!store_ready(s, c, req)) return;
    cw_pending *p = cw_pending_new(s, c, req);
    if (!p) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cw_store_characters_list(s->store, cw_session_of(c)->account_id, listed, p);
}

/* ---- create_character --------------------------------------------------------------- */

static void created(void *ud, int rc, const cw_character *ch)
{
    cw_pending *p = ud;
    if (rc == 0) {
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_puts(&b, "{\"character\":");
        row_json(&b, ch);
        cw_strbuf_puts(&b, "}");
        cw_pending_ok(p, b.data, b.len);
        cw_strbuf_free(&b);
        cw_log(CW_LOG_INFO, "character created", CW_I("character", ch->id), CW_S("name", ch->name),
               CW_I("account", ch->account_id), CW_END);
    } else if (rc == CW_EEXIST) {
        cw_pending_error(p, "name_taken", "a character with that name exists");
    } else {
        unavailable(p);
    }
    cw_pending_free(p);
}

static int def_field(cw_server *s, cw_conn *c, const cw_request *req, const char *field,
                     const char **out)
{
    size_t len;
    if (cw_req_string(c, req, field, out, &len)) return CW_EINVAL;
    if (len > CW_DEF_ID_MAX || !cw_host_has_def(s->host, field, *out)) {
        char msg[160];
        snprintf(msg, sizeof msg, "\"%s\" names no %s of the content", field, field);
        cw_conn_reply_error(c, req->id_json, "bad_field", msg);
        return CW_EINVAL;
    }
    return 0;
}

/* A create waiting for the count of the account's characters (the cap,
 * account.max_characters). The strings are copies: the request is gone. */
typedef struct create_req {
    cw_pending *p;
    int64_t account_id;
    char name[CW_NAME_MAX + 1];
    char race[CW_DEF_ID_MAX + 1];
    char job[CW_DEF_ID_MAX + 1];
} create_req;

/* The account's characters are counted: create the new one if there is room.
 * The count and the insert are two jobs of the store's one worker, so
 * nothing of this server comes between them (and this connection's next
 * request waits for the answer); servers sharing a database could each
 * pass the check at the same moment and leave an account one over. */
static void counted(void *ud, int rc, const cw_character *chs, int n)
{
    (void)chs;
    create_req *cr = ud;
    cw_server *s = cr->p->s;
    int cap = s->cfg.account_max_characters;
    if (rc != 0) {
        unavailable(cr->p);
    } else if (n >= cap) {
        char msg[96];
        snprintf(msg, sizeof msg, "an account may have at most %d character%s", cap,
                 cap == 1 ? "" : "s");
        cw_pending_error(cr->p, "too_many_characters", msg);
    } else if (!s->store || s->store_closing) {
        unavailable(cr->p);
    } else {
        const char *zone;
        double x, y;
        cw_world_app_start_point(s, &zone, &x, &y);
        cw_character ch = {
            .account_id = cr->account_id,
            .name = cr->name,
            .race = cr->race,
            .job = cr->job,
            .level = 1,
            .zone = zone,
            .x = x,
            .y = y,
            .doc = "{\"gold\":0,\"exp\":0}", /* starting value: 0, so no ledger row */
        };
        cw_store_character_create(s->store, &ch, created, cr->p); /* created frees p */
        free(cr);
        return;
    }
    cw_pending_free(cr->p);
    free(cr);
}

void cw_op_create_character(cw_server *s, cw_conn *c, const cw_request *req)
{
    const char *name, *race, *job;
    size_t nlen;
    if (cw_req_string(c, req, "name", &name, &nlen)) return;
    if (!cw_name_valid(name, nlen)) {
        cw_conn_reply_error(c, req->id_json, "bad_field",
                            "\"name\" must be 3 to 24 characters of A-Z, a-z, 0-9 and _");
        return;
    }
    if (def_field(s, c, req, "race", &race) || def_field(s, c, req, "job", &job)) return;
    if (!store_ready(s, c, req)) return;
    create_req *cr = calloc(1, sizeof *cr);
    if (cr) cr->p = cw_pending_new(s, c, req);
    if (!cr || !cr->p) {
        free(cr);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cr->account_id = cw_session_of(c)->account_id;
    snprintf(cr->name, sizeof cr->name, "%s", name);
    snprintf(cr->race, sizeof cr->race, "%s", race);
    snprintf(cr->job, sizeof cr->job, "%s", job);
    cw_store_characters_list(s->store, cr->account_id, counted, cr);
}

/* ---- delete_character ----------------------------------------------------------------- */

typedef struct del_req {
    cw_pending *p;
    int64_t id;
} del_req;

static void deleted(void *ud, int rc)
{
    del_req *d = ud;
    cw_server *s = d->p->s;
    if (rc == 0) {
        /* An unsaved copy left in memory must not be saved again. */
        cw_player *pl = cw_players_get(s->players, d->id);
        if (pl && !pl->online) cw_players_remove(s->players, d->id);
        cw_pending_ok(d->p, NULL, 0);
        cw_log(CW_LOG_INFO, "character deleted", CW_I("character", d->id), CW_END);
    } else if (rc == CW_ENOTFOUND) {
        cw_pending_error(d->p, "not_found", "no such character on this account");
    } else {
        unavailable(d->p);
    }
    cw_pending_free(d->p);
    free(d);
}

void cw_op_delete_character(cw_server *s, cw_conn *c, const cw_request *req)
{
    int64_t id;
    cw_session *se = cw_session_of(c);
    if (cw_req_int(c, req, "character", &id)) return;
    /* in_world only for this account's own character: whether someone
     * else's is online is not told (theirs go to the store, which answers
     * not_found for another account's id like for a missing one). */
    cw_player *pl = cw_players_get(s->players, id);
    if (id == se->char_id || (pl && pl->online && pl->account_id == se->account_id)) {
        cw_conn_reply_error(c, req->id_json, "in_world", "that character is in the world");
        return;
    }
    if (!store_ready(s, c, req)) return;
    del_req *d = calloc(1, sizeof *d);
    if (d) d->p = cw_pending_new(s, c, req);
    if (!d || !d->p) {
        free(d);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    d->id = id;
    cw_store_character_delete(s->store, se->account_id, id, deleted, d);
}

/* ---- enter_world ------------------------------------------------------------------------ */

typedef struct enter_req {
    cw_pending *p;
    int64_t account_id;
} enter_req;

static void attach(cw_server *s, cw_session *se, cw_player *pl, cw_pending *p)
{
    pl->online = 1;
    pl->conn_id = se->conn_id;
    int64_t eid = cw_world_app_enter(s, pl); /* places pl: zone, x, y */
    if (eid < 0) {
        pl->online = 0;
        pl->conn_id = 0;
        cw_pending_error(p, "internal", "cannot place the character in the world");
        return;
    }
    se->char_id = pl->id;
    cw_presence_enter(s, pl);
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"character\":");
    cw_player_json(&b, pl);
    cw_strbuf_printf(&b, ",\"entity\":%lld,\"speed\":%.17g}", (long long)eid,
                     cw_world_app_speed(s, pl));
    cw_pending_ok(p, b.data, b.len);
    cw_strbuf_free(&b);
    cw_world_app_show(s, pl); /* enter events, after the answer */
    cw_fire_enter_world(s, pl);
    cw_log(CW_LOG_INFO, "character entered the world", CW_I("character", pl->id),
           CW_S("name", pl->name), CW_I("version", pl->version), CW_END);
}

/* Enters pl here, or — its zone is another process' — hands it over
 * (answered either way; p is taken over). */
static void enter_here_or_there(cw_server *s, cw_session *se, cw_player *pl, cw_pending *p)
{
    const char *owner = cw_cluster_owner(s, pl->zone);
    if (owner) {
        cw_handoff_start(s, pl->id, owner, pl->zone, pl->x, pl->y, p, 0, "enter");
        return;
    }
    attach(s, se, pl, p);
    cw_pending_free(p);
}

static void loaded(void *ud, int rc, const cw_character *ch)
{
    enter_req *e = ud;
    cw_server *s = e->p->s;
    cw_session *se = cw_session_of(cw_pending_conn(e->p));
    if (se) se->busy = 0;
    if (!se || se->account_id != e->account_id) {
        /* logged out or taken over meanwhile: nothing to answer */
    } else if (rc == CW_ENOTFOUND) {
        cw_pending_error(e->p, "not_found", "no such character on this account");
    } else if (rc != 0) {
        unavailable(e->p);
    } else {
        cw_player *pl = cw_players_get(s->players, ch->id);
        int arc = 0;
        if (!pl) {
            doc_parts parts;
            arc = doc_split(ch->doc, ch->id, &parts);
            cw_player_init in = {
                .id = ch->id,
                .account_id = ch->account_id,
                .version = ch->version,
                .name = ch->name,
                .race = ch->race,
                .job = ch->job,
                .zone = ch->zone,
                .doc = parts.rest,
                .level = ch->level,
                .x = ch->x,
                .y = ch->y,
                .gold = parts.gold,
                .exp = parts.exp,
                .data = parts.data,
                .ndata = parts.ndata,
                .inv_slots = s->cfg.game_inventory_slots,
            };
            cw_item_init *items = NULL;
            if (arc == 0 && ch->nitems > 0) {
                items = calloc((size_t)ch->nitems, sizeof *items);
                if (!items) arc = CW_ENOMEM;
                for (int i = 0; items && i < ch->nitems; i++)
                    items[i] = (cw_item_init){.uid = ch->items[i].uid,
                                              .stack = ch->items[i].stack,
                                              .version = ch->items[i].version,
                                              .tmpl = ch->items[i].template_id,
                                              .place = ch->items[i].place,
                                              .props = ch->items[i].props};
                in.items = items;
                in.nitems = ch->nitems;
            }
            if (arc == 0) arc = cw_players_add(s->players, &in, &pl);
            if (arc == CW_EINVAL)
                cw_log(CW_LOG_ERROR, "stored character refused: bad item rows",
                       CW_I("character", ch->id), CW_END);
            free(items);
            doc_parts_free(&parts);
        }
        if (arc == 0 && !pl->online)
            pl->guild_id = ch->guild_id; /* guild chat from the first request on */
        if (arc != 0 || pl->online) {
            cw_pending_error(e->p, arc ? "internal" : "busy",
                             arc ? "out of memory" : "that character is in the world");
        } else {
            enter_here_or_there(s, se, pl, e->p);
            e->p = NULL;
        }
    }
    cw_pending_free(e->p);
    free(e);
}

void cw_op_enter_world(cw_server *s, cw_conn *c, const cw_request *req)
{
    int64_t id;
    cw_session *se = cw_session_of(c);
    if (cw_req_int(c, req, "character", &id)) return;
    if (se->busy) {
        cw_conn_reply_error(c, req->id_json, "busy", "another request of this session is running");
        return;
    }
    if (se->char_id) {
        cw_conn_reply_error(c, req->id_json, "in_world", "already in the world; log out first");
        return;
    }
    if (cw_handoff_busy(s, id)) {
        cw_conn_reply_error(c, req->id_json, "busy", "that character is being handed off");
        return;
    }
    cw_pending *p = cw_pending_new(s, c, req);
    if (!p) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    cw_enter_world_load(s, se, id, p);
}

void cw_enter_world_load(cw_server *s, cw_session *se, int64_t id, cw_pending *p)
{
    cw_player *pl = cw_players_get(s->players, id);
    if (pl && pl->stale && !pl->saving_seq && !pl->online) {
        /* Our copy lost a version race: forget it, read the row again. */
        cw_players_remove(s->players, id);
        pl = NULL;
    }
    if (pl) {
        /* Still in memory (unsaved, or being saved): continue from it. */
        if (pl->account_id != se->account_id)
            cw_pending_error(p, "not_found", "no such character on this account");
        else if (pl->online)
            cw_pending_error(p, "busy", "that character is in the world");
        else {
            enter_here_or_there(s, se, pl, p);
            return;
        }
        cw_pending_free(p);
        return;
    }
    enter_req *e = NULL;
    if (!s->store || s->store_closing) {
        cw_pending_error(p, "unavailable", "the server is shutting down");
        cw_pending_free(p);
        return;
    }
    if (!(e = calloc(1, sizeof *e))) {
        cw_pending_error(p, "internal", "out of memory");
        cw_pending_free(p);
        return;
    }
    e->p = p;
    e->account_id = se->account_id;
    se->busy = 1;
    cw_store_character_load(s->store, se->account_id, id, loaded, e);
}
