/* data.c — per-character script data (player:data(ns)), namespace versions
 * (chaos.data_version), the call-end write-back, and the private
 * transaction primitive the engine's chaos.txn (scripts/engine/txn.lua)
 * is built on.
 *
 * The character's data lives in C (cw_player_data_*: JSON text per
 * namespace, saved with the character). player:data(ns) decodes it once into
 * a plain table cached in this Lua state; every namespace touched during a
 * call is encoded again at the end of the call (the call-end step) and, when
 * it changed, written back (written behind with the character). A change
 * that would pass the size cap raises and is dropped: the cache entry goes,
 * so the next access sees the stored data again. Versions: the stored object
 * carries "_v"; on first access an older version runs the namespace's
 * migration. Also the engine's progression primitives (private.level_stats,
 * set_realm, set_known_skills) the rules in scripts/rules/ call. */
#include "bindings/world_internal.h"

#include "core/script/host.h"

#include <lauxlib.h>
#include <string.h>

#define CACHE_KEY "chaos.data.cache"       /* [char id] = {[ns] = {t=, json=}} */
#define TOUCHED_KEY "chaos.data.touched"   /* array of {char id, ns} */
#define VERSIONS_KEY "chaos.data.versions" /* [ns] = {v=, fn=} */
#define CW_BIND_KNOWN_MAX 256              /* as the battle's CW_BATTLE_KNOWN_MAX */
#define PRIVATE_KEY "chaos.private"        /* engine-only functions (scripts/) */
#define SWEEP_EVERY 1024

static void registry_table(lua_State *L, const char *key)
{
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    if (lua_istable(L, -1)) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

static int valid_ns(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > CW_DATA_NS_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') || ns[i] == '_' ||
              ns[i] == '.'))
            return 0;
    return 1;
}

static void cjson_fn(lua_State *L, const char *name)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cjson");
    lua_getfield(L, -1, name);
    lua_replace(L, -4);
    lua_pop(L, 2);
}

/* Pushes the decoded (and migrated) table of (p, ns); *migrated when a migration ran. */
static void decode_ns(lua_State *L, const cw_player *p, const char *ns, int *migrated)
{
    *migrated = 0;
    const char *json = cw_player_data_get(p, ns);
    if (!json) {
        lua_newtable(L);
    } else {
        cjson_fn(L, "decode");
        lua_pushstring(L, json);
        lua_call(L, 1, 1);
        if (!lua_istable(L, -1))
            luaL_error(L, "player:data(\"%s\"): stored data is not an object", ns);
    }
    int t = lua_gettop(L);
    lua_getfield(L, t, "_v");
    lua_Number have = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setfield(L, t, "_v");
    registry_table(L, VERSIONS_KEY);
    lua_getfield(L, -1, ns);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "v");
        lua_Number want = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (have > want)
            luaL_error(L,
                       "player:data(\"%s\"): character %d has version %d of this data, newer than "
                       "this content's %d (refusing to touch it)",
                       ns, (int)p->id, (int)have, (int)want);
        if (json && have < want) {
            lua_getfield(L, -1, "fn");
            lua_pushvalue(L, t);
            lua_pushnumber(L, have);
            lua_call(L, 2, 1);
            if (!lua_istable(L, -1))
                luaL_error(L, "chaos.data_version(\"%s\"): the migration must return a table", ns);
            lua_replace(L, t);
            *migrated = 1;
        }
    }
    lua_settop(L, t);
}

static void touch(lua_State *L, int64_t char_id, const char *ns)
{
    registry_table(L, TOUCHED_KEY);
    int n = (int)lua_objlen(L, -1);
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, (lua_Number)char_id);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, ns);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, n + 1);
    lua_pop(L, 1);
}

/* Pushes cache[char_id] (created). */
static void char_cache(lua_State *L, int64_t char_id)
{
    registry_table(L, CACHE_KEY);
    lua_pushnumber(L, (lua_Number)char_id);
    lua_rawget(L, -2);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushnumber(L, (lua_Number)char_id);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    lua_remove(L, -2);
}

/* 1 when the cache entry at idx was read from (or last written as) what C
 * holds for (p, ns) now. */
static int base_is_current(lua_State *L, int idx, const cw_player *p, const char *ns)
{
    lua_getfield(L, idx, "json");
    const char *cur = cw_player_data_get(p, ns);
    int same = cur ? lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), cur) == 0
                   : lua_isnil(L, -1) || (lua_isstring(L, -1) && !lua_tostring(L, -1)[0]);
    lua_pop(L, 1);
    return same;
}

