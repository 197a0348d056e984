/* ui_world.c — the world screen: a status bar, the map that follows the
 * character (zone bounds, walls, safe areas, portals, players, monsters and
 * NPCs by kind, names on demand), the side panel (character sheet,
 * inventory, quests, trade, dialogue and vendor, party and guild, help), the combat log, and the
 * chat and system logs with scrollback. */
#include "tools/chaos-client/ui.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int in_rects(json_t *list, double x, double y)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        double rx = num(r, "x"), ry = num(r, "y");
        if (x >= rx && x <= rx + num(r, "w") && y >= ry && y <= ry + num(r, "h")) return 1;
    }
    return 0;
}

static json_t *portal_at(json_t *list, double x, double y, double slack)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        if (hypot(x - num(p, "x"), y - num(p, "y")) <= num(p, "radius") + slack) return p;
    }
    return NULL;
}

/* ---- the map ------------------------------------------------------------------------------- */

static void draw_map(cc_ui *u, int top, int left, int h, int w)
{
    cc_model *m = &u->a->m;
    json_t *z = m->zinfo;
    double sx = u->zoom, sy = u->zoom * 2; /* a cell is about twice as tall as wide */
    int cx = left + w / 2, cy = top + h / 2;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            double x = m->x + (c + left - cx) * sx, y = m->y - (r + top - cy) * sy;
            chtype ch = ' ';
            if (z) {
                if (x < 0 || y < 0 || x > num(z, "width") || y > num(z, "height"))
                    ch = '~' | COLOR_PAIR(PAIR_INFO) | A_DIM;
                else if (in_rects(json_object_get(z, "blocked"), x, y))
                    ch = '#' | COLOR_PAIR(PAIR_WALL) | A_BOLD;
                else if (portal_at(json_object_get(z, "portals"), x, y, sx / 2))
                    ch = 'O' | COLOR_PAIR(PAIR_PORTAL) | A_BOLD;
                else if (in_rects(json_object_get(z, "safe"), x, y))
                    ch = '.' | COLOR_PAIR(PAIR_SAFE);
            }
            mvaddch(top + r, left + c, ch);
        }
    }
    if (z && u->names) { /* portal labels */
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(z, "portals"), i, p)
        {
            int c = cx + (int)lround((num(p, "x") - m->x) / sx);
            int r = cy - (int)lround((num(p, "y") - m->y) / sy);
            if (r >= top && r < top + h && c + 2 < left + w) {
                attron(COLOR_PAIR(PAIR_PORTAL));
                mvprintw(r, c + 2, "%.*s", left + w - c - 2,
                         *str(p, "to") ? str(p, "to") : str(p, "dungeon"));
                attroff(COLOR_PAIR(PAIR_PORTAL));
            }
        }
    }
    for (int pass = 0; pass < 2; pass++) /* names first, markers over them */
        for (int i = 0; i < m->nents; i++) {
            cc_ent *e = &m->ents[i];
            int c = cx + (int)lround((e->x - m->x) / sx), r = cy - (int)lround((e->y - m->y) / sy);
            if (r < top || r >= top + h || c < left || c >= left + w) continue;
            int pair = PAIR_PLAYER;
            chtype ch = 'P';
            if (!strcmp(e->kind, "monster"))
                pair = PAIR_MONSTER, ch = e->dead ? 'x' : 'M';
            else if (!strcmp(e->kind, "npc"))
                pair = PAIR_NPC, ch = 'N';
            if (pass == 1) {
                mvaddch(r, c, ch | COLOR_PAIR(pair) | A_BOLD | (e->e == m->target ? A_REVERSE : 0));
            } else if ((u->names || e->e == m->target) && c + 2 < left + w) {
                attron(COLOR_PAIR(pair));
                mvprintw(r, c + 2, "%.*s", left + w - c - 2, e->name);
                attroff(COLOR_PAIR(pair));
            }
        }
    mvaddch(cy, cx, '@' | COLOR_PAIR(PAIR_SELF) | A_BOLD);
}

