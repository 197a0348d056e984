/* combat_effects.c — `chaos.combat` effects over time: DoT/HoT objects with
 * pandemic refresh, crowd-control diminishing returns, cooldown tables and the
 * cast-time check. */
#include "bindings/combat_internal.h"

#include <string.h>

/* --- DoT / HoT ----------------------------------------------------------- */

static int l_dot(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_combat_dot *d = lua_newuserdata(L, sizeof *d);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, MT_DOT);
    cw_error err = {0};
    if (cw_combat_dot_start(d, fnum(L, 1, "magnitude", 0), fnum(L, 1, "period", 1),
                            fnum(L, 1, "duration", 0), &err))
        return raise(L, &err);
    return 1;
}

static int l_dot_advance(lua_State *L)
{
    cw_combat_dot *d = luaL_checkudata(L, 1, MT_DOT);
    double dt = luaL_checknumber(L, 2);
    int ticks = 0;
    lua_pushnumber(L, cw_combat_dot_advance(d, dt, &ticks));
    lua_pushinteger(L, ticks);
    return 2;
}

static int l_dot_refresh(lua_State *L)
{
    cw_combat_dot *d = luaL_checkudata(L, 1, MT_DOT);
    luaL_checktype(L, 2, LUA_TTABLE);
    cw_error err = {0};
    if (cw_combat_dot_refresh(d, fnum(L, 2, "magnitude", d->magnitude),
                              fnum(L, 2, "duration", d->base_duration), &err))
        return raise(L, &err);
    return 0;
}

static int l_dot_state(lua_State *L)
{
    cw_combat_dot *d = luaL_checkudata(L, 1, MT_DOT);
    lua_createtable(L, 0, 5);
    setnum(L, "magnitude", d->magnitude);
    setnum(L, "period", d->period);
    setnum(L, "remaining", d->remaining);
    setnum(L, "next_tick", d->to_next);
    setbool(L, "active", d->active);
    return 1;
}

const luaL_Reg cw_lcombat_dot_methods[] = {
    {"advance", l_dot_advance},
    {"refresh", l_dot_refresh},
    {"state", l_dot_state},
    {NULL, NULL},
};

/* --- diminishing returns ------------------------------------------------- */

static int l_dr(lua_State *L)
{
    cw_combat_dr *dr = lua_newuserdata(L, sizeof *dr);
    cw_combat_dr_init(dr);
    luaL_setmetatable(L, MT_DR);
    return 1;
}

static int dr_call(lua_State *L, int apply)
{
    cw_combat_content *c = content(L);
    cw_combat_dr *dr = luaL_checkudata(L, 1, MT_DR);
    const char *n = luaL_checkstring(L, 2);
    int cat = find_or_raise(L, cw_combat_dr_find(c, n), "dr category", n);
    double now = luaL_checknumber(L, 3), f = 0;
    cw_error err = {0};
    int rc = apply ? cw_combat_dr_apply(dr, c, cat, now, &f, &err)
                   : cw_combat_dr_peek(dr, c, cat, now, &f, &err);
    if (rc) return raise(L, &err);
    lua_pushnumber(L, f);
    return 1;
}

static int l_dr_apply(lua_State *L)
{
    return dr_call(L, 1);
}

static int l_dr_peek(lua_State *L)
{
    return dr_call(L, 0);
}

const luaL_Reg cw_lcombat_dr_methods[] = {{"apply", l_dr_apply}, {"peek", l_dr_peek}, {NULL, NULL}};

/* --- cooldowns, casts ---------------------------------------------------- */

static int l_cooldowns(lua_State *L)
{
    cw_combat_cooldowns *cd = lua_newuserdata(L, sizeof *cd);
    cw_combat_cooldowns_init(cd);
    luaL_setmetatable(L, MT_CD);
    return 1;
}

static uint32_t skill_arg(lua_State *L, int i)
{
    lua_Number v = luaL_checknumber(L, i);
    if (!(v >= 0 && v <= 4294967295.0)) luaL_error(L, "combat: skill id must be in [0, 2^32)");
    return (uint32_t)v;
}

static int l_cd_start(lua_State *L)
{
    cw_combat_cooldowns *cd = luaL_checkudata(L, 1, MT_CD);
    cw_error err = {0};
    int rc = cw_combat_cooldown_start(cd, skill_arg(L, 2), luaL_checknumber(L, 3),
                                      luaL_checknumber(L, 4), &err);
    return verdict(L, rc, &err);
}

static int l_cd_ready(lua_State *L)
{
    cw_combat_cooldowns *cd = luaL_checkudata(L, 1, MT_CD);
    double left = cw_combat_cooldown_remaining(cd, skill_arg(L, 2), luaL_checknumber(L, 3));
    lua_pushboolean(L, left <= 0);
    lua_pushnumber(L, left);
    return 2;
}

/* cd:use(skill_id, now, cooldown, pools, costs) -> true | false, why */
static int l_cd_use(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_cooldowns *cd = luaL_checkudata(L, 1, MT_CD);
    uint32_t skill = skill_arg(L, 2);
    double now = luaL_checknumber(L, 3), cool = luaL_checknumber(L, 4);
    cw_combat_pools *p = cw_lcombat_check_pools(L, 5);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = lua_isnoneornil(L, 6) ? 0 : cw_lcombat_read_costs(L, 6, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_skill_use(cd, p, c, skill, now, cool, costs, n, &err), &err);
}

const luaL_Reg cw_lcombat_cd_methods[] = {
    {"start", l_cd_start}, {"ready", l_cd_ready}, {"use", l_cd_use}, {NULL, NULL}};

static int l_cast_done(lua_State *L)
{
    cw_error err = {0};
    int rc = cw_combat_cast_check(luaL_checknumber(L, 1), luaL_checknumber(L, 2),
                                  luaL_checknumber(L, 3), &err);
    return verdict(L, rc, &err);
}

const luaL_Reg cw_lcombat_effects_funcs[] = {
    {"dot", l_dot}, {"dr", l_dr}, {"cooldowns", l_cooldowns}, {"cast_done", l_cast_done},
    {NULL, NULL},
};