/* player:data(ns) → the namespace's table (changes are saved at the end of the call) */
static int m_data(lua_State *L)
{
    const char *f = "player:data";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    const char *ns = luaL_checkstring(L, 2);
    if (!valid_ns(ns))
        return luaL_error(L, "%s: namespace must be 1 to %d characters of a-z, 0-9, _ and .", f,
                          CW_DATA_NS_MAX);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_player *p = cw_players_get(g->players(g->ud), h->id);
    if (!p) return luaL_error(L, "%s: character %d is not loaded", f, (int)h->id);
    char_cache(L, p->id);
    int cc = lua_gettop(L);
    lua_getfield(L, cc, ns);
    if (lua_istable(L, -1)) {
        /* Still what C holds? (someone may have replaced it: a transaction, a reload) */
        if (base_is_current(L, lua_gettop(L), p, ns)) {
            lua_getfield(L, -1, "t");
            touch(L, p->id, ns);
            return 1;
        }
    }
    lua_pop(L, 1);
    int migrated;
    decode_ns(L, p, ns, &migrated);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "t");
    const char *cur = cw_player_data_get(p, ns);
    lua_pushstring(L, cur ? cur : "");
    lua_setfield(L, -2, "json");
    lua_setfield(L, cc, ns);
    touch(L, p->id, ns);
    return 1;
}

/* Encodes the table at idx for ns (adding "_v" when versioned); pushes the text. */
static const char *encode_ns(lua_State *L, int idx, const char *ns, size_t *len)
{
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    registry_table(L, VERSIONS_KEY);
    lua_getfield(L, -1, ns);
    int versioned = lua_istable(L, -1);
    if (versioned) {
        lua_getfield(L, -1, "v");
        lua_setfield(L, idx, "_v");
    }
    lua_pop(L, 2);
    cjson_fn(L, "encode");
    lua_pushvalue(L, idx);
    int rc = lua_pcall(L, 1, 1, 0);
    if (versioned) {
        lua_pushnil(L);
        lua_setfield(L, idx, "_v");
    }
    if (rc != 0) luaL_error(L, "player:data(\"%s\") cannot be saved: %s", ns, lua_tostring(L, -1));
    const char *s = lua_tolstring(L, -1, len);
    if (!s || s[0] != '{')
        luaL_error(L, "player:data(\"%s\") cannot be saved: use string keys at its top level", ns);
    return s;
}

static void drop_cache(lua_State *L, int64_t char_id, const char *ns)
{
    char_cache(L, char_id);
    lua_pushnil(L);
    lua_setfield(L, -2, ns);
    lua_pop(L, 1);
}

static void sweep(lua_State *L, const cw_bind_game *g)
{
    registry_table(L, CACHE_KEY);
    int c = lua_gettop(L);
    lua_newtable(L);
    int gone = lua_gettop(L), n = 0;
    lua_pushnil(L);
    while (lua_next(L, c)) {
        lua_pop(L, 1);
        cw_player *p = cw_players_get(g->players(g->ud), (int64_t)lua_tonumber(L, -1));
        if (!p || !p->online) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, gone, ++n);
        }
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, gone, i);
        lua_pushnil(L);
        lua_rawset(L, c);
    }
    lua_settop(L, c - 1);
}

/* The call-end step: writes back every namespace touched during the call. */
static int call_end(lua_State *L)
{
    const cw_bind_game *g = cw_bind_game_of(L);
    lua_getfield(L, LUA_REGISTRYINDEX, TOUCHED_KEY);
    if (!g || !lua_istable(L, -1) || lua_objlen(L, -1) == 0) {
        lua_pop(L, 1);
        return 0;
    }
    int list = lua_gettop(L);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, TOUCHED_KEY); /* a fresh list: an error here is final */
    int n = (int)lua_objlen(L, list);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lua_rawgeti(L, -1, 1);
        int64_t id = (int64_t)lua_tonumber(L, -1);
        lua_rawgeti(L, -2, 2);
        const char *ns = lua_tostring(L, -1);
        int top = lua_gettop(L);
        cw_player *p = cw_players_get(g->players(g->ud), id);
        char_cache(L, id);
        lua_getfield(L, -1, ns);
        if (p && lua_istable(L, -1) && !base_is_current(L, lua_gettop(L), p, ns)) {
            /* C's data changed under this table since it was read (a failed
             * commit rolled it back): writing it would undo that; drop it. */
            drop_cache(L, id, ns);
        } else if (p && lua_istable(L, -1)) {
            int entry = lua_gettop(L);
            lua_getfield(L, entry, "t");
            /* A namespace only read (never stored, still empty) is not data:
             * reading player:data("x") leaves no "x": {} behind — nor, for a
             * versioned namespace, a bare {"_v": n}. */
            lua_pushnil(L);
            int empty = lua_next(L, -2) == 0;
            if (!empty) lua_pop(L, 2);
            size_t len;
            const char *json = encode_ns(L, -1, ns, &len);
            const char *cur = cw_player_data_get(p, ns);
            int untouched = !cur && empty;
            if (!untouched && (!cur || strcmp(cur, json) != 0)) {
                int rc = cw_player_data_set(p, ns, json, len, g->data_cap);
                if (rc != 0) {
                    drop_cache(L, id, ns);
                    if (rc == CW_ELIMIT)
                        return luaL_error(L,
                                          "player:data(\"%s\"): character %d's data would pass "
                                          "%d KiB; this change is not saved",
                                          ns, (int)id, (int)(g->data_cap / 1024));
                    return luaL_error(L, "player:data(\"%s\"): not saved (%s)", ns,
                                      cw_err_name(rc));
                }
                lua_pushvalue(L, -1);
                lua_setfield(L, entry, "json");
            }
        }
        lua_settop(L, top - 3);
    }
    /* Every SWEEP_EVERY calls that wrote data back, drop cache entries of
     * characters no longer online (the count lives in this state). */
    lua_getfield(L, LUA_REGISTRYINDEX, "chaos.data.calls");
    lua_Integer calls = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, calls);
    lua_setfield(L, LUA_REGISTRYINDEX, "chaos.data.calls");
    if (calls % SWEEP_EVERY == 0) sweep(L, g);
    lua_pop(L, 1);
    return 0;
}

