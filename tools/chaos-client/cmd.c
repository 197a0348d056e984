/* cmd.c — the client's one command language, typed on the interactive
 * input line and read from --script files: `/login ada pw`, `/move 10 20`,
 * `/say hello` … Each command becomes at most one request (its id in
 * out->sent); /goto and /step hand a walk target back to the caller, and
 * /wait, /expect and /sleep are left to the script runner. A line without
 * a leading `/` is said (channel say). */
#include "tools/chaos-client/client.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const cc_cmd_help[] = {
    "/register NAME PASS      create an account (then /login); PASS is the rest of the line",
    "/login NAME PASS         log in (kept to log in again after a reconnect)",
    "/logout                  leave the world and the account",
    "/chars                   list the account's characters",
    "/create NAME RACE JOB    create a character (demo: human|elf, warrior|mage)",
    "/delete NAME             delete a character",
    "/enter NAME              enter the world as that character",
    "/move X Y                one move to (X, Y) (the server may refuse: bad_move)",
    "/goto X Y | /goto target  walk to (X, Y), or next to the target, at the allowed speed",
    "/step DIR [N]            walk N units (default 5) n s e w ne nw se sw",
    "/say TEXT  /zone TEXT  /world TEXT  /p TEXT (party)  /g TEXT (guild)",
    "/w NAME TEXT             whisper",
    "/target [NAME]           target the nearest monster (or the nearest named NAME)",
    "/attack [E]              strike the target (or entity E)",
    "/cast N|SKILL [E]        cast known skill number N (or by id) at the target",
    "/skills  /sheet  /breakthrough   skills / the character's stats / try the next realm",
    "/inv  /equip UID  /unequip SLOT  /use UID  /destroy UID [N]  (UID or an item id)",
    "/quests  /accept Q  /abandon Q  /turnin Q",
    "/talk [E|NAME]  /choose N   talk to the nearest (or named) NPC / pick a choice",
    "/vendor [ID]  /buy ITEM [N]  /sell UID [N]   the vendor last talked to (or ID)",
    "/trade NAME  /trade_yes  /trade_no  /offer [UID...] [gold=N]  /lock  /confirm  /tcancel",
    "/invite NAME  /paccept  /pleave  /party  /pkick NAME  /plead NAME",
    "/gcreate NAME  /ginvite NAME  /gaccept [GUILD]  /gdecline [GUILD]  /gleave  /groster",
    "/gkick NAME  /grank NAME RANK  /gdisband",
    "/raw {JSON}              send a request as it is (an id is added)",
    "/zoneinfo [RADIUS]  /ping  /quit  /reconnect",
    "script only: /wait ev NAME [SECONDS] [FIELD=VALUE]  /expect ok|CODE[|CODE…]",
    "             /expect field PATH VALUE  /sleep SECONDS",
    NULL,
};

#define MAXTOK 8

typedef struct toks {
    char buf[1200];
    char *t[MAXTOK];
    const char *rest[MAXTOK]; /* the line from token i on */
    int n;
} toks;

static void split(toks *k, const char *line)
{
    snprintf(k->buf, sizeof k->buf, "%s", line);
    k->n = 0;
    char *p = k->buf;
    while (*p && k->n < MAXTOK) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        k->rest[k->n] = line + (p - k->buf);
        k->t[k->n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p) *p++ = 0;
    }
}

static int fail(cc_cmd_out *o, const char *fmt, const char *arg)
{
    snprintf(o->msg, sizeof o->msg, fmt, arg);
    return CC_CMD_ERROR;
}

static int send(cc_app *a, cc_cmd_out *o, json_t *req)
{
    if (!a->connected) return fail(o, "%s", "not connected");
    o->sent = cc_app_request(a, req);
    return o->sent > 0 ? CC_CMD_OK : fail(o, "%s", "not sent");
}

static int parse_num(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == 0 && isfinite(*v);
}

static int parse_int(const char *s, long long *v)
{
    char *end;
    *v = strtoll(s, &end, 10);
    return end != s && *end == 0;
}

static int chat(cc_app *a, cc_cmd_out *o, const char *channel, const char *text, const char *to)
{
    if (!text || !*text) return fail(o, "%s", "say what?");
    json_t *r = json_pack("{s:s, s:s, s:s}", "op", "chat", "channel", channel, "text", text);
    if (to) json_object_set_new(r, "to", json_string(to));
    return send(a, o, r);
}

