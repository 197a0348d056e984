/* Unit tests: cw_host_reload_async (core/script/reload.c) on a private event
 * base — a build swaps in or is refused, the loop keeps running while a
 * build runs, requests during a build are coalesced and all answered, a
 * build in progress is abandoned by cw_host_free, cw_gen_is_live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <event2/event.h>

#include "script_fixture.h"

typedef struct answer {
    int called;
    int rc;
    unsigned generation; /* live generation when the callback ran */
    int ticks_before;    /* loop ticks seen before the answer */
    char errors[1024];
} answer;

typedef struct loop {
    struct event_base *base;
    cw_host *host;
    int ticks;
} loop;

static loop g_loop; /* the test's loop, for the callbacks */

static void on_done(void *ud, int rc, const char *errors)
{
    answer *a = ud;
    a->called++;
    a->rc = rc;
    a->generation = g_loop.host ? cw_host_generation(g_loop.host) : 0;
    a->ticks_before = g_loop.ticks;
    snprintf(a->errors, sizeof a->errors, "%s", errors ? errors : "");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    g_loop.ticks++;
}

static cw_host *start_online(fixture *fx, int load_budget_ms)
{
    g_loop.base = event_base_new();
    g_loop.ticks = 0;
    assert_non_null(g_loop.base);
    cw_host_config cfg = {
        .budget_ms = 200, .load_budget_ms = load_budget_ms, .seed = 1, .base = g_loop.base};
    cw_error err;
    g_loop.host = fx_start(fx, &cfg, &err);
    if (!g_loop.host)
        fail_msg("start: %s", err.msg);
    return g_loop.host;
}

static void stop_online(fixture *fx)
{
    cw_host_free(fx->host);
    fx->host = NULL;
    g_loop.host = NULL;
    event_base_free(g_loop.base);
    g_loop.base = NULL;
}

/* Runs the loop (with a 1 ms ticker) until every answer has been called. */
static void run_until(answer **as, int n)
{
    struct event *tick = event_new(g_loop.base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 1000};
    event_add(tick, &tv);
    for (;;) {
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= as[i]->called > 0;
        if (all)
            break;
        event_base_loop(g_loop.base, EVLOOP_ONCE);
    }
    event_free(tick);
}

static const char V1[] = "local chaos = require('chaos')\n"
                         "chaos.on_op('v', function() return { v = 1 } end)\n";
static const char V2[] =
    "local chaos = require('chaos')\n"
    "chaos.seen.loading_is_live = chaos.is_live()\n"
    "chaos.on_op('v', function()\n"
    "  return { v = 2, live = chaos.is_live(), loaded_live = chaos.seen.loading_is_live }\n"
    "end)\n";

static void async_reload_swaps_and_refuses(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", V1);
    cw_host *h = start_online(fx, 0);
    assert_string_equal(fx_call(h, "v", "{}"), "{\"v\":1}");

    fx_content(fx, "main.lua", V2);
    answer a = {0};
    answer *as[] = {&a};
    assert_int_equal(cw_host_reload_async(h, on_done, &a), 0);
    assert_int_equal(a.called, 0); /* never answered from inside the call */
    /* While it builds, the old generation still answers, and a blocking reload is refused. */
    assert_string_equal(fx_call(h, "v", "{}"), "{\"v\":1}");
    cw_strbuf errs = CW_STRBUF_INIT;
    assert_int_equal(cw_host_reload(h, &errs), CW_ESTATE);
    cw_strbuf_free(&errs);
    run_until(as, 1);
    assert_int_equal(a.called, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.generation, 2);
    /* Loading ran off the loop thread (not live); the handler runs live. */
    const char *r = fx_call(h, "v", "{}");
    assert_non_null(strstr(r, "\"v\":2"));
    assert_non_null(strstr(r, "\"live\":true"));
    assert_non_null(strstr(r, "\"loaded_live\":false"));

    fx_content(fx, "main.lua", "local chaos = require('chaos')\n\nlocal x = nil\nx.y = 1\n");
    fx_content(fx, "other.lua", "local broken = \n");
    answer b = {0};
    as[0] = &b;
    assert_int_equal(cw_host_reload_async(h, on_done, &b), 0);
    run_until(as, 1);
    assert_int_equal(b.rc, CW_ESCRIPT);
    assert_int_equal(b.generation, 2);
    assert_non_null(strstr(b.errors, "main.lua:4:"));
    assert_non_null(strstr(b.errors, "other.lua:2:"));
    assert_non_null(strstr(fx_call(h, "v", "{}"), "\"v\":2"));
    stop_online(fx);
}

