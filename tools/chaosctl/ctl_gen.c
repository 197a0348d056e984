/* ctl_gen.c — `chaosctl gen dungeon --template ID --seed N`: the dungeon the
 * content generates for (template, seed), as ASCII (dungeon.ascii_map in the
 * offline host: scripts/dungeon/). # wall, . floor, S spawn, M monster,
 * C chest, B boss. Exit 0 with the map on stdout; 2 on bad usage or content
 * that fails to load; 1 when generation fails (an unknown template). */
#include "tools/chaosctl/ctl.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: chaosctl gen dungeon --template ID --seed N\n"
                 "                            [--scripts DIR] [--content DIR]\n"
                 "Prints the dungeon the content generates for (template, seed) as ASCII:\n"
                 "# wall, . floor, S spawn, M monster, C chest, B boss. N: 0..2^53-1.\n"
                 "The same template and seed always give the same map.\n"
                 "Exits 0, 1 when generation fails (unknown template), 2 on bad usage or\n"
                 "content that fails to load.\n");
}

int ctl_gen_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "dungeon") != 0) {
        fprintf(stderr, "chaosctl gen: unknown subcommand \"%s\"\n", argv[1]);
        usage(stderr);
        return 2;
    }
    const char *tmpl = NULL, *seed = NULL;
    const char *scripts = "scripts", *content = "content";
    const ctl_opt opts[] = {
        {"--template", &tmpl}, {"--seed", &seed}, {"--scripts", &scripts}, {"--content", &content}};
    int orc = ctl_offline_options("gen dungeon", argc, argv, 2, opts,
                                  (int)(sizeof opts / sizeof opts[0]), usage);
    if (orc >= 0) return orc;
    if (!tmpl || !seed) {
        fprintf(stderr, "chaosctl gen dungeon: --template and --seed are required\n");
        usage(stderr);
        return 2;
    }
    if (!ctl_parse_uint(seed, 0, (1ull << 53) - 1)) {
        fprintf(stderr, "chaosctl gen dungeon: --seed must be an integer in [0, 2^53 - 1]\n");
        return 2;
    }
    const char *args[] = {tmpl, seed};
    return ctl_offline_print("gen dungeon", scripts, content, "dungeon", "ascii_map", args, 2);
}
