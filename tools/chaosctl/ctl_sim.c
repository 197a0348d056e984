/* ctl_sim.c — chaos.sim: the designer's handle on chaosctl's offline world
 * (only `chaosctl script` has it). Players and monsters are created here,
 * fights made to happen, the clock moved, transactions committed, and what a
 * player was sent or what the store holds read back. Every hook fires as in
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

#define PLAYER_MT "chaos.player" /* the binding's handle metatables (bindings/world.c) */
#define ENTITY_MT "chaos.entity"
#define FIGHT_MAX_S 600.0   /* a fight that takes longer than this is refused */
#define ADVANCE_MAX_S 86400 /* one sim.advance at most */
#define STALL_S 30.0        /* a monster that lands nothing for this long is stuck */
#define INTERACT_RANGE 6.0  /* as chaosd's `interact` op */
#define CTL_INIT_NS 16      /* data namespaces a new character may bring */
#define WHOLE_MAX 9007199254740992.0

/* ---- arguments ------------------------------------------------------------------------------ */

static ctl_world *ready(lua_State *L, const char *f)
{
    ctl_world *w = lua_touserdata(L, lua_upvalueindex(1));
    if (w->busy)
        luaL_error(L, "%s: not from inside a hook, op or timer (the test file drives the world)",
                   f);
    if (!cw_gen_is_live(cw_gen_of(L)) || !w->host)
        luaL_error(L, "%s: not available while content loads", f);
    cw_error err = {0};
    if (ctl_world_build(w, &err) != 0) luaL_error(L, "%s: %s", f, err.msg);
    return w;
}

typedef struct harg {
    int player; /* 1: a player handle (id = character id); 0: an entity (id = entity id) */
    int64_t id;
} harg;

static harg check_handle(lua_State *L, int idx, const char *f, const char *what, int want_player)
{
    harg h = {0, 0};
    int ok = 0;
    if (lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, PLAYER_MT);
        h.player = lua_rawequal(L, -1, -2);
        luaL_getmetatable(L, ENTITY_MT);
        ok = h.player || (!want_player && lua_rawequal(L, -1, -3));
        lua_pop(L, 3);
    }
    if (!ok)
        luaL_error(L, "%s: %s (argument #%d) must be a %s handle, not a %s", f, what, idx,
                   want_player ? "player" : "player or entity", luaL_typename(L, idx));
    lua_getfield(L, idx, "id");
    h.id = (int64_t)lua_tonumber(L, -1);
    lua_pop(L, 1);
    return h;
}

static cw_player *online_player(lua_State *L, ctl_world *w, int idx, const char *f,
                                const char *what)
{
    harg h = check_handle(L, idx, f, what, 1);
    cw_player *p = cw_players_get(w->ps, h.id);
    if (!p || !p->online) luaL_error(L, "%s: %s (player %d) is not online", f, what, (int)h.id);
    return p;
}

static cw_entity *entity_of(lua_State *L, ctl_world *w, int idx, const char *f, const char *what)
{
    harg h = check_handle(L, idx, f, what, 0);
    cw_entity *e = h.player ? cw_world_find_player(w->w, h.id) : cw_world_get(w->w, h.id);
    if (!e)
        luaL_error(L, "%s: %s (%s %d) is gone", f, what, h.player ? "player" : "entity", (int)h.id);
    return e;
}

static void check_table(lua_State *L, int idx, const char *f, const char *what)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: %s (argument #%d) must be a table, not a %s", f, what, idx,
                   luaL_typename(L, idx));
}

/* Argument idx: a string, or def when absent or nil. */
static const char *opt_string(lua_State *L, int idx, const char *f, const char *what,
                              const char *def)
{
    if (lua_isnoneornil(L, idx)) return def;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "%s: %s (argument #%d) must be a string, not a %s", f, what, idx,
                   luaL_typename(L, idx));
    return lua_tostring(L, idx);
}

