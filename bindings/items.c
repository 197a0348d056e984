/* items.c — a character's items for content: player:items() (the committed
 * view), the item operations of the private transaction primitive
 * (cw_bind_txn_items, used by data.c's private.commit for chaos.txn's
 * t:add_item / t:remove_item), and the engine-only private.item_place /
 * private.item_stats used by scripts/engine/items.lua (equip, unequip).
 * Item props are JSON objects in C, plain tables in Lua (lua-cjson). */
#include "bindings/world_internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define PRIVATE_KEY "chaos.private"

static void cjson_fn(lua_State *L, const char *name)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cjson");
    lua_getfield(L, -1, name);
    lua_replace(L, -4);
    lua_pop(L, 2);
}

/* Pushes one item as {uid, template, stack, place, props}. */
static void push_item(lua_State *L, const cw_item *it)
{
    lua_createtable(L, 0, 5);
    lua_pushnumber(L, (lua_Number)it->uid);
    lua_setfield(L, -2, "uid");
    lua_pushstring(L, it->tmpl);
    lua_setfield(L, -2, "template");
    lua_pushnumber(L, (lua_Number)it->committed);
    lua_setfield(L, -2, "stack");
    lua_pushstring(L, it->place);
    lua_setfield(L, -2, "place");
    cjson_fn(L, "decode");
    lua_pushstring(L, it->props);
    if (lua_pcall(L, 1, 1, 0) != 0 || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    lua_setfield(L, -2, "props");
}

/* player:items() → array of {uid, template, stack, place, props}, committed items only */
static int m_items(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "player:items", 1);
    const cw_bind_game *g = cw_bind_live(L, "player:items");
    cw_player *p = cw_bind_player(L, g, h);
    lua_createtable(L, p->nitems, 0);
    int n = 0;
    for (int i = 0; i < p->nitems; i++) {
        if (p->items[i].committed <= 0) continue;
        push_item(L, &p->items[i]);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

/* player:item(uid) → the item table or nil (committed items only) */
static int m_item(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "player:item", 1);
    lua_Number uid = luaL_checknumber(L, 2);
    const cw_bind_game *g = cw_bind_live(L, "player:item");
    cw_player *p = cw_bind_player(L, g, h);
    cw_item *it = cw_player_item(p, (int64_t)uid);
    if (!it || it->committed <= 0 || (lua_Number)it->uid != uid)
        lua_pushnil(L);
    else
        push_item(L, it);
    return 1;
}

static int64_t whole(lua_State *L, int t, const char *field, int64_t dflt)
{
    lua_getfield(L, t, field);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return dflt;
    }
    lua_Number v = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || v != v || v < 1 || v > 9007199254740992.0 || v != (int64_t)v)
        luaL_error(L, "chaos.txn: item %s must be a whole number >= 1", field);
    lua_pop(L, 1);
    return (int64_t)v;
}

int cw_bind_txn_items(lua_State *L, int idx, cw_txn_item *out, int max)
{
    if (lua_isnoneornil(L, idx)) return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    int n = (int)lua_objlen(L, idx);
    if (n > max) luaL_error(L, "chaos.txn: at most %d item operations per transaction", max);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, idx, i + 1);
        int t = lua_gettop(L);
        if (!lua_istable(L, t)) luaL_error(L, "chaos.txn: item operations must be tables");
        lua_getfield(L, t, "op");
        const char *op = lua_tostring(L, -1);
        lua_pop(L, 1);
        memset(&out[i], 0, sizeof out[i]);
        if (op && strcmp(op, "create") == 0) {
            out[i].op = CW_TXN_ITEM_CREATE;
            lua_getfield(L, t, "template");
            out[i].tmpl = lua_tostring(L, -1); /* stays alive: it is in the table */
            lua_pop(L, 1);
            if (!out[i].tmpl) luaL_error(L, "chaos.txn: t:add_item needs a template id");
            out[i].count = whole(L, t, "count", 1);
            out[i].max_stack = whole(L, t, "max_stack", 1);
            lua_getfield(L, t, "props");
            if (lua_istable(L, -1)) {
                cjson_fn(L, "encode");
                lua_insert(L, -2);
                if (lua_pcall(L, 1, 1, 0) != 0)
                    luaL_error(L, "chaos.txn: item props cannot be encoded: %s",
                               lua_tostring(L, -1));
                lua_setfield(L, t, "_props_json"); /* kept alive in the table */
                lua_getfield(L, t, "_props_json");
                out[i].props = lua_tostring(L, -1);
                if (!out[i].props || out[i].props[0] != '{')
                    luaL_error(L, "chaos.txn: item props must be a table with string keys");
            } else if (!lua_isnil(L, -1)) {
                luaL_error(L, "chaos.txn: item props must be a table");
            }
            lua_pop(L, 1);
        } else if (op && strcmp(op, "destroy") == 0) {
            out[i].op = CW_TXN_ITEM_DESTROY;
            out[i].uid = whole(L, t, "uid", 0);
            out[i].count = whole(L, t, "count", 1);
        } else {
            luaL_error(L, "chaos.txn: unknown item operation");
        }
        lua_pop(L, 1);
    }
    return n;
}

static const char *code_of(int rc)
{
    switch (rc) {
    case CW_ENOTFOUND:
        return "not_found";
    case CW_EEXIST:
        return "slot_taken";
    case CW_EINVAL:
        return "bad_place";
    case CW_EBUSY:
        return "item_busy";
    default:
        return "failed";
    }
}

/* private.item_place(player, uid, place) → true, or nil, code */
static int l_item_place(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "item_place", 1);
    lua_Number uid = luaL_checknumber(L, 2);
    const char *place = luaL_checkstring(L, 3);
    const cw_bind_game *g = cw_bind_live(L, "item_place");
    cw_player *p = cw_bind_player(L, g, h);
    int rc = cw_player_item_move(p, (int64_t)uid, place);
    if (rc == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, code_of(rc));
    return 2;
}

/* private.item_stats(player, uid, {stat = n} | nil): the stat source item:<uid> */
static int l_item_stats(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "item_stats", 1);
    lua_Number uid = luaL_checknumber(L, 2);
    const cw_bind_game *g = cw_bind_live(L, "item_stats");
    cw_entity *e = cw_bind_entity(L, g, h);
    char source[48];
    snprintf(source, sizeof source, "item:%lld", (long long)uid);
    cw_error err = {0};
    int rc;
    if (lua_istable(L, 3)) {
        cw_stat_list l;
        cw_bind_stat_list(L, 3, "item stats", &l);
        rc = g->buff ? g->buff(g->ud, e->id, source, &l, 0, &err) : CW_ESTATE;
    } else {
        rc = g->unbuff ? g->unbuff(g->ud, e->id, source, &err) : CW_ESTATE;
    }
    if (rc && rc != CW_ENOTFOUND) return luaL_error(L, "item_stats: %s", err.msg);
    return 0;
}

void cw_bind_item_methods(lua_State *L, int methods)
{
    lua_pushcfunction(L, m_items);
    lua_setfield(L, methods, "items");
    lua_pushcfunction(L, m_item);
    lua_setfield(L, methods, "item");
}

void cw_bind_items_open(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, PRIVATE_KEY);
    if (lua_istable(L, -1)) {
        lua_pushcfunction(L, l_item_place);
        lua_setfield(L, -2, "item_place");
        lua_pushcfunction(L, l_item_stats);
        lua_setfield(L, -2, "item_stats");
    }
    lua_pop(L, 1);
}