/* chaos.data_version(ns, n, migrate(old_table, old_version) → new_table) */
static int l_data_version(lua_State *L)
{
    const char *ns = luaL_checkstring(L, 1);
    if (!valid_ns(ns))
        return luaL_error(L,
                          "chaos.data_version: namespace must be 1 to %d characters of a-z, "
                          "0-9, _ and .",
                          CW_DATA_NS_MAX);
    lua_Integer v = luaL_checkinteger(L, 2);
    if (v < 1 || v > 1000000) return luaL_error(L, "chaos.data_version: version must be >= 1");
    luaL_checktype(L, 3, LUA_TFUNCTION);
    registry_table(L, VERSIONS_KEY);
    lua_getfield(L, -1, ns);
    if (!lua_isnil(L, -1))
        return luaL_error(L, "chaos.data_version: namespace \"%s\" is versioned twice", ns);
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, v);
    lua_setfield(L, -2, "v");
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "fn");
    lua_setfield(L, -2, ns);
    return 0;
}

/* private.commit(player, reason, gold, exp, level, {ns = table}[, item ops]) → token.
 * The engine's chaos.txn calls it once the transaction's function returned. */
static int l_commit(lua_State *L)
{
    const char *f = "chaos.txn";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    const char *reason = luaL_checkstring(L, 2);
    double gold = luaL_checknumber(L, 3), exp = luaL_checknumber(L, 4);
    int level = (int)luaL_checkinteger(L, 5);
    luaL_checktype(L, 6, LUA_TTABLE);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_player *p = cw_players_get(g->players(g->ud), h->id);
    if (!p) return luaL_error(L, "%s: character %d is not loaded", f, (int)h->id);
    cw_txn_data data[16];
    int nd = 0;
    lua_pushnil(L);
    while (lua_next(L, 6)) {
        if (nd == 16) return luaL_error(L, "%s: at most 16 data namespaces per transaction", f);
        if (lua_type(L, -2) != LUA_TSTRING || !valid_ns(lua_tostring(L, -2)) || !lua_istable(L, -1))
            return luaL_error(L, "%s: data must map namespace names to tables", f);
        const char *ns = lua_tostring(L, -2);
        size_t len;
        const char *json = encode_ns(L, -1, ns, &len);
        lua_insert(L, -3); /* the text stays alive on the stack, below the key */
        lua_pop(L, 1);
        data[nd++] = (cw_txn_data){ns, json, len};
    }
    cw_txn_item items[32];
    int nitems = cw_bind_txn_items(L, 7, items, 32);
    cw_txn_spec spec = {.gold = (int64_t)gold,
                        .exp = (int64_t)exp,
                        .level = level,
                        .data = data,
                        .ndata = nd,
                        .reason = reason,
                        .items = items,
                        .nitems = nitems};
    uint64_t token = 0;
    cw_error err = {0};
    int rc = g->txn ? g->txn(g->ud, p->id, &spec, &token, &err) : CW_ESTATE;
    if (rc != 0) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, rc == CW_ELIMIT      ? "data_too_large"
                          : rc == CW_EFULL     ? "inventory_full"
                          : rc == CW_ENOTFOUND ? "not_found"
                          : rc == CW_EUNAVAIL  ? "unavailable"
                          : rc == CW_EBUSY     ? "item_busy"
                                               : "txn_refused");
        lua_setfield(L, -2, "code");
        /* A reason the text policy refuses is not repeated (err.msg says what is wrong). */
        if (cw_txn_reason_problem(reason))
            lua_pushfstring(L, "transaction refused: %s", err.msg[0] ? err.msg : cw_err_name(rc));
        else
            lua_pushfstring(L, "transaction \"%s\" refused: %s", reason,
                            err.msg[0] ? err.msg : cw_err_name(rc));
        lua_setfield(L, -2, "message");
        return lua_error(L);
    }
    /* C holds the new data now: the cache follows it. */
    char_cache(L, p->id);
    int cc = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, 6)) {
        const char *ns = lua_tostring(L, -2);
        lua_createtable(L, 0, 2);
        lua_insert(L, -2);
        lua_setfield(L, -2, "t");
        const char *cur = cw_player_data_get(p, ns);
        lua_pushstring(L, cur ? cur : "");
        lua_setfield(L, -2, "json");
        lua_setfield(L, cc, ns);
    }
    lua_pushnumber(L, (lua_Number)token);
    return 1;
}