/* t[k]: a string, or NULL when nil (required: raises). */
static const char *field_str(lua_State *L, int t, const char *k, const char *f, int required)
{
    lua_getfield(L, t, k);
    const char *s = NULL;
    if (lua_type(L, -1) == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1) || required)
        luaL_error(L, "%s: %s must be a string, not a %s", f, k, luaL_typename(L, -1));
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

/* t[k]: a finite number (*have 0 when nil). */
static double field_num(lua_State *L, int t, const char *k, const char *f, int *have)
{
    lua_getfield(L, t, k);
    double v = 0;
    *have = !lua_isnil(L, -1);
    if (*have) {
        if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(lua_tonumber(L, -1)))
            luaL_error(L, "%s: %s must be a finite number, not a %s", f, k, luaL_typename(L, -1));
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static int64_t field_whole(lua_State *L, int t, const char *k, const char *f, double lo, double hi,
                           int *have)
{
    double v = field_num(L, t, k, f, have);
    if (*have && (v != floor(v) || v < lo || v > hi))
        luaL_error(L, "%s: %s must be a whole number in [%.0f, %.0f]", f, k, lo, hi);
    return (int64_t)v;
}

static int zone_index(lua_State *L, ctl_world *w, const char *zone, const char *f)
{
    int zi = cw_zoneset_find(cw_world_zones(w->w), zone);
    if (zi < 0) luaL_error(L, "%s: no zone \"%s\"", f, zone);
    return zi;
}

/* Calls require("rules")[fn](arg) and returns its number. */
static double rules_call(lua_State *L, const char *fn, double arg)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, "rules");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, fn);
    lua_pushnumber(L, arg);
    lua_call(L, 1, 1);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 2);
    return v;
}

static void cjson(lua_State *L, const char *fn)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cjson");
    lua_getfield(L, -1, fn);
    lua_replace(L, -4);
    lua_pop(L, 2);
}

