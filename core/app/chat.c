/* chat.c — the `chat` op: say, zone, world, whisper, party and guild
 * (docs/protocol.md).
 *
 * A message is checked (in the world, not muted, text passing the project's
 * text policy of core/base/text.h, under the rate limit), encoded ONCE as
 * {"ev":"chat",…} and that same frame is queued to every recipient's
 * connection. The sender is a recipient of its own
 * say/zone/world message (it is within its own view) and gets the echo of a
 * whisper; "delivered" in the reply counts the other players reached.
 *
 * Across servers (redis.url set), through core/io/cache pub/sub:
 *   - world: published on "chaos:chat:world" as "<origin server>\n<frame>".
 *     The origin delivers to its own players at once (so world chat works
 *     with Redis down) and ignores its own message when it comes back.
 *   - whisper: a target not online here is looked up in presence; if it is
 *     on another server, "<origin>\n<target>\n<frame>" goes to that server's
 *     inbox "chaos:chat:whisper:<server>", which hands the frame to the target
 *     if it is still online there (fire and forget: a target that left in
 *     that instant misses it).
 *
 *   - guild: to the online members of the speaker's guild on every server
 *     (guild_app.h: cw_guild_send, channel CW_GUILD_CHANNEL); not_in_guild
 *     when the speaker is in none. Rate-limited like say/zone/party.
 *
 * Errors go to the sender as error frames (bad_field, not_in_world, muted,
 * rate_limited, not_online, unavailable, not_in_party, not_in_guild); the
 * connection always stays. */
#include "core/app/chat.h"
#include "core/app/guild_app.h"
#include "core/app/script_app.h"
#include "core/app/world_app.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/text.h"
#include "core/io/cache/cache.h"
#include "core/io/net/net.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest message text, in bytes of UTF-8. */
#define CHAT_TEXT_MAX 256
/* The zone's view distance for `say`, until zone definitions (world/AOI
 * work) give each zone its own: say reaches players within this many units. */
#define CHAT_VIEW_DISTANCE 50.0
/* say, zone, whisper share one bucket per character; world has its own. */
#define CHAT_RATE 1.0
#define CHAT_BURST 5.0
#define CHAT_WORLD_RATE 0.1
#define CHAT_WORLD_BURST 2.0
#define CHAT_PRUNE_NS (60ull * 1000000000ull)

#define WORLD_CHANNEL "chaos:chat:world"
#define WHISPER_PREFIX "chaos:chat:whisper:"

static const char *const channel_names[CW_CHAT_NCHANNELS] = {"say",     "zone",  "world",
                                                             "whisper", "party", "guild"};
static const char *const refused_names[CW_CHAT_R_COUNT] = {
    "bad_field",  "not_in_world", "rate_limited", "muted",
    "not_online", "unavailable",  "not_in_party", "not_in_guild"};

/* ---- delivery -------------------------------------------------------------------------- */

typedef struct deliver_ctx {
    cw_server *s;
    const cw_player *from; /* not counted in n; NULL for messages from elsewhere */
    const char *zone;      /* NULL = every zone */
    int ranged;
    double x, y, r2;
    const char *frame;
    size_t len;
    int n; /* recipients other than the sender */
} deliver_ctx;

static int send_to(cw_server *s, const cw_player *p, const char *frame, size_t len)
{
    cw_conn *c = p->online && p->conn_id ? cw_net_find(s->net, p->conn_id) : NULL;
    return c ? cw_conn_send(c, frame, len) : CW_ENOTFOUND;
}

static void deliver_one(cw_player *p, void *ud)
{
    deliver_ctx *d = ud;
    if (!p->online || (d->zone && strcmp(p->zone, d->zone) != 0)) return;
    if (d->ranged) {
        double dx = p->x - d->x, dy = p->y - d->y;
        if (dx * dx + dy * dy > d->r2) return;
    }
    if (send_to(d->s, p, d->frame, d->len) == 0 && p != d->from) d->n++;
}

