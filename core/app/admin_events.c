/* admin_events.c — the operator commands `event start ID`, `event stop ID`
 * and `event list` over the world event engine (scripts/engine/events.lua,
 * called through cw_host_call_module), and their durability: a hand start
 * or stop is written to the store (table world_events) before the console
 * gets its answer, and at start-up every stored row is handed back to the
 * engine (events.restore), which resumes a run with time left and keeps a
 * run stopped early stopped for its window. Loop thread only. */
#include "core/app/world_app.h"

#include "core/base/log.h"
#include "core/io/admin/admin.h"
#include "core/io/store/store.h"
#include "core/script/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_MODULE "engine.events"

typedef struct event_answer {
    cw_admin_pending *pending;
    int stop;
    cw_strbuf fields; /* the engine's answer, sent once stored */
} event_answer;

static void event_stored(void *ud, int rc)
{
    event_answer *a = ud;
    if (rc == 0) {
        cw_admin_answer(a->pending, 0, a->fields.data, NULL);
    } else {
        cw_error err;
        cw_error_set(&err, rc,
                     "the event was %s here but the database refused (%s): a restart will %s",
                     a->stop ? "stopped" : "started", cw_err_name(rc),
                     a->stop ? "not keep it stopped" : "end it");
        cw_admin_answer(a->pending, rc, a->fields.data, err.msg);
    }
    cw_strbuf_free(&a->fields);
    free(a);
}

/* The integer after "key": in the engine's answer. */
static int field_i64(const char *fields, const char *key, int64_t *v)
{
    const char *p = fields ? strstr(fields, key) : NULL;
    if (!p) return CW_ENOTFOUND;
    p += strlen(key);
    char *end;
    errno = 0;
    long long n = strtoll(p, &end, 10);
    if (errno || end == p) return CW_EINVAL;
    *v = n;
    return 0;
}

static int event_change(cw_server *s, int stop, const char *id, cw_error *err)
{
    size_t len = strlen(id);
    if (len == 0 || len > CW_WORLD_EVENT_ID_MAX)
        return cw_error_set(err, CW_EINVAL, "ID must be a world_event id (1 to %d bytes)",
                            CW_WORLD_EVENT_ID_MAX);
    if (s->stopping || !s->store || s->store_closing)
        return cw_error_set(err, CW_EUNAVAIL, "the server is shutting down");
    event_answer *a = calloc(1, sizeof *a);
    if (!a) return cw_error_set(err, CW_ENOMEM, "out of memory");
    a->stop = stop;
    const char *args[1] = {id};
    int rc = cw_host_call_module(s->host, EVENTS_MODULE, stop ? "admin_stop" : "admin_start", args,
                                 1, &a->fields, err);
    int64_t started = 0;
    if (rc == 0 && field_i64(a->fields.data, "\"started\":", &started) != 0)
        rc = cw_error_set(err, CW_ESCRIPT, "the event engine gave no start time");
    if (rc == 0 && !(a->pending = cw_admin_defer(s->admin)))
        rc = cw_error_set(err, CW_ENOMEM, "cannot wait for the database (out of memory)");
    if (rc) {
        cw_strbuf_free(&a->fields);
        free(a);
        return rc;
    }
    cw_log(CW_LOG_INFO, stop ? "world event stopped by hand" : "world event started by hand",
           CW_S("event", id), CW_I("started", started), CW_END);
    cw_store_world_event_put(s->store, id, started, stop, event_stored, a);
    return CW_ADMIN_DEFERRED;
}

/* event start ID | event stop ID | event list */
static int cmd_event(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return cw_host_call_module(s->host, EVENTS_MODULE, "admin_list", NULL, 0, out, err);
    if (argc == 3 && strcmp(argv[1], "start") == 0) return event_change(s, 0, argv[2], err);
    if (argc == 3 && strcmp(argv[1], "stop") == 0) return event_change(s, 1, argv[2], err);
    return cw_error_set(err, CW_EINVAL, "usage: event start ID | event stop ID | event list");
}

int cw_events_admin_commands(cw_server *s)
{
    return cw_admin_register(s->admin, "event",
                             "start ID | stop ID | list: world events by hand (kept across "
                             "restarts)",
                             cmd_event, s)
               ? CW_ENOMEM
               : 0;
}

static void events_loaded(void *ud, int rc, const cw_world_event_row *rows, int n)
{
    cw_server *s = ud;
    if (rc != 0) {
        cw_log(CW_LOG_ERROR, "world events: cannot read the hand-started events",
               CW_S("error", cw_err_name(rc)), CW_END);
        return;
    }
    for (int i = 0; i < n; i++) {
        char started[24];
        snprintf(started, sizeof started, "%lld", (long long)rows[i].started_at);
        const char *args[3] = {rows[i].id, started, rows[i].stopped_early ? "1" : "0"};
        cw_strbuf out = CW_STRBUF_INIT;
        cw_error err = {0, ""};
        int crc = cw_host_call_module(s->host, EVENTS_MODULE, "restore", args, 3, &out, &err);
        if (crc)
            cw_log(CW_LOG_WARN, "world event not restored", CW_S("event", rows[i].id),
                   CW_S("error", err.msg), CW_END);
        else
            cw_log(CW_LOG_INFO, "world event restored", CW_S("event", rows[i].id),
                   CW_S("result", out.data ? out.data : ""), CW_END);
        cw_strbuf_free(&out);
    }
}

void cw_events_restore(cw_server *s)
{
    if (!s->store) return;
    cw_store_world_events_load(s->store, events_loaded, s);
}
