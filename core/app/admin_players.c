/* admin_players.c — operator commands on the players of this server:
 * `kick`, `who`, `inspect`, `teleport` (accounts.h), and the text rule every
 * operator-written text follows (cw_admin_text_arg).
 *
 * They act on characters loaded here (online, or offline and not yet saved
 * for `inspect`). Every command is audited by the console (one log line with
 * the peer, the command, its arguments and the outcome); kicks and teleports
 * also log what they did at info. */
#include "core/app/accounts.h"
#include "core/app/combat_app.h"
#include "core/app/script_app.h"

#include "core/base/log.h"
#include "core/base/text.h"
#include "core/game/battle.h"
#include "core/game/world.h"
#include "core/io/admin/admin.h"
#include "core/io/net/net.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHO_PAGE_SIZE 20 /* keeps a `who` answer well under a few KiB */

int cw_admin_text_arg(int argc, char **argv, int from, size_t max, const char *what, cw_strbuf *out,
                      cw_error *err)
{
    for (int i = from; i < argc; i++)
        if ((i > from && cw_strbuf_puts(out, " ")) || cw_strbuf_puts(out, argv[i]))
            return cw_error_set(err, CW_ENOMEM, "out of memory");
    if (!out->len) return 0;
    cw_text_verdict v = cw_text_check(out->data, out->len, max);
    if (v == CW_TEXT_OK) return 0;
    if (v == CW_TEXT_TOO_LONG)
        return cw_error_set(err, CW_EINVAL, "%s is %zu bytes: at most %zu", what, out->len, max);
    return cw_error_set(err, CW_EINVAL, "%s %s", what, cw_text_verdict_message(v));
}

/* The character named argv[i], online here (in the world), or an error. */
static cw_player *online_player(cw_server *s, const char *name, cw_error *err)
{
    cw_player *p = cw_players_find_name(s->players, name);
    if (!p || !p->online || !p->conn_id) {
        cw_error_set(err, CW_ENOTFOUND, "no character named \"%.40s\" is online here", name);
        return NULL;
    }
    return p;
}

static cw_session *session_of_player(cw_server *s, const cw_player *p)
{
    cw_conn *c = s->net ? cw_net_find(s->net, p->conn_id) : NULL;
    return c ? cw_session_of(c) : NULL;
}

/* ---- kick NAME [REASON…] ---------------------------------------------------------- */

typedef struct kick_answer {
    cw_admin_pending *pending;
    char character[CW_NAME_MAX + 1];
    char account[CW_NAME_MAX + 1];
} kick_answer;

static void kick_saved(void *ud, int rc)
{
    kick_answer *k = ud;
    cw_strbuf out = CW_STRBUF_INIT;
    cw_strbuf_puts(&out, "\"character\":");
    cw_strbuf_json_str(&out, k->character);
    cw_strbuf_puts(&out, ",\"account\":");
    cw_strbuf_json_str(&out, k->account);
    /* saved:false: the database is away; the character stays in memory and
     * is saved when it returns (as for a logout). */
    cw_strbuf_printf(&out, ",\"saved\":%s", rc == 0 ? "true" : "false");
    cw_admin_answer(k->pending, 0, out.data, NULL);
    cw_strbuf_free(&out);
    free(k);
}

static int kick_refused(cw_strbuf *reason, kick_answer *k, int rc)
{
    cw_strbuf_free(reason);
    free(k);
    return rc;
}

static int cmd_kick(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)out;
    cw_server *s = ud;
    if (argc < 2) return cw_error_set(err, CW_EINVAL, "usage: kick NAME [REASON…]");
    cw_strbuf reason = CW_STRBUF_INIT;
    int rc = cw_admin_text_arg(argc, argv, 2, CW_OPERATOR_TEXT_MAX, "REASON", &reason, err);
    if (rc) return kick_refused(&reason, NULL, rc);
    cw_player *p = online_player(s, argv[1], err);
    if (!p) return kick_refused(&reason, NULL, err->code);
    cw_session *se = session_of_player(s, p);
    if (!se)
        return kick_refused(&reason, NULL,
                            cw_error_set(err, CW_ENOTFOUND, "%s has no connection here", p->name));
    kick_answer *k = calloc(1, sizeof *k);
    if (!k) return kick_refused(&reason, NULL, cw_error_set(err, CW_ENOMEM, "out of memory"));
    k->pending = cw_admin_defer(s->admin);
    if (!k->pending)
        return kick_refused(
            &reason, k, cw_error_set(err, CW_ENOMEM, "cannot wait for the save (out of memory)"));
    snprintf(k->character, sizeof k->character, "%s", p->name);
    snprintf(k->account, sizeof k->account, "%s", se->account);
    cw_log(CW_LOG_INFO, "character kicked", CW_I("character", p->id), CW_S("name", p->name),
           CW_S("account", se->account), CW_S("reason", reason.data ? reason.data : ""), CW_END);
    /* Answered once the character is saved. */
    cw_session_kick_out(s, se, "operator", reason.data, kick_saved, k);
    cw_strbuf_free(&reason);
    return CW_ADMIN_DEFERRED;
}

