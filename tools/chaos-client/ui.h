/* ui.h — the ncurses front of chaos-client, private to ui_*.c: the UI state
 * (screen, input line, login form, panel shown, zoom), drawn from the model
 * each frame. ui_main.c owns the loop and keys; ui_world.c draws the world
 * screen (status bar, map, panels, logs). Single-threaded; nothing here owns
 * model data. */
#ifndef CHAOS_CLIENT_UI_H
#define CHAOS_CLIENT_UI_H

#include "tools/chaos-client/client.h"

#include <ncurses.h>

enum {
    PAIR_GOOD = 1,
    PAIR_BAD,
    PAIR_INFO,
    PAIR_CHAT,
    PAIR_WHISPER,
    PAIR_SAFE,
    PAIR_WALL,
    PAIR_PORTAL,
    PAIR_MONSTER,
    PAIR_NPC,
    PAIR_PLAYER,
    PAIR_SELF
};

typedef enum {
    PANEL_SHEET,
    PANEL_INV,
    PANEL_QUESTS,
    PANEL_TRADE,
    PANEL_DIALOGUE,
    PANEL_SOCIAL, /* party and guild */
    PANEL_HELP
} cc_panel;

typedef struct cc_ui {
    cc_app *a;
    int input_on;
    char input[512];
    int field; /* login form: 0 name, 1 password */
    char user[48], pass[128];
    int register_then_login;
    int sel; /* the selected character on the character screen */
    cc_panel panel;
    int names;   /* names on the map */
    double zoom; /* units per map column */
    int scroll;  /* chat scrollback */
    double walk_dx, walk_dy;
    uint64_t walk_until_ns;
    char status[200]; /* the last command's message */
} cc_ui;

void cc_ui_draw_world(cc_ui *u);

#endif
