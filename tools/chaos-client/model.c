/* model.c — what the client knows, built only from the server's answers and
 * events: the account and its characters, the character in play, the
 * entities in view by id, the zone's geometry, and the logs and lists the
 * panels show. Nothing here sends; it raises want_* flags for the app. */
#include "tools/chaos-client/client.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { A_NORMAL = 0, A_GOOD = 1, A_BAD = 2, A_INFO = 3, A_CHAT = 4, A_WHISPER = 5 };

void cc_model_init(cc_model *m)
{
    memset(m, 0, sizeof *m);
    m->hp_max = m->mp_max = -1;
}

static void set_json(json_t **slot, json_t *v)
{
    json_t *old = *slot;
    *slot = v ? json_incref(v) : NULL;
    json_decref(old);
}

void cc_model_leave_world(cc_model *m)
{
    m->in_world = 0;
    m->nents = 0;
    m->target = 0;
    m->self_e = 0;
    set_json(&m->zinfo, NULL);
    set_json(&m->dialogue, NULL);
    set_json(&m->trade, NULL);
    set_json(&m->vendor, NULL);
    set_json(&m->party, NULL);
    set_json(&m->guild, NULL);
    m->speed = 0;
}

void cc_model_free(cc_model *m)
{
    set_json(&m->chars, NULL);
    set_json(&m->stats, NULL);
    set_json(&m->skills, NULL);
    set_json(&m->zinfo, NULL);
    set_json(&m->inventory, NULL);
    set_json(&m->quests, NULL);
    set_json(&m->dialogue, NULL);
    set_json(&m->trade, NULL);
    set_json(&m->vendor, NULL);
    set_json(&m->party, NULL);
    set_json(&m->guild, NULL);
    free(m->ents);
    m->ents = NULL;
}

void cc_log_add(cc_log *l, int attr, const char *fmt, ...)
{
    int i = l->n % CC_LOG_LINES;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->line[i], CC_LINE_MAX, fmt, ap);
    va_end(ap);
    /* no control characters reach the screen */
    for (char *p = l->line[i]; *p; p++)
        if ((unsigned char)*p < 32) *p = ' ';
    l->attr[i] = attr;
    l->n++;
}

const char *cc_log_get(const cc_log *l, int back, int *attr)
{
    if (back < 0 || back >= l->n || back >= CC_LOG_LINES) return NULL;
    int i = (l->n - 1 - back) % CC_LOG_LINES;
    if (attr) *attr = l->attr[i];
    return l->line[i];
}

/* ---- small JSON readers -------------------------------------------------------------------- */

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

static long long inum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* ---- entities ------------------------------------------------------------------------------ */

cc_ent *cc_model_ent(cc_model *m, long long e)
{
    for (int i = 0; i < m->nents; i++)
        if (m->ents[i].e == e) return &m->ents[i];
    return NULL;
}

static cc_ent *ent_add(cc_model *m, long long e)
{
    cc_ent *x = cc_model_ent(m, e);
    if (x) return x;
    if (m->nents == m->capents) {
        int cap = m->capents ? m->capents * 2 : 32;
        cc_ent *v = realloc(m->ents, (size_t)cap * sizeof *v);
        if (!v) return NULL;
        m->ents = v;
        m->capents = cap;
    }
    x = &m->ents[m->nents++];
    memset(x, 0, sizeof *x);
    x->e = e;
    x->hp_max = -1;
    return x;
}

static void ent_remove(cc_model *m, long long e)
{
    for (int i = 0; i < m->nents; i++)
        if (m->ents[i].e == e) {
            m->ents[i] = m->ents[--m->nents];
            break;
        }
    if (m->target == e) m->target = 0;
}

cc_ent *cc_model_nearest(cc_model *m, const char *kind)
{
    cc_ent *best = NULL;
    double bd = INFINITY;
    for (int i = 0; i < m->nents; i++) {
        cc_ent *x = &m->ents[i];
        if (strcmp(x->kind, kind) != 0 || x->dead) continue;
        double d = hypot(x->x - m->x, x->y - m->y);
        if (d < bd) bd = d, best = x;
    }
    return best;
}

