/* store.c — open/close, URL parsing, health and the migration entry points.
 *
 * URL forms: "sqlite:PATH" (relative to the working directory, or absolute),
 * "sqlite://PATH", "postgres://…" / "postgresql://…" (handed to libpq
 * unchanged). An empty or NULL URL means "sqlite:var/chaos.db". */
#include "core/io/store/store_internal.h"

#include "core/base/log.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "sqlite:var/chaos.db"
#define DEFAULT_DEADLINE_MS 30000

int cw_store_connect(const char *url, cw_db **out, cw_error *err)
{
    *out = NULL;
    if (!url || !*url) url = DEFAULT_URL;
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        return cw_db_postgres_ops.open(url, out, err);
    if (!strncmp(url, "sqlite://", 9)) return cw_db_sqlite_ops.open(url + 9, out, err);
    if (!strncmp(url, "sqlite:", 7)) return cw_db_sqlite_ops.open(url + 7, out, err);
    return cw_error_set(err, CW_EINVAL,
                        "store: unknown URL \"%s\" (want sqlite:PATH or postgres://…)", url);
}

static int migrate_cmd(const cw_store_config *cfg, int apply, cw_migration_status *st,
                       cw_error *err)
{
    if (!cfg) return cw_error_set(err, CW_EINVAL, "store: no config");
    cw_db *db = NULL;
    int rc = cw_store_connect(cfg->url, &db, err);
    if (rc != 0) return rc;
    rc = cw_store_migrate_db(db, cfg->migrations_dir, apply, st, err);
    db->ops->close(db);
    return rc;
}

int cw_store_migration_status(const cw_store_config *cfg, cw_migration_status *st, cw_error *err)
{
    cw_error local;
    cw_migration_status tmp = {0, 0, 0};
    /* Pending migrations are a status, not an error, here. */
    int rc = migrate_cmd(cfg, 0, &tmp, &local);
    if (rc == CW_ESTATE && tmp.pending && tmp.current <= tmp.latest) rc = 0;
    if (st) *st = tmp;
    if (rc != 0 && err) *err = local;
    return rc;
}

int cw_store_migrate_up(const cw_store_config *cfg, cw_migration_status *st, cw_error *err)
{
    return migrate_cmd(cfg, 1, st, err);
}