static long long target_or(cc_app *a, toks *k, int i)
{
    long long e;
    if (k->n > i && parse_int(k->t[i], &e)) return e;
    if (!a->m.target || !cc_model_ent(&a->m, a->m.target)) {
        cc_ent *x = cc_model_nearest(&a->m, "monster");
        a->m.target = x ? x->e : 0;
    }
    return a->m.target;
}

static int cast(cc_app *a, cc_cmd_out *o, const char *skill, long long e)
{
    /* a script sends it anyway (the server's bad_target is the answer to check) */
    if (!e && a->interactive) return fail(o, "%s", "no target: no monster in view");
    if (!skill) return send(a, o, json_pack("{s:s, s:I}", "op", "attack", "target", (json_int_t)e));
    return send(
        a, o, json_pack("{s:s, s:I, s:s}", "op", "cast", "target", (json_int_t)e, "skill", skill));
}

static int step_dir(const char *d, double *dx, double *dy)
{
    static const struct {
        const char *n;
        double x, y;
    } dirs[] = {{"n", 0, 1},           {"s", 0, -1},          {"e", 1, 0},
                {"w", -1, 0},          {"ne", .7071, .7071},  {"nw", -.7071, .7071},
                {"se", .7071, -.7071}, {"sw", -.7071, -.7071}};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strcasecmp(d, dirs[i].n) == 0) {
            *dx = dirs[i].x;
            *dy = dirs[i].y;
            return 1;
        }
    return 0;
}

static int account_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    if (!strcmp(c, "register") || !strcmp(c, "login")) {
        if (k->n < 3) return fail(o, "usage: /%s NAME PASSWORD", c);
        char pw[1100]; /* the rest of the line: a password may hold spaces */
        snprintf(pw, sizeof pw, "%s", k->rest[2]);
        for (size_t n = strlen(pw); n && isspace((unsigned char)pw[n - 1]);)
            pw[--n] = 0;
        if (!strcmp(c, "login")) {
            snprintf(a->user, sizeof a->user, "%s", k->t[1]);
            snprintf(a->pass, sizeof a->pass, "%s", pw);
        }
        return send(a, o, json_pack("{s:s, s:s, s:s}", "op", c, "name", k->t[1], "password", pw));
    }
    if (!strcmp(c, "logout")) return send(a, o, json_pack("{s:s}", "op", "logout"));
    if (!strcmp(c, "chars")) return send(a, o, json_pack("{s:s}", "op", "characters"));
    if (!strcmp(c, "create")) {
        if (k->n != 4) return fail(o, "%s", "usage: /create NAME RACE JOB");
        return send(a, o,
                    json_pack("{s:s, s:s, s:s, s:s}", "op", "create_character", "name", k->t[1],
                              "race", k->t[2], "job", k->t[3]));
    }
    /* /enter and /delete take a name from the last /chars list */
    if (k->n != 2) return fail(o, "usage: /%s NAME", c);
    long long id = 0;
    size_t i;
    json_t *ch;
    json_array_foreach(a->m.chars, i, ch)
    {
        const char *n = json_string_value(json_object_get(ch, "name"));
        if (n && strcasecmp(n, k->t[1]) == 0) id = json_integer_value(json_object_get(ch, "id"));
    }
    if (!id) return fail(o, "no character %s in the list (try /chars)", k->t[1]);
    if (!strcmp(c, "enter")) snprintf(a->want_char, sizeof a->want_char, "%s", k->t[1]);
    return send(a, o,
                json_pack("{s:s, s:I}", "op",
                          !strcmp(c, "enter") ? "enter_world" : "delete_character", "character",
                          (json_int_t)id));
}

/* A uid, or the first unequipped item of the last inventory list whose template is s. */
static int item_uid(cc_app *a, const char *s, long long *uid)
{
    if (parse_int(s, uid)) return 1;
    size_t i;
    json_t *it;
    json_array_foreach(a->m.inventory, i, it)
    {
        const char *t = json_string_value(json_object_get(it, "template"));
        const char *place = json_string_value(json_object_get(it, "place"));
        if (t && !strcmp(t, s) && !(place && !strncmp(place, "eq:", 3))) {
            *uid = json_integer_value(json_object_get(it, "uid"));
            return 1;
        }
    }
    return 0;
}

