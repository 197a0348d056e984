/* main.c — chaosd: parse settings, start the server, run it.
 *
 * Also the process-wide setup no module may do for itself: every log line is
 * JSON, so libevent's own messages (and its fatal errors) go through cw_log;
 * and the open-file limit is raised and net.max_connections fitted to it. */
#include "core/app/server.h"

#include "bindings/bindings.h"
#include "bindings/world.h"
#include "core/base/fdlimit.h"
#include "core/base/log.h"
#include "core/base/thread.h"
#include "core/script/host.h"

#include <event2/event.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define CHAOS_VERSION "0.1.0"

static const struct {
    const char *flag;
    const char *key;
} aliases[] = {
    {"--host", "net.host"},           {"--port", "net.port"},
    {"--admin-port", "admin.port"},   {"--http-port", "http.port"},
    {"--scripts", "lua.scripts_dir"}, {"--content", "lua.content_dir"},
    {"--var", "server.var_dir"},      {"--log-level", "log.level"},
    {"--name", "server.name"},        {"--store", "store.url"},
    {"--redis", "redis.url"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: chaosd [options]\n"
                 "\n"
                 "Hosts one shard of Chaos World: game clients on TCP, the Lua content, the admin\n"
                 "console and the HTTP endpoints. Settings come from, lowest precedence first:\n"
                 "built-in defaults, the Lua config file, CHAOS_<KEY> environment variables\n"
                 "(CHAOS_NET_PORT=7777 sets net.port), then the flags below.\n"
                 "\n"
                 "options:\n"
                 "  --help               this text\n"
                 "  --version            print the version\n"
                 "  --config FILE        Lua config file returning a table (also CHAOS_CONFIG)\n"
                 "  --set KEY=VALUE      set any setting below (repeatable)\n"
                 "  --check              load scripts and content, report every error, exit\n"
                 "  --print-config       print the effective settings and exit\n"
                 "  --migrate            apply pending database migrations at start\n");
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        fprintf(out, "  %-12s VALUE    same as --set %s=VALUE\n", aliases[i].flag, aliases[i].key);
    fprintf(out, "\nsettings (default):\n");
    for (int i = 0; i < cw_config_nkeys; i++)
        fprintf(out, "  %-26s %s (%s)\n", cw_config_keys[i].key, cw_config_keys[i].help,
                cw_config_keys[i].def[0] ? cw_config_keys[i].def : "\"\"");
    fprintf(out, "\nsignals: SIGTERM/SIGINT shut down gracefully, SIGHUP reloads content.\n");
}

/* libevent prints its warnings to stderr as plain text unless told
 * otherwise. It must not be called back into from here; cw_log does not. */
static void libevent_log(int severity, const char *msg)
{
    cw_log_level lvl = severity == EVENT_LOG_DEBUG  ? CW_LOG_DEBUG
                       : severity == EVENT_LOG_MSG  ? CW_LOG_INFO
                       : severity == EVENT_LOG_WARN ? CW_LOG_WARN
                                                    : CW_LOG_ERROR;
    cw_log(lvl, "libevent", CW_S("message", msg), CW_I("severity", severity), CW_END);
}

/* libevent's fatal errors (a broken invariant: it would exit(1)): say so in
 * the log, then abort so that the core dump shows where. */
static void libevent_fatal(int code)
{
    cw_log(CW_LOG_ERROR, "libevent fatal error: aborting", CW_I("code", code), CW_END);
    abort();
}

/* Raises the open-file limit and fits net.max_connections under it, keeping
 * net.fd_reserve descriptors for everything else. Returns 0 to go on. */
static int fit_fd_limit(cw_server *s)
{
    cw_fdlimit fl;
    int want = s->cfg.net_max_connections, reserve = s->cfg.net_fd_reserve;
    int rc = cw_fdlimit_apply(want, reserve, &fl);
    if (rc == CW_EIO) {
        cw_log(CW_LOG_WARN, "cannot read the open-file limit (RLIMIT_NOFILE); not checked", CW_END);
        return 0;
    }
    if (rc != 0) {
        cw_log(CW_LOG_ERROR,
               "the open-file limit leaves no descriptor for game connections: raise the "
               "nofile limit or lower net.fd_reserve",
               CW_I("nofile", fl.soft), CW_I("nofile_hard", fl.hard), CW_I("fd_reserve", reserve),
               CW_END);
        return -1;
    }
    if (fl.lowered) {
        cw_log(CW_LOG_WARN,
               "net.max_connections lowered to fit the open-file limit (raise the hard nofile "
               "limit to allow more)",
               CW_I("max_connections", fl.max_connections), CW_I("configured", want),
               CW_I("nofile", fl.soft), CW_I("nofile_hard", fl.hard), CW_I("fd_reserve", reserve),
               CW_END);
        s->cfg.net_max_connections = fl.max_connections;
    } else {
        cw_log(CW_LOG_INFO, "open-file limit", CW_I("nofile", fl.soft),
               CW_I("nofile_before", fl.soft_before), CW_I("nofile_hard", fl.hard),
               CW_I("max_connections", want), CW_I("fd_reserve", reserve), CW_END);
    }
    return 0;
}