const char *cc_model_skill(cc_model *m, int n)
{
    int k = 0;
    size_t i;
    json_t *s;
    json_array_foreach(m->skills, i, s)
    {
        if (!json_is_true(json_object_get(s, "known"))) continue;
        if (++k == n) return json_string_value(json_object_get(s, "id"));
    }
    return NULL;
}

static const char *who(cc_model *m, long long e, char *buf, size_t n)
{
    if (e == m->self_e && e) return "you";
    cc_ent *x = cc_model_ent(m, e);
    if (x) return x->name;
    snprintf(buf, n, "#%lld", e);
    return buf;
}

/* ---- events -------------------------------------------------------------------------------- */

static void ev_hit(cc_model *m, json_t *ev)
{
    char b1[32], b2[32];
    long long from = inum(ev, "from"), to = inum(ev, "to");
    const char *a = who(m, from, b1, sizeof b1), *t = who(m, to, b2, sizeof b2);
    double hp = num(ev, "hp", 0);
    int self_hit = to == m->self_e;
    if (self_hit) {
        m->hp = hp;
    } else {
        cc_ent *x = cc_model_ent(m, to);
        if (x) {
            x->hp = hp;
            if (x->hp_max < hp) x->hp_max = hp + num(ev, "damage", 0);
        }
    }
    int attr = self_hit ? A_BAD : from == m->self_e ? A_GOOD : A_NORMAL;
    if (!json_is_true(json_object_get(ev, "hit")))
        cc_log_add(&m->combat, attr, "%s %s %s (%s): miss", a,
                   from == m->self_e ? "miss" : "misses", t, str(ev, "skill"));
    else
        cc_log_add(&m->combat, attr, "%s %s %s (%s) for %.1f%s, hp %.0f%s", a,
                   from == m->self_e ? "hit" : "hits", t, str(ev, "skill"), num(ev, "damage", 0),
                   json_is_true(json_object_get(ev, "crit")) ? " CRIT" : "", hp,
                   json_is_true(json_object_get(ev, "killed")) ? " - killed" : "");
}

static void ev_death(cc_model *m, json_t *ev)
{
    char b1[32], b2[32];
    long long e = inum(ev, "e"), by = inum(ev, "by");
    cc_ent *x = cc_model_ent(m, e);
    if (x) x->dead = 1;
    if (e == m->self_e) {
        m->hp = 0;
        cc_log_add(&m->combat, A_BAD, "you died (killed by %s)", who(m, by, b2, sizeof b2));
    } else {
        cc_log_add(&m->combat, A_GOOD, "%s died (killed by %s)", who(m, e, b1, sizeof b1),
                   who(m, by, b2, sizeof b2));
    }
}

static void ev_chat(cc_model *m, json_t *ev)
{
    const char *ch = str(ev, "channel");
    if (strcmp(ch, "whisper") == 0) {
        if (strcasecmp(str(ev, "from"), m->name) == 0)
            cc_log_add(&m->chat, A_WHISPER, "[to %s] %s", str(ev, "to"), str(ev, "text"));
        else
            cc_log_add(&m->chat, A_WHISPER, "[from %s] %s", str(ev, "from"), str(ev, "text"));
    } else {
        cc_log_add(&m->chat, A_CHAT, "[%s] %s: %s", ch, str(ev, "from"), str(ev, "text"));
    }
}

static void ev_enter(cc_model *m, json_t *ev)
{
    long long e = inum(ev, "e");
    if (e == m->self_e) return;
    cc_ent *x = ent_add(m, e);
    if (!x) return;
    snprintf(x->kind, sizeof x->kind, "%s", str(ev, "kind"));
    snprintf(x->name, sizeof x->name, "%s", str(ev, "name"));
    x->x = num(ev, "x", 0);
    x->y = num(ev, "y", 0);
    x->dead = 0;
}

