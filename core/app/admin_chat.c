/* admin_chat.c — operator mutes: the console commands `mute`, `unmute` and
 * `mutes`, and the in-memory mute list chat.c consults (chat.h).
 *
 * A mute names a character and lasts a whole number of minutes; it is kept
 * by character id and name in memory, so it survives the player's logout.
 * Without Redis the character must be loaded on this server, and the mute
 * applies here only and is forgotten on restart. With Redis any valid name
 * is accepted (the character may be on another server), and the mute is
 * shared with every server and kept in Redis for its duration
 * (chat_mutes.c). Every mute and unmute is logged at info. */
#include "core/app/chat.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/admin/admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A year: long enough for any operator, short enough not to overflow. */
#define MUTE_MINUTES_MAX 525600

const cw_chat_mute *cw_chat_mute_find(cw_chat *ch, int64_t char_id, const char *name,
                                      uint64_t now_ns)
{
    for (cw_chat_mute **pp = &ch->mutes; *pp;) {
        cw_chat_mute *m = *pp;
        if (m->until_ns <= now_ns) {
            *pp = m->next;
            free(m);
            continue;
        }
        if ((char_id && m->char_id == char_id) || (name && !strcasecmp(m->name, name))) return m;
        pp = &m->next;
    }
    return NULL;
}

cw_chat_mute *cw_chat_mute_put(cw_chat *ch, int64_t char_id, const char *name, uint64_t until_ns,
                               const char *reason)
{
    cw_chat_mute *m = (cw_chat_mute *)cw_chat_mute_find(ch, char_id, name, cw_now_ns());
    if (!m) {
        m = calloc(1, sizeof *m);
        if (!m) return NULL;
        m->next = ch->mutes;
        ch->mutes = m;
    }
    if (char_id) m->char_id = char_id;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->until_ns = until_ns;
    snprintf(m->reason, sizeof m->reason, "%s", reason ? reason : "");
    return m;
}

int cw_chat_mute_remove(cw_chat *ch, const char *name)
{
    cw_chat_mute_find(ch, 0, NULL, cw_now_ns()); /* drop expired mutes first */
    for (cw_chat_mute **pp = &ch->mutes; *pp; pp = &(*pp)->next) {
        cw_chat_mute *m = *pp;
        if (strcasecmp(m->name, name) != 0) continue;
        *pp = m->next;
        free(m);
        return 0;
    }
    return CW_ENOTFOUND;
}

void cw_chat_mutes_free(cw_chat *ch)
{
    while (ch->mutes) {
        cw_chat_mute *m = ch->mutes;
        ch->mutes = m->next;
        free(m);
    }
}

static long long remaining_s(const cw_chat_mute *m, uint64_t now)
{
    return (long long)((m->until_ns - now + 999999999ull) / 1000000000ull);
}

/* mute CHARACTER MINUTES [REASON…] */
static int cmd_mute(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    cw_chat *ch = s->chat;
    if (argc < 3) return cw_error_set(err, CW_EINVAL, "usage: mute CHARACTER MINUTES [REASON…]");
    cw_player *p = cw_players_find_name(s->players, argv[1]);
    if (!p && !s->cache)
        return cw_error_set(err, CW_ENOTFOUND, "no character named %.40s is loaded here", argv[1]);
    if (!p && !cw_name_valid(argv[1], strlen(argv[1])))
        return cw_error_set(err, CW_EINVAL, "%.40s is not a character name", argv[1]);
    char *end;
    errno = 0;
    long minutes = strtol(argv[2], &end, 10);
    if (errno || *end || end == argv[2] || minutes < 1 || minutes > MUTE_MINUTES_MAX)
        return cw_error_set(err, CW_EINVAL, "MINUTES must be a whole number from 1 to %d",
                            MUTE_MINUTES_MAX);
    /* The player reads it in the `muted` error: the text policy applies. */
    cw_strbuf reason = CW_STRBUF_INIT;
    if (cw_admin_text_arg(argc, argv, 3, CW_CHAT_REASON_MAX, "REASON", &reason, err) != 0) {
        cw_strbuf_free(&reason);
        return err->code;
    }
    uint64_t now = cw_now_ns();
    cw_chat_mute *m = cw_chat_mute_put(ch, p ? p->id : 0, p ? p->name : argv[1],
                                       now + (uint64_t)minutes * 60ull * 1000000000ull,
                                       reason.data ? reason.data : "");
    cw_strbuf_free(&reason);
    if (!m) return cw_error_set(err, CW_ENOMEM, "out of memory");
    cw_chat_mute_share(s, m, minutes * 60);
    cw_log(CW_LOG_INFO, "character muted", CW_I("character", m->char_id), CW_S("name", m->name),
           CW_I("minutes", minutes), CW_S("reason", m->reason), CW_END);
    cw_strbuf_puts(out, "\"character\":");
    cw_strbuf_json_str(out, m->name);
    cw_strbuf_printf(out, ",\"seconds\":%lld", remaining_s(m, now));
    return 0;
}

/* unmute CHARACTER: by name among the mutes, loaded or not. */
static int cmd_unmute(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    cw_chat *ch = s->chat;
    if (argc != 2) return cw_error_set(err, CW_EINVAL, "usage: unmute CHARACTER");
    cw_chat_mute_find(ch, 0, NULL, cw_now_ns()); /* drop expired mutes first */
    for (cw_chat_mute **pp = &ch->mutes; *pp; pp = &(*pp)->next) {
        cw_chat_mute *m = *pp;
        if (strcasecmp(m->name, argv[1]) != 0) continue;
        *pp = m->next;
        cw_log(CW_LOG_INFO, "character unmuted", CW_I("character", m->char_id),
               CW_S("name", m->name), CW_END);
        cw_strbuf_puts(out, "\"character\":");
        cw_strbuf_json_str(out, m->name);
        cw_chat_unmute_share(s, m->name);
        free(m);
        return 0;
    }
    return cw_error_set(err, CW_ENOTFOUND, "%.40s is not muted", argv[1]);
}

/* mutes: every mute in force here. */
static int cmd_mutes(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    cw_server *s = ud;
    uint64_t now = cw_now_ns();
    cw_chat_mute_find(s->chat, 0, NULL, now);
    cw_strbuf_puts(out, "\"mutes\":[");
    for (const cw_chat_mute *m = s->chat->mutes; m; m = m->next) {
        cw_strbuf_printf(out, "%s{\"character\":", m == s->chat->mutes ? "" : ",");
        cw_strbuf_json_str(out, m->name);
        cw_strbuf_printf(out, ",\"seconds\":%lld,\"reason\":", remaining_s(m, now));
        cw_strbuf_json_str(out, m->reason);
        cw_strbuf_puts(out, "}");
    }
    cw_strbuf_puts(out, "]");
    return 0;
}

int cw_chat_admin_commands(cw_server *s)
{
    int rc = 0;
    rc |= cw_admin_register(
        s->admin, "mute",
        "CHARACTER MINUTES [REASON…]: refuse a character's chat (on every server with Redis)",
        cmd_mute, s);
    rc |= cw_admin_register(s->admin, "unmute", "CHARACTER: lift a mute", cmd_unmute, s);
    rc |= cw_admin_register(s->admin, "mutes",
                            "list the mutes in force here (with Redis: everywhere)", cmd_mutes, s);
    return rc ? CW_ENOMEM : 0;
}