static int item_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    long long uid, n;
    if (!strcmp(c, "inv")) return send(a, o, json_pack("{s:s}", "op", "inventory"));
    if (!strcmp(c, "unequip")) {
        if (k->n != 2) return fail(o, "%s", "usage: /unequip SLOT");
        return send(a, o, json_pack("{s:s, s:s}", "op", "unequip", "slot", k->t[1]));
    }
    if (k->n < 2) return fail(o, "usage: /%s UID|ITEM", c);
    if (!item_uid(a, k->t[1], &uid))
        return fail(o, "no %s in the inventory list (try /inv)", k->t[1]);
    const char *op = !strcmp(c, "equip") ? "equip"
                     : !strcmp(c, "use") ? "use_item"
                                         : "destroy_item";
    json_t *r = json_pack("{s:s, s:I}", "op", op, "uid", (json_int_t)uid);
    if (!strcmp(c, "destroy") && k->n > 2) {
        if (!parse_int(k->t[2], &n)) {
            json_decref(r);
            return fail(o, "%s", "usage: /destroy UID [COUNT]");
        }
        json_object_set_new(r, "count", json_integer(n));
    }
    return send(a, o, r);
}

static int quest_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    if (!strcmp(c, "quests")) return send(a, o, json_pack("{s:s}", "op", "quests"));
    if (k->n != 2) return fail(o, "usage: /%s QUEST", c);
    const char *op = !strcmp(c, "accept")    ? "quest_accept"
                     : !strcmp(c, "abandon") ? "quest_abandon"
                                             : "quest_turn_in";
    return send(a, o, json_pack("{s:s, s:s}", "op", op, "quest", k->t[1]));
}

static int talk_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    long long v;
    if (!strcmp(c, "talk")) {
        long long e = 0;
        if (k->n > 1 && parse_int(k->t[1], &v)) {
            e = v;
        } else if (k->n > 1) { /* the nearest NPC whose name holds the text */
            double bd = INFINITY;
            for (int i = 0; i < a->m.nents; i++) {
                cc_ent *x = &a->m.ents[i];
                double d = hypot(x->x - a->m.x, x->y - a->m.y);
                if (!strcmp(x->kind, "npc") && strcasestr(x->name, k->rest[1]) && d < bd)
                    bd = d, e = x->e;
            }
            if (!e) return fail(o, "no NPC named %s in view", k->rest[1]);
        } else {
            cc_ent *x = cc_model_nearest(&a->m, "npc");
            if (!x) return fail(o, "%s", "no NPC in view");
            e = x->e;
        }
        return send(a, o,
                    json_pack("{s:s, s:I, s:s}", "op", "interact", "target", (json_int_t)e,
                              "action", "talk"));
    }
    if (k->n != 2 || !parse_int(k->t[1], &v)) return fail(o, "%s", "usage: /choose N");
    json_t *npc = json_object_get(a->m.dialogue, "npc");
    if (!npc) return fail(o, "%s", "no dialogue open");
    return send(
        a, o,
        json_pack("{s:s, s:O, s:I}", "op", "dialogue_choose", "npc", npc, "choice", (json_int_t)v));
}

/* /vendor [ID], /buy ITEM [N], /sell UID [N]: the vendor is the last one shown. */
static int shop_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    const char *vendor = json_string_value(json_object_get(a->m.vendor, "vendor"));
    if (!strcmp(c, "vendor")) {
        if (k->n > 2 || (k->n == 1 && !vendor))
            return fail(o, "%s", "usage: /vendor ID (or /talk to a vendor first)");
        return send(
            a, o, json_pack("{s:s, s:s}", "op", "vendor", "vendor", k->n == 2 ? k->t[1] : vendor));
    }
    long long uid = 0, n = 0;
    int is_buy = !strcmp(c, "buy");
    if (k->n < 2 || k->n > 3 || (k->n == 3 && (!parse_int(k->t[2], &n) || n < 1)) ||
        (!is_buy && !item_uid(a, k->t[1], &uid)))
        return fail(o, "usage: /%s",
                    is_buy ? "buy ITEM [COUNT]" : "sell UID|ITEM [COUNT] (see /inv)");
    if (!vendor) return fail(o, "%s", "no vendor: /talk to one (or /vendor ID) first");
    json_t *r =
        is_buy
            ? json_pack("{s:s, s:s, s:s}", "op", "buy", "vendor", vendor, "item", k->t[1])
            : json_pack("{s:s, s:s, s:I}", "op", "sell", "vendor", vendor, "uid", (json_int_t)uid);
    if (n > 0) json_object_set_new(r, "count", json_integer(n));
    return send(a, o, r);
}

