/* stats.c — `chaos.stats`: the Lua face of core/sim/stats/stats.h.
 *
 * Thin: Lua tables are checked and copied into the engine's input structs,
 * the engine resolves, snapshots come back as tables. The per-state
 * cw_stats_registry lives in a full userdata anchored in the Lua registry
 * (key "chaos.stats.handle"; its metatable is "chaos.stats.registry") and is upvalue 1 of every
 * module function; its __gc drops the state's reference. Actors are userdata handles around a
 * C-owned cw_stats_actor, freed by their own __gc; each holds a reference to
 * the registry, so collection order at lua_close does not matter.
 * Scratch arrays are Lua userdata, so a raised error never leaks.
 *
 * See docs/stats.md for the designer's guide. */
#include "bindings/bindings.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/sim/stats/stats.h"

#define MT_REG "chaos.stats.registry"
#define MT_ACTOR "chaos.stats.actor"
#define ABS(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

typedef struct reg_box {
    cw_stats_registry *reg;
} reg_box;

typedef struct actor_box {
    cw_stats_actor *a;
} actor_box;

static cw_stats_registry *reg_of(lua_State *L)
{
    return ((reg_box *)lua_touserdata(L, lua_upvalueindex(1)))->reg;
}

static cw_stats_actor *check_actor(lua_State *L, int idx)
{
    actor_box *b = luaL_checkudata(L, idx, MT_ACTOR);
    if (!b->a) luaL_error(L, "stats: actor already freed");
    return b->a;
}

static int raise(lua_State *L, const char *where, const cw_error *err)
{
    return luaL_error(L, "%s: %s", where, err->msg);
}

/* --- reading tables ------------------------------------------------------ */

static const char *fstr(lua_State *L, int t, const char *k, const char *def, const char *what)
{
    const char *s = def;
    lua_getfield(L, t, k);
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s.%s: expected a string", what, k);
        s = lua_tostring(L, -1); /* stays alive: the table t still holds it */
    } else if (!def) {
        luaL_error(L, "%s.%s: missing field", what, k);
    }
    lua_pop(L, 1);
    return s;
}

static double fnum(lua_State *L, int t, const char *k, const double *def, const char *what)
{
    double v = def ? *def : 0;
    lua_getfield(L, t, k);
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "%s.%s: expected a number", what, k);
        v = lua_tonumber(L, -1);
        if (isnan(v) || (isinf(v) && strcmp(k, "min") != 0 && strcmp(k, "max") != 0))
            luaL_error(L, "%s.%s: not a finite number", what, k); /* only clamps may be +-inf */
    } else if (!def) {
        luaL_error(L, "%s.%s: missing field", what, k);
    }
    lua_pop(L, 1);
    return v;
}

static int32_t fprio(lua_State *L, int t, const char *what)
{
    static const double zero = 0;
    double p = fnum(L, t, "priority", &zero, what);
    if (p != floor(p) || p < INT32_MIN || p > INT32_MAX)
        luaL_error(L, "%s.priority: expected a 32-bit integer", what);
    return (int32_t)p;
}

static int parse_enum(lua_State *L, int t, const char *k, int (*parse)(const char *), int def,
                      const char *what)
{
    const char *s = fstr(L, t, k, def >= 0 ? "" : NULL, what);
    if (def >= 0 && !s[0]) return def;
    int v = parse(s);
    if (v < 0) luaL_error(L, "%s.%s: unknown value \"%s\"", what, k, s);
    return v;
}

