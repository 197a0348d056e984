/* combat.c — `chaos.combat`: the Lua face of core/sim/combat/combat.h.
 * This file: the module entry (cw_bind_combat), chaos.combat.hit and the math
 * helpers; the rest is split by purpose (see combat_internal.h).
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
#include "bindings/combat_internal.h"

#include <stddef.h>
#include <string.h>

#define ABS(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

/* --- reading actors and skills ------------------------------------------- */

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

/* --- writing the record ------------------------------------------------- */

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
        if (lua_istable(L, pt)) cw_lcombat_read_pool_table(L, pt, c, &local);
        lua_getfield(L, 2, "shields");
        if (lua_istable(L, -1)) cw_lcombat_read_shield_list(L, lua_gettop(L), &local);
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

static const luaL_Reg FUNCS[] = {
    {"hit", l_hit},         {"sigma", l_sigma},
    {"contest", l_contest}, {"crit_multiplier", l_crit_multiplier},
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
    new_class(L, MT_POOLS, cw_lcombat_pools_methods, ci);
    new_class(L, MT_DOT, cw_lcombat_dot_methods, ci);
    new_class(L, MT_DR, cw_lcombat_dr_methods, ci);
    new_class(L, MT_CD, cw_lcombat_cd_methods, ci);
    lua_newtable(L);
    const luaL_Reg *const lists[] = {FUNCS, cw_lcombat_pools_funcs, cw_lcombat_effects_funcs,
                                     cw_lcombat_content_funcs};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        lua_pushvalue(L, ci);
        luaL_setfuncs(L, lists[i], 1);
    }
    lua_setfield(L, chaos, "combat");
    lua_settop(L, ci - 1);
    return 0;
}