/* ---- panels -------------------------------------------------------------------------------- */

static int line_at(int *row, int top, int bottom, int left, int w, int pair, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int line_at(int *row, int top, int bottom, int left, int w, int pair, const char *fmt, ...)
{
    (void)top;
    if (*row >= bottom) return 0;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (pair) attron(COLOR_PAIR(pair));
    mvprintw(*row, left, "%-*.*s", w, w, buf);
    if (pair) attroff(COLOR_PAIR(pair));
    (*row)++;
    return 1;
}

#define LINE(pair, ...) line_at(&row, top, bottom, left, w, pair, __VA_ARGS__)

static void panel_sheet(cc_ui *u, int top, int bottom, int left, int w)
{
    cc_model *m = &u->a->m;
    int row = top;
    LINE(PAIR_INFO, "[c] %s  (%s %s)", m->name, m->race, m->job);
    LINE(0, "level %g  realm %s", m->level, m->realm[0] ? m->realm : "-");
    LINE(0, "exp %g  gold %g", m->exp, m->gold);
    if (m->hp_max > 0) LINE(0, "hp %.0f/%.0f  mp %.0f/%.0f", m->hp, m->hp_max, m->mp, m->mp_max);
    const char *k;
    json_t *v;
    char buf[64];
    int col = 0;
    char linebuf[256] = "";
    json_object_foreach(m->stats, k, v)
    {
        snprintf(buf, sizeof buf, "%-10.10s %7.1f  ", k, json_number_value(v));
        strncat(linebuf, buf, sizeof linebuf - strlen(linebuf) - 1);
        if (++col * 20 + 20 > w) {
            LINE(0, "%s", linebuf);
            linebuf[0] = 0;
            col = 0;
        }
    }
    if (linebuf[0]) LINE(0, "%s", linebuf);
    if (!m->stats) LINE(PAIR_INFO, "(no stats yet)");
    LINE(PAIR_INFO, "skills (number keys):");
    size_t i;
    json_t *s;
    int n = 0;
    json_array_foreach(m->skills, i, s)
    {
        int known = json_is_true(json_object_get(s, "known"));
        if (known)
            LINE(0, " %d %s", ++n, str(s, "name"));
        else
            LINE(PAIR_INFO, " - %s (locked)", str(s, "name"));
    }
}

static void panel_inv(cc_ui *u, int top, int bottom, int left, int w)
{
    int row = top;
    LINE(PAIR_INFO, "[i] inventory: /equip UID /use UID /destroy UID");
    size_t i;
    json_t *it;
    json_array_foreach(u->a->m.inventory, i, it)
    {
        json_t *rar = json_object_get(json_object_get(it, "props"), "rarity");
        LINE(!strncmp(str(it, "place"), "eq:", 3) ? PAIR_GOOD : 0, "%6lld %-8s %s x%g %s",
             (long long)json_integer_value(json_object_get(it, "uid")), str(it, "place"),
             str(it, "template"), num(it, "stack"),
             json_is_string(rar) ? json_string_value(rar) : "");
    }
    if (!json_array_size(u->a->m.inventory)) LINE(PAIR_INFO, "(empty)");
}

static void panel_quests(cc_ui *u, int top, int bottom, int left, int w)
{
    int row = top;
    LINE(PAIR_INFO, "[j] quests: /accept Q /abandon Q /turnin Q");
    json_t *q = u->a->m.quests;
    size_t i, j;
    json_t *e, *s;
    json_array_foreach(json_object_get(q, "active"), i, e)
    {
        LINE(json_is_true(json_object_get(e, "ready")) ? PAIR_GOOD : 0, "%s (%s)%s", str(e, "name"),
             str(e, "quest"), json_is_true(json_object_get(e, "ready")) ? " - ready" : "");
        json_array_foreach(json_object_get(e, "steps"), j, s)
        {
            LINE(PAIR_INFO, "   %s %g/%g%s", str(s, "kind"), num(s, "count"), num(s, "need"),
                 json_is_true(json_object_get(s, "done")) ? " done" : "");
        }
    }
    json_array_foreach(json_object_get(q, "done"), i, e)
    {
        LINE(PAIR_INFO, "done: %s x%g", str(e, "quest"), num(e, "times"));
    }
}

static void offer_lines(int *row, int top, int bottom, int left, int w, const char *who, json_t *o)
{
    line_at(row, top, bottom, left, w, PAIR_INFO, "%s: gold %g%s%s", who, num(o, "gold"),
            json_is_true(json_object_get(o, "locked")) ? " locked" : "",
            json_is_true(json_object_get(o, "confirmed")) ? " confirmed" : "");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(o, "items"), i, it)
    {
        line_at(row, top, bottom, left, w, 0, "  %lld %s x%g",
                (long long)json_integer_value(json_object_get(it, "uid")), str(it, "template"),
                num(it, "count"));
    }
}

