/* ui_main.c — the interactive client: the ncurses loop, the login form, the
 * character screen, the input line (chat and /commands) and the world keys
 * (walking at the allowed speed, targeting, attacking, casting, panels). */
#include "tools/chaos-client/ui.h"

#include <locale.h>
#include <math.h>
#include <string.h>

#define KEY_ESC 27
#define WALK_HOLD_NS 350000000ull /* a key press walks this long (key repeat extends it) */

static void say(cc_ui *u, const char *msg)
{
    size_t n = strlen(msg); /* the status line shows what fits; the log keeps it whole */
    if (n >= sizeof u->status) n = sizeof u->status - 1;
    memcpy(u->status, msg, n);
    u->status[n] = 0;
    if (*msg) cc_log_add(&u->a->m.sys, PAIR_INFO, "%s", msg);
}

static void run_command(cc_ui *u, const char *line)
{
    cc_cmd_out o;
    cc_cmd_result r = cc_cmd_run(u->a, line, &o);
    if (r == CC_CMD_QUIT) u->a->quit = 1;
    if (r == CC_CMD_SCRIPT) say(u, "/wait, /expect and /sleep are for scripts");
    if (r == CC_CMD_WALK) {
        double dx = o.walk_x - u->a->m.x, dy = o.walk_y - u->a->m.y, d = hypot(dx, dy);
        if (d > 0) { /* walk toward it until it is reached (an estimate of the time) */
            u->walk_dx = dx / d;
            u->walk_dy = dy / d;
            u->walk_until_ns = cc_now_ns() + (uint64_t)(d / cc_app_speed(u->a) * 1e9);
        }
    }
    if (o.msg[0]) say(u, o.msg);
    if (!strncmp(line, "/help", 5)) u->panel = PANEL_HELP;
}

static void on_frame(void *ud, json_t *f, const char *op)
{
    cc_ui *u = ud;
    if (!op || json_object_get(f, "error")) return;
    if (!strcmp(op, "register") && u->register_then_login) {
        u->register_then_login = 0;
        char line[256];
        snprintf(line, sizeof line, "/login %s %s", u->user, u->pass);
        run_command(u, line);
    }
    if (!strcmp(op, "interact") || !strcmp(op, "dialogue_choose")) u->panel = PANEL_DIALOGUE;
    if (!strncmp(op, "trade", 5)) u->panel = PANEL_TRADE;
    if (!strcmp(op, "vendor") || !strcmp(op, "buy") || !strcmp(op, "sell"))
        u->panel = PANEL_DIALOGUE;
    if (!strncmp(op, "guild", 5) || !strncmp(op, "party", 5)) u->panel = PANEL_SOCIAL;
}

/* ---- the input line ------------------------------------------------------------------------ */

static void input_key(cc_ui *u, int ch)
{
    size_t n = strlen(u->input);
    if (ch == '\n' || ch == KEY_ENTER) {
        u->input_on = 0;
        if (n) run_command(u, u->input);
        u->input[0] = 0;
    } else if (ch == KEY_ESC) {
        u->input_on = 0;
        u->input[0] = 0;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n) u->input[n - 1] = 0;
    } else if (ch >= 32 && ch < 256 && n + 1 < sizeof u->input) {
        u->input[n] = (char)ch;
        u->input[n + 1] = 0;
    }
}

static void open_input(cc_ui *u, const char *prefill)
{
    u->input_on = 1;
    snprintf(u->input, sizeof u->input, "%s", prefill);
}

/* ---- login form and character screen --------------------------------------------------------- */

static void draw_login(cc_ui *u)
{
    int y = LINES / 2 - 6, x = COLS / 2 - 24;
    attron(A_BOLD);
    mvprintw(y, x, "CHAOS WORLD  -  %s:%d", u->a->net.host, u->a->net.port);
    attroff(A_BOLD);
    mvprintw(y + 2, x, "account : %s%s", u->user, u->field == 0 ? "_" : "");
    mvprintw(y + 3, x, "password: %.*s%s", (int)strlen(u->pass),
             "****************************************************************",
             u->field == 1 ? "_" : "");
    mvprintw(y + 5, x, "Tab switch field   Enter log in   F2 register and log in");
    mvprintw(y + 6, x, "/ command line     F10 quit");
    if (!u->a->connected) {
        attron(COLOR_PAIR(PAIR_BAD));
        mvprintw(y + 8, x, "offline: %s", u->a->m.lost);
        attroff(COLOR_PAIR(PAIR_BAD));
    }
}

static void login_key(cc_ui *u, int ch)
{
    char *f = u->field == 0 ? u->user : u->pass;
    size_t cap = u->field == 0 ? sizeof u->user : sizeof u->pass, n = strlen(f);
    if (ch == '\t' || ch == KEY_DOWN || ch == KEY_UP) {
        u->field = !u->field;
    } else if (ch == '\n' || ch == KEY_ENTER || ch == KEY_F(2)) {
        char line[256];
        if (ch == KEY_F(2)) u->register_then_login = 1;
        snprintf(line, sizeof line, "/%s %s %s", ch == KEY_F(2) ? "register" : "login", u->user,
                 u->pass);
        run_command(u, line);
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n) f[n - 1] = 0;
    } else if (ch == '/' && u->field == 0 && n == 0) {
        open_input(u, "/");
    } else if (ch > 32 && ch < 127 && n + 1 < cap) {
        f[n] = (char)ch;
        f[n + 1] = 0;
    }
}

