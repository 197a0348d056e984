/* combat_pools.c — `chaos.combat.pools{...}` objects: tick, offline, get/set,
 * shields, snapshot, death and revive, costs; and the pool/shield table readers
 * chaos.combat.hit shares (see combat_internal.h). */
#include "bindings/combat_internal.h"

#include <string.h>

void cw_lcombat_read_shield(lua_State *L, int t, cw_combat_shield *s)
{
    luaL_checktype(L, t, LUA_TTABLE);
    s->amount = fnum(L, t, "amount", 0);
    s->decay = fnum(L, t, "decay", 0);
    s->order = (int32_t)fnum(L, t, "order", 0);
    s->id = (uint32_t)fnum(L, t, "id", 0);
}

void cw_lcombat_read_pool_table(lua_State *L, int t, const cw_combat_content *c, cw_combat_pools *p)
{
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) continue;
        const char *n = lua_tostring(L, -2);
        if (strcmp(n, "shields") == 0) continue;
        int r = find_or_raise(L, cw_combat_resource_find(c, n), "pool", n);
        int pt = lua_gettop(L);
        luaL_checktype(L, pt, LUA_TTABLE);
        p->pool[r].max = fnum(L, pt, "max", 0);
        p->pool[r].current = fnum(L, pt, "current", p->pool[r].max);
        p->pool[r].regen = fnum(L, pt, "regen", 0);
    }
}

void cw_lcombat_read_shield_list(lua_State *L, int t, cw_combat_pools *p)
{
    int n = (int)lua_objlen(L, t);
    if (n > CW_COMBAT_MAX_SHIELDS)
        luaL_error(L, "combat: more than %d shields", CW_COMBAT_MAX_SHIELDS);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, t, i + 1);
        cw_lcombat_read_shield(L, lua_gettop(L), &p->shield[i]);
        lua_pop(L, 1);
    }
    p->n_shields = n;
}

/* --- pools objects ------------------------------------------------------- */

cw_combat_pools *cw_lcombat_check_pools(lua_State *L, int i)
{
    return luaL_checkudata(L, i, MT_POOLS);
}