/* The guild commands: /gcreate NAME, /ginvite NAME, /gaccept [GUILD] … */
static int guild_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    static const struct {
        const char *cmd, *op, *field, *usage;
    } g[] = {{"gcreate", "guild_create", "name", "/gcreate NAME"},
             {"ginvite", "guild_invite", "name", "/ginvite NAME"},
             {"gaccept", "guild_accept", "guild", "/gaccept [GUILD]"},
             {"gdecline", "guild_decline", "guild", "/gdecline [GUILD]"},
             {"gkick", "guild_kick", "name", "/gkick NAME"},
             {"gleave", "guild_leave", NULL, "/gleave"},
             {"groster", "guild_roster", NULL, "/groster"},
             {"gdisband", "guild_disband", NULL, "/gdisband"}};
    if (!strcmp(c, "grank")) {
        if (k->n != 3) return fail(o, "%s", "usage: /grank NAME leader|officer|member");
        return send(
            a, o,
            json_pack("{s:s, s:s, s:s}", "op", "guild_rank", "name", k->t[1], "rank", k->t[2]));
    }
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        if (strcmp(c, g[i].cmd) != 0) continue;
        if (!g[i].field) {
            if (k->n != 1) return fail(o, "usage: %s", g[i].usage);
            return send(a, o, json_pack("{s:s}", "op", g[i].op));
        }
        /* a guild name may hold spaces: the rest of the line */
        const char *v = k->n > 1 ? k->rest[1] : NULL;
        if (!v && !strcmp(g[i].field, "guild") && a->m.guild_invite[0]) v = a->m.guild_invite;
        if (!v) return fail(o, "usage: %s", g[i].usage);
        char buf[200];
        snprintf(buf, sizeof buf, "%s", v);
        for (size_t n = strlen(buf); n && isspace((unsigned char)buf[n - 1]);)
            buf[--n] = 0;
        return send(a, o, json_pack("{s:s, s:s}", "op", g[i].op, g[i].field, buf));
    }
    return fail(o, "unknown command /%s (try /help)", c);
}

static int trade_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    if (!strcmp(c, "trade")) {
        if (k->n != 2) return fail(o, "%s", "usage: /trade NAME");
        long long e = 0;
        for (int i = 0; i < a->m.nents; i++)
            if (!strcmp(a->m.ents[i].kind, "player") && !strcasecmp(a->m.ents[i].name, k->t[1]))
                e = a->m.ents[i].e;
        if (!e) return fail(o, "no player %s in view", k->t[1]);
        return send(a, o, json_pack("{s:s, s:I}", "op", "trade_request", "target", (json_int_t)e));
    }
    if (!strcmp(c, "trade_yes") || !strcmp(c, "trade_no"))
        return send(
            a, o,
            json_pack("{s:s, s:b}", "op", "trade_respond", "accept", !strcmp(c, "trade_yes")));
    if (!strcmp(c, "offer")) {
        json_t *items = json_array();
        long long gold = 0, v;
        for (int i = 1; i < k->n; i++) {
            if (!strncmp(k->t[i], "gold=", 5) && parse_int(k->t[i] + 5, &v)) {
                gold = v;
            } else if (parse_int(k->t[i], &v)) {
                json_array_append_new(items, json_pack("{s:I}", "uid", (json_int_t)v));
            } else {
                json_decref(items);
                return fail(o, "%s", "usage: /offer [UID...] [gold=N]");
            }
        }
        return send(a, o,
                    json_pack("{s:s, s:o, s:I}", "op", "trade_offer", "items", items, "gold",
                              (json_int_t)gold));
    }
    const char *op = !strcmp(c, "lock")      ? "trade_lock"
                     : !strcmp(c, "confirm") ? "trade_confirm"
                                             : "trade_cancel";
    return send(a, o, json_pack("{s:s}", "op", op));
}