static void draw_chars(cc_ui *u)
{
    cc_model *m = &u->a->m;
    int y = 2, x = 4;
    attron(A_BOLD);
    mvprintw(y, x, "account %s - characters", m->account);
    attroff(A_BOLD);
    size_t i;
    json_t *c;
    int n = (int)json_array_size(m->chars);
    if (u->sel >= n) u->sel = n ? n - 1 : 0;
    json_array_foreach(m->chars, i, c)
    {
        if ((int)i == u->sel) attron(A_REVERSE);
        mvprintw(y + 2 + (int)i, x, " %-24s %-8s %-8s level %lld ",
                 json_string_value(json_object_get(c, "name")),
                 json_string_value(json_object_get(c, "race")),
                 json_string_value(json_object_get(c, "job")),
                 (long long)json_integer_value(json_object_get(c, "level")));
        if ((int)i == u->sel) attroff(A_REVERSE);
    }
    if (!n) mvprintw(y + 2, x, "(no character yet: press n)");
    mvprintw(y + 4 + n, x,
             "Up/Down select  Enter play  n new  d delete  r refresh  / command  F10 quit");
    int rows = LINES - (y + 6 + n) - 1;
    for (int r = 0; r < rows; r++) {
        int attr = 0;
        const char *s = cc_log_get(&m->sys, rows - 1 - r, &attr);
        if (attr) attron(COLOR_PAIR(attr));
        mvprintw(y + 6 + n + r, x, "%-*.*s", COLS - x, COLS - x, s ? s : "");
        if (attr) attroff(COLOR_PAIR(attr));
    }
}

static const char *sel_name(cc_ui *u)
{
    json_t *c = json_array_get(u->a->m.chars, (size_t)u->sel);
    return json_string_value(json_object_get(c, "name"));
}

static void chars_key(cc_ui *u, int ch)
{
    char line[128];
    int n = (int)json_array_size(u->a->m.chars);
    if (ch == KEY_UP && u->sel > 0) u->sel--;
    if (ch == KEY_DOWN && u->sel + 1 < n) u->sel++;
    if ((ch == '\n' || ch == KEY_ENTER) && sel_name(u)) {
        snprintf(line, sizeof line, "/enter %s", sel_name(u));
        run_command(u, line);
    }
    if (ch == 'n') open_input(u, "/create NAME human warrior");
    if (ch == 'd' && sel_name(u)) {
        snprintf(line, sizeof line, "/delete %s", sel_name(u));
        open_input(u, line); /* Enter confirms */
    }
    if (ch == 'r') run_command(u, "/chars");
    if (ch == '/') open_input(u, "/");
}

/* ---- the world --------------------------------------------------------------------------------
 */

static void cycle_target(cc_ui *u)
{
    cc_model *m = &u->a->m;
    double cur = -1;
    cc_ent *t = cc_model_ent(m, m->target);
    if (t) cur = hypot(t->x - m->x, t->y - m->y);
    cc_ent *best = NULL, *first = NULL;
    double bd = INFINITY, fd = INFINITY;
    for (int i = 0; i < m->nents; i++) { /* the next farther monster, else the nearest */
        cc_ent *e = &m->ents[i];
        if (strcmp(e->kind, "monster") || e->dead) continue;
        double d = hypot(e->x - m->x, e->y - m->y);
        if (d < fd) fd = d, first = e;
        if (e->e != m->target && d >= cur && d < bd) bd = d, best = e;
    }
    if (!best) best = first;
    m->target = best ? best->e : 0;
}

