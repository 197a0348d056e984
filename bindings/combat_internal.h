/* combat_internal.h — shared by the `chaos.combat` binding files (not a public header).
 *
 *   combat.c          module entry cw_bind_combat, chaos.combat.hit, the σ/contest math
 *   combat_content.c  content configuration: elements, matrix, curves, resources,
 *                     damage types, thresholds, DR categories, max_hit, config()
 *   combat_pools.c    pools objects (tick, offline, shields, costs) and the pool/shield
 *                     table readers chaos.combat.hit also uses
 *   combat_effects.c  DoT/HoT, diminishing returns, cooldowns, cast_done
 *
 * Every function in the tables below gets the content userdata as upvalue 1.
 * Small table helpers are static inline here; the rest are defined once in the
 * file named beside them. */
#ifndef CW_BINDINGS_COMBAT_INTERNAL_H
#define CW_BINDINGS_COMBAT_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>

#include "core/sim/combat/combat.h"

#define MT_POOLS "chaos.combat.pools"
#define MT_DOT "chaos.combat.dot"
#define MT_DR "chaos.combat.dr"
#define MT_CD "chaos.combat.cooldowns"

static inline cw_combat_content *content(lua_State *L)
{
    return (cw_combat_content *)lua_touserdata(L, lua_upvalueindex(1));
}

static inline int raise(lua_State *L, const cw_error *err)
{
    return luaL_error(L, "%s", err->msg);
}

/* --- reading tables ------------------------------------------------------ */

static inline double fnum(lua_State *L, int t, const char *k, double def)
{
    double v = def;
    lua_getfield(L, t, k);
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1)) luaL_error(L, "combat: field '%s' must be a number", k);
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static inline int fbool(lua_State *L, int t, const char *k, int def)
{
    lua_getfield(L, t, k);
    int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static inline int find_or_raise(lua_State *L, int idx, const char *what, const char *name)
{
    if (idx < 0) luaL_error(L, "combat: unknown %s '%s'", what, name ? name : "?");
    return idx;
}

static inline int element_arg(lua_State *L, const cw_combat_content *c, int i, int def)
{
    if (lua_isnoneornil(L, i)) return def;
    const char *n = luaL_checkstring(L, i);
    return find_or_raise(L, cw_combat_element_find(c, n), "element", n);
}

static inline int felement(lua_State *L, int t, const char *k, const cw_combat_content *c, int def)
{
    lua_getfield(L, t, k);
    int v = element_arg(L, c, lua_gettop(L), def);
    lua_pop(L, 1);
    return v;
}

static inline int resource_arg(lua_State *L, const cw_combat_content *c, int i)
{
    const char *n = luaL_checkstring(L, i);
    return find_or_raise(L, cw_combat_resource_find(c, n), "pool", n);
}

/* --- writing tables ------------------------------------------------------ */

static inline void setnum(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static inline void setbool(lua_State *L, const char *k, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

/* Gameplay refusals come back as false, message; argument errors raise. */
static inline int verdict(lua_State *L, int rc, const cw_error *err)
{
    if (rc == CW_EINVAL) return raise(L, err);
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, err->msg);
    return 2;
}

/* combat_pools.c */
cw_combat_pools *cw_lcombat_check_pools(lua_State *L, int i);
void cw_lcombat_read_shield(lua_State *L, int t, cw_combat_shield *s);
/* {hp = {current=, max=, regen=}, ...} into p (names checked). */
void cw_lcombat_read_pool_table(lua_State *L, int t, const cw_combat_content *c,
                                cw_combat_pools *p);
void cw_lcombat_read_shield_list(lua_State *L, int t, cw_combat_pools *p);
/* {name = number} into v[] by resource (or damage type) name. */
void cw_lcombat_read_named(lua_State *L, int t, const char *k, const cw_combat_content *c,
                           int types, double *v);
int cw_lcombat_read_costs(lua_State *L, int t, const cw_combat_content *c, cw_combat_cost *costs);

/* Module functions and methods, NULL-terminated, registered by cw_bind_combat. */
extern const luaL_Reg cw_lcombat_content_funcs[]; /* combat_content.c */
extern const luaL_Reg cw_lcombat_pools_funcs[];   /* combat_pools.c */
extern const luaL_Reg cw_lcombat_pools_methods[];
extern const luaL_Reg cw_lcombat_effects_funcs[]; /* combat_effects.c */
extern const luaL_Reg cw_lcombat_dot_methods[];
extern const luaL_Reg cw_lcombat_dr_methods[];
extern const luaL_Reg cw_lcombat_cd_methods[];

#endif
