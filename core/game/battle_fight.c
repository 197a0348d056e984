/* battle_fight.c — the skill-use gate, landing hits, deaths, and the tick
 * (monsters, casts in progress, buffs, player respawns). See battle.h. */
#include "core/game/battle_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATTLE_EV(b, name, ...)                                                                    \
    do {                                                                                           \
        if ((b)->cfg.ev.name) (b)->cfg.ev.name((b)->cfg.ev.ud, __VA_ARGS__);                       \
    } while (0)

double cw_battle_secs_(const cw_battle *b, uint64_t now_ns)
{
    return now_ns > b->cfg.epoch_ns ? (double)(now_ns - b->cfg.epoch_ns) / 1e9 : 0;
}

const char *cw_battle_reach(const cw_battle *b, const cw_entity *from, const cw_entity *to,
                            const cw_skill_def *sk)
{
    if (from->zone != to->zone) return "bad_target";
    if (hypot(to->x - from->x, to->y - from->y) > sk->range) return "out_of_range";
    const cw_zone *z = cw_world_zone_of(b->w, from);
    for (int i = 0; i < z->nblocked; i++)
        if (cw_segment_hits_rect(from->x, from->y, to->x, to->y, &z->blocked[i]))
            return "no_line_of_sight";
    if (cw_zone_is_safe(z, from->x, from->y) || cw_zone_is_safe(z, to->x, to->y))
        return "safe_area";
    return NULL;
}

/* ---- deaths ---------------------------------------------------------------------------------- */

static void monster_died(cw_battle *b, cw_entity *victim, cw_entity *killer, cw_monster *m,
                         uint64_t now_ns)
{
    cw_kill k = {
        .victim = victim->id,
        .template_id = m->def.id,
        .zone = victim->zone,
        .zone_id = cw_world_zone_of(b->w, victim)->id,
        .x = victim->x,
        .y = victim->y,
        .killer = killer ? killer->id : 0,
        .killer_char = killer && killer->kind == CW_ENT_PLAYER ? killer->ref : 0,
        .shares = b->shares,
        .nshares = m->nkillers,
        .monster = m,
        .killer_entity = killer,
        .now_ns = now_ns,
    };
    for (int i = 0; i < m->nkillers; i++)
        k.total += m->dealt[i];
    for (int i = 0; i < m->nkillers; i++)
        b->shares[i] =
            (cw_kill_share){m->killers[i], m->dealt[i], k.total > 0 ? m->dealt[i] / k.total : 0};
    cw_monsters_killed(b->mons, m, now_ns);
    cw_battle_drop_buffs_(b, victim->id, 1);
    BATTLE_EV(b, kill, &k);
}

static void player_died(cw_battle *b, cw_entity *victim, cw_entity *killer, uint64_t now_ns)
{
    cw_combatant *cb = victim->data;
    cb->dead = 1;
    cb->dead_ns = now_ns;
    battle_player *p = victim->data; /* a player's data: its combatant comes first */
    if (p->dead_flag) *p->dead_flag = 1;
    cb->casting = 0;
    cw_battle_drop_buffs_(b, victim->id, 1);
    BATTLE_EV(b, player_died, victim, killer);
}

/* victim (killed by killer, may be NULL) died at now_ns. */
static void died(cw_battle *b, int64_t killer_id, int64_t victim_id, uint64_t now_ns)
{
    cw_entity *victim = cw_world_get(b->w, victim_id);
    cw_entity *killer = killer_id ? cw_world_get(b->w, killer_id) : NULL;
    cw_combatant *cb = cw_battle_combatant(b, victim);
    if (!cb || cb->dead) return; /* gone (or dealt with) in a callback */
    BATTLE_EV(b, death, victim, killer);
    /* the callback may have acted on the world: look again */
    victim = cw_world_get(b->w, victim_id);
    killer = killer_id ? cw_world_get(b->w, killer_id) : NULL;
    cb = cw_battle_combatant(b, victim);
    if (!cb || cb->dead) return;
    if (victim->kind == CW_ENT_MONSTER)
        monster_died(b, victim, killer, cb->owner, now_ns);
    else
        player_died(b, victim, killer, now_ns);
}

