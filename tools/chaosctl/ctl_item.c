/* ctl_item.c — `chaosctl item roll --template T --ilvl N --seed S`: the
 * content's generated item as one JSON line (items.roll_json in the offline
 * host: scripts/items/). Exit 0 with the line on stdout; 2 on bad usage or
 * content that fails to load; 1 when the roll fails (an unknown template). */
#include "tools/chaosctl/ctl.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: chaosctl item roll --template ID --ilvl N --seed S\n"
                 "                          [--scripts DIR] [--content DIR]\n"
                 "Generates the item the content rolls for (template, item level, seed) and\n"
                 "prints it as one JSON line (keys sorted). N: 1..10000; S: 0..2^53-1.\n"
                 "Exits 0, 1 when the roll fails (unknown template), 2 on bad usage or\n"
                 "content that fails to load.\n");
}

int ctl_item_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "roll") != 0) {
        fprintf(stderr, "chaosctl item: unknown subcommand \"%s\"\n", argv[1]);
        usage(stderr);
        return 2;
    }
    const char *tmpl = NULL, *ilvl = NULL, *seed = NULL;
    const char *scripts = "scripts", *content = "content";
    const ctl_opt opts[] = {{"--template", &tmpl},
                            {"--ilvl", &ilvl},
                            {"--seed", &seed},
                            {"--scripts", &scripts},
                            {"--content", &content}};
    int orc = ctl_offline_options("item roll", argc, argv, 2, opts,
                                  (int)(sizeof opts / sizeof opts[0]), usage);
    if (orc >= 0) return orc;
    if (!tmpl || !ilvl || !seed) {
        fprintf(stderr, "chaosctl item roll: --template, --ilvl and --seed are required\n");
        usage(stderr);
        return 2;
    }
    if (!ctl_parse_uint(ilvl, 1, 10000)) {
        fprintf(stderr, "chaosctl item roll: --ilvl must be an integer in [1, 10000]\n");
        return 2;
    }
    if (!ctl_parse_uint(seed, 0, (1ull << 53) - 1)) {
        fprintf(stderr, "chaosctl item roll: --seed must be an integer in [0, 2^53 - 1]\n");
        return 2;
    }
    const char *args[] = {tmpl, ilvl, seed};
    return ctl_offline_print("item roll", scripts, content, "items", "roll_json", args, 3);
}
