/* world_api.c — the functions of chaos.world and the methods of handles:
 * queries (entity, player, players, within, stats) and actions (teleport,
 * spawn, despawn, buff, unbuff, send to a player / who sees an entity / a
 * zone / everyone). Every argument is checked here; the game does the rest. */
#include "bindings/world_internal.h"

#include "core/script/host.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#define QUERY_MAX 1024 /* handles one query returns at most */
#define EVENT_MAX (32 * 1024)

int cw_bind_zone(lua_State *L, const cw_bind_game *g, int idx, const char *fname)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        return luaL_error(L, "%s: zone must be a zone id (string), not a %s", fname,
                          luaL_typename(L, idx));
    int zi = cw_zoneset_find(cw_world_zones(g->world(g->ud)), lua_tostring(L, idx));
    if (zi < 0) return luaL_error(L, "%s: no zone \"%s\"", fname, lua_tostring(L, idx));
    return zi;
}

static double check_num(lua_State *L, int idx, const char *fname, const char *what)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "%s: %s must be a number, not a %s", fname, what, luaL_typename(L, idx));
    double v = lua_tonumber(L, idx);
    if (!isfinite(v)) luaL_error(L, "%s: %s must be finite", fname, what);
    return v;
}

static const char *opt_field_str(lua_State *L, int t, const char *k, const char *fname)
{
    lua_getfield(L, t, k);
    const char *s = NULL;
    if (lua_type(L, -1) == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1))
        luaL_error(L, "%s: %s must be a string, not a %s", fname, k, luaL_typename(L, -1));
    lua_pop(L, 1); /* the string stays alive: it is referenced by the table */
    return s;
}

static double field_num(lua_State *L, int t, const char *k, const char *fname, double def,
                        int required)
{
    lua_getfield(L, t, k);
    double v = def;
    if (lua_isnil(L, -1)) {
        if (required) luaL_error(L, "%s: %s is required (a number)", fname, k);
    } else {
        v = check_num(L, -1, fname, k);
    }
    lua_pop(L, 1);
    return v;
}

/* ---- queries ------------------------------------------------------------------------------ */

/* chaos.world.entity(id) → handle or nil */
static int l_entity(lua_State *L)
{
    double id = check_num(L, 1, "chaos.world.entity", "id");
    cw_bind_live(L, "chaos.world.entity");
    cw_bind_push_entity(L, (int64_t)id);
    return 1;
}

/* chaos.world.player(character id | name) → handle or nil (online players only) */
static int l_player(lua_State *L)
{
    const cw_bind_game *g = cw_bind_live(L, "chaos.world.player");
    cw_player *p = NULL;
    if (lua_type(L, 1) == LUA_TSTRING)
        p = cw_players_find_name(g->players(g->ud), lua_tostring(L, 1));
    else if (lua_type(L, 1) == LUA_TNUMBER)
        p = cw_players_get(g->players(g->ud), (int64_t)lua_tonumber(L, 1));
    else
        return luaL_error(L,
                          "chaos.world.player: argument #1 must be a character id or name, "
                          "not a %s",
                          luaL_typename(L, 1));
    if (p && p->online)
        cw_bind_push_player(L, p->id);
    else
        lua_pushnil(L);
    return 1;
}

typedef struct zone_walk {
    lua_State *L;
    int zone, n;
} zone_walk;

static void add_player_in_zone(cw_entity *e, void *ud)
{
    zone_walk *z = ud;
    if (e->kind != CW_ENT_PLAYER || (z->zone >= 0 && e->zone != z->zone)) return;
    cw_bind_push_player(z->L, e->ref);
    lua_rawseti(z->L, -2, ++z->n);
}

/* chaos.world.players([zone]) → list of player handles (in a zone, or everyone in the world) */
static int l_players(lua_State *L)
{
    const cw_bind_game *g = cw_bind_live(L, "chaos.world.players");
    int zi = lua_isnoneornil(L, 1) ? -1 : cw_bind_zone(L, g, 1, "chaos.world.players");
    lua_newtable(L);
    zone_walk z = {L, zi, 0};
    cw_world_each(g->world(g->ud), add_player_in_zone, &z);
    return 1;
}

static int kind_filter(lua_State *L, int idx, const char *fname)
{
    if (lua_isnoneornil(L, idx)) return 0;
    const char *k = lua_tostring(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (strcmp(k, "player") == 0) return CW_ENT_PLAYER;
        if (strcmp(k, "monster") == 0) return CW_ENT_MONSTER;
        if (strcmp(k, "npc") == 0) return CW_ENT_NPC;
    }
    return luaL_error(L, "%s: kind must be \"player\", \"monster\" or \"npc\"", fname);
}

