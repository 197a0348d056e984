/* world.c — chaos.world: handles to players and entities, queries and
 * actions on the live world, through the cw_bind_game table (world.h).
 *
 * A handle is a small userdata holding an id (a character id for players, an
 * entity id otherwise). Every field access looks the id up again, so a handle
 * to something that left raises "… is gone", never reads freed memory;
 * h.id and h.exists never raise. */
#include "bindings/world.h"

#include "bindings/bindings.h"
#include "bindings/world_internal.h"
#include "core/script/host.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

static const char GAME_KEY = 'w';

const cw_bind_game *cw_bind_game_of(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&GAME_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    const cw_bind_game *g = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return g;
}

const cw_bind_game *cw_bind_live(lua_State *L, const char *fname)
{
    const cw_bind_game *g = cw_bind_game_of(L);
    if (!g) luaL_error(L, "%s: there is no world here (no game attached)", fname);
    if (!cw_gen_is_live(cw_gen_of(L)))
        luaL_error(L, "%s: not available while content loads (call it from a hook, op or timer)",
                   fname);
    return g;
}

/* ---- handles ------------------------------------------------------------------------------ */

handle_t *cw_bind_check_handle(lua_State *L, int idx, const char *fname, int want_player)
{
    handle_t *h = lua_touserdata(L, idx);
    if (h && lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, CW_PLAYER_MT);
        int is_player = lua_rawequal(L, -1, -2);
        luaL_getmetatable(L, CW_ENTITY_MT);
        int is_entity = lua_rawequal(L, -1, -3);
        lua_pop(L, 3);
        if (is_player || (is_entity && !want_player)) return h;
    }
    luaL_error(L, "%s: argument #%d must be a %s handle, not a %s", fname, idx,
               want_player ? "player" : "player or entity", luaL_typename(L, idx));
    return NULL;
}

static void push_handle(lua_State *L, int64_t id, int player)
{
    handle_t *h = lua_newuserdata(L, sizeof *h);
    h->id = id;
    h->player = player;
    luaL_getmetatable(L, player ? CW_PLAYER_MT : CW_ENTITY_MT);
    lua_setmetatable(L, -2);
}

void cw_bind_push_player(lua_State *L, int64_t char_id)
{
    const cw_bind_game *g = cw_bind_game_of(L);
    cw_player *p = g && char_id > 0 ? cw_players_get(g->players(g->ud), char_id) : NULL;
    if (!p)
        lua_pushnil(L);
    else
        push_handle(L, char_id, 1);
}

void cw_bind_push_entity(lua_State *L, int64_t id)
{
    const cw_bind_game *g = cw_bind_game_of(L);
    cw_entity *e = g && id > 0 ? cw_world_get(g->world(g->ud), id) : NULL;
    if (!e)
        lua_pushnil(L);
    else if (e->kind == CW_ENT_PLAYER)
        push_handle(L, e->ref, 1);
    else
        push_handle(L, id, 0);
}

cw_player *cw_bind_player(lua_State *L, const cw_bind_game *g, const handle_t *h)
{
    cw_player *p = cw_players_get(g->players(g->ud), h->id);
    if (!p || !p->online) luaL_error(L, "player %d is gone (not online)", (int)h->id);
    return p;
}

cw_entity *cw_bind_entity(lua_State *L, const cw_bind_game *g, const handle_t *h)
{
    cw_world *w = g->world(g->ud);
    cw_entity *e = h->player ? cw_world_find_player(w, h->id) : cw_world_get(w, h->id);
    if (!e) {
        if (h->player) luaL_error(L, "player %d is not in the world", (int)h->id);
        luaL_error(L, "entity %d is gone (despawned, dead or logged out)", (int)h->id);
    }
    return e;
}

static const char *kind_name(cw_ent_kind k)
{
    return k == CW_ENT_PLAYER ? "player" : k == CW_ENT_MONSTER ? "monster" : "npc";
}

static int exists(lua_State *L, const cw_bind_game *g, const handle_t *h)
{
    if (h->player) {
        cw_player *p = cw_players_get(g->players(g->ud), h->id);
        return p && p->online;
    }
    return cw_world_get(g->world(g->ud), h->id) != NULL;
    (void)L;
}

static int vitals_field(lua_State *L, const cw_bind_game *g, cw_entity *e, const char *k)
{
    static const char *const names[] = {"hp", "hp_max", "mp", "mp_max", "dead", "template", NULL};
    int which = -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(k, names[i]) == 0) which = i;
    if (which < 0) return 0;
    cw_bind_vitals v;
    if (!g->vitals || g->vitals(g->ud, e->id, &v) != 0) {
        lua_pushnil(L);
        return 1;
    }
    switch (which) {
    case 0:
        lua_pushnumber(L, v.hp);
        break;
    case 1:
        lua_pushnumber(L, v.hp_max);
        break;
    case 2:
        lua_pushnumber(L, v.mp);
        break;
    case 3:
        lua_pushnumber(L, v.mp_max);
        break;
    case 4:
        lua_pushboolean(L, v.dead);
        break;
    default:
        if (v.template_id[0])
            lua_pushstring(L, v.template_id);
        else
            lua_pushnil(L);
    }
    return 1;
}

