/* test_zone.c — spawn points: the radius spreads arrivals over a disc of
 * standable places, deterministically per seed. */
#include "core/game/zone.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static cw_zone field(double radius, cw_rect *blocked, int nblocked)
{
    cw_zone z;
    memset(&z, 0, sizeof z);
    strcpy(z.id, "field");
    z.width = z.height = 1000;
    z.view = 50;
    z.spawn_x = z.spawn_y = 500;
    z.spawn_radius = radius;
    z.blocked = blocked;
    z.nblocked = nblocked;
    return z;
}

static void no_radius_is_the_spawn_point(void **state)
{
    (void)state;
    cw_zone z = field(0, NULL, 0);
    for (uint64_t seed = 0; seed < 50; seed++) {
        double x, y;
        cw_zone_spawn_point(&z, seed, &x, &y);
        assert_true(x == 500 && y == 500);
    }
}

static void radius_spreads_inside_the_disc(void **state)
{
    (void)state;
    cw_zone z = field(100, NULL, 0);
    int far = 0, distinct = 0;
    double px = -1, py = -1, sx = 0, sy = 0;
    const int n = 4000;
    for (uint64_t seed = 1; seed <= (uint64_t)n; seed++) {
        double x, y;
        cw_zone_spawn_point(&z, seed * 7919, &x, &y);
        double d = hypot(x - 500, y - 500);
        assert_true(d <= 100 + 1e-9);
        if (d > 70.7) far++; /* outside the disc of half the area */
        if (x != px || y != py) distinct++;
        px = x, py = y;
        sx += x, sy += y;
    }
    assert_int_equal(distinct, n);
    /* uniform over the area: about half the points beyond r/sqrt(2) */
    assert_true(far > n * 45 / 100 && far < n * 55 / 100);
    /* centred on the spawn */
    assert_true(fabs(sx / n - 500) < 5 && fabs(sy / n - 500) < 5);
}

static void same_seed_same_point(void **state)
{
    (void)state;
    cw_zone z = field(100, NULL, 0);
    double x1, y1, x2, y2;
    cw_zone_spawn_point(&z, 12345, &x1, &y1);
    cw_zone_spawn_point(&z, 12345, &x2, &y2);
    assert_true(x1 == x2 && y1 == y2);
    cw_zone_spawn_point(&z, 12346, &x2, &y2);
    assert_false(x1 == x2 && y1 == y2);
}

static void never_lands_in_a_blocked_area_or_outside(void **state)
{
    (void)state;
    /* a wall over the east half of the disc, and the disc crosses the north edge */
    cw_rect wall = {500.5, 0, 200, 1000};
    cw_zone z = field(100, &wall, 1);
    z.spawn_y = 950;
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        double x, y;
        cw_zone_spawn_point(&z, seed, &x, &y);
        assert_true(cw_zone_standable(&z, x, y));
        assert_true(x <= 500.5);
    }
}

static void check_refuses_a_negative_radius(void **state)
{
    (void)state;
    cw_zoneset zs;
    memset(&zs, 0, sizeof zs);
    cw_zone z = field(-1, NULL, 0);
    zs.v = &z;
    zs.n = 1;
    cw_error err = {0};
    assert_int_equal(cw_zoneset_check(&zs, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "spawn radius"));
    z.spawn_radius = 10;
    assert_int_equal(cw_zoneset_check(&zs, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_radius_is_the_spawn_point),
        cmocka_unit_test(radius_spreads_inside_the_disc),
        cmocka_unit_test(same_seed_same_point),
        cmocka_unit_test(never_lands_in_a_blocked_area_or_outside),
        cmocka_unit_test(check_refuses_a_negative_radius),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