static int push_within(lua_State *L, const cw_bind_game *g, int zi, double x, double y, double r,
                       int kind, int64_t except)
{
    int64_t ids[QUERY_MAX];
    cw_world *w = g->world(g->ud);
    int n = cw_world_query(w, zi, x, y, r, ids, QUERY_MAX);
    if (n > QUERY_MAX) n = QUERY_MAX;
    lua_createtable(L, n, 0);
    int k = 0;
    for (int i = 0; i < n; i++) {
        cw_entity *e = cw_world_get(w, ids[i]);
        if (!e || e->id == except || (kind && (int)e->kind != kind)) continue;
        if (hypot(e->x - x, e->y - y) > r) continue;
        cw_bind_push_entity(L, e->id);
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* chaos.world.within(zone, x, y, radius [, kind]) → list of handles */
static int l_within(lua_State *L)
{
    const char *f = "chaos.world.within";
    const cw_bind_game *g = cw_bind_live(L, f);
    int zi = cw_bind_zone(L, g, 1, f);
    double x = check_num(L, 2, f, "x"), y = check_num(L, 3, f, "y");
    double r = check_num(L, 4, f, "radius");
    if (r < 0 || r > 10000) return luaL_error(L, "%s: radius must be in [0, 10000]", f);
    return push_within(L, g, zi, x, y, r, kind_filter(L, 5, f), 0);
}

/* handle:near(radius [, kind]) → handles around it (itself excluded) */
static int m_near(lua_State *L)
{
    const char *f = "near";
    handle_t *h = cw_bind_check_handle(L, 1, f, 0);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    double r = check_num(L, 2, f, "radius");
    if (r < 0 || r > 10000) return luaL_error(L, "%s: radius must be in [0, 10000]", f);
    return push_within(L, g, e->zone, e->x, e->y, r, kind_filter(L, 3, f), e->id);
}

static void stat_cb(void *ud, const char *name, double v)
{
    lua_State *L = ud;
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

/* chaos.world.stats(handle) / handle:stats() → {stat = value} from the live stat engine */
static int l_stats(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "stats", 0);
    const cw_bind_game *g = cw_bind_live(L, "stats");
    cw_entity *e = cw_bind_entity(L, g, h);
    lua_newtable(L);
    if (g->stats && g->stats(g->ud, e->id, stat_cb, L) != 0) {
        lua_pop(L, 1);
        lua_pushnil(L); /* no combatant (an NPC) */
    }
    return 1;
}

static int l_exists(lua_State *L)
{
    handle_t *h = cw_bind_check_handle(L, 1, "exists", 0);
    const cw_bind_game *g = cw_bind_live(L, "exists");
    lua_pushboolean(L, h->player ? cw_world_find_player(g->world(g->ud), h->id) != NULL
                                 : cw_world_get(g->world(g->ud), h->id) != NULL);
    return 1;
}

void cw_bind_world_queries(lua_State *L, int world)
{
    static const luaL_Reg fns[] = {{"entity", l_entity},   {"player", l_player},
                                   {"players", l_players}, {"within", l_within},
                                   {"stats", l_stats},     {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, world, r->name);
    }
}

/* ---- actions ------------------------------------------------------------------------------ */

static void fail_if(lua_State *L, int rc, const cw_error *err, const char *fname)
{
    if (rc) luaL_error(L, "%s: %s", fname, err->msg[0] ? err->msg : cw_err_name(rc));
}

/* chaos.world.teleport(handle, zone, x, y) */
static int l_teleport(lua_State *L)
{
    const char *f = "teleport";
    handle_t *h = cw_bind_check_handle(L, 1, f, 0);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    int zi = cw_bind_zone(L, g, 2, f);
    double x = check_num(L, 3, f, "x"), y = check_num(L, 4, f, "y");
    const cw_zone *z = &cw_world_zones(g->world(g->ud))->v[zi];
    if (!cw_zone_standable(z, x, y))
        return luaL_error(L, "%s: (%f, %f) is not a standable point of zone \"%s\"", f, x, y,
                          z->id);
    cw_error err = {0};
    fail_if(L, g->teleport ? g->teleport(g->ud, e->id, zi, x, y, &err) : CW_ESTATE, &err, f);
    return 0;
}

/* chaos.world.spawn{monster = id | npc = name, zone = id, x = n, y = n, respawn = bool} → handle */
static int l_spawn(lua_State *L)
{
    const char *f = "chaos.world.spawn";
    luaL_checktype(L, 1, LUA_TTABLE);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_bind_spawn sp = {0};
    sp.template_id = opt_field_str(L, 1, "monster", f);
    sp.name = opt_field_str(L, 1, "npc", f);
    if (!sp.template_id == !sp.name)
        return luaL_error(L, "%s: give exactly one of monster = <monster id> or npc = <name>", f);
    if (sp.name && (strlen(sp.name) == 0 || strlen(sp.name) > CW_ENTITY_NAME_MAX))
        return luaL_error(L, "%s: npc name must be 1 to %d bytes", f, CW_ENTITY_NAME_MAX);
    sp.kind = sp.template_id ? CW_ENT_MONSTER : CW_ENT_NPC;
    lua_getfield(L, 1, "zone");
    sp.zone = cw_bind_zone(L, g, lua_gettop(L), f);
    lua_pop(L, 1);
    sp.x = field_num(L, 1, "x", f, 0, 1);
    sp.y = field_num(L, 1, "y", f, 0, 1);
    lua_getfield(L, 1, "respawn");
    sp.respawn = lua_toboolean(L, -1);
    lua_pop(L, 1);
    const cw_zone *z = &cw_world_zones(g->world(g->ud))->v[sp.zone];
    if (!cw_zone_standable(z, sp.x, sp.y))
        return luaL_error(L, "%s: (%f, %f) is not a standable point of zone \"%s\"", f, sp.x, sp.y,
                          z->id);
    cw_error err = {0};
    int64_t id = 0;
    fail_if(L, g->spawn ? g->spawn(g->ud, &sp, &id, &err) : CW_ESTATE, &err, f);
    cw_bind_push_entity(L, id);
    return 1;
}

/* chaos.world.despawn(handle) → true when it was there */
static int l_despawn(lua_State *L)
{
    const char *f = "despawn";
    handle_t *h = cw_bind_check_handle(L, 1, f, 0);
    const cw_bind_game *g = cw_bind_live(L, f);
    if (h->player) return luaL_error(L, "%s: players leave by logging out, not by despawn", f);
    cw_error err = {0};
    int rc = g->despawn ? g->despawn(g->ud, h->id, &err) : CW_ESTATE;
    if (rc == CW_ENOTFOUND) {
        lua_pushboolean(L, 0);
        return 1;
    }
    fail_if(L, rc, &err, f);
    lua_pushboolean(L, 1);
    return 1;
}

void cw_bind_stat_list(lua_State *L, int idx, const char *fname, cw_stat_list *l)
{
    memset(l, 0, sizeof *l);
    if (!lua_istable(L, idx)) luaL_error(L, "%s: stats must be a table of stat = number", fname);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "%s: stats must map stat names to numbers", fname);
        if (cw_stat_list_add(l, lua_tostring(L, -2), lua_tonumber(L, -1)) != 0)
            luaL_error(L, "%s: stat \"%s\" refused (bad name or value, or more than %d)", fname,
                       lua_tostring(L, -2), CW_FIGHTER_MAX_STATS);
        lua_pop(L, 1);
    }
}

