/* test_grid.c — the uniform grid and the id map: insert, move, remove,
 * radius queries (inclusive edge, cell borders, outside positions), buffer
 * truncation, and agreement with brute force under random churn. */
#include "core/sim/space/space.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static int has(const int64_t *v, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id) return 1;
    return 0;
}

static void test_idmap(void **state)
{
    (void)state;
    cw_idmap m;
    cw_idmap_init(&m);
    for (int64_t k = 1; k <= 1000; k++)
        assert_int_equal(cw_idmap_put(&m, k * 7, k), 0);
    assert_int_equal(cw_idmap_put(&m, 0, 1), CW_EINVAL);
    for (int64_t k = 1; k <= 1000; k += 2)
        assert_int_equal(cw_idmap_del(&m, k * 7), 0);
    assert_int_equal(cw_idmap_del(&m, 7), CW_ENOTFOUND);
    for (int64_t k = 1; k <= 1000; k++) {
        int64_t v = 0;
        int found = cw_idmap_get(&m, k * 7, &v);
        assert_int_equal(found, k % 2 == 0);
        if (found) assert_int_equal(v, k);
    }
    assert_int_equal(m.n, 500);
    cw_idmap_free(&m);
}

static void test_basic(void **state)
{
    (void)state;
    assert_null(cw_grid_new(0, 10, 1));
    assert_null(cw_grid_new(10, 10, -1));
    cw_grid *g = cw_grid_new(1000, 1000, 50);
    assert_non_null(g);
    assert_int_equal(cw_grid_insert(g, 1, 100, 100), 0);
    assert_int_equal(cw_grid_insert(g, 2, 150, 100), 0);   /* exactly 50 away: inclusive */
    assert_int_equal(cw_grid_insert(g, 3, 150.1, 100), 0); /* just beyond */
    assert_int_equal(cw_grid_insert(g, 1, 1, 1), CW_EEXIST);
    assert_int_equal(cw_grid_insert(g, 0, 1, 1), CW_EINVAL);
    int64_t out[8];
    int n = cw_grid_query(g, 100, 100, 50, out, 8);
    assert_int_equal(n, 2);
    assert_true(has(out, n, 1) && has(out, n, 2) && !has(out, n, 3));
    /* move across a cell border and out of reach */
    assert_int_equal(cw_grid_move(g, 2, 400, 400), 0);
    n = cw_grid_query(g, 100, 100, 50, out, 8);
    assert_int_equal(n, 1);
    n = cw_grid_query(g, 390, 390, 20, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 2);
    assert_int_equal(cw_grid_remove(g, 2), 0);
    assert_int_equal(cw_grid_remove(g, 2), CW_ENOTFOUND);
    assert_int_equal(cw_grid_move(g, 2, 1, 1), CW_ENOTFOUND);
    assert_int_equal(cw_grid_query(g, 390, 390, 20, out, 8), 0);
    assert_int_equal(cw_grid_count(g), 2);
    /* the slot freed by 2 is reused */
    assert_int_equal(cw_grid_insert(g, 9, 999, 999), 0);
    n = cw_grid_query(g, 1000, 1000, 5, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 9);
    cw_grid_free(g);
}

/* Payloads come back with their ids through moves across cells, removals
 * and slot reuse (a reused slot carries the new entry's payload), and the
 * hits agree with the id query; truncation as for ids. */
static void test_payloads(void **state)
{
    (void)state;
    static int tag[8];
    cw_grid *g = cw_grid_new(1000, 1000, 50);
    assert_non_null(g);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(cw_grid_insert_data(g, i, 100 + i, 100, &tag[i]), 0);
    assert_int_equal(cw_grid_insert(g, 6, 110, 100), 0); /* no payload */
    assert_int_equal(cw_grid_insert_data(g, 6, 1, 1, &tag[0]), CW_EEXIST);
    assert_int_equal(cw_grid_move(g, 3, 160, 100), 0); /* another cell */
    assert_int_equal(cw_grid_remove(g, 2), 0);
    assert_int_equal(cw_grid_insert_data(g, 7, 120, 100, &tag[7]), 0); /* 2's slot */
    cw_grid_hit hits[8];
    int64_t ids[8];
    int n = cw_grid_query_hits(g, 100, 100, 100, hits, 8);
    assert_int_equal(n, 6);
    assert_int_equal(cw_grid_query(g, 100, 100, 100, ids, 8), n);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(hits[i].id, ids[i]); /* same order */
        if (hits[i].id == 6)
            assert_null(hits[i].data);
        else
            assert_ptr_equal(hits[i].data, &tag[hits[i].id]);
        seen |= 1 << hits[i].id;
    }
    assert_int_equal(seen, (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7));
    assert_int_equal(cw_grid_query_hits(g, 100, 100, 100, hits, 2), 6); /* total, 2 written */
    assert_int_equal(cw_grid_query_hits(g, 100, 100, -1, hits, 8), 0);
    cw_grid_free(g);
}

