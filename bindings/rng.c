/* rng.c — chaos.rng(...) and chaos.hash(s): private, seedable generators for
 * deterministic content (item generation), independent of chaos.random.
 *
 *   local r = chaos.rng(seed, "sword", 10)  -- 1 to 8 words: integers or strings
 *   r:next()       → an integer in [0, 2^53)
 *   r:int(lo, hi)  → a uniform integer in [lo, hi] (no modulo bias)
 *   r:float()      → a uniform number in [0, 1)
 *   chaos.hash(s)  → 16 lowercase hex digits: a stable 64-bit hash of s
 *
 * A generator is core/base/rng's xoshiro256** seeded with cw_rng_seed_words
 * from the words: an integer word is its two's complement 64-bit value, a
 * string word its chaos.hash value. The same words give the same stream on
 * every machine, forever: these outputs are part of stored item rolls, so the
 * mapping must never change (a new mapping needs new names).
 *
 * Ownership: a generator is a full userdata owned by the Lua state (nothing to
 * free). Errors: bad arguments raise Lua errors naming the argument. */
#include "bindings/bindings.h"

#include "core/base/rng.h"

#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

#define RNG_META "chaos.rng"
#define MAX_WORDS 8
#define EXACT 9007199254740992.0 /* 2^53: every integer up to it is exact */

/* FNV-1a over the bytes, then the splitmix64 finalizer to spread the bits. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return cw_rng_mix64(h);
}

static lua_Number check_exact_int(lua_State *L, int idx, const char *what)
{
    lua_Number v = luaL_checknumber(L, idx);
    if (!(v >= -EXACT && v <= EXACT) || v != (lua_Number)(int64_t)v)
        luaL_error(L, "%s: argument #%d must be an integer in [-2^53, 2^53]", what, idx);
    return v;
}

/* chaos.rng(w1 [, w2 … w8]) → generator */
static int l_rng(lua_State *L)
{
    int n = lua_gettop(L);
    if (n < 1 || n > MAX_WORDS)
        return luaL_error(L, "chaos.rng: expects 1 to %d seed words, got %d", MAX_WORDS, n);
    uint64_t words[MAX_WORDS];
    for (int i = 1; i <= n; i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, i, &len);
            words[i - 1] = hash_bytes(s, len);
        } else if (lua_type(L, i) == LUA_TNUMBER) {
            words[i - 1] = (uint64_t)(int64_t)check_exact_int(L, i, "chaos.rng");
        } else {
            return luaL_error(L, "chaos.rng: argument #%d must be an integer or a string, not %s",
                              i, luaL_typename(L, i));
        }
    }
    cw_rng *r = lua_newuserdata(L, sizeof *r);
    cw_rng_seed_words(r, words, n);
    luaL_getmetatable(L, RNG_META);
    lua_setmetatable(L, -2);
    return 1;
}

static cw_rng *check_rng(lua_State *L)
{
    return luaL_checkudata(L, 1, RNG_META);
}

static int l_next(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)(cw_rng_next(check_rng(L)) >> 11));
    return 1;
}

static int l_int(lua_State *L)
{
    cw_rng *r = check_rng(L);
    lua_Number lo = check_exact_int(L, 2, "rng:int");
    lua_Number hi = check_exact_int(L, 3, "rng:int");
    if (lo > hi) return luaL_error(L, "rng:int: lo (%.0f) is greater than hi (%.0f)", lo, hi);
    uint64_t span = (uint64_t)((int64_t)hi - (int64_t)lo) + 1;
    lua_pushnumber(L, (lua_Number)((int64_t)lo + (int64_t)cw_rng_below(r, span)));
    return 1;
}

static int l_float(lua_State *L)
{
    lua_pushnumber(L, cw_rng_double(check_rng(L)));
    return 1;
}

static int l_tostring(lua_State *L)
{
    lua_pushfstring(L, "chaos.rng: %p", (void *)check_rng(L));
    return 1;
}

/* chaos.hash(s) → "0123456789abcdef" */
static int l_hash(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    uint64_t h = hash_bytes(s, len);
    char out[17];
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = hex[h & 15];
    lua_pushlstring(L, out, 16);
    return 1;
}

int cw_bind_rng(lua_State *L, int chaos)
{
    static const luaL_Reg methods[] = {
        {"next", l_next}, {"int", l_int}, {"float", l_float}, {NULL, NULL}};
    luaL_newmetatable(L, RNG_META);
    lua_newtable(L);
    for (const luaL_Reg *m = methods; m->name; m++) {
        lua_pushcfunction(L, m->func);
        lua_setfield(L, -2, m->name);
    }
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "chaos.rng");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_rng);
    lua_setfield(L, chaos, "rng");
    lua_pushcfunction(L, l_hash);
    lua_setfield(L, chaos, "hash");
    return 0;
}
