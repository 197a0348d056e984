/* chat.h — the state shared by chat.c (the `chat` op, local delivery and
 * cross-server pub/sub) and admin_chat.c (operator mutes). Internal to
 * core/app; the public entry points are declared in accounts.h.
 *
 * Ownership: the server owns one cw_chat (s->chat, cw_chat_start ..
 * cw_chat_free). The chat owns its rate-limit tables and its mute list.
 * Everything runs on the loop thread. */
#ifndef CW_APP_CHAT_H
#define CW_APP_CHAT_H

#include "core/app/accounts.h"

#include <stddef.h>
#include <stdint.h>

/* Longest operator-given mute reason kept (longer ones are cut at a UTF-8
 * boundary). */
#define CW_CHAT_REASON_MAX 127

/* One muted character, by id when known here and by name (so a mute
 * outlives the character's session while the server runs). Kept in memory;
 * with Redis also shared (chat_mutes.c): mute:<name> with the mute's TTL,
 * published on CW_CHAT_MUTE_CHANNEL to every server and read back by a
 * server that starts or reconnects. */
typedef struct cw_chat_mute {
    int64_t char_id;
    char name[CW_NAME_MAX + 1];
    uint64_t until_ns; /* monotonic (cw_now_ns) */
    char reason[CW_CHAT_REASON_MAX + 1];
    struct cw_chat_mute *next;
} cw_chat_mute;

/* Reasons a chat message is refused: the error codes and the values of the
 * chaos_chat_refused_total{reason} label. */
enum {
    CW_CHAT_R_BAD_FIELD,
    CW_CHAT_R_NOT_IN_WORLD,
    CW_CHAT_R_RATE_LIMITED,
    CW_CHAT_R_MUTED,
    CW_CHAT_R_NOT_ONLINE,
    CW_CHAT_R_UNAVAILABLE,
    CW_CHAT_R_NOT_IN_PARTY,
    CW_CHAT_R_NOT_IN_GUILD,
    CW_CHAT_R_COUNT
};

/* party: the members are kept by content (scripts/engine/party.lua); the
 * chat_channel hook delivers after this module's checks. guild: the online
 * members of the speaker's guild (cw_player.guild_id), everywhere
 * (guild_app.h: cw_guild_send). */
enum {
    CW_CHAT_SAY,
    CW_CHAT_ZONE,
    CW_CHAT_WORLD,
    CW_CHAT_WHISPER,
    CW_CHAT_PARTY,
    CW_CHAT_GUILD,
    CW_CHAT_NCHANNELS
};

struct cw_chat {
    cw_ratelimit *rl_chat;  /* say, zone, whisper, party, guild: per character id */
    cw_ratelimit *rl_world; /* world: per character id, stricter */
    uint64_t prune_ns;      /* next prune of idle buckets */
    cw_chat_mute *mutes;
    cw_metric *m_messages[CW_CHAT_NCHANNELS];
    cw_metric *m_refused[CW_CHAT_R_COUNT];
    char whisper_channel[CW_NAME_MAX + 160]; /* this server's whisper inbox */
};

/* The mute of char_id (0: none) or of name (case-insensitive; NULL: none)
 * still in force at now_ns, or NULL. Drops expired entries it passes. */
const cw_chat_mute *cw_chat_mute_find(cw_chat *ch, int64_t char_id, const char *name,
                                      uint64_t now_ns);
/* Sets (or replaces) the local mute of a character: char_id 0 when it is not
 * known here. NULL when out of memory. */
cw_chat_mute *cw_chat_mute_put(cw_chat *ch, int64_t char_id, const char *name, uint64_t until_ns,
                               const char *reason);
/* Removes the local mute of name: 0, or CW_ENOTFOUND. */
int cw_chat_mute_remove(cw_chat *ch, const char *name);

/* ---- shared mutes (chat_mutes.c; no-ops without Redis) -------------------------- */

#define CW_CHAT_MUTE_CHANNEL "chaos:mute"
/* Subscribes to CW_CHAT_MUTE_CHANNEL (from cw_chat_start). */
int cw_chat_mutes_start(cw_server *s, cw_error *err);
/* Stores m (seconds left) in Redis and tells every server. */
void cw_chat_mute_share(cw_server *s, const cw_chat_mute *m, long long seconds);
/* Removes the mute of name from Redis and tells every server. */
void cw_chat_unmute_share(cw_server *s, const char *name);
/* Reads every live mute from Redis into the local list (after a connect). */
void cw_chat_mutes_reload(cw_server *s);
/* NULL when text[0..len) is valid UTF-8 (shortest forms, no surrogates)
 * without control characters (C0, DEL, C1) and has a character other than
 * a space; else the problem, as a phrase ("is not valid UTF-8"). */
const char *cw_chat_utf8_problem(const char *text, size_t len);
/* Frees every mute. */
void cw_chat_mutes_free(cw_chat *ch);

#endif
