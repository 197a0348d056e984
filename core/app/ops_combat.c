/* ops_combat.c — `attack` and `cast`: the server-side gate (target, range,
 * line of sight, safe areas, cooldown, cost, cast time), the hit through the
 * combat core and its `hit` event, encoded once for everyone who sees the
 * attacker or the target. See combat_app.h and docs/protocol-combat.md. */
#include "core/app/combat_app.h"

#include "core/app/accounts.h"
#include "core/app/outbox.h"
#include "core/app/world_app.h"
#include "core/base/clock.h"
#include "core/io/net/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BASIC_SKILL "strike"

static int cmp_ent(const void *x, const void *y)
{
    const cw_entity *a = *(cw_entity *const *)x, *b = *(cw_entity *const *)y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int add_to(cw_combat_app *a, int n, cw_entity *e)
{
    if (!e || e->kind != CW_ENT_PLAYER) return n;
    if (n == a->capto) {
        int cap = a->capto ? a->capto * 2 : 64;
        cw_entity **v = realloc(a->to, sizeof *v * (size_t)cap);
        if (!v) return n;
        a->to = v;
        a->capto = cap;
    }
    a->to[n++] = e;
    return n;
}

void cw_combat_broadcast(cw_combat_app *a, cw_server *s, cw_entity *e1, cw_entity *e2)
{
    int n = 0;
    cw_entity *both[2] = {e1, e2};
    for (int k = 0; k < 2; k++) {
        cw_entity *e = both[k];
        if (!e || (k == 1 && e2 == e1)) continue;
        n = add_to(a, n, e);
        for (int i = 0; i < e->nseen; i++)
            n = add_to(a, n, cw_world_get(a->w, e->seen[i]));
    }
    qsort(a->to, (size_t)n, sizeof *a->to, cmp_ent);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || a->to[i] != a->to[i - 1]) a->to[k++] = a->to[i];
    /* In the event queues, so a hit never overtakes the enter of its attacker. */
    cw_outbox *o = cw_world_app_outbox(s);
    if (o) cw_outbox_event(o, a->frame.data, a->frame.len, a->to, k);
}

const char *cw_combat_reach(cw_combat_app *a, const cw_entity *from, const cw_entity *to,
                            const cw_skill_def *sk)
{
    if (from->zone != to->zone) return "bad_target";
    if (hypot(to->x - from->x, to->y - from->y) > sk->range) return "out_of_range";
    const cw_zone *z = cw_world_zone_of(a->w, from);
    for (int i = 0; i < z->nblocked; i++)
        if (cw_segment_hits_rect(from->x, from->y, to->x, to->y, &z->blocked[i]))
            return "no_line_of_sight";
    if (cw_zone_is_safe(z, from->x, from->y) || cw_zone_is_safe(z, to->x, to->y))
        return "safe_area";
    return NULL;
}

int cw_combat_land(cw_server *s, cw_entity *from, cw_entity *to, const cw_skill_def *sk,
                   uint64_t now_ns)
{
    cw_combat_app *a = s->combat;
    cw_combatant *ac = cw_combat_of(s, from), *tc = cw_combat_of(s, to);
    if (!ac || !tc || tc->dead) return CW_ESTATE;
    cw_combat_seed seed = {s->seed, cw_world_ticks(a->w), (uint64_t)from->id, (uint64_t)to->id,
                           sk->num};
    cw_combat_hit_record rec;
    int rc =
        cw_combat_hit_prepared(&a->content, &ac->f, &tc->f, &tc->pools, &sk->sk, &seed, &rec, NULL);
    if (rc == 0) rc = cw_combat_hit_apply(&tc->pools, &a->content, &rec, NULL);
    if (rc) return rc;
    double hp = cw_combatant_hp(tc, &a->content);
    int killed = hp <= 0;
    if (from->kind == CW_ENT_PLAYER && to->kind == CW_ENT_MONSTER && tc->owner)
        cw_monster_hit_by(tc->owner, from->ref);
    cw_strbuf *b = &a->frame;
    cw_strbuf_reset(b);
    cw_strbuf_printf(b, "{\"ev\":\"hit\",\"from\":%lld,\"to\":%lld,\"skill\":", (long long)from->id,
                     (long long)to->id);
    cw_strbuf_json_str(b, sk->id);
    cw_strbuf_printf(b,
                     ",\"hit\":%s,\"crit\":%s,\"damage\":%.10g,\"absorbed\":%.10g,\"hp\":%.10g,"
                     "\"killed\":%s}",
                     rec.hit ? "true" : "false", rec.crit ? "true" : "false", rec.damage,
                     rec.absorbed, hp, killed ? "true" : "false");
    cw_combat_broadcast(a, s, from, to);
    if (killed) cw_combat_died(s, from, to, now_ns);
    return 0;
}