static int deliver_local(cw_server *s, const cw_player *from, int channel, const char *frame,
                         size_t len)
{
    deliver_ctx d = {.s = s, .from = from, .frame = frame, .len = len};
    if (from && channel != CW_CHAT_WORLD) d.zone = from->zone;
    if (from && channel == CW_CHAT_SAY) {
        /* Exactly who sees the speaker: the world's area-of-interest set (the
         * zone's view distance), plus the speaker. */
        if (!s->net) return 0;
        if (cw_world_app_each_in_view(s, from, deliver_one, &d) >= 0) {
            send_to(s, from, frame, len);
            return d.n;
        }
        d.ranged = 1; /* no entity (should not happen in the world): by distance */
        d.x = from->x;
        d.y = from->y;
        d.r2 = CHAT_VIEW_DISTANCE * CHAT_VIEW_DISTANCE;
    }
    if (s->net) cw_players_each(s->players, deliver_one, &d);
    return d.n;
}

/* {"ev":"chat","channel":…,"from":…[,"to":…],"text":…} into b. 0 or CW_ENOMEM. */
static int encode(cw_strbuf *b, int channel, const char *from, const char *to, const char *text)
{
    int rc = cw_strbuf_printf(
        b, "{\"ev\":\"chat\",\"channel\":\"%s\",\"from\":", channel_names[channel]);
    rc |= cw_strbuf_json_str(b, from);
    if (to) {
        rc |= cw_strbuf_puts(b, ",\"to\":");
        rc |= cw_strbuf_json_str(b, to);
    }
    rc |= cw_strbuf_puts(b, ",\"text\":");
    rc |= cw_strbuf_json_str(b, text);
    rc |= cw_strbuf_puts(b, "}");
    return rc ? CW_ENOMEM : 0;
}

/* ---- checks ---------------------------------------------------------------------------- */

static void refuse(cw_server *s, cw_conn *c, const char *id_json, int reason, const char *msg)
{
    cw_counter_add(s->chat->m_refused[reason], 1);
    if (c) cw_conn_reply_error(c, id_json, refused_names[reason], msg);
}

const char *cw_chat_utf8_problem(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    int visible = 0;
    while (p < end) {
        unsigned ch = *p;
        size_t n = ch < 0x80             ? 1
                   : (ch & 0xE0) == 0xC0 ? 2
                   : (ch & 0xF0) == 0xE0 ? 3
                   : (ch & 0xF8) == 0xF0 ? 4
                                         : 0;
        if (n == 0 || (size_t)(end - p) < n) return "is not valid UTF-8";
        uint32_t cp = n == 1 ? ch : ch & (0x7Fu >> n);
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return "is not valid UTF-8";
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return "is not valid UTF-8";
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return "must not contain control characters";
        if (cp != ' ') visible = 1;
        p += n;
    }
    return visible ? NULL : "must not be empty or only spaces";
}

/* 0 when text[0..len) is acceptable chat text (the project's text policy,
 * core/base/text.h, at CHAT_TEXT_MAX bytes); else refuses with bad_field and
 * returns CW_EINVAL. */
static int check_text(cw_server *s, cw_conn *c, const cw_request *req, const char *text, size_t len)
{
    cw_text_verdict v = cw_text_check(text, len, CHAT_TEXT_MAX);
    if (v == CW_TEXT_OK) return 0;
    const char *problem = v == CW_TEXT_TOO_LONG ? "is longer than the limit of 256 bytes of UTF-8"
                                                : cw_text_verdict_message(v);
    char msg[128];
    snprintf(msg, sizeof msg, "chat \"text\" %s", problem);
    refuse(s, c, req->id_json, CW_CHAT_R_BAD_FIELD, msg);
    return CW_EINVAL;
}

/* 0 when the character may speak on channel now; else refuses and returns
 * CW_ELIMIT (muted or over the rate). */
