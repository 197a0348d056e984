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

/* One muted character, by id (so a mute outlives the character's session
 * while the server runs). Kept in memory only: a restart forgets mutes. */
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

/* The mute of char_id still in force at now_ns, or NULL. Drops expired
 * entries it passes. */
const cw_chat_mute *cw_chat_mute_find(cw_chat *ch, int64_t char_id, uint64_t now_ns);
/* NULL when text[0..len) is valid UTF-8 (shortest forms, no surrogates)
 * without control characters (C0, DEL, C1) and has a character other than
 * a space; else the problem, as a phrase ("is not valid UTF-8"). */
const char *cw_chat_utf8_problem(const char *text, size_t len);
/* Frees every mute. */
void cw_chat_mutes_free(cw_chat *ch);

#endif
