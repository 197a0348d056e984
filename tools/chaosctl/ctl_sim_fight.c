/* ctl_sim_fight.c — chaos.sim.kill and chaos.sim.hit: fights made to happen
 * through the real battle. A player attacks through the skill-use gate
 * (walking up to the victim when out of reach, the clock moving past
 * cooldowns and casts); a monster is provoked and fights with its own skill
 * as the clock moves. Hooks of what happened fire after each call that
 * caused them. See ctl_world.h. */
#include "tools/chaosctl/ctl_world_internal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIGHT_MAX_S 600.0 /* a fight that takes longer than this is refused */
#define STALL_S 30.0      /* a monster that lands nothing for this long is stuck */

/* 1 when the victim is dead or gone. */
static int fallen(ctl_world *w, int64_t victim)
{
    cw_vitals v;
    return cw_battle_vitals(w->b, victim, &v) != 0 || v.dead;
}

void ctl_sim_step(lua_State *L, ctl_world *w, double seconds, const char *f)
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
            if (u.cast_time > 0) ctl_sim_step(L, w, u.cast_time, f);
            break;
        case CW_USE_COOLDOWN:
            ctl_sim_step(L, w, u.seconds > 1.0 / CTL_HZ ? u.seconds : 1.0 / CTL_HZ, f);
            break;
        case CW_USE_BUSY:
            ctl_sim_step(L, w, 1.0 / CTL_HZ, f);
            break;
        case CW_USE_OUT_OF_RANGE:
        case CW_USE_NO_LINE_OF_SIGHT:
            if (moved) luaL_error(L, "%s: the attacker cannot reach the victim (%s)", f, u.code);
            /* walk up to it: stand where it stands */
            cw_world_relocate(w->w, ke, ve->x, ve->y);
            ctl_sync_player(w, ke);
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
        ctl_sim_step(L, w, 1.0 / CTL_HZ, f);
    }
}

static int fight(lua_State *L, const char *f, int until_dead)
{
    ctl_world *w = ctl_sim_ready(L, f);
    cw_entity *ve = ctl_sim_entity(L, w, 1, f, until_dead ? "victim" : "target");
    cw_entity *ke = ctl_sim_entity(L, w, 2, f, until_dead ? "killer" : "attacker");
    const char *skill = ctl_sim_opt_string(L, 3, f, "skill", "strike");
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
int ctl_sim_kill(lua_State *L)
{
    return fight(L, "chaos.sim.kill", 1);
}

/* sim.hit(target, attacker [, skill = "strike"]) → hp the hit took off (one hit lands) */
int ctl_sim_hit(lua_State *L)
{
    return fight(L, "chaos.sim.hit", 0);
}