/* The loop keeps turning while a slow file loads: ticks are seen between the
 * request and its answer (ordering, not timing). */
static void the_loop_runs_while_a_build_runs(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", V1);
    cw_host *h = start_online(fx, 1000);
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "local t = os.clock()\n"
               "while os.clock() - t < 0.3 do end\n"
               "chaos.on_op('v', function() return { v = 3 } end)\n");
    answer a = {0};
    answer *as[] = {&a};
    assert_int_equal(cw_host_reload_async(h, on_done, &a), 0);
    run_until(as, 1);
    assert_int_equal(a.rc, 0);
    assert_true(a.ticks_before > 0);
    assert_string_equal(fx_call(h, "v", "{}"), "{\"v\":3}");
    /* A top level that never ends is stopped by the load budget, off the loop. */
    fx_content(fx, "main.lua", "local chaos = require('chaos')\n\nwhile true do end\n");
    answer b = {0};
    as[0] = &b;
    g_loop.ticks = 0;
    assert_int_equal(cw_host_reload_async(h, on_done, &b), 0);
    run_until(as, 1);
    assert_int_equal(b.rc, CW_ESCRIPT);
    assert_non_null(strstr(b.errors, "main.lua:3: script exceeded its 1000 ms budget"));
    assert_true(b.ticks_before > 0);
    assert_string_equal(fx_call(h, "v", "{}"), "{\"v\":3}");
    stop_online(fx);
}

static void requests_during_a_build_are_coalesced(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", V1);
    cw_host *h = start_online(fx, 0);
    answer a = {0}, b = {0}, c = {0};
    answer *as[] = {&a, &b, &c};
    assert_int_equal(cw_host_reload_async(h, on_done, &a), 0);
    assert_int_equal(cw_host_reload_async(h, on_done, &b), 0);
    assert_int_equal(cw_host_reload_async(h, on_done, &c), 0);
    run_until(as, 3);
    assert_int_equal(a.called, 1);
    assert_int_equal(b.called, 1);
    assert_int_equal(c.called, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(c.rc, 0);
    /* The first request got its own build; the two others shared the next one. */
    assert_int_equal(a.generation, 2);
    assert_int_equal(b.generation, 3);
    assert_int_equal(c.generation, 3);
    assert_int_equal(cw_host_generation(h), 3);
    stop_online(fx);
}

/* Freeing the host while a file loops at top level (with a long load budget)
 * abandons the build at once and answers its callers; ASan checks nothing
 * leaks. */
static void free_abandons_a_running_build(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", V1);
    cw_host *h = start_online(fx, 600000);
    fx_content(fx, "main.lua", "local chaos = require('chaos')\nwhile true do end\n");
    answer a = {0}, b = {0};
    assert_int_equal(cw_host_reload_async(h, on_done, &a), 0);
    assert_int_equal(cw_host_reload_async(h, on_done, &b), 0);
    event_base_loop(g_loop.base, EVLOOP_NONBLOCK);
    g_loop.host = NULL;
    cw_host_free(h);
    fx->host = NULL;
    assert_int_equal(a.called, 1);
    assert_int_equal(a.rc, CW_ESTATE);
    assert_non_null(strstr(a.errors, "abandoned"));
    assert_int_equal(b.called, 1);
    assert_int_equal(b.rc, CW_ESTATE);
    event_base_free(g_loop.base);
    g_loop.base = NULL;
}

static void offline_hosts_cannot_reload_async(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", V1);
    cw_error err;
    cw_host *h = fx_start(fx, NULL, &err);
    assert_non_null(h);
    answer a = {0};
    assert_int_equal(cw_host_reload_async(h, on_done, &a), CW_ESTATE);
    /* The synchronous reload runs the load on this thread: loading is not live. */
    fx_content(fx, "main.lua", V2);
    cw_strbuf errs = CW_STRBUF_INIT;
    assert_int_equal(cw_host_reload(h, &errs), 0);
    cw_strbuf_free(&errs);
    const char *r = fx_call(h, "v", "{}");
    assert_non_null(strstr(r, "\"live\":true"));
    assert_non_null(strstr(r, "\"loaded_live\":false"));
    assert_int_equal(a.called, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(async_reload_swaps_and_refuses, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_loop_runs_while_a_build_runs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(requests_during_a_build_are_coalesced, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(free_abandons_a_running_build, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(offline_hosts_cannot_reload_async, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
