/* lpattern.h — bounded Lua pattern functions for the script sandbox.
 *
 * LuaJIT's string.find, match, gmatch and gsub run their matcher in C, where
 * the count hook that enforces a script's time budget never fires: a pattern
 * with catastrophic backtracking (string.rep("a", 80):find(("a-"):rep(6) .. "b"))
 * would freeze the loop. This module is our own implementation of those four
 * functions with the exact semantics of LuaJIT 2.1 (Lua 5.1 patterns plus %g,
 * init/plain/max-n arguments, replacement strings, tables and functions, the
 * same error messages), except that every call counts its matching steps:
 *
 *  - every 1024 steps the check function given at install time is called; a
 *    nonzero answer stops the call with the Lua error
 *    "string.find: pattern too complex (ran past the script budget)";
 *  - a call that reaches the hard step cap stops with
 *    "string.find: pattern too complex (ran past the step cap)";
 *  - matcher recursion deeper than 200 levels (LuaJIT's own limit) stops with
 *    "string.find: pattern too complex (too deeply nested)".
 * (The function named is the one called: string.find, string.match,
 * string.gmatch or string.gsub.) A step is one single-character match attempt,
 * one entry into the matcher (each backtrack), or one byte compared by %b or
 * a back-reference.
 *
 * Ownership: the functions are C closures owned by the Lua state; their only
 * shared data is a userdata upvalue holding `check`. Strings built by gsub go
 * through luaL_Buffer, so the state's allocator sees every allocation.
 * Thread rules: a state is used by one thread at a time (Lua's rule); the step
 * cap is process-wide, set it before any state runs.
 * Errors: Lua errors raised in the calling state, as LuaJIT raises them. */
#ifndef CW_SCRIPT_LPATTERN_H
#define CW_SCRIPT_LPATTERN_H

#include <lua.h>
#include <stdint.h>

/* Checks whether the call in progress may go on; returns 0 to go on, or
 * nonzero to stop (the call then raises "pattern too complex"). Called with
 * the state running the pattern function; it must leave the stack as it found
 * it (gsub may have a luaL_Buffer on it). It may raise a Lua error itself. */
typedef int (*cw_lpattern_check_fn)(lua_State *L);

/* Replaces find, match, gmatch and gsub in the table at index string_idx (the
 * real `string` table, so string methods like s:find are covered too).
 * check may be NULL: then only the step cap applies. Stack is left balanced. */
void cw_lpattern_install(lua_State *L, int string_idx, cw_lpattern_check_fn check);

/* Hard cap on steps per call regardless of check (default
 * CW_LPATTERN_DEFAULT_STEP_CAP); 0 restores the default. Tests lower it. */
#define CW_LPATTERN_DEFAULT_STEP_CAP 50000000u
void cw_lpattern_set_step_cap(uint64_t steps);

#endif