/* Fields of a rule table; absent fields keep what *r holds. */
static void read_rule(lua_State *L, int t, cw_stats_rule *r, const char *what)
{
    lua_getfield(L, t, "use_pipeline");
    if (!lua_isnil(L, -1)) {
        if (!lua_isboolean(L, -1)) luaL_error(L, "%s.use_pipeline: expected a boolean", what);
        r->use_pipeline = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    r->op =
        (cw_stats_operator)parse_enum(L, t, "operator", cw_stats_operator_parse, (int)r->op, what);
    lua_getfield(L, t, "clamp");
    if (!lua_isnil(L, -1)) {
        int c = lua_gettop(L);
        if (!lua_istable(L, c)) luaL_error(L, "%s.clamp: expected {min=, max=}", what);
        char cw[96];
        snprintf(cw, sizeof cw, "%s.clamp", what);
        r->clamp_min = fnum(L, c, "min", &r->clamp_min, cw);
        r->clamp_max = fnum(L, c, "max", &r->clamp_max, cw);
        lua_rawgeti(L, c, 1);
        if (lua_type(L, -1) == LUA_TNUMBER) r->clamp_min = lua_tonumber(L, -1);
        lua_rawgeti(L, c, 2);
        if (lua_type(L, -1) == LUA_TNUMBER) r->clamp_max = lua_tonumber(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

static size_t list_len(lua_State *L, int t, const char *k, const char *what)
{
    lua_getfield(L, t, k);
    size_t n = 0;
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1)) luaL_error(L, "%s.%s: expected a list", what, k);
        n = lua_objlen(L, -1);
    }
    lua_pop(L, 1);
    return n;
}

static void *scratch(lua_State *L, size_t n, size_t elem)
{
    void *p = lua_newuserdata(L, n * elem + 1); /* anchored on the stack until we return */
    memset(p, 0, n * elem + 1);
    return p;
}

/* Reads list k of table t (contributions) into out; system defaults to src_name. */
static void read_contribs(lua_State *L, int t, const char *k, const char *src_name,
                          cw_stats_contrib_in *out, size_t n)
{
    lua_getfield(L, t, k);
    int l = lua_gettop(L);
    char what[64];
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, l, (int)i + 1);
        int e = lua_gettop(L);
        snprintf(what, sizeof what, "%s[%zu]", k, i + 1);
        if (!lua_istable(L, e)) luaL_error(L, "%s: expected a contribution table", what);
        out[i].dimension = fstr(L, e, "dimension", NULL, what);
        out[i].bucket =
            (cw_stats_bucket)parse_enum(L, e, "bucket", cw_stats_bucket_parse, -1, what);
        out[i].value = fnum(L, e, "value", NULL, what);
        out[i].system = fstr(L, e, "system", src_name, what);
        out[i].priority = fprio(L, e, what);
        lua_pop(L, 1); /* the element stays alive in the list */
    }
    lua_pop(L, 1);
}

static void read_caps(lua_State *L, int l, const char *src_name, cw_stats_cap_in *out, size_t n)
{
    char what[64];
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, l, (int)i + 1);
        int e = lua_gettop(L);
        snprintf(what, sizeof what, "caps[%zu]", i + 1);
        if (!lua_istable(L, e)) luaL_error(L, "%s: expected a cap table", what);
        out[i].system = fstr(L, e, "system", src_name, what);
        out[i].dimension = fstr(L, e, "dimension", NULL, what);
        out[i].mode =
            (cw_stats_cap_mode)parse_enum(L, e, "mode", cw_stats_cap_mode_parse, -1, what);
        out[i].kind =
            (cw_stats_cap_kind)parse_enum(L, e, "kind", cw_stats_cap_kind_parse, -1, what);
        out[i].value = fnum(L, e, "value", NULL, what);
        out[i].priority = fprio(L, e, what);
        out[i].scope = fstr(L, e, "scope", "TOTAL", what);
        out[i].realm = fstr(L, e, "realm", "", what);
        if (!out[i].realm[0]) out[i].realm = NULL;
        /* checked here too so the message counts from 1, like Lua */
        if (strcmp(out[i].scope, "REALM") == 0 && !out[i].realm)
            luaL_error(L, "%s.realm: a REALM cap needs a realm", what);
        if ((out[i].mode == CW_STATS_CAP_HARD_MAX && out[i].kind != CW_STATS_KIND_MAX) ||
            (out[i].mode == CW_STATS_CAP_HARD_MIN && out[i].kind != CW_STATS_KIND_MIN))
            luaL_error(L, "%s.kind: mode %s requires kind \"%s\"", what,
                       cw_stats_cap_mode_name(out[i].mode),
                       out[i].mode == CW_STATS_CAP_HARD_MAX ? "max" : "min");
        lua_pop(L, 1);
    }
}