int cw_battle_land_(cw_battle *b, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                    uint64_t now_ns)
{
    cw_combatant *ac = cw_battle_combatant(b, from), *tc = cw_battle_combatant(b, to);
    if (!ac || !tc || tc->dead) return CW_ESTATE;
    cw_combat_seed seed = {b->cfg.seed, cw_world_ticks(b->w), (uint64_t)from->id, (uint64_t)to->id,
                           sk->num};
    cw_combat_hit_record rec;
    double before = cw_combatant_hp(tc, &b->content);
    int rc =
        cw_combat_hit_prepared(&b->content, &ac->f, &tc->f, &tc->pools, &sk->sk, &seed, &rec, NULL);
    if (rc == 0) rc = cw_combat_hit_apply(&tc->pools, &b->content, &rec, NULL);
    if (rc) return rc;
    double hp = cw_combatant_hp(tc, &b->content);
    int killed = hp <= 0;
    if (from->kind == CW_ENT_PLAYER && to->kind == CW_ENT_MONSTER && tc->owner)
        cw_monster_hit_by(tc->owner, from->ref, before - hp);
    int64_t fid = from->id, tid = to->id;
    BATTLE_EV(b, hit, from, to, sk, &rec, hp, killed);
    if (killed) died(b, fid, tid, now_ns);
    return 0;
}

/* ---- the gate -------------------------------------------------------------------------------- */

static cw_use_result refuse(cw_skill_use *out, cw_use_result r, const char *code,
                            const char *message)
{
    out->result = r;
    out->code = code;
    out->message = message;
    return r;
}

cw_use_result cw_battle_use_skill(cw_battle *b, cw_entity *e, int64_t target_id,
                                  const char *skill_id, uint64_t now_ns, cw_skill_use *out)
{
    memset(out, 0, sizeof *out);
    out->seconds = -1;
    cw_combatant *cb = e && e->kind == CW_ENT_PLAYER ? cw_battle_combatant(b, e) : NULL;
    if (!cb) return refuse(out, CW_USE_NOT_IN_WORLD, "not_in_world", "enter_world first");
    if (cb->dead) return refuse(out, CW_USE_DEAD, "dead", "you are dead");
    const cw_skill_def *sk = cw_battle_skill(b, skill_id);
    if (!sk) return refuse(out, CW_USE_UNKNOWN_SKILL, "unknown_skill", "no such skill");
    out->skill = sk;
    if (!cw_battle_knows(b, e, sk->id))
        return refuse(out, CW_USE_SKILL_UNKNOWN, "skill_unknown",
                      "your character does not know this skill yet");
    cw_entity *t = cw_world_get(b->w, target_id);
    cw_combatant *tc = t && t->kind == CW_ENT_MONSTER ? cw_battle_combatant(b, t) : NULL;
    if (!tc || t->zone != e->zone)
        return refuse(out, CW_USE_BAD_TARGET, "bad_target", "no such monster here");
    if (tc->dead) return refuse(out, CW_USE_TARGET_DEAD, "dead", "the target is dead");
    const char *why = cw_battle_reach(b, e, t, sk);
    if (why) {
        cw_use_result r = strcmp(why, "out_of_range") == 0       ? CW_USE_OUT_OF_RANGE
                          : strcmp(why, "no_line_of_sight") == 0 ? CW_USE_NO_LINE_OF_SIGHT
                          : strcmp(why, "safe_area") == 0        ? CW_USE_SAFE_AREA
                                                                 : CW_USE_BAD_TARGET;
        return refuse(out, r, why, "the target cannot be reached");
    }
    if (cb->casting) return refuse(out, CW_USE_BUSY, "busy", "another cast is in progress");
    double now = cw_battle_secs_(b, now_ns);
    double left = cw_combat_cooldown_remaining(&cb->cds, sk->num, now);
    if (left > 0) {
        out->seconds = left;
        return refuse(out, CW_USE_COOLDOWN, "cooldown", "the skill is cooling down");
    }
    cw_combat_cost cost = {cw_combat_resource_find(&b->content, "mp"), sk->mp_cost};
    int ncost = sk->mp_cost > 0 && cost.resource >= 0 ? 1 : 0;
    int rc = cw_combat_skill_use(&cb->cds, &cb->pools, &b->content, sk->num, now, sk->cooldown,
                                 &cost, ncost, NULL);
    if (rc == CW_ELIMIT && ncost && cb->pools.pool[cost.resource].current < cost.amount)
        return refuse(out, CW_USE_NO_RESOURCE, "no_resource", "not enough mp");
    if (rc) return refuse(out, CW_USE_INTERNAL, "internal", "the skill could not be used");
    out->cast_time = sk->cast_time;
    if (sk->cast_time > 0) {
        /* Lands at a tick after cast_time; moving before then cancels it. */
        cb->casting = 1;
        snprintf(cb->cast_skill, sizeof cb->cast_skill, "%s", sk->id);
        cb->cast_target = t->id;
        cb->cast_land_ns = now_ns + (uint64_t)(sk->cast_time * 1e9);
        cb->cast_x = e->x;
        cb->cast_y = e->y;
        return CW_USE_OK;
    }
    cw_battle_land_(b, e, t, sk, now_ns);
    return CW_USE_OK;
}