static int may_speak(cw_server *s, cw_conn *c, const cw_request *req, const cw_player *me,
                     int channel)
{
    cw_chat *ch = s->chat;
    uint64_t now = cw_now_ns();
    const cw_chat_mute *m = cw_chat_mute_find(ch, me->id, me->name, now);
    if (m) {
        long long secs = (long long)((m->until_ns - now + 999999999ull) / 1000000000ull);
        cw_strbuf b = CW_STRBUF_INIT;
        cw_strbuf_printf(&b, "muted by an operator for %lld more second%s%s", secs,
                         secs == 1 ? "" : "s", m->reason[0] ? ": " : "");
        cw_strbuf_puts(&b, m->reason);
        cw_strbuf msg = CW_STRBUF_INIT;
        cw_strbuf_printf(&msg, "{\"id\":%s,\"error\":{\"code\":\"muted\",\"message\":",
                         req->id_json ? req->id_json : "null");
        cw_strbuf_json_str(&msg, b.data ? b.data : "muted");
        cw_strbuf_printf(&msg, ",\"seconds\":%lld}}", secs);
        if (msg.data)
            cw_conn_send(c, msg.data, msg.len);
        else
            cw_conn_reply_error(c, req->id_json, "muted", "muted by an operator");
        cw_counter_add(ch->m_refused[CW_CHAT_R_MUTED], 1);
        cw_strbuf_free(&b);
        cw_strbuf_free(&msg);
        return CW_ELIMIT;
    }
    if (now >= ch->prune_ns) {
        cw_ratelimit_prune(ch->rl_chat, now);
        cw_ratelimit_prune(ch->rl_world, now);
        ch->prune_ns = now + CHAT_PRUNE_NS;
    }
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)me->id);
    if (cw_ratelimit_take(channel == CW_CHAT_WORLD ? ch->rl_world : ch->rl_chat, key, now) != 0) {
        refuse(s, c, req->id_json, CW_CHAT_R_RATE_LIMITED,
               channel == CW_CHAT_WORLD
                   ? "world chat is limited to 2 messages, then 1 every 10 seconds"
                   : "chat is limited to 5 messages, then 1 per second");
        return CW_ELIMIT;
    }
    return 0;
}

static void reply_delivered(cw_conn *c, const char *id_json, int n)
{
    char body[48];
    int len = snprintf(body, sizeof body, "{\"delivered\":%d}", n);
    cw_conn_reply_ok(c, id_json, body, (size_t)len);
}

/* ---- whisper --------------------------------------------------------------------------- */

typedef struct whisper_req {
    cw_pending *p;
    char to[CW_NAME_MAX + 1];
    cw_strbuf frame;
} whisper_req;

static void whisper_req_free(whisper_req *w)
{
    cw_pending_free(w->p);
    cw_strbuf_free(&w->frame);
    free(w);
}

static void whisper_found(void *ud, int rc, const char *server, int64_t account)
{
    (void)account;
    whisper_req *w = ud;
    cw_server *s = w->p->s;
    cw_conn *c = cw_pending_conn(w->p);
    if (rc == CW_ENOTFOUND || (rc == 0 && strcmp(server, s->cfg.server_name) == 0)) {
        /* Presence may still name us for a character that just left. */
        refuse(s, c, w->p->id_json, CW_CHAT_R_NOT_ONLINE, "that character is not online");
    } else if (rc != 0) {
        refuse(s, c, w->p->id_json, CW_CHAT_R_UNAVAILABLE,
               "cannot reach other servers right now; try again");
    } else {
        char channel[CW_CACHE_NAME_MAX + 1];
        cw_strbuf msg = CW_STRBUF_INIT;
        snprintf(channel, sizeof channel, "%s%s", WHISPER_PREFIX, server);
        cw_strbuf_printf(&msg, "%s\n%s\n", s->cfg.server_name, w->to);
        cw_strbuf_append(&msg, w->frame.data, w->frame.len);
        int prc = msg.data ? cw_cache_publish(s->cache, channel, msg.data, msg.len) : CW_ENOMEM;
        cw_strbuf_free(&msg);
        if (prc != 0) {
            refuse(s, c, w->p->id_json, CW_CHAT_R_UNAVAILABLE,
                   "cannot reach other servers right now; try again");
        } else {
            cw_counter_add(s->chat->m_messages[CW_CHAT_WHISPER], 1);
            if (c) {
                cw_conn_send(c, w->frame.data, w->frame.len);
                reply_delivered(c, w->p->id_json, 1);
            }
        }
    }
    whisper_req_free(w);
}

