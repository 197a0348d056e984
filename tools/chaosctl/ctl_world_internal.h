/* ctl_world_internal.h — shared by the files of chaosctl's offline world
 * (ctl_world*.c, ctl_sim.c); nothing else includes it. See ctl_world.h. */
#ifndef CW_TOOLS_CTL_WORLD_INTERNAL_H
#define CW_TOOLS_CTL_WORLD_INTERNAL_H

#include "tools/chaosctl/ctl_world.h"

#include "bindings/world.h"
#include "core/game/battle.h"
#include "core/game/players.h"
#include "core/game/world.h"

#include <jansson.h>
#include <stddef.h>

#define CTL_HZ 20                /* battle ticks per simulated second */
#define CTL_DATA_CAP (64 * 1024) /* script data per character, as chaosd's default */

/* A hook event waiting for the end of the call that caused it. */
typedef struct ctl_queued {
    cw_hook_event ev; /* its strings and shares point into this entry */
    char zone[CW_DEF_ID_MAX + 1], template_id[64];
    cw_hook_share *shares;
    struct ctl_queued *next;
} ctl_queued;

/* The events (JSON object texts) sent to one character, oldest first. */
typedef struct ctl_box {
    int64_t char_id;
    char **v;
    int n, cap;
} ctl_box;

/* What the in-memory store holds for one character. */
typedef struct ctl_row_ns {
    char ns[CW_DATA_NS_MAX + 1];
    char *json;
} ctl_row_ns;

typedef struct ctl_row {
    int64_t id, gold, exp;
    int level;
    char zone[CW_DEF_ID_MAX + 1];
    double x, y;
    ctl_row_ns *data;
    int ndata;
} ctl_row;

/* A level a commit raised (fired as `level_up` once the commit is done). */
typedef struct ctl_level {
    int64_t char_id;
    int from, to;
} ctl_level;

/* A transaction's outcome (fired as `commit` once the commit is done). */
typedef struct ctl_done {
    int64_t char_id;
    uint64_t token;
    int rc;
} ctl_done;

struct ctl_world {
    cw_bind_game game; /* first: the binding's ctx is the world itself */
    cw_host *host;
    struct lua_State *L; /* the live generation's state (the host clock) */
    uint64_t seed;
    cw_world *w;
    cw_battle *b;
    cw_players *ps;
    json_t *races; /* {id: def}, for move speeds */
    int built;     /* 1 built, -1 failed (build_err says why) */
    char build_err[512];
    int64_t ticks; /* battle ticks run; tick k happens at k / CTL_HZ s */
    int busy;      /* content is running (a hook, op, timer): chaos.sim refuses */
    ctl_queued *qhead, **qtail;
    ctl_box *boxes;
    int nboxes, capboxes;
    ctl_row *rows;
    int nrows, caprows;
    ctl_level *levels;
    int nlevels, caplevels;
    ctl_done *dones;
    int ndones, capdones;
    uint64_t next_token;
    int64_t last_item_uid; /* item uids handed out (transactions' new instances) */
    int64_t next_char;
    int fail_next;
    int64_t watch_from; /* hits landed by this entity are counted in watch_hits */
    int watch_hits;
};

/* ---- ctl_world.c ---- */
double ctl_now(ctl_world *w); /* the host clock, seconds */
uint64_t ctl_now_ns(ctl_world *w);
/* Builds the world from the live generation once (later calls: the first
 * outcome). */
int ctl_world_build(ctl_world *w, cw_error *err);
/* A queued hook event (NULL when nobody listens or out of memory). hook: a
 * static string. */
ctl_queued *ctl_enqueue(ctl_world *w, const char *hook);
/* Fires one hook now (nothing when nobody listens); returns claimed when
 * stop_on_true. */
int ctl_fire(ctl_world *w, const cw_hook_event *ev, int stop_on_true);
/* Fires every queued hook event, in order (hooks may queue more). */
void ctl_flush(ctl_world *w);
/* Moves the clock on by seconds: battle ticks at CTL_HZ, `tick` once per
 * simulated second, timers, queued hooks after each tick. */
int ctl_step(ctl_world *w, double seconds, cw_error *err);

