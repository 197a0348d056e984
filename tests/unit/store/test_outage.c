/* test_outage.c — PostgreSQL going away mid-session.
 *
 * Starts a PRIVATE PostgreSQL (initdb into a temp dir, a free loopback port,
 * its socket in that dir; as root through `runuser -u postgres --`, like
 * tools/test.sh), then stops and restarts it under an open store:
 *  - a save issued while it is down is retried (retries grow, available = 0)
 *    and completes with rc 0 once it is back within the deadline;
 *  - with a short deadline the save ends in CW_EUNAVAIL and nothing of the
 *    batch is written.
 * Skips (with a message) when the server binaries are not installed. */
#include "core/io/store/store.h"

#include <event2/event.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

typedef struct pgfix {
    char bin[512];
    char dir[256];
    char as_pg[64]; /* "runuser -u postgres -- " as root */
    char url[256];
    int port;
    int running;
    struct event_base *base;
} pgfix;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int pg_start(pgfix *f)
{
    int rc = sh("%s%s/pg_ctl -D %s/pg -l %s/pg/server.log -w -o \"-c listen_addresses=127.0.0.1 "
                "-c port=%d -c unix_socket_directories=%s/pg -c fsync=off\" start >/dev/null",
                f->as_pg, f->bin, f->dir, f->dir, f->port, f->dir);
    if (rc == 0) f->running = 1;
    return rc;
}

static int pg_stop(pgfix *f)
{
    int rc = sh("%s%s/pg_ctl -D %s/pg -m fast -w stop >/dev/null", f->as_pg, f->bin, f->dir);
    if (rc == 0) f->running = 0;
    return rc;
}

static int group_setup(void **state)
{
    pgfix *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    glob_t g;
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        printf("SKIPPED outage: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin\n");
        return 0;
    }
    snprintf(f->bin, sizeof f->bin, "%s", g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    *strrchr(f->bin, '/') = 0;
    struct passwd *pw = NULL;
    if (geteuid() == 0) {
        pw = getpwnam("postgres");
        if (!pw) {
            printf("SKIPPED outage: running as root and there is no postgres account\n");
            f->bin[0] = 0;
            return 0;
        }
        snprintf(f->as_pg, sizeof f->as_pg, "runuser -u postgres -- ");
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/cw-outage-XXXXXX");
    if (!mkdtemp(f->dir) || chmod(f->dir, 0755) != 0) return -1;
    char pgdir[300];
    snprintf(pgdir, sizeof pgdir, "%s/pg", f->dir);
    if (mkdir(pgdir, 0700) != 0) return -1;
    if (pw && chown(pgdir, pw->pw_uid, pw->pw_gid) != 0) return -1;
    if (sh("%s%s/initdb -D %s -U chaos --auth=trust -E UTF8 >%s/initdb.log 2>&1", f->as_pg, f->bin,
           pgdir, f->dir) != 0) {
        sh("cat %s/initdb.log", f->dir);
        return -1;
    }
    f->port = free_port();
    if (f->port <= 0 || pg_start(f) != 0) return -1;
    snprintf(f->url, sizeof f->url, "postgres://chaos@127.0.0.1:%d/postgres", f->port);
    f->base = event_base_new();
    return f->base ? 0 : -1;
}

static int group_teardown(void **state)
{
    pgfix *f = *state;
    if (f->running) pg_stop(f);
    if (f->dir[0]) sh("rm -rf '%s'", f->dir);
    if (f->base) event_base_free(f->base);
    free(f);
    return 0;
}

/* ---- async helpers ---------------------------------------------------------------- */

typedef struct answer {
    int calls, rc, n;
    int64_t id, version;
    int level;
    int results[8];
} answer;

static void on_account(void *ud, int rc, const cw_account *acc)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    if (acc) a->id = acc->id;
}

static void on_char(void *ud, int rc, const cw_character *ch)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    if (ch) {
        a->id = ch->id;
        a->version = ch->version;
        a->level = ch->level;
    }
}

static void on_save(void *ud, int rc, const int *results, int n)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->n = n;
    for (int i = 0; i < n && i < 8; i++)
        a->results[i] = results[i];
}

/* Runs the loop until a->calls is set or ms pass; returns a->calls. */
static int wait_for(pgfix *f, answer *a, int ms)
{
    for (int waited = 0; !a->calls && waited < ms; waited += 50) {
        struct timeval tv = {0, 50000};
        event_base_loopexit(f->base, &tv);
        event_base_dispatch(f->base);
    }
    return a->calls;
}

static cw_store *open_store(pgfix *f, int deadline_ms, cw_metrics *m)
{
    const char *src = getenv("CHAOS_SRC");
    char mig[1024];
    snprintf(mig, sizeof mig, "%s/migrations", src ? src : ".");
    cw_store_config c = {f->url, mig, 1, f->base, m, deadline_ms};
    cw_error err = {0};
    cw_store *s = cw_store_open(&c, &err);
    if (!s) fail_msg("open: %s", err.msg);
    return s;
}

