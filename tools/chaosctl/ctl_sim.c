/* ctl_sim.c — chaos.sim: the designer's handle on chaosctl's offline world
 * (only `chaosctl script` has it). Players and monsters are created here,
 * the clock moved, transactions committed, and what a player was sent or
 * what the store holds read back (fights: ctl_sim_fight.c). Every hook fires as in
 * chaosd: login, enter_world and enter_zone at once; kill, death, respawn and
 * zone changes after the call that caused them; level_up after a commit;
 * tick once per simulated second. Argument errors name the function and the
 * argument. chaos.sim is refused from inside content the sim is running (a
 * hook, op or timer): the test file drives the world. See ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include "core/base/strbuf.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADVANCE_MAX_S 86400 /* one sim.advance at most */
#define INTERACT_RANGE 6.0  /* as chaosd's `interact` op */
#define CTL_INIT_NS 16      /* data namespaces a new character may bring */
#define WHOLE_MAX 9007199254740992.0

/* ---- players and monsters ------------------------------------------------------------------- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > CW_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static void check_def(lua_State *L, ctl_world *w, const char *kind, const char *id, const char *f)
{
    if (!cw_host_has_def(w->host, kind, id))
        luaL_error(L, "%s: %s \"%s\" is not defined (%s{} in content)", f, kind, id, kind);
}

static int enter(lua_State *L, ctl_world *w, cw_player *p, const char *f)
{
    cw_hook_event ev = {.hook = "login", .account = p->account_id, .name = p->name};
    ctl_fire(w, &ev, 0);
    cw_error err = {0};
    if (ctl_enter(w, p, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    cw_bind_push_player(L, p->id);
    return 1;
}

/* t.data (of the table at 1): {ns = table} as stored (a "_v" member is the
 * stored version). The encoded texts stay on the stack. Returns the count. */
static int init_data(lua_State *L, cw_txn_data *out, const char *f)
{
    lua_getfield(L, 1, "data");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1)) luaL_error(L, "%s: data must be a table of namespace = table", f);
    int t = lua_gettop(L), n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING || !cw_player_data_ns_valid(lua_tostring(L, -2)) ||
            !lua_istable(L, -1))
            luaL_error(L, "%s: data must map namespace names (a-z, 0-9, _ and .) to tables", f);
        if (n == CTL_INIT_NS) luaL_error(L, "%s: at most %d data namespaces", f, CTL_INIT_NS);
        ctl_sim_cjson(L, "encode");
        lua_insert(L, -2);
        lua_call(L, 1, 1);
        size_t len;
        const char *json = lua_tolstring(L, -1, &len);
        if (!json || json[0] != '{')
            luaL_error(L, "%s: data.%s must encode as a JSON object", f, lua_tostring(L, -2));
        out[n++] = (cw_txn_data){lua_tostring(L, -2), json, len};
        lua_pushvalue(L, -2); /* key, text → text, key: the text stays below the key */
        lua_remove(L, -3);
    }
    return n;
}

/* sim.player{name=, race=, job=, zone=?, x=?, y=?, level=?, gold=?, exp=?, data=?} → player
 * handle. The name of a character that left (sim.leave) brings it back as it was. */
