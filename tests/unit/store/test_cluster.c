/* test_cluster.c — the cluster map (cw_store_cluster_set / cw_store_cluster_list,
 * table cluster_zones of migration 0009): on SQLite always, on PostgreSQL when
 * CHAOS_TEST_PG is set. The store runs inline: callbacks have run when a call
 * returns. */
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

#define STORE_FIXTURE_PREFIX "cluster"
#include "tests/unit/store/store_fixture.h"

typedef struct got {
    int calls, rc, n;
    cw_cluster_row rows[8];
} got;

static void on_set(void *ud, int rc)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
}

static void on_list(void *ud, int rc, const cw_cluster_row *rows, int n)
{
    got *g = ud;
    g->calls++;
    g->rc = rc;
    g->n = n;
    for (int i = 0; i < n && i < 8; i++)
        g->rows[i] = rows[i];
}

static int set(cw_store *s, const char *zone, const char *process)
{
    got g = {0};
    cw_store_cluster_set(s, zone, process, on_set, &g);
    assert_int_equal(g.calls, 1);
    return g.rc;
}

static got list(cw_store *s)
{
    got g = {0};
    cw_store_cluster_list(s, on_list, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.rc, 0);
    return g;
}

static void test_set_move_unset(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    assert_int_equal(list(s).n, 0); /* empty: every process hosts every zone */
    assert_int_equal(set(s, "meadow", "shard-a"), 0);
    assert_int_equal(set(s, "caves", "shard-b"), 0);
    got g = list(s);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.rows[0].zone, "caves"); /* by zone */
    assert_string_equal(g.rows[0].process, "shard-b");
    assert_string_equal(g.rows[1].zone, "meadow");
    assert_string_equal(g.rows[1].process, "shard-a");
    assert_true(g.rows[1].updated_at > 1600000000);
    /* A move replaces the owner: still one row per zone. */
    assert_int_equal(set(s, "meadow", "shard-b"), 0);
    g = list(s);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.rows[1].process, "shard-b");
    assert_int_equal(raw(b, "SELECT count(*) FROM cluster_zones"), 2);
    /* Unset: back to everyone; a second unset finds nothing. */
    assert_int_equal(set(s, "caves", NULL), 0);
    assert_int_equal(set(s, "caves", NULL), CW_ENOTFOUND);
    g = list(s);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.rows[0].zone, "meadow");
    cw_store_close(s);
    /* Kept across a reopen. */
    s = open_sync(b);
    assert_int_equal(list(s).n, 1);
    cw_store_close(s);
}

static void test_bad_names(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    char zone[CW_CLUSTER_ZONE_MAX + 2], proc[CW_CLUSTER_PROCESS_MAX + 2];
    memset(zone, 'z', sizeof zone - 1);
    zone[sizeof zone - 1] = '\0';
    memset(proc, 'p', sizeof proc - 1);
    proc[sizeof proc - 1] = '\0';
    assert_int_equal(set(s, NULL, "a"), CW_EINVAL);
    assert_int_equal(set(s, "", "a"), CW_EINVAL);
    assert_int_equal(set(s, "meadow", ""), CW_EINVAL);
    assert_int_equal(set(s, "two words", "a"), CW_EINVAL);
    assert_int_equal(set(s, "meadow", "tab\there"), CW_EINVAL);
    assert_int_equal(set(s, zone, "a"), CW_EINVAL);
    assert_int_equal(set(s, "meadow", proc), CW_EINVAL);
    assert_int_equal(list(s).n, 0);
    /* the longest of each is accepted */
    zone[CW_CLUSTER_ZONE_MAX] = '\0';
    proc[CW_CLUSTER_PROCESS_MAX] = '\0';
    assert_int_equal(set(s, zone, proc), 0);
    got g = list(s);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.rows[0].zone, zone);
    assert_string_equal(g.rows[0].process, proc);
    cw_store_close(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_set_move_unset),
    T(test_bad_names),
};

STORE_FIXTURE_MAIN(tests)