static int world_cmd(cc_app *a, toks *k, cc_cmd_out *o, const char *c)
{
    double x, y;
    if (!strcmp(c, "goto") && k->n == 2 && !strcmp(k->t[1], "target")) {
        cc_ent *t = cc_model_ent(&a->m, target_or(a, k, 9));
        if (!t) return fail(o, "%s", "no target: no monster in view");
        double dx = t->x - a->m.x, dy = t->y - a->m.y, d = hypot(dx, dy);
        double stop = d > 1.5 ? (d - 1.5) / d : 0; /* stop next to it */
        o->walk_x = a->m.x + dx * stop;
        o->walk_y = a->m.y + dy * stop;
        return CC_CMD_WALK;
    }
    if (!strcmp(c, "move") || !strcmp(c, "goto")) {
        if (k->n != 3 || !parse_num(k->t[1], &x) || !parse_num(k->t[2], &y))
            return fail(o, "usage: /%s X Y", c);
        if (!strcmp(c, "goto")) {
            o->walk_x = x;
            o->walk_y = y;
            return CC_CMD_WALK;
        }
        a->last_move_ns = cc_now_ns();
        return send(a, o, json_pack("{s:s, s:f, s:f}", "op", "move", "x", x, "y", y));
    }
    if (!strcmp(c, "step")) {
        double dx, dy, n = 5;
        if (k->n < 2 || !step_dir(k->t[1], &dx, &dy) || (k->n > 2 && !parse_num(k->t[2], &n)))
            return fail(o, "%s", "usage: /step n|s|e|w|ne|nw|se|sw [UNITS]");
        o->walk_x = a->m.x + dx * n;
        o->walk_y = a->m.y + dy * n;
        return CC_CMD_WALK;
    }
    if (!strcmp(c, "target")) {
        cc_ent *best = NULL;
        if (k->n > 1) {
            double bd = INFINITY;
            for (int i = 0; i < a->m.nents; i++) {
                cc_ent *e = &a->m.ents[i];
                double d = hypot(e->x - a->m.x, e->y - a->m.y);
                if (!e->dead && !strcasecmp(e->name, k->t[1]) && d < bd) bd = d, best = e;
            }
        } else {
            best = cc_model_nearest(&a->m, "monster");
        }
        if (!best) return fail(o, "%s", "nothing to target in view");
        a->m.target = best->e;
        snprintf(o->msg, sizeof o->msg, "target: %s #%lld", best->name, best->e);
        return CC_CMD_OK;
    }
    if (!strcmp(c, "attack")) return cast(a, o, NULL, target_or(a, k, 1));
    if (!strcmp(c, "cast")) {
        long long n;
        if (k->n < 2) return fail(o, "%s", "usage: /cast N|SKILL [E]");
        const char *skill = k->t[1];
        if (parse_int(k->t[1], &n)) {
            skill = cc_model_skill(&a->m, (int)n);
            if (!skill) return fail(o, "no known skill number %s (see /skills)", k->t[1]);
        }
        return cast(a, o, skill, target_or(a, k, 2));
    }
    return fail(o, "unknown command /%s (try /help)", c);
}

