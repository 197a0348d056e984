/* ctl_offline.c — what the offline generators of chaosctl share (`item roll`,
 * `gen dungeon`): loading the content in an offline host and printing what one
 * engine function returns, and parsing their numeric options. See ctl.h. */
#include "tools/chaosctl/ctl.h"

#include "bindings/bindings.h"
#include "bindings/world.h"
#include "core/base/log.h"
#include "core/script/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_offline_options(const char *what, int argc, char **argv, int first, const ctl_opt *opts,
                        int n, void (*usage)(FILE *out))
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        const char **slot = NULL;
        for (int k = 0; k < n && !slot; k++)
            if (!strcmp(a, opts[k].name)) slot = opts[k].value;
        if (!slot) {
            fprintf(stderr, "chaosctl %s: unknown option %s\n", what, a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "chaosctl %s: %s needs a value\n", what, a);
            return 2;
        }
        *slot = argv[++i];
    }
    return -1;
}

int ctl_parse_uint(const char *s, unsigned long long lo, unsigned long long hi)
{
    if (!s || *s < '0' || *s > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && v >= lo && v <= hi;
}

int ctl_offline_print(const char *what, const char *scripts, const char *content,
                      const char *module, const char *fn, const char **args, int nargs)
{
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
        fprintf(stderr, "chaosctl %s: content failed to load:\n%s", what, err.msg);
        return 2;
    }
    cw_strbuf out = {0};
    int rc = cw_host_call_module(h, module, fn, args, nargs, &out, &err);
    if (rc == 0)
        printf("%.*s\n", (int)out.len, out.data);
    else
        fprintf(stderr, "chaosctl %s: %s\n", what, err.msg);
    cw_strbuf_free(&out);
    cw_host_free(h);
    return rc == 0 ? 0 : 1;
}
