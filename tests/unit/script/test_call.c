/* cw_host_call_module: a function of an engine module called from C
 * (chaosctl item roll uses it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "script_fixture.h"

static cw_host *start_with_module(fixture *fx)
{
    static const char mod[] = "local M = {}\n"
                              "function M.join(a, b) return a .. '+' .. b end\n"
                              "function M.count(...) return tostring(select('#', ...)) end\n"
                              "function M.boom() error('it broke') end\n"
                              "function M.number() return 7 end\n"
                              "function M.spin() while true do end end\n"
                              "return M\n";
    fx_write(fx->scripts, "calls.lua", mod, sizeof mod - 1);
    /* content reaches the same module through require */
    fx_content(fx, "op.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('j', function() return { v = require('calls').join('x', 'y') } end)\n");
    cw_error err;
    cw_host *h = fx_start(fx, NULL, &err);
    assert_non_null(h);
    return h;
}

static void returns_the_string(void **state)
{
    cw_host *h = start_with_module(*state);
    const char *args[] = {"left", "right"};
    cw_strbuf out = {0};
    cw_error err;
    assert_int_equal(cw_host_call_module(h, "calls", "join", args, 2, &out, &err), 0);
    assert_int_equal(out.len, strlen("left+right"));
    assert_memory_equal(out.data, "left+right", out.len);
    cw_strbuf_reset(&out);
    assert_int_equal(cw_host_call_module(h, "calls", "count", NULL, 0, &out, &err), 0);
    assert_memory_equal(out.data, "0", 1);
    cw_strbuf_free(&out);
    assert_non_null(strstr(fx_call(h, "j", "{}"), "x+y"));
}

static void errors_are_reported(void **state)
{
    cw_host *h = start_with_module(*state);
    cw_strbuf out = {0};
    cw_error err;
    assert_int_equal(cw_host_call_module(h, "nope", "join", NULL, 0, &out, &err), CW_ENOTFOUND);
    assert_int_equal(cw_host_call_module(h, "calls", "nope", NULL, 0, &out, &err), CW_ENOTFOUND);
    assert_int_equal(cw_host_call_module(h, "calls", "boom", NULL, 0, &out, &err), CW_ESCRIPT);
    assert_non_null(strstr(err.msg, "it broke"));
    assert_null(strchr(err.msg, '\n')); /* the first line only, no traceback */
    assert_int_equal(cw_host_call_module(h, "calls", "number", NULL, 0, &out, &err), CW_ESCRIPT);
    assert_non_null(strstr(err.msg, "not a string"));
    /* a runaway function is stopped by the budget */
    assert_int_equal(cw_host_call_module(h, "calls", "spin", NULL, 0, &out, &err), CW_ESCRIPT);
    assert_int_equal(out.len, 0);
    /* the host still answers */
    const char *args[] = {"a", "b"};
    assert_int_equal(cw_host_call_module(h, "calls", "join", args, 2, &out, &err), 0);
    cw_strbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(returns_the_string, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(errors_are_reported, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
