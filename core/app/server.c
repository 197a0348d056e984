/* server.c — wiring: builds every subsystem in order, runs the loop, and
 * tears down in reverse. Also the loop-health probe, the file watcher that
 * drives hot reload, and graceful shutdown. */
#include "core/app/trade_app.h"
#include "core/app/guild_app.h"
#include "core/app/server.h"

#include "bindings/bindings.h"
#include "core/app/accounts.h"
#include "core/app/claims.h"
#include "core/app/cluster.h"
#include "bindings/world.h"
#include "core/app/script_app.h"
#include "core/app/world_app.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/admin/admin.h"
#include "core/io/http/http.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"
#include "core/io/work/work.h"
#include "core/script/host.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#define LAG_PERIOD_MS 100

/* ---- game connections ----------------------------------------------------- */

static void on_open(void *ud, cw_conn *c)
{
    cw_session_open(ud, c);
}

static void on_request(void *ud, cw_conn *c, const cw_request *req)
{
    cw_server *s = ud;
    cw_router_dispatch(s->router, c, req);
}

static void on_close(void *ud, cw_conn *c, const char *reason)
{
    (void)reason;
    cw_session_close(ud, c); /* its character is saved (write-behind, now) */
}

/* ---- HTTP ------------------------------------------------------------------- */

static int http_healthz(void *ud, cw_strbuf *body, const char **ctype)
{
    cw_server *s = ud;
    (void)ctype;
    cw_strbuf_printf(body, "{\"status\":\"%s\",\"generation\":%u,\"connections\":%zu}",
                     s->stopping ? "stopping" : "ok", cw_host_generation(s->host),
                     cw_net_count(s->net));
    return s->stopping ? 503 : 200;
}

static int http_metrics(void *ud, cw_strbuf *body, const char **ctype)
{
    cw_server *s = ud;
    *ctype = "text/plain; version=0.0.4";
    cw_metrics_render(s->metrics, body);
    return 200;
}

/* ---- loop lag: a periodic timer measures how late it fires ---------------- */

static void on_lag(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    uint64_t now = cw_now_ns();
    double lag = now > s->lag_expected_ns ? (double)(now - s->lag_expected_ns) / 1e9 : 0;
    s->loop_lag_s = lag;
    if (lag > s->loop_lag_max_s) s->loop_lag_max_s = lag;
    cw_histogram_observe(s->m_lag, lag);
    s->lag_expected_ns = now + (uint64_t)LAG_PERIOD_MS * 1000000ull;
}

/* ---- hot reload on file change ------------------------------------------- */

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    uint64_t sig = cw_server_tree_signature(s);
    if (sig == s->watch_sig || s->stopping) return;
    s->watch_sig = sig;
    cw_log(CW_LOG_INFO, "content changed on disk, reloading", CW_END);
    /* Built off the loop; the outcome is logged by the host. A save while a
     * build runs queues one more build. */
    int rc = cw_host_reload_async(s->host, NULL, NULL);
    if (rc != 0)
        cw_log(CW_LOG_ERROR, "reload could not start", CW_S("error", cw_err_name(rc)), CW_END);
}

/* The host calls this on the loop right after every reload swap, before it
 * answers whoever asked: the world's tables follow the new generation in the
 * same loop iteration. */
/* ctx is the host's open_ctx: the binding's game table, whose ud is the server. */
static void after_swap(void *ctx, unsigned generation)
{
    (void)generation;
    cw_world_app_reload(((cw_bind_game *)ctx)->ud);
}

/* Synchronous: blocks the loop for the whole build (tools and tests; the
 * console, the watcher and SIGHUP use cw_host_reload_async). */
int cw_server_reload(cw_server *s, cw_strbuf *errors)
{
    int rc = cw_host_reload(s->host, errors);
    s->watch_sig = cw_server_tree_signature(s);
    return rc;
}

