/* host.c — chaos.on_op, chaos.every, chaos.after, chaos.cancel, chaos.log,
 * chaos.fail, chaos.now, chaos.time, chaos.random, chaos.clock.* — a thin
 * layer over core/script/host.h. */
#include "bindings/bindings.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/script/host.h"

#include <lauxlib.h>
#include <string.h>

static cw_gen *gen(lua_State *L)
{
    cw_gen *g = cw_gen_of(L);
    if (!g)
        luaL_error(L, "chaos: this Lua state has no host");
    return g;
}

/* chaos.on_op(name, function(req, ctx) … end) */
static int l_on_op(lua_State *L)
{
    const char *op = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    cw_error err;
    if (cw_gen_on_op(gen(L), op, 2, &err) != 0)
        return luaL_error(L, "chaos.on_op: %s", err.msg);
    return 0;
}

static int add_timer(lua_State *L, int repeat, const char *fname)
{
    double s = luaL_checknumber(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    cw_error err;
    int id = cw_gen_add_timer(gen(L), s, repeat, 2, &err);
    if (id < 0)
        return luaL_error(L, "%s: %s", fname, err.msg);
    lua_pushinteger(L, id);
    return 1;
}

/* chaos.every(seconds, fn) → timer id */
static int l_every(lua_State *L)
{
    return add_timer(L, 1, "chaos.every");
}

/* chaos.after(seconds, fn) → timer id */
static int l_after(lua_State *L)
{
    return add_timer(L, 0, "chaos.after");
}

/* chaos.cancel(timer id) → true if it was pending */
static int l_cancel(lua_State *L)
{
    lua_pushboolean(L, cw_gen_cancel_timer(gen(L), (int)luaL_checkinteger(L, 1)) == 0);
    return 1;
}

/* chaos.log(level, message [, fields]) — fields: a flat table of scalars. */
static int l_log(lua_State *L)
{
    static const char *levels[] = {"debug", "info", "warn", "error", NULL};
    int lvl = luaL_checkoption(L, 1, NULL, levels);
    const char *msg = luaL_checkstring(L, 2);
    if ((cw_log_level)lvl < cw_log_get_level())
        return 0;
    cw_field f[17];
    int n = 0;
    lua_Debug ar;
    char where[256] = "";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
    f[n++] = CW_S("where", where);
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (n < 16 && lua_next(L, 3)) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                const char *k = lua_tostring(L, -2);
                switch (lua_type(L, -1)) {
                case LUA_TNUMBER: f[n++] = CW_D(k, lua_tonumber(L, -1)); break;
                case LUA_TBOOLEAN: f[n++] = CW_B(k, lua_toboolean(L, -1)); break;
                case LUA_TSTRING: f[n++] = CW_S(k, lua_tostring(L, -1)); break;
                default: f[n++] = CW_S(k, luaL_typename(L, -1)); break;
                }
            }
            lua_pop(L, 1);
        }
    }
    f[n] = CW_END;
    /* Strings stay valid: they are keys and values of the table at index 3. */
    cw_log_fields((cw_log_level)lvl, msg, f);
    return 0;
}

/* chaos.fail(code, message): ends the handler with a structured error. */
static int l_fail(lua_State *L)
{
    const char *code = luaL_checkstring(L, 1);
    const char *msg = luaL_optstring(L, 2, code);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    return lua_error(L);
}

/* chaos.now() → seconds on the host clock (monotonic; settable offline) */
static int l_now(lua_State *L)
{
    lua_pushnumber(L, cw_gen_now(gen(L)));
    return 1;
}

/* chaos.time() → Unix wall-clock seconds */
static int l_time(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)cw_wall_ms() / 1000.0);
    return 1;
}

/* chaos.random() → [0,1); chaos.random(n) → 1..n; chaos.random(lo, hi) → lo..hi */
static int l_random(lua_State *L)
{
    uint64_t r = cw_gen_random(gen(L));
    int nargs = lua_gettop(L);
    if (nargs == 0) {
        lua_pushnumber(L, (lua_Number)(r >> 11) * 0x1.0p-53);
        return 1;
    }
    lua_Integer lo = 1, hi;
    if (nargs == 1) {
        hi = luaL_checkinteger(L, 1);
    } else {
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
    }
    luaL_argcheck(L, lo <= hi, nargs, "interval is empty");
    uint64_t span = (uint64_t)(hi - lo) + 1;
    lua_pushinteger(L, lo + (lua_Integer)(r % span));
    return 1;
}

/* chaos.clock.set(t) / chaos.clock.advance(dt) / chaos.random_seed(n): offline only. */
static int l_clock_set(lua_State *L)
{
    if (cw_gen_set_clock(gen(L), luaL_checknumber(L, 1)) != 0)
        return luaL_error(L, "chaos.clock.set: the clock can be set only offline");
    return 0;
}

static int l_clock_advance(lua_State *L)
{
    cw_error err;
    if (cw_gen_advance(gen(L), luaL_checknumber(L, 1), &err) != 0)
        return luaL_error(L, "chaos.clock.advance: %s", err.msg);
    return 0;
}

static int l_random_seed(lua_State *L)
{
    if (cw_gen_seed(gen(L), (uint64_t)luaL_checknumber(L, 1)) != 0)
        return luaL_error(L, "chaos.random_seed: the seed can be set only offline");
    return 0;
}

/* chaos.generation() → number of the generation running this code */
static int l_generation(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cw_gen_number(gen(L)));
    return 1;
}

int cw_bind_host(lua_State *L, int chaos, void *ctx)
{
    (void)ctx;
    static const luaL_Reg fns[] = {
        {"on_op", l_on_op},   {"every", l_every}, {"after", l_after},
        {"cancel", l_cancel}, {"log", l_log},     {"fail", l_fail},
        {"now", l_now},       {"time", l_time},   {"random", l_random},
        {"random_seed", l_random_seed}, {"generation", l_generation}, {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, chaos, r->name);
    }
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, l_clock_set);
    lua_setfield(L, -2, "set");
    lua_pushcfunction(L, l_clock_advance);
    lua_setfield(L, -2, "advance");
    lua_setfield(L, chaos, "clock");
    int rc = cw_script_open_hooks(L, chaos);
    return rc ? rc : cw_script_open_state(L, chaos);
}