static void panel_trade(cc_ui *u, int top, int bottom, int left, int w)
{
    int row = top;
    json_t *t = u->a->m.trade;
    LINE(PAIR_INFO, "[x] trade: /trade NAME /offer UID.. gold=N /lock /confirm");
    if (!t) {
        LINE(PAIR_INFO, "(no trade)");
        return;
    }
    LINE(0, "with %s: %s", str(json_object_get(t, "with"), "name"), str(t, "state"));
    offer_lines(&row, top, bottom, left, w, "mine", json_object_get(t, "mine"));
    offer_lines(&row, top, bottom, left, w, "theirs", json_object_get(t, "theirs"));
}

static void panel_dialogue(cc_ui *u, int top, int bottom, int left, int w)
{
    int row = top;
    json_t *d = u->a->m.dialogue, *v = u->a->m.vendor;
    if (v) {
        LINE(PAIR_NPC, "%s sells: /buy ITEM [N]%s", str(v, "name"),
             json_is_true(json_object_get(v, "buys")) ? "  /sell UID [N]" : "");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(v, "sells"), i, it)
        {
            LINE(0, " %-16s %-18s %6g gold", str(it, "item"), str(it, "name"), num(it, "price"));
        }
    }
    if (!d) {
        LINE(PAIR_INFO, "[g] talk to the nearest NPC");
        return;
    }
    LINE(PAIR_NPC, "%s:", str(d, "name"));
    const char *text = str(d, "text");
    for (size_t off = 0, n = strlen(text); off < n && w > 2; off += (size_t)w - 2)
        LINE(0, " %.*s", w - 2, text + off);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "choices"), i, c)
    {
        LINE(PAIR_GOOD, " %zu) %s", i + 1,
             json_is_string(c) ? json_string_value(c) : str(c, "text"));
    }
    LINE(PAIR_INFO, "number keys choose, Esc closes");
}

static void panel_social(cc_ui *u, int top, int bottom, int left, int w)
{
    int row = top;
    json_t *p = u->a->m.party, *g = u->a->m.guild, *x;
    size_t i;
    LINE(PAIR_INFO, "[p] party: /invite NAME /paccept /pleave /pkick NAME");
    if (!p) LINE(PAIR_INFO, " (no party)");
    json_array_foreach(json_object_get(p, "members"), i, x)
    {
        const char *n = json_is_string(x) ? json_string_value(x) : str(x, "name");
        LINE(!strcmp(n, str(p, "leader")) ? PAIR_GOOD : 0, " %s%s", n,
             !strcmp(n, str(p, "leader")) ? " (leader)" : "");
    }
    LINE(PAIR_INFO, "guild: /gcreate N /ginvite N /gaccept G /gleave /groster");
    if (!g) {
        LINE(PAIR_INFO, " (no guild)");
        return;
    }
    LINE(PAIR_GOOD, " %s  (%zu members)", str(g, "name"),
         json_array_size(json_object_get(g, "members")));
    json_array_foreach(json_object_get(g, "members"), i, x)
    {
        const char *rank = str(x, "rank");
        LINE(!strcmp(rank, "leader") ? PAIR_GOOD : 0, " %-24s %s", str(x, "name"), rank);
    }
}