cc_cmd_result cc_cmd_run(cc_app *a, const char *line, cc_cmd_out *o)
{
    memset(o, 0, sizeof *o);
    while (isspace((unsigned char)*line))
        line++;
    if (!*line || *line == '#') return CC_CMD_OK;
    if (*line != '/') return (cc_cmd_result)chat(a, o, "say", line, NULL);
    toks k;
    split(&k, line + 1);
    if (k.n == 0) return (cc_cmd_result)fail(o, "%s", "empty command");
    const char *c = k.t[0];
    const char *rest1 = k.n > 1 ? k.rest[1] : NULL, *rest2 = k.n > 2 ? k.rest[2] : NULL;
    static const char *const acc[] = {"register", "login",  "logout", "chars",
                                      "create",   "delete", "enter",  NULL};
    static const char *const items[] = {"inv", "equip", "unequip", "use", "destroy", NULL};
    static const char *const quests[] = {"quests", "accept", "abandon", "turnin", NULL};
    static const char *const trade[] = {"trade", "trade_yes", "trade_no", "offer",
                                        "lock",  "confirm",   "tcancel",  NULL};
    for (int i = 0; acc[i]; i++)
        if (!strcmp(c, acc[i])) return (cc_cmd_result)account_cmd(a, &k, o, c);
    for (int i = 0; items[i]; i++)
        if (!strcmp(c, items[i])) return (cc_cmd_result)item_cmd(a, &k, o, c);
    for (int i = 0; quests[i]; i++)
        if (!strcmp(c, quests[i])) return (cc_cmd_result)quest_cmd(a, &k, o, c);
    for (int i = 0; trade[i]; i++)
        if (!strcmp(c, trade[i])) return (cc_cmd_result)trade_cmd(a, &k, o, c);
    if (!strcmp(c, "talk") || !strcmp(c, "choose")) return (cc_cmd_result)talk_cmd(a, &k, o, c);
    if (!strcmp(c, "vendor") || !strcmp(c, "buy") || !strcmp(c, "sell"))
        return (cc_cmd_result)shop_cmd(a, &k, o, c);
    if (c[0] == 'g' && c[1] && strcmp(c, "goto") != 0) return (cc_cmd_result)guild_cmd(a, &k, o, c);
    if (!strcmp(c, "say") || !strcmp(c, "zone") || !strcmp(c, "world"))
        return (cc_cmd_result)chat(a, o, c, rest1, NULL);
    if (!strcmp(c, "p")) return (cc_cmd_result)chat(a, o, "party", rest1, NULL);
    if (!strcmp(c, "g")) return (cc_cmd_result)chat(a, o, "guild", rest1, NULL);
    if (!strcmp(c, "w")) {
        if (k.n < 3) return (cc_cmd_result)fail(o, "%s", "usage: /w NAME TEXT");
        return (cc_cmd_result)chat(a, o, "whisper", rest2, k.t[1]);
    }
    static const struct {
        const char *cmd, *op;
    } named[] = {{"invite", "party_invite"}, {"pkick", "party_kick"}, {"plead", "party_leader"}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(c, named[i].cmd)) {
            if (k.n != 2) return (cc_cmd_result)fail(o, "usage: /%s NAME", c);
            return (cc_cmd_result)send(a, o,
                                       json_pack("{s:s, s:s}", "op", named[i].op, "name", k.t[1]));
        }
    static const struct {
        const char *cmd, *op;
    } plain[] = {{"paccept", "party_accept"},
                 {"pleave", "party_leave"},
                 {"party", "party"},
                 {"skills", "skills"},
                 {"sheet", "sheet"},
                 {"ping", "ping"},
                 {"breakthrough", "breakthrough"}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!strcmp(c, plain[i].cmd))
            return (cc_cmd_result)send(a, o, json_pack("{s:s}", "op", plain[i].op));
    if (!strcmp(c, "zoneinfo")) {
        double r = 0;
        if (k.n > 2 || (k.n == 2 && !parse_num(k.t[1], &r)))
            return (cc_cmd_result)fail(o, "%s", "usage: /zoneinfo [RADIUS]");
        json_t *req = json_pack("{s:s}", "op", "zone_info");
        if (k.n == 2) json_object_set_new(req, "radius", json_real(r));
        return (cc_cmd_result)send(a, o, req);
    }
    if (!strcmp(c, "raw")) {
        json_error_t je;
        json_t *r = rest1 ? json_loads(rest1, 0, &je) : NULL;
        if (!json_is_object(r)) {
            json_decref(r);
            return (cc_cmd_result)fail(o, "%s", "usage: /raw {\"op\":…} (a JSON object)");
        }
        return (cc_cmd_result)send(a, o, r);
    }
    if (!strcmp(c, "quit")) return CC_CMD_QUIT;
    if (!strcmp(c, "wait") || !strcmp(c, "expect") || !strcmp(c, "sleep")) return CC_CMD_SCRIPT;
    if (!strcmp(c, "reconnect")) {
        if (a->connected) return (cc_cmd_result)fail(o, "%s", "already connected");
        a->reconnect_tries = 1;
        if (cc_app_connect(a) != 0)
            return (cc_cmd_result)fail(o, "reconnect failed: %s", a->m.lost);
        return CC_CMD_OK;
    }
    if (!strcmp(c, "help")) {
        snprintf(o->msg, sizeof o->msg, "%s", "commands: see the help panel (h)");
        return CC_CMD_OK;
    }
    return (cc_cmd_result)world_cmd(a, &k, o, c);
}