/* ---- signals and shutdown ------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    cw_server *s = arg;
    if (sig == SIGHUP) {
        cw_log(CW_LOG_INFO, "SIGHUP: reloading content", CW_END);
        int rc = cw_host_reload_async(s->host, NULL, NULL);
        if (rc != 0)
            cw_log(CW_LOG_ERROR, "reload could not start", CW_S("error", cw_err_name(rc)), CW_END);
        return;
    }
    if (s->stopping) {
        cw_log(CW_LOG_WARN, "second signal: exiting now", CW_END);
        event_base_loopbreak(s->base);
        return;
    }
    cw_server_shutdown(s, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_shutdown_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cw_server *s = arg;
    if (!s->final_flush_done) return; /* the characters are being saved: that is not cut short */
    size_t pending = cw_net_pending_output(s->net);
    if (pending == 0 || cw_now_ns() >= s->stop_deadline_ns) {
        cw_log(CW_LOG_INFO, "shutdown complete", CW_I("unflushed_bytes", pending),
               CW_I("connections", cw_net_count(s->net)), CW_END);
        event_base_loopbreak(s->base);
    }
}

static void final_flush_done(void *ud, int rc)
{
    cw_server *s = ud;
    s->final_flush_done = 1;
    cw_claims_shutdown(s); /* every character is saved: the accounts are free */
    /* The socket flush gets its full grace from now on. */
    s->stop_deadline_ns = cw_now_ns() + (uint64_t)s->cfg.shutdown_grace_ms * 1000000ull;
    cw_log(rc ? CW_LOG_ERROR : CW_LOG_INFO, "shutdown: final save done",
           CW_S("result", cw_err_name(rc)), CW_END);
}

void cw_server_shutdown(cw_server *s, const char *reason)
{
    if (s->stopping) return;
    s->stopping = 1;
    cw_log(CW_LOG_INFO, "shutting down", CW_S("reason", reason),
           CW_I("connections", cw_net_count(s->net)), CW_END);
    cw_net_stop_accepting(s->net);
    cw_strbuf b = CW_STRBUF_INIT;
    cw_strbuf_puts(&b, "{\"ev\":\"shutdown\",\"reason\":");
    cw_strbuf_json_str(&b, reason);
    cw_strbuf_printf(&b, ",\"grace_ms\":%d}", s->cfg.shutdown_grace_ms);
    cw_net_broadcast(s->net, b.data, b.len);
    cw_strbuf_free(&b);
    s->stop_deadline_ns = cw_now_ns() + (uint64_t)s->cfg.shutdown_grace_ms * 1000000ull;
    /* Give clients a moment to read the notice, then poll until flushed. */
    s->shutdown_ev = event_new(s->base, -1, EV_PERSIST, on_shutdown_tick, s);
    struct timeval tv = {0, 20000};
    event_add(s->shutdown_ev, &tv);
    /* Save every changed character; the loop stops only after this. */
    cw_presence_shutdown(s);
    cw_cluster_shutdown(s);
    cw_saver_flush_all(s, final_flush_done, s);
}

/* ---- start / run / free --------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static struct event *periodic(cw_server *s, int ms, event_callback_fn fn)
{
    struct event *ev = event_new(s->base, -1, EV_PERSIST, fn, s);
    if (ev) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        event_add(ev, &tv);
    }
    return ev;
}

/* The store (store.url; empty = sqlite:<var_dir>/chaos.db), the password
 * pool, the player table, sessions and the saver. */