static void test_truncation_and_edges(void **state)
{
    (void)state;
    cw_grid *g = cw_grid_new(100, 100, 10);
    for (int i = 1; i <= 20; i++)
        assert_int_equal(cw_grid_insert(g, i, 50, 50), 0);
    int64_t out[5];
    assert_int_equal(cw_grid_query(g, 50, 50, 1, out, 5), 20); /* total, 5 written */
    /* positions outside the rectangle are filed in the nearest cell */
    assert_int_equal(cw_grid_insert(g, 100, -5, 120), 0);
    assert_int_equal(cw_grid_query(g, 0, 100, 21, out, 5), 1);
    assert_int_equal(out[0], 100);
    cw_grid_free(g);
}

static void test_random_vs_brute_force(void **state)
{
    (void)state;
    enum { N = 2000 };
    static double xs[N + 1], ys[N + 1];
    static int64_t out[N];
    cw_grid *g = cw_grid_new(1000, 700, 50);
    srand(42);
    for (int i = 1; i <= N; i++) {
        xs[i] = rand() % 100000 / 100.0;
        ys[i] = rand() % 70000 / 100.0;
        assert_int_equal(cw_grid_insert(g, i, xs[i], ys[i]), 0);
    }
    for (int round = 0; round < 300; round++) {
        int id = 1 + rand() % N;
        xs[id] = rand() % 100000 / 100.0;
        ys[id] = rand() % 70000 / 100.0;
        assert_int_equal(cw_grid_move(g, id, xs[id], ys[id]), 0);
        double qx = rand() % 1000, qy = rand() % 700, r = rand() % 120;
        int n = cw_grid_query(g, qx, qy, r, out, N);
        int expect = 0;
        for (int i = 1; i <= N; i++) {
            double dx = xs[i] - qx, dy = ys[i] - qy;
            int in = dx * dx + dy * dy <= r * r;
            expect += in;
            if (in) assert_true(has(out, n, i));
        }
        assert_int_equal(n, expect);
    }
    cw_grid_free(g);
}

/* Crowded cells under churn: removals in the middle of a cell, moves across
 * cells and back, re-inserts. After every step a query over the whole grid
 * returns exactly the present ids, each once and with its own payload. */
static void test_churn_in_crowded_cells(void **state)
{
    (void)state;
    enum { N = 300 };
    static int present[N + 1], payload[N + 1];
    static double xs[N + 1], ys[N + 1];
    static cw_grid_hit hits[N];
    cw_grid *g = cw_grid_new(200, 200, 50);
    srand(7);
    for (int step = 0; step < 4000; step++) {
        int id = 1 + rand() % N, op = rand() % 3;
        double x = rand() % 20000 / 100.0, y = rand() % 20000 / 100.0;
        if (!present[id]) {
            assert_int_equal(cw_grid_insert_data(g, id, x, y, &payload[id]), 0);
            present[id] = 1;
        } else if (op == 0) {
            assert_int_equal(cw_grid_remove(g, id), 0);
            assert_int_equal(cw_grid_remove(g, id), CW_ENOTFOUND);
            present[id] = 0;
            continue;
        } else {
            if (op == 1) { /* a short step: mostly inside the same cell */
                x = xs[id] + (rand() % 300 - 150) / 100.0;
                y = ys[id] + (rand() % 300 - 150) / 100.0;
            }
            assert_int_equal(cw_grid_move(g, id, x, y), 0);
        }
        xs[id] = x;
        ys[id] = y;
        int n = cw_grid_query_hits(g, 100, 100, 400, hits, N);
        int expect = 0;
        static int seen[N + 1];
        memset(seen, 0, sizeof seen);
        for (int k = 0; k < n; k++) {
            int64_t h = hits[k].id;
            assert_true(h >= 1 && h <= N);
            assert_true(present[h]);
            assert_int_equal(seen[h], 0);
            seen[h] = 1;
            assert_ptr_equal(hits[k].data, &payload[h]);
        }
        for (int i = 1; i <= N; i++)
            expect += present[i];
        assert_int_equal(n, expect);
        assert_int_equal((int)cw_grid_count(g), expect);
    }
    cw_grid_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idmap),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_truncation_and_edges),
        cmocka_unit_test(test_random_vs_brute_force),
        cmocka_unit_test(test_churn_in_crowded_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