/* chaos.world.buff(handle, {source = name, stats = {stat = n}, seconds = n}) */
static int l_buff(lua_State *L)
{
    const char *f = "buff";
    handle_t *h = cw_bind_check_handle(L, 1, f, 0);
    luaL_checktype(L, 2, LUA_TTABLE);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    const char *source = opt_field_str(L, 2, "source", f);
    if (!source || !source[0] || strlen(source) > 60)
        return luaL_error(L, "%s: source must be a name of 1 to 60 bytes", f);
    if (!strcmp(source, "race") || !strcmp(source, "job") || !strcmp(source, "level") ||
        !strcmp(source, "monster"))
        return luaL_error(L, "%s: source \"%s\" belongs to the engine", f, source);
    double seconds = field_num(L, 2, "seconds", f, 0, 0);
    cw_stat_list l;
    lua_getfield(L, 2, "stats");
    cw_bind_stat_list(L, lua_gettop(L), f, &l);
    lua_pop(L, 1);
    cw_error err = {0};
    fail_if(L, g->buff ? g->buff(g->ud, e->id, source, &l, seconds, &err) : CW_ESTATE, &err, f);
    return 0;
}

/* chaos.world.unbuff(handle, source) → true when it was there */
static int l_unbuff(lua_State *L)
{
    const char *f = "unbuff";
    handle_t *h = cw_bind_check_handle(L, 1, f, 0);
    const char *source = luaL_checkstring(L, 2);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    cw_error err = {0};
    int rc = g->unbuff ? g->unbuff(g->ud, e->id, source, &err) : CW_ESTATE;
    if (rc != CW_ENOTFOUND) fail_if(L, rc, &err, f);
    lua_pushboolean(L, rc == 0);
    return 1;
}