static void ev_trade(cc_model *m, const char *name, json_t *ev)
{
    json_t *with = json_object_get(ev, "with");
    const char *wn = json_is_object(with) ? str(with, "name") : str(ev, "with");
    if (strcmp(name, "trade") == 0) {
        set_json(&m->trade, ev);
        cc_log_add(&m->sys, A_INFO, "trade with %s: %s", wn, str(ev, "state"));
    } else if (strcmp(name, "trade_done") == 0) {
        set_json(&m->trade, NULL);
        cc_log_add(&m->sys, A_GOOD, "trade done");
        m->want_inventory = 1;
    } else {
        set_json(&m->trade, NULL);
        cc_log_add(&m->sys, A_BAD, "trade cancelled: %s", str(ev, "reason"));
    }
}

/* party {event, name, leader, members}: no members for whoever left or was kicked, nor with
 * "disbanded" (then we are out of it). */
static void ev_party(cc_model *m, json_t *ev)
{
    const char *what = str(ev, "event"), *name = str(ev, "name");
    json_t *members = json_object_get(ev, "members");
    int out = !strcmp(what, "disbanded") || (!strcasecmp(name, m->name) && !json_is_array(members));
    if (out) {
        set_json(&m->party, NULL);
    } else if (json_is_array(members)) {
        json_t *p = json_pack("{s:s, s:O}", "leader", str(ev, "leader"), "members", members);
        set_json(&m->party, p);
        json_decref(p);
    }
    cc_log_add(&m->sys, A_INFO, "party: %s %s (leader %s)", name, what, str(ev, "leader"));
}

static void ev_guild(cc_model *m, const char *name, json_t *ev)
{
    if (!strcmp(name, "guild_invite")) {
        snprintf(m->guild_invite, sizeof m->guild_invite, "%s", str(ev, "name"));
        cc_log_add(&m->sys, A_GOOD, "guild invite from %s: /gaccept %s", str(ev, "inviter"),
                   str(ev, "name"));
        return;
    }
    const char *who = str(ev, "name"), *change = str(ev, "change");
    if (*str(ev, "rank"))
        cc_log_add(&m->sys, A_INFO, "guild: %s %s %s", who, change, str(ev, "rank"));
    else
        cc_log_add(&m->sys, A_INFO, "guild: %s %s", who, change);
    int self = !strcasecmp(who, m->name);
    if (!strcmp(change, "disbanded") ||
        (self && (!strcmp(change, "left") || !strcmp(change, "kicked"))))
        set_json(&m->guild, NULL);
    else
        m->want_guild = 1;
}

static void vendor_lines(cc_model *m, json_t *v)
{
    set_json(&m->vendor, v);
    cc_log_add(&m->sys, A_INFO, "%s sells (/buy ITEM [N]%s):", str(v, "name"),
               json_is_true(json_object_get(v, "buys")) ? ", buys: /sell UID [N]" : "");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(v, "sells"), i, it)
    {
        cc_log_add(&m->sys, A_INFO, "  %s (%s) %g gold", str(it, "item"), str(it, "name"),
                   num(it, "price", 0));
    }
}