/* ---- ctl_world_game.c ---- */
void ctl_game_init(ctl_world *w);
cw_world_hooks ctl_world_hooks(ctl_world *w);
cw_battle_events ctl_battle_events(ctl_world *w);
/* Puts a loaded character into the world (online, battle joined) and fires
 * enter_world and enter_zone. */
int ctl_enter(ctl_world *w, cw_player *p, cw_error *err);
/* Fires leave_zone and logout; the character leaves the world (offline). */
void ctl_leave(ctl_world *w, cw_player *p);
/* A player entity's position and zone into its character record (which the
 * store saves); nothing for other entities. */
void ctl_sync_player(ctl_world *w, const cw_entity *e);

/* ---- ctl_world_store.c ---- */
/* The box of char_id (created when create; NULL otherwise or out of memory). */
ctl_box *ctl_box_of(ctl_world *w, int64_t char_id, int create);
void ctl_box_add(ctl_world *w, int64_t char_id, const char *json, size_t len);
void ctl_box_clear(ctl_box *b);
/* The store's row of a character (NULL: never stored). */
const ctl_row *ctl_store_get(ctl_world *w, int64_t char_id);
/* Stores p as it is (a character "read from the database"). */
int ctl_store_put(ctl_world *w, const cw_player *p);
/* Commits every queued change (see chaos.sim.commit); *failed when it was
 * made to fail. Fires level_up and the queued hooks after. */
int ctl_commit(ctl_world *w, int *failed, cw_error *err);
void ctl_store_free(ctl_world *w);

/* ---- ctl_sim.c: chaos.sim ---- */
/* Adds chaos.sim to the module table at index chaos (each function has the
 * world as its upvalue 1). */
void ctl_sim_open(struct lua_State *L, int chaos, ctl_world *w);

/* ---- ctl_sim_fight.c ---- */
int ctl_sim_kill(struct lua_State *L); /* chaos.sim.kill */
int ctl_sim_hit(struct lua_State *L);  /* chaos.sim.hit */
/* ctl_step, raising (naming f) on failure. */
void ctl_sim_step(struct lua_State *L, ctl_world *w, double seconds, const char *f);

/* ---- ctl_sim_args.c: every one raises a Lua error naming f (the function) ---- */
typedef struct ctl_harg {
    int player; /* 1: a player handle (id = character id); 0: an entity (id = entity id) */
    int64_t id;
} ctl_harg;
/* The world of the running chaos.sim function, built; refused inside content. */
ctl_world *ctl_sim_ready(struct lua_State *L, const char *f);
/* The handle at idx (`what` names the argument); want_player: players only. */
ctl_harg ctl_sim_handle(struct lua_State *L, int idx, const char *f, const char *what,
                        int want_player);
cw_player *ctl_sim_online(struct lua_State *L, ctl_world *w, int idx, const char *f,
                          const char *what);
cw_entity *ctl_sim_entity(struct lua_State *L, ctl_world *w, int idx, const char *f,
                          const char *what);
void ctl_sim_table(struct lua_State *L, int idx, const char *f, const char *what);
const char *ctl_sim_opt_string(struct lua_State *L, int idx, const char *f, const char *what,
                               const char *def);
/* Fields of the table at t: a string (NULL when nil unless required), a finite
 * number (*have 0 when nil), a whole number in [lo, hi]. */
const char *ctl_sim_field_str(struct lua_State *L, int t, const char *k, const char *f,
                              int required);
double ctl_sim_field_num(struct lua_State *L, int t, const char *k, const char *f, int *have);
int64_t ctl_sim_field_whole(struct lua_State *L, int t, const char *k, const char *f, double lo,
                            double hi, int *have);
int ctl_sim_zone(struct lua_State *L, ctl_world *w, const char *zone, const char *f);
/* require("rules")[fn](arg) → its number. */
double ctl_sim_rules_call(struct lua_State *L, const char *fn, double arg);
/* Pushes cjson.<fn>; pushes the decoded value of a JSON text. */
void ctl_sim_cjson(struct lua_State *L, const char *fn);
void ctl_sim_push_decoded(struct lua_State *L, const char *json, size_t len);

#endif