/* Fields common to players (through their entity) and entities. */
static int entity_field(lua_State *L, const cw_bind_game *g, cw_entity *e, const char *k)
{
    if (strcmp(k, "entity") == 0) {
        lua_pushnumber(L, (lua_Number)e->id);
    } else if (strcmp(k, "kind") == 0) {
        lua_pushstring(L, kind_name(e->kind));
    } else if (strcmp(k, "zone") == 0) {
        lua_pushstring(L, cw_world_zone_of(g->world(g->ud), e)->id);
    } else if (strcmp(k, "x") == 0) {
        lua_pushnumber(L, e->x);
    } else if (strcmp(k, "y") == 0) {
        lua_pushnumber(L, e->y);
    } else if (strcmp(k, "name") == 0) {
        lua_pushstring(L, e->name);
    } else if (strcmp(k, "speed") == 0) {
        lua_pushnumber(L, e->speed);
    } else {
        return vitals_field(L, g, e, k);
    }
    return 1;
}

static int player_index(lua_State *L)
{
    handle_t *h = lua_touserdata(L, 1);
    const char *k = luaL_checkstring(L, 2);
    lua_getfield(L, lua_upvalueindex(1), k); /* methods */
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    if (strcmp(k, "id") == 0) {
        lua_pushnumber(L, (lua_Number)h->id);
        return 1;
    }
    const cw_bind_game *g = cw_bind_live(L, "player");
    if (strcmp(k, "exists") == 0) {
        lua_pushboolean(L, exists(L, g, h));
        return 1;
    }
    cw_player *p = cw_bind_player(L, g, h);
    if (strcmp(k, "name") == 0) {
        lua_pushstring(L, p->name);
    } else if (strcmp(k, "account") == 0) {
        lua_pushnumber(L, (lua_Number)p->account_id);
    } else if (strcmp(k, "race") == 0) {
        lua_pushstring(L, p->race);
    } else if (strcmp(k, "job") == 0) {
        lua_pushstring(L, p->job);
    } else if (strcmp(k, "level") == 0) {
        lua_pushinteger(L, p->level);
    } else if (strcmp(k, "gold") == 0) {
        lua_pushnumber(L, (lua_Number)p->gold);
    } else if (strcmp(k, "exp") == 0) {
        lua_pushnumber(L, (lua_Number)p->exp);
    } else if (strcmp(k, "exp_pending") == 0 || strcmp(k, "gold_pending") == 0) {
        /* committed plus every transaction not yet committed */
        int64_t v = k[0] == 'e' ? p->exp : p->gold;
        for (const cw_txn *t = p->txns_inflight; t; t = t->next)
            v += k[0] == 'e' ? t->exp : t->gold;
        for (const cw_txn *t = p->txns; t; t = t->next)
            v += k[0] == 'e' ? t->exp : t->gold;
        lua_pushnumber(L, (lua_Number)v);
    } else if (strcmp(k, "kind") == 0) {
        lua_pushstring(L, "player");
    } else if (strcmp(k, "zone") == 0 || strcmp(k, "x") == 0 || strcmp(k, "y") == 0) {
        cw_entity *e = cw_world_find_player(g->world(g->ud), p->id);
        if (e) return entity_field(L, g, e, k);
        if (k[0] == 'z')
            lua_pushstring(L, p->zone);
        else
            lua_pushnumber(L, k[0] == 'x' ? p->x : p->y);
    } else {
        cw_entity *e = cw_world_find_player(g->world(g->ud), p->id);
        if (!e || !entity_field(L, g, e, k)) lua_pushnil(L);
    }
    return 1;
}

static int entity_index(lua_State *L)
{
    handle_t *h = lua_touserdata(L, 1);
    const char *k = luaL_checkstring(L, 2);
    lua_getfield(L, lua_upvalueindex(1), k);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    if (strcmp(k, "id") == 0) {
        lua_pushnumber(L, (lua_Number)h->id);
        return 1;
    }
    const cw_bind_game *g = cw_bind_live(L, "entity");
    if (strcmp(k, "exists") == 0) {
        lua_pushboolean(L, exists(L, g, h));
        return 1;
    }
    cw_entity *e = cw_bind_entity(L, g, h);
    if (!entity_field(L, g, e, k)) lua_pushnil(L);
    return 1;
}

static int handle_eq(lua_State *L)
{
    handle_t *a = lua_touserdata(L, 1), *b = lua_touserdata(L, 2);
    lua_pushboolean(L, a && b && a->id == b->id && a->player == b->player);
    return 1;
}

static int handle_tostring(lua_State *L)
{
    handle_t *h = lua_touserdata(L, 1);
    lua_pushfstring(L, "%s %d", h->player ? "player" : "entity", (int)h->id);
    return 1;
}

static int handle_newindex(lua_State *L)
{
    return luaL_error(L, "handles are read-only (use chaos.world and player:data for changes)");
}

static void make_mt(lua_State *L, const char *name, lua_CFunction index, int methods)
{
    luaL_newmetatable(L, name);
    lua_pushvalue(L, methods);
    lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, handle_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, handle_eq);
    lua_setfield(L, -2, "__eq");
    lua_pushcfunction(L, handle_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

int cw_bind_world(lua_State *L, int chaos, void *ctx)
{
    lua_pushlightuserdata(L, (void *)&GAME_KEY);
    lua_pushlightuserdata(L, ctx);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_newtable(L); /* chaos.world */
    int world = lua_gettop(L);
    cw_bind_world_queries(L, world);
    cw_bind_world_actions(L, world);
    lua_newtable(L); /* methods shared by both handle kinds */
    int methods = lua_gettop(L);
    cw_bind_handle_methods(L, methods);
    cw_bind_data_methods(L, methods);
    cw_bind_item_methods(L, methods);
    make_mt(L, CW_PLAYER_MT, player_index, methods);
    make_mt(L, CW_ENTITY_MT, entity_index, methods);
    lua_pop(L, 1);
    lua_setfield(L, chaos, "world");
    int rc = cw_bind_data_open(L, chaos);
    if (rc == 0) cw_bind_items_open(L);
    if (rc == 0) cw_bind_zones_open(L);
    return rc;
}