/* chaos.world.event_caps(source, {stat = max} | nil): EVENT-layer caps on
 * every actor (a world event's modifiers.caps); nil removes them. */
static int l_event_caps(lua_State *L)
{
    const char *f = "event_caps";
    const char *source = luaL_checkstring(L, 1);
    if (!source[0] || strlen(source) > 60)
        return luaL_error(L, "%s: source must be a name of 1 to 60 bytes", f);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_stat_list l;
    int has = !lua_isnoneornil(L, 2);
    if (has) {
        luaL_checktype(L, 2, LUA_TTABLE);
        cw_bind_stat_list(L, 2, f, &l);
    }
    cw_error err = {0};
    fail_if(L, g->event_caps ? g->event_caps(g->ud, source, has ? &l : NULL, &err) : CW_ESTATE,
            &err, f);
    return 0;
}

/* The event at idx as JSON text (a table with a string "ev"), on the stack top. */
static const char *encode_event(lua_State *L, int idx, const char *f, size_t *len)
{
    if (!lua_istable(L, idx)) luaL_error(L, "%s: the event must be a table with ev = \"name\"", f);
    lua_getfield(L, idx, "ev");
    const char *ev = lua_tostring(L, -1);
    size_t n = ev && lua_type(L, -1) == LUA_TSTRING ? strlen(ev) : 0;
    int ok = n > 0 && n <= 48;
    for (size_t i = 0; ok && i < n; i++)
        ok = (ev[i] >= 'a' && ev[i] <= 'z') || (ev[i] >= '0' && ev[i] <= '9') || ev[i] == '_' ||
             ev[i] == '.';
    if (!ok) luaL_error(L, "%s: ev must be a name of 1 to 48 characters of a-z, 0-9, _ and .", f);
    lua_pop(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cjson");
    lua_getfield(L, -1, "encode");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    const char *s = lua_tolstring(L, -1, len);
    if (!s || s[0] != '{') luaL_error(L, "%s: the event must encode as a JSON object", f);
    if (*len > EVENT_MAX) luaL_error(L, "%s: the event is larger than %d bytes", f, EVENT_MAX);
    return s;
}

static int send_scope(lua_State *L, cw_bind_scope scope, const char *f)
{
    const cw_bind_game *g = cw_bind_live(L, f);
    int64_t target = 0;
    if (scope == CW_SCOPE_PLAYER) {
        target = cw_bind_player(L, g, cw_bind_check_handle(L, 1, f, 1))->id;
    } else if (scope == CW_SCOPE_SEES) {
        target = cw_bind_entity(L, g, cw_bind_check_handle(L, 1, f, 0))->id;
    } else if (scope == CW_SCOPE_ZONE) {
        target = cw_bind_zone(L, g, 1, f);
    }
    size_t len;
    const char *json = encode_event(L, scope == CW_SCOPE_WORLD ? 1 : 2, f, &len);
    if (g->push) g->push(g->ud, scope, target, json, len);
    return 0;
}

/* chaos.world.send(player, ev) / send_near(handle, ev) / send_zone(zone, ev) / broadcast(ev) */
static int l_send(lua_State *L)
{
    return send_scope(L, CW_SCOPE_PLAYER, "send");
}
static int l_send_near(lua_State *L)
{
    return send_scope(L, CW_SCOPE_SEES, "send_near");
}
static int l_send_zone(lua_State *L)
{
    return send_scope(L, CW_SCOPE_ZONE, "chaos.world.send_zone");
}
static int l_broadcast(lua_State *L)
{
    return send_scope(L, CW_SCOPE_WORLD, "chaos.world.broadcast");
}

void cw_bind_world_actions(lua_State *L, int world)
{
    static const luaL_Reg fns[] = {{"teleport", l_teleport},
                                   {"spawn", l_spawn},
                                   {"despawn", l_despawn},
                                   {"buff", l_buff},
                                   {"unbuff", l_unbuff},
                                   {"send", l_send},
                                   {"send_near", l_send_near},
                                   {"send_zone", l_send_zone},
                                   {"broadcast", l_broadcast},
                                   {"event_caps", l_event_caps},
                                   {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, world, r->name);
    }
}

void cw_bind_handle_methods(lua_State *L, int methods)
{
    static const luaL_Reg fns[] = {{"stats", l_stats},       {"near", m_near},
                                   {"teleport", l_teleport}, {"despawn", l_despawn},
                                   {"buff", l_buff},         {"unbuff", l_unbuff},
                                   {"send", l_send},         {"send_near", l_send_near},
                                   {"alive", l_exists},      {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, methods, r->name);
    }
}
