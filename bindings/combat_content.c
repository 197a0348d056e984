/* combat_content.c — `chaos.combat` content configuration: reset, elements,
 * the element matrix, curves, resources and event order, damage types,
 * thresholds, DR categories, max_hit, and config() to read it all back. Every
 * setter is all or nothing: on a raised error the content is unchanged. */
#include "bindings/combat_internal.h"

#include <string.h>

/* --- configuration ------------------------------------------------------- */

static int l_reset(lua_State *L)
{
    cw_combat_content *c = content(L);
    uint32_t v = c->version;
    cw_combat_content_demo(c);
    c->version = v + 1;
    return 0;
}

static int l_set_elements(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *names[CW_COMBAT_MAX_ELEMENTS];
    int n = (int)lua_objlen(L, 1);
    if (n > CW_COMBAT_MAX_ELEMENTS)
        return luaL_error(L, "combat: more than %d elements", CW_COMBAT_MAX_ELEMENTS);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        names[i] = luaL_checkstring(L, -1); /* the list keeps the strings alive */
        lua_pop(L, 1);
    }
    cw_error err = {0};
    if (cw_combat_content_set_elements(content(L), names, n, &err)) return raise(L, &err);
    return 0;
}

/* set_matrix{ wood = {earth = 1.5, fire = 1.2}, ... }: listed entries only. */
static int l_set_matrix(lua_State *L)
{
    cw_combat_content *c = content(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_combat_content tmp = *c; /* all or nothing */
    cw_error err = {0};
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_istable(L, -1))
            return luaL_error(L, "combat: set_matrix wants {attacker = {defender = n}}");
        int a = element_arg(L, c, lua_gettop(L) - 1, 0);
        int row = lua_gettop(L);
        for (lua_pushnil(L); lua_next(L, row); lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_isnumber(L, -1))
                return luaL_error(L, "combat: matrix rows map element names to numbers");
            int d = element_arg(L, c, lua_gettop(L) - 1, 0);
            if (cw_combat_content_set_matrix(&tmp, a, d, lua_tonumber(L, -1), &err))
                return raise(L, &err);
        }
    }
    *c = tmp;
    return 0;
}

static int l_matrix(lua_State *L)
{
    cw_combat_content *c = content(L);
    int a = element_arg(L, c, 1, 0), d = element_arg(L, c, 2, 0);
    lua_pushnumber(L, c->matrix[a][d]);
    return 1;
}

static int l_set_curve(lua_State *L)
{
    cw_combat_content *c = content(L);
    int e = element_arg(L, c, 1, 0);
    luaL_checktype(L, 2, LUA_TTABLE);
    cw_error err = {0};
    if (cw_combat_content_set_curve(c, e, fnum(L, 2, "scale", c->curve[e].scale),
                                    fnum(L, 2, "steep", c->curve[e].steep), &err))
        return raise(L, &err);
    return 0;
}

/* set_resources{ {name="hp", gated=true, offline_cap=3600}, ... } */
static int l_set_resources(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = (int)lua_objlen(L, 1);
    if (n > CW_COMBAT_MAX_RESOURCES)
        return luaL_error(L, "combat: more than %d pools", CW_COMBAT_MAX_RESOURCES);
    const char *names[CW_COMBAT_MAX_RESOURCES];
    uint8_t gated[CW_COMBAT_MAX_RESOURCES];
    double caps[CW_COMBAT_MAX_RESOURCES];
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        lua_getfield(L, t, "name");
        names[i] = luaL_checkstring(L, -1);
        lua_pop(L, 1); /* the string stays alive in the entry table */
        gated[i] = (uint8_t)fbool(L, t, "gated", 0);
        caps[i] = fnum(L, t, "offline_cap", CW_COMBAT_DEFAULT_OFFLINE_CAP);
        lua_pop(L, 1);
    }
    cw_error err = {0};
    if (cw_combat_content_set_resources(content(L), names, gated, caps, n, &err))
        return raise(L, &err);
    return 0;
}

static int l_set_event_order(lua_State *L)
{
    cw_combat_content *c = content(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = (int)lua_objlen(L, 1), order[CW_COMBAT_MAX_RESOURCES];
    if (n > CW_COMBAT_MAX_RESOURCES) return luaL_error(L, "combat: too many pools in event order");
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        order[i] = resource_arg(L, c, lua_gettop(L));
        lua_pop(L, 1);
    }
    cw_error err = {0};
    if (cw_combat_content_set_event_order(c, order, n, &err)) return raise(L, &err);
    return 0;
}