static int l_player(lua_State *L)
{
    const char *f = "chaos.sim.player";
    ctl_world *w = ctl_sim_ready(L, f);
    ctl_sim_table(L, 1, f, "the character");
    const char *name = ctl_sim_field_str(L, 1, "name", f, 1);
    if (!valid_name(name))
        return luaL_error(L, "%s: name must be 3 to %d characters of A-Z, a-z, 0-9 and _", f,
                          CW_NAME_MAX);
    cw_player *old = cw_players_find_name(w->ps, name);
    if (old && old->online) return luaL_error(L, "%s: \"%s\" is already in the world", f, name);
    if (old) return enter(L, w, old, f);
    const char *race = ctl_sim_field_str(L, 1, "race", f, 1),
               *job = ctl_sim_field_str(L, 1, "job", f, 1);
    check_def(L, w, "race", race, f);
    check_def(L, w, "job", job, f);
    const cw_zoneset *zs = cw_world_zones(w->w);
    const char *zone = ctl_sim_field_str(L, 1, "zone", f, 0);
    const cw_zone *z = &zs->v[zone ? ctl_sim_zone(L, w, zone, f) : zs->start];
    int hx, hy, hl, hg, he;
    double x = ctl_sim_field_num(L, 1, "x", f, &hx), y = ctl_sim_field_num(L, 1, "y", f, &hy);
    if (hx != hy) return luaL_error(L, "%s: give both x and y, or neither", f);
    if (hx && !cw_zone_standable(z, x, y))
        return luaL_error(L, "%s: (%g, %g) is not a standable point of zone \"%s\"", f, x, y,
                          z->id);
    if (!hx) cw_zone_spawn_point(z, w->seed ^ ((uint64_t)w->next_char << 32), &x, &y);
    int level = (int)ctl_sim_field_whole(L, 1, "level", f, 1, 1000, &hl);
    int64_t gold = ctl_sim_field_whole(L, 1, "gold", f, 0, WHOLE_MAX, &hg);
    int64_t exp = ctl_sim_field_whole(L, 1, "exp", f, 0, WHOLE_MAX, &he);
    /* level and exp agree through the rules (as the level curve would have it) */
    if (hl && !he) exp = (int64_t)ctl_sim_rules_call(L, "level_exp", level);
    if (he && !hl) level = (int)ctl_sim_rules_call(L, "level_for", (double)exp);
    if (!hl && !he) level = 1;
    cw_txn_data data[CTL_INIT_NS];
    int ndata = init_data(L, data, f);
    int64_t id = w->next_char;
    cw_player_init in = {.id = id,
                         .account_id = id,
                         .version = 1,
                         .name = name,
                         .race = race,
                         .job = job,
                         .zone = z->id,
                         .doc = "{}",
                         .level = level,
                         .x = x,
                         .y = y,
                         .gold = gold,
                         .exp = exp,
                         .data = data,
                         .ndata = ndata};
    cw_player *p = NULL;
    int rc = cw_players_add(w->ps, &in, &p);
    if (rc) return luaL_error(L, "%s: %s", f, cw_err_name(rc));
    w->next_char++;
    if (ctl_store_put(w, p) != 0) return luaL_error(L, "%s: out of memory", f);
    return enter(L, w, p, f);
}

/* sim.leave(player): leave_zone, logout; offline (and saved, as chaosd saves a leaving character)
 */
