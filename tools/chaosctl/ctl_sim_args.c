/* ctl_sim_args.c — argument checking shared by the chaos.sim functions: the
 * handles the binding makes (by their metatables and `id`), table fields,
 * zones, and small calls into Lua (the rules, cjson). Every error names the
 * function and the argument. See ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAYER_MT "chaos.player" /* the binding's handle metatables (bindings/world.c) */
#define ENTITY_MT "chaos.entity"

/* ---- arguments ------------------------------------------------------------------------------ */

ctl_world *ctl_sim_ready(lua_State *L, const char *f)
{
    ctl_world *w = lua_touserdata(L, lua_upvalueindex(1));
    if (w->busy)
        luaL_error(L, "%s: not from inside a hook, op or timer (the test file drives the world)",
                   f);
    if (!cw_gen_is_live(cw_gen_of(L)) || !w->host)
        luaL_error(L, "%s: not available while content loads", f);
    cw_error err = {0};
    if (ctl_world_build(w, &err) != 0) luaL_error(L, "%s: %s", f, err.msg);
    return w;
}

ctl_harg ctl_sim_handle(lua_State *L, int idx, const char *f, const char *what, int want_player)
{
    ctl_harg h = {0, 0};
    int ok = 0;
    if (lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, PLAYER_MT);
        h.player = lua_rawequal(L, -1, -2);
        luaL_getmetatable(L, ENTITY_MT);
        ok = h.player || (!want_player && lua_rawequal(L, -1, -3));
        lua_pop(L, 3);
    }
    if (!ok)
        luaL_error(L, "%s: %s (argument #%d) must be a %s handle, not a %s", f, what, idx,
                   want_player ? "player" : "player or entity", luaL_typename(L, idx));
    lua_getfield(L, idx, "id");
    h.id = (int64_t)lua_tonumber(L, -1);
    lua_pop(L, 1);
    return h;
}

cw_player *ctl_sim_online(lua_State *L, ctl_world *w, int idx, const char *f, const char *what)
{
    ctl_harg h = ctl_sim_handle(L, idx, f, what, 1);
    cw_player *p = cw_players_get(w->ps, h.id);
    if (!p || !p->online) luaL_error(L, "%s: %s (player %d) is not online", f, what, (int)h.id);
    return p;
}

cw_entity *ctl_sim_entity(lua_State *L, ctl_world *w, int idx, const char *f, const char *what)
{
    ctl_harg h = ctl_sim_handle(L, idx, f, what, 0);
    cw_entity *e = h.player ? cw_world_find_player(w->w, h.id) : cw_world_get(w->w, h.id);
    if (!e)
        luaL_error(L, "%s: %s (%s %d) is gone", f, what, h.player ? "player" : "entity", (int)h.id);
    return e;
}

void ctl_sim_table(lua_State *L, int idx, const char *f, const char *what)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: %s (argument #%d) must be a table, not a %s", f, what, idx,
                   luaL_typename(L, idx));
}

/* Argument idx: a string, or def when absent or nil. */
const char *ctl_sim_opt_string(lua_State *L, int idx, const char *f, const char *what,
                               const char *def)
{
    if (lua_isnoneornil(L, idx)) return def;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "%s: %s (argument #%d) must be a string, not a %s", f, what, idx,
                   luaL_typename(L, idx));
    return lua_tostring(L, idx);
}

/* t[k]: a string, or NULL when nil (required: raises). */
const char *ctl_sim_field_str(lua_State *L, int t, const char *k, const char *f, int required)
{
    lua_getfield(L, t, k);
    const char *s = NULL;
    if (lua_type(L, -1) == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1) || required)
        luaL_error(L, "%s: %s must be a string, not a %s", f, k, luaL_typename(L, -1));
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

/* t[k]: a finite number (*have 0 when nil). */
double ctl_sim_field_num(lua_State *L, int t, const char *k, const char *f, int *have)
{
    lua_getfield(L, t, k);
    double v = 0;
    *have = !lua_isnil(L, -1);
    if (*have) {
        if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(lua_tonumber(L, -1)))
            luaL_error(L, "%s: %s must be a finite number, not a %s", f, k, luaL_typename(L, -1));
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

int64_t ctl_sim_field_whole(lua_State *L, int t, const char *k, const char *f, double lo, double hi,
                            int *have)
{
    double v = ctl_sim_field_num(L, t, k, f, have);
    if (*have && (v != floor(v) || v < lo || v > hi))
        luaL_error(L, "%s: %s must be a whole number in [%.0f, %.0f]", f, k, lo, hi);
    return (int64_t)v;
}

int ctl_sim_zone(lua_State *L, ctl_world *w, const char *zone, const char *f)
{
    int zi = cw_zoneset_find(cw_world_zones(w->w), zone);
    if (zi < 0) luaL_error(L, "%s: no zone \"%s\"", f, zone);
    return zi;
}

/* Calls require("rules")[fn](arg) and returns its number. */
double ctl_sim_rules_call(lua_State *L, const char *fn, double arg)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, "rules");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, fn);
    lua_pushnumber(L, arg);
    lua_call(L, 1, 1);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 2);
    return v;
}

void ctl_sim_cjson(lua_State *L, const char *fn)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cjson");
    lua_getfield(L, -1, fn);
    lua_replace(L, -4);
    lua_pop(L, 2);
}

/* Pushes the decoded JSON text. */
void ctl_sim_push_decoded(lua_State *L, const char *json, size_t len)
{
    ctl_sim_cjson(L, "decode");
    lua_pushlstring(L, json, len);
    lua_call(L, 1, 1);
}
