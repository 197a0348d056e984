/* world.h — what the `chaos.world` binding needs from whoever runs the game.
 *
 * The binding (bindings/world.c, data.c, txn.c) is a thin layer: it checks
 * arguments, turns handles into ids, and calls through this table. chaosd
 * fills it from its live world, battle and saver (core/app/script_app.c);
 * `chaosctl script` fills it from an offline world with an in-memory commit
 * (tools/chaosctl/ctl_world.c). Nothing in the binding keeps a pointer to a
 * game object across calls: handles hold ids and are looked up on every use,
 * so a handle to an entity that is gone raises, never touches freed memory.
 *
 * Every function runs on the loop thread and only while the calling
 * generation is live (cw_gen_is_live): a file loading off the loop gets
 * "not available while content loads".
 *
 * Ownership: the table and everything it points to belong to the caller of
 * cw_bindings_open and must outlive every Lua state opened with it. Functions
 * return 0 or a negative CW_E* code with a message in err. */
#ifndef CW_BINDINGS_WORLD_H
#define CW_BINDINGS_WORLD_H

#include "core/base/err.h"
#include "core/game/fighter.h"
#include "core/game/players.h"
#include "core/game/world.h"

#include <stddef.h>
#include <stdint.h>

struct lua_State;

typedef enum cw_bind_scope {
    CW_SCOPE_PLAYER = 0, /* target: a character id */
    CW_SCOPE_SEES = 1,   /* target: an entity id; everyone who sees it (and itself if a player) */
    CW_SCOPE_ZONE = 2,   /* target: a zone index */
    CW_SCOPE_WORLD = 3,  /* everyone in the world */
} cw_bind_scope;

typedef struct cw_bind_vitals {
    double hp, hp_max, mp, mp_max;
    int dead;
    char template_id[64]; /* monsters: the monster{} id; else "" */
} cw_bind_vitals;

typedef struct cw_bind_spawn {
    const char *template_id; /* a monster{} id (kind monster) */
    const char *name;        /* NPCs: the name shown */
    cw_ent_kind kind;        /* CW_ENT_MONSTER or CW_ENT_NPC */
    int zone;                /* zone index */
    double x, y;
    int respawn; /* monsters: come back after death at the same place */
} cw_bind_spawn;

typedef struct cw_bind_game {
    void *ud;
    cw_world *(*world)(void *ud);
    cw_players *(*players)(void *ud);
    /* Combat numbers of an entity; CW_ENOTFOUND when it has none. */
    int (*vitals)(void *ud, int64_t entity, cw_bind_vitals *out);
    /* Every resolved stat of the live stat engine, by name. */
    int (*stats)(void *ud, int64_t entity, void (*fn)(void *fud, const char *name, double v),
                 void *fud);
    /* A stat source on an entity: seconds > 0 expires it, <= 0 keeps it until removed. */
    int (*buff)(void *ud, int64_t entity, const char *source, const cw_stat_list *l, double seconds,
                cw_error *err);
    int (*unbuff)(void *ud, int64_t entity, const char *source, cw_error *err);
    int (*spawn)(void *ud, const cw_bind_spawn *sp, int64_t *entity, cw_error *err);
    int (*despawn)(void *ud, int64_t entity, cw_error *err);
    /* Moves an entity to a standable point of a zone (players: `zone` event). */
    int (*teleport)(void *ud, int64_t entity, int zone, double x, double y, cw_error *err);
    /* One event frame (a JSON object text with an "ev" member) to a scope. */
    void (*push)(void *ud, cw_bind_scope scope, int64_t target, const char *json, size_t len);
    /* Queues one value transaction for a loaded character (players.h
     * cw_player_txn) and schedules its commit; *token identifies it. */
    int (*txn)(void *ud, int64_t char_id, const cw_txn_spec *spec, uint64_t *token, cw_error *err);
    /* Progression (both optional: NULL answers CW_ESTATE). The realm of an
     * entity's stat actor (NULL: none; its REALM caps apply) and a player's
     * known-skills set (n < 0: no set, every skill known). */
    int (*set_realm)(void *ud, int64_t entity, const char *realm, cw_error *err);
    int (*known_skills)(void *ud, int64_t entity, const char *const *ids, int n, cw_error *err);
    /* Restores up to amount hp to a living fighter (never past hp_max); *hp
     * is its hp after. Optional (NULL answers CW_ESTATE); CW_ESTATE when dead. */
    int (*heal)(void *ud, int64_t entity, double amount, double *hp, cw_error *err);
    /* The `trade` hook's veto: content set `ev.veto` (message: the string it
     * set, NULL for true) while the hook ran. Optional (NULL: ignored). */
    void (*trade_veto)(void *ud, const char *message);
    /* World-event caps shared by every actor (battle.h cw_battle_event_caps):
     * caps NULL removes the source. Optional (NULL answers CW_ESTATE). */
    int (*event_caps)(void *ud, const char *source, const cw_stat_list *caps, cw_error *err);
    /* Instance zones (dungeons; world.h cw_world_add_zone / cw_world_remove_zone):
     * add takes z's arrays on success (its index in *index) and leaves z
     * untouched on error; remove sends whoever is left to the start zone.
     * Optional (NULL answers CW_ESTATE). */
    int (*add_zone)(void *ud, cw_zone *z, int *index, cw_error *err);
    int (*remove_zone)(void *ud, const char *id, cw_error *err);
    size_t data_cap; /* bytes of script data per character */
} cw_bind_game;

