/* combat.c — `chaos.combat`: the Lua face of core/sim/combat/combat.h.
 *
 * Thin: tables are read into the core's plain structs with checks that name
 * the bad field, the core computes, results are written back as tables. The
 * per-state content tables (element matrix, curves, resources, damage types,
 * thresholds, DR categories, max_hit) live in one full userdata anchored in
 * the registry under "chaos.combat.content" and passed to every function as
 * upvalue 1; it holds no pointers or heap memory, so Lua's collector frees it
 * with the state and no __gc is needed. It starts with the demo defaults.
 *
 * Gameplay refusals (cooldown running, not enough mp) return false, message;
 * bad arguments raise errors. See docs/combat.md for the designer's guide. */
#include "bindings/bindings.h"

#include <lauxlib.h>
#include <string.h>

#include "core/sim/combat/combat.h"

#define MT_POOLS "chaos.combat.pools"
#define MT_DOT "chaos.combat.dot"
#define MT_DR "chaos.combat.dr"
#define MT_CD "chaos.combat.cooldowns"
#define ABS(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

static cw_combat_content *content(lua_State *L)
{
    return (cw_combat_content *)lua_touserdata(L, lua_upvalueindex(1));
}

static int raise(lua_State *L, const cw_error *err)
{
    return luaL_error(L, "%s", err->msg);
}

/* --- reading tables ------------------------------------------------------ */

static double fnum(lua_State *L, int t, const char *k, double def)
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

