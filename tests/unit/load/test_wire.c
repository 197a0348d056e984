/* test_wire.c — chaos-load's frame writers and 1/100 rounding: exact ping
 * and move frames, numbers that parse back to the position the client
 * keeps, and a rounded step that never exceeds the speed budget. The
 * writers belong to the chaos-load tool (no library): compiled in. */
#include "tools/chaos-load/wire.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static double rnd01(void) /* xorshift64*, [0, 1) */
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (double)((rnd_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double root(double v) /* Newton, v > 0 (no libm in this test) */
{
    double r = v > 1 ? v : 1;
    for (int i = 0; i < 60; i++)
        r = 0.5 * (r + v / r);
    return r;
}

static const char *cents(int64_t c)
{
    static char buf[32];
    buf[lw_cents(buf, c)] = 0;
    return buf;
}

static void test_u64(void **state)
{
    (void)state;
    char b[32];
    b[lw_u64(b, 0)] = 0;
    assert_string_equal(b, "0");
    b[lw_u64(b, 7)] = 0;
    assert_string_equal(b, "7");
    b[lw_u64(b, 1234567890)] = 0;
    assert_string_equal(b, "1234567890");
    b[lw_u64(b, UINT64_MAX)] = 0;
    assert_string_equal(b, "18446744073709551615");
}

static void test_cents_text(void **state)
{
    (void)state;
    assert_string_equal(cents(0), "0");
    assert_string_equal(cents(5), "0.05");
    assert_string_equal(cents(50), "0.5");
    assert_string_equal(cents(1234), "12.34");
    assert_string_equal(cents(1230), "12.3");
    assert_string_equal(cents(1200), "12");
    assert_string_equal(cents(-5), "-0.05");
    assert_string_equal(cents(-1234), "-12.34");
    assert_string_equal(cents(INT64_MIN + 1), "-92233720368547758.07");
}

static void test_rounding(void **state)
{
    (void)state;
    assert_int_equal(lw_cents_near(12.344), 1234);
    assert_int_equal(lw_cents_near(12.346), 1235);
    assert_int_equal(lw_cents_near(-12.346), -1235);
    assert_int_equal(lw_cents_near(0.0), 0);
    /* toward the current position, from either side */
    assert_int_equal(lw_cents_toward(12.349, 1200), 1234);
    assert_int_equal(lw_cents_toward(12.341, 1300), 1235);
    assert_int_equal(lw_cents_toward(12.001, 1200), 1200);
    assert_int_equal(lw_cents_toward(11.999, 1200), 1200);
    assert_int_equal(lw_cents_toward(-0.5, 0), -50);
    assert_int_equal(lw_cents_toward(-0.509, 0), -50);
}

static void test_frames(void **state)
{
    (void)state;
    uint8_t f[LW_FRAME_MAX];
    size_t n = lw_ping(f, 42);
    const char ping[] = "{\"op\":\"ping\",\"id\":42}";
    assert_int_equal(n, 4 + strlen(ping));
    assert_int_equal(f[0] | f[1] | f[2], 0);
    assert_int_equal(f[3], strlen(ping));
    assert_memory_equal(f + 4, ping, strlen(ping));

    n = lw_move(f, 7, 31005, 99999);
    const char move[] = "{\"op\":\"move\",\"id\":7,\"x\":310.05,\"y\":999.99}";
    assert_int_equal(n, 4 + strlen(move));
    assert_int_equal(f[3], strlen(move));
    assert_memory_equal(f + 4, move, strlen(move));

    /* the longest frame fits */
    n = lw_move(f, UINT64_MAX, INT64_MIN + 1, INT64_MIN + 1);
    assert_true(n <= LW_FRAME_MAX);
    assert_int_equal(((size_t)f[2] << 8 | f[3]) + 4, n);
}

/* What the server parses is exactly where the client says it stands. */
static void test_text_parses_back_to_the_grid_position(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        double v = rnd01() * 2000.0 - 500.0;
        int64_t c = lw_cents_near(v);
        double back = strtod(cents(c), NULL);
        assert_true(back == lw_grid(v));
        assert_true(back - v <= 0.005 + 1e-9 && v - back <= 0.005 + 1e-9);
    }
}

/* A partial step rounded toward the start never exceeds the budget, and
 * loses at most a hundredth per axis. */
static void test_rounded_step_within_budget(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        double x = lw_grid(rnd01() * 1000.0), y = lw_grid(rnd01() * 1000.0);
        double budget = i % 4 == 0 ? rnd01() * 0.02 : rnd01() * 3.0;
        double ux = rnd01() * 2.0 - 1.0, uy = rnd01() * 2.0 - 1.0;
        double len2 = ux * ux + uy * uy;
        if (len2 < 1e-6 || len2 > 1.0) continue;
        double k = budget / root(len2);
        double nx = x + ux * k, ny = y + uy * k;
        int64_t xc = lw_cents_toward(nx, lw_cents_near(x));
        int64_t yc = lw_cents_toward(ny, lw_cents_near(y));
        double sx = (double)xc / 100.0 - x, sy = (double)yc / 100.0 - y;
        assert_true(sx * sx + sy * sy <= budget * budget + 1e-9);
        double lx = (nx - x) - sx, ly = (ny - y) - sy; /* what rounding gave up */
        assert_true(lx * lx <= 0.0001 + 1e-9 && ly * ly <= 0.0001 + 1e-9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_cents_text),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_text_parses_back_to_the_grid_position),
        cmocka_unit_test(test_rounded_step_within_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
