/* ctl_stats.c — `chaosctl stats resolve`: offline stat resolution.
 *
 * Reads a combiner registry, optional cap layers and an array of subsystem
 * outputs (spec/stats.md), resolves one actor and prints its snapshot as one
 * JSON object. Exit 0 on success, 2 on bad usage or bad input (with the
 * offending element named on stderr), 1 when memory runs out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/chaosctl/ctl.h"
#include "tools/chaosctl/stats_json.h"

static const char usage[] =
    "usage: chaosctl stats resolve --registry REGISTRY.json [--layers LAYERS.json]\n"
    "                              [--realm REALM] [INPUT.json | -]\n"
    "\n"
    "Resolves one actor from the subsystem outputs in INPUT (stdin when absent or -)\n"
    "and prints its snapshot as one JSON object:\n"
    "  {\"primary\": {dim: value}, \"derived\": {dim: value},\n"
    "   \"caps_used\": {dim: {\"min\": n, \"max\": n}}, \"context\": {name: pack}, \"version\": "
    "n}\n"
    "Unbounded sides print as null.\n"
    "\n"
    "  REGISTRY  {\"default\": RULE, \"dimensions\": {name: RULE},\n"
    "             \"formulas\": {name: {\"weights\": {dim: w}, \"constant\": c}}}\n"
    "            RULE = {\"use_pipeline\": true, \"operator\": \"SUM|MAX|MIN|AVERAGE|MULTIPLY\",\n"
    "                    \"clamp_default\": {\"min\": n, \"max\": n}}\n"
    "  LAYERS    {\"order\": [\"REALM\", \"WORLD\", \"EVENT\", \"TOTAL\"],\n"
    "             \"across_policy\": \"INTERSECT|PRIORITIZED_OVERRIDE\"}\n"
    "  INPUT     [{\"primary\": [...], \"derived\": [...], \"caps\": [...], \"context\": {...},\n"
    "              \"meta\": {\"system\": \"race\", \"realm\": \"optional\"}}, ...]\n"
    "  --realm   the actor's current realm (overrides meta.realm); REALM caps of\n"
    "            other realms do not apply, and none apply when no realm is set.\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or bad input (the element is named on stderr),\n"
    "1 out of memory. See docs/stats.md.\n";

/* Reads a whole file ("-" = stdin) into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "chaosctl stats: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = cap > (SIZE_MAX / 2) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || failed) {
        fprintf(stderr, "chaosctl stats: %s: read failed\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int resolve_main(int argc, char **argv)
{
    const char *registry = NULL, *layers = NULL, *realm = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--registry") == 0 ? &registry
                            : strcmp(a, "--layers") == 0 ? &layers
                            : strcmp(a, "--realm") == 0  ? &realm
                                                         : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "chaosctl stats resolve: %s needs a value\n%s", a, usage);
                return 2;
            }
            *slot = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "chaosctl stats resolve: unknown option %s\n%s", a, usage);
            return 2;
        } else if (input) {
            fprintf(stderr, "chaosctl stats resolve: more than one INPUT\n%s", usage);
            return 2;
        } else {
            input = a;
        }
    }
    if (!registry) {
        fprintf(stderr, "chaosctl stats resolve: --registry is required\n%s", usage);
        return 2;
    }
    size_t rlen = 0, llen = 0, ilen = 0;
    char *rtext = slurp(registry, &rlen);
    char *ltext = layers && rtext ? slurp(layers, &llen) : NULL;
    char *itext = rtext && (!layers || ltext) ? slurp(input ? input : "-", &ilen) : NULL;
    int code = 2;
    if (itext) {
        char *out = NULL;
        cw_error err = {0};
        int rc =
            cw_stats_json_resolve_text(rtext, rlen, ltext, llen, itext, ilen, realm, &out, &err);
        if (rc == 0) {
            puts(out);
            code = fflush(stdout) == 0 ? 0 : 1;
        } else {
            fprintf(stderr, "chaosctl stats: %s\n", err.msg);
            code = rc == CW_ENOMEM ? 1 : 2;
        }
        free(out);
    }
    free(rtext);
    free(ltext);
    free(itext);
    return code;
}

int ctl_stats_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "resolve") == 0) return resolve_main(argc - 1, argv + 1);
    fprintf(stderr, "chaosctl stats: unknown command \"%s\"\n%s", argv[1], usage);
    return 2;
}
