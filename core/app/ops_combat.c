/* ops_combat.c — `attack` and `cast`: parse the request, ask the battle's
 * gate (cw_battle_use_skill: target, range, line of sight, safe areas,
 * cooldown, cost, cast time), format the answer. See combat_app.h and
 * docs/protocol.md. */
#include "core/app/combat_app.h"

#include "core/app/accounts.h"
#include "core/base/clock.h"
#include "core/io/net/net.h"

#include <stdio.h>

#define BASIC_SKILL "strike"

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
    if (!cw_battle_combatant(a ? a->b : NULL, e)) {
        refuse(c, req, "not_in_world", "enter_world first", -1);
        return;
    }
    json_t *tv = json_object_get((json_t *)req->json, "target");
    if (!json_is_integer(tv)) {
        refuse(c, req, "bad_field", "needs \"target\": an entity id (integer)", -1);
        return;
    }
    cw_skill_use u;
    /* A skill without a cast time lands now: its hit event comes before the answer. */
    if (cw_battle_use_skill(a->b, e, (int64_t)json_integer_value(tv), skill_id, cw_now_ns(), &u) !=
        CW_USE_OK) {
        refuse(c, req, u.code, u.message, u.seconds);
        return;
    }
    e->focus = (int64_t)json_integer_value(tv); /* its moves reach e at full rate */
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"skill\":");
    cw_strbuf_json_str(&b, u.skill->id);
    cw_strbuf_printf(&b, ",\"cast_time\":%g}", u.cast_time);
    cw_conn_reply_ok(c, req->id_json, b.data, b.len);
    cw_strbuf_free(&b);
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
