/* chaosctl — the operator and designer CLI. */
#include "tools/chaosctl/ctl.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: chaosctl COMMAND [options]\n"
            "\n"
            "Offline commands (no server needed):\n"
            "  script FILE.lua         run a Lua file in a full offline host (content loaded)\n"
            "  stats resolve …         resolve stat inputs (chaosctl stats --help)\n"
            "  item roll …             the item the content generates for a template, item\n"
            "                          level and seed, as JSON (chaosctl item --help)\n"
            "  gen dungeon …           the dungeon the content generates for a template and\n"
            "                          seed, as an ASCII map (chaosctl gen --help)\n"
            "  migrate status|up       database schema migrations (chaosctl migrate --help)\n"
            "  audit                   gold and exp of every character against the ledger\n"
            "                          (chaosctl audit --help)\n"
            "  cluster list|set|move|unset|processes\n"
            "                          which process owns which zone (chaosctl cluster --help)\n"
            "\n");
    ctl_admin_usage(out);
    fprintf(out, "\nExit codes: 0 success, 1 failure, 2 bad usage or input.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "stats")) return ctl_stats_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "item")) return ctl_item_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "gen")) return ctl_gen_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "script")) return ctl_script_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "migrate")) return ctl_migrate_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "audit")) return ctl_audit_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "cluster")) return ctl_cluster_main(argc - 1, argv + 1);
    if (ctl_command_find(cmd) || !strcmp(cmd, "raw")) return ctl_admin_main(argc - 1, argv + 1);
    /* Options may come before the command: let the admin client sort it out. */
    if (cmd[0] == '-') return ctl_admin_main(argc - 1, argv + 1);
    fprintf(stderr, "chaosctl: unknown command \"%s\" (see chaosctl --help)\n", cmd);
    return 2;
}