void cc_model_event(cc_model *m, json_t *ev)
{
    const char *name = str(ev, "ev");
    if (strcmp(name, "enter") == 0) {
        ev_enter(m, ev);
    } else if (strcmp(name, "move") == 0) {
        cc_ent *x = cc_model_ent(m, inum(ev, "e"));
        if (x) x->x = num(ev, "x", x->x), x->y = num(ev, "y", x->y);
    } else if (strcmp(name, "leave") == 0) {
        ent_remove(m, inum(ev, "e"));
    } else if (strcmp(name, "zone") == 0) {
        m->nents = 0;
        m->target = 0;
        snprintf(m->zone, sizeof m->zone, "%s", str(ev, "zone"));
        m->x = num(ev, "x", m->x);
        m->y = num(ev, "y", m->y);
        m->want_zone = 1;
        cc_log_add(&m->sys, A_INFO, "zone %s (%g, %g)", m->zone, m->x, m->y);
        if (m->hp <= 0 && m->hp_max > 0) m->hp = m->hp_max; /* a respawn */
    } else if (strcmp(name, "hit") == 0) {
        ev_hit(m, ev);
    } else if (strcmp(name, "death") == 0) {
        ev_death(m, ev);
    } else if (strcmp(name, "chat") == 0) {
        ev_chat(m, ev);
    } else if (strcmp(name, "exp") == 0) {
        m->exp = num(ev, "exp", m->exp);
        m->level = num(ev, "level", m->level);
        cc_log_add(&m->combat, A_GOOD, "+%g exp", num(ev, "delta", 0));
    } else if (strcmp(name, "gold") == 0) {
        m->gold = num(ev, "gold", m->gold);
        cc_log_add(&m->combat, A_GOOD, "%+g gold", num(ev, "delta", 0));
    } else if (strcmp(name, "level_up") == 0) {
        m->level = num(ev, "level", m->level);
        cc_log_add(&m->sys, A_GOOD, "level up: %g", m->level);
        m->want_skills = 1;
    } else if (strcmp(name, "stats") == 0) {
        set_json(&m->stats, json_object_get(ev, "stats"));
        m->hp = num(ev, "hp", m->hp);
        m->hp_max = num(ev, "hp_max", m->hp_max);
        m->mp = num(ev, "mp", m->mp);
        m->mp_max = num(ev, "mp_max", m->mp_max);
    } else if (strcmp(name, "cast_failed") == 0) {
        cc_log_add(&m->combat, A_BAD, "cast %s failed: %s", str(ev, "skill"), str(ev, "reason"));
    } else if (strcmp(name, "kicked") == 0) {
        snprintf(m->lost, sizeof m->lost, "kicked: %s%s%s", str(ev, "reason"),
                 *str(ev, "text") ? ": " : "", str(ev, "text"));
        cc_log_add(&m->sys, A_BAD, "%s", m->lost);
    } else if (strcmp(name, "shutdown") == 0) {
        snprintf(m->lost, sizeof m->lost, "server shutting down (%s)", str(ev, "reason"));
        cc_log_add(&m->sys, A_BAD, "%s", m->lost);
    } else if (strcmp(name, "announce") == 0) {
        cc_log_add(&m->chat, A_INFO, "[announce] %s", str(ev, "text"));
    } else if (!strcmp(name, "item_added") || !strcmp(name, "item_removed") ||
               !strcmp(name, "equipment")) {
        cc_log_add(&m->sys, A_INFO, "%s %s", name,
                   *str(ev, "template") ? str(ev, "template") : str(ev, "slot"));
        m->want_inventory = 1;
    } else if (!strcmp(name, "quest_progress") || !strcmp(name, "quest_done")) {
        cc_log_add(&m->sys, A_GOOD, "%s %s", name, str(ev, "quest"));
        m->want_quests = 1;
    } else if (strcmp(name, "dialogue") == 0) { /* another NPC: the vendor list goes */
        set_json(&m->dialogue, json_is_true(json_object_get(ev, "ended")) ? NULL : ev);
        set_json(&m->vendor, NULL);
    } else if (!strncmp(name, "trade", 5)) {
        ev_trade(m, name, ev);
    } else if (strcmp(name, "party") == 0) {
        ev_party(m, ev);
    } else if (strcmp(name, "party_invite") == 0) {
        cc_log_add(&m->sys, A_GOOD, "party invite from %s: /paccept", str(ev, "from"));
    } else if (!strncmp(name, "guild_", 6)) {
        ev_guild(m, name, ev);
    } else if (strcmp(name, "vendor") == 0) { /* talking to a vendor ends a dialogue */
        set_json(&m->dialogue, NULL);
        vendor_lines(m, ev);
    } else if (strcmp(name, "handoff") == 0) {
        m->handoff = 1;
        snprintf(m->ho_host, sizeof m->ho_host, "%s", str(ev, "host"));
        snprintf(m->ho_token, sizeof m->ho_token, "%s", str(ev, "token"));
        snprintf(m->ho_zone, sizeof m->ho_zone, "%s", str(ev, "zone"));
        m->ho_port = (int)inum(ev, "port");
    } else if (strcmp(name, "healed") == 0) {
        if (inum(ev, "entity") == m->self_e) m->hp = num(ev, "hp", m->hp);
        cc_log_add(&m->combat, A_GOOD, "healed %g", num(ev, "amount", 0));
    } else {
        char *s = json_dumps(ev, JSON_COMPACT);
        cc_log_add(&m->sys, A_INFO, "%s", s ? s : name);
        free(s);
    }
}

/* ---- answers ------------------------------------------------------------------------------- */

