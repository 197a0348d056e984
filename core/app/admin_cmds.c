/* admin_cmds.c — the console commands: status, reload, shutdown, announce;
 * and the registration of the operator commands of admin_players.c and
 * admin_bans.c. */
#include "core/app/cluster.h"
#include "core/app/combat_app.h"
#include "core/app/server.h"

#include "core/app/accounts.h"
#include "core/app/world_app.h"

#include "core/base/clock.h"
#include "core/io/cache/cache.h"
#include "core/io/admin/admin.h"
#include "core/io/net/net.h"
#include "core/script/host.h"

#include <stdlib.h>
#include <string.h>

static int cmd_status(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    cw_server *s = ud;
    cw_strbuf_puts(out, "\"server\":");
    cw_strbuf_json_str(out, s->cfg.server_name);
    cw_strbuf_printf(out,
                     ",\"uptime_s\":%.3f,\"connections\":%zu,\"generation\":%u,"
                     "\"lua_memory_bytes\":%zu,\"lua_errors\":%llu,\"loop_lag_ms\":%.3f,"
                     "\"loop_lag_max_ms\":%.3f,\"stopping\":%s,\"ops\":\"",
                     (double)(cw_now_ns() - s->start_ns) / 1e9, cw_net_count(s->net),
                     cw_host_generation(s->host), cw_host_lua_memory(s->host),
                     (unsigned long long)cw_host_errors(s->host), s->loop_lag_s * 1e3,
                     s->loop_lag_max_s * 1e3, s->stopping ? "true" : "false");
    cw_host_list_ops(s->host, out);
    cw_strbuf_printf(out, "\",\"sessions\":%zu,\"store\":{",
                     s->accounts ? s->accounts->logged_in : (size_t)0);
    cw_saver_status(s, out);
    cw_strbuf_puts(out, "}");
    cw_world_app_status(s, out);
    cw_strbuf_printf(out, ",\"redis\":{\"configured\":%s,\"available\":%s}",
                     s->cache ? "true" : "false",
                     s->cache && cw_cache_available(s->cache) ? "true" : "false");
    cw_cluster_status(s, out);
    cw_combat_app_status(s, out);
    return 0;
}

/* A reload the console waits for: built off the loop, answered when swapped
 * in or refused. */
typedef struct reload_answer {
    cw_server *s;
    cw_admin_pending *pending;
    uint64_t t0;
} reload_answer;

static void reload_done(void *ud, int rc, const char *errors)
{
    reload_answer *ra = ud;
    cw_strbuf out = CW_STRBUF_INIT;
    if (rc == 0) {
        cw_strbuf_printf(&out, "\"generation\":%u,\"ms\":%.3f", cw_host_generation(ra->s->host),
                         (double)(cw_now_ns() - ra->t0) / 1e6);
        cw_admin_answer(ra->pending, 0, out.data, NULL);
    } else {
        /* One array entry per error, "file:line: message", as the console expects. */
        cw_strbuf_puts(&out, "\"errors\":[");
        int n = 0;
        const char *first = NULL;
        for (const char *line = errors; line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            if (len) {
                if (n++) cw_strbuf_puts(&out, ",");
                cw_strbuf line_copy = CW_STRBUF_INIT;
                cw_strbuf_append(&line_copy, line, len);
                cw_strbuf_json_str(&out, line_copy.data);
                cw_strbuf_free(&line_copy);
                if (!first) first = line;
            }
            line = nl ? nl + 1 : NULL;
        }
        cw_strbuf_puts(&out, "]");
        cw_error err;
        if (rc == CW_ESCRIPT)
            cw_error_set(&err, rc, "reload refused (%d error%s); generation %u keeps serving", n,
                         n == 1 ? "" : "s", cw_host_generation(ra->s->host));
        else
            cw_error_set(&err, rc, "reload not done: %s", errors ? errors : cw_err_name(rc));
        cw_admin_answer(ra->pending, rc, out.data, err.msg);
    }
    cw_strbuf_free(&out);
    free(ra);
}

static int cmd_reload(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argc;
    (void)argv;
    (void)out;
    cw_server *s = ud;
    reload_answer *ra = calloc(1, sizeof *ra);
    if (!ra) return cw_error_set(err, CW_ENOMEM, "out of memory");
    ra->s = s;
    ra->t0 = cw_now_ns();
    ra->pending = cw_admin_defer(s->admin);
    if (!ra->pending) {
        free(ra);
        return cw_error_set(err, CW_ENOMEM, "cannot wait for the reload (out of memory)");
    }
    /* The watcher need not reload what this reload reads. */
    s->watch_sig = cw_server_tree_signature(s);
    int rc = cw_host_reload_async(s->host, reload_done, ra);
    if (rc != 0) {
        free(ra);
        return cw_error_set(err, rc, "the reload could not start");
    }
    return CW_ADMIN_DEFERRED;
}

static int cmd_shutdown(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)err;
    cw_server *s = ud;
    cw_server_shutdown(s, argc > 1 ? argv[1] : "admin");
    cw_strbuf_printf(out, "\"grace_ms\":%d", s->cfg.shutdown_grace_ms);
    return 0;
}

static int cmd_announce(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    if (argc < 2) return cw_error_set(err, CW_EINVAL, "usage: announce TEXT…");
    /* Every client shows it: the text policy (no ESC, controls, bidi tricks). */
    cw_strbuf text = CW_STRBUF_INIT;
    int rc = cw_admin_text_arg(argc, argv, 1, CW_ANNOUNCE_MAX, "TEXT", &text, err);
    if (rc) {
        cw_strbuf_free(&text);
        return rc;
    }
    rc = cw_presence_announce(s, text.data);
    cw_strbuf_free(&text);
    if (rc)
        return cw_error_set(err, CW_EUNAVAIL,
                            "Redis is unavailable; the announcement was not sent");
    cw_strbuf_printf(out, "\"via\":\"%s\"", s->cache ? "redis" : "local");
    return 0;
}

int cw_server_admin_commands(cw_server *s)
{
    int rc = 0;
    rc |= cw_admin_register(s->admin, "status",
                            "uptime, connections, content generation, Lua memory, loop lag, "
                            "sessions, store health and dirty characters",
                            cmd_status, s);
    rc |= cw_admin_register(s->admin, "reload",
                            "rebuild content from disk; refused with every error if any file fails",
                            cmd_reload, s);
    rc |= cw_admin_register(s->admin, "announce",
                            "TEXT…: send {\"ev\":\"announce\"} to every player of every server",
                            cmd_announce, s);
    rc |=
        cw_admin_register(s->admin, "shutdown",
                          "stop accepting, tell clients, flush and exit [reason]", cmd_shutdown, s);
    if (rc) return CW_ENOMEM;
    rc = cw_players_admin_commands(s);
    return rc ? rc : cw_bans_admin_commands(s);
}