static int l_leave(lua_State *L)
{
    const char *f = "chaos.sim.leave";
    ctl_world *w = ctl_sim_ready(L, f);
    cw_player *p = ctl_sim_online(L, w, 1, f, "player");
    ctl_leave(w, p);
    cw_error err = {0};
    if (ctl_commit(w, NULL, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    return 0;
}

/* sim.monster{template=, zone=, x=, y=, respawn=?} → entity handle */
static int l_monster(lua_State *L)
{
    const char *f = "chaos.sim.monster";
    ctl_world *w = ctl_sim_ready(L, f);
    ctl_sim_table(L, 1, f, "the monster");
    const char *tpl = ctl_sim_field_str(L, 1, "template", f, 1);
    int zi = ctl_sim_zone(L, w, ctl_sim_field_str(L, 1, "zone", f, 1), f);
    int hx, hy;
    double x = ctl_sim_field_num(L, 1, "x", f, &hx), y = ctl_sim_field_num(L, 1, "y", f, &hy);
    if (!hx || !hy) return luaL_error(L, "%s: x and y are required (numbers)", f);
    const cw_zone *z = &cw_world_zones(w->w)->v[zi];
    if (!cw_zone_standable(z, x, y))
        return luaL_error(L, "%s: (%g, %g) is not a standable point of zone \"%s\"", f, x, y,
                          z->id);
    lua_getfield(L, 1, "respawn");
    cw_spawn_opts o = {lua_toboolean(L, -1)};
    lua_pop(L, 1);
    int64_t id = 0;
    cw_error err = {0};
    if (cw_battle_spawn(w->b, tpl, zi, x, y, ctl_now_ns(w), &o, &id, &err) != 0)
        return luaL_error(L, "%s: %s", f, err.msg);
    ctl_flush(w);
    cw_bind_push_entity(L, id);
    return 1;
}

/* ---- the clock and the store ---------------------------------------------------------------- */

/* sim.advance(seconds): battle at 20 Hz, tick hook each second, timers; then a commit */
static int l_advance(lua_State *L)
{
    const char *f = "chaos.sim.advance";
    ctl_world *w = ctl_sim_ready(L, f);
    if (lua_type(L, 1) != LUA_TNUMBER)
        return luaL_error(L, "%s: seconds (argument #1) must be a number, not a %s", f,
                          luaL_typename(L, 1));
    double s = lua_tonumber(L, 1);
    if (!(s >= 0 && s <= ADVANCE_MAX_S))
        return luaL_error(L, "%s: seconds must be in [0, %d]", f, ADVANCE_MAX_S);
    ctl_sim_step(L, w, s, f);
    cw_error err = {0};
    if (ctl_commit(w, NULL, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    return 0;
}

/* sim.commit() → true (committed) or false (made to fail by sim.fail_next_commit) */
static int l_commit(lua_State *L)
{
    const char *f = "chaos.sim.commit";
    ctl_world *w = ctl_sim_ready(L, f);
    int failed = 0;
    cw_error err = {0};
    if (ctl_commit(w, &failed, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    lua_pushboolean(L, !failed);
    return 1;
}

/* sim.fail_next_commit(): the next commit fails (the database is down): nothing is applied */
static int l_fail_next_commit(lua_State *L)
{
    ctl_world *w = ctl_sim_ready(L, "chaos.sim.fail_next_commit");
    w->fail_next = 1;
    return 0;
}

/* sim.stored(player) → {gold, exp, level, zone, x, y, data = {ns = table}} as stored */
static int l_stored(lua_State *L)
{
    const char *f = "chaos.sim.stored";
    ctl_world *w = ctl_sim_ready(L, f);
    ctl_harg h = ctl_sim_handle(L, 1, f, "player", 1);
    const ctl_row *r = ctl_store_get(w, h.id);
    if (!r) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, (lua_Number)r->gold);
    lua_setfield(L, -2, "gold");
    lua_pushnumber(L, (lua_Number)r->exp);
    lua_setfield(L, -2, "exp");
    lua_pushinteger(L, r->level);
    lua_setfield(L, -2, "level");
    lua_pushstring(L, r->zone);
    lua_setfield(L, -2, "zone");
    lua_pushnumber(L, r->x);
    lua_setfield(L, -2, "x");
    lua_pushnumber(L, r->y);
    lua_setfield(L, -2, "y");
    lua_createtable(L, 0, r->ndata);
    for (int i = 0; i < r->ndata; i++) {
        ctl_sim_push_decoded(L, r->data[i].json, strlen(r->data[i].json));
        lua_setfield(L, -2, r->data[i].ns);
    }
    lua_setfield(L, -2, "data");
    return 1;
}

/* sim.events(player) → the events sent to that player (decoded, oldest first), then forgotten */
static int l_events(lua_State *L)
{
    const char *f = "chaos.sim.events";
    ctl_world *w = ctl_sim_ready(L, f);
    ctl_harg h = ctl_sim_handle(L, 1, f, "player", 1);
    ctl_box *b = ctl_box_of(w, h.id, 0);
    int n = b ? b->n : 0;
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        ctl_sim_push_decoded(L, b->v[i], strlen(b->v[i]));
        lua_rawseti(L, -2, i + 1);
    }
    if (b) ctl_box_clear(b);
    return 1;
}

/* ---- what a player does --------------------------------------------------------------------- */

/* sim.chat(player, text [, channel = "say"]) → true when a chat_command hook claimed it */
static int l_chat(lua_State *L)
{
    const char *f = "chaos.sim.chat";
    ctl_world *w = ctl_sim_ready(L, f);
    cw_player *p = ctl_sim_online(L, w, 1, f, "player");
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s: text (argument #2) must be a string, not a %s", f,
                          luaL_typename(L, 2));
    const char *text = lua_tostring(L, 2), *channel = ctl_sim_opt_string(L, 3, f, "channel", "say");
    int claimed = 0;
    if (text[0] == '/') {
        cw_hook_event ev = {
            .hook = "chat_command", .char_id = p->id, .channel = channel, .text = text};
        claimed = ctl_fire(w, &ev, 1);
        ctl_flush(w);
    }
    lua_pushboolean(L, claimed);
    return 1;
}

static int refuse(lua_State *L, const char *code, const char *message)
{
    lua_pushnil(L);
    lua_pushstring(L, code);
    lua_pushstring(L, message);
    return 3;
}

/* sim.interact(player, target [, action]) → claimed, or nil, code, message (as chaosd refuses) */
static int l_interact(lua_State *L)
{
    const char *f = "chaos.sim.interact";
    ctl_world *w = ctl_sim_ready(L, f);
    cw_player *p = ctl_sim_online(L, w, 1, f, "player");
    cw_entity *t = ctl_sim_entity(L, w, 2, f, "target");
    const char *action = ctl_sim_opt_string(L, 3, f, "action", NULL);
    cw_entity *e = cw_world_find_player(w->w, p->id);
    if (!e || t == e || t->zone != e->zone || !cw_entity_sees(w->w, e, t->id))
        return refuse(L, "bad_target", "nothing like that here");
    if (hypot(t->x - e->x, t->y - e->y) > INTERACT_RANGE)
        return refuse(L, "out_of_range", "come closer");
    cw_hook_event ev = {.hook = "interact",
                        .char_id = p->id,
                        .entity = t->id,
                        .kind = t->kind == CW_ENT_NPC       ? "npc"
                                : t->kind == CW_ENT_MONSTER ? "monster"
                                                            : "player",
                        .name = t->name,
                        .action = action};
    int claimed = ctl_fire(w, &ev, 1);
    ctl_flush(w);
    lua_pushboolean(L, claimed);
    return 1;
}

static void push_ctx(lua_State *L, void *ud)
{
    int64_t char_id = *(int64_t *)ud;
    if (char_id > 0) {
        cw_bind_push_player(L, char_id);
        lua_setfield(L, -2, "player");
    }
}

/* sim.op(player | nil, name [, req]) → the reply table, or nil, code, message */
static int l_op(lua_State *L)
{
    const char *f = "chaos.sim.op";
    ctl_world *w = ctl_sim_ready(L, f);
    int64_t char_id = lua_isnil(L, 1) ? 0 : ctl_sim_online(L, w, 1, f, "player")->id;
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s: name (argument #2) must be a string, not a %s", f,
                          luaL_typename(L, 2));
    const char *op = lua_tostring(L, 2);
    if (!lua_isnoneornil(L, 3) && !lua_istable(L, 3))
        return luaL_error(L, "%s: req (argument #3) must be a table, not a %s", f,
                          luaL_typename(L, 3));
    if (!cw_host_has_op(w->host, op)) return refuse(L, "unknown_op", "no such op");
    ctl_sim_cjson(L, "encode");
    if (lua_istable(L, 3))
        lua_pushvalue(L, 3);
    else
        lua_newtable(L);
    lua_call(L, 1, 1);
    size_t len;
    const char *payload = lua_tolstring(L, -1, &len);
    if (payload[0] != '{') return luaL_error(L, "%s: req must encode as a JSON object", f);
    cw_op_result res;
    memset(&res, 0, sizeof res);
    w->busy++;
    cw_host_call_op_ctx(w->host, op, payload, len, (uint64_t)char_id, push_ctx, &char_id, &res);
    w->busy--;
    ctl_flush(w);
    int n;
    if (res.ok) {
        ctl_sim_push_decoded(L, res.body.data ? res.body.data : "{}",
                             res.body.data ? res.body.len : 2);
        n = 1;
    } else {
        lua_pushnil(L);
        lua_pushstring(L, res.code);
        lua_pushlstring(L, res.message.data ? res.message.data : "", res.message.len);
        n = 3;
    }
    cw_op_result_free(&res);
    return n;
}

void ctl_sim_open(lua_State *L, int chaos, ctl_world *w)
{
    static const luaL_Reg fns[] = {{"player", l_player},   {"leave", l_leave},
                                   {"monster", l_monster}, {"kill", ctl_sim_kill},
                                   {"hit", ctl_sim_hit},   {"advance", l_advance},
                                   {"commit", l_commit},   {"fail_next_commit", l_fail_next_commit},
                                   {"stored", l_stored},   {"events", l_events},
                                   {"chat", l_chat},       {"interact", l_interact},
                                   {"op", l_op},           {NULL, NULL}};
    lua_createtable(L, 0, 16);
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushlightuserdata(L, w);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, -2, r->name);
    }
    lua_setfield(L, chaos, "sim");
}