static void whisper(cw_server *s, cw_conn *c, const cw_request *req, const cw_player *me,
                    const char *to, const char *text)
{
    cw_player *target = cw_players_find_name(s->players, to);
    if (target && target->online) {
        cw_strbuf b = CW_STRBUF_INIT;
        if (encode(&b, CW_CHAT_WHISPER, me->name, target->name, text) != 0) {
            cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        } else {
            int n = send_to(s, target, b.data, b.len) == 0;
            cw_conn_send(c, b.data, b.len);
            cw_counter_add(s->chat->m_messages[CW_CHAT_WHISPER], 1);
            reply_delivered(c, req->id_json, n);
        }
        cw_strbuf_free(&b);
        return;
    }
    if (!s->cache) {
        refuse(s, c, req->id_json, CW_CHAT_R_NOT_ONLINE, "that character is not online");
        return;
    }
    whisper_req *w = calloc(1, sizeof *w);
    if (w) w->p = cw_pending_new(s, c, req);
    if (!w || !w->p || encode(&w->frame, CW_CHAT_WHISPER, me->name, to, text) != 0) {
        if (w) whisper_req_free(w);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    snprintf(w->to, sizeof w->to, "%s", to);
    if (cw_cache_presence_get(s->cache, to, whisper_found, w) != 0) {
        refuse(s, c, req->id_json, CW_CHAT_R_UNAVAILABLE,
               "cannot reach other servers right now; try again");
        whisper_req_free(w);
    }
}

/* ---- the op ---------------------------------------------------------------------------- */

void cw_op_chat(cw_server *s, cw_conn *c, const cw_request *req)
{
    cw_session *se = cw_session_of(c);
    cw_player *me = se->char_id ? cw_players_get(s->players, se->char_id) : NULL;
    if (!me || !me->online) {
        refuse(s, c, req->id_json, CW_CHAT_R_NOT_IN_WORLD, "enter_world first");
        return;
    }
    const char *chan, *text, *to = NULL;
    size_t chan_len, text_len, to_len = 0;
    if (cw_req_string(c, req, "channel", &chan, &chan_len) != 0) {
        refuse(s, NULL, NULL, CW_CHAT_R_BAD_FIELD, NULL);
        return;
    }
    int channel = -1;
    for (int i = 0; i < CW_CHAT_NCHANNELS; i++)
        if (strcmp(chan, channel_names[i]) == 0) channel = i;
    if (channel < 0) {
        refuse(s, c, req->id_json, CW_CHAT_R_BAD_FIELD,
               "chat \"channel\" must be \"say\", \"zone\", \"world\", \"whisper\", "
               "\"party\" or \"guild\"");
        return;
    }
    if (cw_req_string(c, req, "text", &text, &text_len) != 0) {
        refuse(s, NULL, NULL, CW_CHAT_R_BAD_FIELD, NULL);
        return;
    }
    if (check_text(s, c, req, text, text_len) != 0) return;
    if (channel == CW_CHAT_WHISPER) {
        if (cw_req_string(c, req, "to", &to, &to_len) != 0) {
            refuse(s, NULL, NULL, CW_CHAT_R_BAD_FIELD, NULL);
            return;
        }
        if (!cw_name_valid(to, to_len)) {
            refuse(s, c, req->id_json, CW_CHAT_R_BAD_FIELD, "chat \"to\" is not a character name");
            return;
        }
        if (strcasecmp(to, me->name) == 0) {
            refuse(s, c, req->id_json, CW_CHAT_R_BAD_FIELD, "cannot whisper to yourself");
            return;
        }
    }
    if (may_speak(s, c, req, me, channel) != 0) return;
    if (channel != CW_CHAT_WHISPER && cw_fire_chat_command(s, me, chan, text)) {
        cw_conn_reply_ok(c, req->id_json, "{\"command\":true}", 16);
        return;
    }
    if (channel == CW_CHAT_WHISPER) {
        whisper(s, c, req, me, to, text);
        return;
    }
    if (channel == CW_CHAT_GUILD && !me->guild_id) {
        refuse(s, c, req->id_json, CW_CHAT_R_NOT_IN_GUILD, "you are in no guild");
        return;
    }
    if (channel == CW_CHAT_PARTY) {
        if (!cw_fire_chat_channel(s, me, chan, text)) {
            refuse(s, c, req->id_json, CW_CHAT_R_NOT_IN_PARTY, "you are in no party");
            return;
        }
        cw_counter_add(s->chat->m_messages[channel], 1);
        cw_conn_reply_ok(c, req->id_json, "{\"sent\":true}", 13);
        return;
    }
    cw_strbuf b = CW_STRBUF_INIT;
    if (encode(&b, channel, me->name, NULL, text) != 0) {
        cw_strbuf_free(&b);
        cw_conn_reply_error(c, req->id_json, "internal", "out of memory");
        return;
    }
    int n;
    if (channel == CW_CHAT_GUILD) { /* members here at once, the others through Redis */
        n = cw_guild_send(s, me->guild_id, b.data, b.len, 0);
        if (n > 0) n--; /* the speaker is a member: echoed, not counted */
    } else {
        n = deliver_local(s, me, channel, b.data, b.len);
    }
    if (channel == CW_CHAT_WORLD && s->cache) {
        /* Redis down: the players here got it; other servers miss it. */
        cw_strbuf msg = CW_STRBUF_INIT;
        cw_strbuf_printf(&msg, "%s\n", s->cfg.server_name);
        cw_strbuf_append(&msg, b.data, b.len);
        if (msg.data) cw_cache_publish(s->cache, WORLD_CHANNEL, msg.data, msg.len);
        cw_strbuf_free(&msg);
    }
    cw_counter_add(s->chat->m_messages[channel], 1);
    reply_delivered(c, req->id_json, n);
    cw_strbuf_free(&b);
}

/* ---- from other servers ---------------------------------------------------------------- */

/* Splits "<field>\n<rest>" at the first newline: the field copied into out
 * (cap bytes), *rest after it. 0, or CW_EINVAL when malformed. */
static int take_field(const char **msg, size_t *len, char *out, size_t cap)
{
    const char *nl = memchr(*msg, '\n', *len);
    if (!nl || (size_t)(nl - *msg) >= cap) return CW_EINVAL;
    size_t n = (size_t)(nl - *msg);
    memcpy(out, *msg, n);
    out[n] = '\0';
    *len -= n + 1;
    *msg = nl + 1;
    return 0;
}

static void on_world(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    char origin[CW_CACHE_NAME_MAX + 1];
    if (take_field(&msg, &len, origin, sizeof origin) != 0 || len == 0) return;
    if (strcmp(origin, s->cfg.server_name) == 0) return; /* delivered here when it was said */
    deliver_local(s, NULL, CW_CHAT_WORLD, msg, len);
}

static void on_whisper(void *ud, const char *channel, const char *msg, size_t len)
{
    (void)channel;
    cw_server *s = ud;
    char origin[CW_CACHE_NAME_MAX + 1], to[CW_NAME_MAX + 2];
    if (take_field(&msg, &len, origin, sizeof origin) != 0 ||
        take_field(&msg, &len, to, sizeof to) != 0 || len == 0)
        return;
    cw_player *p = cw_players_find_name(s->players, to);
    if (!p || send_to(s, p, msg, len) != 0)
        cw_log(CW_LOG_DEBUG, "whisper for a character not online here", CW_S("to", to),
               CW_S("origin", origin), CW_END);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int cw_chat_start(cw_server *s, cw_error *err)
{
    cw_chat *ch = calloc(1, sizeof *ch);
    if (!ch) return cw_error_set(err, CW_ENOMEM, "out of memory");
    s->chat = ch;
    ch->rl_chat = cw_ratelimit_new(CHAT_RATE, CHAT_BURST);
    ch->rl_world = cw_ratelimit_new(CHAT_WORLD_RATE, CHAT_WORLD_BURST);
    if (!ch->rl_chat || !ch->rl_world) return cw_error_set(err, CW_ENOMEM, "out of memory");
    for (int i = 0; i < CW_CHAT_NCHANNELS; i++)
        ch->m_messages[i] =
            cw_metrics_counter(s->metrics, "chaos_chat_messages_total",
                               "chat messages accepted by channel", "channel", channel_names[i]);
    for (int i = 0; i < CW_CHAT_R_COUNT; i++)
        ch->m_refused[i] =
            cw_metrics_counter(s->metrics, "chaos_chat_refused_total",
                               "chat messages refused by reason", "reason", refused_names[i]);
    snprintf(ch->whisper_channel, sizeof ch->whisper_channel, "%s%s", WHISPER_PREFIX,
             s->cfg.server_name);
    if (!s->cache) return 0;
    int rc = cw_cache_subscribe(s->cache, WORLD_CHANNEL, on_world, s);
    if (rc == 0) rc = cw_cache_subscribe(s->cache, ch->whisper_channel, on_whisper, s);
    if (rc != 0) return cw_error_set(err, rc, "cannot subscribe to the chat channels");
    return cw_chat_mutes_start(s, err);
}

void cw_chat_free(cw_server *s)
{
    cw_chat *ch = s->chat;
    if (!ch) return;
    cw_ratelimit_free(ch->rl_chat);
    cw_ratelimit_free(ch->rl_world);
    cw_chat_mutes_free(ch);
    free(ch);
    s->chat = NULL;
}