/* Reads {primary=, derived=, caps=, context=} at index t into *in. */
static void read_source(lua_State *L, int t, const char *name, cw_stats_source_in *in)
{
    memset(in, 0, sizeof *in);
    in->nprimary = list_len(L, t, "primary", "source");
    in->nderived = list_len(L, t, "derived", "source");
    in->ncaps = list_len(L, t, "caps", "source");
    cw_stats_contrib_in *p = scratch(L, in->nprimary, sizeof *p);
    cw_stats_contrib_in *d = scratch(L, in->nderived, sizeof *d);
    cw_stats_cap_in *c = scratch(L, in->ncaps, sizeof *c);
    read_contribs(L, t, "primary", name, p, in->nprimary);
    read_contribs(L, t, "derived", name, d, in->nderived);
    lua_getfield(L, t, "caps");
    read_caps(L, lua_gettop(L), name, c, in->ncaps);
    lua_pop(L, 1);
    in->primary = p;
    in->derived = d;
    in->caps = c;
    lua_getfield(L, t, "context");
    int ctx = lua_gettop(L);
    if (lua_isnil(L, ctx)) return; /* leaves the nil: harmless, popped by the caller's return */
    if (!lua_istable(L, ctx)) luaL_error(L, "context: expected {name = pack}");
    size_t np = 0, nm = 0;
    for (lua_pushnil(L); lua_next(L, ctx); lua_pop(L, 1)) {
        np++;
        if (lua_istable(L, -1)) nm += list_len(L, lua_gettop(L), "multipliers", "context");
    }
    cw_stats_pack_in *packs = scratch(L, np, sizeof *packs);
    double *mults = scratch(L, nm, sizeof *mults);
    size_t k = 0, m = 0;
    static const double zero = 0;
    for (lua_pushnil(L); lua_next(L, ctx); lua_pop(L, 1)) {
        int v = lua_gettop(L);
        if (lua_type(L, v - 1) != LUA_TSTRING) luaL_error(L, "context: pack names must be strings");
        const char *pname = lua_tostring(L, v - 1);
        char what[64];
        snprintf(what, sizeof what, "context.%s", pname);
        if (!lua_istable(L, v)) luaL_error(L, "%s: expected a pack table", what);
        cw_stats_pack_in *pk = &packs[k++];
        pk->name = pname;
        pk->additive_percent = fnum(L, v, "additive_percent", &zero, what);
        pk->post_add = fnum(L, v, "post_add", &zero, what);
        pk->multipliers = mults + m;
        size_t n = list_len(L, v, "multipliers", what);
        lua_getfield(L, v, "multipliers");
        for (size_t i = 0; i < n; i++) {
            lua_rawgeti(L, -1, (int)i + 1);
            if (lua_type(L, -1) != LUA_TNUMBER)
                luaL_error(L, "%s.multipliers[%zu]: expected a number", what, i + 1);
            mults[m++] = lua_tonumber(L, -1); /* the engine rejects non-finite ones */
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        pk->nmultipliers = n;
    }
    in->packs = packs;
    in->npacks = np;
}

/* --- module functions ---------------------------------------------------- */

static int l_default_rule(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_stats_registry *reg = reg_of(L);
    cw_stats_rule r = *cw_stats_get_rule(reg, CW_STATS_NONE);
    read_rule(L, 1, &r, "default_rule");
    cw_error err;
    if (cw_stats_set_default_rule(reg, &r, &err) < 0) return raise(L, "default_rule", &err);
    return 0;
}

static int l_dimension(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cw_stats_registry *reg = reg_of(L);
    const char *name = fstr(L, 1, "name", NULL, "dimension");
    cw_stats_rule r = *cw_stats_get_rule(reg, cw_stats_dim_find(reg, name));
    read_rule(L, 1, &r, "dimension");
    cw_error err;
    if (cw_stats_set_rule(reg, name, &r, &err) < 0) return raise(L, "dimension", &err);
    return 0;
}

static int l_layers(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int across = parse_enum(L, 1, "across", cw_stats_across_parse, CW_STATS_INTERSECT, "layers");
    size_t n = list_len(L, 1, "order", "layers");
    if (n > CW_STATS_MAX_LAYERS) return luaL_error(L, "layers.order: too many layers");
    const char *names[CW_STATS_MAX_LAYERS];
    lua_getfield(L, 1, "order");
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, (int)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "layers.order[%d]: expected a string", (int)i + 1);
        names[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    cw_error err;
    if (cw_stats_set_layers(reg_of(L), names, n, (cw_stats_across)across, &err) < 0)
        return raise(L, "layers", &err);
    return 0;
}

static int l_formula(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const double zero = 0;
    const char *name = fstr(L, 1, "name", NULL, "formula");
    double constant = fnum(L, 1, "constant", &zero, "formula");
    lua_getfield(L, 1, "weights");
    int w = lua_gettop(L);
    if (!lua_istable(L, w)) return luaL_error(L, "formula.weights: expected {dim = weight}");
    size_t n = 0;
    for (lua_pushnil(L); lua_next(L, w); lua_pop(L, 1))
        n++;
    const char **inputs = scratch(L, n, sizeof *inputs);
    double *weights = scratch(L, n, sizeof *weights);
    size_t i = 0;
    for (lua_pushnil(L); lua_next(L, w); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L, "formula.weights: expected {dim = number}");
        inputs[i] = lua_tostring(L, -2);
        weights[i++] = lua_tonumber(L, -1);
    }
    cw_error err;
    if (cw_stats_set_formula(reg_of(L), name, inputs, weights, n, constant, &err) < 0)
        return raise(L, "formula", &err);
    return 0;
}

