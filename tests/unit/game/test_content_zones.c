/* test_content_zones.c — zone{} definitions (as JSON) → a checked zone set:
 * every field read, sorted by id, portals resolved, the start zone, the
 * default zone for content without any, and bad sets refused. */
#include "core/game/content_load.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static cw_zoneset load(const char *text, int want_rc, int *defaulted)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (text) assert_non_null(o);
    cw_zoneset zs;
    cw_error err = {0};
    assert_int_equal(cw_content_zones(o, &zs, defaulted, &err), want_rc);
    if (want_rc) {
        assert_int_equal(zs.n, 0);
        assert_null(zs.v);
        assert_true(err.msg[0] != '\0');
    }
    json_decref(o);
    return zs;
}

static void every_field_is_read(void **state)
{
    (void)state;
    int defaulted = -1;
    cw_zoneset zs = load(
        "{\"meadow\":{\"name\":\"Green Meadow\",\"start\":true,\"width\":1000,\"height\":800,"
        "\"view\":50,\"spawn\":{\"x\":500,\"y\":400,\"radius\":5},"
        "\"safe\":[{\"x\":450,\"y\":350,\"w\":100,\"h\":100}],"
        "\"blocked\":[{\"x\":600,\"y\":300,\"w\":20,\"h\":200},{\"x\":1,\"y\":2,\"w\":3,\"h\":4}],"
        "\"portals\":[{\"x\":300,\"y\":300,\"radius\":5,\"to\":\"caves\",\"to_x\":60,\"to_y\":61}]}"
        ","
        "\"caves\":{\"name\":\"Caves\",\"width\":400,\"height\":400,\"view\":30,"
        "\"spawn\":{\"x\":60,\"y\":60},\"safe\":{},\"blocked\":{}}}",
        0, &defaulted);
    assert_int_equal(defaulted, 0);
    assert_int_equal(zs.n, 2);
    int m = cw_zoneset_find(&zs, "meadow"), c = cw_zoneset_find(&zs, "caves");
    assert_true(c == 0 && m == 1); /* sorted by id */
    assert_int_equal(zs.start, m);
    const cw_zone *z = &zs.v[m];
    assert_string_equal(z->name, "Green Meadow");
    assert_true(z->width == 1000 && z->height == 800 && z->view == 50);
    assert_true(z->spawn_x == 500 && z->spawn_y == 400 && z->spawn_radius == 5);
    assert_int_equal(z->nsafe, 1);
    assert_true(z->safe[0].x == 450 && z->safe[0].h == 100);
    assert_int_equal(z->nblocked, 2);
    assert_true(z->blocked[1].x == 1 && z->blocked[1].y == 2 && z->blocked[1].w == 3 &&
                z->blocked[1].h == 4);
    assert_int_equal(z->nportals, 1);
    assert_string_equal(z->portals[0].to, "caves");
    assert_int_equal(z->portals[0].to_index, c);
    assert_true(z->portals[0].to_x == 60 && z->portals[0].to_y == 61);
    /* empty lists arrive as {} from cjson */
    assert_int_equal(zs.v[c].nsafe, 0);
    assert_int_equal(zs.v[c].nblocked, 0);
    assert_int_equal(zs.v[c].nportals, 0);
    cw_zoneset_free(&zs);
}

static void no_zones_give_the_default_start(void **state)
{
    (void)state;
    const char *texts[] = {"{}", NULL};
    for (int i = 0; i < 2; i++) {
        int defaulted = 0;
        cw_zoneset zs = load(texts[i], 0, &defaulted);
        assert_int_equal(defaulted, 1);
        assert_int_equal(zs.n, 1);
        assert_string_equal(zs.v[0].id, "start");
        assert_true(zs.v[0].width == 1000 && zs.v[0].spawn_x == 500);
        assert_int_equal(zs.start, 0);
        cw_zoneset_free(&zs);
    }
}

static void bad_sets_are_refused(void **state)
{
    (void)state;
    /* a portal to nowhere */
    load("{\"a\":{\"width\":10,\"height\":10,\"view\":5,\"spawn\":{\"x\":1,\"y\":1},"
         "\"portals\":[{\"x\":2,\"y\":2,\"radius\":1,\"to\":\"b\",\"to_x\":1,\"to_y\":1}]}}",
         CW_EINVAL, NULL);
    /* no size */
    load("{\"a\":{\"view\":5,\"spawn\":{\"x\":1,\"y\":1}}}", CW_EINVAL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_field_is_read),
        cmocka_unit_test(no_zones_give_the_default_start),
        cmocka_unit_test(bad_sets_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