static int l_pools(lua_State *L)
{
    cw_combat_content *c = content(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_combat_pools *p = lua_newuserdata(L, sizeof *p);
    cw_combat_pools_init(p, c);
    luaL_setmetatable(L, MT_POOLS);
    cw_lcombat_read_pool_table(L, 1, c, p);
    lua_getfield(L, 1, "shields");
    if (lua_istable(L, -1)) cw_lcombat_read_shield_list(L, lua_gettop(L), p);
    lua_pop(L, 1);
    cw_combat_pools_settle(p, c);
    return 1;
}

void cw_lcombat_read_named(lua_State *L, int t, const char *k, const cw_combat_content *c,
                           int types, double *v)
{
    lua_getfield(L, t, k);
    if (lua_istable(L, -1)) {
        int nt = lua_gettop(L);
        for (lua_pushnil(L); lua_next(L, nt); lua_pop(L, 1)) {
            const char *n = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            if (!n || !lua_isnumber(L, -1))
                luaL_error(L, "combat: '%s' must map names to numbers", k);
            int i = types ? cw_combat_damage_type_find(c, n) : cw_combat_resource_find(c, n);
            v[find_or_raise(L, i, types ? "damage type" : "pool", n)] += lua_tonumber(L, -1);
        }
    }
    lua_pop(L, 1);
}

static void push_events(lua_State *L, const cw_combat_content *c, const cw_combat_events *ev)
{
    static const char *const kinds[] = {"death", "enter", "exit"};
    lua_createtable(L, ev->n, 0);
    for (int i = 0; i < ev->n; i++) {
        const cw_combat_event *e = &ev->ev[i];
        lua_createtable(L, 0, 5);
        lua_pushstring(L, kinds[e->kind]);
        lua_setfield(L, -2, "kind");
        lua_pushstring(L, c->resource[e->resource].name);
        lua_setfield(L, -2, "pool");
        if (e->threshold >= 0) {
            lua_pushstring(L, c->threshold[e->threshold].name);
            lua_setfield(L, -2, "threshold");
        }
        setnum(L, "merged", e->merged);
        setnum(L, "ratio", e->ratio);
        lua_rawseti(L, -2, i + 1);
    }
}

static int l_pools_tick(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    cw_combat_tick_in in;
    memset(&in, 0, sizeof in);
    in.dt = luaL_checknumber(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        in.in_combat = (uint8_t)fbool(L, 3, "in_combat", 0);
        cw_lcombat_read_named(L, 3, "damage", c, 0, in.damage);
        cw_lcombat_read_named(L, 3, "heal", c, 0, in.heal);
        cw_lcombat_read_named(L, 3, "typed", c, 1, in.typed);
    }
    cw_combat_events ev;
    cw_error err = {0};
    if (cw_combat_pools_tick(p, c, &in, &ev, &err)) return raise(L, &err);
    push_events(L, c, &ev);
    return 1;
}

static int l_pools_offline(lua_State *L)
{
    cw_error err = {0};
    if (cw_combat_pools_offline(cw_lcombat_check_pools(L, 1), content(L), luaL_checknumber(L, 2),
                                &err))
        return raise(L, &err);
    return 0;
}

static int l_pools_get(lua_State *L)
{
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    const cw_combat_pool *pl = &p->pool[resource_arg(L, content(L), 2)];
    lua_pushnumber(L, pl->current);
    lua_pushnumber(L, pl->max);
    lua_pushnumber(L, pl->regen);
    return 3;
}

static int l_pools_set(lua_State *L)
{
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    cw_combat_pool *pl = &p->pool[resource_arg(L, content(L), 2)];
    luaL_checktype(L, 3, LUA_TTABLE);
    pl->max = fnum(L, 3, "max", pl->max);
    pl->current = fnum(L, 3, "current", pl->current);
    pl->regen = fnum(L, 3, "regen", pl->regen);
    if (pl->current > pl->max) pl->current = pl->max;
    return 0;
}

static int l_pools_settle(lua_State *L)
{
    cw_combat_pools_settle(cw_lcombat_check_pools(L, 1), content(L));
    return 0;
}

static int l_pools_add_shield(lua_State *L)
{
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    cw_combat_shield s;
    cw_lcombat_read_shield(L, 2, &s);
    cw_error err = {0};
    if (cw_combat_pools_add_shield(p, s.amount, s.decay, s.order, s.id, &err))
        return raise(L, &err);
    return 0;
}

static int l_pools_shields(lua_State *L)
{
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    lua_createtable(L, p->n_shields, 0);
    for (int i = 0; i < p->n_shields; i++) {
        lua_createtable(L, 0, 4);
        setnum(L, "amount", p->shield[i].amount);
        setnum(L, "decay", p->shield[i].decay);
        setnum(L, "order", p->shield[i].order);
        setnum(L, "id", p->shield[i].id);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_pools_snapshot(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    lua_createtable(L, 0, c->n_resources + 3);
    for (int r = 0; r < c->n_resources; r++) {
        lua_createtable(L, 0, 4);
        setnum(L, "current", p->pool[r].current);
        setnum(L, "max", p->pool[r].max);
        setnum(L, "regen", p->pool[r].regen);
        setnum(L, "ratio", p->pool[r].max > 0 ? p->pool[r].current / p->pool[r].max : 0);
        lua_setfield(L, -2, c->resource[r].name);
    }
    l_pools_shields(L);
    lua_setfield(L, -2, "shields");
    setbool(L, "dead", p->dead);
    setnum(L, "time", p->time);
    return 1;
}

static int l_pools_dead(lua_State *L)
{
    lua_pushboolean(L, cw_lcombat_check_pools(L, 1)->dead);
    return 1;
}

static int l_pools_revive(lua_State *L)
{
    cw_combat_pools_revive(cw_lcombat_check_pools(L, 1), content(L), luaL_checknumber(L, 2));
    return 0;
}

int cw_lcombat_read_costs(lua_State *L, int t, const cw_combat_content *c, cw_combat_cost *costs)
{
    luaL_checktype(L, t, LUA_TTABLE);
    int n = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (!name || !lua_isnumber(L, -1)) luaL_error(L, "combat: costs map pool names to numbers");
        if (n >= CW_COMBAT_MAX_COSTS)
            luaL_error(L, "combat: more than %d costs", CW_COMBAT_MAX_COSTS);
        costs[n].resource = find_or_raise(L, cw_combat_resource_find(c, name), "pool", name);
        costs[n++].amount = lua_tonumber(L, -1);
    }
    return n;
}

static int l_pools_spend(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = cw_lcombat_read_costs(L, 2, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_cost_spend(p, c, costs, n, &err), &err);
}

static int l_pools_can_spend(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = cw_lcombat_check_pools(L, 1);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = cw_lcombat_read_costs(L, 2, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_cost_check(p, c, costs, n, &err), &err);
}

const luaL_Reg cw_lcombat_pools_methods[] = {
    {"tick", l_pools_tick},
    {"offline", l_pools_offline},
    {"get", l_pools_get},
    {"set", l_pools_set},
    {"settle", l_pools_settle},
    {"add_shield", l_pools_add_shield},
    {"shields", l_pools_shields},
    {"snapshot", l_pools_snapshot},
    {"dead", l_pools_dead},
    {"revive", l_pools_revive},
    {"spend", l_pools_spend},
    {"can_spend", l_pools_can_spend},
    {NULL, NULL},
};

const luaL_Reg cw_lcombat_pools_funcs[] = {{"pools", l_pools}, {NULL, NULL}};