/* Returns 0 to run, 1 to exit successfully, 2 on a usage error. */
static int parse(cw_server *s, int argc, char **argv, int *check, int *print)
{
    cw_error err;
    const char *config = getenv("CHAOS_CONFIG");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[i + 1];
    if (config && config[0] && cw_config_load_lua(&s->cfg, config, &err) != 0) {
        fprintf(stderr, "chaosd: %s\n", err.msg);
        return 2;
    }
    static const char *const ignore[] = {"CHAOS_CONFIG", "CHAOS_ADMIN_TOKEN", "CHAOS_ADMIN_ADDR",
                                         NULL};
    cw_strbuf unknown = CW_STRBUF_INIT;
    if (cw_config_apply_env(&s->cfg, environ, ignore, &unknown, &err) != 0) {
        fprintf(stderr, "chaosd: %s\n", err.msg);
        cw_strbuf_free(&unknown);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cw_strbuf_free(&unknown);
            return 1;
        }
        if (!strcmp(a, "--version")) {
            printf("chaosd %s\n", CHAOS_VERSION);
            cw_strbuf_free(&unknown);
            return 1;
        }
        if (!strcmp(a, "--check")) {
            *check = 1;
            continue;
        }
        if (!strcmp(a, "--print-config")) {
            *print = 1;
            continue;
        }
        if (!strcmp(a, "--migrate")) {
            cw_config_set(&s->cfg, "store.migrate", "true", NULL);
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "chaosd: unknown or incomplete option %s (see --help)\n", a);
            cw_strbuf_free(&unknown);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--config")) continue;
        const char *key = NULL;
        char keybuf[128];
        if (!strcmp(a, "--set")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof keybuf) {
                fprintf(stderr, "chaosd: --set needs KEY=VALUE, got \"%s\"\n", v);
                cw_strbuf_free(&unknown);
                return 2;
            }
            memcpy(keybuf, v, (size_t)(eq - v));
            keybuf[eq - v] = '\0';
            key = keybuf;
            v = eq + 1;
        } else {
            for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++)
                if (!strcmp(a, aliases[k].flag)) key = aliases[k].key;
        }
        if (!key) {
            fprintf(stderr, "chaosd: unknown option %s (see --help)\n", a);
            cw_strbuf_free(&unknown);
            return 2;
        }
        if (cw_config_set(&s->cfg, key, v, &err) != 0) {
            fprintf(stderr, "chaosd: %s\n", err.msg);
            cw_strbuf_free(&unknown);
            return 2;
        }
    }
    int lvl = cw_log_level_parse(s->cfg.log_level);
    if (lvl < 0) {
        fprintf(stderr, "chaosd: log.level: unknown level \"%s\"\n", s->cfg.log_level);
        cw_strbuf_free(&unknown);
        return 2;
    }
    cw_log_setup((cw_log_level)lvl, NULL);
    cw_thread_set_background_nice(s->cfg.background_nice); /* before any thread starts */
    if (unknown.len)
        cw_log(CW_LOG_WARN, "ignoring CHAOS_ variables that name no setting (typo?)",
               CW_S("variables", unknown.data), CW_END);
    cw_strbuf_free(&unknown);
    return 0;
}

static int check_content(cw_server *s)
{
    cw_host_config hc = {.scripts_dir = s->cfg.lua_scripts_dir,
                         .content_dir = s->cfg.lua_content_dir,
                         .budget_ms = s->cfg.lua_budget_ms,
                         .memory_mb = s->cfg.lua_memory_mb,
                         .seed = 1,
                         .open = cw_bindings_open,
                         .open_ctx = NULL, /* no world: checks only load */
                         .hook_names = cw_hook_names,
                         .nhook_names = cw_hook_count};
    cw_error err;
    cw_host *h = cw_host_new(&hc, &err);
    if (!h) {
        fprintf(stderr, "%s", err.msg);
        return 1;
    }
    cw_strbuf ops = CW_STRBUF_INIT;
    cw_host_list_ops(h, &ops);
    printf("content ok: ops %s\n", ops.data ? ops.data : "(none)");
    cw_strbuf_free(&ops);
    cw_host_free(h);
    return 0;
}

int main(int argc, char **argv)
{
    event_set_log_callback(libevent_log);
    event_set_fatal_callback(libevent_fatal);
    cw_server s;
    memset(&s, 0, sizeof s);
    if (cw_config_init(&s.cfg) != 0) {
        fprintf(stderr, "chaosd: out of memory\n");
        return 1;
    }
    int check = 0, print = 0;
    int rc = parse(&s, argc, argv, &check, &print);
    if (rc) {
        cw_config_free(&s.cfg);
        return rc == 1 ? 0 : 2;
    }
    if (print) {
        for (int i = 0; i < cw_config_nkeys; i++) {
            char buf[512];
            cw_config_get(&s.cfg, cw_config_keys[i].key, buf, sizeof buf);
            printf("%s = %s\n", cw_config_keys[i].key,
                   !strcmp(cw_config_keys[i].key, "admin.token") && buf[0] ? "(set)" : buf);
        }
        cw_config_free(&s.cfg);
        return 0;
    }
    if (check) {
        rc = check_content(&s);
        cw_config_free(&s.cfg);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    if (fit_fd_limit(&s) != 0) {
        cw_config_free(&s.cfg);
        return 1;
    }
    cw_error err;
    if (cw_server_start(&s, &err) != 0) {
        cw_log(CW_LOG_ERROR, "chaosd failed to start", CW_S("error", err.msg), CW_END);
        cw_server_free(&s);
        return 1;
    }
    rc = cw_server_run(&s);
    cw_server_free(&s);
    return rc;
}