static void enter_answer(cc_model *m, json_t *ans)
{
    json_t *c = json_object_get(ans, "character");
    if (!json_is_object(c)) { /* {"handoff":{…}}: the handoff event follows */
        cc_log_add(&m->sys, A_INFO, "the character plays on another server: following");
        return;
    }
    cc_model_leave_world(m);
    m->speed = num(ans, "speed", 0);
    m->in_world = 1;
    m->self_e = inum(ans, "entity");
    m->character = inum(c, "id");
    snprintf(m->name, sizeof m->name, "%s", str(c, "name"));
    snprintf(m->race, sizeof m->race, "%s", str(c, "race"));
    snprintf(m->job, sizeof m->job, "%s", str(c, "job"));
    snprintf(m->zone, sizeof m->zone, "%s", str(c, "zone"));
    m->x = num(c, "x", 0);
    m->y = num(c, "y", 0);
    m->level = num(c, "level", 1);
    m->gold = num(c, "gold", 0);
    m->exp = num(c, "exp", 0);
    m->hp = num(c, "hp", m->hp);
    m->hp_max = num(c, "hp_max", m->hp_max);
    m->want_zone = m->want_skills = m->want_inventory = m->want_quests = 1;
    cc_log_add(&m->sys, A_GOOD, "%s entered %s at (%g, %g)", m->name, m->zone, m->x, m->y);
}