static void world_key(cc_ui *u, int ch)
{
    static const struct {
        int k1, k2, k3;
        double dx, dy;
    } dirs[] = {{KEY_UP, 'w', 'W', 0, 1},
                {KEY_DOWN, 's', 'S', 0, -1},
                {KEY_LEFT, 'a', 'A', -1, 0},
                {KEY_RIGHT, 'd', 'D', 1, 0}};
    for (size_t i = 0; i < 4; i++)
        if (ch == dirs[i].k1 || ch == dirs[i].k2 || ch == dirs[i].k3) {
            u->walk_dx = dirs[i].dx;
            u->walk_dy = dirs[i].dy;
            u->walk_until_ns = cc_now_ns() + WALK_HOLD_NS;
            return;
        }
    char line[64];
    if (ch >= '1' && ch <= '9') {
        if (u->panel == PANEL_DIALOGUE && u->a->m.dialogue)
            snprintf(line, sizeof line, "/choose %c", ch);
        else
            snprintf(line, sizeof line, "/cast %c", ch);
        run_command(u, line);
        return;
    }
    switch (ch) {
    case '\n':
    case KEY_ENTER:
    case 't':
        open_input(u, "");
        break;
    case '/':
        open_input(u, "/");
        break;
    case '\t':
        cycle_target(u);
        break;
    case ' ':
    case 'f':
        run_command(u, "/attack");
        break;
    case 'c':
        u->panel = PANEL_SHEET;
        break;
    case 'i':
        u->panel = PANEL_INV;
        run_command(u, "/inv");
        break;
    case 'j':
        u->panel = PANEL_QUESTS;
        run_command(u, "/quests");
        break;
    case 'x':
        u->panel = PANEL_TRADE;
        break;
    case 'p':
        u->panel = PANEL_SOCIAL;
        run_command(u, "/party");
        if (u->a->m.guild) run_command(u, "/groster");
        break;
    case 'h':
    case '?':
        u->panel = PANEL_HELP;
        break;
    case 'g':
        u->panel = PANEL_DIALOGUE;
        run_command(u, "/talk");
        break;
    case 'n':
        u->names = !u->names;
        break;
    case '+':
    case '=':
        if (u->zoom > 0.25) u->zoom /= 2;
        break;
    case '-':
        if (u->zoom < 16) u->zoom *= 2;
        break;
    case KEY_PPAGE:
        u->scroll += 5;
        break;
    case KEY_NPAGE:
        u->scroll = u->scroll > 5 ? u->scroll - 5 : 0;
        break;
    case KEY_ESC:
        u->panel = PANEL_SHEET;
        break;
    default:
        break;
    }
}

static void walk(cc_ui *u)
{
    if (!u->walk_until_ns || cc_now_ns() > u->walk_until_ns) {
        u->walk_until_ns = 0;
        return;
    }
    cc_model *m = &u->a->m;
    /* a target far enough that the step is as long as the speed allows */
    cc_app_step_toward(u->a, m->x + u->walk_dx * u->a->speed, m->y + u->walk_dy * u->a->speed, 0.5);
}

static void draw(cc_ui *u)
{
    erase();
    cc_model *m = &u->a->m;
    if (m->in_world)
        cc_ui_draw_world(u);
    else if (m->logged_in)
        draw_chars(u);
    else
        draw_login(u);
    int y = LINES - 1;
    if (u->input_on) {
        mvprintw(y, 0, "> %.*s", COLS - 3, u->input);
        curs_set(1);
    } else {
        curs_set(0);
        attron(A_DIM);
        mvprintw(y, 0, "%-*.*s", COLS, COLS,
                 m->in_world ? (u->status[0] ? u->status : "Enter chat  / command  h help  Q quit")
                             : u->status);
        attroff(A_DIM);
    }
    refresh();
}

int cc_ui_run(cc_app *a)
{
    cc_ui u;
    memset(&u, 0, sizeof u);
    u.a = a;
    u.zoom = 2;
    a->interactive = 1;
    a->on_frame = on_frame;
    a->on_frame_ud = &u;
    if (cc_app_connect(a) != 0) { /* keep trying in the background (cc_app_tick) */
        a->reconnect_at_ns = cc_now_ns() + 1000000000ull;
        cc_log_add(&a->m.sys, PAIR_BAD, "cannot connect: %s", a->m.lost);
    }
    setlocale(LC_ALL, "");
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(PAIR_GOOD, COLOR_GREEN, -1);
        init_pair(PAIR_BAD, COLOR_RED, -1);
        init_pair(PAIR_INFO, COLOR_CYAN, -1);
        init_pair(PAIR_CHAT, -1, -1);
        init_pair(PAIR_WHISPER, COLOR_MAGENTA, -1);
        init_pair(PAIR_SAFE, COLOR_GREEN, -1);
        init_pair(PAIR_WALL, COLOR_WHITE, -1);
        init_pair(PAIR_PORTAL, COLOR_BLUE, -1);
        init_pair(PAIR_MONSTER, COLOR_RED, -1);
        init_pair(PAIR_NPC, COLOR_YELLOW, -1);
        init_pair(PAIR_PLAYER, COLOR_CYAN, -1);
        init_pair(PAIR_SELF, COLOR_WHITE, -1);
    }
    while (!a->quit) {
        cc_app_tick(a);
        if (a->m.in_world) walk(&u);
        draw(&u);
        cc_app_pump(a, 40, 1);
        int ch;
        while ((ch = getch()) != ERR) {
            if (ch == KEY_F(10) || (!u.input_on && ch == 'Q')) {
                a->quit = 1;
                break;
            }
            if (ch == KEY_RESIZE) continue;
            if (u.input_on)
                input_key(&u, ch);
            else if (a->m.in_world)
                world_key(&u, ch);
            else if (a->m.logged_in)
                chars_key(&u, ch);
            else
                login_key(&u, ch);
        }
    }
    endwin();
    if (a->m.lost[0] && !a->connected) fprintf(stderr, "chaos-client: %s\n", a->m.lost);
    return 0;
}