static void free_store(cw_store *s)
{
    if (s->db) s->db->ops->close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

cw_store *cw_store_open(const cw_store_config *cfg, cw_error *err)
{
    if (!cfg) {
        cw_error_set(err, CW_EINVAL, "store: no config");
        return NULL;
    }
    cw_store *s = calloc(1, sizeof *s);
    if (!s) {
        cw_error_set(err, CW_ENOMEM, "store: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->wake_fd[0] = s->wake_fd[1] = -1;
    s->base = cfg->base;
    s->retry_deadline_ms =
        cfg->retry_deadline_ms > 0 ? cfg->retry_deadline_ms : DEFAULT_DEADLINE_MS;
    int rc = cw_store_connect(cfg->url, &s->db, err);
    cw_migration_status st = {0, 0, 0};
    if (rc == 0) rc = cw_store_migrate_db(s->db, cfg->migrations_dir, cfg->migrate, &st, err);
    if (rc == 0) rc = cw_store_worker_start(s, err);
    if (rc != 0) {
        cw_store_worker_stop(s);
        free_store(s);
        return NULL;
    }
    s->available = 1;
    if (cfg->metrics) {
        cw_metrics *m = cfg->metrics;
        const char *b = s->db->ops->name;
        s->m_available = cw_metrics_gauge(m, "chaos_store_available",
                                          "1 when the last database call succeeded", "backend", b);
        s->m_queue = cw_metrics_gauge(m, "chaos_store_queue", "store jobs waiting for the worker",
                                      "backend", b);
        s->m_retries =
            cw_metrics_counter(m, "chaos_store_retries_total",
                               "database calls retried (database unavailable)", "backend", b);
        s->m_failures =
            cw_metrics_counter(m, "chaos_store_failures_total",
                               "store jobs that failed (unavailable or I/O error)", "backend", b);
        s->m_job_seconds =
            cw_metrics_histogram(m, "chaos_store_job_seconds",
                                 "store job run time, retries included", "backend", b, NULL, 0);
        cw_gauge_set(s->m_available, 1);
        cw_gauge_set(s->m_queue, 0);
    }
    cw_log(CW_LOG_INFO, "store open", CW_S("backend", s->db->ops->name), CW_I("schema", st.current),
           CW_B("async", s->base != NULL), CW_END);
    return s;
}

void cw_store_close(cw_store *s)
{
    if (!s) return;
    cw_store_worker_stop(s);
    free_store(s);
}

const char *cw_store_backend(const cw_store *s)
{
    return s && s->db ? s->db->ops->name : "none";
}

void cw_store_get_stats(const cw_store *s, cw_store_stats *st)
{
    cw_store *m = (cw_store *)s; /* the mutex is not part of the value */
    pthread_mutex_lock(&m->mu);
    st->queued = s->queued;
    st->available = s->available;
    st->retries = s->retries;
    st->failures = s->failures;
    pthread_mutex_unlock(&m->mu);
}

static size_t slen(const char *p, const char *dflt)
{
    return strlen(p ? p : dflt) + 1;
}

static const char *scopy(char **at, const char *p, const char *dflt)
{
    const char *src = p ? p : dflt;
    size_t n = strlen(src) + 1;
    memcpy(*at, src, n);
    const char *r = *at;
    *at += n;
    return r;
}

cw_character *cw_store_copy_characters(const cw_character *chs, int n)
{
    /* One block: the characters, every ledger entry, every item row, then the strings. */
    size_t nled = 0, nit = 0, strings = 0;
    for (int i = 0; i < n; i++) {
        strings += slen(chs[i].name, "") + slen(chs[i].race, "") + slen(chs[i].job, "") +
                   slen(chs[i].zone, "") + slen(chs[i].doc, "{}");
        for (int k = 0; k < chs[i].nledger && chs[i].ledger; k++)
            strings += slen(chs[i].ledger[k].kind, "") + slen(chs[i].ledger[k].reason, "") +
                       slen(chs[i].ledger[k].item_template, "");
        for (int k = 0; k < chs[i].nitems && chs[i].items; k++)
            strings += slen(chs[i].items[k].template_id, "") + slen(chs[i].items[k].place, "") +
                       slen(chs[i].items[k].props, "{}");
        nled += chs[i].ledger && chs[i].nledger > 0 ? (size_t)chs[i].nledger : 0;
        nit += chs[i].items && chs[i].nitems > 0 ? (size_t)chs[i].nitems : 0;
    }
    size_t head = sizeof(cw_character) * (size_t)(n > 0 ? n : 1);
    cw_character *out =
        malloc(head + sizeof(cw_ledger_entry) * nled + sizeof(cw_item_row) * nit + strings);
    if (!out) return NULL;
    cw_ledger_entry *led = (cw_ledger_entry *)(void *)((char *)out + head);
    cw_item_row *it = (cw_item_row *)(void *)(led + nled);
    char *at = (char *)(it + nit);
    for (int i = 0; i < n; i++) {
        out[i] = chs[i];
        out[i].name = scopy(&at, chs[i].name, "");
        out[i].race = scopy(&at, chs[i].race, "");
        out[i].job = scopy(&at, chs[i].job, "");
        out[i].zone = scopy(&at, chs[i].zone, "");
        out[i].doc = scopy(&at, chs[i].doc, "{}");
        int nl = chs[i].ledger && chs[i].nledger > 0 ? chs[i].nledger : 0;
        out[i].ledger = nl ? led : NULL;
        out[i].nledger = nl;
        for (int k = 0; k < nl; k++) {
            led[k] = chs[i].ledger[k];
            led[k].kind = scopy(&at, chs[i].ledger[k].kind, "");
            led[k].reason = scopy(&at, chs[i].ledger[k].reason, "");
            led[k].item_template = scopy(&at, chs[i].ledger[k].item_template, "");
        }
        led += nl;
        int ni = chs[i].items && chs[i].nitems > 0 ? chs[i].nitems : 0;
        out[i].items = ni ? it : NULL;
        out[i].nitems = ni;
        for (int k = 0; k < ni; k++) {
            it[k] = chs[i].items[k];
            it[k].template_id = scopy(&at, chs[i].items[k].template_id, "");
            it[k].place = scopy(&at, chs[i].items[k].place, "");
            it[k].props = scopy(&at, chs[i].items[k].props, "{}");
        }
        it += ni;
    }
    return out;
}
