/* guild_bus.c — guild events and guild chat to the online members of a
 * guild (guild_app.h). Local delivery goes by cw_player.guild_id; with Redis
 * every message is also published on CW_GUILD_CHANNEL as
 *
 *     <origin server>\n<guild id>\n<to character id or 0>\n<clear>\n<frame>
 *
 * and each other server hands the frame to its own online members of that
 * guild (to = 0) or to that one character (to > 0), then applies clear (0:
 * nothing; a character id: that character leaves the guild in memory; -1:
 * every member does). The origin ignores its own messages (it delivered
 * when it sent). Fire and forget: Redis down, the other servers miss it. */
#include "core/app/guild_app.h"

#include "core/base/log.h"
#include "core/game/players.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bus_ctx {
    cw_server *s;
    int64_t guild_id, to, clear;
    const char *frame;
    size_t len;
    int n;
} bus_ctx;

static int send_to(cw_server *s, const cw_player *p, const char *frame, size_t len)
{
    cw_conn *c = p->online && p->conn_id && s->net ? cw_net_find(s->net, p->conn_id) : NULL;
    return c ? cw_conn_send(c, frame, len) : CW_ENOTFOUND;
}

static void deliver_one(cw_player *p, void *ud)
{
    bus_ctx *d = ud;
    if (p->guild_id != d->guild_id) return;
    if (send_to(d->s, p, d->frame, d->len) == 0) d->n++;
}

static void clear_one(cw_player *p, void *ud)
{
    bus_ctx *d = ud;
    if (p->guild_id == d->guild_id && (d->clear == -1 || d->clear == p->id)) p->guild_id = 0;
}

static int deliver_local(bus_ctx *d)
{
    if (d->to > 0) {
        cw_player *p = cw_players_get(d->s->players, d->to);
        if (p && send_to(d->s, p, d->frame, d->len) == 0) d->n++;
    } else if (d->guild_id > 0) {
        cw_players_each(d->s->players, deliver_one, d);
    }
    if (d->clear != 0 && d->guild_id > 0) cw_players_each(d->s->players, clear_one, d);
    return d->n;
}

static void publish(cw_server *s, const bus_ctx *d)
{
    if (!s->cache) return;
    cw_strbuf msg = CW_STRBUF_INIT;
    int rc = cw_strbuf_printf(&msg, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n",
                              s->cfg.server_name, d->guild_id, d->to, d->clear);
    rc |= cw_strbuf_append(&msg, d->frame, d->len);
    if (rc != 0 || !msg.data ||
        cw_cache_publish(s->cache, CW_GUILD_CHANNEL, msg.data, msg.len) != 0)
        cw_log(CW_LOG_WARN, "guild message not published", CW_I("guild", d->guild_id),
               CW_I("to", d->to), CW_END);
    cw_strbuf_free(&msg);
}

int cw_guild_send(cw_server *s, int64_t guild_id, const char *frame, size_t len, int64_t clear)
{
    bus_ctx d = {.s = s, .guild_id = guild_id, .clear = clear, .frame = frame, .len = len};
    int n = deliver_local(&d);
    publish(s, &d);
    return n;
}

void cw_guild_send_to(cw_server *s, int64_t char_id, const char *frame, size_t len)
{
    bus_ctx d = {.s = s, .to = char_id, .frame = frame, .len = len};
    if (deliver_local(&d) > 0) return; /* online here: not elsewhere */
    publish(s, &d);
}

/* "<digits or -digits>\n" at *msg into *out; advances. 0 or CW_EINVAL. */
static int take_int(const char **msg, size_t *len, int64_t *out)
{
    const char *nl = memchr(*msg, '\n', *len);
    if (!nl || nl == *msg || nl - *msg > 20) return CW_EINVAL;
    char buf[24];
    size_t n = (size_t)(nl - *msg);
    memcpy(buf, *msg, n);
    buf[n] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end != '\0') return CW_EINVAL;
    *out = (int64_t)v;
    *len -= n + 1;
    *msg = nl + 1;
    return 0;
}

static void on_guild_msg(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    const char *nl = memchr(msg, '\n', len);
    if (!nl) return;
    size_t olen = (size_t)(nl - msg);
    if (olen == strlen(s->cfg.server_name) && memcmp(msg, s->cfg.server_name, olen) == 0)
        return; /* ours: delivered when it was sent */
    len -= olen + 1;
    msg = nl + 1;
    bus_ctx d = {.s = s};
    if (take_int(&msg, &len, &d.guild_id) != 0 || take_int(&msg, &len, &d.to) != 0 ||
        take_int(&msg, &len, &d.clear) != 0 || len == 0) {
        cw_log(CW_LOG_WARN, "malformed guild message ignored", CW_END);
        return;
    }
    d.frame = msg;
    d.len = len;
    deliver_local(&d);
}

int cw_guild_bus_start(cw_server *s, cw_error *err)
{
    if (!s->cache) return 0;
    int rc = cw_cache_subscribe(s->cache, CW_GUILD_CHANNEL, on_guild_msg, s);
    if (rc != 0) return cw_error_set(err, rc, "cannot subscribe to the guild channel");
    return 0;
}