/* private.level_stats(player, {stat = n}): the character's `level` stat source */
static int l_level_stats(lua_State *L)
{
    const char *f = "level_stats";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    cw_stat_list l;
    cw_bind_stat_list(L, 2, "rules.level_stats", &l);
    cw_error err = {0};
    int rc = g->buff ? g->buff(g->ud, e->id, "level", &l, 0, &err) : CW_ESTATE;
    if (rc && rc != CW_ENOTFOUND) return luaL_error(L, "%s: %s", f, err.msg);
    return 0;
}

/* private.set_realm(player, realm_id | nil): the realm of the character's
 * stat actor (its REALM caps apply); nil: none. */
static int l_set_realm(lua_State *L)
{
    const char *f = "set_realm";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    const char *realm = lua_isnoneornil(L, 2) ? NULL : luaL_checkstring(L, 2);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    cw_error err = {0};
    int rc = g->set_realm ? g->set_realm(g->ud, e->id, realm, &err) : CW_ESTATE;
    if (rc) return luaL_error(L, "%s: %s", f, err.msg[0] ? err.msg : cw_err_name(rc));
    return 0;
}

/* private.set_known_skills(player, {skill_id, …} | nil): the skills the
 * character may use (nil: every skill). */
static int l_set_known_skills(lua_State *L)
{
    const char *f = "set_known_skills";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    int n = -1;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        n = (int)lua_objlen(L, 2);
        if (n > CW_BIND_KNOWN_MAX)
            return luaL_error(L, "%s: at most %d skills", f, CW_BIND_KNOWN_MAX);
    }
    const char *ids[CW_BIND_KNOWN_MAX];
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 2, i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "%s: skills[%d] must be a skill id (string)", f, i + 1);
        ids[i] = lua_tostring(L, -1); /* kept alive by the table */
        lua_pop(L, 1);
    }
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    cw_error err = {0};
    int rc = g->known_skills ? g->known_skills(g->ud, e->id, ids, n, &err) : CW_ESTATE;
    if (rc) return luaL_error(L, "%s: %s", f, err.msg[0] ? err.msg : cw_err_name(rc));
    return 0;
}

/* private.heal(player, n) → hp after, or nil, "dead": restores up
 * to n hp (never past hp_max). */
static int l_heal(lua_State *L)
{
    const char *f = "heal";
    handle_t *h = cw_bind_check_handle(L, 1, f, 1);
    double n = luaL_checknumber(L, 2);
    const cw_bind_game *g = cw_bind_live(L, f);
    cw_entity *e = cw_bind_entity(L, g, h);
    cw_error err = {0};
    double hp = 0;
    int rc = g->heal ? g->heal(g->ud, e->id, n, &hp, &err) : CW_ESTATE;
    if (rc == CW_ESTATE && g->heal) {
        lua_pushnil(L);
        lua_pushliteral(L, "dead");
        return 2;
    }
    if (rc) return luaL_error(L, "%s: %s", f, err.msg[0] ? err.msg : cw_err_name(rc));
    lua_pushnumber(L, hp);
    return 1;
}

void cw_bind_data_methods(lua_State *L, int methods)
{
    lua_pushcfunction(L, m_data);
    lua_setfield(L, methods, "data");
}

int cw_bind_data_open(lua_State *L, int chaos)
{
    lua_pushcfunction(L, l_data_version);
    lua_setfield(L, chaos, "data_version");
    registry_table(L, PRIVATE_KEY);
    lua_pushcfunction(L, l_commit);
    lua_setfield(L, -2, "commit");
    lua_pushcfunction(L, l_level_stats);
    lua_setfield(L, -2, "level_stats");
    lua_pushcfunction(L, l_set_realm);
    lua_setfield(L, -2, "set_realm");
    lua_pushcfunction(L, l_set_known_skills);
    lua_setfield(L, -2, "set_known_skills");
    lua_pushcfunction(L, l_heal);
    lua_setfield(L, -2, "heal");
    lua_pop(L, 1);
    cw_script_set_call_end(L, call_end);
    return 0;
}
