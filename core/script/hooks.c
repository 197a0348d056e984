/* hooks.c — chaos.on / chaos.off and firing hooks from C.
 *
 * A generation's hooks live in its own Lua state: the registry table
 * CW_HOOKS_KEY maps a hook name to an array of entries {fn, priority, seq,
 * id, filter, site} kept sorted (priority descending, then registration
 * order). Closing the state drops them, so hooks belong to their generation
 * and a reload replaces them all. Nothing here touches the world: content
 * may register hooks while a generation loads off the loop. */
#include "core/script/internal.h"

#include "core/base/log.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define CW_HOOKS_KEY "chaos.hooks"
#define CW_HOOK_IDS_KEY "chaos.hooks.ids" /* id -> name, for chaos.off */
#define CW_HOOK_NAMES_KEY "chaos.hooks.names"
#define CW_CALL_END_KEY "chaos.call_end"

int cw_host_set_hook_names(cw_host *h, const char *const *names, int n)
{
    char **v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v) return CW_ENOMEM;
    for (int i = 0; i < n; i++)
        if (!(v[i] = strdup(names[i]))) {
            for (int j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return CW_ENOMEM;
        }
    cw_host_free_hook_names(h);
    h->hook_names = v;
    h->nhook_names = n;
    return 0;
}

void cw_host_free_hook_names(cw_host *h)
{
    for (int i = 0; i < h->nhook_names; i++)
        free(h->hook_names[i]);
    free(h->hook_names);
    h->hook_names = NULL;
    h->nhook_names = 0;
}

static int known_name(const cw_host *h, const char *name)
{
    for (int i = 0; i < h->nhook_names; i++)
        if (strcmp(h->hook_names[i], name) == 0) return 1;
    return 0;
}

/* Pushes registry[key] (created as an empty table when missing). */
static void registry_table(lua_State *L, const char *key)
{
    lua_pushstring(L, key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_istable(L, -1)) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushstring(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

/* A filter is a flat table of string keys and scalar values. */
static void check_filter(lua_State *L, int idx)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kt = lua_type(L, -2), vt = lua_type(L, -1);
        if (kt != LUA_TSTRING)
            luaL_error(L, "chaos.on: opts.filter keys must be strings (event field names)");
        if (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
            luaL_error(L, "chaos.on: opts.filter.%s must be a string, number or boolean, not a %s",
                       lua_tostring(L, -2), lua_typename(L, vt));
        lua_pop(L, 1);
    }
}

/* chaos.on(name, fn [, opts]) → hook id */
static int l_on(lua_State *L)
{
    cw_gen *g = cw_gen_of(L);
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    if (!g) return luaL_error(L, "chaos.on: this Lua state has no host");
    if (!known_name(g->host, name)) {
        lua_pushstring(L, "");
        for (int i = 0; i < g->host->nhook_names; i++) {
            lua_pushfstring(L, "%s%s", i ? ", " : "", g->host->hook_names[i]);
            lua_concat(L, 2);
        }
        return luaL_error(L, "chaos.on: no hook named \"%s\" (hooks: %s)", name,
                          lua_tostring(L, -1));
    }
    lua_Number priority = 0;
    int filter = 0;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "priority");
        if (!lua_isnil(L, -1)) {
            if (lua_type(L, -1) != LUA_TNUMBER)
                return luaL_error(L, "chaos.on: opts.priority must be a number");
            priority = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
        lua_getfield(L, 3, "filter");
        if (!lua_isnil(L, -1)) {
            if (!lua_istable(L, -1)) return luaL_error(L, "chaos.on: opts.filter must be a table");
            check_filter(L, lua_gettop(L));
            filter = lua_gettop(L);
        } else {
            lua_pop(L, 1);
        }
    }
    char site[300] = "?";
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        snprintf(site, sizeof site, "%s:%d", ar.short_src, ar.currentline);

    int id = ++g->next_hook_id;
    /* entry = {fn=, priority=, id=, filter=, site=} */
    lua_createtable(L, 0, 5);
    int entry = lua_gettop(L);
    lua_pushvalue(L, 2);
    lua_setfield(L, entry, "fn");
    lua_pushnumber(L, priority);
    lua_setfield(L, entry, "priority");
    lua_pushinteger(L, id);
    lua_setfield(L, entry, "id");
    lua_pushstring(L, site);
    lua_setfield(L, entry, "site");
    if (filter) {
        lua_pushvalue(L, filter);
        lua_setfield(L, entry, "filter");
    }
    registry_table(L, CW_HOOKS_KEY);
    lua_getfield(L, -1, name);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, name);
    }
    int list = lua_gettop(L);
    /* Insert after every entry of higher or equal priority (stable). */
    int n = (int)lua_objlen(L, list), at = n + 1;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lua_getfield(L, -1, "priority");
        lua_Number p = lua_tonumber(L, -1);
        lua_pop(L, 2);
        if (p < priority) {
            at = i;
            break;
        }
    }
    for (int i = n; i >= at; i--) {
        lua_rawgeti(L, list, i);
        lua_rawseti(L, list, i + 1);
    }
    lua_pushvalue(L, entry);
    lua_rawseti(L, list, at);
    registry_table(L, CW_HOOK_IDS_KEY);
    lua_pushstring(L, name);
    lua_rawseti(L, -2, id);
    lua_pushinteger(L, id);
    return 1;
}