/* One hook's event as plain data: whoever fires a hook (chaosd, chaosctl's
 * offline world) fills the fields the hook has and fires it with
 * cw_host_fire(h, ev->hook, cw_bind_push_event, ev, …). Fields by hook:
 *   login          account, name
 *   logout, enter_world          char_id (player), zone
 *   enter_zone, leave_zone       char_id (player) or entity, zone
 *   kill           entity (victim), template_id, zone, x, y, killer/killer_char,
 *                  shares[nshares] (contributors)
 *   death          char_id (player), killer/killer_char, zone
 *   respawn        char_id (player) or entity, template_id (monsters)
 *   level_up       char_id, level, old_level
 *   tick           players
 *   chat_command   char_id, channel, text (command and args split here)
 *   chat_channel   char_id, channel ("party"), text: a content-kept channel
 *   interact       char_id, entity (target), kind, name, action
 *   trade          offers[2] (who asked first), char_id (offers[0]'s)
 *   commit         char_id (player), token, ok: a chaos.txn's outcome, after its commit */
typedef struct cw_hook_share {
    int64_t char_id;
    double damage, share;
} cw_hook_share;

/* One side of a trade as the `trade` hook sees it (copies: content changing
 * the event table never changes the trade). */
typedef struct cw_hook_offer_item {
    int64_t uid, count;
    const char *tmpl;
} cw_hook_offer_item;
typedef struct cw_hook_offer {
    int64_t char_id, gold;
    const cw_hook_offer_item *items;
    int nitems;
} cw_hook_offer;

typedef struct cw_hook_event {
    const char *hook;
    int64_t char_id, entity, killer, killer_char, account;
    const char *zone, *template_id, *name, *channel, *text, *action, *kind;
    double x, y;
    const cw_hook_share *shares;
    int nshares;
    int level, old_level;
    double players;
    const cw_hook_offer *offers; /* trade: both sides */
    uint64_t token;              /* commit: the transaction (chaos.txn's return value) */
    int ok;                      /* commit: 1 committed, 0 failed (nothing changed) */
} cw_hook_event;

/* Every hook name (for cw_host_config.hook_names). */
extern const char *const cw_hook_names[];
extern const int cw_hook_count;

/* A cw_hook_push_fn: pushes the event table of ev (a cw_hook_event *). */
void cw_bind_push_event(struct lua_State *L, void *ev);

/* For the app and tools: pushes a handle for a loaded character (nil when
 * not loaded) / for an entity (nil when absent). */
void cw_bind_push_player(struct lua_State *L, int64_t char_id);
void cw_bind_push_entity(struct lua_State *L, int64_t entity_id);
/* The table given to cw_bindings_open for this state (NULL when none). */
const cw_bind_game *cw_bind_game_of(struct lua_State *L);

#endif