int cw_battle_provoke(cw_battle *b, int64_t monster, int64_t target)
{
    cw_monster *m = cw_monsters_of(b->mons, monster);
    if (!m) return CW_ENOTFOUND;
    return cw_monster_provoke(b->mons, m, target);
}

/* ---- the tick -------------------------------------------------------------------------------- */

static void collect(cw_entity *e, void *ud)
{
    cw_battle *b = ud;
    cw_combatant *cb = e->kind == CW_ENT_PLAYER ? e->data : NULL;
    if (!cb || (!cb->dead && !cb->casting)) return;
    if (b->ndue == b->capdue) {
        int cap = b->capdue ? b->capdue * 2 : 16;
        int64_t *v = realloc(b->due, sizeof *v * (size_t)cap);
        if (!v) return; /* acted on next tick */
        b->due = v;
        b->capdue = cap;
    }
    b->due[b->ndue++] = e->id;
}

static void respawn_player(cw_battle *b, cw_entity *e, cw_combatant *cb, uint64_t now)
{
    const cw_zone *z = cw_world_zone_of(b->w, e);
    cw_combatant_restore(cb, &b->content);
    battle_player *p = e->data;
    if (p->dead_flag) *p->dead_flag = 0;
    double x, y;
    cw_zone_spawn_point(z, now ^ (uint64_t)e->id, &x, &y);
    cw_world_transfer(b->w, e, e->zone, x, y);
    BATTLE_EV(b, respawn, e);
}

static void player_due(cw_battle *b, cw_entity *e, uint64_t now)
{
    cw_combatant *cb = cw_battle_combatant(b, e);
    if (!cb) return;
    if (cb->dead) {
        if (now >= cb->dead_ns && (double)(now - cb->dead_ns) / 1e9 >= b->player_respawn_s)
            respawn_player(b, e, cb, now);
        return;
    }
    if (!cb->casting) return;
    cw_entity *t = cw_world_get(b->w, cb->cast_target);
    cw_combatant *tc = cw_battle_combatant(b, t);
    const cw_skill_def *sk = NULL;
    const char *why = NULL;
    if (e->x != cb->cast_x || e->y != cb->cast_y)
        why = "moved";
    else if (now < cb->cast_land_ns)
        return;
    else if (!(sk = cw_battle_skill(b, cb->cast_skill)))
        why = "skill_removed";
    else if (!t || !tc || tc->dead)
        why = "bad_target";
    else
        why = cw_battle_reach(b, e, t, sk);
    cb->casting = 0;
    if (!why) {
        cw_battle_land_(b, e, t, sk, now);
        return;
    }
    BATTLE_EV(b, cast_failed, e, cb->cast_skill, why);
}

void cw_battle_tick(cw_battle *b, uint64_t now_ns)
{
    cw_monsters_tick(b->mons, now_ns);
    cw_battle_expire_buffs_(b, now_ns);
    b->ndue = 0;
    cw_world_each(b->w, collect, b);
    for (int i = 0; i < b->ndue; i++) {
        cw_entity *e = cw_world_get(b->w, b->due[i]);
        if (e) player_due(b, e, now_ns);
    }
    b->ndue = 0;
    cw_battle_flush_stats(b);
}
