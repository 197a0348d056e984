/* test_world_events.c — world events started or stopped by hand
 * (cw_store_world_event_put / cw_store_world_events_load, migration 0007):
 * on SQLite always, on PostgreSQL when CHAOS_TEST_PG is set. The store runs
 * inline: callbacks have run when a call returns. */
#include "core/io/store/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define STORE_FIXTURE_PREFIX "world_events"
#include "tests/unit/store/store_fixture.h"

typedef struct got {
    int calls, rc, n;
    cw_world_event_row rows[8];
} got;

static void on_put(void *ud, int rc)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
}

static void on_load(void *ud, int rc, const cw_world_event_row *rows, int n)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
    g->n = n;
    for (int i = 0; i < n && i < 8; i++)
        g->rows[i] = rows[i];
}

static int put(cw_store *s, const char *id, int64_t started, int stopped)
{
    got g = {0};
    cw_store_world_event_put(s, id, started, stopped, on_put, &g);
    assert_int_equal(g.calls, 1);
    return g.rc;
}

static got load(cw_store *s)
{
    got g = {0};
    cw_store_world_events_load(s, on_load, &g);
    assert_int_equal(g.calls, 1);
    return g;
}

static void test_put_replace_and_load(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    assert_int_equal(load(s).n, 0);
    assert_int_equal(put(s, "harvest", 1700000000, 0), 0);
    assert_int_equal(put(s, "brief", 1700000100, 1), 0);
    got g = load(s);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    /* By id. */
    assert_string_equal(g.rows[0].id, "brief");
    assert_int_equal(g.rows[0].started_at, 1700000100);
    assert_int_equal(g.rows[0].stopped_early, 1);
    assert_string_equal(g.rows[1].id, "harvest");
    assert_int_equal(g.rows[1].started_at, 1700000000);
    assert_int_equal(g.rows[1].stopped_early, 0);
    /* A later action on the same event replaces its row. */
    assert_int_equal(put(s, "harvest", 1700000000, 1), 0);
    g = load(s);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.rows[1].stopped_early, 1);
    assert_int_equal(raw(b, "SELECT count(*) FROM world_events"), 2);
    cw_store_close(s);
    /* Kept across a reopen. */
    s = open_sync(b);
    assert_int_equal(load(s).n, 2);
    cw_store_close(s);
}

static void test_bad_ids(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    char longid[CW_WORLD_EVENT_ID_MAX + 2];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(put(s, "", 1, 0), CW_EINVAL);
    assert_int_equal(put(s, NULL, 1, 0), CW_EINVAL);
    assert_int_equal(put(s, longid, 1, 0), CW_EINVAL);
    longid[CW_WORLD_EVENT_ID_MAX] = '\0'; /* the longest allowed */
    assert_int_equal(put(s, longid, 1, 0), 0);
    assert_int_equal(load(s).n, 1);
    cw_store_close(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_put_replace_and_load),
    T(test_bad_ids),
};

STORE_FIXTURE_MAIN(tests)