/* ---- the ops ----------------------------------------------------------------------------------
 */

static void refuse(cw_conn *c, const cw_request *req, const char *code, const char *msg,
                   double seconds)
{
    if (seconds < 0) {
        cw_conn_reply_error(c, req->id_json, code, msg);
        return;
    }
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_printf(&b, "{\"id\":%s,\"error\":{\"code\":\"%s\",\"message\":",
                     req->id_json ? req->id_json : "null", code);
    cw_strbuf_json_str(&b, msg);
    cw_strbuf_printf(&b, ",\"seconds\":%.3f}}", seconds);
    cw_conn_send(c, b.data, b.len);
    cw_strbuf_free(&b);
}

static void use_skill(cw_server *s, cw_conn *c, const cw_request *req, const char *skill_id)
{
    cw_combat_app *a = s->combat;
    cw_session *se = cw_session_of(c);
    cw_entity *e = a && se->char_id ? cw_world_find_player(a->w, se->char_id) : NULL;
    cw_combatant *cb = cw_combat_of(s, e);
    if (!e || !cb) {
        refuse(c, req, "not_in_world", "enter_world first", -1);
        return;
    }
    json_t *tv = json_object_get((json_t *)req->json, "target");
    if (!json_is_integer(tv)) {
        refuse(c, req, "bad_field", "needs \"target\": an entity id (integer)", -1);
        return;
    }
    if (cb->dead) {
        refuse(c, req, "dead", "you are dead", -1);
        return;
    }
    const cw_skill_def *sk = cw_combat_skill_find(a, skill_id);
    if (!sk) {
        refuse(c, req, "unknown_skill", "no such skill", -1);
        return;
    }
    cw_entity *t = cw_world_get(a->w, (int64_t)json_integer_value(tv));
    cw_combatant *tc = t && t->kind == CW_ENT_MONSTER ? cw_combat_of(s, t) : NULL;
    if (!tc || t->zone != e->zone) {
        refuse(c, req, "bad_target", "no such monster here", -1);
        return;
    }
    if (tc->dead) {
        refuse(c, req, "dead", "the target is dead", -1);
        return;
    }
    const char *why = cw_combat_reach(a, e, t, sk);
    if (why) {
        refuse(c, req, why, "the target cannot be reached", -1);
        return;
    }
    uint64_t now_ns = cw_now_ns();
    double now = (double)(now_ns - s->start_ns) / 1e9;
    if (cb->cast) {
        refuse(c, req, "busy", "another cast is in progress", -1);
        return;
    }
    double left = cw_combat_cooldown_remaining(&cb->cds, sk->num, now);
    if (left > 0) {
        refuse(c, req, "cooldown", "the skill is cooling down", left);
        return;
    }
    cw_combat_cost cost = {cw_combat_resource_find(&a->content, "mp"), sk->mp_cost};
    int ncost = sk->mp_cost > 0 && cost.resource >= 0 ? 1 : 0;
    int rc = cw_combat_skill_use(&cb->cds, &cb->pools, &a->content, sk->num, now, sk->cooldown,
                                 &cost, ncost, NULL);
    if (rc == CW_ELIMIT && ncost && cb->pools.pool[cost.resource].current < cost.amount) {
        refuse(c, req, "no_resource", "not enough mp", -1);
        return;
    }
    if (rc) {
        refuse(c, req, "internal", "the skill could not be used", -1);
        return;
    }
    char body[96];
    int n =
        snprintf(body, sizeof body, "{\"skill\":\"%s\",\"cast_time\":%g}", sk->id, sk->cast_time);
    if (sk->cast_time > 0) {
        /* Lands at a tick after cast_time; moving before then cancels it. */
        cb->cast = sk;
        cb->cast_target = t->id;
        cb->cast_land_ns = now_ns + (uint64_t)(sk->cast_time * 1e9);
        cb->cast_x = e->x;
        cb->cast_y = e->y;
        cw_conn_reply_ok(c, req->id_json, body, (size_t)n);
        return;
    }
    cw_combat_land(s, e, t, sk, now_ns); /* the hit event comes before the answer */
    cw_conn_reply_ok(c, req->id_json, body, (size_t)n);
}

void cw_op_attack(cw_server *s, cw_conn *c, const cw_request *req)
{
    use_skill(s, c, req, BASIC_SKILL);
}

void cw_op_cast(cw_server *s, cw_conn *c, const cw_request *req)
{
    json_t *v = json_object_get((json_t *)req->json, "skill");
    if (!json_is_string(v)) {
        cw_conn_reply_error(c, req->id_json, "bad_field", "cast needs \"skill\": a skill id");
        return;
    }
    use_skill(s, c, req, json_string_value(v));
}