static int l_remove_formula(lua_State *L)
{
    cw_error err;
    if (cw_stats_remove_formula(reg_of(L), luaL_checkstring(L, 1), &err) < 0)
        return raise(L, "remove_formula", &err);
    return 0;
}

static int l_shared_caps(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = lua_objlen(L, 2);
    cw_stats_cap_in *caps = scratch(L, n, sizeof *caps);
    read_caps(L, 2, name, caps, n);
    cw_error err;
    if (cw_stats_set_shared_caps(reg_of(L), name, caps, n, &err) < 0)
        return raise(L, "shared_caps", &err);
    return 0;
}

static int l_remove_shared_caps(lua_State *L)
{
    cw_error err;
    if (cw_stats_remove_shared_caps(reg_of(L), luaL_checkstring(L, 1), &err) < 0)
        return raise(L, "remove_shared_caps", &err);
    return 0;
}

static int l_apply(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double base = luaL_checknumber(L, 2);
    static const double zero = 0;
    cw_stats_pack p = {0};
    p.additive_percent = fnum(L, 1, "additive_percent", &zero, "apply");
    p.post_add = fnum(L, 1, "post_add", &zero, "apply");
    size_t n = list_len(L, 1, "multipliers", "apply");
    double *m = scratch(L, n, sizeof *m);
    lua_getfield(L, 1, "multipliers");
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, (int)i + 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L, "apply.multipliers[%d]: expected a number", (int)i + 1);
        m[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    p.multipliers = m;
    p.nmultipliers = n;
    lua_pushnumber(L, cw_stats_pack_apply(&p, base));
    return 1;
}

static int l_epoch(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)cw_stats_registry_epoch(reg_of(L)));
    return 1;
}