static int start_store(cw_server *s, cw_error *err)
{
    char url[4200];
    if (s->cfg.store_url && s->cfg.store_url[0])
        snprintf(url, sizeof url, "%s", s->cfg.store_url);
    else
        snprintf(url, sizeof url, "sqlite:%s/chaos.db", s->cfg.var_dir);
    cw_store_config sc = {
        .url = url,
        .migrations_dir = "migrations",
        .migrate = s->cfg.store_migrate,
        .base = s->base,
        .metrics = s->metrics,
        .retry_deadline_ms = s->cfg.store_retry_deadline_ms,
    };
    /* A database that is not up yet (a host rebooting, a database starting
     * beside us) is waited for, as a database call would be: retried with
     * backoff until store.retry_deadline_ms. Anything else stops the start. */
    uint64_t give_up = cw_now_ns() + (uint64_t)s->cfg.store_retry_deadline_ms * 1000000ull;
    unsigned wait_ms = 250;
    while (!(s->store = cw_store_open(&sc, err))) {
        int code = err && err->code ? err->code : CW_EUNAVAIL;
        if (code != CW_EUNAVAIL || cw_now_ns() >= give_up || s->stopping) return code;
        cw_log(CW_LOG_WARN, "database unreachable at start; retrying", CW_S("error", err->msg),
               CW_I("retry_in_ms", wait_ms), CW_END);
        struct timespec ts = {(time_t)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (wait_ms < 2000) wait_ms *= 2;
    }
    cw_log(CW_LOG_INFO, "store open", CW_S("backend", cw_store_backend(s->store)), CW_END);
    s->work = cw_work_new(s->base, s->cfg.auth_workers, err);
    if (!s->work) return CW_EIO;
    s->players = cw_players_new();
    if (!s->players) return cw_error_set(err, CW_ENOMEM, "out of memory");
    cw_players_on_item(s->players, cw_item_done, s);
    int rc = cw_trade_app_new(s, err);
    if (rc == 0) rc = cw_accounts_new(s, err);
    if (rc == 0) rc = cw_saver_new(s, err);
    return rc;
}

int cw_server_start(cw_server *s, cw_error *err)
{
    cw_guild_app_rules(s, -1, -1, -1); /* defaults until the content's settings load */
    int rc;
    s->start_ns = cw_now_ns();
    s->seed = s->cfg.seed ? (uint64_t)s->cfg.seed : (uint64_t)cw_wall_ms() ^ s->start_ns;
    if (mkdir_p(s->cfg.var_dir) != 0)
        return cw_error_set(err, CW_EIO, "cannot create %s: %s", s->cfg.var_dir, strerror(errno));
    /* Worker threads (store, work pool) wake the loop through pipes, so the
     * loop runs without libevent's locks (evthread_use_pthreads is not used). */
    s->base = event_base_new();
    s->metrics = cw_metrics_new();
    if (!s->base || !s->metrics)
        return cw_error_set(err, CW_ENOMEM, "cannot create the event loop");
    s->m_lag = cw_metrics_histogram(s->metrics, "chaos_loop_lag_seconds",
                                    "how late a 100 ms loop timer fires", NULL, NULL, NULL, 0);

    cw_host_config hc = {
        .scripts_dir = s->cfg.lua_scripts_dir,
        .content_dir = s->cfg.lua_content_dir,
        .budget_ms = s->cfg.lua_budget_ms,
        .jit = s->cfg.lua_jit,
        .memory_mb = s->cfg.lua_memory_mb,
        .seed = s->seed,
        .base = s->base,
        .metrics = s->metrics,
        .open = cw_bindings_open,
        .open_ctx = NULL, /* the binding's game table, set below */
        .hook_names = cw_hook_names,
        .nhook_names = cw_hook_count,
        .on_swap = after_swap,
    };
    if ((rc = cw_script_app_new(s, err)) != 0) return rc;
    hc.open_ctx = cw_script_app_bind(s);
    s->host = cw_host_new(&hc, err);
    if (!s->host) return CW_ESCRIPT;
    /* The router reserves its op names in the host. Scripts loaded before
     * that could have claimed a core op: they are shadowed by the core (the
     * router checks C ops first) and refused from the next reload on. */
    s->router = cw_router_new(s);
    if (!s->router) return cw_error_set(err, CW_ENOMEM, "out of memory");
    if ((rc = start_store(s, err)) != 0) return rc;
    if ((rc = cw_world_app_start(s, err)) != 0) return rc;
    if ((rc = cw_script_app_start(s, err)) != 0) return rc;
    cw_events_restore(s);
    if ((rc = cw_presence_start(s, err)) != 0) return rc;
    if ((rc = cw_chat_start(s, err)) != 0) return rc;
    if ((rc = cw_claims_start(s, err)) != 0) return rc;
    if ((rc = cw_guild_bus_start(s, err)) != 0) return rc;

    cw_net_config nc;
    cw_net_config_defaults(&nc);
    nc.host = s->cfg.net_host;
    nc.port = s->cfg.net_port;
    nc.max_frame = (size_t)s->cfg.net_max_frame;
    nc.max_connections = s->cfg.net_max_connections;
    nc.rate = s->cfg.net_rate;
    nc.burst = s->cfg.net_burst;
    nc.abuse_strikes = s->cfg.net_abuse_strikes;
    nc.idle_timeout_ms = s->cfg.net_idle_timeout_s * 1000;
    nc.max_output = (size_t)s->cfg.net_max_output;
    nc.fd_reserve = s->cfg.net_fd_reserve;
    cw_net_handler nh = {
        .ud = s, .on_open = on_open, .on_request = on_request, .on_close = on_close};
    s->net = cw_net_new(s->base, &nc, &nh, s->metrics, err);
    if (!s->net) return CW_EIO;
    if ((rc = cw_cluster_start(s, err)) != 0) return rc;

    if ((rc = cw_server_admin_token(s, err)) != 0) return rc;
    s->admin = cw_admin_new(s->base, s->cfg.admin_host, s->cfg.admin_port, s->admin_token, err);
    if (!s->admin) return CW_EIO;
    cw_admin_set_metrics(s->admin, s->metrics);
    if ((rc = cw_server_admin_commands(s)) != 0 || (rc = cw_admin_store_commands(s)) != 0 ||
        (rc = cw_chat_admin_commands(s)) != 0 || (rc = cw_events_admin_commands(s)) != 0)
        return cw_error_set(err, rc, "cannot register admin commands");

    s->http = cw_http_new(s->base, s->cfg.http_host, s->cfg.http_port, err);
    if (!s->http) return CW_EIO;
    cw_http_set_metrics(s->http, s->metrics);
    cw_http_route(s->http, "/healthz", http_healthz, s);
    cw_http_route(s->http, "/metrics", http_metrics, s);

    s->lag_expected_ns = cw_now_ns() + (uint64_t)LAG_PERIOD_MS * 1000000ull;
    s->lag_ev = periodic(s, LAG_PERIOD_MS, on_lag);
    if (s->cfg.lua_watch_ms > 0) {
        s->watch_sig = cw_server_tree_signature(s);
        s->watch_ev = periodic(s, s->cfg.lua_watch_ms, on_watch);
    }
    s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
    s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
    s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
    event_add(s->sig_term, NULL);
    event_add(s->sig_int, NULL);
    event_add(s->sig_hup, NULL);

    cw_log(CW_LOG_INFO, "chaosd started", CW_S("server", s->cfg.server_name),
           CW_S("game", s->cfg.net_host), CW_I("game_port", cw_net_port(s->net)),
           CW_I("admin_port", cw_admin_port(s->admin)), CW_I("http_port", cw_http_port(s->http)),
           CW_I("generation", cw_host_generation(s->host)), CW_END);
    return 0;
}

int cw_server_run(cw_server *s)
{
    event_base_dispatch(s->base);
    return s->exit_code;
}

static void free_ev(struct event **ev)
{
    if (*ev) {
        event_free(*ev);
        *ev = NULL;
    }
}

void cw_server_free(cw_server *s)
{
    free_ev(&s->lag_ev);
    free_ev(&s->watch_ev);
    free_ev(&s->sig_term);
    free_ev(&s->sig_int);
    free_ev(&s->sig_hup);
    free_ev(&s->shutdown_ev);
    /* The store and the pool drain first: their callbacks may still reach
     * sessions, players and connections. No new store call after this. */
    s->store_closing = 1;
    if (s->store) cw_store_close(s->store);
    s->store = NULL;
    cw_work_free(s->work);
    s->work = NULL;
    /* Before the connections: pending presence lookups answer their clients. */
    cw_presence_free(s);
    cw_chat_free(s);    /* after presence: no pub/sub callback runs any more */
    cw_claims_free(s);  /* likewise; open takeover waits answer `unavailable` */
    cw_cluster_free(s); /* likewise: no hand-off step runs any more */
    if (s->http) cw_http_free(s->http);
    if (s->admin) cw_admin_free(s->admin);
    if (s->net) cw_net_free(s->net);
    s->net = NULL; /* pendings freed below find no connection */
    cw_saver_free(s);
    cw_accounts_free(s);
    cw_guild_app_free(s); /* answers held guild_create requests */
    cw_world_app_free(s);
    cw_trade_app_free(s); /* releases the holds: before the players */
    cw_players_free(s->players);
    cw_grants_free(s);
    cw_router_free(s->router);
    cw_host_free(s->host);
    cw_script_app_free(s); /* after the states that point at its table */
    cw_metrics_free(s->metrics);
    if (s->base) event_base_free(s->base);
    cw_config_free(&s->cfg);
    memset(s, 0, sizeof *s);
}