/* ---- who [PAGE] ------------------------------------------------------------------------ */

typedef struct who_list {
    cw_player **v;
    size_t n, cap;
    int oom;
} who_list;

static void collect_online(cw_player *p, void *ud)
{
    who_list *l = ud;
    if (!p->online || l->oom) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        cw_player **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = p;
}

static int by_name(const void *a, const void *b)
{
    const cw_player *x = *(cw_player *const *)a, *y = *(cw_player *const *)b;
    return strcasecmp(x->name, y->name);
}

static int cmd_who(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    long page = 1;
    if (argc > 2) return cw_error_set(err, CW_EINVAL, "usage: who [PAGE]");
    if (argc == 2) {
        char *end;
        errno = 0;
        page = strtol(argv[1], &end, 10);
        if (errno || end == argv[1] || *end || page < 1)
            return cw_error_set(err, CW_EINVAL, "PAGE must be a whole number from 1");
    }
    who_list l = {0};
    cw_players_each(s->players, collect_online, &l);
    if (l.oom) {
        free(l.v);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    size_t pages = l.n ? (l.n + WHO_PAGE_SIZE - 1) / WHO_PAGE_SIZE : 1;
    if ((size_t)page > pages) {
        free(l.v);
        return cw_error_set(err, CW_EINVAL, "there %s %zu page%s of %d players (%zu online)",
                            pages == 1 ? "is" : "are", pages, pages == 1 ? "" : "s", WHO_PAGE_SIZE,
                            l.n);
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, by_name); /* a stable order to page through */
    cw_strbuf_printf(out, "\"total\":%zu,\"page\":%ld,\"pages\":%zu,\"page_size\":%d,\"players\":[",
                     l.n, page, pages, WHO_PAGE_SIZE);
    size_t from = (size_t)(page - 1) * WHO_PAGE_SIZE;
    for (size_t i = from; i < l.n && i < from + WHO_PAGE_SIZE; i++) {
        const cw_player *p = l.v[i];
        cw_session *se = session_of_player(s, p);
        cw_strbuf_puts(out, i > from ? ",{\"name\":" : "{\"name\":");
        cw_strbuf_json_str(out, p->name);
        cw_strbuf_puts(out, ",\"account\":");
        cw_strbuf_json_str(out, se ? se->account : "");
        cw_strbuf_printf(out, ",\"level\":%d,\"zone\":", p->level);
        cw_strbuf_json_str(out, p->zone);
        cw_strbuf_puts(out, "}");
    }
    cw_strbuf_puts(out, "]");
    free(l.v);
    return 0;
}

/* ---- inspect NAME ------------------------------------------------------------------------ */

static int cmd_inspect(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    if (argc != 2) return cw_error_set(err, CW_EINVAL, "usage: inspect NAME");
    cw_player *p = cw_players_find_name(s->players, argv[1]);
    if (!p)
        return cw_error_set(err, CW_ENOTFOUND,
                            "no character named \"%.40s\" is loaded here (online, or offline "
                            "and not yet saved)",
                            argv[1]);
    cw_strbuf_puts(out, "\"character\":");
    cw_strbuf_json_str(out, p->name);
    cw_strbuf_printf(out, ",\"id\":%lld,\"account_id\":%lld", (long long)p->id,
                     (long long)p->account_id);
    cw_conn *c = p->online && s->net ? cw_net_find(s->net, p->conn_id) : NULL;
    cw_session *se = c ? cw_session_of(c) : NULL;
    if (se) {
        cw_strbuf_puts(out, ",\"account\":");
        cw_strbuf_json_str(out, se->account);
    }
    cw_strbuf_printf(out, ",\"online\":%s,\"race\":", p->online ? "true" : "false");
    cw_strbuf_json_str(out, p->race);
    cw_strbuf_puts(out, ",\"job\":");
    cw_strbuf_json_str(out, p->job);
    cw_strbuf_puts(out, ",\"zone\":");
    cw_strbuf_json_str(out, p->zone);
    cw_strbuf_printf(out,
                     ",\"x\":%.17g,\"y\":%.17g,\"level\":%d,\"exp\":%lld,\"gold\":%lld,"
                     "\"unsaved\":%s,\"stale\":%s",
                     p->x, p->y, p->level, (long long)p->exp, (long long)p->gold,
                     cw_player_dirty(p) ? "true" : "false", p->stale ? "true" : "false");
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = w && p->online ? cw_world_find_player(w, p->id) : NULL;
    cw_vitals v;
    cw_battle *b = cw_combat_app_battle(s);
    if (e) {
        cw_strbuf_printf(out, ",\"entity\":%lld", (long long)e->id);
        if (b && cw_battle_vitals(b, e->id, &v) == 0)
            cw_strbuf_printf(out,
                             ",\"hp\":%.17g,\"hp_max\":%.17g,\"mp\":%.17g,\"mp_max\":%.17g,"
                             "\"dead\":%s",
                             v.hp, v.hp_max, v.mp, v.mp_max, v.dead ? "true" : "false");
    }
    if (c) {
        cw_strbuf_printf(out, ",\"conn\":%llu,\"peer\":", (unsigned long long)cw_conn_id(c));
        cw_strbuf_json_str(out, cw_conn_peer(c));
    }
    return 0;
}

/* ---- teleport NAME ZONE X Y ------------------------------------------------------------- */

static int parse_coord(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) return CW_EINVAL;
    *out = v;
    return 0;
}