void cc_model_answer(cc_model *m, const char *op, json_t *req, json_t *ans)
{
    json_t *err = json_object_get(ans, "error");
    if (err) {
        if (strcmp(op, "move") == 0 && strcmp(str(err, "code"), "bad_move") == 0) {
            m->x = num(err, "x", m->x); /* the server's correction */
            m->y = num(err, "y", m->y);
        }
        if (!strcmp(op, "guild_roster") && !strcmp(str(err, "code"), "no_guild")) {
            set_json(&m->guild, NULL); /* asked on entering: not news */
            return;
        }
        cc_log_add(&m->sys, A_BAD, "%s: %s: %s", op, str(err, "code"), str(err, "message"));
        return;
    }
    if (strcmp(op, "login") == 0) {
        m->logged_in = 1;
        snprintf(m->account, sizeof m->account, "%s", str(json_object_get(ans, "account"), "name"));
        cc_log_add(&m->sys, A_GOOD, "logged in as %s", m->account);
    } else if (strcmp(op, "register") == 0) {
        cc_log_add(&m->sys, A_GOOD, "registered %s", str(json_object_get(ans, "account"), "name"));
    } else if (strcmp(op, "characters") == 0) {
        set_json(&m->chars, json_object_get(ans, "characters"));
    } else if (strcmp(op, "create_character") == 0) {
        if (!json_is_array(m->chars)) {
            json_t *empty = json_array();
            set_json(&m->chars, empty);
            json_decref(empty);
        }
        json_array_append(m->chars, json_object_get(ans, "character"));
        cc_log_add(&m->sys, A_GOOD, "created %s", str(json_object_get(ans, "character"), "name"));
    } else if (strcmp(op, "delete_character") == 0) {
        long long id = inum(req, "character");
        size_t i;
        json_t *c;
        json_array_foreach(m->chars, i, c) if (inum(c, "id") == id)
        {
            json_array_remove(m->chars, i);
            break;
        }
    } else if (strcmp(op, "enter_world") == 0 || strcmp(op, "resume") == 0) {
        enter_answer(m, ans);
        m->want_guild = 1;
    } else if (strcmp(op, "move") == 0) {
        m->x = num(ans, "x", m->x);
        m->y = num(ans, "y", m->y);
        const char *z = str(ans, "zone");
        if (*z && strcmp(z, m->zone) != 0) {
            snprintf(m->zone, sizeof m->zone, "%s", z);
            m->want_zone = 1;
        }
    } else if (strcmp(op, "zone_info") == 0) {
        set_json(&m->zinfo, ans);
        m->zinfo_x = m->x;
        m->zinfo_y = m->y;
    } else if (strcmp(op, "skills") == 0 && json_object_get(ans, "skills")) {
        set_json(&m->skills, json_object_get(ans, "skills"));
        const char *r = str(ans, "realm_name");
        snprintf(m->realm, sizeof m->realm, "%s", *r ? r : str(ans, "realm"));
    } else if (strcmp(op, "sheet") == 0) {
        set_json(&m->stats, json_object_get(ans, "stats"));
        m->hp = num(ans, "hp", m->hp);
        m->hp_max = num(ans, "hp_max", m->hp_max);
        m->mp = num(ans, "mp", m->mp);
        m->mp_max = num(ans, "mp_max", m->mp_max);
        m->level = num(ans, "level", m->level);
        m->speed = num(ans, "speed", m->speed);
        const char *r = str(ans, "realm_name");
        if (*r) snprintf(m->realm, sizeof m->realm, "%s", r);
    } else if (strcmp(op, "inventory") == 0) {
        set_json(&m->inventory, json_object_get(ans, "items"));
    } else if (strcmp(op, "quests") == 0) {
        set_json(&m->quests, ans);
    } else if (strcmp(op, "dialogue_choose") == 0) {
        set_json(&m->dialogue, json_is_true(json_object_get(ans, "ended")) ? NULL : ans);
    } else if (strcmp(op, "vendor") == 0) {
        vendor_lines(m, ans);
    } else if (!strcmp(op, "party") || !strcmp(op, "party_accept")) {
        if (json_is_true(json_object_get(ans, "in_party"))) {
            json_t *p = json_pack("{s:s, s:O}", "leader", str(ans, "leader"), "members",
                                  json_object_get(ans, "members"));
            set_json(&m->party, p);
            json_decref(p);
        } else {
            set_json(&m->party, NULL);
        }
        if (!strcmp(op, "party_accept")) cc_log_add(&m->sys, A_GOOD, "joined the party");
    } else if (!strcmp(op, "party_leave")) {
        set_json(&m->party, NULL);
        cc_log_add(&m->sys, A_INFO, "left the party");
    } else if (!strcmp(op, "guild_roster") || !strcmp(op, "guild_accept") ||
               !strcmp(op, "guild_kick") || !strcmp(op, "guild_rank")) {
        set_json(&m->guild, json_object_get(ans, "guild"));
    } else if (!strcmp(op, "guild_create")) {
        cc_log_add(&m->sys, A_GOOD, "founded the guild %s",
                   str(json_object_get(ans, "guild"), "name"));
        m->want_guild = 1;
    } else if (!strcmp(op, "guild_leave") || !strcmp(op, "guild_disband")) {
        set_json(&m->guild, NULL);
        cc_log_add(&m->sys, A_INFO, "%s",
                   json_object_get(ans, "disbanded") ? "guild disbanded" : "left the guild");
    } else if (!strcmp(op, "guild_invite")) {
        cc_log_add(&m->sys, A_GOOD, "invited %s to the guild",
                   str(json_object_get(ans, "invite"), "name"));
    } else if (!strcmp(op, "buy") || !strcmp(op, "sell")) {
        m->gold = num(ans, "gold", m->gold);
        cc_log_add(&m->sys, A_GOOD, "%s %g %s for %g gold", !strcmp(op, "buy") ? "bought" : "sold",
                   num(ans, "count", 0), !strcmp(op, "buy") ? str(ans, "item") : "item(s)",
                   num(ans, "price", 0));
    } else if (strcmp(op, "logout") == 0) {
        cc_model_leave_world(m);
        m->logged_in = 0;
    } else if (strcmp(op, "breakthrough") == 0) {
        cc_log_add(&m->sys, A_INFO, "breakthrough: %s (realm %s)",
                   json_is_true(json_object_get(ans, "success")) ? "success" : "failed",
                   str(ans, "realm"));
        m->want_skills = 1;
    } else if (strcmp(op, "chat") == 0 || strcmp(op, "ping") == 0 || strcmp(op, "hello") == 0) {
        /* the echo is the event */
    } else if (strcmp(op, "attack") != 0 && strcmp(op, "cast") != 0) {
        char *s = json_dumps(ans, JSON_COMPACT);
        cc_log_add(&m->sys, A_NORMAL, "%s: %s", op, s ? s : "ok");
        free(s);
    }
}
