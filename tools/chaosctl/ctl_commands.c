/* ctl_commands.c — the console commands chaosctl knows by name: their
 * argument counts (checked before connecting: a wrong count is a usage
 * error, exit 2) and their usage lines. Anything else goes through `raw`. */
#include <stdio.h> /* before ctl.h, which names FILE */

#include "tools/chaosctl/ctl.h"

#include <string.h>

static const ctl_command commands[] = {
    {"status", 0, 0, "", "uptime, connections, generation, loop lag, store"},
    {"reload", 0, 0, "", "rebuild content; prints each error when refused"},
    {"shutdown", 0, -1, "[REASON...]", "graceful shutdown"},
    {"who", 0, 1, "[PAGE]", "players online there, 20 a page, with the total"},
    {"inspect", 1, 1, "NAME", "a character: place, level, exp, gold, hp, connection"},
    {"kick", 1, -1, "NAME [REASON...]", "disconnect a player (saved as on logout)"},
    {"ban", 1, -1, "ACCOUNT [DURATION] [REASON...]",
     "no logins for DURATION (30m, 12h, 7d; none =\n"
     "                                              permanent, the default); kicks it if online"},
    {"unban", 1, 1, "ACCOUNT", "lift an account's ban"},
    {"teleport", 4, 4, "NAME ZONE X Y", "move an online character (standable point)"},
    {"announce", 1, -1, "TEXT...", "a line to every player of every server"},
    {"mute", 2, -1, "NAME MINUTES [REASON...]",
     "refuse a character's chat (with Redis: on every server)"},
    {"unmute", 1, 1, "NAME", "lift a mute"},
    {"mutes", 0, 0, "", "the mutes in force on that server (with Redis: everywhere)"},
    {"event", 1, 2, "start ID | stop ID | list", "world events by hand; kept across restarts"},
};

const ctl_command *ctl_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

void ctl_command_usage(FILE *out, const ctl_command *c)
{
    char head[96];
    snprintf(head, sizeof head, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
    fprintf(out, "  chaosctl %-34s %s\n", head, c->help);
}

void ctl_commands_usage(FILE *out)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        ctl_command_usage(out, &commands[i]);
}

int ctl_command_check(const ctl_command *c, int nargs)
{
    if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args)) {
        fputs("chaosctl: usage:\n", stderr);
        ctl_command_usage(stderr, c);
        fputs("(see chaosctl --help)\n", stderr);
        return 2;
    }
    return 0;
}