static int l_actor(lua_State *L)
{
    actor_box *b = lua_newuserdata(L, sizeof *b);
    b->a = NULL;
    luaL_getmetatable(L, MT_ACTOR);
    lua_setmetatable(L, -2);
    cw_error err;
    if (cw_stats_actor_new(reg_of(L), &b->a, &err) < 0) return raise(L, "actor", &err);
    return 1;
}

/* --- actor methods ------------------------------------------------------- */

static int a_set_source(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    const char *name = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    cw_stats_source_in in;
    read_source(L, 3, name, &in);
    cw_error err;
    if (cw_stats_actor_set_source(a, name, &in, &err) < 0) return raise(L, "set_source", &err);
    return 0;
}

static int a_remove_source(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    int rc = cw_stats_actor_remove_source(a, luaL_checkstring(L, 2), NULL);
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int a_set_realm(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    const char *realm = lua_isnoneornil(L, 2) ? NULL : luaL_checkstring(L, 2);
    cw_error err;
    if (cw_stats_actor_set_realm(a, realm, &err) < 0) return raise(L, "set_realm", &err);
    return 0;
}

static int a_realm(lua_State *L)
{
    const char *r = cw_stats_actor_realm(check_actor(L, 1));
    if (r)
        lua_pushstring(L, r);
    else
        lua_pushnil(L);
    return 1;
}

static const cw_stats_snapshot *resolved(lua_State *L, cw_stats_actor *a)
{
    const cw_stats_snapshot *s;
    cw_error err;
    if (cw_stats_actor_resolve(a, &s, &err) < 0) raise(L, "resolve", &err);
    return s;
}

static void push_values(lua_State *L, const cw_stats_registry *reg, const cw_stats_value *v,
                        size_t n)
{
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i].value);
        lua_setfield(L, -2, cw_stats_dim_name(reg, v[i].dim));
    }
}

static int a_snapshot(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    const cw_stats_snapshot *s = resolved(L, a);
    const cw_stats_registry *reg = cw_stats_actor_registry(a);
    lua_createtable(L, 0, 5);
    push_values(L, reg, s->primary, s->nprimary);
    lua_setfield(L, -2, "primary");
    push_values(L, reg, s->derived, s->nderived);
    lua_setfield(L, -2, "derived");
    lua_createtable(L, 0, (int)s->ncaps_used);
    for (size_t i = 0; i < s->ncaps_used; i++) {
        lua_createtable(L, 0, 2);
        lua_pushnumber(L, s->caps_used[i].min); /* unbounded: -math.huge / math.huge */
        lua_setfield(L, -2, "min");
        lua_pushnumber(L, s->caps_used[i].max);
        lua_setfield(L, -2, "max");
        lua_setfield(L, -2, cw_stats_dim_name(reg, s->caps_used[i].dim));
    }
    lua_setfield(L, -2, "caps_used");
    lua_createtable(L, 0, (int)s->ncontext);
    for (size_t i = 0; i < s->ncontext; i++) {
        const cw_stats_pack *p = &s->context[i];
        lua_createtable(L, 0, 3);
        lua_pushnumber(L, p->additive_percent);
        lua_setfield(L, -2, "additive_percent");
        lua_pushnumber(L, p->post_add);
        lua_setfield(L, -2, "post_add");
        lua_createtable(L, (int)p->nmultipliers, 0);
        for (size_t k = 0; k < p->nmultipliers; k++) {
            lua_pushnumber(L, p->multipliers[k]);
            lua_rawseti(L, -2, (int)k + 1);
        }
        lua_setfield(L, -2, "multipliers");
        lua_setfield(L, -2, cw_stats_symbol_name(reg, p->name));
    }
    lua_setfield(L, -2, "context");
    lua_pushnumber(L, (lua_Number)s->version);
    lua_setfield(L, -2, "version");
    return 1;
}

