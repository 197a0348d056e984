/* battle_internal.h — shared between battle.c, battle_fight.c and
 * battle_stats.c; nothing else includes it. See battle.h. */
#ifndef CW_GAME_BATTLE_INTERNAL_H
#define CW_GAME_BATTLE_INTERNAL_H

#include "core/game/battle.h"

#define RACE_MAX 64

/* A player's fight state: e->data points at it (cb first). */
typedef struct battle_player {
    cw_combatant cb;
    char race[RACE_MAX], job[RACE_MAX];
    char (*known)[RACE_MAX]; /* the known-skills set (sorted), when has_known */
    int nknown, has_known;
    uint64_t stats_sig; /* of the resolved stats last told (cw_battle_stats_sig_) */
    uint8_t *dead_flag; /* kept equal to cb.dead (cw_battle_watch_dead); NULL: none */
} battle_player;

/* A stat source set with cw_battle_buff_add. */
typedef struct battle_buff {
    int64_t entity;
    char source[CW_BATTLE_SOURCE_MAX + 1];
    uint64_t expires_ns; /* 0: until removed */
} battle_buff;

struct cw_battle {
    cw_world *w;
    cw_battle_config cfg;
    double player_respawn_s;
    cw_stats_registry *reg;
    cw_combat_content content;
    cw_skill_def *skills; /* sorted by id */
    int nskills;
    json_t *races, *jobs, *monster_defs, *zone_defs, *realms; /* the live generation's (owned) */
    cw_monsters *mons;
    battle_buff *buffs;
    int nbuffs, capbuffs;
    int64_t *due; /* the tick's players to act on (ids: acting may change the table) */
    int ndue, capdue;
    cw_kill_share shares[CW_MONSTER_MAX_KILLERS];
    int64_t *dirty; /* players whose stats changed since the last flush */
    int ndirty, capdirty;
};

double cw_battle_secs_(const cw_battle *b, uint64_t now_ns);
/* Lands one hit of sk from `from` on `to` (events hit, then death/kill/…). */
int cw_battle_land_(cw_battle *b, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                    uint64_t now_ns);
/* Drops every buff of entity (the actor keeps nothing of them when drop_sources). */
void cw_battle_drop_buffs_(cw_battle *b, int64_t entity, int drop_sources);
/* Notes that entity's stats changed (players only; told at the next flush). */
void cw_battle_stats_changed_(cw_battle *b, int64_t entity);
/* A signature of p's resolved primary stats (equal stats, equal signature). */
uint64_t cw_battle_stats_sig_(battle_player *p);
/* Registers the realms' caps (REALM-scoped shared caps, source "realm"). */
int cw_battle_realm_caps_(cw_battle *b, json_t *realms, cw_error *err);
/* Frees a player's known-skills set. */
void cw_battle_known_free_(battle_player *p);
/* Expires buffs due at now_ns. */
void cw_battle_expire_buffs_(cw_battle *b, uint64_t now_ns);

#endif
