/* ctl_migrate.c — `chaosctl migrate status|up`: database schema migrations.
 *
 *   chaosctl migrate status [--store URL] [--migrations DIR]
 *   chaosctl migrate up     [--store URL] [--migrations DIR]
 *
 * URL defaults to sqlite:var/chaos.db, DIR to migrations (holding sqlite/ and
 * postgres/). Exit 0 on success (status succeeds with pending migrations
 * too), 1 when the database is unreachable, a migration fails or the schema
 * is newer than the files, 2 on bad usage. See docs/persistence.md. */
#include "tools/chaosctl/ctl.h"

#include "core/io/store/store.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: chaosctl migrate status|up [--store URL] [--migrations DIR]\n"
    "\n"
    "  status   print the applied version, the latest known one and how many are pending\n"
    "  up       apply every pending migration, each in its own transaction\n"
    "\n"
    "  --store URL        sqlite:PATH or postgres://user@host:port/db (default "
    "sqlite:var/chaos.db)\n"
    "  --migrations DIR   root holding sqlite/ and postgres/ (default migrations)\n";

int ctl_migrate_main(int argc, char **argv)
{
    const char *action = NULL, *url = "sqlite:var/chaos.db", *dir = "migrations";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--store") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(a, "--migrations") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!action && (!strcmp(a, "status") || !strcmp(a, "up"))) {
            action = a;
        } else {
            fprintf(stderr, "chaosctl migrate: unexpected argument \"%s\"\n%s", a, usage);
            return 2;
        }
    }
    if (!action) {
        fputs(usage, stderr);
        return 2;
    }
    cw_store_config cfg = {url, dir, 0, NULL, NULL, 0};
    cw_migration_status st = {0, 0, 0};
    cw_error err = {0};
    int up = !strcmp(action, "up");
    int rc = up ? cw_store_migrate_up(&cfg, &st, &err) : cw_store_migration_status(&cfg, &st, &err);
    if (rc != 0) {
        fprintf(stderr, "chaosctl migrate %s: %s\n", action, err.msg);
        return 1;
    }
    printf("store: %s\ncurrent: %d\nlatest: %d\npending: %d\n", url, st.current, st.latest,
           st.pending);
    if (!up && st.pending) printf("run: chaosctl migrate up --store %s\n", url);
    return 0;
}
