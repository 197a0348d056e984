/* ctl_script.c — `chaosctl script FILE.lua`: the designer's test bench. The
 * file runs inside a full offline host: the engine runtime and the content
 * are loaded exactly as the server loads them, with no network. The host
 * clock starts at 0 and moves only by chaos.clock.set/advance and
 * chaos.sim.advance; the random seed is 1 unless --seed or chaos.random_seed
 * says otherwise. chaos.world runs over an offline world, driven by
 * chaos.sim (ctl_world.h). */
#include "tools/chaosctl/ctl.h"

#include "bindings/world.h"
#include "core/base/log.h"
#include "core/script/host.h"
#include "tools/chaosctl/ctl_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: chaosctl script FILE.lua [--scripts DIR] [--content DIR] [--seed N]\n"
                 "                               [--budget-ms MS] [--log-level LEVEL]\n"
                 "Runs FILE.lua in an offline host with scripts/ and content/ loaded.\n"
                 "chaos.sim drives an offline world (players, monsters, kills, the clock,\n"
                 "commits) through the same hooks and transactions as the server.\n"
                 "Exits 0 when it finishes, 1 when it raises an error (printed with traceback),\n"
                 "2 on bad usage or content that fails to load.\n");
}

int ctl_script_main(int argc, char **argv)
{
    const char *file = NULL, *scripts = "scripts", *content = "content", *level = "warn";
    unsigned long long seed = 1;
    int budget = 600000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (a[0] == '-' && i + 1 >= argc) {
            fprintf(stderr, "chaosctl script: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--scripts"))
            scripts = argv[++i];
        else if (!strcmp(a, "--content"))
            content = argv[++i];
        else if (!strcmp(a, "--seed"))
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--budget-ms"))
            budget = atoi(argv[++i]);
        else if (!strcmp(a, "--log-level"))
            level = argv[++i];
        else if (a[0] == '-') {
            fprintf(stderr, "chaosctl script: unknown option %s\n", a);
            return 2;
        } else if (!file)
            file = a;
        else {
            fprintf(stderr, "chaosctl script: one file at a time\n");
            return 2;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    int lvl = cw_log_level_parse(level);
    cw_log_setup(lvl < 0 ? CW_LOG_WARN : (cw_log_level)lvl, stderr);
    ctl_world *w = ctl_world_new(seed);
    if (!w) {
        fprintf(stderr, "chaosctl script: out of memory\n");
        return 2;
    }
    cw_host_config hc = {.scripts_dir = scripts,
                         .content_dir = content,
                         .budget_ms = budget > 0 ? budget : 600000,
                         .load_budget_ms = budget > 0 ? budget : 600000,
                         .seed = seed,
                         .open = ctl_world_open,
                         .open_ctx = ctl_world_ctx(w),
                         .hook_names = cw_hook_names,
                         .nhook_names = cw_hook_count};
    cw_error err;
    cw_host *h = cw_host_new(&hc, &err);
    if (!h) {
        fprintf(stderr, "chaosctl script: content failed to load:\n%s", err.msg);
        ctl_world_free(w);
        return 2;
    }
    ctl_world_attach(w, h);
    int rc = cw_host_run_file(h, file, &err);
    fflush(stdout);
    if (rc != 0) fprintf(stderr, "%s\n", err.msg);
    cw_host_free(h);
    ctl_world_free(w);
    return rc == 0 ? 0 : 1;
}
