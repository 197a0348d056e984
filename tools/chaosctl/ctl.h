/* ctl.h — chaosctl subcommands. Each returns the process exit code:
 * 0 success, 1 the server or the operation failed, 2 bad usage or bad input. */
#ifndef CW_TOOLS_CTL_H
#define CW_TOOLS_CTL_H

#include <stdio.h>

/* `chaosctl stats resolve …` — offline stat resolution (ctl_stats.c). argv[0] == "stats". */
int ctl_stats_main(int argc, char **argv);
/* `chaosctl script FILE.lua` — runs a Lua file in the offline host (ctl_script.c). */
int ctl_script_main(int argc, char **argv);
/* `chaosctl item roll …` — an item the content generates, as JSON (ctl_item.c). */
int ctl_item_main(int argc, char **argv);
/* `chaosctl gen dungeon …` — a dungeon the content generates, as ASCII (ctl_gen.c). */
int ctl_gen_main(int argc, char **argv);
/* ctl_offline.c, shared by the two above: loads scripts/ and content/ in an
 * offline host, calls module.fn(args…) (strings) and prints the string it
 * returns. Returns the exit code: 0, 1 when the call fails, 2 when the content
 * does not load (every file:line printed). `what` names the command in errors. */
int ctl_offline_print(const char *what, const char *scripts, const char *content,
                      const char *module, const char *fn, const char **args, int nargs);
/* One `--name VALUE` option of an offline command: where its value goes. */
typedef struct ctl_opt {
    const char *name; /* "--seed" */
    const char **value;
} ctl_opt;
/* Reads argv[first..argc) as `--name VALUE` pairs of opts[0..n). Returns -1
 * when all were read; else the exit code to return: 0 after --help/-h
 * (usage on stdout), 2 for an unknown option or one without a value (said on
 * stderr, naming `what`). */
int ctl_offline_options(const char *what, int argc, char **argv, int first, const ctl_opt *opts,
                        int n, void (*usage)(FILE *out));
/* 1 when s is a whole decimal integer in [lo, hi]. */
int ctl_parse_uint(const char *s, unsigned long long lo, unsigned long long hi);
/* `chaosctl COMMAND …` for a console command (ctl_commands.c) or `raw …` —
 * talks to the admin console (ctl_admin.c). */
int ctl_admin_main(int argc, char **argv);
void ctl_admin_usage(FILE *out); /* the admin part of `chaosctl --help` (ctl_admin.c) */
/* `chaosctl migrate status|up …` — database schema migrations (ctl_migrate.c). */
int ctl_migrate_main(int argc, char **argv);
/* `chaosctl audit` — the characters' gold and exp against the ledger (ctl_audit.c). */
int ctl_audit_main(int argc, char **argv);
/* `chaosctl cluster list|set|move|unset|processes` — the cluster map and the
 * processes announced in Redis (ctl_cluster.c). */
int ctl_cluster_main(int argc, char **argv);

/* The console commands chaosctl knows by name (ctl_commands.c). */
typedef struct ctl_command {
    const char *name;
    int min_args, max_args; /* words after the name; max -1 = any number */
    const char *args;       /* usage of the arguments, "" for none */
    const char *help;
} ctl_command;
const ctl_command *ctl_command_find(const char *name); /* NULL when not one of them */
void ctl_command_usage(FILE *out, const ctl_command *c);
void ctl_commands_usage(FILE *out); /* one line per command */
/* 0, or 2 after printing the command's usage when nargs does not fit. */
int ctl_command_check(const ctl_command *c, int nargs);

#endif