static void panel_help(int top, int bottom, int left, int w)
{
    int row = top;
    static const char *const keys[] = {
        "arrows/WASD move   Tab target   Space/f attack   1-9 cast skill",
        "Enter or t: chat line (/command too)   / command line",
        "c sheet  i inventory  j quests  x trade  g talk  p party/guild  h help",
        "n names  +/- zoom  PgUp/PgDn chat scroll  Q quit", NULL};
    for (int i = 0; keys[i]; i++)
        LINE(PAIR_GOOD, "%s", keys[i]);
    for (int i = 0; cc_cmd_help[i]; i++)
        LINE(0, "%s", cc_cmd_help[i]);
}

static void draw_log(const cc_log *l, int top, int h, int left, int w, int scroll,
                     const char *title)
{
    attron(A_BOLD);
    mvprintw(top, left, "%-*.*s", w, w, title);
    attroff(A_BOLD);
    for (int r = 0; r < h - 1; r++) {
        int attr = 0;
        const char *s = cc_log_get(l, scroll + (h - 2 - r), &attr);
        if (attr) attron(COLOR_PAIR(attr));
        mvprintw(top + 1 + r, left, "%-*.*s", w, w, s ? s : "");
        if (attr) attroff(COLOR_PAIR(attr));
    }
}

void cc_ui_draw_world(cc_ui *u)
{
    cc_model *m = &u->a->m;
    int H = LINES, W = COLS;
    int logh = H >= 30 ? 10 : 6;
    int maph = H - 2 - logh, mapw = W * 55 / 100;
    if (mapw < 20) mapw = W;
    /* status bar */
    char tgt[96] = "";
    cc_ent *t = m->target ? cc_model_ent(m, m->target) : NULL;
    if (t) snprintf(tgt, sizeof tgt, "  target %s hp %.0f", t->name, t->hp);
    attron(A_REVERSE);
    mvprintw(0, 0, "%-*.*s", W, W, "");
    mvprintw(0, 0, " %s L%g %s | hp %.0f/%.0f mp %.0f/%.0f | gold %g exp %g | %s (%.1f, %.1f)%s%s",
             m->name, m->level, m->realm, m->hp, m->hp_max, m->mp, m->mp_max, m->gold, m->exp,
             m->zone, m->x, m->y, tgt, u->a->connected ? "" : "  [OFFLINE]");
    attroff(A_REVERSE);
    draw_map(u, 1, 0, maph, mapw);
    /* side panel (top) and combat log (bottom) */
    int left = mapw + 1, pw = W - left;
    if (pw > 10) {
        int ph = maph * 6 / 10;
        for (int r = 1; r <= maph; r++)
            mvaddch(r, mapw, ACS_VLINE);
        switch (u->panel) {
        case PANEL_SHEET:
            panel_sheet(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_INV:
            panel_inv(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_QUESTS:
            panel_quests(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_TRADE:
            panel_trade(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_DIALOGUE:
            panel_dialogue(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_SOCIAL:
            panel_social(u, 1, 1 + ph, left, pw);
            break;
        case PANEL_HELP:
            panel_help(1, 1 + maph, left, pw);
            break;
        }
        if (u->panel != PANEL_HELP) draw_log(&m->combat, 1 + ph, maph - ph, left, pw, 0, "combat");
    }
    /* chat (left) and system (right) */
    int chatw = W * 6 / 10;
    char title[64];
    snprintf(title, sizeof title, "chat%s", u->scroll ? " (scrolled: PgDn)" : "");
    draw_log(&m->chat, 1 + maph, logh, 0, chatw, u->scroll, title);
    draw_log(&m->sys, 1 + maph, logh, chatw + 1, W - chatw - 1, 0, "system");
}