static cw_character ch_of(int64_t acc, int64_t id, const char *name, int64_t version, int level)
{
    cw_character c = {.id = id,
                      .account_id = acc,
                      .name = name,
                      .race = "orc",
                      .job = "warrior",
                      .level = level,
                      .zone = "plains",
                      .x = 1,
                      .y = 2,
                      .doc = "{}",
                      .version = version};
    return c;
}

static answer load(pgfix *f, cw_store *s, int64_t acc, int64_t id)
{
    answer a = {0};
    cw_store_character_load(s, acc, id, on_char, &a);
    assert_int_equal(wait_for(f, &a, 10000), 1);
    return a;
}

static void test_outage(void **state)
{
    pgfix *f = *state;
    if (!f->bin[0]) skip();
    cw_metrics *m = cw_metrics_new();
    cw_store *s = open_store(f, 15000, m);
    cw_store *quick = open_store(f, 700, NULL);

    answer acc = {0};
    cw_store_account_create(s, "survivor", "h", on_account, &acc);
    assert_int_equal(wait_for(f, &acc, 5000), 1);
    assert_int_equal(acc.rc, 0);
    cw_character c1 = ch_of(acc.id, 0, "Hero", 0, 1), c2 = ch_of(acc.id, 0, "Sidekick", 0, 1);
    answer k1 = {0}, k2 = {0};
    cw_store_character_create(s, &c1, on_char, &k1);
    cw_store_character_create(s, &c2, on_char, &k2);
    assert_int_equal(wait_for(f, &k2, 5000), 1);
    assert_int_equal(k1.rc, 0);
    assert_int_equal(k2.rc, 0);
    c1.id = k1.id;
    c2.id = k2.id;

    cw_character w = ch_of(acc.id, c1.id, "Hero", 1, 2);
    answer ok = {0};
    cw_store_characters_save(s, &w, 1, on_save, &ok);
    assert_int_equal(wait_for(f, &ok, 5000), 1);
    assert_int_equal(ok.rc, 0);

    /* down: the save is retried, not failed */
    assert_int_equal(pg_stop(f), 0);
    w = ch_of(acc.id, c1.id, "Hero", 2, 42);
    answer during = {0};
    cw_store_characters_save(s, &w, 1, on_save, &during);
    cw_store_stats st = {0};
    for (int i = 0; i < 80; i++) { /* up to 4 s */
        wait_for(f, &during, 50);
        cw_store_get_stats(s, &st);
        if (st.retries >= 3) break;
    }
    assert_int_equal(during.calls, 0);
    assert_true(st.retries >= 3);
    assert_int_equal(st.available, 0);

    /* back within the deadline: the same save completes */
    assert_int_equal(pg_start(f), 0);
    assert_int_equal(wait_for(f, &during, 14000), 1);
    assert_int_equal(during.rc, 0);
    assert_int_equal(during.results[0], 0);
    answer l = load(f, s, acc.id, c1.id);
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.version, 3);
    assert_int_equal(l.level, 42);
    cw_store_get_stats(s, &st);
    assert_int_equal(st.available, 1);
    assert_int_equal(st.failures, 0);
    cw_strbuf out = CW_STRBUF_INIT;
    assert_int_equal(cw_metrics_render(m, &out), 0);
    assert_non_null(strstr(out.data, "chaos_store_retries_total"));
    assert_null(strstr(out.data, "chaos_store_retries_total{backend=\"postgres\"} 0\n"));
    cw_strbuf_free(&out);

    /* down past a short deadline: CW_EUNAVAIL, and nothing of the batch written */
    assert_int_equal(pg_stop(f), 0);
    cw_character batch[2] = {ch_of(acc.id, c1.id, "Hero", 3, 99),
                             ch_of(acc.id, c2.id, "Sidekick", 1, 99)};
    answer lost = {0};
    cw_store_characters_save(quick, batch, 2, on_save, &lost);
    assert_int_equal(wait_for(f, &lost, 5000), 1);
    assert_int_equal(lost.rc, CW_EUNAVAIL);
    assert_int_equal(lost.results[0], CW_EUNAVAIL);
    assert_int_equal(lost.results[1], CW_EUNAVAIL);
    cw_store_get_stats(quick, &st);
    assert_int_equal(st.available, 0);
    assert_true(st.failures >= 1);
    assert_int_equal(pg_start(f), 0);
    answer a1 = load(f, quick, acc.id, c1.id), a2 = load(f, quick, acc.id, c2.id);
    assert_int_equal(a1.rc, 0);
    assert_int_equal(a1.version, 3);
    assert_int_equal(a1.level, 42);
    assert_int_equal(a2.rc, 0);
    assert_int_equal(a2.version, 1);
    assert_int_equal(a2.level, 1);

    cw_store_close(quick);
    cw_store_close(s);
    cw_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_outage)};
    return cmocka_run_group_tests_name("store outage (private postgres)", tests, group_setup,
                                       group_teardown);
}
