/* state.c — chaos.state(name, init): module state that survives a reload.
 *
 * chaos.state returns the generation's table for name, made by init() the
 * first time (registry CW_STATE_KEY). When a new generation goes live, the
 * contents of every table the old one kept under a name the new one also
 * asked for are copied into the new table (same table, so the module's
 * locals that hold it see the carried data). Plain data crosses: nil,
 * booleans, numbers, strings, tables (nested, shared and cyclic tables keep
 * their shape) and userdata whose metatable is registered by name in both
 * states (handles: their bytes are copied). Functions and other values stay
 * behind, each logged once per swap. */
#include "core/script/internal.h"

#include "core/base/log.h"

#include <lauxlib.h>
#include <string.h>

#define CW_STATE_KEY "chaos.state"
#define COPY_DEPTH 64

/* chaos.state(name, init) → table */
static int l_state(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!name[0] || strlen(name) > 64)
        return luaL_error(L, "chaos.state: name must be 1 to 64 bytes");
    lua_getfield(L, LUA_REGISTRYINDEX, CW_STATE_KEY);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, CW_STATE_KEY);
    }
    lua_getfield(L, -1, name);
    if (lua_istable(L, -1)) return 1;
    lua_pop(L, 1);
    if (lua_isfunction(L, 2)) {
        lua_pushvalue(L, 2);
        lua_call(L, 0, 1);
        if (!lua_istable(L, -1))
            return luaL_error(L, "chaos.state(\"%s\"): init must return a table", name);
    } else {
        lua_newtable(L);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

int cw_script_open_state(lua_State *L, int chaos)
{
    lua_pushcfunction(L, l_state);
    lua_setfield(L, chaos, "state");
    return 0;
}

typedef struct copier {
    lua_State *from, *to;
    int seen_from, seen_to; /* [from table as lightuserdata] = to table, in `to` */
    int dropped;
    const char *name;
} copier;

/* Name of the metatable of userdata at idx in L (registered by luaL_newmetatable), or NULL. */
static const char *udata_type(lua_State *L, int idx)
{
    static const char *const kinds[] = {"chaos.player", "chaos.entity", NULL};
    if (!lua_getmetatable(L, idx)) return NULL;
    for (int i = 0; kinds[i]; i++) {
        luaL_getmetatable(L, kinds[i]);
        int eq = lua_rawequal(L, -1, -2);
        lua_pop(L, 1);
        if (eq) {
            lua_pop(L, 1);
            return kinds[i];
        }
    }
    lua_pop(L, 1);
    return NULL;
}

static int copy_value(copier *c, int idx, int depth);

/* Copies the table at idx of `from` into the table on top of `to`. */
static void copy_into(copier *c, int idx, int depth)
{
    lua_State *f = c->from, *t = c->to;
    int dst = lua_gettop(t);
    lua_pushlightuserdata(t, (void *)lua_topointer(f, idx));
    lua_pushvalue(t, dst);
    lua_rawset(t, c->seen_to);
    lua_pushnil(f);
    while (lua_next(f, idx)) {
        int v = lua_gettop(f), k = v - 1;
        if (copy_value(c, k, depth + 1) && copy_value(c, v, depth + 1))
            lua_rawset(t, dst);
        else
            lua_settop(t, dst);
        lua_pop(f, 1);
    }
}

/* Pushes onto `to` a copy of from[idx]; 0 (nothing pushed) when it cannot cross. */
static int copy_value(copier *c, int idx, int depth)
{
    lua_State *f = c->from, *t = c->to;
    size_t len;
    const char *s;
    switch (lua_type(f, idx)) {
    case LUA_TNIL:
        lua_pushnil(t);
        return 1;
    case LUA_TBOOLEAN:
        lua_pushboolean(t, lua_toboolean(f, idx));
        return 1;
    case LUA_TNUMBER:
        lua_pushnumber(t, lua_tonumber(f, idx));
        return 1;
    case LUA_TSTRING:
        s = lua_tolstring(f, idx, &len);
        lua_pushlstring(t, s, len);
        return 1;
    case LUA_TTABLE:
        if (depth > COPY_DEPTH) break;
        lua_pushlightuserdata(t, (void *)lua_topointer(f, idx));
        lua_rawget(t, c->seen_to);
        if (lua_istable(t, -1)) return 1; /* shared or cyclic: the same copy */
        lua_pop(t, 1);
        lua_newtable(t);
        copy_into(c, idx, depth);
        return 1;
    case LUA_TUSERDATA: {
        const char *kind = udata_type(f, idx);
        if (!kind) break;
        len = lua_objlen(f, idx);
        void *dst = lua_newuserdata(t, len);
        memcpy(dst, lua_touserdata(f, idx), len);
        luaL_getmetatable(t, kind);
        if (!lua_istable(t, -1)) {
            lua_pop(t, 2);
            break;
        }
        lua_setmetatable(t, -2);
        return 1;
    }
    default:
        break;
    }
    c->dropped++;
    return 0;
}

void cw_script_carry_state(lua_State *from, lua_State *to)
{
    if (!from || !to) return;
    int ftop = lua_gettop(from), ttop = lua_gettop(to);
    lua_getfield(from, LUA_REGISTRYINDEX, CW_STATE_KEY);
    lua_getfield(to, LUA_REGISTRYINDEX, CW_STATE_KEY);
    if (!lua_istable(from, -1) || !lua_istable(to, -1)) goto done;
    int fs = lua_gettop(from), ts = lua_gettop(to);
    lua_newtable(to);
    copier c = {from, to, 0, lua_gettop(to), 0, NULL};
    lua_pushnil(from);
    while (lua_next(from, fs)) {
        if (lua_type(from, -2) == LUA_TSTRING && lua_istable(from, -1)) {
            const char *name = lua_tostring(from, -2);
            lua_getfield(to, ts, name);
            if (lua_istable(to, -1)) {
                /* Empty the new table, then fill it with the old contents. */
                int dst = lua_gettop(to);
                lua_pushnil(to);
                while (lua_next(to, dst)) {
                    lua_pop(to, 1);
                    lua_pushvalue(to, -1);
                    lua_pushnil(to);
                    lua_rawset(to, dst);
                }
                c.dropped = 0;
                copy_into(&c, lua_gettop(from), 0);
                if (c.dropped)
                    cw_log(CW_LOG_WARN, "reload: values that cannot cross left out of chaos.state",
                           CW_S("state", name), CW_I("values", c.dropped), CW_END);
            } else {
                cw_log(CW_LOG_INFO, "reload: chaos.state no longer used by the new content",
                       CW_S("state", name), CW_END);
            }
            lua_settop(to, c.seen_to);
        }
        lua_pop(from, 1);
    }
done:
    lua_settop(from, ftop);
    lua_settop(to, ttop);
}