static int fbool(lua_State *L, int t, const char *k, int def)
{
    lua_getfield(L, t, k);
    int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static int find_or_raise(lua_State *L, int idx, const char *what, const char *name)
{
    if (idx < 0) luaL_error(L, "combat: unknown %s '%s'", what, name ? name : "?");
    return idx;
}

static int element_arg(lua_State *L, const cw_combat_content *c, int i, int def)
{
    if (lua_isnoneornil(L, i)) return def;
    const char *n = luaL_checkstring(L, i);
    return find_or_raise(L, cw_combat_element_find(c, n), "element", n);
}

static int felement(lua_State *L, int t, const char *k, const cw_combat_content *c, int def)
{
    lua_getfield(L, t, k);
    int v = element_arg(L, c, lua_gettop(L), def);
    lua_pop(L, 1);
    return v;
}

static int resource_arg(lua_State *L, const cw_combat_content *c, int i)
{
    const char *n = luaL_checkstring(L, i);
    return find_or_raise(L, cw_combat_resource_find(c, n), "pool", n);
}

/* A stat: a number (omni) or {omni = n, fire = n, ...}. */
static void fstat(lua_State *L, int t, const char *k, const cw_combat_content *c, cw_combat_stat *s)
{
    lua_getfield(L, t, k);
    if (lua_isnumber(L, -1)) {
        s->omni = lua_tonumber(L, -1);
    } else if (lua_istable(L, -1)) {
        int st = lua_gettop(L);
        for (lua_pushnil(L); lua_next(L, st); lua_pop(L, 1)) {
            const char *e = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            if (!e || !lua_isnumber(L, -1))
                luaL_error(L, "combat: '%s' must map element names to numbers", k);
            if (strcmp(e, "omni") == 0)
                s->omni = lua_tonumber(L, -1);
            else
                s->elem[find_or_raise(L, cw_combat_element_find(c, e), "element", e)] =
                    lua_tonumber(L, -1);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "combat: '%s' must be a number or a table", k);
    }
    lua_pop(L, 1);
}

static void fpack(lua_State *L, int t, const char *k, cw_combat_pack *p)
{
    lua_getfield(L, t, k);
    int pt = lua_gettop(L);
    if (lua_istable(L, pt)) {
        p->additive_percent = fnum(L, pt, "additive_percent", 0);
        p->post_add = fnum(L, pt, "post_add", 0);
        lua_getfield(L, pt, "multipliers");
        if (lua_isnumber(L, -1)) {
            p->n_multipliers = 1;
            p->multipliers[0] = lua_tonumber(L, -1);
        } else if (lua_istable(L, -1)) {
            int n = (int)lua_objlen(L, -1);
            if (n > CW_COMBAT_MAX_MULTIPLIERS)
                luaL_error(L, "combat: pack '%s': more than %d multipliers", k,
                           CW_COMBAT_MAX_MULTIPLIERS);
            for (int i = 0; i < n; i++) {
                lua_rawgeti(L, -1, i + 1);
                if (!lua_isnumber(L, -1))
                    luaL_error(L, "combat: pack '%s': multipliers must be numbers", k);
                p->multipliers[i] = lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
            p->n_multipliers = n;
        }
        lua_pop(L, 1);
    } else if (!lua_isnil(L, pt)) {
        luaL_error(L, "combat: pack '%s' must be a table", k);
    }
    lua_pop(L, 1);
}

static const struct {
    const char *name;
    size_t off;
} STATS[] = {
#define S(f)                                                                                       \
    {                                                                                              \
#f, offsetof(cw_combat_actor, f)                                                           \
    }
    S(accuracy),
    S(evasion),
    S(power),
    S(defense),
    S(crit_rate),
    S(crit_resist),
    S(crit_damage),
    S(crit_damage_resist),
    S(status_power),
    S(status_resist),
    S(status_duration),
    S(status_duration_resist),
    S(status_intensity),
    S(status_intensity_resist),
    S(mastery),
#undef S
};

static void read_actor(lua_State *L, int t, const cw_combat_content *c, cw_combat_actor *a)
{
    luaL_checktype(L, t, LUA_TTABLE);
    cw_combat_actor_init(a);
    a->element = felement(L, t, "element", c, 0);
    for (size_t i = 0; i < sizeof STATS / sizeof STATS[0]; i++)
        fstat(L, t, STATS[i].name, c, (cw_combat_stat *)((char *)a + STATS[i].off));
    lua_getfield(L, t, "packs");
    if (lua_istable(L, -1)) {
        int pt = lua_gettop(L);
        fpack(L, pt, "damage", &a->damage);
        fpack(L, pt, "damage_taken", &a->damage_taken);
    }
    lua_pop(L, 1);
}

static void read_skill(lua_State *L, int t, const cw_combat_content *c, cw_combat_skill *s)
{
    luaL_checktype(L, t, LUA_TTABLE);
    cw_combat_skill_init(s);
    s->base_min = fnum(L, t, "base_min", 0);
    s->base_max = fnum(L, t, "base_max", s->base_min);
    s->scaling = fnum(L, t, "scaling", 1);
    s->flat = fnum(L, t, "flat", 0);
    s->penetration = fnum(L, t, "penetration", 0);
    s->element = felement(L, t, "element", c, CW_COMBAT_ELEMENT_ATTACKER);
    s->true_damage = (uint8_t)fbool(L, t, "true_damage", 0);
    lua_getfield(L, t, "damage_type");
    if (lua_isnil(L, -1)) {
        s->damage_type = 0;
    } else {
        const char *n = luaL_checkstring(L, -1);
        s->damage_type = find_or_raise(L, cw_combat_damage_type_find(c, n), "damage type", n);
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "status");
    if (lua_istable(L, -1)) {
        int st = lua_gettop(L);
        s->has_status = 1;
        s->status.duration_base = fnum(L, st, "duration", 0);
        s->status.duration_max = fnum(L, st, "max_duration", s->status.duration_base);
        s->status.intensity_base = fnum(L, st, "intensity", 0);
        s->status.intensity_max = fnum(L, st, "max_intensity", s->status.intensity_base);
        s->status.requires_hit = (uint8_t)fbool(L, st, "requires_hit", 1);
    }
    lua_pop(L, 1);
}

static void read_shield(lua_State *L, int t, cw_combat_shield *s)
{
    luaL_checktype(L, t, LUA_TTABLE);
    s->amount = fnum(L, t, "amount", 0);
    s->decay = fnum(L, t, "decay", 0);
    s->order = (int32_t)fnum(L, t, "order", 0);
    s->id = (uint32_t)fnum(L, t, "id", 0);
}

/* {hp = {current=, max=, regen=}, ...} into p (names checked). */
static void read_pool_table(lua_State *L, int t, const cw_combat_content *c, cw_combat_pools *p)
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

static void read_shield_list(lua_State *L, int t, cw_combat_pools *p)
{
    int n = (int)lua_objlen(L, t);
    if (n > CW_COMBAT_MAX_SHIELDS)
        luaL_error(L, "combat: more than %d shields", CW_COMBAT_MAX_SHIELDS);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, t, i + 1);
        read_shield(L, lua_gettop(L), &p->shield[i]);
        lua_pop(L, 1);
    }
    p->n_shields = n;
}