/* chaos.off(id) → true when a hook was removed */
static int l_off(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    registry_table(L, CW_HOOK_IDS_KEY);
    int ids = lua_gettop(L);
    lua_rawgeti(L, ids, (int)id);
    if (!lua_isstring(L, -1)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    const char *name = lua_tostring(L, -1);
    registry_table(L, CW_HOOKS_KEY);
    lua_getfield(L, -1, name);
    int list = lua_gettop(L);
    int n = lua_istable(L, list) ? (int)lua_objlen(L, list) : 0, found = 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lua_getfield(L, -1, "id");
        int match = lua_tointeger(L, -1) == id;
        lua_pop(L, 2);
        if (match) found = i;
        if (found && i < n) {
            lua_rawgeti(L, list, i + 1);
            lua_rawseti(L, list, i);
        }
    }
    if (found) {
        lua_pushnil(L);
        lua_rawseti(L, list, n);
    }
    lua_pushnil(L);
    lua_rawseti(L, ids, (int)id);
    lua_pushboolean(L, found != 0);
    return 1;
}

int cw_script_open_hooks(lua_State *L, int chaos)
{
    lua_pushcfunction(L, l_on);
    lua_setfield(L, chaos, "on");
    lua_pushcfunction(L, l_off);
    lua_setfield(L, chaos, "off");
    return 0;
}

/* ---- call end ------------------------------------------------------------------------- */

void cw_script_set_call_end(lua_State *L, int (*fn)(lua_State *L))
{
    lua_pushstring(L, CW_CALL_END_KEY);
    lua_pushcfunction(L, fn);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

void cw_script_call_end(lua_State *L)
{
    lua_pushstring(L, CW_CALL_END_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_isfunction(L, -1))
        lua_call(L, 0, 0);
    else
        lua_pop(L, 1);
}

/* ---- firing ------------------------------------------------------------------------------ */

int cw_host_has_hooks(const cw_host *h, const char *name)
{
    if (!h || !h->live) return 0;
    lua_State *L = h->live->L;
    int top = lua_gettop(L);
    lua_pushstring(L, CW_HOOKS_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    int any = 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        any = lua_istable(L, -1) && lua_objlen(L, -1) > 0;
    }
    lua_settop(L, top);
    return any;
}

typedef struct build_ctx {
    cw_hook_push_fn push;
    void *ud;
} build_ctx;

/* Protected: pushes the event table built by the caller's push function. */
static int l_build(lua_State *L)
{
    build_ctx *b = lua_touserdata(L, 1);
    lua_settop(L, 0);
    b->push(L, b->ud);
    if (!lua_istable(L, -1)) return luaL_error(L, "hook event builder pushed no table");
    return 1;
}

/* Protected: (fn, event) → fn(event)'s first two results, then the call-end step. */
static int l_call_hook(lua_State *L)
{
    lua_call(L, 1, 2);
    cw_script_call_end(L);
    return 2;
}

static int filter_matches(lua_State *L, int entry, int ev)
{
    lua_getfield(L, entry, "filter");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 1;
    }
    int f = lua_gettop(L), ok = 1;
    lua_pushnil(L);
    while (ok && lua_next(L, f)) {
        lua_pushvalue(L, -2);
        lua_rawget(L, ev);
        ok = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!ok) lua_pop(L, 1); /* the key lua_next left */
    lua_pop(L, 1);
    return ok;
}

int cw_host_fire(cw_host *h, const char *name, cw_hook_push_fn push, void *ud, int stop_on_true,
                 cw_hook_result *out)
{
    cw_hook_result r;
    memset(&r, 0, sizeof r);
    if (out) *out = r;
    if (!cw_host_has_hooks(h, name)) return 0;
    cw_gen *g = h->live;
    lua_State *L = g->L;
    int top = lua_gettop(L);
    build_ctx b = {push, ud};
    lua_pushcfunction(L, l_build);
    lua_pushlightuserdata(L, &b);
    if (cw_gen_pcall(g, 1, 1, h->cfg.budget_ms) != 0) {
        cw_gen_log_error(g, "hook event", name);
        lua_settop(L, top);
        return CW_ESCRIPT;
    }
    int ev = lua_gettop(L);
    /* A copy of the list: a hook may add or remove hooks while they run. */
    lua_pushstring(L, CW_HOOKS_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_getfield(L, -1, name);
    int src = lua_gettop(L);
    int n = lua_istable(L, src) ? (int)lua_objlen(L, src) : 0;
    lua_createtable(L, n, 0);
    int list = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, src, i);
        lua_rawseti(L, list, i);
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        int entry = lua_gettop(L);
        if (!filter_matches(L, entry, ev)) {
            lua_settop(L, list);
            continue;
        }
        lua_pushcfunction(L, l_call_hook);
        lua_getfield(L, entry, "fn");
        lua_pushvalue(L, ev);
        r.ran++;
        if (cw_gen_pcall(g, 2, 2, h->cfg.budget_ms) != 0) {
            r.errors++;
            lua_getfield(L, entry, "site");
            char label[400];
            snprintf(label, sizeof label, "%s (hook from %s)", name,
                     lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
            lua_pop(L, 1);
            cw_gen_log_error(g, "hook", label);
        } else if ((stop_on_true & CW_HOOK_VETO) && lua_type(L, -2) == LUA_TBOOLEAN &&
                   !lua_toboolean(L, -2)) {
            r.refused = 1;
            if (lua_type(L, -1) == LUA_TSTRING)
                snprintf(r.reason, sizeof r.reason, "%s", lua_tostring(L, -1));
            lua_settop(L, list);
            break;
        } else if ((stop_on_true & CW_HOOK_CLAIM) && lua_toboolean(L, -2)) {
            r.claimed = 1;
            lua_settop(L, list);
            break;
        }
        lua_settop(L, list);
    }
    lua_settop(L, top);
    if (out) *out = r;
    return 0;
}
