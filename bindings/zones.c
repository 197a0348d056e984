/* zones.c — the engine-only private.add_zone / private.remove_zone used by
 * scripts/dungeon/instance.lua for dungeon instances: a zone built from a
 * Lua table is added to the live set (cw_world_add_zone through the game
 * table), and removed again by id. Content never calls these. */
#include "bindings/world_internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIVATE_KEY "chaos.private"
#define ZONE_RECTS_MAX 4096

static double num_field(lua_State *L, int t, const char *k, const char *f)
{
    lua_getfield(L, t, k);
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "%s: %s must be a number", f, k);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The list of {x, y, w, h} at field `k` of the table at t (absent: none),
 * read into a userdata left on the stack (the GC frees it, so a raise leaks
 * nothing); *n is its length. */
static cw_rect *rect_list(lua_State *L, int t, const char *k, const char *f, int *n)
{
    *n = 0;
    lua_getfield(L, t, k);
    if (lua_isnil(L, -1)) return NULL; /* the nil keeps the stack slot the list would take */
    if (!lua_istable(L, -1)) luaL_error(L, "%s: %s must be a list of {x, y, w, h}", f, k);
    int len = (int)lua_objlen(L, -1);
    if (len > ZONE_RECTS_MAX) luaL_error(L, "%s: at most %d %s", f, ZONE_RECTS_MAX, k);
    int list = lua_gettop(L);
    cw_rect *v = lua_newuserdata(L, (size_t)(len > 0 ? len : 1) * sizeof *v);
    for (int i = 0; i < len; i++) {
        lua_rawgeti(L, list, i + 1);
        if (!lua_istable(L, -1)) luaL_error(L, "%s: %s[%d] must be {x, y, w, h}", f, k, i + 1);
        int r = lua_gettop(L);
        v[i] = (cw_rect){num_field(L, r, "x", f), num_field(L, r, "y", f), num_field(L, r, "w", f),
                         num_field(L, r, "h", f)};
        lua_pop(L, 1);
    }
    lua_remove(L, list);
    *n = len;
    return v;
}

/* A malloc'd copy of v[0..n) (NULL when n is 0); *fail set when out of memory. */
static cw_rect *copy_rects(const cw_rect *v, int n, int *fail)
{
    if (n == 0) return NULL;
    cw_rect *out = malloc((size_t)n * sizeof *out);
    if (!out) {
        *fail = 1;
        return NULL;
    }
    memcpy(out, v, (size_t)n * sizeof *out);
    return out;
}

/* private.add_zone{id, name?, width, height, view, spawn = {x, y}, blocked = {…}?,
 * safe = {…}?} → the zone's index. Raises on a bad table, an id in use or
 * a spawn that is not standable. */
static int l_add_zone(lua_State *L)
{
    const char *f = "add_zone";
    luaL_checktype(L, 1, LUA_TTABLE);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_zone z;
    memset(&z, 0, sizeof z);
    lua_getfield(L, 1, "id");
    const char *id = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || !id[0] || strlen(id) > CW_ZONE_ID_MAX)
        return luaL_error(L, "%s: id must be a string of 1 to %d bytes", f, CW_ZONE_ID_MAX);
    snprintf(z.id, sizeof z.id, "%s", id);
    lua_pop(L, 1);
    lua_getfield(L, 1, "name");
    snprintf(z.name, sizeof z.name, "%s",
             lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : z.id);
    lua_pop(L, 1);
    z.width = num_field(L, 1, "width", f);
    z.height = num_field(L, 1, "height", f);
    z.view = num_field(L, 1, "view", f);
    lua_getfield(L, 1, "spawn");
    if (!lua_istable(L, -1)) return luaL_error(L, "%s: spawn must be {x, y}", f);
    z.spawn_x = num_field(L, lua_gettop(L), "x", f);
    z.spawn_y = num_field(L, lua_gettop(L), "y", f);
    lua_pop(L, 1);
    int nblocked = 0, nsafe = 0;
    cw_rect *blocked = rect_list(L, 1, "blocked", f, &nblocked);
    cw_rect *safe = rect_list(L, 1, "safe", f, &nsafe);
    int fail = 0; /* nothing raises from here on */
    z.blocked = copy_rects(blocked, nblocked, &fail);
    z.safe = copy_rects(safe, nsafe, &fail);
    z.nblocked = z.blocked ? nblocked : 0;
    z.nsafe = z.safe ? nsafe : 0;
    int index = -1;
    cw_error err = {0};
    int rc = fail          ? cw_error_set(&err, CW_ENOMEM, "out of memory")
             : g->add_zone ? g->add_zone(g->ud, &z, &index, &err)
                           : CW_ESTATE;
    if (rc) {
        free(z.blocked);
        free(z.safe);
        return luaL_error(L, "%s: %s", f, err.msg[0] ? err.msg : cw_err_name(rc));
    }
    lua_pushinteger(L, index);
    return 1;
}

/* private.remove_zone(id): everyone still in it goes to the start zone. */
static int l_remove_zone(lua_State *L)
{
    const char *f = "remove_zone";
    const char *id = luaL_checkstring(L, 1);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_error err = {0};
    int rc = g->remove_zone ? g->remove_zone(g->ud, id, &err) : CW_ESTATE;
    if (rc) return luaL_error(L, "%s: %s", f, err.msg[0] ? err.msg : cw_err_name(rc));
    return 0;
}

void cw_bind_zones_open(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, PRIVATE_KEY);
    if (lua_istable(L, -1)) {
        lua_pushcfunction(L, l_add_zone);
        lua_setfield(L, -2, "add_zone");
        lua_pushcfunction(L, l_remove_zone);
        lua_setfield(L, -2, "remove_zone");
    }
    lua_pop(L, 1);
}