/* --- writing tables ------------------------------------------------------ */

static void setnum(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void setbool(lua_State *L, const char *k, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

static void push_record(lua_State *L, const cw_combat_content *c, const cw_combat_hit_record *r)
{
    lua_createtable(L, 0, 32);
    setbool(L, "hit", r->hit);
    setbool(L, "crit", r->crit);
    setbool(L, "killed", r->killed);
    setbool(L, "true_damage", r->true_damage);
    lua_pushstring(L, c->element_name[r->element]);
    lua_setfield(L, -2, "element");
    lua_pushstring(L, r->damage_type < 0 ? "true" : c->damage_type[r->damage_type].name);
    lua_setfield(L, -2, "damage_type");
    setnum(L, "p_hit", r->p_hit);
    setnum(L, "p_crit", r->p_crit);
    setnum(L, "bd", r->bd);
    setnum(L, "pp", r->pp);
    setnum(L, "def", r->def);
    setnum(L, "pre", r->pre);
    setnum(L, "matrix", r->matrix);
    setnum(L, "m", r->m);
    setnum(L, "cm", r->cm);
    setnum(L, "mb", r->mb);
    setnum(L, "ad", r->ad);
    setnum(L, "penetration", r->penetration);
    setnum(L, "damage", r->damage);
    setnum(L, "absorbed", r->absorbed);
    setnum(L, "overflow", r->overflow);
    lua_createtable(L, CW_COMBAT_ROLLS, 0);
    for (int i = 0; i < CW_COMBAT_ROLLS; i++) {
        lua_pushnumber(L, r->rolls[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "rolls");
    lua_createtable(L, r->n_shields, 0);
    for (int i = 0; i < r->n_shields; i++) {
        lua_pushnumber(L, r->absorbed_by[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "absorbed_by");
    lua_createtable(L, 0, r->n_resources);
    for (int i = 0; i < r->n_resources; i++)
        setnum(L, c->resource[i].name, r->resource[i]);
    lua_setfield(L, -2, "resources");
    if (r->p_status > 0 || r->status_applied || r->status_duration > 0) {
        lua_createtable(L, 0, 4);
        setbool(L, "applied", r->status_applied);
        setnum(L, "p", r->p_status);
        setnum(L, "duration", r->status_duration);
        setnum(L, "intensity", r->status_intensity);
        lua_setfield(L, -2, "status");
    }
}

/* --- chaos.combat.hit ---------------------------------------------------- */

static uint64_t seed_word(lua_State *L, int t, const char *k)
{
    double v = fnum(L, t, k, 0);
    if (!(v >= 0 && v < 18446744073709551616.0))
        luaL_error(L, "combat: opts.%s must be a number >= 0", k);
    return (uint64_t)v;
}

static int l_hit(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_actor atk, def;
    cw_combat_skill sk;
    cw_combat_seed seed = {0};
    cw_combat_pools local, *pools = &local;
    cw_combat_hit_record rec;
    cw_error err = {0};
    read_actor(L, 1, c, &atk);
    read_actor(L, 2, c, &def);
    read_skill(L, 3, c, &sk);
    int apply = 1;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        seed.server_seed = seed_word(L, 4, "seed");
        seed.tick = seed_word(L, 4, "tick");
        seed.attacker_id = seed_word(L, 4, "attacker_id");
        seed.target_id = seed_word(L, 4, "target_id");
        seed.skill_id = seed_word(L, 4, "skill_id");
        apply = fbool(L, 4, "apply", 1);
    }
    cw_combat_pools_init(&local, c);
    lua_getfield(L, 2, "pools");
    int pt = lua_gettop(L);
    cw_combat_pools *ud = luaL_testudata(L, pt, MT_POOLS);
    if (ud) {
        pools = ud;
    } else {
        if (lua_istable(L, pt)) read_pool_table(L, pt, c, &local);
        lua_getfield(L, 2, "shields");
        if (lua_istable(L, -1)) read_shield_list(L, lua_gettop(L), &local);
        lua_pop(L, 1);
    }
    if (cw_combat_hit(c, &atk, &def, pools, &sk, &seed, &rec, &err)) return raise(L, &err);
    if (apply) {
        if (cw_combat_hit_apply(pools, c, &rec, &err)) return raise(L, &err);
        if (!ud) { /* write back into the caller's tables */
            if (lua_istable(L, pt)) {
                for (int r = 0; r < c->n_resources; r++) {
                    lua_getfield(L, pt, c->resource[r].name);
                    if (lua_istable(L, -1)) setnum(L, "current", local.pool[r].current);
                    lua_pop(L, 1);
                }
            }
            lua_getfield(L, 2, "shields");
            for (int i = 0; i < local.n_shields; i++) {
                lua_rawgeti(L, -1, i + 1);
                setnum(L, "amount", local.shield[i].amount);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    push_record(L, c, &rec);
    return 1;
}

/* --- pools objects ------------------------------------------------------- */

static cw_combat_pools *check_pools(lua_State *L, int i)
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
    read_pool_table(L, 1, c, p);
    lua_getfield(L, 1, "shields");
    if (lua_istable(L, -1)) read_shield_list(L, lua_gettop(L), p);
    lua_pop(L, 1);
    cw_combat_pools_settle(p, c);
    return 1;
}

/* {name = number} into v[] by resource (or damage type) name. */
static void read_named(lua_State *L, int t, const char *k, const cw_combat_content *c, int types,
                       double *v)
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
    cw_combat_pools *p = check_pools(L, 1);
    cw_combat_tick_in in;
    memset(&in, 0, sizeof in);
    in.dt = luaL_checknumber(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        in.in_combat = (uint8_t)fbool(L, 3, "in_combat", 0);
        read_named(L, 3, "damage", c, 0, in.damage);
        read_named(L, 3, "heal", c, 0, in.heal);
        read_named(L, 3, "typed", c, 1, in.typed);
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
    if (cw_combat_pools_offline(check_pools(L, 1), content(L), luaL_checknumber(L, 2), &err))
        return raise(L, &err);
    return 0;
}

static int l_pools_get(lua_State *L)
{
    cw_combat_pools *p = check_pools(L, 1);
    const cw_combat_pool *pl = &p->pool[resource_arg(L, content(L), 2)];
    lua_pushnumber(L, pl->current);
    lua_pushnumber(L, pl->max);
    lua_pushnumber(L, pl->regen);
    return 3;
}

static int l_pools_set(lua_State *L)
{
    cw_combat_pools *p = check_pools(L, 1);
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
    cw_combat_pools_settle(check_pools(L, 1), content(L));
    return 0;
}

static int l_pools_add_shield(lua_State *L)
{
    cw_combat_pools *p = check_pools(L, 1);
    cw_combat_shield s;
    read_shield(L, 2, &s);
    cw_error err = {0};
    if (cw_combat_pools_add_shield(p, s.amount, s.decay, s.order, s.id, &err))
        return raise(L, &err);
    return 0;
}

static int l_pools_shields(lua_State *L)
{
    cw_combat_pools *p = check_pools(L, 1);
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
    cw_combat_pools *p = check_pools(L, 1);
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
    lua_pushboolean(L, check_pools(L, 1)->dead);
    return 1;
}

static int l_pools_revive(lua_State *L)
{
    cw_combat_pools_revive(check_pools(L, 1), content(L), luaL_checknumber(L, 2));
    return 0;
}

static int read_costs(lua_State *L, int t, const cw_combat_content *c, cw_combat_cost *costs)
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

/* Gameplay refusals come back as false, message; argument errors raise. */
static int verdict(lua_State *L, int rc, const cw_error *err)
{
    if (rc == CW_EINVAL) return raise(L, err);
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, err->msg);
    return 2;
}

static int l_pools_spend(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = check_pools(L, 1);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = read_costs(L, 2, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_cost_spend(p, c, costs, n, &err), &err);
}

static int l_pools_can_spend(lua_State *L)
{
    cw_combat_content *c = content(L);
    cw_combat_pools *p = check_pools(L, 1);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = read_costs(L, 2, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_cost_check(p, c, costs, n, &err), &err);
}

static const luaL_Reg POOLS_METHODS[] = {
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

static const luaL_Reg DOT_METHODS[] = {
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

static const luaL_Reg DR_METHODS[] = {{"apply", l_dr_apply}, {"peek", l_dr_peek}, {NULL, NULL}};

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
    cw_combat_pools *p = check_pools(L, 5);
    cw_combat_cost costs[CW_COMBAT_MAX_COSTS];
    int n = lua_isnoneornil(L, 6) ? 0 : read_costs(L, 6, c, costs);
    cw_error err = {0};
    return verdict(L, cw_combat_skill_use(cd, p, c, skill, now, cool, costs, n, &err), &err);
}

static const luaL_Reg CD_METHODS[] = {
    {"start", l_cd_start}, {"ready", l_cd_ready}, {"use", l_cd_use}, {NULL, NULL}};

static int l_cast_done(lua_State *L)
{
    cw_error err = {0};
    int rc = cw_combat_cast_check(luaL_checknumber(L, 1), luaL_checknumber(L, 2),
                                  luaL_checknumber(L, 3), &err);
    return verdict(L, rc, &err);
}

/* --- math ---------------------------------------------------------------- */

static int l_sigma(lua_State *L)
{
    lua_pushnumber(L, cw_combat_sigma(luaL_checknumber(L, 1)));
    return 1;
}

static int l_contest(lua_State *L)
{
    cw_combat_content *c = content(L);
    int e = element_arg(L, c, 3, 0);
    lua_pushnumber(L,
                   cw_combat_contest(&c->curve[e], luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

static int l_crit_multiplier(lua_State *L)
{
    cw_combat_content *c = content(L);
    int e = element_arg(L, c, 3, 0);
    lua_pushnumber(
        L, cw_combat_crit_multiplier(&c->curve[e], luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

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
    read_named(L, lua_gettop(L), "split", c, 0, split);
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

static const luaL_Reg FUNCS[] = {
    {"hit", l_hit},
    {"pools", l_pools},
    {"dot", l_dot},
    {"dr", l_dr},
    {"cooldowns", l_cooldowns},
    {"cast_done", l_cast_done},
    {"sigma", l_sigma},
    {"contest", l_contest},
    {"crit_multiplier", l_crit_multiplier},
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

/* A metatable whose __index holds the methods, each with the content upvalue. */
static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, int content_idx)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    lua_pushvalue(L, content_idx);
    luaL_setfuncs(L, methods, 1);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

int cw_bind_combat(lua_State *L, int chaos)
{
    chaos = ABS(L, chaos);
    cw_combat_content *c = lua_newuserdata(L, sizeof *c);
    cw_combat_content_demo(c);
    int ci = lua_gettop(L);
    lua_pushvalue(L, ci);
    lua_setfield(L, LUA_REGISTRYINDEX, "chaos.combat.content");
    new_class(L, MT_POOLS, POOLS_METHODS, ci);
    new_class(L, MT_DOT, DOT_METHODS, ci);
    new_class(L, MT_DR, DR_METHODS, ci);
    new_class(L, MT_CD, CD_METHODS, ci);
    lua_newtable(L);
    lua_pushvalue(L, ci);
    luaL_setfuncs(L, FUNCS, 1);
    lua_setfield(L, chaos, "combat");
    lua_settop(L, ci - 1);
    return 0;
}
