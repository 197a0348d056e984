/* bindings.h — the `chaos` Lua module.
 *
 * One C file per area (host.c, stats.c, combat.c, …), each a thin layer over
 * one core/ header: argument checking with luaL_check* at the boundary, then a
 * call into the core. No game rules live here.
 *
 * Scripts reach the module with `local chaos = require("chaos")`; nothing is
 * put in _G. Each area adds a sub-table or functions to the module table.
 *
 * Ownership: anything an area keeps per Lua state (a registry, interned names)
 * hangs off that state's registry table and is freed by its __gc when the
 * state (one content generation) is closed. Errors raise Lua errors with a
 * message naming the bad argument. */
#ifndef CW_BINDINGS_H
#define CW_BINDINGS_H

#include <lua.h>

/* The core's script host (core/script/host.h) calls this on every new Lua
 * state, with the opaque context the app gave it. It builds the `chaos` table,
 * lets every area register, and stores it in package.loaded["chaos"].
 * Returns 0, or a negative CW_E* code after logging. */
int cw_bindings_open(lua_State *L, void *ctx);

/* Areas. `chaos` is the absolute stack index of the module table. */
int cw_bind_host(lua_State *L, int chaos, void *ctx); /* on_op, every, after, log, clock, random */
int cw_bind_stats(lua_State *L, int chaos);           /* chaos.stats */
int cw_bind_combat(lua_State *L, int chaos);          /* chaos.combat */
int cw_bind_rng(lua_State *L, int chaos);             /* chaos.rng, chaos.hash (rng.c) */
/* chaos.world, player:data, chaos.data_version; ctx is the cw_bind_game
 * (bindings/world.h) of the game this state serves, or NULL (no world). */
int cw_bind_world(lua_State *L, int chaos, void *ctx);

#endif