static int a_get(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    const char *dim = luaL_checkstring(L, 2);
    static const char *const lists[] = {"primary", "derived", "any", NULL};
    int which = luaL_checkoption(L, 3, "any", lists);
    const cw_stats_snapshot *s = resolved(L, a);
    uint32_t id = cw_stats_dim_find(cw_stats_actor_registry(a), dim);
    double v;
    if ((which != 1 && cw_stats_snapshot_get(s, CW_STATS_PRIMARY, id, &v)) ||
        (which != 0 && cw_stats_snapshot_get(s, CW_STATS_DERIVED, id, &v)))
        lua_pushnumber(L, v);
    else
        lua_pushnil(L);
    return 1;
}

static int a_bounds(lua_State *L)
{
    cw_stats_actor *a = check_actor(L, 1);
    const char *dim = luaL_checkstring(L, 2);
    const cw_stats_snapshot *s = resolved(L, a);
    double lo, hi;
    if (!cw_stats_snapshot_bounds(s, cw_stats_dim_find(cw_stats_actor_registry(a), dim), &lo, &hi))
        return 0;
    lua_pushnumber(L, lo);
    lua_pushnumber(L, hi);
    return 2;
}

static int a_version(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)cw_stats_actor_version(check_actor(L, 1)));
    return 1;
}

static int a_mark_dirty(lua_State *L)
{
    cw_stats_actor_mark_dirty(check_actor(L, 1));
    return 0;
}

static int a_is_dirty(lua_State *L)
{
    lua_pushboolean(L, cw_stats_actor_is_dirty(check_actor(L, 1)));
    return 1;
}

static int a_gc(lua_State *L)
{
    actor_box *b = luaL_checkudata(L, 1, MT_ACTOR);
    cw_stats_actor_free(b->a);
    b->a = NULL;
    return 0;
}

static int r_gc(lua_State *L)
{
    reg_box *b = luaL_checkudata(L, 1, MT_REG);
    cw_stats_registry_free(b->reg);
    b->reg = NULL;
    return 0;
}

static const luaL_Reg actor_methods[] = {
    {"set_source", a_set_source},
    {"remove_source", a_remove_source},
    {"set_realm", a_set_realm},
    {"realm", a_realm},
    {"snapshot", a_snapshot},
    {"get", a_get},
    {"bounds", a_bounds},
    {"version", a_version},
    {"mark_dirty", a_mark_dirty},
    {"is_dirty", a_is_dirty},
    {NULL, NULL},
};

static const luaL_Reg module_fns[] = {
    {"default_rule", l_default_rule},
    {"dimension", l_dimension},
    {"layers", l_layers},
    {"formula", l_formula},
    {"remove_formula", l_remove_formula},
    {"shared_caps", l_shared_caps},
    {"remove_shared_caps", l_remove_shared_caps},
    {"apply", l_apply},
    {"epoch", l_epoch},
    {"actor", l_actor},
    {NULL, NULL},
};

int cw_bind_stats(lua_State *L, int chaos)
{
    chaos = ABS(L, chaos);
    if (luaL_newmetatable(L, MT_ACTOR)) {
        lua_newtable(L);
        for (const luaL_Reg *r = actor_methods; r->name; r++) {
            lua_pushcfunction(L, r->func);
            lua_setfield(L, -2, r->name);
        }
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, a_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    reg_box *b = lua_newuserdata(L, sizeof *b);
    b->reg = NULL;
    if (luaL_newmetatable(L, MT_REG)) {
        lua_pushcfunction(L, r_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    cw_error err;
    int rc = cw_stats_registry_new(NULL, &b->reg, &err);
    if (rc < 0) {
        lua_pop(L, 1);
        return rc;
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "chaos.stats.handle");
    lua_createtable(L, 0, 12);
    for (const luaL_Reg *r = module_fns; r->name; r++) {
        lua_pushvalue(L, -2);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, -2, r->name);
    }
    lua_setfield(L, chaos, "stats");
    lua_pop(L, 1);
    return 0;
}