/* Pushes the decoded JSON text. */
static void push_decoded(lua_State *L, const char *json, size_t len)
{
    cjson(L, "decode");
    lua_pushlstring(L, json, len);
    lua_call(L, 1, 1);
}

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
        cjson(L, "encode");
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
    ctl_world *w = ready(L, f);
    check_table(L, 1, f, "the character");
    const char *name = field_str(L, 1, "name", f, 1);
    if (!valid_name(name))
        return luaL_error(L, "%s: name must be 3 to %d characters of A-Z, a-z, 0-9 and _", f,
                          CW_NAME_MAX);
    cw_player *old = cw_players_find_name(w->ps, name);
    if (old && old->online) return luaL_error(L, "%s: \"%s\" is already in the world", f, name);
    if (old) return enter(L, w, old, f);
    const char *race = field_str(L, 1, "race", f, 1), *job = field_str(L, 1, "job", f, 1);
    check_def(L, w, "race", race, f);
    check_def(L, w, "job", job, f);
    const cw_zoneset *zs = cw_world_zones(w->w);
    const char *zone = field_str(L, 1, "zone", f, 0);
    const cw_zone *z = &zs->v[zone ? zone_index(L, w, zone, f) : zs->start];
    int hx, hy, hl, hg, he;
    double x = field_num(L, 1, "x", f, &hx), y = field_num(L, 1, "y", f, &hy);
    if (hx != hy) return luaL_error(L, "%s: give both x and y, or neither", f);
    if (hx && !cw_zone_standable(z, x, y))
        return luaL_error(L, "%s: (%g, %g) is not a standable point of zone \"%s\"", f, x, y,
                          z->id);
    if (!hx) cw_zone_spawn_point(z, w->seed ^ ((uint64_t)w->next_char << 32), &x, &y);
    int level = (int)field_whole(L, 1, "level", f, 1, 1000, &hl);
    int64_t gold = field_whole(L, 1, "gold", f, 0, WHOLE_MAX, &hg);
    int64_t exp = field_whole(L, 1, "exp", f, 0, WHOLE_MAX, &he);
    /* level and exp agree through the rules (as the level curve would have it) */
    if (hl && !he) exp = (int64_t)rules_call(L, "level_exp", level);
    if (he && !hl) level = (int)rules_call(L, "level_for", (double)exp);
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
    ctl_world *w = ready(L, f);
    cw_player *p = online_player(L, w, 1, f, "player");
    ctl_leave(w, p);
    cw_error err = {0};
    if (ctl_commit(w, NULL, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    return 0;
}

/* sim.monster{template=, zone=, x=, y=, respawn=?} → entity handle */
static int l_monster(lua_State *L)
{
    const char *f = "chaos.sim.monster";
    ctl_world *w = ready(L, f);
    check_table(L, 1, f, "the monster");
    const char *tpl = field_str(L, 1, "template", f, 1);
    int zi = zone_index(L, w, field_str(L, 1, "zone", f, 1), f);
    int hx, hy;
    double x = field_num(L, 1, "x", f, &hx), y = field_num(L, 1, "y", f, &hy);
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

/* ---- fights --------------------------------------------------------------------------------- */

/* 1 when the victim is dead or gone. */
static int fallen(ctl_world *w, int64_t victim)
{
    cw_vitals v;
    return cw_battle_vitals(w->b, victim, &v) != 0 || v.dead;
}

static void step(lua_State *L, ctl_world *w, double seconds, const char *f)
{
    cw_error err = {0};
    if (ctl_step(w, seconds, &err) != 0) luaL_error(L, "%s: %s", f, err.msg);
}

/* A player uses skill on a monster through the skill-use gate, the clock
 * moving past cooldowns and casts, until it fell (or one hit landed). */
static void player_fights(lua_State *L, ctl_world *w, int64_t kid, int64_t vid, const char *skill,
                          int until_dead, const char *f)
{
    double limit = ctl_now(w) + FIGHT_MAX_S;
    int moved = 0;
    while (!fallen(w, vid) && (until_dead || w->watch_hits == 0)) {
        cw_entity *ke = cw_world_get(w->w, kid), *ve = cw_world_get(w->w, vid);
        if (!ke) luaL_error(L, "%s: the attacker left the world", f);
        if (ctl_now(w) > limit)
            luaL_error(L, "%s: the victim still stands after %g simulated seconds", f, FIGHT_MAX_S);
        cw_skill_use u;
        cw_battle_use_skill(w->b, ke, vid, skill, ctl_now_ns(w), &u);
        ctl_flush(w);
        switch (u.result) {
        case CW_USE_OK:
            if (u.cast_time > 0) step(L, w, u.cast_time, f);
            break;
        case CW_USE_COOLDOWN:
            step(L, w, u.seconds > 1.0 / CTL_HZ ? u.seconds : 1.0 / CTL_HZ, f);
            break;
        case CW_USE_BUSY:
            step(L, w, 1.0 / CTL_HZ, f);
            break;
        case CW_USE_OUT_OF_RANGE:
        case CW_USE_NO_LINE_OF_SIGHT:
            if (moved) luaL_error(L, "%s: the attacker cannot reach the victim (%s)", f, u.code);
            /* walk up to it: stand where it stands */
            cw_world_relocate(w->w, ke, ve->x, ve->y);
            moved = 1;
            break;
        case CW_USE_TARGET_DEAD:
            return;
        case CW_USE_DEAD:
            luaL_error(L, "%s: the attacker died first", f);
            break;
        default:
            luaL_error(L, "%s: skill \"%s\" refused: %s (%s)", f, skill, u.code ? u.code : "?",
                       u.message ? u.message : "");
        }
    }
}

/* A monster turns on a player (as if aggroed) and fights it with its skill
 * as the clock moves, until it fell (or one hit landed). */
static void monster_fights(lua_State *L, ctl_world *w, int64_t kid, int64_t vid, int until_dead,
                           const char *f)
{
    double limit = ctl_now(w) + FIGHT_MAX_S, last_hit = ctl_now(w);
    int hits = 0;
    while (!fallen(w, vid) && (until_dead || w->watch_hits == 0)) {
        cw_monster *m = cw_monsters_of(cw_battle_monsters(w->b), kid);
        if (!m || m->entity != kid) luaL_error(L, "%s: the attacking monster is gone or dead", f);
        if (m->state != CW_MON_CHASE || m->target != vid) {
            int rc = cw_battle_provoke(w->b, kid, vid);
            if (rc == CW_EINVAL)
                luaL_error(L,
                           "%s: the monster cannot go for that player (another zone, a safe "
                           "area, or beyond its leash of %g from its home)",
                           f, m->def.leash);
            if (rc) luaL_error(L, "%s: the monster cannot fight (%s)", f, cw_err_name(rc));
        }
        if (!m->def.skill) luaL_error(L, "%s: the monster has no skill to attack with", f);
        if (w->watch_hits != hits) {
            hits = w->watch_hits;
            last_hit = ctl_now(w);
        }
        cw_entity *me = cw_world_get(w->w, kid), *ve = cw_world_get(w->w, vid);
        if (ctl_now(w) - last_hit > STALL_S && me && ve)
            luaL_error(L,
                       "%s: the monster has not landed a hit in %g simulated seconds (distance "
                       "%g, its range %g, its speed %g): place it closer",
                       f, STALL_S, hypot(me->x - ve->x, me->y - ve->y), m->def.skill->range,
                       m->def.move_speed);
        if (ctl_now(w) > limit)
            luaL_error(L, "%s: the victim still stands after %g simulated seconds", f, FIGHT_MAX_S);
        step(L, w, 1.0 / CTL_HZ, f);
    }
}

static int fight(lua_State *L, const char *f, int until_dead)
{
    ctl_world *w = ready(L, f);
    cw_entity *ve = entity_of(L, w, 1, f, until_dead ? "victim" : "target");
    cw_entity *ke = entity_of(L, w, 2, f, until_dead ? "killer" : "attacker");
    const char *skill = opt_string(L, 3, f, "skill", "strike");
    int64_t vid = ve->id, kid = ke->id;
    if (fallen(w, vid)) return luaL_error(L, "%s: the victim is already dead", f);
    cw_vitals before;
    cw_battle_vitals(w->b, vid, &before);
    w->watch_from = kid;
    w->watch_hits = 0;
    if (ke->kind == CW_ENT_PLAYER && ve->kind == CW_ENT_MONSTER) {
        if (!cw_battle_skill(w->b, skill))
            return luaL_error(L, "%s: no skill \"%s\" (skill{} in content)", f, skill);
        player_fights(L, w, kid, vid, skill, until_dead, f);
    } else if (ke->kind == CW_ENT_MONSTER && ve->kind == CW_ENT_PLAYER) {
        monster_fights(L, w, kid, vid, until_dead, f);
    } else {
        return luaL_error(L, "%s: fights are between a player and a monster (%s against %s)", f,
                          ke->kind == CW_ENT_PLAYER ? "a player" : "a monster or NPC",
                          ve->kind == CW_ENT_PLAYER ? "a player" : "a monster or NPC");
    }
    w->watch_from = 0;
    ctl_flush(w);
    if (until_dead) {
        lua_pushboolean(L, 1);
        return 1;
    }
    cw_vitals after;
    int gone = cw_battle_vitals(w->b, vid, &after) != 0;
    lua_pushnumber(L, gone ? before.hp : before.hp - after.hp); /* hp it took off */
    return 1;
}

/* sim.kill(victim, killer [, skill = "strike"]) → true, once the victim died */
static int l_kill(lua_State *L)
{
    return fight(L, "chaos.sim.kill", 1);
}

/* sim.hit(target, attacker [, skill = "strike"]) → hp the hit took off (one hit lands) */
static int l_hit(lua_State *L)
{
    return fight(L, "chaos.sim.hit", 0);
}

/* ---- the clock and the store ---------------------------------------------------------------- */

/* sim.advance(seconds): battle at 20 Hz, tick hook each second, timers; then a commit */
static int l_advance(lua_State *L)
{
    const char *f = "chaos.sim.advance";
    ctl_world *w = ready(L, f);
    if (lua_type(L, 1) != LUA_TNUMBER)
        return luaL_error(L, "%s: seconds (argument #1) must be a number, not a %s", f,
                          luaL_typename(L, 1));
    double s = lua_tonumber(L, 1);
    if (!(s >= 0 && s <= ADVANCE_MAX_S))
        return luaL_error(L, "%s: seconds must be in [0, %d]", f, ADVANCE_MAX_S);
    step(L, w, s, f);
    cw_error err = {0};
    if (ctl_commit(w, NULL, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    return 0;
}

/* sim.commit() → true (committed) or false (made to fail by sim.fail_next_commit) */
static int l_commit(lua_State *L)
{
    const char *f = "chaos.sim.commit";
    ctl_world *w = ready(L, f);
    int failed = 0;
    cw_error err = {0};
    if (ctl_commit(w, &failed, &err) != 0) return luaL_error(L, "%s: %s", f, err.msg);
    lua_pushboolean(L, !failed);
    return 1;
}

/* sim.fail_next_commit(): the next commit fails (the database is down): nothing is applied */
static int l_fail_next_commit(lua_State *L)
{
    ctl_world *w = ready(L, "chaos.sim.fail_next_commit");
    w->fail_next = 1;
    return 0;
}

/* sim.stored(player) → {gold, exp, level, data = {ns = table}} as the store holds it */
static int l_stored(lua_State *L)
{
    const char *f = "chaos.sim.stored";
    ctl_world *w = ready(L, f);
    harg h = check_handle(L, 1, f, "player", 1);
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
    lua_createtable(L, 0, r->ndata);
    for (int i = 0; i < r->ndata; i++) {
        push_decoded(L, r->data[i].json, strlen(r->data[i].json));
        lua_setfield(L, -2, r->data[i].ns);
    }
    lua_setfield(L, -2, "data");
    return 1;
}

/* sim.events(player) → the events sent to that player (decoded, oldest first), then forgotten */
static int l_events(lua_State *L)
{
    const char *f = "chaos.sim.events";
    ctl_world *w = ready(L, f);
    harg h = check_handle(L, 1, f, "player", 1);
    ctl_box *b = ctl_box_of(w, h.id, 0);
    int n = b ? b->n : 0;
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        push_decoded(L, b->v[i], strlen(b->v[i]));
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
    ctl_world *w = ready(L, f);
    cw_player *p = online_player(L, w, 1, f, "player");
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s: text (argument #2) must be a string, not a %s", f,
                          luaL_typename(L, 2));
    const char *text = lua_tostring(L, 2), *channel = opt_string(L, 3, f, "channel", "say");
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
    ctl_world *w = ready(L, f);
    cw_player *p = online_player(L, w, 1, f, "player");
    cw_entity *t = entity_of(L, w, 2, f, "target");
    const char *action = opt_string(L, 3, f, "action", NULL);
    cw_entity *e = cw_world_find_player(w->w, p->id);
    if (!e || t == e || t->zone != e->zone || !cw_entity_sees(e, t->id))
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
    ctl_world *w = ready(L, f);
    int64_t char_id = lua_isnil(L, 1) ? 0 : online_player(L, w, 1, f, "player")->id;
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s: name (argument #2) must be a string, not a %s", f,
                          luaL_typename(L, 2));
    const char *op = lua_tostring(L, 2);
    if (!lua_isnoneornil(L, 3) && !lua_istable(L, 3))
        return luaL_error(L, "%s: req (argument #3) must be a table, not a %s", f,
                          luaL_typename(L, 3));
    if (!cw_host_has_op(w->host, op)) return refuse(L, "unknown_op", "no such op");
    cjson(L, "encode");
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
        push_decoded(L, res.body.data ? res.body.data : "{}", res.body.data ? res.body.len : 2);
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
                                   {"monster", l_monster}, {"kill", l_kill},
                                   {"hit", l_hit},         {"advance", l_advance},
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