/* set_damage_type("magical", {hp = 0.8, mp = 0.2}) */
static int l_set_damage_type(lua_State *L)
{
    cw_combat_content *c = content(L);
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    double split[CW_COMBAT_MAX_RESOURCES] = {0};
    lua_newtable(L);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "split");
    cw_lcombat_read_named(L, lua_gettop(L), "split", c, 0, split);
    cw_error err = {0};
    if (cw_combat_content_set_damage_type(c, name, split, &err)) return raise(L, &err);
    return 0;
}

/* set_thresholds{ {name=, pool=, enter=, exit= | hysteresis=, window=}, ... } (replaces all) */
static int l_set_thresholds(lua_State *L)
{
    cw_combat_content *c = content(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_combat_content tmp = *c;
    cw_combat_content_clear_thresholds(&tmp);
    cw_error err = {0};
    int n = (int)lua_objlen(L, 1);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        lua_getfield(L, t, "name");
        const char *name = luaL_checkstring(L, -1);
        lua_getfield(L, t, "pool");
        int r = resource_arg(L, c, lua_gettop(L));
        double enter = fnum(L, t, "enter", 0);
        double exit =
            fnum(L, t, "exit", enter + fnum(L, t, "hysteresis", CW_COMBAT_DEFAULT_HYSTERESIS));
        if (cw_combat_content_add_threshold(&tmp, name, r, enter, exit, fnum(L, t, "window", 0),
                                            &err))
            return raise(L, &err);
        lua_settop(L, t - 1);
    }
    *c = tmp;
    return 0;
}

/* set_dr("stun", {steps = {1, 0.5, 0.25}, reset = 15}) */
static int l_set_dr(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    double steps[CW_COMBAT_MAX_DR_STEPS];
    lua_getfield(L, 2, "steps");
    luaL_checktype(L, -1, LUA_TTABLE);
    int n = (int)lua_objlen(L, -1);
    if (n > CW_COMBAT_MAX_DR_STEPS)
        return luaL_error(L, "combat: more than %d dr steps", CW_COMBAT_MAX_DR_STEPS);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        steps[i] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    cw_error err = {0};
    if (cw_combat_content_set_dr(content(L), name, steps, n, fnum(L, 2, "reset", 15), &err))
        return raise(L, &err);
    return 0;
}

static int l_set_max_hit(lua_State *L)
{
    cw_error err = {0};
    if (cw_combat_content_set_max_hit(content(L), luaL_checknumber(L, 1), &err))
        return raise(L, &err);
    return 0;
}

static int l_config(lua_State *L)
{
    cw_combat_content *c = content(L);
    lua_createtable(L, 0, 6);
    lua_createtable(L, c->n_elements, 0);
    for (int i = 0; i < c->n_elements; i++) {
        lua_pushstring(L, c->element_name[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "elements");
    lua_createtable(L, c->n_resources, 0);
    for (int i = 0; i < c->n_resources; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, c->resource[i].name);
        lua_setfield(L, -2, "name");
        setbool(L, "gated", c->resource[i].regen_gated);
        setnum(L, "offline_cap", c->resource[i].offline_cap);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "pools");
    lua_createtable(L, 0, c->n_damage_types);
    for (int i = 0; i < c->n_damage_types; i++) {
        lua_createtable(L, 0, c->n_resources);
        for (int r = 0; r < c->n_resources; r++)
            if (c->damage_type[i].split[r] > 0)
                setnum(L, c->resource[r].name, c->damage_type[i].split[r]);
        lua_setfield(L, -2, c->damage_type[i].name);
    }
    lua_setfield(L, -2, "damage_types");
    lua_createtable(L, c->n_thresholds, 0);
    for (int i = 0; i < c->n_thresholds; i++) {
        const cw_combat_threshold_def *t = &c->threshold[i];
        lua_createtable(L, 0, 5);
        lua_pushstring(L, t->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, c->resource[t->resource].name);
        lua_setfield(L, -2, "pool");
        setnum(L, "enter", t->enter);
        setnum(L, "exit", t->exit);
        setnum(L, "window", t->window);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "thresholds");
    setnum(L, "max_hit", c->max_hit);
    return 1;
}
const luaL_Reg cw_lcombat_content_funcs[] = {
    {"reset", l_reset},
    {"set_elements", l_set_elements},
    {"set_matrix", l_set_matrix},
    {"matrix", l_matrix},
    {"set_curve", l_set_curve},
    {"set_resources", l_set_resources},
    {"set_event_order", l_set_event_order},
    {"set_damage_type", l_set_damage_type},
    {"set_thresholds", l_set_thresholds},
    {"set_dr", l_set_dr},
    {"set_max_hit", l_set_max_hit},
    {"config", l_config},
    {NULL, NULL},
};
