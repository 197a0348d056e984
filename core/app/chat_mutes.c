/* chat_mutes.c — operator mutes shared by every server through Redis.
 *
 * A `mute` stores mute:<name> = {"id","name","reason"} with the mute's TTL
 * (cw_cache_mute_set) and publishes {"op":"mute","name","id","seconds",
 * "reason","from"} on CW_CHAT_MUTE_CHANNEL; an `unmute` deletes the key and
 * publishes {"op":"unmute","name","from"}. Every other server applies the
 * message to its local list (chat.h), and a server that connects (start, or
 * after an outage) reads the live mutes back. Without Redis these are no-ops
 * and mutes stay per server. Loop thread only. */
#include "core/app/chat.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/cache/cache.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

/* One mute from Redis or a message: applied here, by name, with the id if
 * this server has the character loaded or the giver knew it. */
static void apply(cw_server *s, const char *name, int64_t id, long long seconds, const char *reason)
{
    if (!s->chat || !name || !cw_name_valid(name, strlen(name)) || seconds < 1) return;
    cw_player *p = cw_players_find_name(s->players, name);
    if (p) id = p->id;
    const char *r = reason && strlen(reason) <= CW_CHAT_REASON_MAX &&
                            !cw_chat_utf8_problem(reason, strlen(reason))
                        ? reason
                        : "";
    uint64_t until = cw_now_ns() + (uint64_t)seconds * NS_PER_S;
    if (!cw_chat_mute_put(s->chat, id, name, until, r))
        cw_log(CW_LOG_WARN, "shared mute not applied: out of memory", CW_S("name", name), CW_END);
}

static void on_message(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    json_t *o = json_loadb(msg, len, 0, NULL);
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *from = json_string_value(json_object_get(o, "from"));
    if (!op || !name || (from && !strcmp(from, s->cfg.server_name))) {
        /* unreadable, or our own (applied when given) */
    } else if (!strcmp(op, "mute")) {
        apply(s, name, (int64_t)json_integer_value(json_object_get(o, "id")),
              (long long)json_integer_value(json_object_get(o, "seconds")),
              json_string_value(json_object_get(o, "reason")));
        cw_log(CW_LOG_INFO, "character muted by another server", CW_S("name", name),
               CW_S("server", from ? from : ""), CW_END);
    } else if (!strcmp(op, "unmute") && s->chat) {
        if (cw_chat_mute_remove(s->chat, name) == 0)
            cw_log(CW_LOG_INFO, "character unmuted by another server", CW_S("name", name),
                   CW_S("server", from ? from : ""), CW_END);
    }
    json_decref(o);
}

int cw_chat_mutes_start(cw_server *s, cw_error *err)
{
    if (!s->cache) return 0;
    int rc = cw_cache_subscribe(s->cache, CW_CHAT_MUTE_CHANNEL, on_message, s);
    if (rc != 0) return cw_error_set(err, rc, "cannot subscribe to %s", CW_CHAT_MUTE_CHANNEL);
    return 0;
}

void cw_chat_mute_share(cw_server *s, const cw_chat_mute *m, long long seconds)
{
    if (!s->cache) return;
    json_t *v = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)m->char_id, "name", m->name,
                          "reason", m->reason);
    json_t *ev = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "op", "mute", "name", m->name, "id",
                           (json_int_t)m->char_id, "seconds", (json_int_t)seconds, "reason",
                           m->reason, "from", s->cfg.server_name);
    char *value = v ? json_dumps(v, JSON_COMPACT) : NULL;
    char *msg = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    int rc = value && msg ? cw_cache_mute_set(s->cache, m->name, value, strlen(value), (int)seconds)
                          : CW_ENOMEM;
    if (rc == 0) rc = cw_cache_publish(s->cache, CW_CHAT_MUTE_CHANNEL, msg, strlen(msg));
    if (rc != 0)
        cw_log(CW_LOG_WARN, "mute not shared with the other servers", CW_S("name", m->name),
               CW_S("error", cw_err_name(rc)), CW_END);
    free(value);
    free(msg);
    json_decref(v);
    json_decref(ev);
}

void cw_chat_unmute_share(cw_server *s, const char *name)
{
    if (!s->cache) return;
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "op", "unmute", "name", name, "from", s->cfg.server_name);
    char *msg = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    int rc = msg ? cw_cache_mute_del(s->cache, name) : CW_ENOMEM;
    if (rc == 0) rc = cw_cache_publish(s->cache, CW_CHAT_MUTE_CHANNEL, msg, strlen(msg));
    if (rc != 0)
        cw_log(CW_LOG_WARN, "unmute not shared with the other servers", CW_S("name", name),
               CW_S("error", cw_err_name(rc)), CW_END);
    free(msg);
    json_decref(ev);
}

static void each_mute(void *ud, const char *key_name, const char *value, size_t len, int ttl_s)
{
    (void)key_name;
    json_t *o = json_loadb(value, len, 0, NULL);
    apply(ud, json_string_value(json_object_get(o, "name")),
          (int64_t)json_integer_value(json_object_get(o, "id")), ttl_s,
          json_string_value(json_object_get(o, "reason")));
    json_decref(o);
}

static void reloaded(void *ud, int rc)
{
    (void)ud;
    if (rc != 0 && rc != CW_EUNAVAIL)
        cw_log(CW_LOG_WARN, "shared mutes not read", CW_S("error", cw_err_name(rc)), CW_END);
}

void cw_chat_mutes_reload(cw_server *s)
{
    if (s->cache && s->chat) cw_cache_mutes_list(s->cache, each_mute, reloaded, s);
}