static int cmd_teleport(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    double x, y;
    if (argc != 5) return cw_error_set(err, CW_EINVAL, "usage: teleport NAME ZONE X Y");
    if (parse_coord(argv[3], &x) || parse_coord(argv[4], &y))
        return cw_error_set(err, CW_EINVAL, "X and Y must be finite numbers");
    cw_player *p = online_player(s, argv[1], err);
    if (!p) return err->code;
    cw_world *w = cw_combat_app_world(s);
    cw_entity *e = w ? cw_world_find_player(w, p->id) : NULL;
    if (!e) return cw_error_set(err, CW_ENOTFOUND, "%s is not in the world", p->name);
    int zi = cw_zoneset_find(cw_world_zones(w), argv[2]);
    if (zi < 0) return cw_error_set(err, CW_ENOTFOUND, "no zone \"%.64s\"", argv[2]);
    /* As through a portal, also within the zone: the player gets `zone`. */
    int rc = cw_script_app_teleport(s, e->id, zi, x, y, 1, err);
    if (rc) return rc;
    cw_log(CW_LOG_INFO, "character teleported", CW_I("character", p->id), CW_S("name", p->name),
           CW_S("zone", p->zone), CW_D("x", p->x), CW_D("y", p->y), CW_END);
    cw_strbuf_puts(out, "\"character\":");
    cw_strbuf_json_str(out, p->name);
    cw_strbuf_puts(out, ",\"zone\":");
    cw_strbuf_json_str(out, p->zone);
    cw_strbuf_printf(out, ",\"x\":%.17g,\"y\":%.17g", p->x, p->y);
    return 0;
}

int cw_players_admin_commands(cw_server *s)
{
    int rc = 0;
    rc |= cw_admin_register(s->admin, "kick",
                            "NAME [REASON…]: disconnect a character's player (saved as on logout)",
                            cmd_kick, s);
    rc |= cw_admin_register(s->admin, "who",
                            "[PAGE]: the players online here, by name, 20 a page, with the total",
                            cmd_who, s);
    rc |= cw_admin_register(s->admin, "inspect",
                            "NAME: a loaded character's place, level, exp, gold, hp, connection",
                            cmd_inspect, s);
    rc |= cw_admin_register(s->admin, "teleport",
                            "NAME ZONE X Y: move an online character to a standable point",
                            cmd_teleport, s);
    return rc ? CW_ENOMEM : 0;
}
