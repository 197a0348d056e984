/* presence.c — who is online, across servers, through Redis (redis.url).
 *
 * Optional on one node: without Redis, presence is this server's own player
 * table. With it, every character entering or leaving the world is written
 * to Redis (core/io/cache), the whole set is re-published after each
 * reconnect (Redis going away never stops the game), and operator
 * announcements travel on a pub/sub channel to every server. */
#include "core/app/accounts.h"
#include "core/app/chat.h"
#include "core/app/claims.h"

#include "core/base/log.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"

#include <jansson.h>
#include <string.h>

#define ANNOUNCE_CHANNEL "chaos:announce"

static void republish(cw_player *p, void *ud)
{
    if (p->online) cw_cache_presence_set(ud, p->name, p->account_id);
}

static void on_rebuild(void *ud, cw_cache *c)
{
    cw_server *s = ud;
    cw_players_each(s->players, republish, c);
    cw_claims_rebuild(s);    /* the account entries of the sessions live here */
    cw_chat_mutes_reload(s); /* mutes given while this server was away */
    cw_log(CW_LOG_INFO, "presence rebuilt", CW_I("players", cw_players_count(s->players)), CW_END);
}

/* Every server (this one included) pushes an announcement to its clients. */
static void on_announce(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    cw_net_broadcast(s->net, msg, len);
}

int cw_presence_start(cw_server *s, cw_error *err)
{
    if (!s->cfg.redis_url || !s->cfg.redis_url[0]) return 0;
    s->cache = cw_cache_new(s->base, s->cfg.redis_url, s->cfg.server_name, s->metrics, err);
    if (!s->cache) return err ? err->code : CW_EINVAL;
    cw_cache_set_rebuild(s->cache, on_rebuild, s);
    return cw_cache_subscribe(s->cache, ANNOUNCE_CHANNEL, on_announce, s);
}

void cw_presence_enter(cw_server *s, const cw_player *p)
{
    if (s->cache) cw_cache_presence_set(s->cache, p->name, p->account_id);
}

void cw_presence_leave(cw_server *s, const cw_player *p)
{
    if (s->cache) cw_cache_presence_clear(s->cache, p->name);
}

static void clear_one(cw_player *p, void *ud)
{
    if (p->online) cw_cache_presence_clear(ud, p->name);
}

void cw_presence_shutdown(cw_server *s)
{
    if (s->cache) cw_players_each(s->players, clear_one, s->cache);
}

void cw_presence_free(cw_server *s)
{
    if (s->cache) cw_cache_free(s->cache);
    s->cache = NULL;
}

int cw_presence_announce(cw_server *s, const char *text)
{
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "ev", "announce", "text", text, "server", s->cfg.server_name);
    char *msg = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!msg) return CW_ENOMEM;
    int rc = 0;
    if (s->cache)
        rc = cw_cache_publish(s->cache, ANNOUNCE_CHANNEL, msg, strlen(msg));
    else
        cw_net_broadcast(s->net, msg, strlen(msg));
    free(msg);
    return rc;
}

/* ---- whereis {name}: is a character online, and on which server ---------- */

static void whereis_answer(cw_pending *p, const char *server)
{
    json_t *body = server ? json_pack("{s:b, s:s}", "online", 1, "server", server)
                          : json_pack("{s:b}", "online", 0);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text)
        cw_pending_ok(p, text, strlen(text));
    else
        cw_pending_error(p, "internal", "out of memory");
    free(text);
}

static void whereis_done(void *ud, int rc, const char *server, int64_t account)
{
    (void)account;
    cw_pending *p = ud;
    if (rc == 0 || rc == CW_ENOTFOUND)
        whereis_answer(p, rc == 0 ? server : NULL);
    else
        cw_pending_error(p, "unavailable", "presence is unavailable; try again");
    cw_pending_free(p);
}

void cw_op_whereis(cw_server *s, cw_conn *c, const cw_request *req)
{
    const char *name;
    size_t len;
    if (cw_req_string(c, req, "name", &name, &len)) return;
    if (!cw_name_valid(name, len)) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "\"name\" is not a character name");
        return;
    }
    cw_pending *p = cw_pending_new(s, c, req);
    if (!p) {
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    if (!s->cache) {
        cw_player *pl = cw_players_find_name(s->players, name);
        whereis_answer(p, pl && pl->online ? s->cfg.server_name : NULL);
        cw_pending_free(p);
        return;
    }
    if (cw_cache_presence_get(s->cache, name, whereis_done, p) != 0) {
        cw_pending_error(p, "unavailable", "presence is unavailable; try again");
        cw_pending_free(p);
    }
}
