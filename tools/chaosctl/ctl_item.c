/* ctl_item.c — `chaosctl item roll --template T --ilvl N --seed S`: the
 * content's generated item as one JSON line (items.roll_json in the offline
 * host: scripts/items/). Exit 0 with the line on stdout; 2 on bad usage or
 * content that fails to load; 1 when the roll fails (an unknown template). */
#include "tools/chaosctl/ctl.h"

#include "bindings/bindings.h"
#include "bindings/world.h"
#include "core/base/log.h"
#include "core/script/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A decimal integer in [lo, hi], the whole string. */
static int parse_int(const char *s, unsigned long long lo, unsigned long long hi)
{
    if (!s || !*s || *s < '0' || *s > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && v >= lo && v <= hi;
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
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        const char **slot = !strcmp(a, "--template")  ? &tmpl
                            : !strcmp(a, "--ilvl")    ? &ilvl
                            : !strcmp(a, "--seed")    ? &seed
                            : !strcmp(a, "--scripts") ? &scripts
                            : !strcmp(a, "--content") ? &content
                                                      : NULL;
        if (!slot) {
            fprintf(stderr, "chaosctl item roll: unknown option %s\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "chaosctl item roll: %s needs a value\n", a);
            return 2;
        }
        *slot = argv[++i];
    }
    if (!tmpl || !ilvl || !seed) {
        fprintf(stderr, "chaosctl item roll: --template, --ilvl and --seed are required\n");
        usage(stderr);
        return 2;
    }
    if (!parse_int(ilvl, 1, 10000)) {
        fprintf(stderr, "chaosctl item roll: --ilvl must be an integer in [1, 10000]\n");
        return 2;
    }
    if (!parse_int(seed, 0, (1ull << 53) - 1)) {
        fprintf(stderr, "chaosctl item roll: --seed must be an integer in [0, 2^53 - 1]\n");
        return 2;
    }
    cw_log_setup(CW_LOG_WARN, stderr);
    cw_host_config hc = {.scripts_dir = scripts,
                         .content_dir = content,
                         .budget_ms = 10000,
                         .load_budget_ms = 10000,
                         .seed = 1,
                         .open = cw_bindings_open,
                         .hook_names = cw_hook_names,
                         .nhook_names = cw_hook_count};
    cw_error err;
    cw_host *h = cw_host_new(&hc, &err);
    if (!h) {
        fprintf(stderr, "chaosctl item roll: content failed to load:\n%s", err.msg);
        return 2;
    }
    const char *args[] = {tmpl, ilvl, seed};
    cw_strbuf out = {0};
    int rc = cw_host_call_module(h, "items", "roll_json", args, 3, &out, &err);
    if (rc == 0)
        printf("%.*s\n", (int)out.len, out.data);
    else
        fprintf(stderr, "chaosctl item roll: %s\n", err.msg);
    cw_strbuf_free(&out);
    cw_host_free(h);
    return rc == 0 ? 0 : 1;
}
